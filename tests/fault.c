/* fault.c: deliberately wrong backward formulas, to prove that `bptrain --gradcheck` can fail.
 *
 * Linked only into the test binary tests/bptrain-fault, with the linker's --wrap: net.o's
 * calls to the layer backward functions land here (__wrap_X), and __real_X is the real layer.
 * The product's sources and binary have no fault hook at all. BPTRAIN_FAULT picks the bug;
 * unset, every wrapper just calls the real layer.
 *
 *   softmax-mean        dlogits forgets the 1/n of the mean loss
 *   relu-mask           ReLU passes the gradient where its input was <= 0 too
 *   sigmoid-derivative  dx = dy·y instead of dy·y·(1 - y)
 *   bias-sum            db is the first row of dy instead of the sum over the batch
 *   weight-element      the largest |dW| element of every layer is 1% too big
 *
 * The __wrap_/__real_ names are the linker's convention, hence the reserved identifiers. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "layers.h"

void __real_softmax_xent_backward(float *dlogits, const float *probs, const uint8_t *labels,
				  int n, int k);
void __real_relu_backward(float *dx, const float *dy, const float *x, size_t len);
void __real_sigmoid_backward(float *dx, const float *dy, const float *y, size_t len);
void __real_affine_backward(float *dx, const float *dy, float *dw, float *db, const float *x,
			    const float *w, int n, int in, int out);

void __wrap_softmax_xent_backward(float *dlogits, const float *probs, const uint8_t *labels,
				  int n, int k);
void __wrap_relu_backward(float *dx, const float *dy, const float *x, size_t len);
void __wrap_sigmoid_backward(float *dx, const float *dy, const float *y, size_t len);
void __wrap_affine_backward(float *dx, const float *dy, float *dw, float *db, const float *x,
			    const float *w, int n, int in, int out);

static int
fault_is_(const char *name)
{
	const char *fault = getenv("BPTRAIN_FAULT");
	return fault && strcmp(fault, name) == 0;
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
	if (fault_is_("weight-element")) {
		size_t size = (size_t)in * out, largest = 0;
		for (size_t i = 1; i < size; i++)
			if (fabsf(dw[i]) > fabsf(dw[largest]))
				largest = i;
		dw[largest] *= 1.01f;
	}
}
