/* sparse.c: the first layer's products over byte images, which visit only the nonzero
 * pixels (about 80% of MNIST's are zero). Same vector helpers as gemm.c (vec.h). */
#include "sparse.h"

#include <stdlib.h>
#include <string.h>
#if defined(__AVX512F__)
#include <immintrin.h> /* only for packing images; see pack_vector_ */
#endif

#include "util.h"
#include "vec.h"

/* Columns per sparse pass: SP_VECS vectors of Y (or dW) and their partial sums stay in
 * registers while the nonzeros stream by; every pass decodes each entry again. Eight, with
 * AVX-512 (32 registers) and with AVX2 (16: eight sums, the broadcast pixel and the SP_AHEAD
 * decoded ones fit). At --hidden 800, eight rather than four made the sparse product 8-24%
 * faster and the weight gradient 3-5% on a Xeon with AVX-512; eight rather than six, 5-7%
 * and 7-10% on an AMD EPYC with AVX2 (side by side in one process). A 50-wide hidden layer
 * is one pass either way (see plan_passes_). */
enum { SP_VECS = 8 };

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

struct passes_ {
	int count;
	int vecs[64];
	int half[64];
	int first[64]; /* the pass's first column */
	int last[64];  /* its last full vector's (or its half's) column, past first */
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
		p->first[p->count] = j;
		if (left == 0 && use_half)
			p->last[p->count] = N - VL / 2 - j;
		else if (left == 0)
			p->last[p->count] = N - VL - j;
		else
			p->last[p->count] = (nv - 1) * VL;
		j += nv * VL;
		p->count++;
	}
	return 1;
}

/* Columns handled per call of the pass planner. */
#define SP_MAX_COLS (64 * SP_VECS * VL - 2 * VL)

/* Y(r - r0, c ...) += Σ_p x_p · W(k_p, c ...) for the pass's columns c (first + sp_col_) and
 * rows r0 <= r < r0 + R, over the entries of each block in turn, x_p and k_p decoded from
 * them (see mm_sparse_row):
 * the first block's terms are added to Y one by one, each later block's are summed from zero
 * and the sum added (see mm_sparse_nn). Blocks outermost, so that a block's rows of W stay
 * in L1 while every row of Y uses them: 20-25% faster evaluation than rows outermost (side
 * by side in one process, Xeon with AVX-512). For a later block all of y is loaded before
 * any of it is stored, since the last vector may overlap its neighbour (see plan_passes_).
 * Each vector count gets its own function so that the accumulators stay in registers.
 * Entries are decoded SP_AHEAD ahead of the multiply-adds that use them: the loads of W's
 * row then wait for no load of the entry, and more entries are in flight (7.3 to 5.5 ns per
 * entry of a 50-wide row on an AMD EPYC with AVX2, where 3 ahead beat 2 and 4). */
enum { SP_AHEAD = 3 };

/* Where vector v of a pass of nv vectors (and a half, nh) lies past the pass's first column:
 * every vector follows the one before, except the last full one of a pass without a half,
 * which may be shifted to end at N, and the half, both at `last` (see plan_passes_). */
static inline int
sp_col_(int v, int nv, int nh, int last)
{
	return !nh && v == nv - 1 ? last : v * VL;
}

/* acc (and hacc) += x · the pass's columns of W's row at w: one term of a sparse pass. */
#define SP_TERM(nv, nh, w, x)                                                                 \
	do {                                                                                   \
		vf xv_ = vec_broadcast(x);                                                     \
		for (int v = 0; v < (nv); v++)                                                 \
			acc[v] += xv_ * vec_load((w) + sp_col_(v, (nv), (nh), last));          \
		if (nh)                                                                        \
			hacc += vec_low_half(xv_) * vec_load_half((w) + last);                 \
	} while (0)

/* A row of at least SP_AHEAD entries runs a loop that always decodes SP_AHEAD ahead, then the
 * last SP_AHEAD terms without a branch: a test inside the loop would change its mind near the
 * end of every row and be mispredicted there, once more per row than the loop's exit (10%
 * faster evaluation, AMD EPYC with AVX2, side by side in one program). */
