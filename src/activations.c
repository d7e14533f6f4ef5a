/* activations.c: the hidden layers' activation histograms of an untrained net, as CSV. */
#include "activations.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "train.h" /* images_to_floats */
#include "util.h"

/* The columns before the configuration's (flags_field_name), in the order of the CSV. */
static const char *const columns_[] = {
	"record", "weights", "layer", "units", "bin_lo", "bin_hi", "count",
};
#define N_COLUMNS (int)(sizeof columns_ / sizeof columns_[0])

/* One hidden layer's activations: the histogram rows (at most 0, the bins, above 1) and
 * the statistics for the table. */
struct hist_ {
	int units;
	size_t at_most_0, bin[ACTIVATIONS_BINS], above_1, nan;
	double sum, sum_sq, min, max;
};

static int
is_activation_(enum layer_kind kind)
{
	switch (kind) {
	case LAYER_RELU:
	case LAYER_SIGMOID:
		return 1;
	case LAYER_AFFINE:
	case LAYER_BATCHNORM:
	case LAYER_DROPOUT:
	case LAYER_SOFTMAX_XENT:
		return 0;
	}
	return 0;
}

static void
histogram_(struct hist_ *h, const float *y, int n, int units)
{
	memset(h, 0, sizeof *h);
	h->units = units;
	h->min = INFINITY;
	h->max = -INFINITY;
	for (size_t e = 0; e < (size_t)n * units; e++) {
		double v = y[e];
		if (isnan(v)) {
			h->nan++;
			continue;
		}
		h->sum += v;
		h->sum_sq += v * v;
		h->min = v < h->min ? v : h->min;
		h->max = v > h->max ? v : h->max;
		if (v <= 0.0)
			h->at_most_0++;
		else if (v > 1.0)
			h->above_1++;
		else /* bin k is (k/30, (k+1)/30] */
			h->bin[(int)ceil(v * ACTIVATIONS_BINS) - 1]++;
	}
}

/* The initial weights in a word, which tells apart runs that differ in --init or in
 * --init-std alone: "std 1", "std 0.01", "xavier", "he". */
static void
weights_name_(char *buf, size_t size, const struct config *cfg)
{
	char std[32];
	fmt_float(std, sizeof std, cfg->init_std);
	if (cfg->init == INIT_STD)
		snprintf(buf, size, "%s %s", init_name(cfg->init), std);
	else
		snprintf(buf, size, "%s", init_name(cfg->init));
}

/* One CSV row: the histogram row (lo, hi] of hidden layer `layer`, then the configuration. */
static void
put_row_(FILE *f, const struct config *cfg, const char *weights, int layer, int units,
	 double lo, double hi, size_t count)
{
	fprintf(f, "%s,", ACTIVATIONS_RECORD);
	csv_put(f, weights);
	fprintf(f, ",%d,%d,%.9g,%.9g,%zu", layer, units, lo, hi, count);
	for (int i = 0; i < flags_n_fields(); i++) {
		char buf[64];
		const char *value = flags_field_value(cfg, i, buf, sizeof buf, NULL);
		fputc(',', f);
		if (value)
			csv_put(f, value);
	}
	fputc('\n', f);
}

static void
put_csv_(FILE *f, const struct config *cfg, const struct hist_ *hists, int n_hists)
{
	for (int i = 0; i < N_COLUMNS; i++)
		fprintf(f, "%s%s", i ? "," : "", columns_[i]);
	for (int i = 0; i < flags_n_fields(); i++)
		fprintf(f, ",%s", flags_field_name(i));
	fputc('\n', f);
	char weights[64];
	weights_name_(weights, sizeof weights, cfg);
	for (int l = 0; l < n_hists; l++) {
		const struct hist_ *h = &hists[l];
		put_row_(f, cfg, weights, l + 1, h->units, -INFINITY, 0.0, h->at_most_0);
		for (int k = 0; k < ACTIVATIONS_BINS; k++)
			put_row_(f, cfg, weights, l + 1, h->units, (double)k / ACTIVATIONS_BINS,
				 (double)(k + 1) / ACTIVATIONS_BINS, h->bin[k]);
		put_row_(f, cfg, weights, l + 1, h->units, 1.0, INFINITY, h->above_1);
	}
}

