/* runs.c: a figure of several runs' curves from bptrain's own CSV records. */
#include "runs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "plot.h"
#include "util.h"

enum { MAX_FIELDS = 64, MAX_LINE = 8192, MAX_VALUE = 64 };
#define MAX_CURVES (RUNS_MAX_FACETS * PLOT_MAX_SERIES)

/* One run's curve: its facet and group values, and its (x, y) points. */
struct curve_ {
	char facet[MAX_VALUE], group[MAX_VALUE];
	double *x, *y;
	int n, cap;
};

/* The curves read so far, and the distinct facet and group values in order of appearance. */
struct curves_ {
	struct curve_ c[MAX_CURVES];
	int n;
	char facets[RUNS_MAX_FACETS][MAX_VALUE], groups[PLOT_MAX_SERIES][MAX_VALUE];
	int n_facets, n_groups;
};

static int
column_(char **fields, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(fields[i], name) == 0)
			return i;
	return -1;
}

/* The index of value in names[0 .. *n), added if new; -1 when there would be more than max. */
static int
value_index_(char (*names)[MAX_VALUE], int *n, int max, const char *value)
{
	for (int i = 0; i < *n; i++)
		if (strcmp(names[i], value) == 0)
			return i;
	if (*n == max)
		return -1;
	snprintf(names[*n], MAX_VALUE, "%s", value);
	return (*n)++;
}

/* The curve of (facet, group), added if new; NULL when there would be too many values. */
static struct curve_ *
curve_for_(struct curves_ *cs, const char *facet, const char *group)
{
	if (value_index_(cs->facets, &cs->n_facets, RUNS_MAX_FACETS, facet) < 0 ||
	    value_index_(cs->groups, &cs->n_groups, PLOT_MAX_SERIES, group) < 0)
		return NULL;
	for (int i = 0; i < cs->n; i++)
		if (strcmp(cs->c[i].facet, facet) == 0 && strcmp(cs->c[i].group, group) == 0)
			return &cs->c[i];
	struct curve_ *c = &cs->c[cs->n++];
	snprintf(c->facet, sizeof c->facet, "%s", facet);
	snprintf(c->group, sizeof c->group, "%s", group);
	return c;
}

static void
add_point_(struct curve_ *c, double x, double y)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 256;
		double *xs = realloc(c->x, (size_t)c->cap * sizeof *xs);
		double *ys = realloc(c->y, (size_t)c->cap * sizeof *ys);
		if (!xs || !ys)
			dief(EXIT_RUNTIME, "out of memory reading runs");
		c->x = xs, c->y = ys;
	}
	c->x[c->n] = x;
	c->y[c->n++] = y;
}

/* What a spec reads: the record kind, and the columns record, x, y, group, facet. */
struct reader_ {
	const struct runs_plot_spec *spec;
	const char *kind, *names[5];
	int cols[5];
	int n_cols; /* 4, or 5 with a facet */
};

/* A header line: every run's log starts with one; each must have the columns. */
static int
read_header_(struct reader_ *r, char **fields, int n, int lineno)
{
	for (int k = 0; k < r->n_cols; k++) {
		r->cols[k] = column_(fields, n, r->names[k]);
		if (r->cols[k] < 0) {
			warnf("%s:%d: no '%s' column", r->spec->csv_path, lineno, r->names[k]);
			return -1;
		}
	}
	return 0;
}

/* A record of the kind read: a point of its curve. */
static int
read_record_(struct reader_ *r, struct curves_ *cs, char **fields, int n, int lineno)
{
	for (int k = 1; k < r->n_cols; k++)
		if (r->cols[k] >= n)
			return 0; /* a short row has nothing to plot */
	const char *facet = r->n_cols == 5 ? fields[r->cols[4]] : "";
	struct curve_ *c = curve_for_(cs, facet, fields[r->cols[3]]);
	if (!c) {
		warnf("%s:%d: more than %d values of '%s'", r->spec->csv_path, lineno,
		      cs->n_groups == PLOT_MAX_SERIES ? PLOT_MAX_SERIES : RUNS_MAX_FACETS,
		      cs->n_groups == PLOT_MAX_SERIES ? r->spec->group : r->spec->facet);
		return -1;
	}
	const char *y = fields[r->cols[2]];
	add_point_(c, strtod(fields[r->cols[1]], NULL), *y ? strtod(y, NULL) : NAN);
	return 0;
}

static int
read_curves_(const struct runs_plot_spec *spec, struct curves_ *cs)
{
	FILE *f = fopen(spec->csv_path, "r");
	if (!f) {
		warnf("%s:", spec->csv_path);
		return -1;
	}
	int loss = strcmp(spec->metric, "loss") == 0;
	struct reader_ r = {.spec = spec, .kind = loss ? "step" : "epoch",
			    .names = {"record", loss ? "iter" : "epoch", spec->metric, spec->group,
				      spec->facet},
			    .cols = {-1}, .n_cols = spec->facet ? 5 : 4};
	char line[MAX_LINE], *fields[MAX_FIELDS];
	int lineno = 0, status = 0;
	while (status == 0 && fgets(line, sizeof line, f)) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		int n = csv_split(line, fields, MAX_FIELDS);
		if (n < 0) {
			warnf("%s:%d: not a CSV line of bptrain's records", spec->csv_path, lineno);
			status = -1;
		} else if (strcmp(fields[0], "record") == 0) {
			status = read_header_(&r, fields, n, lineno);
		} else if (r.cols[0] < 0) {
			warnf("%s:%d: a record before the CSV header", spec->csv_path, lineno);
			status = -1;
		} else if (strcmp(fields[0], r.kind) == 0) {
			status = read_record_(&r, cs, fields, n, lineno);
		}
	}
	if (status == 0 && ferror(f)) {
		warnf("%s: read error:", spec->csv_path);
		status = -1;
	}
	fclose(f);
	return status;
}

