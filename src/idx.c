/* idx.c: IDX loader. Every field is checked before it is trusted, since a forged header
 * could otherwise make us allocate absurd sizes or read past the data. */
#include "idx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Refuse anything larger than this many payload bytes: real MNIST is 47 MB, and a forged
 * header must not be able to ask for terabytes. */
#define IDX_MAX_PAYLOAD ((uint64_t)1 << 34)
/* Pixels per image: 1024x1024 is far past what a fully connected net on a CPU can use, and
 * the cap keeps W1 and every buffer sized by the input width reasonable. */
#define IDX_MAX_PIXELS ((uint64_t)1 << 20)

static uint32_t
be32_(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Decode the ndims dimension words after the magic number into dims and multiply them into
 * *payload, refusing a zero dimension or a product over IDX_MAX_PAYLOAD. */
static enum idx_status
decode_dims_(const char *path, const unsigned char *words, int ndims, uint32_t dims[],
	     uint64_t *payload)
{
	*payload = 1;
	for (int i = 0; i < ndims; i++) {
		dims[i] = be32_(words + 4 * i);
		if (dims[i] == 0) {
			warnf("%s: dimension %d is zero", path, i);
			return IDX_ERR_DIMS;
		}
		/* Each dim < 2^32 and the running product stays <= IDX_MAX_PAYLOAD < 2^34,
		 * so this multiplication cannot overflow 64 bits. */
		*payload *= dims[i];
		if (*payload > IDX_MAX_PAYLOAD) {
			warnf("%s: dimensions too large (over %llu bytes of data)", path,
			      (unsigned long long)IDX_MAX_PAYLOAD);
			return IDX_ERR_DIMS;
		}
	}
	return IDX_OK;
}

/* Read the header (magic number, then ndims dimensions) and check it against want_magic and
 * against the file size, which must be exactly the header plus *payload bytes. */
static enum idx_status
read_header_(FILE *f, const char *path, long long file_size, uint32_t want_magic, int ndims,
	     uint32_t dims[], uint64_t *payload)
{
	size_t header_size = 4 + 4 * (size_t)ndims;
	unsigned char header[16];
	if ((uint64_t)file_size < header_size || fread(header, 1, header_size, f) != header_size) {
		/* /proc and /sys files say 0 bytes whatever they hold. */
		if (file_size == 0 && fread(header, 1, 1, f) == 1)
			warnf("%s: says it is 0 bytes long but has data (a /proc or /sys file?): "
			      "copy it to a regular file", path);
		else
			warnf("%s: truncated IDX header (%lld bytes, need %zu)", path, file_size,
			      header_size);
		return IDX_ERR_TRUNCATED;
	}
	uint32_t magic = be32_(header);
	if (header[0] == 0x1f && header[1] == 0x8b) {
		warnf("%s: is gzip-compressed: gunzip it (the file name must not end in .gz), or "
		      "run scripts/fetch_mnist.sh", path);
		return IDX_ERR_MAGIC;
	}
	if (magic != want_magic) {
		warnf("%s: bad magic number 0x%08x (expected 0x%08x, an IDX %s file)", path, magic,
		      want_magic, want_magic == IDX_MAGIC_IMAGES ? "image" : "label");
		return IDX_ERR_MAGIC;
	}
	enum idx_status status = decode_dims_(path, header + 4, ndims, dims, payload);
	if (status != IDX_OK)
		return status;
	/* From the header alone, before a byte of a forged file is read. */
	if (ndims == 3 && (uint64_t)dims[1] * dims[2] > IDX_MAX_PIXELS) {
		warnf("%s: images of %ux%u pixels are too large (at most %llu pixels)", path,
		      dims[1], dims[2], (unsigned long long)IDX_MAX_PIXELS);
		return IDX_ERR_DIMS;
	}
	uint64_t expected = header_size + *payload;
	if ((uint64_t)file_size != expected) {
		warnf("%s: file is %lld bytes but its header promises %llu", path, file_size,
		      (unsigned long long)expected);
		return (uint64_t)file_size < expected ? IDX_ERR_TRUNCATED : IDX_ERR_TRAILING;
	}
	return IDX_OK;
}

/* Read the payload bytes that follow the header into a new buffer, *out. */
static enum idx_status
read_payload_(FILE *f, const char *path, uint64_t payload, uint8_t **out)
{
	uint8_t *data = malloc((size_t)payload);
	if (!data) {
		warnf("%s: cannot allocate %llu bytes", path, (unsigned long long)payload);
		return IDX_ERR_DIMS;
	}
	if (fread(data, 1, (size_t)payload, f) != (size_t)payload) {
		/* The size matched a moment ago, so this is an I/O error or a file that shrank. */
		if (ferror(f))
			warnf("%s: read error:", path);
		else
			warnf("%s: file shrank while being read", path);
		free(data);
		return IDX_ERR_READ;
	}
	*out = data;
	return IDX_OK;
}

/* Open path, check it is a regular file, read its header words, and check the payload size
 * against the file size. On success *payload_out is a malloc'ed buffer of *payload_size bytes. */
static enum idx_status
read_idx_(const char *path, uint32_t want_magic, int ndims, uint32_t dims[],
	  uint8_t **payload_out, size_t *payload_size)
{
	*payload_out = NULL;
	long long file_size;
	FILE *f = fopen_regular(path, &file_size);
	if (!f)
		return IDX_ERR_OPEN;
	uint64_t payload;
	enum idx_status status = read_header_(f, path, file_size, want_magic, ndims, dims,
					      &payload);
	if (status == IDX_OK)
		status = read_payload_(f, path, payload, payload_out);
	if (status == IDX_OK)
		*payload_size = (size_t)payload;
	fclose(f);
	return status;
}

enum idx_status
idx_load(struct dataset *ds, const char *images_path, const char *labels_path)
{
	memset(ds, 0, sizeof *ds);
	uint32_t img_dims[3], lbl_dims[1];
	uint8_t *pixels = NULL, *labels = NULL;
	size_t pixel_bytes, label_bytes;

	enum idx_status status = read_idx_(images_path, IDX_MAGIC_IMAGES, 3, img_dims, &pixels,
					   &pixel_bytes);
	if (status != IDX_OK)
		return status;
	status = read_idx_(labels_path, IDX_MAGIC_LABELS, 1, lbl_dims, &labels, &label_bytes);
	if (status != IDX_OK) {
		free(pixels);
		return status;
	}
	if (lbl_dims[0] != img_dims[0]) {
		warnf("%s: %u labels but %s has %u images", labels_path, lbl_dims[0], images_path,
		      img_dims[0]);
		free(pixels);
		free(labels);
		return IDX_ERR_MISMATCH;
	}
	int max_label = 0;
	for (size_t i = 0; i < label_bytes; i++) {
		if (labels[i] >= IDX_MAX_CLASSES) {
			warnf("%s: label %u at index %zu is not a digit 0-%d", labels_path, labels[i],
			      i, IDX_MAX_CLASSES - 1);
			free(pixels);
			free(labels);
			return IDX_ERR_LABEL;
		}
		if (labels[i] > max_label)
			max_label = labels[i];
	}
	ds->pixels = pixels;
	ds->labels = labels;
	ds->count = img_dims[0];
	ds->rows = (int)img_dims[1];
	ds->cols = (int)img_dims[2];
	ds->input_size = ds->rows * ds->cols;
	ds->classes = max_label + 1;
	return IDX_OK;
}

void
dataset_free(struct dataset *ds)
{
	free(ds->pixels);
	free(ds->labels);
	memset(ds, 0, sizeof *ds);
}
