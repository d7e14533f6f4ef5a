/* train.c: the training loop and evaluation. */
#include "train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* A mean cross-entropy this large means some logit is off by 1e4: the stable log-softmax
 * keeps such a loss finite, so "not finite" alone would let a blown-up run go on silently. */
#define DIVERGED_LOSS 1e4f

size_t
trainer_scratch_bytes(int inputs)
{
	return fast_scratch_bytes(inputs);
}

void
trainer_init(struct trainer *t, struct net *net, struct pool *pool)
{
	memset(t, 0, sizeof *t);
	t->net = net;
	t->use_fast = fast_supports(net);
	if (t->use_fast)
		fast_init(&t->fast, net, pool);
	else
		t->x = xmalloc((size_t)net->max_batch * net->dims[0] * sizeof *t->x);
}

void
trainer_free(struct trainer *t)
{
	if (t->use_fast)
		fast_free(&t->fast);
	free(t->x);
	memset(t, 0, sizeof *t);
}

void
images_to_floats(float *x, const uint8_t *const *images, int n, int in)
{
	/* A table keeps the scaling exactly p / 255 without a divide per pixel. */
	float scale[256];
	for (int p = 0; p < 256; p++)
		scale[p] = (float)p / 255.0f;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < in; j++)
			x[(size_t)i * in + j] = scale[images[i][j]];
}

float
trainer_step(struct trainer *t, const uint8_t *const *images, const uint8_t *labels, int n,
	     const struct optim *opt)
{
	if (t->use_fast)
		return fast_step(&t->fast, images, labels, n, opt);
	struct net *net = t->net;
	images_to_floats(t->x, images, n, net->dims[0]);
	float loss = net_forward(net, t->x, labels, n, NET_TRAIN);
	net_backward(net, t->x, labels, n);
	if (opt)
		optim_update(opt, net->params, net->grads, 0, net->n_params);
	return loss;
}

double
evaluate(struct trainer *t, const struct dataset *ds)
{
	uint8_t predicted[EVAL_CHUNK];
	const uint8_t *images[EVAL_CHUNK];
	size_t in = (size_t)ds->input_size, correct = 0;
	for (size_t first = 0; first < ds->count; first += EVAL_CHUNK) {
		int n = ds->count - first < EVAL_CHUNK ? (int)(ds->count - first) : EVAL_CHUNK;
		for (int i = 0; i < n; i++)
			images[i] = ds->pixels + (first + i) * in;
		if (t->use_fast) {
			fast_logits(&t->fast, images, n);
		} else {
			images_to_floats(t->x, images, n, (int)in);
			net_forward(t->net, t->x, NULL, n, NET_EVAL);
		}
		net_argmax(t->net, predicted, n);
		for (int i = 0; i < n; i++)
			correct += predicted[i] == ds->labels[first + i];
	}
	return (double)correct / (double)ds->count;
}

/* The running sums of one epoch. */
struct epoch_ {
	int number, steps;
	double loss, train_s, start;
};

/* The end of an epoch: evaluate on both sets and hand the record to the report. */
static void
end_epoch_(struct trainer *t, const struct dataset *train, const struct dataset *test,
	   struct epoch_ *e, int iter, int batch, struct report *rep, struct train_result *result)
{
	e->number++;
	result->train_s += e->train_s;
	result->loss = e->loss / e->steps;
	result->train_acc = evaluate(t, train);
	result->test_acc = evaluate(t, test);
	double rate = e->train_s > 0 ? e->steps * (double)batch / e->train_s : 0.0;
	struct report_epoch rec = {.epoch = e->number, .iter = iter, .loss = result->loss,
		.train_acc = result->train_acc, .test_acc = result->test_acc,
		.time_s = now_sec() - e->start, .samples_per_s = rate,
		.train_s = result->train_s};
	report_epoch(rep, &rec);
	*e = (struct epoch_){.number = e->number, .start = now_sec()};
}

enum train_status
train_run(struct trainer *t, const struct dataset *train, const struct dataset *test,
	  const struct train_options *opt, struct rng *rng, struct report *rep,
	  struct train_result *result)
{
	int batch = opt->batch;
	/* The book's epoch: as many steps as it takes to draw train->count samples. */
	int epoch_iters = train->count / (size_t)batch > 0 ? (int)(train->count / batch) : 1;
	/* The batch stays bytes: the fast path reads the sampled images in place. */
	size_t in = (size_t)train->input_size;
	const uint8_t **images = xmalloc((size_t)batch * sizeof *images);
	uint8_t *labels = xmalloc((size_t)batch);
	enum train_status status = TRAIN_OK;
	*result = (struct train_result){0};
	struct epoch_ epoch = {.start = now_sec()};
	double window_loss = 0.0; /* since the last step record */
	for (int it = 1; it <= opt->iters; it++) {
		report_progress(rep, it);
		double step_start = now_sec();
		for (int i = 0; i < batch; i++) {
			size_t row = (size_t)rng_below(rng, train->count);
			images[i] = train->pixels + row * in;
			labels[i] = train->labels[row];
		}
		optim_begin_step(opt->optim);
		float loss = trainer_step(t, images, labels, batch, opt->optim);
		if (!isfinite(loss) || loss > DIVERGED_LOSS) {
			warnf("training diverged: loss is %g at iteration %d (try a smaller --lr)",
			      (double)loss, it);
			status = TRAIN_DIVERGED;
			break;
		}
		result->iters_done = it;
		epoch.loss += loss;
		epoch.steps++;
		epoch.train_s += now_sec() - step_start;
		window_loss += loss;
		if (opt->log_every > 0 && it % opt->log_every == 0) {
			report_step(rep, it, window_loss / opt->log_every);
			window_loss = 0.0;
		}
		/* Checked only between steps, so an interrupt never leaves a half-applied update. */
		int stop = opt->stop && *opt->stop;
		if (it % epoch_iters != 0 && it != opt->iters && !stop)
			continue;
		result->epoch_steps = it % epoch_iters != 0 ? epoch.steps : 0;
		result->epoch_loss = it % epoch_iters != 0 ? epoch.loss : 0.0;
		end_epoch_(t, train, test, &epoch, it, batch, rep, result);
		if (stop) {
			status = TRAIN_INTERRUPTED;
			break;
		}
	}
	free(images);
	free(labels);
	return status;
}
