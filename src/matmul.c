/* matmul.c: cache-blocked GEMM and the sparse byte-image products, in C with GCC vector
 * extensions (also understood by Clang). Nothing is ISA-specific: the vector width below
 * only picks a tile shape that fits the target's registers, and the compiler lowers the
 * vector arithmetic to whatever the target has (SSE2 in a portable x86-64 build).
 *
 * The dense kernel follows the usual GotoBLAS/BLIS layout: for each KC-deep slice of K, a
 * KC x NC panel of op(B) is packed into NR-wide column strips (it stays in L2), then MC rows
 * of op(A) are packed into MR-tall row strips; an MR x NR register tile of C is loaded,
 * updated with one multiply-add per k and stored back. Partial tiles at the edges are padded
 * with zeros in the packed panels and computed through a small buffer, so any size works and
 * every element is still computed by the same chain of operations (see matmul.h). */
#include "matmul.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__AVX512F__)
#include <immintrin.h> /* only for compacting sparse rows; see mm_sparse_compact */
#endif

#include "util.h"

/* VL floats per vector; the register tile is MR rows by NR = 2*VL columns, i.e. 2*MR
 * accumulators: 20 of the 32 AVX-512 registers, or 12 of the 16 AVX or SSE ones. */
#if defined(__AVX512F__)
#define VL 16
#define MR 10
#elif defined(__AVX__)
#define VL 8
#define MR 6
#else
#define VL 4
#define MR 6
#endif
#define NV 2
#define NR (NV * VL)

typedef float vf __attribute__((vector_size(VL * sizeof(float))));

/* c + a*b for the scalar code paths, rounded like the vector ones: GCC contracts the vector
 * c += a*b into a fused multiply-add where the target has one (see the Makefile), but it
 * may vectorize the products of a scalar loop and keep the adds apart, so say it. */
#if defined(FP_FAST_FMAF)
#define MADD_(a, b, c) fmaf((a), (b), (c))
#else
#define MADD_(a, b, c) ((a) * (b) + (c))
#endif

/* KC x NR of B (32 KiB with AVX-512) streams from L2 while an MR x KC strip of A (10 KiB)
 * stays in L1; the KC x NC panel of B (512 KiB) fits the 1 MiB L2 of the machines we target,
 * MC x KC of A (120 KiB) is packed once per panel. */
enum { KC = 256, NC = 512, MC = MR * 12 };

/* Columns per sparse pass: four vectors of Y (or dW) stay in registers while the nonzeros
 * stream by. */
enum { SP_VECS = 4 };


/* Packed A and B, then the kept steps of each strip of A and their counts. */
#define SCRATCH_FLOATS ((size_t)MC * KC + (size_t)KC * NC + (size_t)MC / MR * KC + MC / MR)

size_t
mm_scratch_bytes(void)
{
	return SCRATCH_FLOATS * sizeof(float);
}

static inline vf
load_(const float *p)
{
	vf v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline void
store_(float *p, vf v)
{
	memcpy(p, &v, sizeof v);
}

static int
min_(int a, int b)
{
	return a < b ? a : b;
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
			acc[i][v] = load_(c + (size_t)i * ldc + v * VL);
	for (int p = 0; p < n; p++) {
		const float *bk = b + (size_t)ks[p] * NR;
		vf bv[NV];
		for (int v = 0; v < NV; v++)
			bv[v] = load_(bk + v * VL);
		for (int i = 0; i < MR; i++) {
			float ai = a[(size_t)p * MR + i];
			for (int v = 0; v < NV; v++)
				acc[i][v] += ai * bv[v];
		}
	}
	for (int i = 0; i < MR; i++)
		for (int v = 0; v < NV; v++)
			store_(c + (size_t)i * ldc + v * VL, acc[i][v]);
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
		int mr = min_(MR, mc - i0), kept = 0;
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
		int nr = min_(NR, nc - j0);
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
 * chains, sums its terms k = 0, 1, ... in order, as kernel_ does. */
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
			acc0[v] = load_(buf[0] + v * VL);
			acc1[v] = load_(buf[1] + v * VL);
		}
		for (int k = 0; k < kc; k++) {
			float x0 = a0[(size_t)k * a_cs], x1 = a1[(size_t)k * a_cs];
			const float *b = bp + (size_t)k * nv * VL;
			for (int v = 0; v < nv; v++) {
				vf bv = load_(b + v * VL);
				acc0[v] += x0 * bv;
				acc1[v] += x1 * bv;
			}
		}
		for (int v = 0; v < nv; v++) {
			store_(buf[0] + v * VL, acc0[v]);
			store_(buf[1] + v * VL, acc1[v]);
		}
		memcpy(C + (size_t)i * ldc, buf[0], (size_t)N * sizeof *C);
		if (pair)
			memcpy(C + (size_t)(i + 1) * ldc, buf[1], (size_t)N * sizeof *C);
	}
}

