/* histplot.h: the activation histograms that --dump-activations wrote (src/activations.h),
 * of one run or of several runs' CSVs concatenated, as one grid figure: a row per value of
 * the column `group`, a column per hidden layer, as the book's figures 6-10 to 6-14:
 * `bptrain --plot-activations acts.csv --group weights --plot acts.svg`. */
#ifndef BPTRAIN_HISTPLOT_H
#define BPTRAIN_HISTPLOT_H

/* Read csv_path and draw it into svg_path (src/plot.h). The rows must have the same layers
 * and bins. Returns 0, or -1 with a one-line message naming the file. */
int histplot_draw(const char *csv_path, const char *group, const char *svg_path);

#endif
