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

/* ---- --plot-sweep: one dot per run from the final records of a sweep -------------------- */

enum { MAX_LABEL = 256, MAX_CATEGORIES = 64, MAX_HEAT_COLS = 16 };

/* One run that ended ok: its x and colour values as text, the numbers it may be drawn by. */
struct srun_ {
	char x[MAX_VALUE], color[MAX_VALUE];
	char label[MAX_LABEL]; /* the whole configuration, for its tooltip */
	char brief[MAX_LABEL]; /* its x and colour values, for the subtitle */
	double metric, val, test; /* NaN when empty */
};

/* The columns the reader looks up in each header; -1 when absent. */
enum {
	SC_STATUS, SC_X, SC_COLOR, SC_METRIC, SC_VAL, SC_TEST, SC_EXIT, SC_RECORD, SC_CONFIG,
	SC_SEED, N_SC
};

struct sreader_ {
	const struct sweep_plot_spec *spec;
	const char *names[N_SC];
	int cols[N_SC];
	char first[MAX_VALUE]; /* the first header's first name: a line starting so is a header */
	struct srun_ *runs;
	int n, cap;
};

/* A field as a number, NaN when empty or not wholly one. */
static double
number_or_nan_(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	return *s && *end == '\0' && isfinite(v) ? v : NAN;
}

static const char *
field_(char **fields, int n, int col)
{
	return col >= 0 && col < n ? fields[col] : "";
}

static int
sweep_header_(struct sreader_ *r, char **fields, int n, int lineno)
{
	for (int k = 0; k < N_SC; k++) {
		r->cols[k] = r->names[k] ? column_(fields, n, r->names[k]) : -1;
		if (r->cols[k] < 0 && k <= SC_METRIC && r->names[k]) {
			warnf("%s:%d: no '%s' column", r->spec->csv_path, lineno, r->names[k]);
			return -1;
		}
	}
	return 0;
}

/* A row that ended ok (status ok, exit status 0 where there is one, a final record where
 * the rows say which) becomes a run. */
static void
sweep_row_(struct sreader_ *r, char **fields, int n)
{
	const char *exit_status = field_(fields, n, r->cols[SC_EXIT]);
	const char *record = field_(fields, n, r->cols[SC_RECORD]);
	if (strcmp(field_(fields, n, r->cols[SC_STATUS]), "ok") != 0 ||
	    (r->cols[SC_EXIT] >= 0 && strcmp(exit_status, "0") != 0) ||
	    (r->cols[SC_RECORD] >= 0 && strcmp(record, "final") != 0))
		return;
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		r->runs = realloc(r->runs, (size_t)r->cap * sizeof *r->runs);
		if (!r->runs)
			dief(EXIT_RUNTIME, "out of memory reading runs");
	}
	struct srun_ *run = &r->runs[r->n++];
	snprintf(run->x, sizeof run->x, "%s", field_(fields, n, r->cols[SC_X]));
	snprintf(run->color, sizeof run->color, "%s", field_(fields, n, r->cols[SC_COLOR]));
	const char *config = field_(fields, n, r->cols[SC_CONFIG]);
	const char *seed = field_(fields, n, r->cols[SC_SEED]);
	const char *color = r->spec->color;
	snprintf(run->brief, sizeof run->brief, "%s %s%s%s%s%s, seed %s", r->spec->x, run->x,
		 color ? ", " : "", color ? color : "", color ? " " : "", run->color, seed);
	if (*config)
		snprintf(run->label, sizeof run->label, "%s --seed %s", config, seed);
	else
		snprintf(run->label, sizeof run->label, "%s", run->brief);
	run->metric = number_or_nan_(field_(fields, n, r->cols[SC_METRIC]));
	run->val = number_or_nan_(field_(fields, n, r->cols[SC_VAL]));
	run->test = number_or_nan_(field_(fields, n, r->cols[SC_TEST]));
}

static int
read_sweep_(struct sreader_ *r)
{
	const struct sweep_plot_spec *spec = r->spec;
	FILE *f = fopen(spec->csv_path, "r");
	if (!f) {
		warnf("%s:", spec->csv_path);
		return -1;
	}
	char line[MAX_LINE], *fields[MAX_FIELDS];
	int lineno = 0, status = 0;
	while (status == 0 && fgets(line, sizeof line, f)) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		int n = csv_split(line, fields, MAX_FIELDS);
		if (n < 0) {
			/* a row cut short by a crash is not a run; anything else is not this CSV */
			if (lineno > 1)
				continue;
			warnf("%s:1: not a CSV header", spec->csv_path);
			status = -1;
		} else if (lineno == 1 || strcmp(fields[0], r->first) == 0) {
			snprintf(r->first, sizeof r->first, "%s", fields[0]);
			status = sweep_header_(r, fields, n, lineno);
		} else {
			sweep_row_(r, fields, n);
		}
	}
	if (status == 0 && ferror(f)) {
		warnf("%s: read error:", spec->csv_path);
		status = -1;
	}
	fclose(f);
	return status;
}

