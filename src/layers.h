/* layers.h: the book's layers as stateless forward/backward pairs over caller-owned buffers.
 *
 * Conventions: outputs first, then inputs and weights, then sizes. Data is batch-major:
 * n rows (samples) of `in` or `out` features. W is stored (in, out) as in the book.
 * Unlike the GEMM kernels, layer functions OVERWRITE their outputs and gradients: the network
 * is a pure chain without weight sharing, so there is no zero-grad step to forget.
 * Whatever backward needs (the input x, or a saved output y) is passed back in by the caller,
 * so no layer keeps hidden state. */
#ifndef BPTRAIN_LAYERS_H
#define BPTRAIN_LAYERS_H

#include <stddef.h>
#include <stdint.h>

/* y(n,out) = x(n,in) · w(in,out) + b(out).
 * The sum over the inputs is taken in `blocks` fixed blocks of inputs (affine_block_start):
 * each block's sum is a chain of its own, the first starting from the bias, and the block
 * sums are then added in order. With blocks = 1 it is the plain product. The blocks are
 * part of the layer's arithmetic, not of how it is run: they let the fast path (src/fast.c)
 * give each block's rows of w to one thread and still produce these bits. part(n,out) is
 * scratch for the later blocks' sums; it may be NULL when blocks is 1. */
void affine_forward(float *y, float *part, const float *x, const float *w, const float *b, int n,
		    int in, int out, int blocks);
/* The first input of block j of `blocks` (j = blocks gives in). Blocks start at multiples of
 * AFFINE_BLOCK_ALIGN inputs, so that each block's rows of w begin on a 64-byte cache line
 * and the threads that own neighbouring blocks (src/fast.c) never write to the same line. */
#define AFFINE_BLOCK_ALIGN 16
int affine_block_start(int in, int blocks, int j);
/* dx(n,in) = dy·wᵀ, dw(in,out) = xᵀ·dy, db(out) = column sums of dy.
 * dx may be NULL when nothing upstream needs it (the first layer). */
void affine_backward(float *dx, const float *dy, float *dw, float *db, const float *x,
		     const float *w, int n, int in, int out);
/* Two parts of affine_backward for callers that split the work over threads (src/fast.c):
 * rows k0..k1-1 of dw = xᵀ·dy, with scratch of mm_scratch_bytes(); and db. Same bits. */
void affine_backward_weight(float *dw, const float *dy, const float *x, int n, int in, int out,
			    int k0, int k1, void *scratch);
void affine_backward_bias(float *db, const float *dy, int n, int out);

/* y = max(0, x), elementwise over len values. */
void relu_forward(float *y, const float *x, size_t len);
/* dx = dy where x > 0, else 0; x is the forward INPUT, so no mask buffer is needed. */
void relu_backward(float *dx, const float *dy, const float *x, size_t len);

/* y = 1 / (1 + exp(-x)), elementwise. */
void sigmoid_forward(float *y, const float *x, size_t len);
/* dx = dy · y · (1 - y), where y is the forward OUTPUT. */
void sigmoid_backward(float *dx, const float *dy, const float *y, size_t len);

/* probs(n,k) = softmax of each row of logits(n,k), computed stably (row max subtracted).
 * Returns the mean cross-entropy -1/n Σ log probs[i, labels[i]]. */
float softmax_xent_forward(float *probs, const float *logits, const uint8_t *labels, int n, int k);
/* The same for `rows` rows of a batch, so that blocks of rows can go in parallel: each row's
 * cross-entropy goes to loss(rows), in double. Their sum in row order, divided by the batch
 * size, is softmax_xent_forward's value, bit for bit. */
void softmax_xent_forward_rows(float *probs, double *loss, const float *logits,
			       const uint8_t *labels, int rows, int k);
/* dlogits(n,k) = (probs - onehot(labels)) / n: softmax and cross-entropy fused, and the /n
 * because the loss is a mean over the batch. */
