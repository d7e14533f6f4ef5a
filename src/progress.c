/* progress.c: the progress line. */
#include "progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util.h"

#define PROGRESS_EVERY_S 0.25
#define MIN_BAR 8 /* a narrower bar says too little to be worth its columns */
#define MAX_LINE 256

void
progress_init(struct progress *p, int enabled, int iters, int epoch_iters, int batch,
	      size_t eval_rows, int start)
{
	*p = (struct progress){.enabled = enabled, .iters = iters, .epoch_iters = epoch_iters,
			       .batch = batch, .eval_rows = eval_rows, .start = start,
			       .done = start, .last_draw = -1.0, .eval_start = -1.0};
}

/* Columns of the terminal on stderr, else $COLUMNS, else 80. */
static int
terminal_width_(void)
{
	struct winsize ws;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	const char *env = getenv("COLUMNS");
	int cols = env ? atoi(env) : 0;
	return cols > 0 ? cols : 80;
}

/* "59 s", "12:05", "1:02:03" */
static void
duration_(char *buf, size_t size, double s)
{
	long t = (long)(s + 0.5);
	if (t < 60)
		snprintf(buf, size, "%ld s", t);
	else if (t < 3600)
		snprintf(buf, size, "%ld:%02ld", t / 60, t % 60);
	else
		snprintf(buf, size, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
}

int
progress_format(char *buf, size_t size, int width, const struct progress_view *v)
{
	char epoch[48], rate[32], times[160], elapsed[64], eta[64];
	snprintf(epoch, sizeof epoch, "epoch %d/%d ", v->epoch, v->epochs);
	if (v->evaluating)
		snprintf(rate, sizeof rate, " evaluating");
	else if (v->samples_per_s > 0)
		snprintf(rate, sizeof rate, " %.0f/s", v->samples_per_s);
	else
		rate[0] = '\0';
	duration_(elapsed, sizeof elapsed, v->elapsed_s);
	duration_(eta, sizeof eta, v->eta_s);
	snprintf(times, sizeof times, " %s, %s left", elapsed, v->eta_s >= 0 ? eta : "?");
	int pct = (int)(100.0 * v->fraction);
	int cols = width - 1; /* the last column would wrap on some terminals */
	int room = cols - snprintf(NULL, 0, "%3d%%%s", pct, times), need = MIN_BAR + 3;
	int e = (int)strlen(epoch), r = (int)strlen(rate);
	/* When there is no room for everything, the rate goes first, then the epoch, then the
	 * bar; but while evaluating, the note that says so stays longest. */
	if (room < e + r + need && !v->evaluating)
		rate[0] = '\0', r = 0;
	if (room < e + r + need)
		epoch[0] = '\0', e = 0;
	if (room < r)
		rate[0] = '\0', r = 0;
	int bar = room - e - r - 3;
	char bars[MAX_LINE] = "";
	if (bar >= MIN_BAR) {
		bar = bar > MAX_LINE - 3 ? MAX_LINE - 3 : bar;
		int done = (int)(v->fraction * bar);
		bars[0] = '[';
		memset(bars + 1, '#', (size_t)done);
		memset(bars + 1 + done, '.', (size_t)(bar - done));
		bars[bar + 1] = ']', bars[bar + 2] = ' ', bars[bar + 3] = '\0';
	}
	int len = snprintf(buf, size, "%s%s%3d%%%s%s", epoch, bars, pct, rate, times);
	if (len >= (int)size)
		len = (int)size - 1;
	/* Narrower than even the bare numbers: cut, rather than wrap. */
	if (len > cols && cols >= 0 && (size_t)cols < size)
		buf[len = cols] = '\0';
	return len;
}

/* The ETA counts the steps left at the rate so far and the evaluations left at their
 * measured cost (before the first, a forward pass per image at a third of a training
 * sample's cost), so it does not fall to nothing at the last step while the last evaluation
 * still runs. */
struct progress_view
progress_view(const struct progress *p, double now)
{
	int epochs = (p->iters + p->epoch_iters - 1) / p->epoch_iters;
	int evaluating = p->eval_start >= 0, steps = p->done;
	/* What this run did: a resumed one's rate counts no step of the run before it. */
	int run_steps = steps - p->start;
	/* An evaluation belongs to the epoch whose last step it follows. */
	int epoch = (evaluating ? steps - 1 : steps) / p->epoch_iters + 1;
	struct progress_view v = {.epoch = epoch < epochs ? epoch : epochs, .epochs = epochs,
				  .fraction = (double)steps / p->iters,
				  .elapsed_s = now - p->first, .eta_s = -1.0,
				  .evaluating = evaluating};
	double eval_now = v.evaluating ? now - p->eval_start : 0.0;
	double train_s = v.elapsed_s - p->eval_s - eval_now;
	if (run_steps < 1 || train_s <= 0)
		return v;
	double step_s = train_s / run_steps;
	v.samples_per_s = p->batch / step_s;
	double eval_each = p->n_evals > 0 ? p->eval_s / p->n_evals
					  : (double)p->eval_rows / p->batch * step_s / 3.0;
	/* Whole epochs before the start were evaluated by the run before. */
	int evals_left = epochs - p->start / p->epoch_iters - p->n_evals;
	double eta = (p->iters - steps) * step_s + evals_left * eval_each - eval_now;
	v.eta_s = eta > 0 ? eta : 0.0;
	return v;
}

static void
draw_(struct progress *p, double now)
{
	char line[2 * MAX_LINE];
	struct progress_view v = progress_view(p, now);
	int len = progress_format(line, sizeof line, terminal_width_(), &v);
	/* Padding covers what a longer previous line left; the cursor goes back to the line
	 * start, so a warning printed next overwrites the line. */
	fprintf(stderr, "%-*s\r", p->shown > len ? p->shown : len, line);
	fflush(stderr);
	p->shown = len;
	p->last_draw = now;
}

void
progress_step(struct progress *p, int iter)
{
	if (!p->enabled)
		return;
	double now = now_sec();
	if (iter == p->start + 1)
		p->first = now;
	p->done = iter - 1;
	/* The first step always shows, so even a short run shows the line once. */
	if (p->last_draw < 0 || now - p->last_draw >= PROGRESS_EVERY_S)
		draw_(p, now);
}

void
progress_evaluating(struct progress *p)
{
	if (!p->enabled)
		return;
	double now = now_sec();
	p->eval_start = now;
	p->done++; /* the step that ends the epoch */
	/* The first evaluation always shows, as the first step does. */
	if (p->n_evals == 0 || now - p->last_draw >= PROGRESS_EVERY_S)
		draw_(p, now);
}

void
progress_evaluated(struct progress *p)
{
	if (!p->enabled || p->eval_start < 0)
		return;
	p->eval_s += now_sec() - p->eval_start;
	p->n_evals++;
	p->eval_start = -1.0;
}

void
progress_clear(struct progress *p)
{
	if (!p->shown)
		return;
	fprintf(stderr, "%*s\r", p->shown, "");
	fflush(stderr);
	p->shown = 0;
}