#define SP_AXPY_PASS(nv, nh)                                                                  \
	static void                                                                            \
	sp_axpy_pass##nv##_##nh##_(int first, int last, float *Y, size_t ldy, const float *W,   \
				   size_t ldw, const struct mm_sparse *blocks, int n_blocks,    \
				   int r0, int R)                                               \
	{                                                                                      \
		const float *restrict scale = blocks[0].scale;                                 \
		Y += first;                                                                    \
		W += first;                                                                    \
		for (int b = 0; b < n_blocks; b++) {                                           \
			const struct mm_sparse_row *row = blocks[b].row;                       \
			for (int r = r0; r < r0 + R; r++) {                                    \
				float *y = Y + (size_t)(r - r0) * ldy;                         \
				vf acc[nv];                                                    \
				for (int v = 0; v < nv; v++)                                   \
					acc[v] = b == 0 ? vec_load(y + sp_col_(v, nv, nh, last))   \
							: (vf){0};                             \
				vh hacc = nh && b == 0 ? vec_load_half(y + last) : (vh){0};    \
				const struct mm_sparse_entry *e = row[r].entry;                \
				const struct mm_sparse_entry *end = e + row[r].n;              \
				const float *next = W + (size_t)blocks[b].k0 * ldw;            \
				if (end - e >= SP_AHEAD) {                                     \
					const float *w[SP_AHEAD];                              \
					float x[SP_AHEAD];                                     \
					for (int i = 0; i < SP_AHEAD; i++) {                   \
						next += (size_t)e[i].gap * ldw;                \
						w[i] = next;                                   \
						x[i] = scale[e[i].value];                      \
					}                                                      \
					for (; e + SP_AHEAD < end; e++) {                      \
						SP_TERM(nv, nh, w[0], x[0]);                   \
						for (int i = 0; i + 1 < SP_AHEAD; i++) {       \
							w[i] = w[i + 1];                       \
							x[i] = x[i + 1];                       \
						}                                              \
						w[SP_AHEAD - 1] += (size_t)e[SP_AHEAD].gap * ldw; \
						x[SP_AHEAD - 1] = scale[e[SP_AHEAD].value];    \
					}                                                      \
					for (int i = 0; i < SP_AHEAD; i++)                     \
						SP_TERM(nv, nh, w[i], x[i]);                   \
				} else {                                                       \
					for (; e < end; e++) {                                 \
						next += (size_t)e->gap * ldw;                  \
						SP_TERM(nv, nh, next, scale[e->value]);        \
					}                                                      \
				}                                                              \
				for (int v = 0; b > 0 && v < nv; v++)                          \
					acc[v] += vec_load(y + sp_col_(v, nv, nh, last));          \
				if (nh && b > 0)                                               \
					hacc += vec_load_half(y + last);                          \
				for (int v = 0; v < nv; v++)                                   \
					vec_store(y + sp_col_(v, nv, nh, last), acc[v]);           \
				if (nh)                                                        \
					vec_store_half(y + last, hacc);                           \
			}                                                                      \
		}                                                                              \
	}
SP_AXPY_PASS(1, 0)
SP_AXPY_PASS(2, 0)
SP_AXPY_PASS(3, 0)
SP_AXPY_PASS(4, 0)
SP_AXPY_PASS(5, 0)
SP_AXPY_PASS(6, 0)
SP_AXPY_PASS(7, 0)
SP_AXPY_PASS(8, 0)
SP_AXPY_PASS(1, 1)
SP_AXPY_PASS(2, 1)
SP_AXPY_PASS(3, 1)
SP_AXPY_PASS(4, 1)
SP_AXPY_PASS(5, 1)
SP_AXPY_PASS(6, 1)
SP_AXPY_PASS(7, 1)
SP_AXPY_PASS(8, 1)

typedef void sp_axpy_fn_(int, int, float *, size_t, const float *, size_t,
			 const struct mm_sparse *, int, int, int);
