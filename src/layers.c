/* layers.c: Affine, ReLU, Sigmoid and Softmax-with-Loss. The derivations are in docs/backprop.md. */
#include "layers.h"

#include <math.h>
#include <string.h>

#include "gemm.h"
#include "rng.h"

int
affine_block_start(int in, int blocks, int j)
{
	if (j >= blocks)
		return in;
	return (int)((long long)in * j / blocks / AFFINE_BLOCK_ALIGN * AFFINE_BLOCK_ALIGN);
}

void
affine_forward(float *y, float *part, const float *x, const float *w, const float *b, int n,
	       int in, int out, int blocks)
{
	/* Starting C at the broadcast bias lets the accumulating GEMM add the bias for free. */
	for (int i = 0; i < n; i++)
		memcpy(y + (size_t)i * out, b, (size_t)out * sizeof *y);
	for (int j = 0; j < blocks; j++) {
		int k0 = affine_block_start(in, blocks, j);
		int width = affine_block_start(in, blocks, j + 1) - k0;
		float *sum = j == 0 ? y : part;
		if (j > 0)
			memset(part, 0, (size_t)n * out * sizeof *part);
		mm_serial(MM_NN, sum, out, x + k0, in, w + (size_t)k0 * out, out, n, out, width);
		if (j > 0)
			for (size_t i = 0; i < (size_t)n * out; i++)
				y[i] += part[i];
	}
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
	affine_backward_bias(db, dy, n, out);
}

void
affine_backward_weight(float *dw, const float *dy, const float *x, int n, int in, int out,
		       int k0, int k1, void *scratch)
{
	float *rows = dw + (size_t)k0 * out;
	memset(rows, 0, (size_t)(k1 - k0) * out * sizeof *rows);
	/* op(A) = xᵀ restricted to its rows k0..k1-1: x's columns k0.., read down the batch. */
	mm_gemm(rows, out, x + k0, 1, in, dy, out, 1, k1 - k0, out, n, scratch);
}

