/* test_augment: --augment's distortions (src/augment.c): the same key gives the same image,
 * different keys different ones; an empty image stays empty; ink is moved, not made or
 * lost (its total stays within a factor of 2.5 of the original: scaling by up to 10% and the
 * elastic field's local stretch of up to 4/9 change areas by up to 1.9 times); a digit moves by no more than the shift,
 * rotation, scale and elastic offset together allow; no pixel is read outside the image. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "augment.h"
#include "check.h"
#include "rng.h"

enum { R = 28, C = 28 };

static long
ink_(const uint8_t *img)
{
	long sum = 0;
	for (int i = 0; i < R * C; i++)
		sum += img[i];
	return sum;
}

/* The centre of mass of img's ink. */
static void
centre_(const uint8_t *img, double *x, double *y)
{
	double sx = 0, sy = 0, s = 0;
	for (int r = 0; r < R; r++)
		for (int c = 0; c < C; c++) {
			sx += c * (double)img[r * C + c];
			sy += r * (double)img[r * C + c];
			s += img[r * C + c];
		}
	*x = s > 0 ? sx / s : -1;
	*y = s > 0 ? sy / s : -1;
}

/* The angle, in degrees, of the principal axis of img's ink (0 for a horizontal bar). */
static double
axis_(const uint8_t *img)
{
	double cx, cy, xx = 0, yy = 0, xy = 0;
	centre_(img, &cx, &cy);
	for (int r = 0; r < R; r++)
		for (int c = 0; c < C; c++) {
			double w = img[r * C + c], dx = c - cx, dy = r - cy;
			xx += w * dx * dx, yy += w * dy * dy, xy += w * dx * dy;
		}
	return 0.5 * atan2(2 * xy, xx - yy) * 180.0 / 3.141592653589793;
}

/* A rotation by θ tilts a horizontal and a vertical bar both by θ; a sampling map with the
 * wrong sign in one row of the rotation (a shear) tilts them opposite ways. The elastic
 * field adds its own tilts, so the sign is read over many keys: the mean product of the two
 * tilts is about +E[θ²] (48 for ±12°), and about -48 for the shear. */
static double
tilt_agreement_(void *scratch)
{
	uint8_t h[R * C] = {0}, v[R * C] = {0}, a[R * C], b[R * C];
	for (int k = 6; k < 22; k++)
		for (int t = 13; t < 15; t++)
			h[t * C + k] = v[k * C + t] = 200;
	double sum = 0;
	for (int k = 0; k < 300; k++) {
		augment_image(a, h, R, C, augment_key(9, k, 0), scratch);
		augment_image(b, v, R, C, augment_key(9, k, 0), scratch);
		double ta = axis_(a), tb = axis_(b) - 90.0;
		sum += ta * (tb < -90.0 ? tb + 180.0 : tb);
	}
	return sum / 300;
}

/* The distortion, pixel by pixel, as augment.h defines it, written plainly (reading the
 * image with bounds checks rather than from a padded copy): src/augment.c computes the same
 * operations in the same order, in vector loops over rows and over the whole image, so the
 * two must agree in every bit. The margin of 4 is how far out a source position may lie. */
static float
spread_(struct rng *rng, float a)
{
	return (float)((2.0 * rng_uniform(rng) - 1.0) * a);
}

static float
at_(const uint8_t *in, int rows, int cols, int x, int y)
{
	return x < 0 || y < 0 || x >= cols || y >= rows ? 0.0f : in[y * cols + x];
}

static float
grid_(const float *g, int rows, int cols, int x, int y)
{
	enum { G = AUGMENT_GRID };
	float fx = (float)x * (G - 1) / (float)(cols > 1 ? cols - 1 : 1);
	float fy = (float)y * (G - 1) / (float)(rows > 1 ? rows - 1 : 1);
	int i = fx >= G - 1 ? G - 2 : (int)fx, j = fy >= G - 1 ? G - 2 : (int)fy;
	float ax = fx - (float)i, ay = fy - (float)j;
	float below = (1.0f - ay) * g[j * G + i] + ay * g[(j + 1) * G + i];
	float above = (1.0f - ay) * g[j * G + i + 1] + ay * g[(j + 1) * G + i + 1];
	return (1.0f - ax) * below + ax * above;
}

static void
reference_(uint8_t *out, const uint8_t *in, int rows, int cols, uint64_t key)
{
	struct rng rng;
	rng_seed(&rng, key);
	float tx = spread_(&rng, AUGMENT_SHIFT), ty = spread_(&rng, AUGMENT_SHIFT);
	float angle = spread_(&rng, AUGMENT_DEGREES) * 3.14159265f / 180.0f;
	float scale = 1.0f + spread_(&rng, AUGMENT_SCALE);
	float gx[AUGMENT_GRID * AUGMENT_GRID], gy[AUGMENT_GRID * AUGMENT_GRID];
	for (int k = 0; k < AUGMENT_GRID * AUGMENT_GRID; k++) {
		gx[k] = spread_(&rng, AUGMENT_ELASTIC);
		gy[k] = spread_(&rng, AUGMENT_ELASTIC);
	}
	float c = cosf(angle) / scale, s = sinf(angle) / scale;
	float cx = (float)(cols - 1) / 2.0f, cy = (float)(rows - 1) / 2.0f;
	for (int y = 0; y < rows; y++)
		for (int x = 0; x < cols; x++) {
			float u = (float)x - cx - tx, v = (float)y - cy - ty;
			float px = c * u + s * v + cx + grid_(gx, rows, cols, x, y);
			float py = -s * u + c * v + cy + grid_(gy, rows, cols, x, y);
			px = px < -4 ? -4 : px > cols + 2 ? cols + 2 : px;
			py = py < -4 ? -4 : py > rows + 2 ? rows + 2 : py;
			int x0 = (int)(px + 4) - 4, y0 = (int)(py + 4) - 4;
			float ax = px + 4 - (float)(x0 + 4), ay = py + 4 - (float)(y0 + 4);
			float p = (1.0f - ay) * ((1.0f - ax) * at_(in, rows, cols, x0, y0) +
						 ax * at_(in, rows, cols, x0 + 1, y0)) +
				  ay * ((1.0f - ax) * at_(in, rows, cols, x0, y0 + 1) +
					ax * at_(in, rows, cols, x0 + 1, y0 + 1));
			out[y * cols + x] = (uint8_t)(p > 255.0f ? 255 : (int)(p + 0.5f));
		}
}