static sp_axpy_fn_ *const sp_axpy_[2][9] = {
	{NULL, sp_axpy_pass1_0_, sp_axpy_pass2_0_, sp_axpy_pass3_0_, sp_axpy_pass4_0_,
	 sp_axpy_pass5_0_, sp_axpy_pass6_0_, sp_axpy_pass7_0_, sp_axpy_pass8_0_},
	{NULL, sp_axpy_pass1_1_, sp_axpy_pass2_1_, sp_axpy_pass3_1_, sp_axpy_pass4_1_,
	 sp_axpy_pass5_1_, sp_axpy_pass6_1_, sp_axpy_pass7_1_, sp_axpy_pass8_1_},
};
_Static_assert(SP_VECS <= 8, "no sparse pass function for that many vectors");

/* The same for N < VL, one column at a time. */
static void
sp_axpy_scalar_(int N, float *Y, size_t ldy, const float *W, size_t ldw,
		const struct mm_sparse *blocks, int n_blocks, int r0, int R)
{
	const float *restrict scale = blocks[0].scale;
	for (int b = 0; b < n_blocks; b++) {
		for (int r = r0; r < r0 + R; r++) {
			const struct mm_sparse_row *row = &blocks[b].row[r];
			float *y = Y + (size_t)(r - r0) * ldy;
			for (int j = 0; j < N; j++) {
				float acc = b == 0 ? y[j] : 0.0f;
				const float *w = W + (size_t)blocks[b].k0 * ldw + j;
				for (int p = 0; p < row->n; p++) {
					w += (size_t)row->entry[p].gap * ldw;
					acc = VEC_MADD(scale[row->entry[p].value], *w, acc);
				}
				y[j] = b == 0 ? acc : y[j] + acc;
			}
		}
	}
}

/* The transposed product's version, one row of dW: see sp_gather_pass. An entry of a
 * pixel's list is a sample's row within its group and its pixel byte: 4 bytes, half what a
 * row number and a float take, so that a batch's lists stay in L1 for the gather (5-15%
 * faster weight gradients, measured side by side in one process). */
struct sp_entry_ {
	uint16_t row;
	uint8_t value;
};

static void
sp_gather_scalar_(int N, float *dW, size_t ldw, const float *dY, size_t ldy,
		  const float *restrict scale, const struct sp_entry_ *list, int group,
		  struct sp_entry_ *const *end, int cols, int set)
{
	for (int k = 0; k < cols; k++) {
		const struct sp_entry_ *l = list + (size_t)k * group;
		float *dw = dW + (size_t)k * ldw;
		for (int j = 0; j < N; j++) {
			float acc = set ? 0.0f : dw[j];
			for (const struct sp_entry_ *e = l; e < end[k]; e++)
				acc = VEC_MADD(scale[e->value], dY[(size_t)e->row * ldy + j], acc);
			dw[j] = acc;
		}
	}
}

/* The entries of bytes[k0 .. k1), the last entry so far being at column *last: a gap too
 * long for one entry is bridged first. */
static int
pack_exact_(struct mm_sparse_entry *entry, const uint8_t *bytes, int k0, int k1, int *last)
{
	int n = 0;
	for (int k = k0; k < k1; k++) {
		if (bytes[k] == 0)
			continue;
		for (; k - *last > 255; *last += 255)
			entry[n++] = (struct mm_sparse_entry){255, 0};
		entry[n++] = (struct mm_sparse_entry){(uint8_t)(k - *last), bytes[k]};
		*last = k;
	}
	return n;
}

#if defined(__AVX512F__)
/* Sixteen pixels at a time from bytes[*k0]: widen to 32 bits, compress the nonzero ones'
 * columns and values to the front of a vector, take each column's distance from the one
 * before, and store value << 8 | distance as 16-bit words, which on this little-endian
 * target are the entries' two bytes. All 16 are stored, but n + 16 <= k + 16 <= K, since
 * the entries so far all lie in distinct columns before k. Chunks where a distance could
 * pass 255 are left to the caller. Returns the entries written and advances *k0 and *last. */
