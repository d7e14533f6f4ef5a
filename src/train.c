/* train.c: the training loop and evaluation. */
#include "train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "augment.h"
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
trainer_compact(struct trainer *t, const struct dataset *ds)
{
	if (t->use_fast && ds)
		fast_compact_set(&t->fast, ds->pixels, ds->count);
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

struct eval_result
evaluate(struct trainer *t, const struct dataset *ds, int with_loss)
{
	uint8_t predicted[EVAL_CHUNK];
	const uint8_t *images[EVAL_CHUNK];
	size_t in = (size_t)ds->input_size, correct = 0;
	double xent = 0.0;
	for (size_t first = 0; first < ds->count; first += EVAL_CHUNK) {
		int n = ds->count - first < EVAL_CHUNK ? (int)(ds->count - first) : EVAL_CHUNK;
		for (int i = 0; i < n; i++)
			images[i] = ds->pixels + (first + i) * in;
		if (t->use_fast && with_loss) {
			xent += fast_logits_xent(&t->fast, images, ds->labels + first, n);
		} else if (t->use_fast) {
			fast_logits(&t->fast, images, n);
		} else {
			images_to_floats(t->x, images, n, (int)in);
			net_forward(t->net, t->x, NULL, n, NET_EVAL);
			xent += with_loss ? net_xent_sum(t->net, ds->labels + first, n) : 0.0;
		}
		net_argmax(t->net, predicted, n);
		for (int i = 0; i < n; i++)
			correct += predicted[i] == ds->labels[first + i];
	}
	if (ds->count == 0)
		return (struct eval_result){NAN, NAN};
	return (struct eval_result){(double)correct / (double)ds->count,
				    with_loss ? xent / (double)ds->count : NAN};
}

void
train_state_free(struct train_state *s)
{
	free(s->order);
	free(s->best);
	free(s->last);
	memset(s, 0, sizeof *s);
}

/* What train_run carries from step to step. */
struct run_ {
	const struct train_data *data;
	const struct train_options *opt;
	struct report *rep;
	struct train_result *result;
	int epoch_iters;
	int evaluated;      /* this run has evaluated the net at least once */
	/* This epoch's running sums. */
	int epoch_steps;
	long epoch_samples;
	double epoch_loss, epoch_train_s, epoch_start;
	/* --log-every: the steps since the last step record, and their summed loss. */
	int window_steps;
	double window_loss;
	float lr;           /* the last step's */
	uint8_t *augmented; /* --augment: (batch, inputs), this step's distorted images, and */
	uint8_t *augment_scratch; /* each thread's augment_scratch_bytes */
	size_t augment_scratch_bytes;
	/* early_stop: the best whole epoch so far (0: none yet), the iteration it ended at,
	 * its state (net_state_save), val_acc and loss; whether the run's last evaluation,
	 * after a partial epoch, beat it. */
	int best_epoch, best_iter;
	float *best_state;
	double best_val_acc, best_loss;
	int partial_best;
	int stop_early;
};

/* --early-stop: keep the state of the best whole epoch on validation, and stop K whole
 * epochs after it. An evaluation after a partial epoch ends the run and may be its best,
 * but a resumed run goes on past that point without it, so it does not replace the best
 * whole epoch that --save keeps; the net holds its weights already. */
static void
track_best_(struct trainer *t, struct run_ *r, int iter, int whole)
{
	const struct train_result *res = r->result;
	int better = r->best_epoch == 0 || res->val.acc > r->best_val_acc;
	if (!whole) {
		r->partial_best = better;
		return;
	}
	if (better) {
		net_state_save(t->net, r->best_state);
		r->best_epoch = res->epochs_done;
		r->best_iter = iter;
		r->best_val_acc = res->val.acc;
		r->best_loss = res->loss;
	} else if (res->epochs_done - r->best_epoch >= r->opt->early_stop) {
		r->stop_early = 1;
	}
}

/* The end of an epoch, or of the run, or an interrupt: evaluate on every set, hand the
 * record to the report, and keep the state if it is the best yet on validation. */
static void
end_epoch_(struct trainer *t, struct run_ *r, int iter)
{
	struct train_result *res = r->result;
	int whole = iter % r->epoch_iters == 0;
	/* An epoch cut short keeps its sums for --save: a resumed run goes on with them. */
	res->state.epoch_steps = whole ? 0 : r->epoch_steps;
	res->state.epoch_loss = whole ? 0.0 : r->epoch_loss;
	res->epochs_done++;
	res->train_s += r->epoch_train_s;
	res->loss = r->epoch_loss / r->epoch_steps;
	report_evaluating(r->rep);
	res->train = evaluate(t, r->data->train, 0);
	res->val = evaluate(t, r->data->val, 1);
	res->test = evaluate(t, r->data->test, 1);
	r->evaluated = 1;
	double rate = r->epoch_train_s > 0 ? r->epoch_samples / r->epoch_train_s : 0.0;
	struct report_epoch rec = {.epoch = res->epochs_done, .iter = iter, .loss = res->loss,
		.lr = r->lr, .train_acc = res->train.acc, .val_acc = res->val.acc,
		.val_loss = res->val.loss, .test_acc = res->test.acc, .test_loss = res->test.loss,
		.time_s = now_sec() - r->epoch_start, .samples_per_s = rate,
		.train_s = res->train_s};
	report_epoch(r->rep, &rec);
	r->epoch_steps = 0, r->epoch_samples = 0;
	r->epoch_loss = r->epoch_train_s = 0.0;
	r->epoch_start = now_sec();
	if (r->opt->early_stop)
		track_best_(t, r, iter, whole);
}

/* --augment: images[0..n) distorted into r->augmented, by blocks of images on the pool's
 * threads (each image's distortion depends only on its key, not on who computes it). */
struct augment_job_ {
	const struct run_ *r;
	const uint8_t **images;
	int n, per_task;
	long step;
};

static void
augment_task_(void *arg, int task, int thread)
{
	const struct augment_job_ *job = arg;
	const struct run_ *r = job->r;
	const struct dataset *train = r->data->train;
	size_t in = (size_t)train->input_size;
	void *scratch = r->augment_scratch + (size_t)thread * r->augment_scratch_bytes;
	int i1 = (task + 1) * job->per_task < job->n ? (task + 1) * job->per_task : job->n;
	for (int i = task * job->per_task; i < i1; i++) {
		/* The next image, from anywhere in the training set, while this one is made. */
		for (size_t b = 0; i + 1 < i1 && b < in; b += 64)
			__builtin_prefetch(job->images[i + 1] + b);
		augment_image(r->augmented + i * in, job->images[i], train->rows, train->cols,
			      augment_key(r->opt->seed, job->step, i), scratch);
		job->images[i] = r->augmented + i * in;
	}
}

static void
augment_batch_(struct trainer *t, struct run_ *r, const uint8_t **images, int n, long step)
{
	struct pool *pool = t->use_fast ? t->fast.pool : NULL;
	int threads = pool ? pool_threads(pool) : 1;
	struct augment_job_ job = {r, images, n, (n + threads - 1) / threads, step};
	int tasks = (n + job.per_task - 1) / job.per_task;
	if (pool)
		pool_run(pool, augment_task_, &job, tasks);
	else
		for (int task = 0; task < tasks; task++)
			augment_task_(&job, task, 0);
}

/* One training step on the next batch; returns its loss. */
static float
step_(struct trainer *t, struct run_ *r, struct batches *b, struct rng *rng, size_t *rows,
      const uint8_t **images, uint8_t *labels, int it)
{
	const struct dataset *train = r->data->train;
	double start = now_sec();
	int n = batches_next(b, rng, rows);
	size_t in = (size_t)train->input_size;
	for (int i = 0; i < n; i++) {
		images[i] = train->pixels + rows[i] * in;
		labels[i] = train->labels[rows[i]];
	}
	if (r->opt->augment)
		augment_batch_(t, r, images, n, it);
	/* The schedule sets the rate before the step begins: Adam's corrected rate uses it. */
	r->lr = schedule_lr(&r->opt->schedule, it - 1);
	r->opt->optim->cfg.lr = r->lr;
	optim_begin_step(r->opt->optim);
	float loss = trainer_step(t, images, labels, n, r->opt->optim);
	r->epoch_train_s += now_sec() - start;
	r->epoch_samples += n;
	return loss;
}

/* Early stopping hands back the best epoch's weights rather than the last's (unless training
 * diverged: then the failure is what to report). They are evaluated again, so that the
 * numbers reported are those of the weights the net now holds. The weights it had reached
 * are kept for --save, since a resumed run goes on from those. */
static void
keep_best_(struct trainer *t, struct run_ *r, enum train_status status)
{
	struct train_result *res = r->result;
	if (status == TRAIN_DIVERGED || (r->best_epoch == 0 && !r->partial_best))
		return;
	if (r->partial_best) {
		res->best_epoch = res->epochs_done; /* whose weights and numbers these are */
		return;
	}
	if (r->best_iter != res->iters_done) {
		res->state.last = xmalloc(net_state_floats(t->net) * sizeof *res->state.last);
		net_state_save(t->net, res->state.last);
	}
	net_state_load(t->net, r->best_state);
	res->best_epoch = r->best_epoch;
	res->loss = r->best_loss;
	res->train = evaluate(t, r->data->train, 0);
	res->val = evaluate(t, r->data->val, 1);
	res->test = evaluate(t, r->data->test, 1);
}

/* Go on from a saved run: its counters, its unfinished epoch's sums, its epoch's order, its
 * best epoch and the weights it had reached, so that its next step runs as it would have.
 * Returns that step. */
static int
resume_(struct trainer *t, struct run_ *r, struct batches *b, const struct train_state *s)
{
	struct train_result *res = r->result;
	res->iters_done = s->iters_done;
	/* Epochs are numbered as in the run that never stopped, which evaluated only at the
	 * ends of whole epochs so far. */
	res->epochs_done = s->iters_done / r->epoch_iters;
	res->train_s = s->train_s;
	r->epoch_steps = s->epoch_steps;
	r->epoch_loss = s->epoch_loss;
	if (s->order)
		batches_restore(b, s->order, s->next);
	if (s->last)
		net_state_load(t->net, s->last);
	if (r->best_state && s->best_epoch > 0) {
		memcpy(r->best_state, s->best, net_state_floats(t->net) * sizeof *r->best_state);
		r->best_epoch = s->best_epoch;
		r->best_iter = s->best_epoch * r->epoch_iters;
		r->best_val_acc = s->best_val_acc;
		r->best_loss = s->best_loss;
	}
	return s->iters_done + 1;
}

/* Where the run stopped, into result->state for --save; the order and the best state move
 * there from b and r. */
static void
keep_state_(struct run_ *r, struct batches *b)
{
	struct train_state *s = &r->result->state;
	s->iters_done = r->result->iters_done;
	s->train_s = r->result->train_s;
	s->count = b->count;
	s->order = b->order;
	s->next = b->next;
	b->order = NULL;
	if (r->best_epoch > 0) {
		s->best_epoch = r->best_epoch;
		s->best_val_acc = r->best_val_acc;
		s->best_loss = r->best_loss;
		s->best = r->best_state;
		s->stopped = r->stop_early;
		r->best_state = NULL;
	}
}

/* The buffers early stopping and augmentation need. */
static void
run_alloc_(struct trainer *t, struct run_ *r)
{
	const struct train_options *opt = r->opt;
	const struct dataset *train = r->data->train;
	if (opt->early_stop)
		r->best_state = xmalloc(net_state_floats(t->net) * sizeof *r->best_state);
	if (opt->augment) {
		int threads = t->use_fast && t->fast.pool ? pool_threads(t->fast.pool) : 1;
		r->augmented = xmalloc((size_t)opt->batch * (size_t)train->input_size);
		r->augment_scratch_bytes = align_up(augment_scratch_bytes(train->rows, train->cols));
		r->augment_scratch = xmalloc(r->augment_scratch_bytes * (size_t)threads);
	}
}

/* The step's loss into the sums; at the first absurd one, says so and returns -1. */
static int
count_loss_(struct run_ *r, float loss, int it)
{
	if (!isfinite(loss) || loss > DIVERGED_LOSS) {
		warnf("training diverged: loss is %g at iteration %d (try a smaller --lr, or "
		      "smaller initial weights: --init-std or --init)", (double)loss, it);
		/* A run that diverges before its first evaluation has nothing measured but the
		 * loss that stopped it. */
		if (!r->evaluated)
			r->result->loss = isfinite(loss) ? loss : NAN;
		return -1;
	}
	r->result->iters_done = it;
	r->epoch_loss += loss;
	r->epoch_steps++;
	r->window_loss += loss;
	r->window_steps++;
	/* After a resume, the first window holds the steps since then. */
	if (r->opt->log_every > 0 && it % r->opt->log_every == 0) {
		report_step(r->rep, it, r->window_loss / r->window_steps);
		r->window_loss = 0.0;
		r->window_steps = 0;
	}
	return 0;
}

enum train_status
train_run(struct trainer *t, const struct train_data *data, const struct train_options *opt,
	  struct rng *rng, struct report *rep, struct train_result *result)
{
	struct batches b;
	batches_init(&b, opt->sampling, data->train->count, opt->batch);
	/* The batch stays bytes: the fast path reads the sampled images in place. */
	size_t *rows = xmalloc((size_t)opt->batch * sizeof *rows);
	const uint8_t **images = xmalloc((size_t)opt->batch * sizeof *images);
	uint8_t *labels = xmalloc((size_t)opt->batch);
	*result = (struct train_result){.loss = NAN, .train = {NAN, NAN}, .test = {NAN, NAN},
					.val = {NAN, NAN}};
	struct run_ r = {.data = data, .opt = opt, .rep = rep, .result = result,
			 .epoch_iters = batches_per_epoch(data->train->count, opt->batch),
			 .epoch_start = now_sec()};
	run_alloc_(t, &r);
	trainer_compact(t, data->train);
	trainer_compact(t, data->val);
	trainer_compact(t, data->test);
	int first = opt->resume ? resume_(t, &r, &b, opt->resume) : 1;
	enum train_status status = TRAIN_OK;
	for (int it = first; it <= opt->iters && !r.stop_early; it++) {
		report_progress(rep, it);
		float loss = step_(t, &r, &b, rng, rows, images, labels, it);
		if (count_loss_(&r, loss, it) != 0) {
			status = TRAIN_DIVERGED;
			break;
		}
		/* Checked only between steps, so an interrupt never leaves a half-applied update. */
		int stop = opt->stop && *opt->stop;
		if (it % r.epoch_iters == 0 || it == opt->iters || stop)
			end_epoch_(t, &r, it);
		if (stop) {
			status = TRAIN_INTERRUPTED;
			break;
		}
	}
	keep_best_(t, &r, status);
	keep_state_(&r, &b);
	free(r.best_state);
	free(r.augmented);
	free(r.augment_scratch);
	free(rows);
	free(images);
	free(labels);
	batches_free(&b);
	return status;
}
