/* layers.c: Affine, ReLU, Sigmoid and Softmax-with-Loss. The derivations are in docs/backprop.md. */
#include "layers.h"

#include <math.h>
#include <string.h>

#include "matmul.h"

void
affine_forward(float *y, const float *x, const float *w, const float *b, int n, int in, int out)
{
	/* Starting C at the broadcast bias lets the accumulating GEMM add the bias for free. */
	for (int i = 0; i < n; i++)
		memcpy(y + (size_t)i * out, b, (size_t)out * sizeof *y);
	mm_nn(y, x, w, n, out, in);
}

void
affine_backward(float *dx, const float *dy, float *dw, float *db, const float *x, const float *w,
		int n, int in, int out)
{
	if (dx) {
		memset(dx, 0, (size_t)n * in * sizeof *dx);
		mm_nt(dx, dy, w, n, in, out);
	}
	memset(dw, 0, (size_t)in * out * sizeof *dw);
	mm_tn(dw, x, dy, in, out, n);
	/* b was broadcast to every row, so its gradient sums the rows of dy. */
	memset(db, 0, (size_t)out * sizeof *db);
	for (int i = 0; i < n; i++) {
		const float *dy_row = dy + (size_t)i * out;
		for (int j = 0; j < out; j++)
			db[j] += dy_row[j];
	}
}

void
relu_forward(float *y, const float *x, size_t len)
{
	for (size_t i = 0; i < len; i++)
		y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void
relu_backward(float *dx, const float *dy, const float *x, size_t len)
{
	for (size_t i = 0; i < len; i++)
		dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
}

void
sigmoid_forward(float *y, const float *x, size_t len)
{
	for (size_t i = 0; i < len; i++)
		y[i] = 1.0f / (1.0f + expf(-x[i]));
}

void
sigmoid_backward(float *dx, const float *dy, const float *y, size_t len)
{
	for (size_t i = 0; i < len; i++)
		dx[i] = dy[i] * y[i] * (1.0f - y[i]);
}

float
softmax_xent_forward(float *probs, const float *logits, const uint8_t *labels, int n, int k)
{
	double loss = 0.0;
	for (int i = 0; i < n; i++) {
		const float *z = logits + (size_t)i * k;
		float *p = probs + (size_t)i * k;
		/* exp of the largest logit is exp(0) = 1: nothing overflows, and the sum is >= 1 so
		 * the log below is finite for any finite logits. */
		float max = z[0];
		for (int j = 1; j < k; j++)
			if (z[j] > max)
				max = z[j];
		float sum = 0.0f;
		for (int j = 0; j < k; j++) {
			p[j] = expf(z[j] - max);
			sum += p[j];
		}
		for (int j = 0; j < k; j++)
			p[j] /= sum;
		/* log p[label] from the logits rather than from p, which may underflow to 0. */
		loss -= (double)(z[labels[i]] - max) - log((double)sum);
	}
	return (float)(loss / n);
}

void
softmax_xent_backward(float *dlogits, const float *probs, const uint8_t *labels, int n, int k)
{
	softmax_xent_backward_rows(dlogits, probs, labels, n, k, n);
}

void
softmax_xent_backward_rows(float *dlogits, const float *probs, const uint8_t *labels, int rows,
			   int k, int n)
{
	float scale = 1.0f / (float)n;
	for (int i = 0; i < rows; i++) {
		const float *p = probs + (size_t)i * k;
		float *d = dlogits + (size_t)i * k;
		for (int j = 0; j < k; j++)
			d[j] = p[j] * scale;
		d[labels[i]] -= scale;
	}
}
