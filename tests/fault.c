/* fault.c: deliberately wrong backward formulas, to prove that `bptrain --gradcheck` can fail
 * and that training feels every one of them.
 *
 * Linked only into the test binary tests/bptrain-fault, with the linker's --wrap: the calls
 * that the training code (src/fast.c, and src/net.c for the reference path) makes to the
 * layer functions and the sparse weight gradient land here (__wrap_X), and __real_X is the
 * real function. The product's sources and binary have no fault hook at all. BPTRAIN_FAULT
 * picks the bug; unset, every wrapper just calls the real function.
 *
 *   softmax-mean        dlogits forgets the 1/n of the mean loss
 *   relu-mask           ReLU passes the gradient where its input was <= 0 too
 *   sigmoid-derivative  dx = dy·y instead of dy·y·(1 - y)
 *   bias-sum            db is the first row of dy instead of the sum over the batch
 *   weight-element      the largest |dW| element of each block of dW computed is 1% too big
 *                       (of each layer in the reference path; of each thread's block of
 *                       rows, or input block of the first layer, in the fast path)
 *   sparse-last-image   the first layer's sparse weight gradient leaves out the batch's
 *                       last image (an off-by-one in the fast path only)
 *   decay-sign          weight decay subtracts λ·w from dW instead of adding it
 *   dropout-scale       dropout's backward forgets the kept units' 1 / (1 - p)
 *   batchnorm-variance  batch normalization's backward divides by var + eps, not its root
 *
 * The __wrap_/__real_ names are the linker's convention, hence the reserved identifiers. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "layers.h"
#include "sparse.h"

void __real_softmax_xent_backward(float *dlogits, const float *probs, const uint8_t *labels,
				  int n, int k);
void __real_softmax_xent_backward_rows(float *dlogits, const float *probs, const uint8_t *labels,
				       int rows, int k, int n);
void __real_relu_backward(float *dx, const float *dy, const float *x, size_t len);
void __real_sigmoid_backward(float *dx, const float *dy, const float *y, size_t len);
void __real_affine_backward(float *dx, const float *dy, float *dw, float *db, const float *x,
			    const float *w, int n, int in, int out);
void __real_affine_backward_weight(float *dw, const float *dy, const float *x, int n, int in,
				   int out, int k0, int k1, void *scratch);
void __real_affine_backward_bias(float *db, const float *dy, int n, int out);
void __real_dropout_backward(float *dx, const float *dy, int rows, int cols, int row0,
			     uint64_t key, float p);
void __real_batchnorm_backward_sums(float *dgamma, float *dbeta, double *dxn_xn, float *dxc_mean,
				    const float *dy, const float *xn, const float *std,
				    const float *gamma, int n, int d, int j0, int j1);
void __real_batchnorm_backward_rows(float *dx, const float *dy, const float *xn, const float *std,
				    const float *gamma, const double *dxn_xn,
				    const float *dxc_mean, int n, int rows, int d);
void __real_l2_backward(float *dw, const float *w, size_t len, float lambda);
void __real_mm_sparse_tn(float *dW, int ldw, const struct mm_sparse *sp, int R, const float *dY,
			 int ldy, int N, void *scratch, size_t scratch_bytes);

void __wrap_softmax_xent_backward(float *dlogits, const float *probs, const uint8_t *labels,
				  int n, int k);
void __wrap_softmax_xent_backward_rows(float *dlogits, const float *probs, const uint8_t *labels,
				       int rows, int k, int n);
void __wrap_relu_backward(float *dx, const float *dy, const float *x, size_t len);
void __wrap_sigmoid_backward(float *dx, const float *dy, const float *y, size_t len);
void __wrap_affine_backward(float *dx, const float *dy, float *dw, float *db, const float *x,
			    const float *w, int n, int in, int out);
void __wrap_affine_backward_weight(float *dw, const float *dy, const float *x, int n, int in,
				   int out, int k0, int k1, void *scratch);
void __wrap_affine_backward_bias(float *db, const float *dy, int n, int out);
void __wrap_dropout_backward(float *dx, const float *dy, int rows, int cols, int row0,
			     uint64_t key, float p);
void __wrap_batchnorm_backward_sums(float *dgamma, float *dbeta, double *dxn_xn, float *dxc_mean,
				    const float *dy, const float *xn, const float *std,
				    const float *gamma, int n, int d, int j0, int j1);
void __wrap_batchnorm_backward_rows(float *dx, const float *dy, const float *xn, const float *std,
				    const float *gamma, const double *dxn_xn,
				    const float *dxc_mean, int n, int rows, int d);
void __wrap_l2_backward(float *dw, const float *w, size_t len, float lambda);
void __wrap_mm_sparse_tn(float *dW, int ldw, const struct mm_sparse *sp, int R, const float *dY,
			 int ldy, int N, void *scratch, size_t scratch_bytes);

static int
fault_is_(const char *name)
{
	const char *fault = getenv("BPTRAIN_FAULT");
	return fault && strcmp(fault, name) == 0;
}

/* weight-element: make the largest |element| of rows of dw (len values) 1% too big. */
static void
bump_largest_(float *dw, size_t len)
{
	if (!fault_is_("weight-element") || len == 0)
		return;
	size_t largest = 0;
	for (size_t i = 1; i < len; i++)
		if (fabsf(dw[i]) > fabsf(dw[largest]))
			largest = i;
	dw[largest] *= 1.01f;
}