void
affine_backward_bias(float *db, const float *dy, int n, int out)
{
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

/* One row's softmax into p, and its cross-entropy. */
static double
softmax_xent_row_(float *p, const float *z, int label, int k)
{
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
	return log((double)sum) - (double)(z[label] - max);
}

float
softmax_xent_forward(float *probs, const float *logits, const uint8_t *labels, int n, int k)
{
	double loss = 0.0;
	for (int i = 0; i < n; i++)
		loss += softmax_xent_row_(probs + (size_t)i * k, logits + (size_t)i * k, labels[i], k);
	return (float)(loss / n);
}

void
softmax_xent_forward_rows(float *probs, double *loss, const float *logits, const uint8_t *labels,
			  int rows, int k)
{
	for (int i = 0; i < rows; i++)
		loss[i] = softmax_xent_row_(probs + (size_t)i * k, logits + (size_t)i * k, labels[i],
					    k);
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

double
l2_forward(const float *w, size_t len, float lambda)
{
	/* Eight sums, of every eighth square, added pairwise at the end: a single chain waited
	 * on every addition (40 µs of each step for the default net's weights, before the step,
	 * with the other threads idle; a run with --weight-decay took 1.4x the time of one
	 * without), eight go as fast as the loads. The order is fixed, so both paths and any
	 * thread count get the same penalty. */
	double part[8] = {0};
	size_t i = 0;
	for (; i + 8 <= len; i += 8)
		for (int j = 0; j < 8; j++)
			part[j] += (double)w[i + j] * w[i + j];
	for (int j = 0; i < len; i++, j++)
		part[j] += (double)w[i] * w[i];
	double sum = ((part[0] + part[1]) + (part[2] + part[3])) +
		     ((part[4] + part[5]) + (part[6] + part[7]));
	return 0.5 * lambda * sum;
}

void
l2_backward(float *dw, const float *w, size_t len, float lambda)
{
	for (size_t i = 0; i < len; i++)
		dw[i] += lambda * w[i];
}

/* The top 24 bits of a draw are compared with p's share of 2^24: an integer comparison,
 * exact. */
static uint32_t
dropout_threshold_(float p)
{
	return (uint32_t)((double)p * 16777216.0);
}

static int
keeps_(uint64_t key, uint32_t threshold, uint64_t e)
{
	return (uint32_t)(rng_hash(key, e) >> 40) >= threshold;
}

int
dropout_keeps(uint64_t key, float p, uint64_t e)
{
	return keeps_(key, dropout_threshold_(p), e);
}

void
dropout_forward(float *y, const float *x, int rows, int cols, int row0, uint64_t key, float p)
{
	float scale = 1.0f / (1.0f - p);
	uint32_t threshold = dropout_threshold_(p);
	for (int r = 0; r < rows; r++) {
		uint64_t unit = (uint64_t)(row0 + r) * cols;
		const float *xr = x + (size_t)r * cols;
		float *yr = y + (size_t)r * cols;
		for (int j = 0; j < cols; j++) {
			yr[j] = keeps_(key, threshold, unit + (uint64_t)j) ? xr[j] * scale : 0.0f;
		}
	}
}

void
dropout_backward(float *dx, const float *dy, int rows, int cols, int row0, uint64_t key,
		 float p)
{
	/* The forward pass's mask, drawn again: cheaper than keeping it. */
	dropout_forward(dx, dy, rows, cols, row0, key, p);
}

/* Batch normalization's column sums run over rows and, inside, over a chunk of at most
 * BATCHNORM_CHUNK columns, so that the columns' sums advance side by side in vector
 * registers; each column's sum still adds its rows in order, as one chain. */
#define BATCHNORM_CHUNK 64

static void
batchnorm_stats_chunk_(float *std, float *mean, float *var, const float *x, int n, int d,
		       int j0, int j1)
{
	double sum[BATCHNORM_CHUNK] = {0}, sq[BATCHNORM_CHUNK] = {0};
	int w = j1 - j0;
	x += j0, std += j0, mean += j0, var += j0;
	for (int r = 0; r < n; r++)
		for (int j = 0; j < w; j++)
			sum[j] += x[(size_t)r * d + j];
	for (int j = 0; j < w; j++)
		mean[j] = (float)(sum[j] / n);
	for (int r = 0; r < n; r++)
		for (int j = 0; j < w; j++) {
			double c = x[(size_t)r * d + j] - mean[j];
			sq[j] += c * c;
		}
	for (int j = 0; j < w; j++) {
		var[j] = (float)(sq[j] / n);
		std[j] = sqrtf(var[j] + BATCHNORM_EPS);
	}
}

void
batchnorm_stats(float *std, float *mean, float *var, const float *x, int n, int d, int j0,
		int j1)
{
	for (int j = j0; j < j1; j += BATCHNORM_CHUNK)
		batchnorm_stats_chunk_(std, mean, var, x, n, d, j,
				       j1 - j < BATCHNORM_CHUNK ? j1 : j + BATCHNORM_CHUNK);
}

void
batchnorm_normalize(float *y, float *xn, const float *x, const float *mean, const float *std,
		    const float *gamma, const float *beta, int rows, int d)
{
	for (int r = 0; r < rows; r++)
		for (int j = 0; j < d; j++) {
			size_t e = (size_t)r * d + j;
			xn[e] = (x[e] - mean[j]) / std[j];
			y[e] = gamma[j] * xn[e] + beta[j];
		}
}

void
batchnorm_update_running(float *run_mean, float *run_var, const float *mean, const float *var,
			 float momentum, int j0, int j1)
{
	for (int j = j0; j < j1; j++) {
		run_mean[j] = momentum * run_mean[j] + (1.0f - momentum) * mean[j];
		run_var[j] = momentum * run_var[j] + (1.0f - momentum) * var[j];
	}
}

void
batchnorm_forward_eval(float *y, const float *x, const float *gamma, const float *beta,
		       const float *mean, const float *var, int n, int d)
{
	for (int j0 = 0; j0 < d; j0 += BATCHNORM_CHUNK) {
		int w = d - j0 < BATCHNORM_CHUNK ? d - j0 : BATCHNORM_CHUNK;
		float std[BATCHNORM_CHUNK];
		for (int j = 0; j < w; j++)
			std[j] = sqrtf(var[j0 + j] + BATCHNORM_EPS);
		for (int r = 0; r < n; r++)
			for (int j = 0; j < w; j++) {
				size_t e = (size_t)r * d + j0 + j;
				y[e] = gamma[j0 + j] * ((x[e] - mean[j0 + j]) / std[j]) + beta[j0 + j];
			}
	}
}

/* With dxn = γ·dy: dstd = -Σ dxn·xc / std², dvar = dstd / (2·std), and dx = dxc - the
 * column mean of dxc, where dxc = dxn / std + (2/n)·xc·dvar; here xc = xn·std, which folds
 * to dxc = (dxn - xn·Σ(dxn·xn)/n) / std. Both parts of the backward pass compute it here. */
static inline double
batchnorm_dxc_(float gamma, float dy, float xn, double dxn_xn, int n, float std)
{
	return ((double)gamma * dy - xn * dxn_xn / n) / std;
}

static void
batchnorm_sums_chunk_(float *dgamma, float *dbeta, double *dxn_xn, float *dxc_mean,
		      const float *dy, const float *xn, const float *std, const float *gamma,
		      int n, int d, int j0, int j1)
{
	double sum_dy[BATCHNORM_CHUNK] = {0}, sum_xn_dy[BATCHNORM_CHUNK] = {0};
	double sum_dxc[BATCHNORM_CHUNK] = {0};
	int w = j1 - j0;
	dgamma += j0, dbeta += j0, dxn_xn += j0, dxc_mean += j0, dy += j0, xn += j0;
	std += j0, gamma += j0;
	for (int r = 0; r < n; r++)
		for (int j = 0; j < w; j++) {
			size_t e = (size_t)r * d + j;
			sum_dy[j] += dy[e];
			sum_xn_dy[j] += (double)xn[e] * dy[e];
		}
	for (int j = 0; j < w; j++) {
		dbeta[j] = (float)sum_dy[j];
		dgamma[j] = (float)sum_xn_dy[j];
		dxn_xn[j] = gamma[j] * sum_xn_dy[j];
	}
	for (int r = 0; r < n; r++)
		for (int j = 0; j < w; j++) {
			size_t e = (size_t)r * d + j;
			sum_dxc[j] += batchnorm_dxc_(gamma[j], dy[e], xn[e], dxn_xn[j], n, std[j]);
		}
	for (int j = 0; j < w; j++)
		dxc_mean[j] = (float)(sum_dxc[j] / n);
}

void
batchnorm_backward_sums(float *dgamma, float *dbeta, double *dxn_xn, float *dxc_mean,
			const float *dy, const float *xn, const float *std, const float *gamma,
			int n, int d, int j0, int j1)
{
	for (int j = j0; j < j1; j += BATCHNORM_CHUNK)
		batchnorm_sums_chunk_(dgamma, dbeta, dxn_xn, dxc_mean, dy, xn, std, gamma, n, d, j,
				      j1 - j < BATCHNORM_CHUNK ? j1 : j + BATCHNORM_CHUNK);
}

void
batchnorm_backward_rows(float *dx, const float *dy, const float *xn, const float *std,
			const float *gamma, const double *dxn_xn, const float *dxc_mean, int n,
			int rows, int d)
{
	for (int r = 0; r < rows; r++)
		for (int j = 0; j < d; j++) {
			size_t e = (size_t)r * d + j;
			float dxc = (float)batchnorm_dxc_(gamma[j], dy[e], xn[e], dxn_xn[j], n, std[j]);
			dx[e] = dxc - dxc_mean[j];
		}
}
