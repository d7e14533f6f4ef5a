/* train.c: the training loop and evaluation. */
#include "train.h"

#include <math.h>
#include <stdlib.h>

#include "util.h"

/* A mean cross-entropy this large means some logit is off by 1e4: the stable log-softmax
 * keeps such a loss finite, so "not finite" alone would let a blown-up run go on silently. */
#define DIVERGED_LOSS 1e4f

void
dataset_gather(float *x, uint8_t *labels, const struct dataset *ds, size_t first,
	       const size_t *rows, int n)
{
	/* A table keeps the byte-to-float scaling exactly p / 255 without a divide per pixel. */
	float scale[256];
	for (int p = 0; p < 256; p++)
		scale[p] = (float)p / 255.0f;
	size_t in = (size_t)ds->input_size;
	for (int i = 0; i < n; i++) {
		size_t row = rows ? rows[i] : first + (size_t)i;
		const uint8_t *src = ds->pixels + row * in;
		float *dst = x + (size_t)i * in;
		for (size_t j = 0; j < in; j++)
			dst[j] = scale[src[j]];
		if (labels)
			labels[i] = ds->labels[row];
	}
}

double
evaluate(struct net *net, const struct dataset *ds)
{
	uint8_t predicted[EVAL_CHUNK];
	const uint8_t *images[EVAL_CHUNK];
	size_t in = (size_t)ds->input_size, correct = 0;
	for (size_t first = 0; first < ds->count; first += EVAL_CHUNK) {
		int n = ds->count - first < EVAL_CHUNK ? (int)(ds->count - first) : EVAL_CHUNK;
		for (int i = 0; i < n; i++)
			images[i] = ds->pixels + (first + i) * in;
		net_forward_bytes(net, images, NULL, n);
		net_argmax(net, predicted, n);
		for (int i = 0; i < n; i++)
			correct += predicted[i] == ds->labels[first + i];
	}
	return (double)correct / (double)ds->count;
}

enum train_status
train_run(struct net *net, const struct dataset *train, const struct dataset *test,
	  const struct train_options *opt, struct rng *rng, struct report *rep,
	  struct train_result *result)
{
	int batch = opt->batch;
	/* The book's epoch: as many steps as it takes to draw train->count samples. */
	int epoch_iters = train->count / (size_t)batch > 0 ? (int)(train->count / batch) : 1;
	/* The batch stays bytes: the net reads the sampled images in place and converts only
	 * their nonzero pixels. */
	size_t in = (size_t)train->input_size;
	const uint8_t **images = xmalloc((size_t)batch * sizeof *images);
	uint8_t *labels = xmalloc((size_t)batch);
	enum train_status status = TRAIN_OK;

	*result = (struct train_result){0};
	double epoch_loss = 0.0, epoch_train_s = 0.0, epoch_start = now_sec();
	int epoch_steps = 0, epoch = 0;
	for (int it = 1; it <= opt->iters; it++) {
		report_progress(rep, it);
		double step_start = now_sec();
		for (int i = 0; i < batch; i++) {
			size_t row = (size_t)rng_below(rng, train->count);
			images[i] = train->pixels + row * in;
			labels[i] = train->labels[row];
		}
		float loss = net_forward_bytes(net, images, labels, batch);
		if (!isfinite(loss) || loss > DIVERGED_LOSS) {
			warnf("training diverged: loss is %g at iteration %d (try a smaller --lr)",
			      (double)loss, it);
			status = TRAIN_DIVERGED;
			break;
		}
		net_backward_sgd_bytes(net, images, labels, batch, opt->lr);
		result->iters_done = it;
		epoch_loss += loss;
		epoch_steps++;
		epoch_train_s += now_sec() - step_start;

		/* Checked only between steps, so an interrupt never leaves a half-applied update. */
		int stop = opt->stop && *opt->stop;
		if (it % epoch_iters != 0 && it != opt->iters && !stop)
			continue;
		epoch++;
		result->train_s += epoch_train_s;
		result->loss = epoch_loss / epoch_steps;
		result->train_acc = evaluate(net, train);
		result->test_acc = evaluate(net, test);
		double rate = epoch_train_s > 0 ? epoch_steps * (double)batch / epoch_train_s : 0.0;
		struct report_epoch rec = {.epoch = epoch, .iter = it, .loss = result->loss,
			.train_acc = result->train_acc, .test_acc = result->test_acc,
			.time_s = now_sec() - epoch_start, .samples_per_s = rate,
			.train_s = result->train_s};
		report_epoch(rep, &rec);
		epoch_loss = 0.0;
		epoch_train_s = 0.0;
		epoch_steps = 0;
		epoch_start = now_sec();
		if (stop) {
			status = TRAIN_INTERRUPTED;
			break;
		}
	}
	free(images);
	free(labels);
	return status;
}
