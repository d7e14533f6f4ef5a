/* gemm.c: the cache-blocked dense GEMM, in C with GCC vector extensions (see vec.h).
 *
 * The kernel follows the usual GotoBLAS/BLIS layout: for each KC-deep slice of K, a
 * KC x NC panel of op(B) is packed into NR-wide column strips (it stays in L2), then MC rows
 * of op(A) are packed into MR-tall row strips; an MR x NR register tile of C is loaded,
 * updated with one multiply-add per k and stored back. Partial tiles at the edges are padded
 * with zeros in the packed panels and computed through a small buffer, so any size works and
 * every element is still computed by the same chain of operations (see gemm.h). */
#include "gemm.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "vec.h"

/* The register tile is MR rows by NR = 2*VL columns, i.e. 2*MR accumulators: 20 of the 32
 * AVX-512 registers, or 12 of the 16 AVX or SSE ones. */
#if defined(__AVX512F__)
#define MR 10
#else
#define MR 6
#endif
#define NV 2
#define NR (NV * VL)

/* KC x NR of B (32 KiB with AVX-512) streams from L2 while an MR x KC strip of A (10 KiB)
 * stays in L1; the KC x NC panel of B (512 KiB) fits the 1 MiB L2 of the machines we target,
 * MC x KC of A (120 KiB) is packed once per panel. */
enum { KC = 256, NC = 512, MC = MR * 12 };

/* Packed A and B, then the kept steps of each strip of A and their counts. */
#define SCRATCH_FLOATS ((size_t)MC * KC + (size_t)KC * NC + (size_t)MC / MR * KC + MC / MR)

size_t
mm_scratch_bytes(void)
{
	return SCRATCH_FLOATS * sizeof(float);
}

/* ---- dense GEMM ---- */

/* C(MR,NR) with row stride ldc += a · b over the n steps k = ks[0..n-1]: a holds MR values
 * per step (packed), b NR values per k of the whole panel. Steps whose MR values of A are
 * all zero were dropped when A was packed (adding 0 * b changes nothing), which pays off
 * for ReLU outputs and image pixels. */
static void
kernel_(int n, const int *restrict ks, const float *restrict a, const float *restrict b,
	float *restrict c, int ldc)
{
	vf acc[MR][NV];
	for (int i = 0; i < MR; i++)
		for (int v = 0; v < NV; v++)
			acc[i][v] = vec_load(c + (size_t)i * ldc + v * VL);
	for (int p = 0; p < n; p++) {
		const float *bk = b + (size_t)ks[p] * NR;
		vf bv[NV];
		for (int v = 0; v < NV; v++)
			bv[v] = vec_load(bk + v * VL);
		for (int i = 0; i < MR; i++) {
			float ai = a[(size_t)p * MR + i];
			for (int v = 0; v < NV; v++)
				acc[i][v] += ai * bv[v];
		}
	}
	for (int i = 0; i < MR; i++)
		for (int v = 0; v < NV; v++)
			vec_store(c + (size_t)i * ldc + v * VL, acc[i][v]);
}

/* An mr x nr corner of a tile: the same kernel on a zero-padded copy of C. */
static void
edge_tile_(int n, const int *ks, const float *a, const float *b, float *c, int ldc, int mr,
	   int nr)
{
	float buf[MR * NR] __attribute__((aligned(64)));
	memset(buf, 0, sizeof buf);
	for (int i = 0; i < mr; i++)
		memcpy(buf + i * NR, c + (size_t)i * ldc, (size_t)nr * sizeof *c);
	kernel_(n, ks, a, b, buf, NR);
	for (int i = 0; i < mr; i++)
		memcpy(c + (size_t)i * ldc, buf + i * NR, (size_t)nr * sizeof *c);
}

/* Nonzero unless all MR values are +0 or -0: the sign bit is shifted out. */
static inline uint32_t
any_nonzero_(const float *v)
{
	uint32_t any = 0;
	for (int i = 0; i < MR; i++) {
		uint32_t bits;
		memcpy(&bits, v + i, sizeof bits);
		any |= bits << 1;
	}
	return any;
}