static int
pack_vector_(struct mm_sparse_entry *entry, const uint8_t *bytes, int K, int *k0, int *last)
{
	const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
					       15);
	int n = 0, k = *k0;
	for (; k + 16 <= K && k + 15 - *last <= 255; k += 16) {
		__m128i raw = _mm_loadu_si128((const __m128i *)(bytes + k));
		__m512i pixel = _mm512_cvtepu8_epi32(raw);
		__mmask16 nonzero = _mm512_test_epi32_mask(pixel, pixel);
		if (nonzero == 0)
			continue;
		__m512i col = _mm512_maskz_compress_epi32(
			nonzero, _mm512_add_epi32(iota, _mm512_set1_epi32(k)));
		__m512i value = _mm512_maskz_compress_epi32(nonzero, pixel);
		/* Lane i's previous column: lane i - 1's, and *last for lane 0. */
		__m512i prev = _mm512_alignr_epi32(col, _mm512_set1_epi32(*last), 15);
		__m512i word = _mm512_or_si512(_mm512_sub_epi32(col, prev),
					       _mm512_slli_epi32(value, 8));
		_mm256_storeu_si256((__m256i *)(entry + n), _mm512_cvtepi32_epi16(word));
		n += __builtin_popcount(nonzero);
		*last = k + 31 - __builtin_clz(nonzero);
	}
	*k0 = k;
	return n;
}
#endif

int
mm_sparse_pack(struct mm_sparse_entry *entry, const uint8_t *bytes, int K)
{
	int n = 0, last = 0, k0 = 0;
	while (k0 + 8 <= K) {
#if defined(__AVX512F__)
		n += pack_vector_(entry + n, bytes, K, &k0, &last);
		if (k0 + 8 > K)
			break;
#endif
		/* Eight pixels at a time: most of an MNIST image is zero words. In the others,
		 * every byte's entry is written but only a nonzero one kept, which avoids
		 * unpredictable branches (hence the room for K + 1). */
		uint64_t word;
		memcpy(&word, bytes + k0, sizeof word);
		if (word == 0) {
			k0 += 8;
			continue;
		}
		if (k0 + 7 - last > 255) {
			n += pack_exact_(entry + n, bytes, k0, k0 + 8, &last);
			k0 += 8;
			continue;
		}
		for (int k = k0; k < k0 + 8; k++) {
			int nonzero = bytes[k] != 0;
			entry[n] = (struct mm_sparse_entry){(uint8_t)(k - last), bytes[k]};
			n += nonzero;
			last = nonzero ? k : last;
		}
		k0 += 8;
	}
	return n + pack_exact_(entry + n, bytes, k0, K, &last);
}

int
mm_sparse_count(const uint8_t *bytes, int K)
{
	/* Up to 256 columns no gap needs bridging: one entry per nonzero byte, a loop the
	 * compiler vectorizes. */
	int n = 0;
	if (K <= 256) {
		for (int k = 0; k < K; k++)
			n += bytes[k] != 0;
		return n;
	}
	for (int k = 0, last = 0; k < K; k++) {
		if (bytes[k] == 0)
			continue;
		n += 1 + (k - last > 255 ? (k - last - 1) / 255 : 0);
		last = k;
	}
	return n;
}

size_t
mm_sparse_bytes(int rows, int K)
{
	size_t row = sizeof(struct mm_sparse_row) + (size_t)(K + 1) * sizeof(struct mm_sparse_entry);
	return (size_t)rows * row;
}

void
mm_sparse_init(struct mm_sparse *sp, int rows, int k0, int K, void *mem)
{
	sp->k0 = k0;
	sp->K = K;
	sp->row = mem;
	sp->mem = (struct mm_sparse_entry *)(sp->row + rows);
	for (int p = 0; p < 256; p++)
		sp->scale[p] = (float)p / 255.0f;
}

void
mm_sparse_compact(struct mm_sparse *sp, int r, const uint8_t *bytes)
{
	/* K + 1 entries per row, so that packing stays inside the row's own (see
	 * mm_sparse_pack): neighbouring rows may be compacted by different threads. */
	struct mm_sparse_entry *entry = sp->mem + (size_t)r * (sp->K + 1);
	sp->row[r] = (struct mm_sparse_row){entry, mm_sparse_pack(entry, bytes + sp->k0, sp->K)};
}

