/* test_matmul: each blocked kernel against the plain triple loop, on shapes that straddle
 * the block sizes (1, block-1, block, block+1) and on the training shapes; the threaded
 * product bit for bit equal to the serial one at 1, 2 and 3 threads; the sparse byte-image
 * kernel bit for bit equal to the dense one; and zero-skipping on inputs full of zeros. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gemm.h"
#include "sparse.h"
#include "rng.h"

enum { NN, TN, NT };
static const char *const kernel_names[] = {"mm_nn", "mm_tn", "mm_nt"};

static void mm_op_(int kernel, float *C, const float *A, const float *B, int M, int N, int K);

static void
fill_(float *x, size_t n, struct rng *rng)
{
	for (size_t i = 0; i < n; i++)
		x[i] = (float)(2.0 * rng_uniform(rng) - 1.0);
}

/* Compare one kernel with matmul_ref on C starting from random values (the kernels
 * accumulate). The tolerance grows with K, since float32 rounding error does. */
static void
check_kernel_(int kernel, int M, int N, int K, struct rng *rng)
{
	size_t a_size = (size_t)M * K, b_size = (size_t)K * N, c_size = (size_t)M * N;
	float *A = malloc(a_size * sizeof *A), *B = malloc(b_size * sizeof *B);
	float *C = malloc(c_size * sizeof *C), *C_ref = malloc(c_size * sizeof *C);
	fill_(A, a_size, rng);
	fill_(B, b_size, rng);
	fill_(C, c_size, rng);
	memcpy(C_ref, C, c_size * sizeof *C);
	mm_op_(kernel, C, A, B, M, N, K);
	matmul_ref(C_ref, A, B, M, N, K, kernel == TN, kernel == NT);
	double max_diff = 0.0;
	size_t first_bad = c_size;
	for (size_t i = 0; i < c_size; i++) {
		double diff = fabs((double)C[i] - C_ref[i]);
		double tol = 1e-6 * (K + 1) * (1.0 + fabs(C_ref[i]));
		if (diff > max_diff)
			max_diff = diff;
		if (diff > tol && first_bad == c_size)
			first_bad = i;
	}
	CHECK(first_bad == c_size, "%s M=%d N=%d K=%d: max diff %g, first mismatch at %zu "
	      "(got %g, want %g)", kernel_names[kernel], M, N, K, max_diff, first_bad,
	      first_bad < c_size ? C[first_bad] : 0.0, first_bad < c_size ? C_ref[first_bad] : 0.0);
	free(A);
	free(B);
	free(C);
	free(C_ref);
}

static void
mm_op_(int kernel, float *C, const float *A, const float *B, int M, int N, int K)
{
	if (kernel == NN)
		mm_nn(C, A, B, M, N, K);
	else if (kernel == TN)
		mm_tn(C, A, B, M, N, K);
	else
		mm_nt(C, A, B, M, N, K);
}

/* A with about `zero_pct`% exact zeros (and some whole zero rows and columns, which the
 * packed kernel drops), to exercise the zero-skipping. */
static void
fill_sparse_(float *x, int rows, int cols, int zero_pct, struct rng *rng)
{
	for (int i = 0; i < rows; i++)
		for (int j = 0; j < cols; j++) {
			int zero = (int)rng_below(rng, 100) < zero_pct || i % 7 == 3 || j % 5 == 1;
			x[(size_t)i * cols + j] = zero ? 0.0f : (float)(2.0 * rng_uniform(rng) - 1.0);
		}
}