/* Pack op(A)(0..mc, 0..kc) into MR-row strips, k-major within a strip, zero-padded, and
 * drop the steps k whose MR values are all zero: strip s keeps counts[s] steps, listed in
 * ks[s*kc ...]. Every step is written at the next free slot and the slot is kept only if
 * nonzero, so there is no unpredictable branch. */
static void
pack_a_(float *restrict dst, int *restrict ks, int *restrict counts, const float *restrict A,
	int rs, int cs, int mc, int kc)
{
	for (int i0 = 0; i0 < mc; i0 += MR) {
		int mr = vec_min(MR, mc - i0), kept = 0;
		float *d = dst + (size_t)i0 * kc;
		int *strip_ks = ks + (size_t)(i0 / MR) * kc;
		if (cs == 1) {
			/* Rows of A are contiguous: read each row once, write with stride MR,
			 * then compact the steps in place (slot kept <= k). */
			for (int i = 0; i < mr; i++) {
				const float *src = A + (size_t)(i0 + i) * rs;
				for (int k = 0; k < kc; k++)
					d[(size_t)k * MR + i] = src[k];
			}
			for (int i = mr; i < MR; i++)
				for (int k = 0; k < kc; k++)
					d[(size_t)k * MR + i] = 0.0f;
			for (int k = 0; k < kc; k++) {
				float step[MR];
				memcpy(step, d + (size_t)k * MR, sizeof step);
				/* Dense data never moves, so this branch is predictable there. */
				if (kept != k)
					memcpy(d + (size_t)kept * MR, step, sizeof step);
				strip_ks[kept] = k;
				kept += any_nonzero_(step) != 0;
			}
		} else if (mr == MR && rs == 1) {
			for (int k = 0; k < kc; k++) {
				/* Test the values read, not the ones written: reading back
				 * the store would chain every step through memory. */
				float step[MR];
				memcpy(step, A + (size_t)k * cs + i0, sizeof step);
				memcpy(d + (size_t)kept * MR, step, sizeof step);
				strip_ks[kept] = k;
				kept += any_nonzero_(step) != 0;
			}
		} else {
			for (int k = 0; k < kc; k++) {
				const float *src = A + (size_t)k * cs + (size_t)i0 * rs;
				float step[MR];
				for (int i = 0; i < MR; i++)
					step[i] = i < mr ? src[(size_t)i * rs] : 0.0f;
				memcpy(d + (size_t)kept * MR, step, sizeof step);
				strip_ks[kept] = k;
				kept += any_nonzero_(step) != 0;
			}
		}
		counts[i0 / MR] = kept;
	}
}

/* Pack op(B)(0..kc, 0..nc) into NR-column strips, k-major within a strip, zero-padded. */
static void
pack_b_(float *restrict dst, const float *restrict B, int rs, int cs, int kc, int nc)
{
	for (int j0 = 0; j0 < nc; j0 += NR) {
		int nr = vec_min(NR, nc - j0);
		float *d = dst + (size_t)j0 * kc;
		if (cs == 1) {
			for (int k = 0; k < kc; k++) {
				const float *src = B + (size_t)k * rs + j0;
				float *dk = d + (size_t)k * NR;
				memcpy(dk, src, (size_t)nr * sizeof *dk);
				for (int j = nr; j < NR; j++)
					dk[j] = 0.0f;
			}
		} else {
			/* Columns of op(B) are contiguous (B transposed): read each once. */
			for (int j = 0; j < nr; j++) {
				const float *src = B + (size_t)(j0 + j) * cs;
				for (int k = 0; k < kc; k++)
					d[(size_t)k * NR + j] = src[(size_t)k * rs];
			}
			for (int j = nr; j < NR; j++)
				for (int k = 0; k < kc; k++)
					d[(size_t)k * NR + j] = 0.0f;
		}
	}
}

/* ---- narrow products ---- */

/* C with at most NARROW_VECS vectors per row (the second layer's 10 logits, a hidden layer
 * of 50) is not worth packing A for: the tile would be mostly padding. Instead op(B) is
 * copied into rows of nv vectors, and each row of C, two at a time for two independent
 * chains (eight for rows of one vector, below), sums its terms k = 0, 1, ... in order, as
 * kernel_ does. */
