/* train.h: minibatch SGD with per-epoch evaluation on the full train and test sets. */
#ifndef BPTRAIN_TRAIN_H
#define BPTRAIN_TRAIN_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "idx.h"
#include "fast.h"
#include "net.h"
#include "optim.h"
#include "report.h"
#include "rng.h"

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

/* One step's forward and backward on n images (pointers to their bytes) with labels: the
 * gradients land in net->grads, and, when opt is not NULL, the parameters are updated.
 * Returns the mean loss. */
float trainer_step(struct trainer *t, const uint8_t *const *images, const uint8_t *labels,
		   int n, const struct optim *opt);

struct train_options {
	int iters;          /* steps */
	int batch;          /* samples per step, drawn uniformly with replacement */
	struct optim *optim; /* the update after each step */
	int log_every;       /* a step record every this many steps (report_step); 0: none */
	/* Set non-zero (by a signal handler) to stop after the current step; NULL: never. */
	volatile sig_atomic_t *stop;
};

/* How train_run ended. */
enum train_status {
	TRAIN_OK = 0,
	TRAIN_DIVERGED,    /* the loss stopped being finite (a message was printed) */
	TRAIN_INTERRUPTED, /* *opt->stop was set: the state so far was evaluated and printed */
};

struct train_result {
	int iters_done;
	double loss;      /* mean training loss over the last epoch */
	double train_acc; /* on the full training set after the last step */
	double test_acc;  /* on the full test set after the last step */
	double train_s;   /* seconds spent in SGD steps, evaluation excluded */
	/* When the run stopped before its epoch's end (an interrupt): that epoch's steps and
	 * their summed loss, which a resumed run goes on from; 0 and 0 at an epoch's end. */
	int epoch_steps;
	double epoch_loss;
};

/* x(n, in) = images[0..n) (pointers to `in` bytes each) as floats p / 255: the net's input
 * values, which the fast path and the sparse kernels reproduce from the bytes. */
void images_to_floats(float *x, const uint8_t *const *images, int n, int in);

/* Fraction of ds that the net classifies correctly, evaluated EVAL_CHUNK images at a time;
 * the net must have max_batch >= EVAL_CHUNK (or >= ds->count). */
double evaluate(struct trainer *t, const struct dataset *ds);

/* Train t's net, handing rep a record per epoch (and one for the state at an interrupt) and a
 * progress tick per iteration. The result is filled whatever the status. */
enum train_status train_run(struct trainer *t, const struct dataset *train,
			    const struct dataset *test, const struct train_options *opt,
			    struct rng *rng, struct report *rep, struct train_result *result);

#endif
