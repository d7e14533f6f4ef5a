/* matmul.h: the three float32 matrix products that training needs. All matrices are
 * row-major and every kernel ACCUMULATES into C, so the caller initializes C (with zeros,
 * or with a broadcast bias, which saves a separate pass). */
#ifndef BPTRAIN_MATMUL_H
#define BPTRAIN_MATMUL_H

/* C(M,N) += A(M,K) · B(K,N). The affine forward, Y = X·W. */
void mm_nn(float *C, const float *A, const float *B, int M, int N, int K);

/* C(M,N) += A(K,M)ᵀ · B(K,N). The weight gradient, dW = Xᵀ·dY. */
void mm_tn(float *C, const float *A, const float *B, int M, int N, int K);

/* C(M,N) += A(M,K) · B(N,K)ᵀ. The input gradient, dX = dY·Wᵀ. */
void mm_nt(float *C, const float *A, const float *B, int M, int N, int K);

/* The plain triple loop, kept as the reference the tests and benchmarks compare against.
 * transpose_a/transpose_b select the same three variants (A is (K,M) when transposed,
 * B is (N,K) when transposed). Accumulates in double, then adds into C. */
void matmul_ref(float *C, const float *A, const float *B, int M, int N, int K,
		int transpose_a, int transpose_b);

#endif