/* mm_pool with 1, 2 and 3 threads, and the serial kernel, give the same bits. */
static void
check_threads_(struct pool *pools[3], int kernel, int M, int N, int K, int zero_pct,
	       struct rng *rng)
{
	size_t a_size = (size_t)M * K, b_size = (size_t)K * N, c_size = (size_t)M * N;
	float *A = malloc(a_size * sizeof *A), *B = malloc(b_size * sizeof *B);
	float *C0 = malloc(c_size * sizeof *C0), *C = malloc(c_size * sizeof *C);
	float *C_ref = malloc(c_size * sizeof *C_ref);
	/* A is (M,K), or (K,M) for TN: either way a_size values; rows/cols only shape zeros. */
	fill_sparse_(A, kernel == TN ? K : M, kernel == TN ? M : K, zero_pct, rng);
	fill_(B, b_size, rng);
	fill_(C0, c_size, rng);
	memcpy(C_ref, C0, c_size * sizeof *C0);
	mm_op_(kernel, C_ref, A, B, M, N, K);
	for (int t = 0; t < 3; t++) {
		memcpy(C, C0, c_size * sizeof *C0);
		mm_pool(pools[t], (enum mm_op)kernel, C, A, B, M, N, K);
		CHECK(memcmp(C, C_ref, c_size * sizeof *C) == 0,
		      "%s M=%d N=%d K=%d: %d threads differ from the serial kernel",
		      kernel_names[kernel], M, N, K, t + 1);
	}
	/* And the zero-skipping result is still the product (against the double reference). */
	float *C_dbl = malloc(c_size * sizeof *C_dbl);
	memcpy(C_dbl, C0, c_size * sizeof *C0);
	matmul_ref(C_dbl, A, B, M, N, K, kernel == TN, kernel == NT);
	size_t bad = 0;
	for (size_t i = 0; i < c_size; i++)
		bad += fabs((double)C_ref[i] - C_dbl[i]) > 1e-6 * (K + 1) * (1.0 + fabs(C_dbl[i]));
	CHECK(bad == 0, "%s M=%d N=%d K=%d with %d%% zeros: %zu elements off", kernel_names[kernel],
	      M, N, K, zero_pct, bad);
	free(A);
	free(B);
	free(C0);
	free(C);
	free(C_ref);
	free(C_dbl);
}

/* The sparse kernel on byte images gives the same bits as the dense kernel on the same
 * images converted to floats (p / 255), rows straddling the 16-pixel chunks. */