void softmax_xent_backward(float *dlogits, const float *probs, const uint8_t *labels, int n, int k);
/* The same for `rows` rows of a batch of n. */
void softmax_xent_backward_rows(float *dlogits, const float *probs, const uint8_t *labels,
				int rows, int k, int n);

/* Batch normalization (the book's BatchNormalization) over the n rows of x(n,d): xn = (x -
 * mean) / std with the batch's mean and std = √(var + BATCHNORM_EPS), and y = γ·xn + β.
 * Each pass comes in two parts, the columns' sums and the work of each element, so that
 * threads can take the sums by blocks of columns and the elements by blocks of rows: two
 * threads writing different columns of the same rows would share their cache lines (a row
 * of 50 floats has both halves' columns on one line). Every column is independent, so any
 * split gives the bits of one call over the whole batch.
 *  - batchnorm_stats: the mean(d) and var(d) of columns j0 .. j1-1 (for the running
 *    averages) and their std(d); sums in double, in row order.
 *  - batchnorm_normalize: xn and y for `rows` rows (x, xn and y at the first of them);
 *    backward reads xn(n,d) and std(d). */
#define BATCHNORM_EPS 1e-6f
void batchnorm_stats(float *std, float *mean, float *var, const float *x, int n, int d, int j0,
		     int j1);
void batchnorm_normalize(float *y, float *xn, const float *x, const float *mean, const float *std,
			 const float *gamma, const float *beta, int rows, int d);
/* run = momentum·run + (1 - momentum)·batch for the mean and var of columns j0 .. j1-1. */
void batchnorm_update_running(float *run_mean, float *run_var, const float *mean,
			      const float *var, float momentum, int j0, int j1);
/* Evaluation: the same with the running mean and var instead of the batch's; each element
 * on its own, so any block of rows may go alone. */
void batchnorm_forward_eval(float *y, const float *x, const float *gamma, const float *beta,
			    const float *mean, const float *var, int n, int d);
/* Backward through the book's computational graph, in the same two parts:
 *  - batchnorm_backward_sums: for columns j0 .. j1-1 of the batch of n, dgamma(d) = Σ xn·dy
 *    and dbeta(d) = Σ dy, and what each element's dx needs: dxn_xn(d) = Σ dxn·xn (dxn =
 *    γ·dy), in double, and dxc_mean(d), the column mean of dx before it is centred;
 *  - batchnorm_backward_rows: dx for `rows` rows of the batch of n (dx, dy and xn at the
 *    first of them), from those. */
void batchnorm_backward_sums(float *dgamma, float *dbeta, double *dxn_xn, float *dxc_mean,
			     const float *dy, const float *xn, const float *std, const float *gamma,
			     int n, int d, int j0, int j1);
void batchnorm_backward_rows(float *dx, const float *dy, const float *xn, const float *std,
			     const float *gamma, const double *dxn_xn, const float *dxc_mean,
			     int n, int rows, int d);

/* Inverted dropout over rows row0.. of a batch, `cols` units each: a unit is kept, and
 * scaled by 1 / (1 - p), unless rng_hash(key, row * cols + unit) falls in the lowest fraction
 * p of its range; dropped units are 0. The mask depends on nothing but the key and the unit's
 * place in the batch. */
void dropout_forward(float *y, const float *x, int rows, int cols, int row0, uint64_t key,
		     float p);
/* dx = dy through the same mask and scale. */
void dropout_backward(float *dx, const float *dy, int rows, int cols, int row0, uint64_t key,
		      float p);
/* Whether dropout with key and p keeps element e (row * cols + unit) of the batch. */
int dropout_keeps(uint64_t key, float p, uint64_t e);

/* The L2 penalty of weight decay over len weights: ½λ Σ w², summed in order in double. */
double l2_forward(const float *w, size_t len, float lambda);
/* Its gradient, added to the loss's: dw += λ·w. */
void l2_backward(float *dw, const float *w, size_t len, float lambda);

#endif