/* How many of `count` random images of rows x cols (a third of the pixels inked, so that
 * edges are everywhere) augment_image distorts otherwise than reference_. */
static int
mismatches_(int rows, int cols, int count)
{
	size_t n = (size_t)rows * (size_t)cols;
	uint8_t *in = malloc(n), *a = malloc(n), *b = malloc(n);
	void *scratch = malloc(augment_scratch_bytes(rows, cols));
	struct rng rng;
	rng_seed(&rng, (uint64_t)(rows * 1000 + cols));
	int bad = 0;
	for (int k = 0; k < count; k++) {
		for (size_t i = 0; i < n; i++)
			in[i] = rng_below(&rng, 3) ? 0 : (uint8_t)rng_below(&rng, 256);
		augment_image(a, in, rows, cols, augment_key(7, k, k % 5), scratch);
		reference_(b, in, rows, cols, augment_key(7, k, k % 5));
		bad += memcmp(a, b, n) != 0;
	}
	free(in), free(a), free(b), free(scratch);
	return bad;
}

int
main(void)
{
	uint8_t digit[R * C] = {0}, a[R * C], b[R * C], zero[R * C] = {0};
	void *scratch = malloc(augment_scratch_bytes(R, C));
	/* A thick vertical bar with a foot, like a 1 or a 7. */
	for (int r = 6; r < 22; r++)
		for (int c = 12; c < 16; c++)
			digit[r * C + c] = 100;
	for (int c = 8; c < 20; c++)
		digit[21 * C + c] = 80;
	augment_image(a, digit, R, C, augment_key(42, 1, 0), scratch);
	augment_image(b, digit, R, C, augment_key(42, 1, 0), scratch);
	CHECK(memcmp(a, b, sizeof a) == 0, "the same key gives the same image");
	int differ = 0;
	for (int i = 1; i < 20; i++) {
		augment_image(b, digit, R, C, augment_key(42, 1, i), scratch);
		differ += memcmp(a, b, sizeof a) != 0;
	}
	CHECK(differ == 19, "each place in the batch gets its own distortion (%d of 19)", differ);
	augment_image(b, digit, R, C, augment_key(43, 1, 0), scratch);
	CHECK(memcmp(a, b, sizeof a) != 0, "another seed, another distortion");
	augment_image(b, zero, R, C, augment_key(42, 7, 3), scratch);
	CHECK(memcmp(b, zero, sizeof b) == 0, "an empty image stays empty");
	long ink = ink_(digit);
	double cx, cy;
	centre_(digit, &cx, &cy);
	int ink_ok = 1, moved_ok = 1;
	for (int k = 0; k < 500; k++) {
		augment_image(b, digit, R, C, augment_key(5, k, k % 7), scratch);
		long got = ink_(b);
		ink_ok &= got > ink * 2 / 5 && got < ink * 5 / 2;
		double x, y;
		centre_(b, &x, &y);
		/* The centre moves by the shift (2), the elastic offset (2) and what rotation and
		 * scale do to a point about 2 pixels off the image centre: well under 6. */
		moved_ok &= (x - cx) * (x - cx) + (y - cy) * (y - cy) < 36.0;
	}
	CHECK(ink_ok, "ink is moved, not made or lost");
	CHECK(moved_ok, "the digit stays where it was, give or take a few pixels");
	/* Ink at the very border, and an image narrower than the grid is wide: nothing is read
	 * outside the image (ASan would say), the result is still an image. */
	double agree = tilt_agreement_(scratch);
	CHECK(agree > 10.0, "bars across each other turn the same way: a rotation, not a shear "
	      "(mean tilt product %.1f)", agree);
	uint8_t edge[R * C];
	memset(edge, 255, sizeof edge);
	augment_image(b, edge, R, C, augment_key(1, 1, 1), scratch);
	CHECK(ink_(b) > ink_(edge) / 2, "a full image keeps most of its ink");
	/* MNIST's size, sizes that leave every vector tail, wide and tall ones, and images
	 * smaller than the grid. */
	static const int sizes[][2] = {{28, 28}, {37, 41}, {41, 37}, {5, 60}, {60, 5}, {17, 19}};
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		int bad = mismatches_(sizes[k][0], sizes[k][1], 300);
		CHECK(bad == 0, "%dx%d: the distortion is the per-pixel definition in every bit "
		      "(%d of 300 images differ)", sizes[k][0], sizes[k][1], bad);
	}
	int small_bad = 0;
	for (int r = 1; r < 5; r++)
		for (int c = 1; c < 5; c++)
			small_bad += mismatches_(r, c, 50);
	CHECK(small_bad == 0, "images of 1x1 to 4x4 too (%d differ)", small_bad);
	free(scratch);
	return check_report("test_augment");
}
