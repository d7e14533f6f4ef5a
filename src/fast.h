/* fast.h: the fast path, which runs a net's layer list (src/net.h) on byte images with the
 * tricks that make training fast, and produces the reference path's bits:
 *  - the first layer reads the images' nonzero pixels only (src/sparse.h), forward and for
 *    its weight gradient, with no float copy of the batch; the data sets are compacted
 *    once (fast_compact_set), so no step or evaluation compacts their images again;
 *  - that layer's input blocks (NET_INPUT_BLOCKS) are placed on fixed threads, so each
 *    block of W1 stays in one core's cache, forward and backward;
 *  - the rest of the forward pass and the row-local part of the backward pass run per block
 *    of rows, in one round of the thread pool;
 *  - each block of gradients is handed to the optimizer by the thread that computed it,
 *    while it is still in that core's cache.
 * Each element of every result is computed by the same chain of operations as in the
 * reference, whatever the thread count; tests/test_fast.c compares them bit for bit. */
#ifndef BPTRAIN_FAST_H
#define BPTRAIN_FAST_H

#include <stddef.h>
#include <stdint.h>

#include "net.h"
#include "optim.h"
#include "pool.h"
#include "sparse.h"

/* A data set's images compacted once for the net's input blocks: image i's block j is
 * entries start[i * NET_INPUT_BLOCKS + j] up to start[i * NET_INPUT_BLOCKS + j + 1]. */
struct fast_set {
	const uint8_t *pixels; /* the `count` images it was made from */
	size_t count;
	size_t *start;
	struct mm_sparse_entry *entry;
};

/* Training, validation and test. */
#define FAST_MAX_SETS 3

/* Where a row of the batch comes from: image `index` of `set`, or no set (NULL). */
struct fast_where {
	const struct fast_set *set;
	size_t index;
};

struct fast {
	struct net *net;
	struct pool *pool; /* NULL: everything runs on the calling thread, with `scratch` */
	void *scratch;
	/* Input block j of the first layer is inputs in_block[j] .. in_block[j+1]-1. */
	int in_block[NET_INPUT_BLOCKS + 1];
	/* The batch's images as nonzero pixels, per input block: pointing into a compacted
	 * set or compacted by the forward pass, read again for the weight gradient. */
	struct mm_sparse sparse[NET_INPUT_BLOCKS];
	struct fast_set set[FAST_MAX_SETS];
	int n_sets;
	/* (max_batch, dims[1]): the first layer's blocks that a task does not add to the bias
	 * itself (see blocks_per_task_ in fast.c) */
	float *part[NET_INPUT_BLOCKS - 1];
	double *row_loss;                  /* (max_batch): each row's loss, summed in row order */
	/* (dims[0], w1_ld): the W1 evaluation reads, its rows padded to whole cache lines
	 * (ALIGN_BYTES) so that fewer loads of the sparse product straddle two of them (10%
	 * faster at 50 wide), its changed rows copied for each evaluation; NULL when W1's
	 * rows are whole lines already */
	float *w1;
	int w1_ld;
	struct fast_where *where;          /* (max_batch): the step's rows, looked up once */
	/* With weight decay, the first layer's blocks' parts of the step's penalty, each taken
	 * by the thread that holds the block (see net_penalty) */
	double penalty_part[NET_INPUT_BLOCKS];
	void *memory;                      /* the one allocation the pointers above are in */
};

/* Whether the fast path can run this net (1) or the reference path must (0). */
int fast_supports(const struct net *net);

/* Bytes of scratch memory each thread of the pool needs, for a net with `inputs` inputs. */
size_t fast_scratch_bytes(int inputs);

/* Set up the fast path for net (which must be supported) on pool, or on the calling thread
 * alone when pool is NULL. Batches may have up to net->max_batch rows. */
void fast_init(struct fast *f, struct net *net, struct pool *pool);
void fast_free(struct fast *f);

/* Compact `count` images of dims[0] bytes at pixels, once: every later step and evaluation
 * reads an image at pixels + i * dims[0] from the compacted copy (the images must stay, and
 * not change, while f is in use). Past FAST_MAX_SETS sets, images are compacted as they are
 * used. */
void fast_compact_set(struct fast *f, const uint8_t *pixels, size_t count);

/* One training step on n images, row i being the dims[0] bytes at images[i] (pixel p is the
 * input p / 255, as images_to_floats makes it), with labels(n): the forward pass in training
 * mode, the backward pass into net->grads (and every layer's y and dx, as the reference
 * leaves them), and, when opt is not NULL, the parameter update. Returns the mean loss. */
float fast_step(struct fast *f, const uint8_t *const *images, const uint8_t *labels, int n,
		const struct optim *opt);

/* The forward pass in evaluation mode up to the logits (net_logits), for n images. */
void fast_logits(struct fast *f, const uint8_t *const *images, int n);
/* The same, and the sum of the rows' cross-entropies with labels(n): net_xent_sum's value,
 * bit for bit, each row's term computed by the thread that ran the row (a million rows of
 * exp and log per run of the book's net would otherwise wait on one thread). */
double fast_logits_xent(struct fast *f, const uint8_t *const *images, const uint8_t *labels,
			int n);

#endif
