/* train.h: minibatch SGD with per-epoch evaluation on the full train, validation and test
 * sets. */
#ifndef BPTRAIN_TRAIN_H
#define BPTRAIN_TRAIN_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "batches.h"
#include "idx.h"
#include "fast.h"
#include "net.h"
#include "optim.h"
#include "report.h"
#include "rng.h"
#include "schedule.h"

/* Rows per forward pass when evaluating a whole set: enough for every thread to get
 * several blocks of rows, small enough that activations stay a few MB. */
#define EVAL_CHUNK 1000

/* How a net is run: by the fast path when it covers the net (src/fast.h), else by the
 * reference layer loop (src/net.h) on the batch gathered into floats. Both give the same
 * bits; training, evaluation and --gradcheck all go through here, so the gradient checked is
 * the one training uses. */
struct trainer {
	struct net *net;
	int use_fast;
	struct fast fast; /* when use_fast */
	float *x;         /* (max_batch, inputs) for the reference path, else NULL */
};

/* Bytes of scratch memory each thread of the pool needs, for a net with `inputs` inputs. */
size_t trainer_scratch_bytes(int inputs);

/* Set t up for net, on pool (NULL: the calling thread only). */
void trainer_init(struct trainer *t, struct net *net, struct pool *pool);
void trainer_free(struct trainer *t);

/* Prepare ds's images once for every later step and evaluation of t that reads them (the
 * fast path's compacted copy, fast_compact_set); ds may be NULL. */
void trainer_compact(struct trainer *t, const struct dataset *ds);

/* One step's forward and backward on n images (pointers to their bytes) with labels: the
 * gradients land in net->grads, and, when opt is not NULL, the parameters are updated.
 * Returns the mean loss. */
float trainer_step(struct trainer *t, const uint8_t *const *images, const uint8_t *labels,
		   int n, const struct optim *opt);

/* Where a run stands between two steps, beyond its net, optimizer and sampling generator:
 * what --save keeps so that --resume can go on exactly as the run would have. */
struct train_state {
	int iters_done;
	int epoch_steps;   /* steps of the unfinished epoch (0 at an epoch's end) ... */
	double epoch_loss; /* ... and their summed training loss */
	double train_s;    /* seconds spent in steps so far */
	/* SAMPLING_SHUFFLE: the epoch's permutation of the `count` training rows, and where
	 * the next batch starts in it; order is NULL for SAMPLING_REPLACE. */
	size_t *order;
	size_t count, next;
	/* early_stop: the best of the whole epochs evaluated so far (0: none yet), its val_acc
	 * and mean training loss and its net state (net_state_save); and whether early
	 * stopping ended the run. An evaluation after a partial epoch (the run's last step, or
	 * an interrupt) is not among them: a resumed run does not make it. */
	int best_epoch;
	double best_val_acc, best_loss;
	float *best;
	int stopped;
	/* The net's state after the last step when the net now holds another (early stopping
	 * put back the best epoch's), else NULL. */
	float *last;
};

/* Free what train_run put in a train_state (order, best and last). */
void train_state_free(struct train_state *s);

struct train_options {
	int iters;            /* steps */
	int batch;            /* samples per step */
	enum sampling sampling;
	struct schedule schedule; /* each step's learning rate */
	int early_stop;       /* stop after this many epochs without a better val_acc; 0: never */
	int augment;          /* distort every training image (src/augment.h) ... */
	uint64_t seed;        /* ... as this seed draws it */
	struct optim *optim;  /* the update after each step */
	int log_every;        /* a step record every this many steps (report_step); 0: none */
	/* Set non-zero (by a signal handler) to stop after the current step; NULL: never. */
	volatile sig_atomic_t *stop;
	/* A saved run to go on from at step resume->iters_done + 1 (the net, optimizer and
	 * generator given as it left them; resume->last, if set, is put into the net), or NULL
	 * for a new run. Its epoch sums, order and best epoch are copied, not kept. */
	const struct train_state *resume;
};

/* How train_run ended. */
enum train_status {
	TRAIN_OK = 0,
	TRAIN_DIVERGED,    /* the loss stopped being finite (a message was printed) */
	TRAIN_INTERRUPTED, /* *opt->stop was set: the state so far was evaluated and printed */
};

/* A set's accuracy and mean cross-entropy (without the weight decay penalty). */
struct eval_result {
	double acc, loss;
};

/* The images a run uses: it trains on train, and evaluates on all three after each epoch;
 * val->count may be 0 (no --val). */
struct train_data {
	const struct dataset *train, *val, *test;
};

struct train_result {
	int iters_done;
	int epochs_done;  /* evaluations, the last of them perhaps after a partial epoch */
	/* With early_stop: the epoch of the best val_acc, whose weights the net holds after
	 * train_run and whose numbers the result has; else 0. */
	int best_epoch;
	double loss;      /* mean training loss over the epoch */
	struct eval_result train, val, test; /* after the epoch; val NaN without validation */
	double train_s;   /* seconds spent in SGD steps, evaluation excluded */
	/* Where the run stopped, for --save; the caller frees it with train_state_free. */
	struct train_state state;
};

/* x(n, in) = images[0..n) (pointers to `in` bytes each) as floats p / 255: the net's input
 * values, which the fast path and the sparse kernels reproduce from the bytes. */
void images_to_floats(float *x, const uint8_t *const *images, int n, int in);

/* How well the net does on ds, evaluated EVAL_CHUNK images at a time; the net must have
 * max_batch >= EVAL_CHUNK (or >= ds->count). NaN for an empty set. The loss is NaN unless
 * with_loss: no output shows the training set's, and its exp and log per image and class
 * would be a tenth of the default run. */
struct eval_result evaluate(struct trainer *t, const struct dataset *ds, int with_loss);

/* Train t's net, handing rep a record per epoch (and one for the state at an interrupt) and a
 * progress tick per iteration. The result is filled whatever the status. */
enum train_status train_run(struct trainer *t, const struct train_data *data,
			    const struct train_options *opt, struct rng *rng, struct report *rep,
			    struct train_result *result);

#endif
