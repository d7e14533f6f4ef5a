/* runs.h: the training-loss curves of several runs in one figure, read back from the step
 * records (--log-every) that bptrain itself wrote to CSV (docs/output.md), grouped by one of
 * their configuration columns: `bptrain --plot-runs runs.csv --group init --plot init.svg`.
 * The chapter 6 experiments (scripts/experiments/) draw their pictures this way, with the
 * project's one SVG writer (src/plot.c). */
#ifndef BPTRAIN_RUNS_H
#define BPTRAIN_RUNS_H

/* Read csv_path, draw the mean loss of each step record against its iteration, one line per
 * value of the column `group` (at most PLOT_MAX_SERIES values, runs sharing their
 * iterations), into svg_path. Returns 0, or -1 with a one-line message naming the file. */
int runs_plot(const char *csv_path, const char *group, const char *svg_path);

#endif
