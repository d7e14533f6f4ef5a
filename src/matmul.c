/* matmul.c: cache-blocked GEMM kernels in portable C.
 *
 * The loops are ordered so the innermost one walks contiguous rows of B and C: GCC then
 * vectorizes it without -ffast-math, because no floating-point sum is reordered. Blocking
 * keeps a panel of B and a block of C in cache while they are reused. */
#include "matmul.h"

#include <stddef.h>

/* A KC x NC panel of B (256 x 128 floats = 128 KiB) fits in L2 while MC rows of A stream
 * over it; an MC x NC block of C (64 x 128 floats = 32 KiB) fits in L1/L2. */
enum { MC = 64, NC = 128, KC = 256 };

static int
min_(int a, int b)
{
	return a < b ? a : b;
}

void
mm_nn(float *C, const float *A, const float *B, int M, int N, int K)
{
	for (int j0 = 0; j0 < N; j0 += NC) {
		int nc = min_(NC, N - j0);
		for (int k0 = 0; k0 < K; k0 += KC) {
			int kc = min_(KC, K - k0);
			for (int i0 = 0; i0 < M; i0 += MC) {
				int mc = min_(MC, M - i0);
				for (int i = i0; i < i0 + mc; i++) {
					float *c_row = C + (size_t)i * N + j0;
					const float *a_row = A + (size_t)i * K;
					for (int k = k0; k < k0 + kc; k++) {
						float a = a_row[k];
						const float *b_row = B + (size_t)k * N + j0;
						for (int j = 0; j < nc; j++)
							c_row[j] += a * b_row[j];
					}
				}
			}
		}
	}
}

void
mm_tn(float *C, const float *A, const float *B, int M, int N, int K)
{
	for (int j0 = 0; j0 < N; j0 += NC) {
		int nc = min_(NC, N - j0);
		for (int i0 = 0; i0 < M; i0 += MC) {
			int mc = min_(MC, M - i0);
			for (int k0 = 0; k0 < K; k0 += KC) {
				int kc = min_(KC, K - k0);
				for (int k = k0; k < k0 + kc; k++) {
					const float *a_row = A + (size_t)k * M;
					const float *b_row = B + (size_t)k * N + j0;
					for (int i = i0; i < i0 + mc; i++) {
						float a = a_row[i];
						float *c_row = C + (size_t)i * N + j0;
						for (int j = 0; j < nc; j++)
							c_row[j] += a * b_row[j];
					}
				}
			}
		}
	}
}

/* Dot product with 8 independent partial sums in a fixed order: vectorizable without
 * reassociation flags, and the result does not depend on anything but the inputs. */
static float
dot_(const float *x, const float *y, int n)
{
	float acc[8] = {0};
	int k = 0;
	for (; k + 8 <= n; k += 8)
		for (int u = 0; u < 8; u++)
			acc[u] += x[k + u] * y[k + u];
	float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
	for (; k < n; k++)
		sum += x[k] * y[k];
	return sum;
}

void
mm_nt(float *C, const float *A, const float *B, int M, int N, int K)
{
	for (int j0 = 0; j0 < N; j0 += NC) {
		int nc = min_(NC, N - j0);
		for (int i0 = 0; i0 < M; i0 += MC) {
			int mc = min_(MC, M - i0);
			for (int i = i0; i < i0 + mc; i++) {
				const float *a_row = A + (size_t)i * K;
				float *c_row = C + (size_t)i * N;
				for (int j = j0; j < j0 + nc; j++)
					c_row[j] += dot_(a_row, B + (size_t)j * K, K);
			}
		}
	}
}

void
matmul_ref(float *C, const float *A, const float *B, int M, int N, int K, int transpose_a,
	   int transpose_b)
{
	for (int i = 0; i < M; i++) {
		for (int j = 0; j < N; j++) {
			double sum = 0.0;
			for (int k = 0; k < K; k++) {
				float a = transpose_a ? A[(size_t)k * M + i] : A[(size_t)i * K + k];
				float b = transpose_b ? B[(size_t)j * K + k] : B[(size_t)k * N + j];
				sum += (double)a * b;
			}
			C[(size_t)i * N + j] += (float)sum;
		}
	}
}