void
mm_sparse_nn(float *Y, int ldy, const struct mm_sparse *blocks, int n_blocks, int r0, int R,
	     const float *W, int ldw, int N)
{
	if (R <= 0 || N <= 0 || n_blocks <= 0)
		return;
	if (n_blocks > MM_MAX_BLOCKS)
		dief(EXIT_RUNTIME, "mm_sparse_nn: %d blocks, at most %d", n_blocks, MM_MAX_BLOCKS);
	/* Column passes outermost, then blocks, then rows (see SP_AXPY_PASS): a pass's columns
	 * of a block's rows of W are reused by every row while they sit in cache. */
	struct passes_ passes;
	for (int j0 = 0; j0 < N; j0 += SP_MAX_COLS) {
		int nc = vec_min(SP_MAX_COLS, N - j0);
		if (!plan_passes_(&passes, nc)) {
			sp_axpy_scalar_(nc, Y + j0, ldy, W + j0, ldw, blocks, n_blocks, r0, R);
			continue;
		}
		for (int p = 0; p < passes.count; p++)
			sp_axpy_[passes.half[p]][passes.vecs[p]](passes.first[p], passes.last[p],
								 Y + j0, ldy, W + j0, ldw, blocks,
								 n_blocks, r0, R);
	}
}

/* dW[k][c ...] += Σ_p scale[value_p] · dY[row_p*ldy + c ...] (=, from zero, with set) for the
 * pass's columns c (first + sp_col_) and each pixel k < cols: a row of the weight gradient
 * per pixel, over the samples its list holds (list[k * group] up to end[k]), in order. Like
 * the forward pass, a pass's vectors are loaded, updated and stored once, so an overlapping
 * last vector (see plan_passes_) ends up holding the same sums as its neighbour, and a
 * list's entries are decoded SP_AHEAD ahead. The pixels loop inside: a pixel's list is a
 * dozen or two samples long. */
#define SP_GATHER_PASS(nv, nh)                                                                \
	static void                                                                            \
	sp_gather_pass##nv##_##nh##_(int first, int last, float *dW, size_t ldw, const float *dY, \
				     size_t ldy, const float *restrict scale,                  \
				     const struct sp_entry_ *list, int group,                  \
				     struct sp_entry_ *const *end, int cols, int set)          \
	{                                                                                      \
		dW += first;                                                                   \
		dY += first;                                                                   \
		for (int k = 0; k < cols; k++) {                                               \
			const struct sp_entry_ *l = list + (size_t)k * group;                  \
			if (l == end[k] && !set)                                               \
				continue;                                                      \
			float *dw = dW + (size_t)k * ldw;                                      \
			vf acc[nv];                                                            \
			vh hacc = {0};                                                         \
			for (int v = 0; v < nv; v++)                                           \
				acc[v] = set ? (vf){0} : vec_load(dw + sp_col_(v, nv, nh, last));  \
			if (nh && !set)                                                        \
				hacc = vec_load_half(dw + last);                                  \
			const struct sp_entry_ *e = l, *stop = end[k];                         \
			if (stop - e >= SP_AHEAD) {                                            \
				const float *dy[SP_AHEAD];                                     \
				float x[SP_AHEAD];                                             \
				for (int i = 0; i < SP_AHEAD; i++) {                           \
					dy[i] = dY + (size_t)e[i].row * ldy;                   \
					x[i] = scale[e[i].value];                              \
				}                                                              \
				for (; e + SP_AHEAD < stop; e++) {                             \
					SP_TERM(nv, nh, dy[0], x[0]);                          \
					for (int i = 0; i + 1 < SP_AHEAD; i++) {               \
						dy[i] = dy[i + 1];                             \
						x[i] = x[i + 1];                               \
					}                                                      \
					dy[SP_AHEAD - 1] = dY + (size_t)e[SP_AHEAD].row * ldy; \
					x[SP_AHEAD - 1] = scale[e[SP_AHEAD].value];            \
				}                                                              \
				for (int i = 0; i < SP_AHEAD; i++)                             \
					SP_TERM(nv, nh, dy[i], x[i]);                          \
			} else {                                                               \
				for (; e < stop; e++)                                          \
					SP_TERM(nv, nh, dY + (size_t)e->row * ldy, scale[e->value]); \
			}                                                                      \
			for (int v = 0; v < nv; v++)                                           \
				vec_store(dw + sp_col_(v, nv, nh, last), acc[v]);                 \
			if (nh)                                                                \
				vec_store_half(dw + last, hacc);                                  \
		}                                                                              \
	}
