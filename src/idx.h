/* idx.h: loading MNIST-style IDX files (big-endian header, then raw unsigned bytes). */
#ifndef BPTRAIN_IDX_H
#define BPTRAIN_IDX_H

#include <stddef.h>
#include <stdint.h>

#define IDX_MAGIC_IMAGES 2051u /* 0x00000803: unsigned bytes, 3 dimensions */
#define IDX_MAGIC_LABELS 2049u /* 0x00000801: unsigned bytes, 1 dimension */
#define IDX_MAX_CLASSES 10     /* labels must be digits 0-9 */

/* A labelled image set. Pixels stay bytes (scaled to [0,1] only when a batch is built),
 * which keeps the 60000-image training set at 47 MB instead of 188 MB of floats. */
struct dataset {
	uint8_t *pixels; /* (count, rows*cols), row-major images */
	uint8_t *labels; /* (count) */
	size_t count;
	int rows, cols;
	int input_size;  /* rows * cols */
	int classes;     /* 1 + the largest label present */
};

enum idx_status {
	IDX_OK = 0,
	IDX_ERR_OPEN,      /* cannot open or stat, or not a regular file */
	IDX_ERR_TRUNCATED, /* shorter than its header says */
	IDX_ERR_TRAILING,  /* longer than its header says */
	IDX_ERR_MAGIC,     /* not the expected IDX type */
	IDX_ERR_DIMS,      /* a zero dimension or a size that overflows */
	IDX_ERR_LABEL,     /* a label outside 0-9 */
	IDX_ERR_MISMATCH,  /* image and label counts differ */
	IDX_ERR_READ,      /* an I/O error while reading */
};

/* Load an image file and its label file into ds, checking magic numbers, dimensions,
 * file sizes against the header, label range and that the counts agree. On failure a
 * one-line message naming the file goes to stderr, ds is left empty, and the status says
 * what was wrong. The caller frees ds with dataset_free. */
enum idx_status idx_load(struct dataset *ds, const char *images_path, const char *labels_path);

void dataset_free(struct dataset *ds);

#endif