void
__wrap_softmax_xent_backward(float *dlogits, const float *probs, const uint8_t *labels, int n,
			     int k)
{
	__real_softmax_xent_backward(dlogits, probs, labels, n, k);
	if (fault_is_("softmax-mean"))
		for (size_t i = 0; i < (size_t)n * k; i++)
			dlogits[i] *= (float)n;
}

void
__wrap_softmax_xent_backward_rows(float *dlogits, const float *probs, const uint8_t *labels,
				  int rows, int k, int n)
{
	__real_softmax_xent_backward_rows(dlogits, probs, labels, rows, k, n);
	if (fault_is_("softmax-mean"))
		for (size_t i = 0; i < (size_t)rows * k; i++)
			dlogits[i] *= (float)n;
}

void
__wrap_relu_backward(float *dx, const float *dy, const float *x, size_t len)
{
	if (fault_is_("relu-mask"))
		memcpy(dx, dy, len * sizeof *dx);
	else
		__real_relu_backward(dx, dy, x, len);
}

void
__wrap_sigmoid_backward(float *dx, const float *dy, const float *y, size_t len)
{
	if (!fault_is_("sigmoid-derivative")) {
		__real_sigmoid_backward(dx, dy, y, len);
		return;
	}
	for (size_t i = 0; i < len; i++)
		dx[i] = dy[i] * y[i];
}

void
__wrap_affine_backward(float *dx, const float *dy, float *dw, float *db, const float *x,
		       const float *w, int n, int in, int out)
{
	__real_affine_backward(dx, dy, dw, db, x, w, n, in, out);
	if (fault_is_("bias-sum"))
		memcpy(db, dy, (size_t)out * sizeof *db);
	bump_largest_(dw, (size_t)in * out);
}

void
__wrap_affine_backward_weight(float *dw, const float *dy, const float *x, int n, int in, int out,
			      int k0, int k1, void *scratch)
{
	__real_affine_backward_weight(dw, dy, x, n, in, out, k0, k1, scratch);
	bump_largest_(dw + (size_t)k0 * out, (size_t)(k1 - k0) * out);
}

void
__wrap_affine_backward_bias(float *db, const float *dy, int n, int out)
{
	__real_affine_backward_bias(db, dy, n, out);
	if (fault_is_("bias-sum"))
		memcpy(db, dy, (size_t)out * sizeof *db);
}

void
__wrap_mm_sparse_tn(float *dW, int ldw, const struct mm_sparse *sp, int R, const float *dY,
		    int ldy, int N, void *scratch, size_t scratch_bytes)
{
	if (fault_is_("sparse-last-image"))
		R--;
	__real_mm_sparse_tn(dW, ldw, sp, R, dY, ldy, N, scratch, scratch_bytes);
	/* The caller's rows of dW are contiguous when ldw is N, as in training. */
	bump_largest_(dW + (size_t)sp->k0 * ldw, (size_t)sp->K * ldw);
}

void
__wrap_l2_backward(float *dw, const float *w, size_t len, float lambda)
{
	__real_l2_backward(dw, w, len, fault_is_("decay-sign") ? -lambda : lambda);
}

void
__wrap_dropout_backward(float *dx, const float *dy, int rows, int cols, int row0, uint64_t key,
			float p)
{
	__real_dropout_backward(dx, dy, rows, cols, row0, key, p);
	if (fault_is_("dropout-scale"))
		for (size_t i = 0; i < (size_t)rows * cols; i++)
			dx[i] *= 1.0f - p;
}

/* batchnorm-variance: both parts of the backward pass are given var (std²) for std. */
static float *
variance_(const float *std, int d)
{
	float *var = malloc((size_t)d * sizeof *var);
	for (int j = 0; j < d; j++)
		var[j] = std[j] * std[j];
	return var;
}

void
__wrap_batchnorm_backward_sums(float *dgamma, float *dbeta, double *dxn_xn, float *dxc_mean,
			       const float *dy, const float *xn, const float *std,
			       const float *gamma, int n, int d, int j0, int j1)
{
	float *var = fault_is_("batchnorm-variance") ? variance_(std, d) : NULL;
	__real_batchnorm_backward_sums(dgamma, dbeta, dxn_xn, dxc_mean, dy, xn, var ? var : std,
				       gamma, n, d, j0, j1);
	free(var);
}

void
__wrap_batchnorm_backward_rows(float *dx, const float *dy, const float *xn, const float *std,
			       const float *gamma, const double *dxn_xn, const float *dxc_mean,
			       int n, int rows, int d)
{
	float *var = fault_is_("batchnorm-variance") ? variance_(std, d) : NULL;
	__real_batchnorm_backward_rows(dx, dy, xn, var ? var : std, gamma, dxn_xn, dxc_mean, n,
				       rows, d);
	free(var);
}