SP_GATHER_PASS(1, 0)
SP_GATHER_PASS(2, 0)
SP_GATHER_PASS(3, 0)
SP_GATHER_PASS(4, 0)
SP_GATHER_PASS(5, 0)
SP_GATHER_PASS(6, 0)
SP_GATHER_PASS(7, 0)
SP_GATHER_PASS(8, 0)
SP_GATHER_PASS(1, 1)
SP_GATHER_PASS(2, 1)
SP_GATHER_PASS(3, 1)
SP_GATHER_PASS(4, 1)
SP_GATHER_PASS(5, 1)
SP_GATHER_PASS(6, 1)
SP_GATHER_PASS(7, 1)
SP_GATHER_PASS(8, 1)

typedef void sp_gather_fn_(int, int, float *, size_t, const float *, size_t, const float *,
			   const struct sp_entry_ *, int, struct sp_entry_ *const *, int, int);
static sp_gather_fn_ *const sp_gather_[2][9] = {
	{NULL, sp_gather_pass1_0_, sp_gather_pass2_0_, sp_gather_pass3_0_, sp_gather_pass4_0_,
	 sp_gather_pass5_0_, sp_gather_pass6_0_, sp_gather_pass7_0_, sp_gather_pass8_0_},
	{NULL, sp_gather_pass1_1_, sp_gather_pass2_1_, sp_gather_pass3_1_, sp_gather_pass4_1_,
	 sp_gather_pass5_1_, sp_gather_pass6_1_, sp_gather_pass7_1_, sp_gather_pass8_1_},
};

/* The weight gradient of a row that one pass of at most SP_SCATTER_VECS vectors covers (a
 * half counting as one), with no regrouping: each sample's row of dY stays in registers while
 * each of its entries adds it, scaled, to its pixel's row of dW, samples in order, so each
 * element gets the same sums in the same order as from the pixel lists. A pass's vectors of
 * a row of dW are all loaded before any is stored, so an overlapping last vector (see
 * plan_passes_) stores what its neighbour does. A long gap's bridging entry (value 0) adds
 * nothing and is skipped, as the lists leave it out. Against regrouping and summing in
 * registers, on an AMD EPYC (Zen 5) with AVX-512 and MNIST batches, side by side in one
 * program: 20% less time for 50 columns (four vectors), but 7% more for 100 (seven) and 75%
 * more for 800, where a row of dW per entry is loaded and stored from L2; the earlier
 * measurement on AVX2 (Zen 2, 50 columns in seven vectors) had scattering slower too.
 * Entries are decoded SP_AHEAD ahead, so each store's address is known well before it
 * issues and later loads need not wait behind it: 9% less time again, with the rows of a
 * pass and its last terms as in the forward pass. */
enum { SP_SCATTER_VECS = 4 };

/* Row w of dW += scale[value] · the sample's row of dY (in d and dh), skipping a bridging
 * entry (value 0). */
#define SP_SCATTER_TERM(nv, nh, w, value)                                                    \
	do {                                                                                   \
		if ((value) != 0) {                                                            \
			vf x_ = vec_broadcast(scale[value]), sum_[nv];                         \
			vh hsum_ = {0};                                                        \
			for (int v = 0; v < (nv); v++)                                         \
				sum_[v] = vec_load((w) + sp_col_(v, (nv), (nh), last));        \
			if (nh)                                                                \
				hsum_ = vec_load_half((w) + last);                             \
			for (int v = 0; v < (nv); v++)                                         \
				sum_[v] += x_ * d[v];                                          \
			if (nh)                                                                \
				hsum_ += vec_low_half(x_) * dh;                                \
			for (int v = 0; v < (nv); v++)                                         \
				vec_store((w) + sp_col_(v, (nv), (nh), last), sum_[v]);        \
			if (nh)                                                                \
				vec_store_half((w) + last, hsum_);                             \
		}                                                                              \
	} while (0)

