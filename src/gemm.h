/* gemm.h: the dense float32 matrix products (the sparse ones are in sparse.h). All matrices are
 * row-major and every kernel ACCUMULATES into C, so the caller initializes C (with zeros,
 * or with a broadcast bias, which saves a separate pass).
 *
 * Every kernel here, dense or sparse, serial or threaded, computes each element of C the
 * same way: starting from its initial value, c = c + a_k * b_k for k = 0, 1, ..., K-1 in
 * order, one rounding per step (a fused multiply-add where the target has one). Blocking,
 * packing, thread count and the tile an element falls in therefore never change a result,
 * and the sparse kernels, which skip the k where a_k is exactly zero (adding 0 * b is exact),
 * give the same bits as the dense ones. */
#ifndef BPTRAIN_GEMM_H
#define BPTRAIN_GEMM_H

#include <stddef.h>
#include <stdint.h>

#include "pool.h"

/* Which operands are transposed: C(M,N) += op(A)(M,K) · op(B)(K,N). */
enum mm_op {
	MM_NN, /* A is (M,K), B is (K,N): the affine forward, Y = X·W */
	MM_TN, /* A is (K,M), B is (K,N): the weight gradient, dW = Xᵀ·dY */
	MM_NT, /* A is (M,K), B is (N,K): the input gradient, dX = dY·Wᵀ */
};

/* C(M,N) += op(A) · op(B), single-threaded, where C, A and B are stored with row strides
 * ldc, lda and ldb: so C, A and B can be blocks of larger matrices. */
void mm_serial(enum mm_op op, float *C, int ldc, const float *A, int lda, const float *B, int ldb,
	       int M, int N, int K);
/* C(M,N) += A(M,K) · B(K,N), single-threaded. */
void mm_nn(float *C, const float *A, const float *B, int M, int N, int K);
/* C(M,N) += A(K,M)ᵀ · B(K,N), single-threaded. */
void mm_tn(float *C, const float *A, const float *B, int M, int N, int K);
/* C(M,N) += A(M,K) · B(N,K)ᵀ, single-threaded. */
void mm_nt(float *C, const float *A, const float *B, int M, int N, int K);

/* The same products on all of the pool's threads, each owning whole blocks of C. */
void mm_pool(struct pool *pool, enum mm_op op, float *C, const float *A, const float *B, int M,
	     int N, int K);

/* Bytes of scratch memory each thread needs for the kernels below (for pool_create). */
size_t mm_scratch_bytes(void);

/* The blocked kernel on sub-matrices, single-threaded: C(M,N) with row stride ldc,
 * op(A)(i,k) = A[i*a_rs + k*a_cs], op(B)(k,j) = B[k*b_rs + j*b_cs]. scratch holds
 * mm_scratch_bytes() (64-byte alignment helps the packed loads but is not required). */
void mm_gemm(float *C, int ldc, const float *A, int a_rs, int a_cs, const float *B, int b_rs,
	     int b_cs, int M, int N, int K, void *scratch);

/* The plain triple loop, kept as the reference the tests and benchmarks compare against.
 * transpose_a/transpose_b select the same three variants (A is (K,M) when transposed,
 * B is (N,K) when transposed). Accumulates in double, then adds into C. */
void matmul_ref(float *C, const float *A, const float *B, int M, int N, int K,
		int transpose_a, int transpose_b);

#endif
