/* sparse.h: products of compacted byte images, the first layer's input, with dense
 * matrices. Like every kernel in gemm.h, each element of the result is one fixed chain of
 * multiply-adds in k order, and the k skipped are those where the input is exactly zero
 * (adding 0 * w is exact), so the results are the dense products' bits. */
#ifndef BPTRAIN_SPARSE_H
#define BPTRAIN_SPARSE_H

#include <stddef.h>
#include <stdint.h>

/* An image's nonzero pixels in a block of K columns, in column order, one two-byte entry
 * each: the pixel's value p (the input is p / 255, the value images_to_floats gives), and
 * how many columns it lies past the previous entry (the first: past the block's first
 * column). A gap over 255 columns is bridged by entries of value 0, which add 0 * w like the
 * dense product's zeros, so a row of K columns never has more than K entries. Two bytes per
 * pixel kept, so a whole data set can stay compacted (MNIST: 21 MB for 55 MB of images). */
struct mm_sparse_entry {
	uint8_t gap, value;
};

struct mm_sparse_row {
	const struct mm_sparse_entry *entry;
	int n;
};

/* Pack the nonzero bytes[0 .. K-1] into entry, which has room for K + 1 (one more than it
 * ever keeps); returns how many entries. */
int mm_sparse_pack(struct mm_sparse_entry *entry, const uint8_t *bytes, int K);
/* How many entries mm_sparse_pack makes of bytes[0 .. K-1], without making them. */
int mm_sparse_count(const uint8_t *bytes, int K);

/* The rows of a batch in one block of columns, k0 <= k < k0 + K: each row either compacted
 * here (mm_sparse_compact) or pointing at rows compacted beforehand (row[r] = ...). */
struct mm_sparse {
	int k0, K;
	struct mm_sparse_row *row;   /* (rows) */
	struct mm_sparse_entry *mem; /* (rows, K + 1): the rows compacted here */
	float scale[256];            /* scale[p] = p / 255 */
};

/* Bytes of memory for `rows` rows of K columns; mm_sparse_init carves it. */
size_t mm_sparse_bytes(int rows, int K);
void mm_sparse_init(struct mm_sparse *sp, int rows, int k0, int K, void *mem);

/* Compact image bytes' columns k0 .. k0+K-1 into row r. */
void mm_sparse_compact(struct mm_sparse *sp, int r, const uint8_t *bytes);

/* Y(R,N) (row stride ldy) += X(r0..r0+R-1, ·) · W(·, N) over the columns of n_blocks blocks
 * of compacted rows (at most MM_MAX_BLOCKS, in column order), W's row k (stride ldw) being
 * the one for column k: W is the whole matrix, not a block's rows. The first block's terms
 * are added to Y one by one; each later block's terms are summed from zero and the sum
 * added, so the result is bitwise that of one call per block into buffers, added in order
 * (with one block, the plain product). */
#define MM_MAX_BLOCKS 8
void mm_sparse_nn(float *Y, int ldy, const struct mm_sparse *blocks, int n_blocks, int r0, int R,
		  const float *W, int ldw, int N);

/* dW(k, 0..N) (row stride ldw) = Σ_r X(r,k) · dY(r, 0..N) (row stride ldy) for the block's
 * columns k0 <= k < k0 + K, summing from zero over rows r = 0..R-1 in that order: the weight
 * gradient Xᵀ·dY for the block's rows of dW (dW is the whole matrix; no need to zero it).
 * scratch holds scratch_bytes >= mm_sparse_tn_scratch_bytes(K), enough for one sample at a
 * time; more lets more samples go at once. */
size_t mm_sparse_tn_scratch_bytes(int K);
void mm_sparse_tn(float *dW, int ldw, const struct mm_sparse *sp, int R, const float *dY, int ldy,
		  int N, void *scratch, size_t scratch_bytes);

#endif
