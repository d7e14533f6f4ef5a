/* fuzz_idx: the IDX loader on arbitrary bytes. Each input is one whole file, loaded twice:
 * as the image file (next to a valid label file of 2 labels), and as the label file (next
 * to a valid image file of 2 images of 2x3). The file lives in a memfd, so no disk is used
 * and nothing is left behind by a crash. */
#define _GNU_SOURCE /* memfd_create */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "idx.h"

enum { PAIR_COUNT = 2, ROWS = 2, COLS = 3 };

struct file_ {
	int fd;
	char path[64];
};

static void
file_open_(struct file_ *f, const char *name)
{
	f->fd = memfd_create(name, 0);
	if (f->fd < 0) {
		perror("memfd_create");
		abort();
	}
	snprintf(f->path, sizeof f->path, "/proc/self/fd/%d", f->fd);
}

static void
file_set_(struct file_ *f, const void *data, size_t size)
{
	if (ftruncate(f->fd, 0) != 0 || (size && pwrite(f->fd, data, size, 0) != (ssize_t)size)) {
		perror("memfd write");
		abort();
	}
}

static void
put_be32_(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = v;
}

/* A valid image file (count images of ROWS x COLS) or label file (count labels). */
static size_t
valid_images_(uint8_t *buf, uint32_t count)
{
	put_be32_(buf, IDX_MAGIC_IMAGES);
	put_be32_(buf + 4, count);
	put_be32_(buf + 8, ROWS);
	put_be32_(buf + 12, COLS);
	for (uint32_t i = 0; i < count * ROWS * COLS; i++)
		buf[16 + i] = (uint8_t)(i * 37);
	return 16 + (size_t)count * ROWS * COLS;
}

static size_t
valid_labels_(uint8_t *buf, uint32_t count)
{
	put_be32_(buf, IDX_MAGIC_LABELS);
	put_be32_(buf + 4, count);
	for (uint32_t i = 0; i < count; i++)
		buf[8 + i] = (uint8_t)(i * 7 % IDX_MAX_CLASSES);
	return 8 + (size_t)count;
}

/* What a successful load must satisfy, whatever the bytes were. */
static void
check_loaded_(const struct dataset *ds, size_t file_size, int fuzzed_images)
{
	int ok = ds->count >= 1 && ds->rows >= 1 && ds->cols >= 1 &&
		 ds->input_size == ds->rows * ds->cols && ds->classes >= 1 &&
		 ds->classes <= IDX_MAX_CLASSES && ds->pixels && ds->labels;
	if (ok && fuzzed_images)
		ok = file_size == 16 + ds->count * (size_t)ds->input_size;
	if (ok && !fuzzed_images)
		ok = file_size == 8 + ds->count && ds->count == PAIR_COUNT;
	unsigned sum = 0; /* touch every byte, so the sanitizers see any short buffer */
	for (size_t i = 0; ok && i < ds->count * (size_t)ds->input_size; i++)
		sum += ds->pixels[i];
	for (size_t i = 0; ok && i < ds->count; i++)
		ok = ds->labels[i] < ds->classes;
	if (!ok) {
		fprintf(stderr, "fuzz_idx: loaded a dataset that breaks an invariant (%u)\n", sum);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct file_ images, labels;
	static uint8_t pair_images[16 + PAIR_COUNT * ROWS * COLS], pair_labels[8 + PAIR_COUNT];
	if (!images.path[0]) {
		file_open_(&images, "images");
		file_open_(&labels, "labels");
		valid_images_(pair_images, PAIR_COUNT);
		valid_labels_(pair_labels, PAIR_COUNT);
	}
	struct dataset ds;
	for (int fuzzed_images = 1; fuzzed_images >= 0; fuzzed_images--) {
		if (fuzzed_images) {
			file_set_(&images, data, size);
			file_set_(&labels, pair_labels, sizeof pair_labels);
		} else {
			file_set_(&images, pair_images, sizeof pair_images);
			file_set_(&labels, data, size);
		}
		enum idx_status status = idx_load(&ds, images.path, labels.path);
		if (status == IDX_OK) {
			check_loaded_(&ds, size, fuzzed_images);
			dataset_free(&ds);
		} else if (ds.pixels || ds.labels || ds.count) {
			fprintf(stderr, "fuzz_idx: a failed load (status %d) left data behind\n", status);
			abort();
		}
	}
	return 0;
}

void
fuzz_seeds(void (*emit)(const char *name, const void *data, size_t size))
{
	uint8_t buf[16 + 3 * ROWS * COLS + 1];
	emit("images-valid", buf, valid_images_(buf, PAIR_COUNT));
	emit("labels-valid", buf, valid_labels_(buf, PAIR_COUNT));
	emit("images-one", buf, valid_images_(buf, 1));
	emit("images-three", buf, valid_images_(buf, 3));
	emit("labels-three", buf, valid_labels_(buf, 3));
	size_t n = valid_images_(buf, PAIR_COUNT);
	emit("images-short", buf, n - 1);
	emit("images-header-only", buf, 16);
	emit("images-header-cut", buf, 9);
	buf[n] = 0;
	emit("images-trailing", buf, n + 1);
	put_be32_(buf + 4, 0xffffffffu);
	put_be32_(buf + 8, 0xffffffffu);
	emit("images-huge-dims", buf, 16);
	put_be32_(buf + 4, 0);
	emit("images-zero-count", buf, 16);
	n = valid_labels_(buf, PAIR_COUNT);
	buf[9] = IDX_MAX_CLASSES;
	emit("labels-ten", buf, n);
	emit("labels-header-cut", buf, 5);
	emit("empty", buf, 0);
}