enum { NARROW_VECS = 4 };
#define NARROW_COLS (NARROW_VECS * VL)

static inline __attribute__((always_inline)) void
narrow_rows_(int nv, float *C, int ldc, const float *A, int a_rs, int a_cs,
	     const float *restrict bp, int M, int N, int kc)
{
	for (int i = 0; i < M; i += 2) {
		/* An odd last row is paired with itself and stored once. */
		int pair = i + 1 < M;
		const float *a0 = A + (size_t)i * a_rs, *a1 = pair ? a0 + a_rs : a0;
		float buf[2][NARROW_COLS] __attribute__((aligned(64))) = {{0}};
		memcpy(buf[0], C + (size_t)i * ldc, (size_t)N * sizeof *C);
		if (pair)
			memcpy(buf[1], C + (size_t)(i + 1) * ldc, (size_t)N * sizeof *C);
		vf acc0[NARROW_VECS], acc1[NARROW_VECS];
		for (int v = 0; v < nv; v++) {
			acc0[v] = vec_load(buf[0] + v * VL);
			acc1[v] = vec_load(buf[1] + v * VL);
		}
		for (int k = 0; k < kc; k++) {
			float x0 = a0[(size_t)k * a_cs], x1 = a1[(size_t)k * a_cs];
			const float *b = bp + (size_t)k * nv * VL;
			for (int v = 0; v < nv; v++) {
				vf bv = vec_load(b + v * VL);
				acc0[v] += x0 * bv;
				acc1[v] += x1 * bv;
			}
		}
		for (int v = 0; v < nv; v++) {
			vec_store(buf[0] + v * VL, acc0[v]);
			vec_store(buf[1] + v * VL, acc1[v]);
		}
		memcpy(C + (size_t)i * ldc, buf[0], (size_t)N * sizeof *C);
		if (pair)
			memcpy(C + (size_t)(i + 1) * ldc, buf[1], (size_t)N * sizeof *C);
	}
}

/* The same for rows of one vector (10 logits), eight rows at a time: two chains would wait on
 * the multiply-add's latency, eight keep it busy (the 50->10 and 800->10 products 25-35%
 * faster, measured side by side in one process). Rows past M repeat the last and are not
 * stored. */
enum { NARROW_ROWS = 8 };

static void
narrow_rows8_(float *C, int ldc, const float *A, int a_rs, int a_cs, const float *restrict bp,
	      int M, int N, int kc)
{
	for (int i = 0; i < M; i += NARROW_ROWS) {
		int rows = vec_min(NARROW_ROWS, M - i);
		const float *a[NARROW_ROWS];
		float buf[NARROW_ROWS][VL] __attribute__((aligned(64))) = {{0}};
		vf acc[NARROW_ROWS];
		for (int r = 0; r < NARROW_ROWS; r++) {
			int row = i + vec_min(r, rows - 1);
			a[r] = A + (size_t)row * a_rs;
			memcpy(buf[r], C + (size_t)row * ldc, (size_t)N * sizeof *C);
			acc[r] = vec_load(buf[r]);
		}
		for (int k = 0; k < kc; k++) {
			vf bv = vec_load(bp + (size_t)k * VL);
			for (int r = 0; r < NARROW_ROWS; r++)
				acc[r] += a[r][(size_t)k * a_cs] * bv;
		}
		for (int r = 0; r < rows; r++) {
			vec_store(buf[r], acc[r]);
			memcpy(C + (size_t)(i + r) * ldc, buf[r], (size_t)N * sizeof *C);
		}
	}
}

/* The same for rows of more than one vector but at most one and a half (the 10 logits with
 * AVX2): a full vector and a half per row, four rows at a time, which is eight chains (two
 * full vectors a row in pairs of rows was four, waiting on the multiply-add's latency, and a
 * quarter more work on padding). The last N - VL columns of a row go through `tail`, so
 * nothing past the row is read or written, without a call to memcpy. */
enum { HALF_ROWS = 4 };

