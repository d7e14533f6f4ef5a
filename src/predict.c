/* predict.c: --predict. Every image is read and checked before any is classified, so a bad
 * file stops the run with nothing printed rather than halfway through. */
#include "predict.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evaluate.h" /* evaluate_classify */
#include "fields.h"
#include "train.h"
#include "util.h"

/* The images read so far: bytes, and for each one its file (NULL for standard input). */
struct images_ {
	int in;           /* bytes per image */
	size_t n, cap;
	uint8_t *pixels;  /* (cap, in) */
	const char **file;
	size_t *stdin_no; /* 1-based, for the images from standard input */
};

/* Room for one more image; returns where its bytes go. */
static uint8_t *
add_(struct images_ *im, const char *file, size_t stdin_no)
{
	if (im->n == im->cap) {
		im->cap = im->cap ? 2 * im->cap : 16;
		im->pixels = realloc(im->pixels, im->cap * (size_t)im->in);
		im->file = realloc(im->file, im->cap * sizeof *im->file);
		im->stdin_no = realloc(im->stdin_no, im->cap * sizeof *im->stdin_no);
		if (!im->pixels || !im->file || !im->stdin_no)
			dief(EXIT_RUNTIME, "out of memory reading %zu images", im->cap);
	}
	im->file[im->n] = file;
	im->stdin_no[im->n] = stdin_no;
	return im->pixels + im->n++ * (size_t)im->in;
}

/* The next header field of a PGM at *p: whitespace and # comments skipped, then a decimal
 * number of at most 7 digits. Returns it, or -1. */
static long
pgm_number_(const uint8_t *data, size_t size, size_t *p)
{
	while (*p < size && (isspace(data[*p]) || data[*p] == '#')) {
		if (data[*p] == '#')
			while (*p < size && data[*p] != '\n' && data[*p] != '\r')
				(*p)++;
		else
			(*p)++;
	}
	long v = 0;
	size_t start = *p;
	while (*p < size && isdigit(data[*p]) && *p - start < 7)
		v = v * 10 + (data[(*p)++] - '0');
	if (*p == start || (*p < size && !isspace(data[*p])))
		return -1;
	return v;
}

int
predict_parse_pgm(const char *path, const uint8_t *data, size_t size, int rows, int cols,
		  uint8_t *pixels)
{
	if (size < 2 || data[0] != 'P' || data[1] != '5') {
		int ascii = size >= 2 && data[0] == 'P' && data[1] == '2';
		warnf("%s: not a binary PGM image (P5)%s", path,
		      ascii ? ": ASCII PGM (P2) is not read" : "");
		return -1;
	}
	size_t p = 2;
	long width = pgm_number_(data, size, &p), height = pgm_number_(data, size, &p);
	long maxval = pgm_number_(data, size, &p);
	if (width < 1 || height < 1 || maxval < 1 || p >= size) {
		warnf("%s: a bad PGM header (width, height and maxval, then one whitespace byte)",
		      path);
		return -1;
	}
	p++; /* the one whitespace byte after maxval */
	if (width != cols || height != rows) {
		warnf("%s: a %ldx%ld image, but the net takes %dx%d", path, width, height, cols,
		      rows);
		return -1;
	}
	if (maxval != 255) {
		warnf("%s: maxval %ld, but only 255 (8-bit grey levels, as MNIST) is read", path,
		      maxval);
		return -1;
	}
	size_t want = (size_t)rows * cols;
	if (size - p != want) {
		warnf("%s: %zu bytes of pixels, but a %dx%d image has %zu", path, size - p, cols,
		      rows, want);
		return -1;
	}
	memcpy(pixels, data + p, want);
	return 0;
}

/* A PGM file: a regular file no larger than a header and the image. */
static int
read_pgm_(struct images_ *im, const char *path, int rows, int cols)
{
	long long size;
	FILE *f = fopen_regular(path, &size);
	if (!f)
		return -1;
	size_t most = PGM_MAX_HEADER + (size_t)im->in;
	if ((unsigned long long)size > most) {
		warnf("%s: %lld bytes, too large for a %dx%d PGM image", path, size, cols, rows);
		fclose(f);
		return -1;
	}
	uint8_t *data = xmalloc((size_t)size);
	int status = 0;
	if (fread(data, 1, (size_t)size, f) != (size_t)size) {
		warnf(ferror(f) ? "%s: read error:" : "%s: changed size while being read", path);
		status = -1;
	}
	fclose(f);
	if (status == 0) {
		/* The image goes in place only once it is whole. */
		uint8_t *pixels = add_(im, path, 0);
		status = predict_parse_pgm(path, data, (size_t)size, rows, cols, pixels);
		if (status != 0)
			im->n--;
	}
	free(data);
	return status;
}