static int
write_csv_(const struct config *cfg, const struct hist_ *hists, int n_hists)
{
	const char *path = cfg->dump_activations;
	struct atomic_file af;
	if (atomic_open(&af, path) != 0) {
		warnf("--dump-activations: cannot create %s:", path);
		return -1;
	}
	put_csv_(af.f, cfg, hists, n_hists);
	if (atomic_commit(&af) != 0) {
		warnf("--dump-activations: cannot write %s:", path);
		return -1;
	}
	return 0;
}

/* The table: a row of statistics per hidden layer, the shares in percent. */
static void
print_table_(FILE *out, const struct net *net, const struct config *cfg,
	     const struct hist_ *hists, int n_hists)
{
	fprintf(out, "bptrain %s activations: net ", BPTRAIN_VERSION);
	for (int a = 0; a <= net->n_affine; a++)
		fprintf(out, "%s%d", a ? "-" : "", net->dims[a]);
	fprintf(out, " %s%s, init %s (W1 std %g), seed %llu\n", activation_name(net->activation),
		cfg->batchnorm ? " batchnorm" : "", init_name(cfg->init),
		init_std_of(cfg->init, cfg->init_std, net->dims[0]), (unsigned long long)cfg->seed);
	fprintf(out, "input: the first %d training images, one forward pass as the first "
		     "training step makes it\n", cfg->batch);
	fprintf(out, "layer  units       mean        std        min        max  at_most_0  "
		     "above_1\n");
	for (int l = 0; l < n_hists; l++) {
		const struct hist_ *h = &hists[l];
		double count = (double)cfg->batch * h->units, mean = h->sum / count;
		double var = h->sum_sq / count - mean * mean;
		fprintf(out, "%5d %6d %10.4f %10.4f %10.4f %10.4f %9.2f%% %7.2f%%\n", l + 1,
			h->units, mean, sqrt(var > 0 ? var : 0), h->min, h->max,
			100.0 * h->at_most_0 / count, 100.0 * h->above_1 / count);
	}
}

int
activations_dump(struct net *net, const struct dataset *train, const struct config *cfg,
		 FILE *out)
{
	int n = cfg->batch;
	if ((size_t)n > train->count) {
		warnf("--batch: %d images asked for, but the training set has only %zu", n,
		      train->count);
		return -1;
	}
	const uint8_t **images = xmalloc((size_t)n * sizeof *images);
	for (int i = 0; i < n; i++)
		images[i] = train->pixels + (size_t)i * train->input_size;
	float *x = xmalloc((size_t)n * train->input_size * sizeof *x);
	images_to_floats(x, images, n, train->input_size);
	/* Training mode: in evaluation, batch normalization would use running averages that
	 * start at 0 and scale every input by 1/sqrt(eps), a thousandfold. */
	net_forward(net, x, train->labels, n, NET_TRAIN);
	free(x);
	free(images);

	struct hist_ hists[NET_MAX_AFFINE];
	int n_hists = 0;
	for (int i = 0; i < net->n_layers; i++)
		if (is_activation_(net->layer[i].kind))
			histogram_(&hists[n_hists++], net->layer[i].y, n, net->layer[i].out);
	for (int l = 0; l < n_hists; l++)
		if (hists[l].nan > 0) {
			warnf("--dump-activations: hidden layer %d has %zu activations that are not "
			      "a number (the weights are too large for float)", l + 1, hists[l].nan);
			return -1;
		}
	if (write_csv_(cfg, hists, n_hists) != 0)
		return -1;
	if (!cfg->quiet)
		print_table_(out, net, cfg, hists, n_hists);
	char std[32];
	fmt_float(std, sizeof std, cfg->init_std);
	fprintf(out, "dump_activations=%s layers=%d images=%d activation=%s init=%s init_std=%s "
		     "batchnorm=%d dropout=%g seed=%llu\n", cfg->dump_activations, n_hists, n,
		activation_name(net->activation), init_name(cfg->init), std, cfg->batchnorm,
		(double)cfg->dropout, (unsigned long long)cfg->seed);
	return 0;
}
