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

/* y(n,out) = x(n,in) · w(in,out) + b(out) */
void affine_forward(float *y, const float *x, const float *w, const float *b, int n, int in,
		    int out);
/* dx(n,in) = dy·wᵀ, dw(in,out) = xᵀ·dy, db(out) = column sums of dy.
 * dx may be NULL when nothing upstream needs it (the first layer). */
void affine_backward(float *dx, const float *dy, float *dw, float *db, const float *x,
		     const float *w, int n, int in, int out);

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
/* dlogits(n,k) = (probs - onehot(labels)) / n: softmax and cross-entropy fused, and the /n
 * because the loss is a mean over the batch. */
void softmax_xent_backward(float *dlogits, const float *probs, const uint8_t *labels, int n, int k);
/* The same for `rows` rows of a batch of n, so that blocks of rows can go in parallel. */
void softmax_xent_backward_rows(float *dlogits, const float *probs, const uint8_t *labels,
				int rows, int k, int n);

#endif