/* Up to n bytes from f into buf, fewer only at its end or an error; returns how many. */
static size_t
read_full_(uint8_t *buf, size_t n, FILE *f)
{
	size_t have = 0, got;
	while (have < n && (got = fread(buf + have, 1, n - have, f)) > 0)
		have += got;
	return have;
}

/* "-": standard input to its end, a whole number of images. */
static int
read_stdin_(struct images_ *im)
{
	size_t in = (size_t)im->in, total = 0, have;
	uint8_t *buf = xmalloc(in);
	while ((have = read_full_(buf, in, stdin)) == in && total < PREDICT_MAX_STDIN) {
		total += in;
		memcpy(add_(im, NULL, total / in), buf, in);
	}
	free(buf);
	total += have;
	if (ferror(stdin)) {
		warnf("-: error reading standard input:");
		return -1;
	}
	if (have == in) {
		warnf("-: more than %zu bytes of images on standard input", PREDICT_MAX_STDIN);
		return -1;
	}
	if (total == 0) {
		warnf("-: no image on standard input (%zu bytes each)", in);
		return -1;
	}
	if (have > 0) {
		warnf("-: %zu bytes on standard input, not a whole number of %zu-byte images",
		      total, in);
		return -1;
	}
	return 0;
}

static int
read_all_(struct images_ *im, const struct config *cfg, const struct model *m)
{
	int stdin_used = 0;
	for (int i = 0; i < cfg->n_predict; i++) {
		const char *name = cfg->predict_files[i];
		if (strcmp(name, "-") != 0) {
			if (read_pgm_(im, name, m->rows, m->cols) != 0)
				return -1;
			continue;
		}
		if (stdin_used++) {
			warnf("-: standard input is given twice");
			return -1;
		}
		if (read_stdin_(im) != 0)
			return -1;
	}
	return 0;
}

/* One line per image: "name class probability" (text), or a predict record. */
static void
print_(const struct config *cfg, const struct images_ *im, const uint8_t *predicted,
       const double *prob)
{
	struct fields r;
	static const char *const names[] = {"record", "name", "class", "probability"};
	fields_init(&r);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		fields_add(&r, names[i]);
	if (cfg->format == FORMAT_CSV)
		fields_csv_header(stdout, &r);
	for (size_t i = 0; i < im->n; i++) {
		char name[32];
		const char *shown = im->file[i];
		if (!shown) {
			snprintf(name, sizeof name, "-:%zu", im->stdin_no[i]);
			shown = name;
		}
		if (cfg->format == FORMAT_TEXT) {
			printf("%s %d %.6f\n", shown, predicted[i], prob[i]);
			continue;
		}
		fields_clear(&r);
		fields_str(&r, "record", "predict");
		fields_str(&r, "name", shown);
		fields_int(&r, "class", predicted[i]);
		fields_num(&r, "probability", "%.9g", prob[i]);
		fields_write(stdout, cfg->format, &r);
	}
}

int
predict_run(const struct config *cfg, struct model *m)
{
	struct images_ im = {.in = m->net.dims[0]};
	int status = EXIT_RUNTIME;
	if (read_all_(&im, cfg, m) == 0) {
		const uint8_t **images = xmalloc(im.n * sizeof *images);
		uint8_t *predicted = xmalloc(im.n);
		double *prob = xmalloc(im.n * sizeof *prob);
		for (size_t i = 0; i < im.n; i++)
			images[i] = im.pixels + i * (size_t)im.in;
		struct trainer t;
		trainer_init(&t, &m->net, NULL);
		evaluate_classify(&t, images, im.n, predicted, prob);
		trainer_free(&t);
		print_(cfg, &im, predicted, prob);
		free(images);
		free(predicted);
		free(prob);
		status = EXIT_OK;
	}
	free(im.pixels);
	free(im.file);
	free(im.stdin_no);
	return status;
}
