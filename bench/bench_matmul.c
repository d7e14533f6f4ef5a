/* bench_matmul: GFLOP/s of bptrain's GEMM on the shapes training and evaluation use and on
 * 1024^3, against a plain triple loop, with 1 thread and with all of them; then the sparse
 * first-layer product on a real MNIST batch. Every kernel is first checked against the
 * reference (matmul_ref) on the shape it is timed on. Prints markdown table rows.
 * Usage: bench_matmul [MNIST_DIR] */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idx.h"
#include "gemm.h"
#include "sparse.h"
#include "fast.h" /* fast_scratch_bytes */
#include "pool.h"
#include "rng.h"
#include "util.h"

/* The textbook loop, accumulating in float: what a straightforward C port would do. */
static void
triple_loop_(enum mm_op op, float *C, const float *A, const float *B, int M, int N, int K)
{
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++) {
			float sum = 0.0f;
			for (int k = 0; k < K; k++) {
				float a = op == MM_TN ? A[(size_t)k * M + i] : A[(size_t)i * K + k];
				float b = op == MM_NT ? B[(size_t)j * K + k] : B[(size_t)k * N + j];
				sum += a * b;
			}
			C[(size_t)i * N + j] += sum;
		}
}

static int
cmp_double_(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median over 5 samples of the seconds per call; each sample repeats the call for at
 * least 0.1 s (or once, if one call is longer). */
struct call_ {
	int kind; /* 0 triple loop, 1 mm_pool, 2 sparse X·W, 3 sparse Xᵀ·dY */
	struct pool *pool;
	enum mm_op op;
	float *C;
	const float *A, *B;
	int M, N, K;
	struct mm_sparse *sp;
	const uint8_t *const *rows;
	void *scratch;
	size_t scratch_bytes;
};

static void
call_(const struct call_ *c)
{
	if (c->kind == 0) {
		triple_loop_(c->op, c->C, c->A, c->B, c->M, c->N, c->K);
	} else if (c->kind == 1) {
		mm_pool(c->pool, c->op, c->C, c->A, c->B, c->M, c->N, c->K);
	} else if (c->kind == 3) {
		/* dW(K,N) += Xᵀ·dY over the M compacted rows; B is dY. */
		mm_sparse_tn(c->C, c->N, c->sp, c->M, c->B, c->N, c->N, c->scratch,
			     c->scratch_bytes);
	} else {
		for (int r = 0; r < c->M; r++)
			mm_sparse_compact(c->sp, r, c->rows[r]);
		mm_sparse_nn(c->C, c->N, c->sp, 1, 0, c->M, c->B, c->N, c->N);
	}
}

static double
seconds_per_call_(const struct call_ *c, int samples)
{
	double t[5];
	for (int s = 0; s < samples; s++) {
		int reps = 0;
		double start = now_sec(), elapsed;
		do {
			call_(c);
			reps++;
			elapsed = now_sec() - start;
		} while (elapsed < 0.1);
		t[s] = elapsed / reps;
	}
	qsort(t, samples, sizeof t[0], cmp_double_);
	return t[samples / 2];
}

static void
fill_(float *x, size_t n, struct rng *rng)
{
	for (size_t i = 0; i < n; i++)
		x[i] = (float)(2.0 * rng_uniform(rng) - 1.0);
}

static const char *const op_names[] = {"X·W (nn)", "Xᵀ·dY (tn)", "dY·Wᵀ (nt)"};

/* Returns the all-threads GFLOP/s. */
static double
bench_shape_(const char *what, enum mm_op op, int M, int N, int K, struct pool *one,
	     struct pool *all, int time_triple, struct rng *rng)
{
	size_t a_size = (size_t)M * K, b_size = (size_t)K * N, c_size = (size_t)M * N;
	float *A = malloc(a_size * sizeof *A), *B = malloc(b_size * sizeof *B);
	float *C = calloc(c_size, sizeof *C), *C_ref = calloc(c_size, sizeof *C);
	fill_(A, a_size, rng);
	fill_(B, b_size, rng);
	mm_pool(all, op, C, A, B, M, N, K);
	matmul_ref(C_ref, A, B, M, N, K, op == MM_TN, op == MM_NT);
	for (size_t i = 0; i < c_size; i++)
		if (fabs((double)C[i] - C_ref[i]) > 1e-5 * (K + 1) * (1.0 + fabs(C_ref[i])))
			dief(EXIT_RUNTIME, "%s: GEMM result wrong at %zu", what, i);
	double flop = 2.0 * M * N * K;
	struct call_ c = {1, one, op, C, A, B, M, N, K, NULL, NULL, NULL, 0};
	double t1 = seconds_per_call_(&c, 5);
	c.pool = all;
	double tn = seconds_per_call_(&c, 5);
	char triple[32] = "—";
	if (time_triple) {
		c.kind = 0;
		snprintf(triple, sizeof triple, "%.2f", flop / seconds_per_call_(&c, 1) / 1e9);
	}
	printf("| %s | %s | %d×%d×%d | %s | %.1f | %.1f |\n", what, op_names[op], M, N, K, triple,
	       flop / t1 / 1e9, flop / tn / 1e9);
	free(A);
	free(B);
	free(C);
	free(C_ref);
	return flop / tn / 1e9;
}

static double
density_(const struct dataset *ds)
{
	size_t nnz = 0, n = ds->count * (size_t)ds->input_size;
	for (size_t i = 0; i < n; i++)
		nnz += ds->pixels[i] != 0;
	return (double)nnz / (double)n;
}

/* The arithmetic of a whole default run at hidden width H (10000 steps of 100 images, 17
 * evaluations of both sets), counting the first layer's nonzeros only, and the time it
 * would take at the square GEMM's speed: the bound bptrain works against. */
static void
bound_(const struct dataset *train, const struct dataset *test, int H, double gflops)
{
	double K = train->input_size, steps = 10000, batch = 100, evals = 17, classes = 10;
	double d_train = density_(train), d_test = density_(test);
	double step = 2 * 2 * batch * d_train * K * H + 3 * 2 * batch * H * classes;
	double eval = (double)train->count * (2 * d_train * K * H + 2 * H * classes) +
		      (double)test->count * (2 * d_test * K * H + 2 * H * classes);
	double flop = steps * step + evals * eval;
	printf("| --hidden %d | %.1f GFLOP (%.0f%% in evaluation) | %.2f s |\n", H, flop / 1e9,
	       100 * evals * eval / flop, flop / 1e9 / gflops);
}

static void
bench_sparse_(const struct dataset *ds, int R, int H, struct rng *rng)
{
	int K = ds->input_size;
	const uint8_t **rows = malloc((size_t)R * sizeof *rows);
	size_t nnz = 0;
	for (int r = 0; r < R; r++) {
		rows[r] = ds->pixels + (size_t)rng_below(rng, ds->count) * K;
		for (int k = 0; k < K; k++)
			nnz += rows[r][k] != 0;
	}
	float *W = malloc((size_t)K * H * sizeof *W), *Y = calloc((size_t)R * H, sizeof *Y);
	fill_(W, (size_t)K * H, rng);
	void *mem = malloc(mm_sparse_bytes(R, K));
	struct mm_sparse sp;
	mm_sparse_init(&sp, R, 0, K, mem);
	struct call_ c = {2, NULL, MM_NN, Y, NULL, W, R, H, K, &sp, rows, NULL, 0};
	double t = seconds_per_call_(&c, 5);
	printf("| sparse X·W (compaction included), %d MNIST images, H=%d | %.1f%% of pixels "
	       "nonzero | %.1f µs | %.1f dense-equivalent GFLOP/s (%.1f on the nonzeros) |\n", R,
	       H, 100.0 * nnz / ((double)R * K), t * 1e6, 2.0 * R * H * K / t / 1e9,
	       2.0 * nnz * H / t / 1e9);
	/* The weight gradient on the rows the forward pass left compacted, with the scratch
	 * a thread of bptrain has. */
	c.kind = 3;
	c.scratch_bytes = fast_scratch_bytes(K);
	c.scratch = malloc(c.scratch_bytes);
	c.C = W;
	c.B = Y;
	t = seconds_per_call_(&c, 5);
	printf("| sparse Xᵀ·dY (weight gradient), %d MNIST images, H=%d | %.1f%% of pixels "
	       "nonzero | %.1f µs | %.1f dense-equivalent GFLOP/s (%.1f on the nonzeros) |\n", R,
	       H, 100.0 * nnz / ((double)R * K), t * 1e6, 2.0 * R * H * K / t / 1e9,
	       2.0 * nnz * H / t / 1e9);
	free(c.scratch);
	free(rows);
	free(W);
	free(Y);
	free(mem);
}

int
main(int argc, char **argv)
{
	struct rng rng;
	rng_seed(&rng, 1);
	int threads = pool_default_threads();
	struct pool *one = pool_create(1, mm_scratch_bytes());
	struct pool *all = pool_create(threads, mm_scratch_bytes());
	if (!one || !all)
		return 1;
	printf("| product | op | M×N×K | triple loop, 1 thread | bptrain, 1 thread | bptrain, %d threads |\n",
	       threads);
	printf("|---|---|---|---:|---:|---:|\n");
	static const int hs[] = {50, 800};
	for (int h = 0; h < 2; h++) {
		int H = hs[h];
		char what[64];
		snprintf(what, sizeof what, "forward, H=%d", H);
		bench_shape_(what, MM_NN, 100, H, 784, one, all, 1, &rng);
		snprintf(what, sizeof what, "weight gradient, H=%d", H);
		bench_shape_(what, MM_TN, 784, H, 100, one, all, 1, &rng);
		snprintf(what, sizeof what, "input gradient, H=%d", H);
		bench_shape_(what, MM_NT, 100, 784, H, one, all, 1, &rng);
		snprintf(what, sizeof what, "evaluation (1000 rows), H=%d", H);
		bench_shape_(what, MM_NN, 1000, H, 784, one, all, 1, &rng);
	}
	double peak = bench_shape_("square", MM_NN, 1024, 1024, 1024, one, all, 1, &rng);
	pool_free(one);
	pool_free(all);

	const char *dir = argc > 1 ? argv[1] : "mnist";
	char images[4096], labels[4096];
	snprintf(images, sizeof images, "%s/train-images-idx3-ubyte", dir);
	snprintf(labels, sizeof labels, "%s/train-labels-idx1-ubyte", dir);
	struct dataset ds;
	if (idx_load(&ds, images, labels) != IDX_OK) {
		printf("\n(sparse kernel: no MNIST in %s, skipped)\n", dir);
		return 0;
	}
	printf("\n| sparse first layer (1 thread) | density | time per call | speed |\n");
	printf("|---|---:|---:|---|\n");
	bench_sparse_(&ds, 100, 50, &rng);
	bench_sparse_(&ds, 100, 800, &rng);
	struct dataset test;
	snprintf(images, sizeof images, "%s/t10k-images-idx3-ubyte", dir);
	snprintf(labels, sizeof labels, "%s/t10k-labels-idx1-ubyte", dir);
	if (idx_load(&test, images, labels) == IDX_OK) {
		printf("\n| run (defaults otherwise) | arithmetic, first layer's nonzeros only | "
		       "at the square GEMM's %.0f GFLOP/s (%d threads) |\n", peak, threads);
		printf("|---|---:|---:|\n");
		bound_(&ds, &test, 50, peak);
		bound_(&ds, &test, 800, peak);
		dataset_free(&test);
	}
	dataset_free(&ds);
	return 0;
}
