/* net.h: a feed-forward classifier built as a chain of layers:
 * Affine -> act -> Affine -> act -> ... -> Affine -> Softmax-with-Loss.
 * The book's two-layer net is dims = {784, 50, 10}. */
#ifndef BPTRAIN_NET_H
#define BPTRAIN_NET_H

#include <stddef.h>
#include <stdint.h>

#include "matmul.h"
#include "pool.h"
#include "rng.h"

#define NET_MAX_LAYERS 8 /* affine layers, so up to 7 hidden layers */

/* The first layer's product X·W sums over its inputs in this many fixed blocks of inputs:
 * each block's sum is a chain of its own (the first one starting from the bias), and the
 * blocks are then added in order. A thread owns a block's rows of W for the forward and
 * the backward pass, so they never move between cores; as the blocks do not depend on the
 * thread count, neither do the results. Up to this many threads share that product. */
#define NET_INPUT_BLOCKS 4

enum activation { ACT_RELU, ACT_SIGMOID };

struct net {
	int n_layers;                 /* affine layers = hidden layers + 1 */
	int dims[NET_MAX_LAYERS + 1]; /* dims[0] inputs, dims[n_layers] classes */
	int max_batch;                /* the most rows forward/backward accept */
	enum activation activation;

	/* Parameters and gradients are two flat arrays with the same layout (w0 b0 w1 b1 ...),
	 * so the SGD step is one loop; w[l], b[l], dw[l], db[l] point into them. */
	size_t n_params;
	float *params, *grads;
	float *w[NET_MAX_LAYERS];  /* (dims[l], dims[l+1]) */
	float *b[NET_MAX_LAYERS];  /* (dims[l+1]) */
	float *dw[NET_MAX_LAYERS];
	float *db[NET_MAX_LAYERS];

	/* Activations saved by forward for backward, each (max_batch, dims[l+1]). */
	float *z[NET_MAX_LAYERS];  /* affine outputs; z[n_layers-1] are the logits */
	float *a[NET_MAX_LAYERS];  /* activation outputs, hidden layers only */
	float *probs;              /* softmax of the logits */
	float *dz[NET_MAX_LAYERS]; /* d loss / d z[l] */
	float *da[NET_MAX_LAYERS]; /* d loss / d a[l], hidden layers only */
	float *row_loss;           /* (max_batch) loss of each row, summed in row order */
	/* The first layer's input blocks: block j is inputs in_block[j] .. in_block[j+1]-1,
	 * and its partial product goes to z[0] (j = 0) or part[j-1] (max_batch, dims[1]). */
	int in_block[NET_INPUT_BLOCKS + 1];
	float *part[NET_INPUT_BLOCKS - 1];

	/* Threads for forward and backward, owned by the caller: set it after net_init, or
	 * leave it NULL to run everything on the calling thread (using `scratch`). Every
	 * result is bitwise the same for any number of threads. */
	struct pool *pool;
	void *scratch;             /* mm_scratch_bytes() for the single-threaded case */

	/* Byte inputs (net_forward_bytes) compacted to their nonzero pixels, one set of
	 * max_batch rows per input block, kept for the weight gradient of the backward pass. */
	struct mm_sparse sparse[NET_INPUT_BLOCKS];
	/* Set by net_forward_bytes with labels, which then also runs the backward pass's
	 * row-by-row part (down to dz[0]); the next backward call skips it. */
	int rows_backward_done;

	void *block; /* the one allocation everything above points into */
};

/* Bytes of scratch memory each thread of net->pool needs, for a net with `inputs` inputs. */
size_t net_scratch_bytes(int inputs);

/* Build a net with layer sizes dims[0..n_layers]: weights from N(0, init_std²) drawn from rng
 * layer by layer, biases zero. Returns 0, or -1 (with a message) if the sizes are invalid. */
int net_init(struct net *net, const int *dims, int n_layers, enum activation activation,
	     int max_batch, float init_std, struct rng *rng);
void net_free(struct net *net);

/* Forward pass on x(n, dims[0]), n <= max_batch. With labels, also computes the softmax and
 * returns the mean cross-entropy loss; with labels NULL, stops at the logits and returns 0. */
float net_forward(struct net *net, const float *x, const uint8_t *labels, int n);

/* Backward pass filling net->grads; call it right after net_forward with the same x, labels,
 * n. This float path runs the whole-batch layer functions on the calling thread. */
void net_backward(struct net *net, const float *x, const uint8_t *labels, int n);

/* The same two passes with the input given as byte images, row i being the dims[0] bytes at
 * rows[i], scaled to p / 255 as dataset_gather does. The first layer visits only nonzero
 * pixels (for MNIST about 80% are zero), and the work is split over net->pool; results are
 * the same bits as net_forward and net_backward on the gathered floats. */
float net_forward_bytes(struct net *net, const uint8_t *const *rows, const uint8_t *labels,
			int n);
void net_backward_bytes(struct net *net, const uint8_t *const *rows, const uint8_t *labels,
			int n);
/* net_backward_bytes then net_sgd_step(lr), fused: each block of gradients is applied by
 * the thread that computed it, while it is still in that core's cache. Same results. */
void net_backward_sgd_bytes(struct net *net, const uint8_t *const *rows, const uint8_t *labels,
			    int n, float lr);

/* params -= lr * grads */
void net_sgd_step(struct net *net, float lr);

/* predicted(n) = argmax of each row of the logits of the last forward pass. */
void net_argmax(const struct net *net, uint8_t *predicted, int n);

const char *activation_name(enum activation activation);

#endif
