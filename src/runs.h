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

/* Read the records and draw them; every curve must have its points at the same x values.
 * Returns 0, or -1 with a one-line message naming the file. */
int runs_plot(const struct runs_plot_spec *spec);

#endif
