/* test_matmul: each blocked kernel against the plain triple loop, on shapes that straddle
 * the block sizes (1, block-1, block, block+1) and on the training shapes. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "matmul.h"
#include "rng.h"

enum { NN, TN, NT };
static const char *const kernel_names[] = {"mm_nn", "mm_tn", "mm_nt"};

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
	if (kernel == NN)
		mm_nn(C, A, B, M, N, K);
	else if (kernel == TN)
		mm_tn(C, A, B, M, N, K);
	else
		mm_nt(C, A, B, M, N, K);
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

int
main(void)
{
	struct rng rng;
	rng_seed(&rng, 1);
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