static void
check_sparse_(int R, int N, int K, struct rng *rng)
{
	uint8_t *bytes = malloc((size_t)R * K);
	const uint8_t **rows = malloc((size_t)R * sizeof *rows);
	float *X = malloc((size_t)R * K * sizeof *X), *W = malloc((size_t)K * N * sizeof *W);
	float *Y0 = malloc((size_t)R * N * sizeof *Y0), *Y = malloc((size_t)R * N * sizeof *Y);
	void *mem = malloc(mm_sparse_bytes(R, K)), *scratch = malloc(mm_scratch_bytes());
	for (int r = 0; r < R; r++) {
		for (int k = 0; k < K; k++) {
			/* MNIST-like: mostly zeros, some full 255s, whole zero rows, and rows
			 * with gaps of 255, 256 and 257 columns, around the longest a compacted
			 * entry can skip, and of 510, bridged by exactly one entry. */
			uint32_t u = (uint32_t)rng_below(rng, 100);
			uint8_t p = r % 9 == 4 || u < 75 ? 0 : u < 85 ? 255 : (uint8_t)rng_below(rng, 256);
			if (r % 9 == 7)
				p = k == 255 || k == 511 || k == 768 || k == K - 1 ? (uint8_t)(1 + u) : 0;
			if (r % 9 == 8)
				p = k == 3 || k == 513 ? (uint8_t)(1 + u) : 0;
			bytes[(size_t)r * K + k] = p;
			X[(size_t)r * K + k] = (float)p / 255.0f;
		}
		rows[r] = bytes + (size_t)r * K;
	}
	fill_(W, (size_t)K * N, rng);
	fill_(Y0, (size_t)R * N, rng);
	memcpy(Y, Y0, (size_t)R * N * sizeof *Y);
	struct mm_sparse sp;
	mm_sparse_init(&sp, R, 0, K, mem);
	int counted = 1;
	for (int r = 0; r < R; r++) {
		mm_sparse_compact(&sp, r, rows[r]);
		counted &= mm_sparse_count(rows[r], K) == sp.row[r].n;
	}
	CHECK(counted, "R=%d K=%d: mm_sparse_count differs from the entries packed", R, K);
	/* In two calls, to check the row offset. */
	int half = R / 2;
	mm_sparse_nn(Y, N, &sp, 1, 0, half, W, N, N);
	mm_sparse_nn(Y + (size_t)half * N, N, &sp, 1, half, R - half, W, N, N);
	mm_gemm(Y0, N, X, K, 1, W, N, 1, R, N, K, scratch);
	CHECK(memcmp(Y, Y0, (size_t)R * N * sizeof *Y) == 0,
	      "sparse R=%d N=%d K=%d differs from the dense kernel", R, N, K);

	/* The weight gradient dW(K,N) = Xᵀ·dY the same way, in two blocks of columns of X
	 * (rows of dW), as training's tasks do, the second one starting inside a chunk. */
	float *dY = malloc((size_t)R * N * sizeof *dY), *dW0 = malloc((size_t)K * N * sizeof *dW0);
	float *dW = malloc((size_t)K * N * sizeof *dW);
	fill_(dY, (size_t)R * N, rng);
	fill_(dW0, (size_t)K * N, rng);
	memcpy(dW, dW0, (size_t)K * N * sizeof *dW);
	int split = K / 2 + 3 < K ? K / 2 + 3 : K / 2;
	struct mm_sparse blocks[2];
	void *block_mem[2] = {malloc(mm_sparse_bytes(R, split)), malloc(mm_sparse_bytes(R, K - split))};
	mm_sparse_init(&blocks[0], R, 0, split, block_mem[0]);
	mm_sparse_init(&blocks[1], R, split, K - split, block_mem[1]);
	for (int r = 0; r < R; r++) {
		mm_sparse_compact(&blocks[0], r, rows[r]);
		mm_sparse_compact(&blocks[1], r, rows[r]);
	}
	/* The smallest scratch, so that the samples go one at a time. */
	size_t tn_bytes = mm_sparse_tn_scratch_bytes(K);
	void *tn_scratch = malloc(tn_bytes);
	mm_sparse_tn(dW, N, &blocks[0], R, dY, N, N, tn_scratch, tn_bytes);
	mm_sparse_tn(dW, N, &blocks[1], R, dY, N, N, tn_scratch, tn_bytes);
	free(tn_scratch);
	/* And the forward product block after block is the whole chain, as the dense one
	 * (both start from the dense result above). */
	memcpy(Y, Y0, (size_t)R * N * sizeof *Y);
	mm_sparse_nn(Y, N, &blocks[0], 1, 0, R, W, N, N);
	mm_sparse_nn(Y, N, &blocks[1], 1, 0, R, W, N, N);
	mm_gemm(Y0, N, X, K, 1, W, N, 1, R, N, K, scratch);
	CHECK(memcmp(Y, Y0, (size_t)R * N * sizeof *Y) == 0,
	      "sparse R=%d N=%d K=%d in two column blocks differs from the dense kernel", R, N, K);
	/* Both blocks in one call: the second block's sum is added to the first's result,
	 * which is the dense kernel on each block into its own buffer, added afterwards. */
	float *part = calloc((size_t)R * N, sizeof *part);
	memcpy(Y, Y0, (size_t)R * N * sizeof *Y);
	mm_sparse_nn(Y, N, blocks, 2, 0, R, W, N, N);
	mm_gemm(Y0, N, X, K, 1, W, N, 1, R, N, split, scratch);
	mm_gemm(part, N, X + split, K, 1, W + (size_t)split * N, N, 1, R, N, K - split, scratch);
	for (size_t i = 0; i < (size_t)R * N; i++)
		Y0[i] += part[i];
	CHECK(memcmp(Y, Y0, (size_t)R * N * sizeof *Y) == 0,
	      "sparse R=%d N=%d K=%d, two blocks summed apart, differs from the dense kernel", R,
	      N, K);
	free(part);
	free(block_mem[0]);
	free(block_mem[1]);
	/* mm_sparse_tn sets dW, whatever it held (random here): the dense kernel from zero. */
	memset(dW0, 0, (size_t)K * N * sizeof *dW0);
	mm_gemm(dW0, N, X, 1, K, dY, N, 1, K, N, R, scratch);
	CHECK(memcmp(dW, dW0, (size_t)K * N * sizeof *dW) == 0,
	      "sparse Xᵀ·dY R=%d N=%d K=%d differs from the dense kernel", R, N, K);
	free(dY);
	free(dW0);
	free(dW);
	free(bytes);
	free(rows);
	free(X);
	free(W);
	free(Y0);
	free(Y);
	free(mem);
	free(scratch);
}

