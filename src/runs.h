/* runs.h: several runs' curves in one figure, read back from the records that bptrain
 * itself wrote to CSV (docs/output.md), grouped by one of their configuration columns:
 * `bptrain --plot-runs runs.csv --group init --plot init.svg` draws the training loss of the
 * step records (--log-every), a line per init; `--metric train_acc --facet init_std` draws
 * the epoch records' train_acc instead, in a grid with a small panel per init_std. The
 * chapter 6 experiments (scripts/experiments/) draw their pictures this way, with the
 * project's one SVG writer (src/plot.c). */
#ifndef BPTRAIN_RUNS_H
#define BPTRAIN_RUNS_H

struct runs_plot_spec {
	const char *csv_path;
	const char *group;  /* the column whose values are the lines (at most PLOT_MAX_SERIES) */
	const char *facet;  /* the column whose values are the panels (at most RUNS_MAX_FACETS),
			     * or NULL for one panel */
	const char *metric; /* "loss": the step records' mean loss against the iteration; any
			     * other field: the epoch records' values against the epoch */
	const char *svg_path;
};

#define RUNS_MAX_FACETS 36

/* A sweep's result from its final records (the rows of scripts/sweep.sh's CSV, or bptrain's
 * own --format csv output of several runs concatenated): `bptrain --plot-sweep runs.csv
 * --x lr --color hidden --plot sweep.svg` draws a dot per run that ended ok, its metric
 * against its lr, coloured by its hidden; the best run ringed; where x values repeat (a
 * grid), a line through each colour's mean; and for a 2-D grid (every lr with every hidden)
 * a heatmap of the cells' means. */
struct sweep_plot_spec {
	const char *csv_path;
	const char *x;      /* the column along the x axis: numeric (log when it spans 20x), or
			     * categories in the order they appear */
	const char *color;  /* the column that colours the dots: up to PLOT_MAX_GROUPS values
			     * named, or a scale for more numbers; NULL: one colour */
	const char *metric; /* the y axis, or NULL: val_acc when every run has one, else
			     * test_acc */
	const char *svg_path;
};

/* Read the rows and draw them. Returns 0, or -1 with a one-line message naming the file. */
int runs_plot_sweep(const struct sweep_plot_spec *spec);

/* Read the records and draw them; every curve must have its points at the same x values.
 * Returns 0, or -1 with a one-line message naming the file. */
int runs_plot(const struct runs_plot_spec *spec);

#endif
