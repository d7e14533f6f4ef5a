/* runs.c: a figure of several runs' loss curves from bptrain's own CSV records. */
#include "runs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "plot.h"
#include "util.h"

enum { MAX_FIELDS = 64, MAX_LINE = 8192, MAX_VALUE = 64 };

/* One run's curve: the value of the group column, and its (iter, loss) points. */
struct curve_ {
	char name[MAX_VALUE];
	double *iter, *loss;
	int n, cap;
};

static int
column_(char **fields, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(fields[i], name) == 0)
			return i;
	return -1;
}

/* The curve for value, added if it is new; NULL when there would be too many. */
static struct curve_ *
curve_for_(struct curve_ *curves, int *n_curves, const char *value)
{
	for (int c = 0; c < *n_curves; c++)
		if (strcmp(curves[c].name, value) == 0)
			return &curves[c];
	if (*n_curves == PLOT_MAX_SERIES)
		return NULL;
	struct curve_ *c = &curves[(*n_curves)++];
	snprintf(c->name, sizeof c->name, "%s", value);
	return c;
}

static void
add_point_(struct curve_ *c, double iter, double loss)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 256;
		double *iters = realloc(c->iter, (size_t)c->cap * sizeof *iters);
		double *losses = realloc(c->loss, (size_t)c->cap * sizeof *losses);
		if (!iters || !losses)
			dief(EXIT_RUNTIME, "out of memory reading runs");
		c->iter = iters, c->loss = losses;
	}
	c->iter[c->n] = iter;
	c->loss[c->n++] = loss;
}

/* Read the step records of csv_path into curves by the group column. */
static int
read_curves_(const char *csv_path, const char *group, struct curve_ *curves, int *n_curves)
{
	FILE *f = fopen(csv_path, "r");
	if (!f) {
		warnf("%s:", csv_path);
		return -1;
	}
	char line[MAX_LINE], *fields[MAX_FIELDS];
	int cols[4] = {-1, -1, -1, -1}, lineno = 0, status = 0; /* record, iter, loss, group */
	while (status == 0 && fgets(line, sizeof line, f)) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		int n = csv_split(line, fields, MAX_FIELDS);
		if (n < 0) {
			warnf("%s:%d: not a CSV line of bptrain's records", csv_path, lineno);
			status = -1;
		} else if (strcmp(fields[0], "record") == 0) {
			/* A header: every run's log starts with one; they must agree. */
			const char *names[4] = {"record", "iter", "loss", group};
			for (int k = 0; k < 4; k++)
				cols[k] = column_(fields, n, names[k]);
			if (cols[1] < 0 || cols[2] < 0 || cols[3] < 0) {
				warnf("%s:%d: no '%s' column", csv_path, lineno,
				      cols[3] < 0 ? group : cols[1] < 0 ? "iter" : "loss");
				status = -1;
			}
		} else if (cols[0] < 0) {
			warnf("%s:%d: a record before the CSV header", csv_path, lineno);
			status = -1;
		} else if (strcmp(fields[0], "step") == 0) {
			struct curve_ *c = n > cols[3] ? curve_for_(curves, n_curves, fields[cols[3]]) : NULL;
			if (!c) {
				warnf("%s:%d: more than %d values of '%s'", csv_path, lineno,
				      PLOT_MAX_SERIES, group);
				status = -1;
			} else if (n > cols[2]) {
				add_point_(c, strtod(fields[cols[1]], NULL), strtod(fields[cols[2]], NULL));
			}
		}
	}
	if (status == 0 && ferror(f)) {
		warnf("%s: read error:", csv_path);
		status = -1;
	}
	fclose(f);
	return status;
}

/* The curves share one x axis: the same iterations in each. */
static int
check_curves_(const char *csv_path, const struct curve_ *curves, int n_curves)
{
	if (n_curves == 0 || curves[0].n == 0) {
		warnf("%s: no step records (run bptrain with --log-every N --log FILE.csv)", csv_path);
		return -1;
	}
	for (int c = 1; c < n_curves; c++)
		if (curves[c].n != curves[0].n ||
		    memcmp(curves[c].iter, curves[0].iter, (size_t)curves[0].n * sizeof(double)) != 0) {
			warnf("%s: the runs '%s' and '%s' have step records at different iterations "
			      "(give them the same --iters and --log-every)", csv_path, curves[0].name,
			      curves[c].name);
			return -1;
		}
	return 0;
}

int
runs_plot(const char *csv_path, const char *group, const char *svg_path)
{
	static const char *const colors[PLOT_MAX_SERIES] = {"#1f77b4", "#ff7f0e", "#2ca02c",
							    "#d62728"};
	struct curve_ curves[PLOT_MAX_SERIES];
	memset(curves, 0, sizeof curves);
	int n_curves = 0;
	int status = read_curves_(csv_path, group, curves, &n_curves);
	if (status == 0)
		status = check_curves_(csv_path, curves, n_curves);
	if (status == 0) {
		struct plot_panel panel = {.ylabel = "training loss", .n_series = n_curves};
		for (int c = 0; c < n_curves; c++)
			panel.series[c] = (struct plot_series){curves[c].name, colors[c], curves[c].loss};
		char title[128];
		snprintf(title, sizeof title, "training loss by %s", group);
		struct plot_figure fig = {.title = title, .subtitle = csv_path, .xlabel = "iteration",
					  .x = curves[0].iter, .n = curves[0].n, .n_panels = 1,
					  .panels = &panel};
		status = plot_write_svg(svg_path, &fig);
	}
	for (int c = 0; c < n_curves; c++) {
		free(curves[c].iter);
		free(curves[c].loss);
	}
	return status;
}
