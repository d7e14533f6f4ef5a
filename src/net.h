/* net.h: a feed-forward classifier as a list of the book's layer units:
 * Affine -> act -> Affine -> act -> ... -> Affine -> Softmax-with-Loss.
 * The book's two-layer net is dims = {784, 50, 10}: Affine, ReLU, Affine, Softmax-with-Loss.
 *
 * This is the reference: forward and backward are one loop over the list, each unit run by
 * its layer functions (src/layers.c) on the whole batch, on the calling thread. The fast path
 * (src/fast.c) runs the same list its own way and must produce the same bits. */
#ifndef BPTRAIN_NET_H
#define BPTRAIN_NET_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"

#define NET_MAX_AFFINE 8                   /* affine layers, so up to 7 hidden layers */
/* Batch normalization, an activation and dropout after each hidden affine layer, and the
 * loss. */
#define NET_MAX_LAYERS (4 * NET_MAX_AFFINE)

/* The running averages of batch normalization: running = m·running + (1 - m)·batch, with the
 * book's m. */
#define NET_BATCHNORM_MOMENTUM 0.9f

/* The first affine layer sums over its inputs in this many fixed blocks (affine_forward in
 * src/layers.h): the fast path gives each block's rows of W to one thread, for the forward
 * and the backward pass, so they never move between cores. Up to this many threads share
 * that layer. */
#define NET_INPUT_BLOCKS 4

enum activation { ACT_RELU, ACT_SIGMOID };

/* The initial weights of an affine layer with n_in inputs (chapter 6): N(0, std²) with std
 * given (the book's 0.01), Xavier's 1/√n_in, or He's √(2/n_in). Biases start at 0. */
enum weight_init { INIT_STD, INIT_XAVIER, INIT_HE };

enum layer_kind {
	LAYER_AFFINE,
	LAYER_BATCHNORM,
	LAYER_RELU,
	LAYER_SIGMOID,
	LAYER_DROPOUT,
	LAYER_SOFTMAX_XENT,
};

/* Training or evaluation: dropout drops units only in training, and batch normalization
 * uses the batch's statistics in training and the running averages in evaluation; backward
 * needs a forward pass in training mode. */
enum net_mode { NET_TRAIN, NET_EVAL };

/* How net_init builds the net beyond its sizes (chapter 6). */
struct net_options {
	enum weight_init init;
	float init_std;     /* the std of INIT_STD */
	float weight_decay; /* λ of the penalty ½λ‖W‖², 0: none */
	float dropout;      /* the rate p of a dropout unit after each hidden activation, 0: none */
	int batchnorm;      /* a batch normalization unit after each hidden affine layer */
	uint64_t seed;      /* for the dropout masks */
};

struct layer {
	enum layer_kind kind;
	int in, out; /* features per row, from the layer before and to the next */
	float *y;    /* (max_batch, out): the output, which backward reads back; for
	              * softmax-xent the probabilities */
	float *dx;   /* (max_batch, in): d loss / d input; NULL for the first layer */
	/* The parameters, views into net->params and net->grads: for LAYER_AFFINE W (in, out)
	 * and b (out); for LAYER_BATCHNORM γ (out) and β (out). NULL for the other kinds. */
	float *w, *b;
	float *dw, *db; /* the same shapes */
	int in_blocks;  /* the inputs are summed in this many blocks (affine_forward) */
	float *part;    /* (max_batch, out): affine_forward's scratch when in_blocks > 1 */
	/* LAYER_DROPOUT: the rate p. */
	float rate;
	/* LAYER_BATCHNORM: what forward saves, xn (max_batch, out) and std (out); the batch's
	 * mean and var (out); the running averages (out) that evaluation uses, part of the
	 * model; and the column sums (out) that backward's rows take dx from (see
	 * batchnorm_backward_sums). */
	float *xn, *std, *mean, *var;
	float *run_mean, *run_var;
	double *dxn_xn;
	float *dxc_mean;
};

struct net {
	int n_layers;
	struct layer layer[NET_MAX_LAYERS];