static void
gemm_narrow_(float *C, int ldc, const float *A, int a_rs, int a_cs, const float *B, int b_rs,
	     int b_cs, int M, int N, int K, float *bp)
{
	int nv = (N + VL - 1) / VL;
	for (int pc = 0; pc < K; pc += KC) {
		int kc = min_(KC, K - pc);
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
		case 1: narrow_rows_(1, C, ldc, a, a_rs, a_cs, bp, M, N, kc); break;
		case 2: narrow_rows_(2, C, ldc, a, a_rs, a_cs, bp, M, N, kc); break;
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
	int *ks = (int *)(pb + (size_t)KC * NC), *counts = ks + (size_t)MC / MR * KC;
	for (int jc = 0; jc < N; jc += NC) {
		int nc = min_(NC, N - jc);
		for (int pc = 0; pc < K; pc += KC) {
			int kc = min_(KC, K - pc);
			pack_b_(pb, B + (size_t)pc * b_rs + (size_t)jc * b_cs, b_rs, b_cs, kc, nc);
			for (int ic = 0; ic < M; ic += MC) {
				int mc = min_(MC, M - ic);
				pack_a_(pa, ks, counts, A + (size_t)ic * a_rs + (size_t)pc * a_cs, a_rs,
					a_cs, mc, kc);
				for (int ir = 0; ir < mc; ir += MR) {
					int mr = min_(MR, mc - ir);
					const float *a = pa + (size_t)ir * kc;
					const int *strip_ks = ks + (size_t)(ir / MR) * kc;
					int n = counts[ir / MR];
					float *c_row = C + (size_t)(ic + ir) * ldc + jc;
					for (int jr = 0; jr < nc; jr += NR) {
						int nr = min_(NR, nc - jr);
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

/* Row and column strides of op(A) and op(B) for an operation on dense matrices. */
struct strides_ {
	int a_rs, a_cs, b_rs, b_cs;
};

static struct strides_
strides_(enum mm_op op, int M, int N, int K)
{
	switch (op) {
	case MM_TN:
		return (struct strides_){1, M, N, 1};
	case MM_NT:
		return (struct strides_){K, 1, 1, K};
	case MM_NN:
	default:
		return (struct strides_){K, 1, N, 1};
	}
}

static void
mm_serial_(enum mm_op op, float *C, const float *A, const float *B, int M, int N, int K)
{
	if (M <= 0 || N <= 0 || K <= 0)
		return;
	/* C11 wants the size of an aligned_alloc to be a multiple of the alignment. */
	void *scratch = aligned_alloc(64, (SCRATCH_FLOATS * sizeof(float) + 63) / 64 * 64);
	if (!scratch)
		dief(EXIT_RUNTIME, "out of memory allocating GEMM scratch");
	struct strides_ s = strides_(op, M, N, K);
	mm_gemm(C, N, A, s.a_rs, s.a_cs, B, s.b_rs, s.b_cs, M, N, K, scratch);
	free(scratch);
}

void
mm_nn(float *C, const float *A, const float *B, int M, int N, int K)
{
	mm_serial_(MM_NN, C, A, B, M, N, K);
}

void
mm_tn(float *C, const float *A, const float *B, int M, int N, int K)
{
	mm_serial_(MM_TN, C, A, B, M, N, K);
}

void
mm_nt(float *C, const float *A, const float *B, int M, int N, int K)
{
	mm_serial_(MM_NT, C, A, B, M, N, K);
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
		min_(job->tm, job->M - i0), min_(job->tn, job->N - j0), job->K,
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
	struct gemm_job_ job = {C, A, B, strides_(op, M, N, K), M, N, K, tm, tn,
				(N + tn - 1) / tn, pool};
	pool_run(pool, gemm_task_, &job, ((M + tm - 1) / tm) * job.col_blocks);
}

/* ---- sparse products over byte images ---- */

/* The column passes over a row of N floats: up to SP_VECS vectors each. When N is not a
 * multiple of VL, the last columns are covered by a vector that ends at N and overlaps its
 * neighbour in the same pass; both compute the shared columns identically from the same
 * initial values, so storing both is harmless, and no scalar tail or mask is needed. That
 * vector is a half vector (VL/2 floats, half the work on targets that split full vectors
 * in two) when half a vector covers the rest, as with the 50 of a hidden layer of 50 and
 * AVX-512 (3 vectors and a half instead of 4); otherwise the last full vector is shifted
 * left to end at N, and the last pass is given at least two vectors so that it never
 * reaches into an earlier pass. */
typedef float vh __attribute__((vector_size(VL / 2 * sizeof(float))));

struct passes_ {
	int count;
	int vecs[64];
	int half[64];                /* col[p][vecs[p]] is the column of a half vector */
	int col[64][SP_VECS + 1];
};

static int
plan_passes_(struct passes_ *p, int N)
{
	p->count = 0;
	if (N < VL)
		return 0;
	int rem = N % VL, use_half = VL >= 8 && rem != 0 && rem <= VL / 2;
	int left = use_half ? N / VL : (N + VL - 1) / VL, j = 0;
	while (left > 0) {
		int nv = left > SP_VECS ? SP_VECS : left;
		if (left > SP_VECS && left - SP_VECS == 1)
			nv = SP_VECS - 1;
		left -= nv;
		/* Very wide rows (N > 64 * SP_VECS * VL) would overflow the table: the caller
		 * handles columns in groups of at most SP_MAX_COLS. */
		p->vecs[p->count] = nv;
		p->half[p->count] = use_half && left == 0;
		for (int v = 0; v < nv; v++)
			p->col[p->count][v] = j + v * VL;
		if (left == 0 && use_half)
			p->col[p->count][nv] = N - VL / 2;
		else if (left == 0)
			p->col[p->count][nv - 1] = N - VL;
		j += nv * VL;
		p->count++;
	}
	return 1;
}

static inline vh
load_half_(const float *p)
{
	vh v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline void
store_half_(float *p, vh v)
{
	memcpy(p, &v, sizeof v);
}

/* Columns handled per call of the pass planner. */
#define SP_MAX_COLS (64 * SP_VECS * VL - 2 * VL)

/* One row's nonzeros in one block of columns. */
struct sp_segment_ {
	const int *idx;
	const float *val;
	int nnz;
};

/* y[col[v] ...] += Σ_p val[p] · w[idx[p]*ldw + col[v] ...] for v < nv, over the segments of a
 * row: the first segment's terms are added to y one by one, each later segment's are summed
 * from zero and the sum added (see mm_sparse_nn). Each vector count gets its own small
 * function so that the accumulators stay in registers. */
#define SP_AXPY_PASS(nv, nh)                                                                  \
	static void                                                                            \
	sp_axpy_pass##nv##_##nh##_(const int *col, float *restrict y, const float *restrict W,  \
				   size_t ldw, const struct sp_segment_ *seg, int n_seg)       \
	{                                                                                      \
		vf acc[nv], sum[nv];                                                           \
		vh hacc = {0}, hsum = {0};                                                     \
		for (int v = 0; v < nv; v++)                                                   \
			acc[v] = load_(y + col[v]);                                            \
		if (nh)                                                                        \
			hacc = load_half_(y + col[nv]);                                        \
		for (int s = 0; s < n_seg; s++) {                                              \
			const int *idx = seg[s].idx;                                           \
			const float *val = seg[s].val;                                         \
			for (int v = 0; v < nv; v++)                                           \
				sum[v] = s == 0 ? acc[v] : (vf){0};                            \
			hsum = s == 0 ? hacc : (vh){0};                                        \
			for (int p = 0; p < seg[s].nnz; p++) {                                 \
				const float *w = W + (size_t)idx[p] * ldw;                     \
				float x = val[p];                                              \
				for (int v = 0; v < nv; v++)                                   \
					sum[v] += x * load_(w + col[v]);                       \
				if (nh)                                                        \
					hsum += x * load_half_(w + col[nv]);                   \
			}                                                                      \
			for (int v = 0; v < nv; v++)                                           \
				acc[v] = s == 0 ? sum[v] : acc[v] + sum[v];                    \
			hacc = s == 0 ? hsum : hacc + hsum;                                    \
		}                                                                              \
		for (int v = 0; v < nv; v++)                                                   \
			store_(y + col[v], acc[v]);                                            \
		if (nh)                                                                        \
			store_half_(y + col[nv], hacc);                                        \
	}
SP_AXPY_PASS(1, 0)
SP_AXPY_PASS(2, 0)
SP_AXPY_PASS(3, 0)
SP_AXPY_PASS(4, 0)
SP_AXPY_PASS(1, 1)
SP_AXPY_PASS(2, 1)
SP_AXPY_PASS(3, 1)
SP_AXPY_PASS(4, 1)

typedef void sp_axpy_fn_(const int *, float *, const float *, size_t, const struct sp_segment_ *,
			 int);
static sp_axpy_fn_ *const sp_axpy_[2][SP_VECS + 1] = {
	{NULL, sp_axpy_pass1_0_, sp_axpy_pass2_0_, sp_axpy_pass3_0_, sp_axpy_pass4_0_},
	{NULL, sp_axpy_pass1_1_, sp_axpy_pass2_1_, sp_axpy_pass3_1_, sp_axpy_pass4_1_},
};

/* The same for N < VL, one column at a time. */
static void
sp_axpy_scalar_(int N, float *restrict y, const float *restrict W, size_t ldw,
		const struct sp_segment_ *seg, int n_seg)
{
	for (int j = 0; j < N; j++) {
		float acc = y[j];
		for (int s = 0; s < n_seg; s++) {
			float sum = s == 0 ? acc : 0.0f;
			for (int p = 0; p < seg[s].nnz; p++)
				sum = MADD_(seg[s].val[p], W[(size_t)seg[s].idx[p] * ldw + j], sum);
			acc = s == 0 ? sum : acc + sum;
		}
		y[j] = acc;
	}
}

/* The transposed product's version, one row of dW: see sp_gather_pass. */
struct sp_entry_ {
	int row;
	float x;
};

static void
sp_gather_scalar_(int N, float *restrict dw, const float *restrict dY, size_t ldy,
		  const struct sp_entry_ *restrict list, int n)
{
	for (int j = 0; j < N; j++) {
		float acc = dw[j];
		for (int p = 0; p < n; p++)
			acc = MADD_(list[p].x, dY[(size_t)list[p].row * ldy + j], acc);
		dw[j] = acc;
	}
}

/* Row r of the compacted rows: K column indices, K values and the count, one row after
 * another, so each row is written by one task only. */
static size_t
row_ints_(const struct mm_sparse *sp)
{
	return 2 * (size_t)sp->K + 1;
}

static int *
row_idx_(const struct mm_sparse *sp, int r)
{
	return sp->mem + (size_t)r * row_ints_(sp);
}

static float *
row_val_(const struct mm_sparse *sp, int r)
{
	return (float *)(row_idx_(sp, r) + sp->K);
}

static int *
row_nnz_(const struct mm_sparse *sp, int r)
{
	return row_idx_(sp, r) + 2 * (size_t)sp->K;
}

size_t
mm_sparse_bytes(int rows, int K)
{
	return (size_t)rows * (2 * (size_t)K + 1) * sizeof(int);
}

void
mm_sparse_init(struct mm_sparse *sp, int K, void *mem)
{
	sp->K = K;
	sp->mem = mem;
}

/* The nonzero bytes among bytes[k0..k1) as (index k, value p / 255) pairs in k order, into
 * idx and val, which have room for k1 - k0 entries. Returns how many. */
static int
compact_range_(const uint8_t *bytes, int k0, int k1, int *restrict idx, float *restrict val)
{
	int n = 0, k = k0;
#if defined(__AVX512F__)
	/* Sixteen pixels at a time: widen to 32 bits, mask the nonzero ones, and compress
	 * their indices and values to the front of a vector. All 16 lanes are stored, so
	 * stale entries past n get overwritten by the next chunk; they stay inside the
	 * buffer because n + 16 <= k - k0 + 16 <= k1 - k0. The value p / 255 is p times the
	 * reciprocal plus one Newton correction with fused multiply-adds, which is much
	 * cheaper than a vector division and gives the correctly rounded quotient, bit for
	 * bit (float)p / 255.0f as in the portable branch, for every byte p
	 * (tests/test_matmul checks all 256). */
	const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
					       15);
	const __m512 v255 = _mm512_set1_ps(255.0f), inv255 = _mm512_set1_ps(1.0f / 255.0f);
	for (; k + MM_CHUNK <= k1; k += MM_CHUNK) {
		__m512i pix = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(bytes + k)));
		__mmask16 nonzero = _mm512_test_epi32_mask(pix, pix);
		__m512 p = _mm512_cvtepi32_ps(pix);
		__m512 q = _mm512_mul_ps(p, inv255);
		__m512 value = _mm512_fmadd_ps(_mm512_fnmadd_ps(q, v255, p), inv255, q);
		__m512i index = _mm512_add_epi32(iota, _mm512_set1_epi32(k));
		_mm512_storeu_ps(val + n, _mm512_maskz_compress_ps(nonzero, value));
		_mm512_storeu_si512(idx + n, _mm512_maskz_compress_epi32(nonzero, index));
		n += __builtin_popcount(nonzero);
	}
#else
	/* Eight pixels at a time: skip zero words (most of an MNIST image); in the others,
	 * store every byte's entry but advance only past the nonzero ones, which avoids
	 * unpredictable branches. */
	for (; k + 8 <= k1; k += 8) {
		uint64_t word;
		memcpy(&word, bytes + k, sizeof word);
		if (word == 0)
			continue;
		for (int b = k; b < k + 8; b++) {
			idx[n] = b;
			val[n] = (float)bytes[b] / 255.0f;
			n += bytes[b] != 0;
		}
	}
#endif
	for (; k < k1; k++) {
		if (bytes[k]) {
			idx[n] = k;
			val[n] = (float)bytes[k] / 255.0f;
			n++;
		}
	}
	return n;
}

void
mm_sparse_compact(const struct mm_sparse *sp, int r, const uint8_t *bytes, int k0)
{
	*row_nnz_(sp, r) = compact_range_(bytes, k0, k0 + sp->K, row_idx_(sp, r), row_val_(sp, r));
}

void
mm_sparse_nn(float *Y, int ldy, const struct mm_sparse *blocks, int n_blocks, int r0, int R,
	     const float *W, int ldw, int N)
{
	if (R <= 0 || N <= 0 || n_blocks <= 0)
		return;
	if (n_blocks > MM_MAX_BLOCKS)
		dief(EXIT_RUNTIME, "mm_sparse_nn: %d blocks, at most %d", n_blocks, MM_MAX_BLOCKS);
	/* Column passes outermost, rows inside: a pass's columns of W (K x 64 floats, 200 KiB
	 * for MNIST) are reused by every row while they sit in L2. Cutting K into blocks that
	 * fit L1 measured slower: it adds a call and a load and store of y per block. */
	struct passes_ passes;
	struct sp_segment_ seg[MM_MAX_BLOCKS];
	for (int j0 = 0; j0 < N; j0 += SP_MAX_COLS) {
		int nc = min_(SP_MAX_COLS, N - j0);
		int vector_ok = plan_passes_(&passes, nc);
		for (int p = 0; p < (vector_ok ? passes.count : 1); p++) {
			for (int r = r0; r < r0 + R; r++) {
				for (int b = 0; b < n_blocks; b++)
					seg[b] = (struct sp_segment_){row_idx_(&blocks[b], r),
								      row_val_(&blocks[b], r),
								      *row_nnz_(&blocks[b], r)};
				float *y = Y + (size_t)(r - r0) * ldy + j0;
				if (vector_ok)
					sp_axpy_[passes.half[p]][passes.vecs[p]](
						passes.col[p], y, W + j0, ldw, seg, n_blocks);
				else
					sp_axpy_scalar_(nc, y, W + j0, ldw, seg, n_blocks);
			}
		}
	}
}

/* dw[col[v] ...] += Σ_p x[p] · dY[rows[p]*ldy + col[v] ...] for v < nv: one row of the
 * weight gradient, the samples that have its pixel listed in order. Like the forward pass,
 * a pass's vectors are loaded, updated and stored once, so an overlapping last vector
 * (see plan_passes_) ends up holding the same sums as its neighbour. */
#define SP_GATHER_PASS(nv, nh)                                                                \
	static void                                                                            \
	sp_gather_pass##nv##_##nh##_(const int *col, float *restrict dw,                        \
				     const float *restrict dY, size_t ldy,                     \
				     const struct sp_entry_ *restrict list, int n)             \
	{                                                                                      \
		vf acc[nv];                                                                    \
		vh hacc = {0};                                                                 \
		for (int v = 0; v < nv; v++)                                                   \
			acc[v] = load_(dw + col[v]);                                           \
		if (nh)                                                                        \
			hacc = load_half_(dw + col[nv]);                                       \
		for (int p = 0; p < n; p++) {                                                  \
			const float *dy = dY + (size_t)list[p].row * ldy;                      \
			float x = list[p].x;                                                   \
			for (int v = 0; v < nv; v++)                                           \
				acc[v] += x * load_(dy + col[v]);                              \
			if (nh)                                                                \
				hacc += x * load_half_(dy + col[nv]);                          \
		}                                                                              \
		for (int v = 0; v < nv; v++)                                                   \
			store_(dw + col[v], acc[v]);                                           \
		if (nh)                                                                        \
			store_half_(dw + col[nv], hacc);                                       \
	}
SP_GATHER_PASS(1, 0)
SP_GATHER_PASS(2, 0)
SP_GATHER_PASS(3, 0)
SP_GATHER_PASS(4, 0)
SP_GATHER_PASS(1, 1)
SP_GATHER_PASS(2, 1)
SP_GATHER_PASS(3, 1)
SP_GATHER_PASS(4, 1)

typedef void sp_gather_fn_(const int *, float *, const float *, size_t, const struct sp_entry_ *,
			   int);
static sp_gather_fn_ *const sp_gather_[2][SP_VECS + 1] = {
	{NULL, sp_gather_pass1_0_, sp_gather_pass2_0_, sp_gather_pass3_0_, sp_gather_pass4_0_},
	{NULL, sp_gather_pass1_1_, sp_gather_pass2_1_, sp_gather_pass3_1_, sp_gather_pass4_1_},
};

size_t
mm_sparse_tn_scratch_bytes(int K)
{
	/* The counts and the lists of one sample, however dense. */
	return (size_t)K * sizeof(int) + (size_t)K * sizeof(struct sp_entry_);
}

void
mm_sparse_tn(float *dW, int ldw, const struct mm_sparse *sp, int R, const float *dY, int ldy,
	     int N, int k0, void *scratch, size_t scratch_bytes)
{
	int cols = sp->K;
	if (R <= 0 || N <= 0 || cols <= 0)
		return;
	/* The nonzeros are regrouped by column of X (pixel), each pixel's list in sample
	 * order: then a row of dW sums in registers, as the forward pass does, and is stored
	 * once, instead of being loaded and stored for every sample. A pixel occurs at most
	 * once per sample, so with `group` samples at a time each pixel's list gets `group`
	 * slots and one pass fills them all. */
	int *count = scratch;
	size_t room = scratch_bytes / sizeof(int) - (size_t)cols;
	int group = (int)(room / (2 * (size_t)cols));
	struct sp_entry_ *list = (struct sp_entry_ *)(count + cols);
	struct passes_ passes;
	for (int g0 = 0; g0 < R; g0 += group) {
		int g1 = g0 + group < R ? g0 + group : R;
		memset(count, 0, (size_t)cols * sizeof *count);
		for (int r = g0; r < g1; r++) {
			const int *idx = row_idx_(sp, r);
			const float *val = row_val_(sp, r);
			int nnz = *row_nnz_(sp, r);
			for (int e = 0; e < nnz; e++) {
				int k = idx[e] - k0;
				list[(size_t)k * group + count[k]++] = (struct sp_entry_){r, val[e]};
			}
		}
		for (int j0 = 0; j0 < N; j0 += SP_MAX_COLS) {
			int nc = min_(SP_MAX_COLS, N - j0);
			int vector_ok = plan_passes_(&passes, nc);
			for (int p = 0; p < (vector_ok ? passes.count : 1); p++) {
				for (int k = 0; k < cols; k++) {
					if (count[k] == 0)
						continue;
					const struct sp_entry_ *l = list + (size_t)k * group;
					float *dw = dW + (size_t)(k0 + k) * ldw + j0;
					if (vector_ok)
						sp_gather_[passes.half[p]][passes.vecs[p]](passes.col[p], dw, dY + j0,
									   ldy, l, count[k]);
					else
						sp_gather_scalar_(nc, dw, dY + j0, ldy, l, count[k]);
				}
			}
		}
	}
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