int
main(void)
{
	struct rng rng;
	rng_seed(&rng, 1);
	struct pool *pools[3];
	for (int t = 0; t < 3; t++)
		pools[t] = pool_create(t + 1, mm_scratch_bytes());

	/* Every byte value compacts to exactly p / 255, as images_to_floats makes it. */
	uint8_t all[256];
	for (int p = 0; p < 256; p++)
		all[p] = (uint8_t)p;
	void *mem = malloc(mm_sparse_bytes(1, 256));
	struct mm_sparse sp;
	mm_sparse_init(&sp, 1, 0, 256, mem);
	mm_sparse_compact(&sp, 0, all);
	float ones[256], y[16] = {0};
	for (int p = 0; p < 256; p++)
		ones[p] = 0.0f;
	int exact = 1;
	for (int p = 1; p < 256; p++) {
		/* Y = X · e_p picks out the compacted value of pixel p. */
		ones[p] = 1.0f;
		y[0] = 0.0f;
		mm_sparse_nn(y, 1, &sp, 1, 0, 1, ones, 1, 1);
		exact &= y[0] == (float)p / 255.0f;
		ones[p] = 0.0f;
	}
	CHECK(exact, "compacted pixel values are exactly p / 255");
	free(mem);

	/* 140 and 120 columns take passes of seven vectors with 16-float vectors. */
	static const int sparse_shapes[][3] = {
		{1, 1, 1}, {3, 7, 15}, {5, 16, 16}, {9, 17, 17}, {33, 50, 784}, {100, 50, 784},
		{20, 800, 784}, {7, 33, 100}, {4, 15, 31}, {12, 1100, 40}, {6, 140, 60}, {3, 120, 30},
	};
	for (size_t s = 0; s < sizeof sparse_shapes / sizeof sparse_shapes[0]; s++)
		check_sparse_(sparse_shapes[s][0], sparse_shapes[s][1], sparse_shapes[s][2], &rng);

	static const int thread_shapes[][3] = {
		{1, 1, 1}, {100, 50, 784}, {784, 50, 100}, {100, 784, 50}, {100, 800, 784},
		{1000, 10, 50}, {257, 129, 300}, {31, 700, 9},
	};
	for (int kernel = NN; kernel <= NT; kernel++)
		for (size_t s = 0; s < sizeof thread_shapes / sizeof thread_shapes[0]; s++)
			for (int zero_pct = 0; zero_pct <= 80; zero_pct += 80)
				check_threads_(pools, kernel, thread_shapes[s][0], thread_shapes[s][1],
					       thread_shapes[s][2], zero_pct, &rng);
	for (int t = 0; t < 3; t++)
		pool_free(pools[t]);

	/* Sizes around every blocking and unrolling boundary a kernel might use. */
	static const int sizes[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 127, 129, 257};
	int n_sizes = sizeof sizes / sizeof sizes[0];
	for (int kernel = NN; kernel <= NT; kernel++) {
		for (int s = 0; s < n_sizes; s++) {
			int m = sizes[s], n = sizes[(s + 5) % n_sizes], k = sizes[(s + 11) % n_sizes];
			check_kernel_(kernel, m, n, k, &rng);
			check_kernel_(kernel, n, k, m, &rng);
		}
		/* The shapes training and evaluation use, for hidden 50 and 800. */
		check_kernel_(kernel, 100, 50, 784, &rng);
		check_kernel_(kernel, 784, 50, 100, &rng);
		check_kernel_(kernel, 100, 784, 50, &rng);
		check_kernel_(kernel, 100, 800, 784, &rng);
		check_kernel_(kernel, 500, 10, 50, &rng);
		check_kernel_(kernel, 300, 301, 302, &rng);
	}

	/* The reference itself, on a 2x3 by 3x2 product worked by hand. */
	const float A[] = {1, 2, 3, 4, 5, 6}, B[] = {7, 8, 9, 10, 11, 12};
	float C[4] = {1, 1, 1, 1};
	matmul_ref(C, A, B, 2, 2, 3, 0, 0);
	CHECK(C[0] == 59 && C[1] == 65 && C[2] == 140 && C[3] == 155,
	      "matmul_ref by hand: got %g %g %g %g", C[0], C[1], C[2], C[3]);
	return check_report("test_matmul");
}
