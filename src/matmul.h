/* matmul.h: the float32 matrix products that training and evaluation need. All matrices are
 * row-major and every kernel ACCUMULATES into C, so the caller initializes C (with zeros,
 * or with a broadcast bias, which saves a separate pass).
 *
 * Every kernel here, dense or sparse, serial or threaded, computes each element of C the
 * same way: starting from its initial value, c = c + a_k * b_k for k = 0, 1, ..., K-1 in
 * order, one rounding per step (a fused multiply-add where the target has one). Blocking,
 * packing, thread count and the tile an element falls in therefore never change a result,
 * and the sparse kernels, which skip the k where a_k is exactly zero (adding 0 * b is exact),
 * give the same bits as the dense ones. */
#ifndef BPTRAIN_MATMUL_H
#define BPTRAIN_MATMUL_H

#include <stddef.h>
#include <stdint.h>

#include "pool.h"

/* Which operands are transposed: C(M,N) += op(A)(M,K) · op(B)(K,N). */
enum mm_op {
	MM_NN, /* A is (M,K), B is (K,N): the affine forward, Y = X·W */
	MM_TN, /* A is (K,M), B is (K,N): the weight gradient, dW = Xᵀ·dY */
	MM_NT, /* A is (M,K), B is (N,K): the input gradient, dX = dY·Wᵀ */
};

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

/* Sparse rows compacted from byte images: X(r,k) = bytes_r[k] / 255, the value
 * dataset_gather gives, for the columns k0 <= k < k0 + K of a block of columns. Each row
 * keeps its nonzero entries (column k, value) in column order. Images are scanned MM_CHUNK
 * pixels at a time. */
#define MM_CHUNK 16

struct mm_sparse {
	int K;    /* columns in the block */
	int *mem; /* rows one after another, see matmul.c */
};

/* Bytes of memory for `rows` compacted rows of K columns; mm_sparse_init carves it. */
size_t mm_sparse_bytes(int rows, int K);
void mm_sparse_init(struct mm_sparse *sp, int K, void *mem);

/* Compact bytes[k0 .. k0+K-1] into row r. */
void mm_sparse_compact(const struct mm_sparse *sp, int r, const uint8_t *bytes, int k0);

/* Y(R,N) (row stride ldy) += X(r0..r0+R-1, ·) · W(·, N) over the columns of n_blocks blocks
 * of compacted rows (at most MM_MAX_BLOCKS, in column order), W's row k (stride ldw) being
 * the one for column k: W is the whole matrix, not a block's rows. The first block's terms
 * are added to Y one by one; each later block's terms are summed from zero and the sum
 * added, so the result is bitwise that of one call per block into buffers, added in order
 * (with one block, the plain product). */
#define MM_MAX_BLOCKS 8
void mm_sparse_nn(float *Y, int ldy, const struct mm_sparse *blocks, int n_blocks, int r0, int R,
		  const float *W, int ldw, int N);

/* dW(k, 0..N) (row stride ldw) += Σ_r X(r,k) · dY(r, 0..N) (row stride ldy) for the block's
 * columns k0 <= k < k0 + K, summing over rows r = 0..R-1 in that order: the weight gradient
 * Xᵀ·dY for the block's rows of dW (dW is the whole matrix). scratch holds scratch_bytes >=
 * mm_sparse_tn_scratch_bytes(K), enough for one sample at a time; more lets more samples
 * go at once. */
size_t mm_sparse_tn_scratch_bytes(int K);
void mm_sparse_tn(float *dW, int ldw, const struct mm_sparse *sp, int R, const float *dY, int ldy,
		  int N, int k0, void *scratch, size_t scratch_bytes);

/* The plain triple loop, kept as the reference the tests and benchmarks compare against.
 * transpose_a/transpose_b select the same three variants (A is (K,M) when transposed,
 * B is (N,K) when transposed). Accumulates in double, then adds into C. */
void matmul_ref(float *C, const float *A, const float *B, int M, int N, int K,
		int transpose_a, int transpose_b);

#endif