static void
narrow_rows_half_(float *C, int ldc, const float *A, int a_rs, int a_cs,
		  const float *restrict bp, int M, int N, int kc)
{
	int rest = N - VL;
	for (int i = 0; i < M; i += HALF_ROWS) {
		int rows = vec_min(HALF_ROWS, M - i);
		const float *a[HALF_ROWS];
		float *c[HALF_ROWS], tail[HALF_ROWS][VL / 2];
		vf acc[HALF_ROWS];
		vh hacc[HALF_ROWS];
		for (int r = 0; r < HALF_ROWS; r++) {
			int row = i + vec_min(r, rows - 1);
			a[r] = A + (size_t)row * a_rs;
			c[r] = C + (size_t)row * ldc;
			for (int j = 0; j < VL / 2; j++)
				tail[r][j] = j < rest ? c[r][VL + j] : 0.0f;
			acc[r] = vec_load(c[r]);
			hacc[r] = vec_load_half(tail[r]);
		}
		for (int k = 0; k < kc; k++) {
			vf bv = vec_load(bp + (size_t)k * 2 * VL);
			vh bh = vec_load_half(bp + (size_t)k * 2 * VL + VL);
			for (int r = 0; r < HALF_ROWS; r++) {
				vf x = vec_broadcast(a[r][(size_t)k * a_cs]);
				acc[r] += x * bv;
				hacc[r] += vec_low_half(x) * bh;
			}
		}
		for (int r = 0; r < rows; r++) {
			vec_store(c[r], acc[r]);
			vec_store_half(tail[r], hacc[r]);
			for (int j = 0; j < VL / 2; j++)
				if (j < rest)
					c[r][VL + j] = tail[r][j];
		}
	}
}

/* Wider rows (up to SHORT_VECS vectors) over few steps k, as in dx = dy · Wᵀ below the 10
 * logits: packing tiles for the register kernel costs more than the product. One row at a
 * time, every vector of it in registers; a last vector that N does not fill is shifted left
 * to end at N, overlapping its neighbour, which computes the shared columns identically
 * (all of C's row is loaded before any of it is stored). */
enum { SHORT_VECS = 8, SHORT_K = 32 };
_Static_assert(SHORT_K * SHORT_VECS * VL <= KC * NC, "a short product's B must fit the scratch");

static inline int
short_col_(int v, int nv, int N)
{
	return v < nv - 1 ? v * VL : N - VL;
}

static inline __attribute__((always_inline)) void
short_rows_(int nv, float *C, int ldc, const float *A, int a_rs, int a_cs,
	    const float *restrict bp, int M, int N, int kc)
{
	for (int i = 0; i < M; i++) {
		float *c = C + (size_t)i * ldc;
		const float *a = A + (size_t)i * a_rs;
		vf acc[SHORT_VECS];
		for (int v = 0; v < nv; v++)
			acc[v] = vec_load(c + short_col_(v, nv, N));
		for (int k = 0; k < kc; k++) {
			vf x = vec_broadcast(a[(size_t)k * a_cs]);
			const float *b = bp + (size_t)k * nv * VL;
			for (int v = 0; v < nv; v++)
				acc[v] += x * vec_load(b + v * VL);
		}
		for (int v = 0; v < nv; v++)
			vec_store(c + short_col_(v, nv, N), acc[v]);
	}
}

static void
gemm_short_(float *C, int ldc, const float *A, int a_rs, int a_cs, const float *B, int b_rs,
	    int b_cs, int M, int N, int K, float *bp)
{
	int nv = (N + VL - 1) / VL;
	for (int k = 0; k < K; k++)
		for (int v = 0; v < nv; v++)
			for (int l = 0; l < VL; l++)
				bp[((size_t)k * nv + v) * VL + l] =
					B[(size_t)k * b_rs + (size_t)(short_col_(v, nv, N) + l) * b_cs];
	switch (nv) {
	case 5: short_rows_(5, C, ldc, A, a_rs, a_cs, bp, M, N, K); break;
	case 6: short_rows_(6, C, ldc, A, a_rs, a_cs, bp, M, N, K); break;
	case 7: short_rows_(7, C, ldc, A, a_rs, a_cs, bp, M, N, K); break;
	default: short_rows_(8, C, ldc, A, a_rs, a_cs, bp, M, N, K); break;
	}
}

