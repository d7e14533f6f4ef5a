/* test_idx: the IDX loader on small files written here, valid and malformed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "idx.h"

static char dir[] = "/tmp/bptrain_test_idx.XXXXXX";
static char images_path[256], labels_path[256];

static void
put_be32_(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = v;
}

static void
write_file_(const char *path, const unsigned char *bytes, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(bytes, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* An image file of count images of rows x cols with pixel i = i % 251, optionally with a
 * different magic, and cut or padded by `extra` bytes (negative cuts). */
static void
write_images_(uint32_t magic, uint32_t count, uint32_t rows, uint32_t cols, long extra)
{
	size_t payload = (size_t)count * rows * cols;
	size_t len = 16 + payload + (extra > 0 ? (size_t)extra : 0);
	unsigned char *buf = calloc(len, 1);
	put_be32_(buf, magic);
	put_be32_(buf + 4, count);
	put_be32_(buf + 8, rows);
	put_be32_(buf + 12, cols);
	for (size_t i = 0; i < payload; i++)
		buf[16 + i] = (unsigned char)(i % 251);
	write_file_(images_path, buf, extra < 0 ? len + extra : len);
	free(buf);
}

static void
write_labels_(uint32_t magic, uint32_t count, const unsigned char *labels, size_t n)
{
	unsigned char buf[64];
	put_be32_(buf, magic);
	put_be32_(buf + 4, count);
	memcpy(buf + 8, labels, n);
	write_file_(labels_path, buf, 8 + n);
}

static enum idx_status
load_(struct dataset *ds)
{
	enum idx_status status = idx_load(ds, images_path, labels_path);
	if (status != IDX_OK)
		CHECK(ds->pixels == NULL && ds->count == 0, "failed load must leave ds empty");
	return status;
}

