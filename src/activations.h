/* activations.h: --dump-activations FILE, the book's activation histograms (chapter 6.2,
 * figures 6-10 to 6-14): instead of training, one forward pass of the untrained net on the
 * first --batch training images, and a histogram of each hidden layer's activation outputs
 * written to FILE as CSV (docs/output.md). `bptrain --plot-activations` (src/histplot.h)
 * draws such files. */
#ifndef BPTRAIN_ACTIVATIONS_H
#define BPTRAIN_ACTIVATIONS_H

#include <stdio.h>

#include "flags.h"
#include "idx.h"
#include "net.h"

/* The book's 30 bins over [0, 1], for sigmoid and ReLU alike, so that every run and layer
 * is drawn on one scale. The bins are (k/30, (k+1)/30]; two more rows count what lies
 * outside: values at most 0 (ReLU's exact zeros) and values above 1 (ReLU only). */
#define ACTIVATIONS_BINS 30

/* The record column of the CSV rows. */
#define ACTIVATIONS_RECORD "activations"

/* Run net (built as training builds it, with max_batch >= cfg->batch) forward on the first
 * cfg->batch images of train, as the first training step would: batch normalization
 * normalizes with the batch's statistics, and dropout drops with that step's masks (after
 * the activation, so a layer's own histogram is before its dropout). Write the histograms
 * to cfg->dump_activations, and a table of each layer's statistics and a summary line to
 * out (only the summary with cfg->quiet). Returns 0, or -1 with a one-line message. */
int activations_dump(struct net *net, const struct dataset *train, const struct config *cfg,
		     FILE *out);

#endif