#define SP_SCATTER_PASS(nv, nh)                                                               \
	static void                                                                            \
	sp_scatter_pass##nv##_##nh##_(int first, int last, float *dW, size_t ldw,              \
				      const float *dY, size_t ldy, const struct mm_sparse *sp, \
				      int R)                                                  \
	{                                                                                      \
		const float *restrict scale = sp->scale;                                       \
		dW += first + (size_t)sp->k0 * ldw;                                            \
		dY += first;                                                                   \
		for (int r = 0; r < R; r++) {                                                  \
			const float *dy = dY + (size_t)r * ldy;                                \
			vf d[nv];                                                              \
			vh dh = {0};                                                           \
			for (int v = 0; v < nv; v++)                                           \
				d[v] = vec_load(dy + sp_col_(v, nv, nh, last));                \
			if (nh)                                                                \
				dh = vec_load_half(dy + last);                                 \
			const struct mm_sparse_entry *e = sp->row[r].entry;                    \
			const struct mm_sparse_entry *end = e + sp->row[r].n;                  \
			float *dw = dW;                                                        \
			if (end - e >= SP_AHEAD) {                                             \
				float *at[SP_AHEAD];                                           \
				int value[SP_AHEAD];                                           \
				for (int i = 0; i < SP_AHEAD; i++) {                           \
					dw += (size_t)e[i].gap * ldw;                          \
					at[i] = dw;                                            \
					value[i] = e[i].value;                                 \
				}                                                              \
				for (; e + SP_AHEAD < end; e++) {                              \
					SP_SCATTER_TERM(nv, nh, at[0], value[0]);              \
					for (int i = 0; i + 1 < SP_AHEAD; i++) {               \
						at[i] = at[i + 1];                             \
						value[i] = value[i + 1];                       \
					}                                                      \
					dw += (size_t)e[SP_AHEAD].gap * ldw;                   \
					at[SP_AHEAD - 1] = dw;                                 \
					value[SP_AHEAD - 1] = e[SP_AHEAD].value;               \
				}                                                              \
				for (int i = 0; i < SP_AHEAD; i++)                             \
					SP_SCATTER_TERM(nv, nh, at[i], value[i]);              \
			} else {                                                               \
				for (; e < end; e++) {                                         \
					dw += (size_t)e->gap * ldw;                            \
					SP_SCATTER_TERM(nv, nh, dw, e->value);                 \
				}                                                              \
			}                                                                      \
		}                                                                              \
	}
SP_SCATTER_PASS(1, 0)
SP_SCATTER_PASS(2, 0)
SP_SCATTER_PASS(3, 0)
SP_SCATTER_PASS(4, 0)
SP_SCATTER_PASS(1, 1)
SP_SCATTER_PASS(2, 1)
SP_SCATTER_PASS(3, 1)

typedef void sp_scatter_fn_(int, int, float *, size_t, const float *, size_t,
			    const struct mm_sparse *, int);
static sp_scatter_fn_ *const sp_scatter_[2][SP_SCATTER_VECS + 1] = {
	{NULL, sp_scatter_pass1_0_, sp_scatter_pass2_0_, sp_scatter_pass3_0_, sp_scatter_pass4_0_},
	{NULL, sp_scatter_pass1_1_, sp_scatter_pass2_1_, sp_scatter_pass3_1_, NULL},
};

/* dW's rows of the block's columns, zeroed. */
static void
zero_rows_(float *dW, int ldw, const struct mm_sparse *sp, int N)
{
	for (int k = 0; k < sp->K; k++)
		memset(dW + (size_t)(sp->k0 + k) * ldw, 0, (size_t)N * sizeof *dW);
}

size_t
mm_sparse_tn_scratch_bytes(int K)
{
	/* The lists' ends and the lists of one sample, however dense. */
	return (size_t)K * sizeof(struct sp_entry_ *) + (size_t)K * sizeof(struct sp_entry_);
}

/* Append sample `row`'s entries to the lists of their pixels (ends at end[k]). Every entry is
 * written, but one bridging a long gap (value 0, adding nothing to dW) is not kept: no branch
 * to mispredict. Its pixel is zero in this sample, so its list has a free slot to write it
 * to. Decoded SP_AHEAD ahead, like the products: a store's address then waits for no load
 * just issued, which here made later loads wait too (2x faster on the AMD EPYC, in one test
 * program). */
