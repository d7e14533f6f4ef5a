/* test_idx: the IDX loader on small files written here, valid and malformed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

static struct dataset ds_scratch_;

static enum idx_status
load_(struct dataset *ds)
{
	enum idx_status status = idx_load(ds, images_path, labels_path);
	if (status != IDX_OK)
		CHECK(ds->pixels == NULL && ds->count == 0, "failed load must leave ds empty");
	return status;
}

/* A valid image file without read permission must be refused at open. Root reads it anyway,
 * so as root the load runs in a child that has dropped to an unprivileged user. */
static void
check_unreadable_(void)
{
	chmod(images_path, 0);
	if (geteuid() != 0) {
		CHECK(load_(&ds_scratch_) == IDX_ERR_OPEN, "unreadable image file");
		chmod(images_path, 0600);
		return;
	}
	/* The child must be able to reach the files through the mode-0700 directory. */
	chmod(dir, 0711);
	chmod(labels_path, 0644);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(100);
		_exit(idx_load(&ds_scratch_, images_path, labels_path));
	}
	int wstatus = 0;
	waitpid(pid, &wstatus, 0);
	CHECK(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) != 100,
	      "as root: the child could not drop to uid 65534 to test an unreadable file");
	CHECK(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == IDX_ERR_OPEN,
	      "unreadable image file (tested as uid 65534): status %d", WEXITSTATUS(wstatus));
	chmod(dir, 0700);
	chmod(images_path, 0600);
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
	write_images_(IDX_MAGIC_IMAGES, 3, 2, 4, -12);
	CHECK(load_(&ds) == IDX_ERR_TRUNCATED, "image file cut in the middle of its pixels");
	write_images_(IDX_MAGIC_IMAGES, 3, 2, 4, 0);
	write_labels_(IDX_MAGIC_LABELS, 3, labels3, 2);
	CHECK(load_(&ds) == IDX_ERR_TRUNCATED, "label payload one byte short");
	for (size_t len = 0; len < 8; len++) {
		unsigned char header[8];
		put_be32_(header, IDX_MAGIC_LABELS);
		put_be32_(header + 4, 3);
		write_file_(labels_path, header, len);
		st = load_(&ds);
		CHECK(st == IDX_ERR_TRUNCATED, "label header cut to %zu bytes: status %d", len, st);
	}

	/* Zero and absurd dimensions: never allocate what the header claims. */
	write_labels_(IDX_MAGIC_LABELS, 3, labels3, 3);
	write_images_(IDX_MAGIC_IMAGES, 0, 2, 4, 0);
	CHECK(load_(&ds) == IDX_ERR_DIMS, "zero image count");
	write_images_(IDX_MAGIC_IMAGES, 3, 0, 4, 0);
	CHECK(load_(&ds) == IDX_ERR_DIMS, "zero rows");
	write_images_(IDX_MAGIC_IMAGES, 3, 2, 0, 0);
	CHECK(load_(&ds) == IDX_ERR_DIMS, "zero columns");
	write_images_(IDX_MAGIC_IMAGES, 3, 2, 4, 0);
	write_labels_(IDX_MAGIC_LABELS, 0, labels3, 0);
	CHECK(load_(&ds) == IDX_ERR_DIMS, "zero labels");
	write_labels_(IDX_MAGIC_LABELS, 3, labels3, 3);
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
	/* 15.7 GB claimed, under the payload cap: refused by the size check before any
	 * allocation (the sanitizer build would abort on a 15.7 GB malloc). */
	put_be32_(huge + 4, 20000000);
	write_file_(images_path, huge, sizeof huge);
	CHECK(load_(&ds) == IDX_ERR_TRUNCATED, "a 15.7 GB claim in a 16-byte file");
	/* 2^32 images of 28x28: the byte count needs more than 32 bits. */
	put_be32_(huge + 4, 0xffffffffu);
	write_file_(images_path, huge, sizeof huge);
	CHECK(load_(&ds) == IDX_ERR_DIMS, "a count whose byte size overflows 32 bits");
	/* One image of 1 x (2^24 + 1) pixels: a consistent file, but too wide for the net. */
	write_images_(IDX_MAGIC_IMAGES, 1, 1, (1u << 24) + 1, 0);
	write_labels_(IDX_MAGIC_LABELS, 1, labels3, 1);
	CHECK(load_(&ds) == IDX_ERR_DIMS, "an image of more than 2^24 pixels");
	write_labels_(IDX_MAGIC_LABELS, 3, labels3, 3);

	/* Counts that disagree, and labels that are not digits. */
	write_images_(IDX_MAGIC_IMAGES, 2, 2, 4, 0);
	write_labels_(IDX_MAGIC_LABELS, 3, labels3, 3);
	CHECK(load_(&ds) == IDX_ERR_MISMATCH, "2 images, 3 labels");
	write_images_(IDX_MAGIC_IMAGES, 3, 2, 4, 0);
	write_labels_(IDX_MAGIC_LABELS, 2, labels3, 2);
	CHECK(load_(&ds) == IDX_ERR_MISMATCH, "3 images, 2 labels");
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
	write_images_(IDX_MAGIC_IMAGES, 3, 2, 4, 0);
	write_file_(labels_path, (const unsigned char *)"", 0);
	CHECK(load_(&ds) == IDX_ERR_TRUNCATED, "empty label file");
	unlink(labels_path);
	mkdir(labels_path, 0700);
	CHECK(load_(&ds) == IDX_ERR_OPEN, "directory as label file");
	rmdir(labels_path);
	if (mkfifo(labels_path, 0600) == 0) {
		CHECK(load_(&ds) == IDX_ERR_OPEN, "FIFO as label file");
		unlink(labels_path);
	}
	write_labels_(IDX_MAGIC_LABELS, 3, labels3, 3);
	check_unreadable_();

	unlink(images_path);
	unlink(labels_path);
	rmdir(dir);
	return check_report("test_idx");
}
