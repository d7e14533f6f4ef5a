/* test_progress: the progress line fits any terminal width, keeps the most useful fields
 * when narrow, and its ETA counts the evaluations still to come. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "progress.h"

static void
test_widths_(void)
{
	struct progress_view v = {.epoch = 12, .epochs = 345, .fraction = 0.456,
				  .samples_per_s = 123456.0, .elapsed_s = 4000.0, .eta_s = 5000.0};
	for (int evaluating = 0; evaluating <= 1; evaluating++)
		for (int width = 1; width <= 300; width++) {
			v.evaluating = evaluating;
			char line[512];
			int len = progress_format(line, sizeof line, width, &v);
			CHECK(len == (int)strlen(line) && len <= width - 1,
			      "width %d: %d columns: '%s'", width, len, line);
			/* The percent and the time left are what a narrow terminal keeps. */
			if (width >= 40)
				CHECK(strstr(line, " 45%") && strstr(line, "1:23:20 left") &&
				      (!evaluating || strstr(line, "evaluating")),
				      "width %d: '%s'", width, line);
		}
	char line[512];
	v.evaluating = 0;
	progress_format(line, sizeof line, 40, &v);
	CHECK(strchr(line, '[') != NULL, "40 columns keep a bar: '%s'", line);
	progress_format(line, sizeof line, 120, &v);
	CHECK(strstr(line, "epoch 12/345 [") == line && strstr(line, "123456/s"),
	      "120 columns show everything: '%s'", line);
	v.evaluating = 1;
	progress_format(line, sizeof line, 120, &v);
	CHECK(strstr(line, "evaluating") != NULL, "evaluation is named: '%s'", line);
	v.eta_s = -1;
	progress_format(line, sizeof line, 120, &v);
	CHECK(strstr(line, "? left") != NULL, "unknown ETA: '%s'", line);
}

/* 10 steps of 1 s in 2 epochs, evaluations of 3 s measured. */
static void
test_eta_(void)
{
	struct progress p;
	progress_init(&p, 1, 10, 5, 100, 6000, 0);
	p.first = 0.0;
	p.done = 5;
	p.eval_s = 3.0, p.n_evals = 1;
	struct progress_view v = progress_view(&p, 8.0);
	CHECK_NEAR(v.eta_s, 5 * 1.0 + 3.0, 1e-9, "after epoch 1: 5 steps and 1 evaluation left");
	CHECK_NEAR(v.samples_per_s, 100.0, 1e-9, "rate from training time only");
	CHECK(v.epoch == 2 && v.epochs == 2, "epoch %d of %d", v.epoch, v.epochs);
	/* Evaluating after epoch 1's last step: still epoch 1's evaluation, not epoch 2. */
	p.eval_start = 8.0;
	v = progress_view(&p, 8.5);
	CHECK(v.evaluating && v.epoch == 1, "evaluating after epoch 1 shows epoch %d", v.epoch);
	/* The last evaluation under way, 1 s in: 2 s left, not 0. */
	p.done = 10, p.eval_start = 13.0;
	v = progress_view(&p, 14.0);
	CHECK_NEAR(v.eta_s, 2.0, 1e-9, "during the last evaluation");
	CHECK(v.evaluating && v.epoch == 2, "evaluating epoch %d", v.epoch);
	/* No evaluation measured yet: 6000 images at a third of a 100-sample step each. */
	progress_init(&p, 1, 10, 5, 100, 6000, 0);
	p.first = 0.0, p.done = 2;
	v = progress_view(&p, 2.0);
	CHECK_NEAR(v.eta_s, 8 * 1.0 + 2 * 20.0, 1e-9, "estimated evaluations");
}

/* A run resumed after 6 of 20 steps (5 an epoch), 2 of its own steps in 2 s: the bar starts
 * at 6, the rate and the time left count only this run's steps, and the evaluations left
 * are the epochs from the second on (the first was the run before's). */
static void
test_resumed_(void)
{
	struct progress p;
	progress_init(&p, 1, 20, 5, 100, 6000, 6);
	struct progress_view v = progress_view(&p, 0.0);
	CHECK(v.fraction == 0.3 && v.epoch == 2 && v.epochs == 4 && v.samples_per_s == 0,
	      "resumed at 6: %g done, epoch %d of %d, no rate yet", v.fraction, v.epoch, v.epochs);
	p.first = 10.0, p.done = 8;
	v = progress_view(&p, 12.0);
	CHECK_NEAR(v.samples_per_s, 100.0, 1e-9, "the rate of this run's 2 steps in 2 s");
	CHECK_NEAR(v.elapsed_s, 2.0, 1e-9, "the time since the resume");
	CHECK_NEAR(v.eta_s, 12 * 1.0 + 3 * 20.0, 1e-9, "12 steps and 3 evaluations left");
}

/* test_progress --line WIDTH EPOCH EPOCHS FRACTION RATE ELAPSED ETA: print the line
 * progress_format lays out for that view, so that tests/test_docs.sh can check the line
 * docs/output.md shows (a real run's line depends on when it is drawn). */
static int
print_line_(char **argv)
{
	struct progress_view v = {.epoch = atoi(argv[1]), .epochs = atoi(argv[2]),
				  .fraction = atof(argv[3]), .samples_per_s = atof(argv[4]),
				  .elapsed_s = atof(argv[5]), .eta_s = atof(argv[6])};
	char line[512];
	progress_format(line, sizeof line, atoi(argv[0]), &v);
	printf("%s\n", line);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 9 && strcmp(argv[1], "--line") == 0)
		return print_line_(argv + 2);
	test_widths_();
	test_eta_();
	test_resumed_();
	return check_report("test_progress");
}
