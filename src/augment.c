/* augment.c: the distortions of --augment. */
#include "augment.h"

#include <math.h>
#include <string.h>

#include "rng.h"

/* Keeps augmentation's draws apart from dropout's, which hash the same seed. */
#define AUGMENT_SALT 0x61756d656e74ULL

uint64_t
augment_key(uint64_t seed, long step, int i)
{
	return rng_hash(rng_hash(seed ^ AUGMENT_SALT, (uint64_t)step), (uint64_t)i);
}

/* Uniform in [-a, a]. */
static float
spread_(struct rng *rng, float a)
{
	return (float)((2.0 * rng_uniform(rng) - 1.0) * a);
}

/* Margin of zeros around the image in the scratch copy: a source position further out than
 * this is clamped to it, where the copy is 0 as well, so sampling needs no bounds checks. */
#define MARGIN 4

size_t
augment_scratch_bytes(int rows, int cols)
{
	/* The columns' grid places and the two fields' rows first, so that they are aligned;
	 * then the padded copy, bytes. */
	return (size_t)cols * (sizeof(int) + 3 * sizeof(float)) +
	       (size_t)(rows + 2 * MARGIN) * (size_t)(cols + 2 * MARGIN);
}

/* Where position t of n falls between the grid's points: the point below, and the weight of
 * the one above. */
static void
grid_place_(int t, int n, int *i, float *a)
{
	float g = (float)t * (AUGMENT_GRID - 1) / (float)(n > 1 ? n - 1 : 1);
	*i = g >= AUGMENT_GRID - 1 ? AUGMENT_GRID - 2 : (int)g;
	*a = g - (float)*i;
}

/* Row y of the elastic field g (GRID x GRID offsets spanning the image), bilinearly
 * between the grid points, into row(cols); xi and xa place each column on the grid. */
static void
elastic_row_(float *row, const float *g, int rows, int cols, int y, const int *xi,
	     const float *xa)
{
	int j;
	float ay, line[AUGMENT_GRID];
	grid_place_(y, rows, &j, &ay);
	for (int k = 0; k < AUGMENT_GRID; k++)
		line[k] = (1.0f - ay) * g[j * AUGMENT_GRID + k] + ay * g[(j + 1) * AUGMENT_GRID + k];
	for (int x = 0; x < cols; x++)
		row[x] = (1.0f - xa[x]) * line[xi[x]] + xa[x] * line[xi[x] + 1];
}

/* The padded copy's pixel at image position (x, y), bilinearly between its neighbours. */
static float
sample_(const uint8_t *pad, int width, int rows, int cols, float x, float y)
{
	/* Clamped into the margin, and shifted so that truncation is floor. */
	x = x < -MARGIN ? -MARGIN : x > cols + MARGIN - 2 ? cols + MARGIN - 2 : x;
	y = y < -MARGIN ? -MARGIN : y > rows + MARGIN - 2 ? rows + MARGIN - 2 : y;
	x += MARGIN, y += MARGIN;
	int x0 = (int)x, y0 = (int)y;
	float ax = x - (float)x0, ay = y - (float)y0;
	const uint8_t *p = pad + y0 * width + x0;
	return (1.0f - ay) * ((1.0f - ax) * p[0] + ax * p[1]) +
	       ay * ((1.0f - ax) * p[width] + ax * p[width + 1]);
}

void
augment_image(uint8_t *out, const uint8_t *in, int rows, int cols, uint64_t key, void *scratch)
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
	int width = cols + 2 * MARGIN;
	int *xi = scratch;
	float *xa = (float *)(xi + cols), *ex = xa + cols, *ey = ex + cols;
	uint8_t *pad = (uint8_t *)(ey + cols);
	memset(pad, 0, (size_t)(rows + 2 * MARGIN) * width);
	for (int y = 0; y < rows; y++)
		memcpy(pad + (size_t)(y + MARGIN) * width + MARGIN, in + (size_t)y * cols, (size_t)cols);
	for (int x = 0; x < cols; x++)
		grid_place_(x, cols, &xi[x], &xa[x]);
	/* Each output pixel looks up where it came from: the inverse of scale, rotation and
	 * shift about the centre, then the elastic offset. */
	float c = cosf(angle) / scale, s = sinf(angle) / scale;
	float cx = (float)(cols - 1) / 2.0f, cy = (float)(rows - 1) / 2.0f;
	for (int y = 0; y < rows; y++) {
		elastic_row_(ex, gx, rows, cols, y, xi, xa);
		elastic_row_(ey, gy, rows, cols, y, xi, xa);
		float v = (float)y - cy - ty;
		for (int x = 0; x < cols; x++) {
			float u = (float)x - cx - tx;
			float p = sample_(pad, width, rows, cols, c * u + s * v + cx + ex[x],
					  -s * u + c * v + cy + ey[x]);
			out[y * cols + x] = (uint8_t)(p > 255.0f ? 255 : (int)(p + 0.5f));
		}
	}
}