	/* The shape it was built from: dims[0] inputs, dims[n_affine] classes. */
	int n_affine;
	int dims[NET_MAX_AFFINE + 1];
	enum activation activation;
	int max_batch; /* the most rows a pass accepts */
	/* λ of the L2 penalty ½λ‖W‖² on the weights (not the biases) that the loss includes,
	 * as the book's weight decay does. */
	float weight_decay;
	/* Dropout's masks come from rng_hash of this seed, the training step, the unit's layer
	 * and its place in the batch (net_dropout_key). */
	uint64_t seed;
	long step; /* training forward passes so far: the step whose masks are in use */

	/* Parameters and gradients are two flat arrays with the same layout (W1 b1 W2 b2 ...),
	 * so an update is one loop (src/optim.h); the layers' w, b, dw, db point into them. */
	size_t n_params;
	float *params, *grads;

	enum net_mode mode; /* of the last forward pass */
	void *memory;       /* the one allocation everything above points into */
};

/* Build a net with layer sizes dims[0..n_affine]: weights drawn from rng layer by layer as
 * opt->init says, biases zero; dropout units and weight decay as opt says. Returns 0, or -1
 * (with a message) if the sizes are invalid. */
int net_init(struct net *net, const int *dims, int n_affine, enum activation activation,
	     int max_batch, const struct net_options *opt, struct rng *rng);

/* The key of the dropout masks of unit i in the current step (see struct net). */
uint64_t net_dropout_key(const struct net *net, int i);
void net_free(struct net *net);

/* Forward pass on x(n, dims[0]), n <= max_batch. With labels, the last unit computes the
 * softmax and the mean cross-entropy, which is returned plus the weight decay penalty;
 * without, the pass stops at the logits and returns 0 (NET_TRAIN needs labels). A NET_TRAIN
 * pass counts a step (net->step), which draws new dropout masks. */
float net_forward(struct net *net, const float *x, const uint8_t *labels, int n,
		  enum net_mode mode);

/* Backward pass filling net->grads (and every layer's dx); call it right after a NET_TRAIN
 * net_forward with the same x, labels and n. */
void net_backward(struct net *net, const float *x, const uint8_t *labels, int n);

/* The weight decay penalty ½λ Σ W² over every affine layer's weights, summed in double in
 * layer order and, within a layer, by its blocks of inputs (in_blocks, in order: the fast
 * path has each block's part taken by the thread whose cache holds that block); 0 when
 * weight_decay is 0. Both paths add it to the loss as (float). */
double net_penalty(const struct net *net);
/* The part of it of block j of layer i's inputs (the rows of its W). */
double net_penalty_block(const struct net *net, int i, int j);

/* The std of the initial weights of an affine layer with n_in inputs. */
double init_std_of(enum weight_init init, float init_std, int n_in);
const char *init_name(enum weight_init init);

/* The logits of the last forward pass, (n, classes). */
const float *net_logits(const struct net *net);

/* predicted(n) = argmax of each row of the logits of the last forward pass. */
void net_argmax(const struct net *net, uint8_t *predicted, int n);

/* The sum over the n rows, in row order, of the cross-entropy of the logits of the last
 * forward pass with labels: net_xent_row of each row. */
double net_xent_sum(const struct net *net, const uint8_t *labels, int n);
/* One row's term: the cross-entropy of k logits with label, computed in double. */
double net_xent_row(const float *logits, int k, int label);

/* What a trained net is beyond its shape: the parameters, then each batch normalization
 * unit's running mean and variance. net_state_floats counts the floats; save copies them
 * into buf, load from buf back into the net (early stopping keeps its best epoch so). */
size_t net_state_floats(const struct net *net);
void net_state_save(const struct net *net, float *buf);
void net_state_load(struct net *net, const float *buf);

/* The first layer of the given kind, or NULL (a net has batch normalization, dropout). */
const struct layer *net_first_of(const struct net *net, enum layer_kind kind);

/* Affine layer a (0 .. n_affine-1), whose parameters the book calls W(a+1) and b(a+1). */
const struct layer *net_affine(const struct net *net, int a);

const char *activation_name(enum activation activation);

#endif