static void
gemm_narrow_(float *C, int ldc, const float *A, int a_rs, int a_cs, const float *B, int b_rs,
	     int b_cs, int M, int N, int K, float *bp)
{
	int nv = (N + VL - 1) / VL;
	for (int pc = 0; pc < K; pc += KC) {
		int kc = vec_min(KC, K - pc);
		for (int k = 0; k < kc; k++) {
			float *row = bp + (size_t)k * nv * VL;
			const float *src = B + (size_t)(pc + k) * b_rs;
			for (int j = 0; j < nv * VL; j++)
				row[j] = j < N ? src[(size_t)j * b_cs] : 0.0f;
		}
		const float *a = A + (size_t)pc * a_cs;
		/* A constant nv in each call lets the compiler keep the accumulators in
		 * registers. */
		switch (nv) {
		case 1: narrow_rows8_(C, ldc, a, a_rs, a_cs, bp, M, N, kc); break;
		case 2:
			if (N <= VL + VL / 2)
				narrow_rows_half_(C, ldc, a, a_rs, a_cs, bp, M, N, kc);
			else
				narrow_rows_(2, C, ldc, a, a_rs, a_cs, bp, M, N, kc);
			break;
		case 3: narrow_rows_(3, C, ldc, a, a_rs, a_cs, bp, M, N, kc); break;
		default: narrow_rows_(4, C, ldc, a, a_rs, a_cs, bp, M, N, kc); break;
		}
	}
}

void
mm_gemm(float *C, int ldc, const float *A, int a_rs, int a_cs, const float *B, int b_rs,
	int b_cs, int M, int N, int K, void *scratch)
{
	float *pa = scratch, *pb = pa + (size_t)MC * KC;
	if (N <= NARROW_COLS) {
		gemm_narrow_(C, ldc, A, a_rs, a_cs, B, b_rs, b_cs, M, N, K, pb);
		return;
	}
	if (N <= SHORT_VECS * VL && K <= SHORT_K) {
		gemm_short_(C, ldc, A, a_rs, a_cs, B, b_rs, b_cs, M, N, K, pb);
		return;
	}
	int *ks = (int *)(pb + (size_t)KC * NC), *counts = ks + (size_t)MC / MR * KC;
	for (int jc = 0; jc < N; jc += NC) {
		int nc = vec_min(NC, N - jc);
		for (int pc = 0; pc < K; pc += KC) {
			int kc = vec_min(KC, K - pc);
			pack_b_(pb, B + (size_t)pc * b_rs + (size_t)jc * b_cs, b_rs, b_cs, kc, nc);
			for (int ic = 0; ic < M; ic += MC) {
				int mc = vec_min(MC, M - ic);
				pack_a_(pa, ks, counts, A + (size_t)ic * a_rs + (size_t)pc * a_cs, a_rs,
					a_cs, mc, kc);
				for (int ir = 0; ir < mc; ir += MR) {
					int mr = vec_min(MR, mc - ir);
					const float *a = pa + (size_t)ir * kc;
					const int *strip_ks = ks + (size_t)(ir / MR) * kc;
					int n = counts[ir / MR];
					float *c_row = C + (size_t)(ic + ir) * ldc + jc;
					for (int jr = 0; jr < nc; jr += NR) {
						int nr = vec_min(NR, nc - jr);
						const float *b = pb + (size_t)jr * kc;
						if (mr == MR && nr == NR)
							kernel_(n, strip_ks, a, b, c_row + jr, ldc);
						else
							edge_tile_(n, strip_ks, a, b, c_row + jr, ldc, mr,
								   nr);
					}
				}
			}
		}
	}
}

/* Row and column strides of op(A) and op(B), for A and B stored with row strides lda, ldb. */
struct strides_ {
	int a_rs, a_cs, b_rs, b_cs;
};

static struct strides_
strides_(enum mm_op op, int lda, int ldb)
{
	switch (op) {
	case MM_NN:
		return (struct strides_){lda, 1, ldb, 1};
	case MM_TN:
		return (struct strides_){1, lda, ldb, 1};
	case MM_NT:
		return (struct strides_){lda, 1, 1, ldb};
	}
	abort();
}