/* The y of every run: the metric asked for, else val_acc if every run has one, else
 * test_acc. Runs without that number are dropped; returns the metric's name. */
static const char *
choose_metric_(struct sreader_ *r)
{
	int all_val = r->n > 0;
	for (int i = 0; i < r->n; i++)
		all_val = all_val && isfinite(r->runs[i].val);
	const char *name = r->spec->metric ? r->spec->metric : all_val ? "val_acc" : "test_acc";
	int kept = 0;
	for (int i = 0; i < r->n; i++) {
		struct srun_ *run = &r->runs[i];
		run->metric = r->spec->metric ? run->metric : all_val ? run->val : run->test;
		if (isfinite(run->metric))
			r->runs[kept++] = *run;
	}
	r->n = kept;
	return name;
}

/* The distinct values of the x or the colour column: in the order they first appear, or by
 * value when every one is a number. */
struct values_ {
	const char **v; /* pointing into the runs' strings */
	double *num;    /* with numeric: their numbers */
	int n, numeric;
};

static int
value_at_(const struct values_ *vs, const char *s)
{
	for (int i = 0; i < vs->n; i++)
		if (strcmp(vs->v[i], s) == 0)
			return i;
	return -1;
}

static void
values_of_(struct values_ *vs, const struct sreader_ *r, int color)
{
	vs->v = xmalloc((size_t)r->n * sizeof *vs->v);
	vs->num = xmalloc((size_t)r->n * sizeof *vs->num);
	vs->n = 0;
	vs->numeric = 1;
	for (int i = 0; i < r->n; i++) {
		const char *s = color ? r->runs[i].color : r->runs[i].x;
		if (value_at_(vs, s) >= 0)
			continue;
		vs->num[vs->n] = number_or_nan_(s);
		vs->numeric = vs->numeric && isfinite(vs->num[vs->n]);
		vs->v[vs->n++] = s;
	}
	for (int i = 1; vs->numeric && i < vs->n; i++)
		for (int j = i; j > 0 && vs->num[j] < vs->num[j - 1]; j--) {
			double t = vs->num[j];
			const char *s = vs->v[j];
			vs->num[j] = vs->num[j - 1], vs->v[j] = vs->v[j - 1];
			vs->num[j - 1] = t, vs->v[j - 1] = s;
		}
}

/* Everything the figure points into. */
struct sweep_fig_ {
	struct values_ xs, cs;
	struct plot_point *points;
	double *line_x, *mean;
	int *count;
	struct plot_heatmap heat;
	struct plot_scatter s;
	char title[256], subtitle[2 * MAX_LABEL];
};

/* The dots, their colours, and the best run (the first of the highest). */
static void
fill_points_(struct sweep_fig_ *g, const struct sreader_ *r)
{
	struct plot_scatter *s = &g->s;
	g->points = xmalloc((size_t)r->n * sizeof *g->points);
	s->shade_lo = INFINITY, s->shade_hi = -INFINITY;
	for (int i = 0; i < r->n; i++) {
		const struct srun_ *run = &r->runs[i];
		int xi = value_at_(&g->xs, run->x);
		g->points[i] = (struct plot_point){
			.x = g->xs.numeric ? g->xs.num[xi] : xi, .y = run->metric,
			.group = s->n_groups ? value_at_(&g->cs, run->color) : 0,
			.shade = number_or_nan_(run->color), .label = run->label};
		if (s->color_label && !s->n_groups) {
			s->shade_lo = fmin(s->shade_lo, g->points[i].shade);
			s->shade_hi = fmax(s->shade_hi, g->points[i].shade);
		}
		if (s->best < 0 || run->metric > r->runs[s->best].metric)
			s->best = i;
	}
	s->log_shade = s->shade_lo > 0 && s->shade_hi >= 20 * s->shade_lo;
	s->points = g->points;
	s->n = r->n;
}

/* Where x values repeat (a grid, or a list in a random search), each colour's mean at each
 * x: the lines, and for a 2-D grid with every cell filled, the heatmap. */