static void
regroup_row_(struct sp_entry_ **end, const struct mm_sparse_row *sample, uint16_t row)
{
	const struct mm_sparse_entry *entry = sample->entry, *stop = entry + sample->n;
	struct sp_entry_ **at[SP_AHEAD], **next = end;
	uint8_t value[SP_AHEAD];
	for (int i = 0; i < SP_AHEAD; i++) {
		next += entry + i < stop ? entry[i].gap : 0;
		at[i] = next;
		value[i] = entry + i < stop ? entry[i].value : 0;
	}
	for (const struct mm_sparse_entry *e = entry; e < stop; e++) {
		**at[0] = (struct sp_entry_){row, value[0]};
		*at[0] += value[0] != 0;
		for (int i = 0; i + 1 < SP_AHEAD; i++) {
			at[i] = at[i + 1];
			value[i] = value[i + 1];
		}
		if (e + SP_AHEAD < stop) {
			at[SP_AHEAD - 1] += e[SP_AHEAD].gap;
			value[SP_AHEAD - 1] = e[SP_AHEAD].value;
		}
	}
}

void
mm_sparse_tn(float *dW, int ldw, const struct mm_sparse *sp, int R, const float *dY, int ldy,
	     int N, void *scratch, size_t scratch_bytes)
{
	int cols = sp->K;
	if (N <= 0 || cols <= 0)
		return;
	if (R <= 0) { /* the sum of no samples */
		zero_rows_(dW, ldw, sp, N);
		return;
	}
	struct passes_ passes;
	if (plan_passes_(&passes, N) && passes.count == 1 &&
	    passes.vecs[0] + passes.half[0] <= SP_SCATTER_VECS) {
		zero_rows_(dW, ldw, sp, N);
		sp_scatter_[passes.half[0]][passes.vecs[0]](passes.first[0], passes.last[0], dW, ldw,
							    dY, ldy, sp, R);
		return;
	}
	/* The nonzeros are regrouped by column of X (pixel), each pixel's list in sample
	 * order: then a row of dW sums in registers, as the forward pass does, and is stored
	 * once, instead of being loaded and stored for every sample. A pixel occurs at most
	 * once per sample, so with `group` samples at a time each pixel's list gets `group`
	 * slots and one pass fills them all. */
	struct sp_entry_ **end = scratch;
	size_t room = (scratch_bytes - (size_t)cols * sizeof *end) / sizeof(struct sp_entry_);
	int group = (int)(room / (size_t)cols);
	group = group < R ? group : R;
	group = group < UINT16_MAX ? group : UINT16_MAX; /* rows in a group fit sp_entry_ */
	struct sp_entry_ *list = (struct sp_entry_ *)(end + cols);
	for (int g0 = 0; g0 < R; g0 += group) {
		int g1 = g0 + group < R ? g0 + group : R;
		for (int k = 0; k < cols; k++)
			end[k] = list + (size_t)k * group;
		for (int r = g0; r < g1; r++)
			regroup_row_(end, &sp->row[r], (uint16_t)(r - g0));
		for (int j0 = 0; j0 < N; j0 += SP_MAX_COLS) {
			int nc = vec_min(SP_MAX_COLS, N - j0);
			int vector_ok = plan_passes_(&passes, nc);
			float *dw = dW + (size_t)sp->k0 * ldw + j0;
			const float *dy = dY + (size_t)g0 * ldy + j0;
			/* The first group's sums set dW's rows; the others' add to them. */
			int set = g0 == 0;
			if (!vector_ok)
				sp_gather_scalar_(nc, dw, ldw, dy, ldy, sp->scale, list, group, end, cols,
						  set);
			for (int p = 0; vector_ok && p < passes.count; p++)
				sp_gather_[passes.half[p]][passes.vecs[p]](passes.first[p],
									   passes.last[p], dw, ldw, dy,
									   ldy, sp->scale, list, group,
									   end, cols, set);
		}
	}
}