/* The curves share one x axis: the same points in each. */
static int
check_curves_(const struct runs_plot_spec *spec, const struct curves_ *cs)
{
	const struct curve_ *first = &cs->c[0];
	if (cs->n == 0 || first->n == 0) {
		if (strcmp(spec->metric, "loss") == 0)
			warnf("%s: no step records (run bptrain with --log-every N --log FILE.csv)",
			      spec->csv_path);
		else
			warnf("%s: no epoch records", spec->csv_path);
		return -1;
	}
	for (int i = 1; i < cs->n; i++) {
		const struct curve_ *c = &cs->c[i];
		if (c->n != first->n || memcmp(c->x, first->x, (size_t)first->n * sizeof(double))) {
			warnf("%s: the runs '%s%s%s' and '%s%s%s' have records at different %s "
			      "(give them the same length%s)", spec->csv_path, first->facet,
			      *first->facet ? " " : "", first->group, c->facet, *c->facet ? " " : "",
			      c->group, strcmp(spec->metric, "loss") ? "epochs" : "iterations",
			      strcmp(spec->metric, "loss") ? "" : " and --log-every");
			return -1;
		}
	}
	return 0;
}

static const char *const colors_[PLOT_MAX_SERIES] = {"#1f77b4", "#ff7f0e", "#2ca02c",
						      "#d62728"};

/* One panel, a line per group value. */
static int
draw_lines_(const struct runs_plot_spec *spec, const struct curves_ *cs)
{
	int loss = strcmp(spec->metric, "loss") == 0;
	struct plot_panel panel = {.ylabel = loss ? "training loss" : spec->metric,
				   .n_series = cs->n};
	for (int c = 0; c < cs->n; c++)
		panel.series[c] = (struct plot_series){cs->c[c].group, colors_[c], cs->c[c].y};
	char title[160];
	snprintf(title, sizeof title, "%s by %s", loss ? "training loss" : spec->metric,
		 spec->group);
	struct plot_figure fig = {.title = title, .subtitle = spec->csv_path,
				  .xlabel = loss ? "iteration" : "epoch", .x = cs->c[0].x,
				  .n = cs->c[0].n, .n_panels = 1, .panels = &panel};
	return plot_write_svg(spec->svg_path, &fig);
}

/* A panel per facet value, a line per group value in each. */
static int
draw_grid_(const struct runs_plot_spec *spec, const struct curves_ *cs)
{
	int n = cs->c[0].n, loss = strcmp(spec->metric, "loss") == 0;
	size_t count = (size_t)cs->n_facets * cs->n_groups * n;
	double *y = xmalloc(count * sizeof *y);
	for (size_t i = 0; i < count; i++)
		y[i] = NAN; /* a (facet, group) pair with no run draws no line */
	/* Column name and value, so that a 0/1 switch reads "batchnorm 1". */
	char panel_names[RUNS_MAX_FACETS][2 * MAX_VALUE + 4];
	char group_names[PLOT_MAX_SERIES][2 * MAX_VALUE + 4];
	const char *panels[RUNS_MAX_FACETS], *groups[PLOT_MAX_SERIES];
	for (int p = 0; p < cs->n_facets; p++) {
		snprintf(panel_names[p], sizeof panel_names[p], "%s %s", spec->facet, cs->facets[p]);
		panels[p] = panel_names[p];
	}
	for (int s = 0; s < cs->n_groups; s++) {
		snprintf(group_names[s], sizeof group_names[s], "%s %s", spec->group, cs->groups[s]);
		groups[s] = group_names[s];
	}
	for (int i = 0; i < cs->n; i++) {
		const struct curve_ *c = &cs->c[i];
		int p = 0, s = 0;
		while (strcmp(cs->facets[p], c->facet) != 0)
			p++;
		while (strcmp(cs->groups[s], c->group) != 0)
			s++;
		memcpy(y + ((size_t)p * cs->n_groups + s) * n, c->y, (size_t)n * sizeof *y);
	}
	char title[200];
	snprintf(title, sizeof title, "%s by %s (lines) and %s (panels)",
		 loss ? "training loss" : spec->metric, spec->group, spec->facet);
	int cols = cs->n_facets <= 4 ? cs->n_facets : cs->n_facets <= 16 ? 4 : 6;
	struct plot_line_grid g = {.title = title, .subtitle = spec->csv_path,
		.xlabel = loss ? "iteration" : "epoch", .ylabel = loss ? "training loss" : spec->metric,
		.x = cs->c[0].x, .n = n, .n_panels = cs->n_facets, .n_cols = cols,
		.panel_names = panels, .n_series = cs->n_groups, .series_names = groups,
		.colors = colors_, .y = y};
	int status = plot_write_line_grid_svg(spec->svg_path, &g);
	free(y);
	return status;
}

int
runs_plot(const struct runs_plot_spec *spec)
{
	struct curves_ *cs = xmalloc(sizeof *cs);
	memset(cs, 0, sizeof *cs);
	int status = read_curves_(spec, cs);
	if (status == 0)
		status = check_curves_(spec, cs);
	if (status == 0)
		status = spec->facet ? draw_grid_(spec, cs) : draw_lines_(spec, cs);
	for (int c = 0; c < cs->n; c++) {
		free(cs->c[c].x);
		free(cs->c[c].y);
	}
	free(cs);
	return status;
}