static void
fill_means_(struct sweep_fig_ *g, const struct sreader_ *r)
{
	struct plot_scatter *s = &g->s;
	int rows = s->n_groups ? s->n_groups : 1, cols = g->xs.n;
	if (cols == r->n || (s->color_label && !s->n_groups))
		return;
	g->line_x = xmalloc((size_t)cols * sizeof *g->line_x);
	g->mean = xmalloc((size_t)rows * cols * sizeof *g->mean);
	g->count = xmalloc((size_t)rows * cols * sizeof *g->count);
	for (int c = 0; c < cols; c++)
		g->line_x[c] = g->xs.numeric ? g->xs.num[c] : c;
	for (int k = 0; k < rows * cols; k++)
		g->mean[k] = 0, g->count[k] = 0;
	for (int i = 0; i < r->n; i++) {
		int k = g->points[i].group * cols + value_at_(&g->xs, r->runs[i].x);
		g->mean[k] += r->runs[i].metric;
		g->count[k]++;
	}
	int full = 1, best = 0;
	for (int k = 0; k < rows * cols; k++) {
		g->mean[k] = g->count[k] ? g->mean[k] / g->count[k] : NAN;
		full = full && g->count[k];
		best = g->mean[k] > g->mean[best] ? k : best;
	}
	s->n_line = cols, s->line_x = g->line_x, s->line_y = g->mean;
	if (!full || rows < 2 || cols < 2 || cols > MAX_HEAT_COLS)
		return;
	g->heat = (struct plot_heatmap){.n_cols = cols, .n_rows = rows, .col_names = g->xs.v,
					.row_names = g->cs.v, .mean = g->mean, .count = g->count,
					.best = best};
	s->heat = &g->heat;
}

/* The title names what is drawn; the subtitle, the best run (and its test_acc beside a
 * val_acc, the number that may not be used to choose). */
static void
sweep_titles_(struct sweep_fig_ *g, const struct sweep_plot_spec *spec, const char *metric,
	      const struct sreader_ *r)
{
	snprintf(g->title, sizeof g->title, "bptrain sweep: %s of %d runs by %s%s%s", metric,
		 r->n, spec->x, spec->color ? ", coloured by " : "", spec->color ? spec->color : "");
	const struct srun_ *best = &r->runs[g->s.best];
	char test[64] = "";
	if (strcmp(metric, "val_acc") == 0 && isfinite(best->test))
		snprintf(test, sizeof test, " (test_acc %.4f)", best->test);
	snprintf(g->subtitle, sizeof g->subtitle, "best run: %s: %s %.4f%s", best->brief, metric,
		 best->metric, test);
}

static int
draw_sweep_(const struct sreader_ *r, const char *metric)
{
	const struct sweep_plot_spec *spec = r->spec;
	struct sweep_fig_ *g = xmalloc(sizeof *g);
	memset(g, 0, sizeof *g);
	int status = -1;
	values_of_(&g->xs, r, 0);
	values_of_(&g->cs, r, 1);
	if (!g->xs.numeric && g->xs.n > MAX_CATEGORIES) {
		warnf("%s: more than %d values of '%s', and not all numbers", spec->csv_path,
		      MAX_CATEGORIES, spec->x);
		goto done;
	}
	if (spec->color && g->cs.n > PLOT_MAX_GROUPS && !g->cs.numeric) {
		warnf("%s: more than %d values of '%s' to colour by, and not all numbers",
		      spec->csv_path, PLOT_MAX_GROUPS, spec->color);
		goto done;
	}
	struct plot_scatter *s = &g->s;
	*s = (struct plot_scatter){.xlabel = spec->x, .ylabel = metric, .best = -1,
		.n_x_names = g->xs.numeric ? 0 : g->xs.n, .x_names = g->xs.numeric ? NULL : g->xs.v,
		.color_label = spec->color,
		.n_groups = spec->color && g->cs.n <= PLOT_MAX_GROUPS ? g->cs.n : 0,
		.group_names = g->cs.v};
	s->log_x = g->xs.numeric && g->xs.num[0] > 0 && g->xs.num[g->xs.n - 1] >= 20 * g->xs.num[0];
	fill_points_(g, r);
	fill_means_(g, r);
	sweep_titles_(g, spec, metric, r);
	s->title = g->title, s->subtitle = g->subtitle;
	status = plot_write_scatter_svg(spec->svg_path, s);
done:
	free(g->xs.v), free(g->xs.num), free(g->cs.v), free(g->cs.num);
	free(g->points), free(g->line_x), free(g->mean), free(g->count);
	free(g);
	return status;
}

int
runs_plot_sweep(const struct sweep_plot_spec *spec)
{
	struct sreader_ r = {.spec = spec,
			     .names = {"status", spec->x, spec->color, spec->metric, "val_acc",
				       "test_acc", "exit", "record", "config", "seed"}};
	int status = read_sweep_(&r);
	const char *metric = status == 0 ? choose_metric_(&r) : NULL;
	if (status == 0 && r.n == 0) {
		warnf("%s: no run that ended ok%s%s", spec->csv_path, spec->metric ? " with a " : "",
		      spec->metric ? spec->metric : "");
		status = -1;
	}
	if (status == 0)
		status = draw_sweep_(&r, metric);
	free(r.runs);
	return status;
}