int
main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(images_path, sizeof images_path, "%s/images", dir);
	snprintf(labels_path, sizeof labels_path, "%s/labels", dir);
	const unsigned char labels3[] = {7, 0, 3};
	struct dataset ds;
	enum idx_status st;

	/* A valid pair: 3 images of 2x4. */
	write_images_(IDX_MAGIC_IMAGES, 3, 2, 4, 0);
	write_labels_(IDX_MAGIC_LABELS, 3, labels3, 3);
	st = load_(&ds);
	CHECK(st == IDX_OK, "valid files: status %d", st);
	if (st == IDX_OK) {
		CHECK(ds.count == 3 && ds.rows == 2 && ds.cols == 4 && ds.input_size == 8,
		      "valid files: shape %zu x %d x %d", ds.count, ds.rows, ds.cols);
		CHECK(ds.classes == 8, "classes = 1 + max label: got %d", ds.classes);
		int pixels_ok = 1;
		for (int i = 0; i < 24; i++)
			pixels_ok &= ds.pixels[i] == i % 251;
		CHECK(pixels_ok, "pixels read back exactly");
		CHECK(ds.labels[0] == 7 && ds.labels[1] == 0 && ds.labels[2] == 3, "labels read back");
		dataset_free(&ds);
	}

	/* Wrong magic numbers, including the two swapped. */
	write_images_(IDX_MAGIC_LABELS, 3, 2, 4, 0);
	CHECK(load_(&ds) == IDX_ERR_MAGIC, "image file with label magic");
	write_images_(0x12345678, 3, 2, 4, 0);
	CHECK(load_(&ds) == IDX_ERR_MAGIC, "image file with garbage magic");
	write_images_(IDX_MAGIC_IMAGES, 3, 2, 4, 0);
	write_labels_(IDX_MAGIC_IMAGES, 3, labels3, 3);
	CHECK(load_(&ds) == IDX_ERR_MAGIC, "label file with image magic");

	/* Truncated in the payload, with trailing bytes, and in the header. */
	write_labels_(IDX_MAGIC_LABELS, 3, labels3, 3);
	write_images_(IDX_MAGIC_IMAGES, 3, 2, 4, -1);
	CHECK(load_(&ds) == IDX_ERR_TRUNCATED, "image payload one byte short");
	write_images_(IDX_MAGIC_IMAGES, 3, 2, 4, 5);
	CHECK(load_(&ds) == IDX_ERR_TRAILING, "image file with trailing bytes");
	for (long cut = 1; cut <= 16; cut++) {
		write_images_(IDX_MAGIC_IMAGES, 3, 2, 4, -(24 + cut));
		st = load_(&ds);
		CHECK(st == IDX_ERR_TRUNCATED, "image header cut to %ld bytes: status %d", 16 - cut,
		      st);
	}
	write_images_(IDX_MAGIC_IMAGES, 3, 2, 4, 0);
	write_labels_(IDX_MAGIC_LABELS, 3, labels3, 2);
	CHECK(load_(&ds) == IDX_ERR_TRUNCATED, "label payload one byte short");

	/* Zero and absurd dimensions: never allocate what the header claims. */
	write_labels_(IDX_MAGIC_LABELS, 3, labels3, 3);
	write_images_(IDX_MAGIC_IMAGES, 0, 2, 4, 0);
	CHECK(load_(&ds) == IDX_ERR_DIMS, "zero image count");
	write_images_(IDX_MAGIC_IMAGES, 3, 0, 4, 0);
	CHECK(load_(&ds) == IDX_ERR_DIMS, "zero rows");
	unsigned char huge[16];
	put_be32_(huge, IDX_MAGIC_IMAGES);
	put_be32_(huge + 4, 0xffffffffu);
	put_be32_(huge + 8, 0xffffffffu);
	put_be32_(huge + 12, 0xffffffffu);
	write_file_(images_path, huge, sizeof huge);
	CHECK(load_(&ds) == IDX_ERR_DIMS, "dimensions whose product overflows 64 bits");
	put_be32_(huge + 4, 60000);
	put_be32_(huge + 8, 28);
	put_be32_(huge + 12, 28);
	write_file_(images_path, huge, sizeof huge);
	CHECK(load_(&ds) == IDX_ERR_TRUNCATED, "MNIST-sized header with no pixels");

	/* Counts that disagree, and labels that are not digits. */
	write_images_(IDX_MAGIC_IMAGES, 2, 2, 4, 0);
	write_labels_(IDX_MAGIC_LABELS, 3, labels3, 3);
	CHECK(load_(&ds) == IDX_ERR_MISMATCH, "2 images, 3 labels");
	write_images_(IDX_MAGIC_IMAGES, 3, 2, 4, 0);
	const unsigned char bad_labels[] = {1, 10, 2};
	write_labels_(IDX_MAGIC_LABELS, 3, bad_labels, 3);
	CHECK(load_(&ds) == IDX_ERR_LABEL, "label 10");
	const unsigned char bad_labels2[] = {1, 2, 255};
	write_labels_(IDX_MAGIC_LABELS, 3, bad_labels2, 3);
	CHECK(load_(&ds) == IDX_ERR_LABEL, "label 255");

	/* Not files at all: missing, empty, a directory, a FIFO (which must not block). */
	write_labels_(IDX_MAGIC_LABELS, 3, labels3, 3);
	unlink(images_path);
	CHECK(load_(&ds) == IDX_ERR_OPEN, "missing image file");
	write_file_(images_path, (const unsigned char *)"", 0);
	CHECK(load_(&ds) == IDX_ERR_TRUNCATED, "empty image file");
	unlink(images_path);
	mkdir(images_path, 0700);
	CHECK(load_(&ds) == IDX_ERR_OPEN, "directory as image file");
	rmdir(images_path);
	if (mkfifo(images_path, 0600) == 0) {
		/* With no writer, a plain open() of a FIFO would block forever. */
		CHECK(load_(&ds) == IDX_ERR_OPEN, "FIFO as image file");
		unlink(images_path);
	}

	unlink(images_path);
	unlink(labels_path);
	rmdir(dir);
	return check_report("test_idx");
}