/* The row strides of A and B when they are stored whole. */
static int
packed_lda_(enum mm_op op, int M, int K)
{
	return op == MM_TN ? M : K;
}

static int
packed_ldb_(enum mm_op op, int N, int K)
{
	return op == MM_NT ? K : N;
}

void
mm_serial(enum mm_op op, float *C, int ldc, const float *A, int lda, const float *B, int ldb,
	  int M, int N, int K)
{
	if (M <= 0 || N <= 0 || K <= 0)
		return;
	/* C11 wants the size of an aligned_alloc to be a multiple of the alignment. */
	void *scratch = aligned_alloc(64, (SCRATCH_FLOATS * sizeof(float) + 63) / 64 * 64);
	if (!scratch)
		dief(EXIT_RUNTIME, "out of memory allocating GEMM scratch");
	struct strides_ s = strides_(op, lda, ldb);
	mm_gemm(C, ldc, A, s.a_rs, s.a_cs, B, s.b_rs, s.b_cs, M, N, K, scratch);
	free(scratch);
}

void
mm_nn(float *C, const float *A, const float *B, int M, int N, int K)
{
	mm_serial(MM_NN, C, N, A, K, B, N, M, N, K);
}

void
mm_tn(float *C, const float *A, const float *B, int M, int N, int K)
{
	mm_serial(MM_TN, C, N, A, M, B, N, M, N, K);
}

void
mm_nt(float *C, const float *A, const float *B, int M, int N, int K)
{
	mm_serial(MM_NT, C, N, A, K, B, K, M, N, K);
}

struct gemm_job_ {
	float *C;
	const float *A, *B;
	struct strides_ s;
	int M, N, K;
	int tm, tn, col_blocks; /* C is cut into tm x tn blocks, one task each */
	struct pool *pool;
};

static void
gemm_task_(void *arg, int task, int thread)
{
	const struct gemm_job_ *job = arg;
	int i0 = task / job->col_blocks * job->tm, j0 = task % job->col_blocks * job->tn;
	const struct strides_ *s = &job->s;
	mm_gemm(job->C + (size_t)i0 * job->N + j0, job->N,
		job->A + (size_t)i0 * s->a_rs, s->a_rs, s->a_cs,
		job->B + (size_t)j0 * s->b_cs, s->b_rs, s->b_cs,
		vec_min(job->tm, job->M - i0), vec_min(job->tn, job->N - j0), job->K,
		pool_scratch(job->pool, thread));
}

static int
round_up_(int x, int multiple)
{
	return (x + multiple - 1) / multiple * multiple;
}

void
mm_pool(struct pool *pool, enum mm_op op, float *C, const float *A, const float *B, int M, int N,
	int K)
{
	if (M <= 0 || N <= 0 || K <= 0)
		return;
	/* Split C until there are about two blocks per thread (so a thread that starts late
	 * still gets a share), halving the longer side but keeping blocks at least two tiles
	 * wide: each block repacks its rows of A and columns of B, which with four blocks per
	 * thread cost the 100x800x784 forward product about a tenth of its speed. */
	int threads = pool_threads(pool);
	int tm = round_up_(M, MR), tn = round_up_(N, NR);
	int want = threads > 1 ? 2 * threads : 1;
	for (;;) {
		int blocks = ((M + tm - 1) / tm) * ((N + tn - 1) / tn);
		if (blocks >= want)
			break;
		if (tn >= 4 * NR && (tn >= tm || tm < 4 * MR))
			tn = round_up_(tn / 2, NR);
		else if (tm >= 4 * MR)
			tm = round_up_(tm / 2, MR);
		else
			break;
	}
	struct gemm_job_ job = {C, A, B, strides_(op, packed_lda_(op, M, K), packed_ldb_(op, N, K)),
				M, N, K, tm, tn,
				(N + tn - 1) / tn, pool};
	pool_run(pool, gemm_task_, &job, ((M + tm - 1) / tm) * job.col_blocks);
}


/* ---- reference ---- */

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
