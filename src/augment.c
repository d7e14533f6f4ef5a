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

/* The scratch memory: the padded copy of the image, as floats so that each pixel's four
 * neighbours are loaded by vector gathers; per column its place on the grid and the
 * rotation's terms in u (x about the centre); each pixel's source position, all of them,
 * so that the resampling is one loop over the whole image; and the image as floats, before
 * it is placed in the padded copy. */
struct scratch_ {
	float *pad;
	int *xi;
	float *xa, *cu, *su, *px, *py, *image;
};

static size_t
pad_floats_(int rows, int cols)
{
	return (size_t)(rows + 2 * MARGIN) * (size_t)(cols + 2 * MARGIN);
}

size_t
augment_scratch_bytes(int rows, int cols)
{
	size_t pixels = (size_t)rows * (size_t)cols;
	return (pad_floats_(rows, cols) + 4 * (size_t)cols + 3 * pixels) * sizeof(float);
}

static struct scratch_
scratch_(void *memory, int rows, int cols)
{
	struct scratch_ s;
	s.pad = memory;
	s.xi = (int *)(s.pad + pad_floats_(rows, cols));
	s.xa = (float *)(s.xi + cols);
	s.cu = s.xa + cols, s.su = s.cu + cols;
	size_t pixels = (size_t)rows * (size_t)cols;
	s.px = s.su + cols, s.py = s.px + pixels, s.image = s.py + pixels;
	return s;
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

/* Row y's lines through the elastic fields gx and gy (GRID x GRID offsets spanning the
 * image): their values at each of the grid's columns, bilinearly between the grid's rows. */
static void
grid_lines_(float *lx, float *ly, const float *gx, const float *gy, int rows, int y)
{
	int j;
	float ay;
	grid_place_(y, rows, &j, &ay);
	for (int k = 0; k < AUGMENT_GRID; k++) {
		lx[k] = (1.0f - ay) * gx[j * AUGMENT_GRID + k] + ay * gx[(j + 1) * AUGMENT_GRID + k];
		ly[k] = (1.0f - ay) * gy[j * AUGMENT_GRID + k] + ay * gy[(j + 1) * AUGMENT_GRID + k];
	}
}

/* The elastic offset at a column placed on the grid by xi and xa, between two of line's
 * points. The points are picked by comparisons rather than indexed, so that the loop that
 * calls this is vector code. */
static inline float
elastic_(const float *line, int xi, float xa)
{
	_Static_assert(AUGMENT_GRID == 4, "elastic_ picks among three grid intervals");
	float below = xi == 0 ? line[0] : xi == 1 ? line[1] : line[2];
	float above = xi == 0 ? line[1] : xi == 1 ? line[2] : line[3];
	return (1.0f - xa) * below + xa * above;
}

/* The padded copy of image in(rows, cols): converted to floats in one loop over the whole
 * image (a row of bytes is too short for the compiler's vector loop), then placed. */
static void
pad_(const struct scratch_ *s, const uint8_t *restrict in, int rows, int cols)
{
	int width = cols + 2 * MARGIN;
	float *restrict image = s->image;
	for (int i = 0; i < rows * cols; i++)
		image[i] = in[i];
	memset(s->pad, 0, pad_floats_(rows, cols) * sizeof(float));
	for (int y = 0; y < rows; y++)
		memcpy(s->pad + (size_t)(y + MARGIN) * width + MARGIN, image + (size_t)y * cols,
		       (size_t)cols * sizeof(float));
}

/* Where output row y's pixels come from: the inverse of scale, rotation and shift about
 * the centre (sv and cv are the rotation's terms in y), then the elastic offsets, which
 * the fields gx and gy give. */
static void
source_row_(const struct scratch_ *s, int rows, int cols, int y, float sv, float cv,
	    const float *gx, const float *gy)
{
	float cx = (float)(cols - 1) / 2.0f, cy = (float)(rows - 1) / 2.0f, lx[4], ly[4];
	grid_lines_(lx, ly, gx, gy, rows, y);
	float *restrict px = s->px + (size_t)y * cols, *restrict py = s->py + (size_t)y * cols;
	for (int x = 0; x < cols; x++) {
		px[x] = s->cu[x] + sv + cx + elastic_(lx, s->xi[x], s->xa[x]);
		py[x] = s->su[x] + cv + cy + elastic_(ly, s->xi[x], s->xa[x]);
	}
}

/* Each output pixel takes the padded copy at its source position, bilinearly between the
 * four neighbours, rounded to a byte. Written without branches over the whole image, so
 * that the compiler makes vector code of it, with the same operations in every lane. */
static void
resample_(uint8_t *restrict out, const struct scratch_ *s, int rows, int cols)
{
	int width = cols + 2 * MARGIN;
	float hx = (float)(cols + MARGIN - 2), hy = (float)(rows + MARGIN - 2);
	const float *restrict pad = s->pad, *restrict sx = s->px, *restrict sy = s->py;
	for (int i = 0; i < rows * cols; i++) {
		/* Clamped into the margin, and shifted so that truncation is floor. */
		float px = sx[i] < -MARGIN ? -MARGIN : sx[i], py = sy[i] < -MARGIN ? -MARGIN : sy[i];
		px = (px > hx ? hx : px) + MARGIN, py = (py > hy ? hy : py) + MARGIN;
		int x0 = (int)px, y0 = (int)py, k = y0 * width + x0;
		float ax = px - (float)x0, ay = py - (float)y0;
		float p = (1.0f - ay) * ((1.0f - ax) * pad[k] + ax * pad[k + 1]) +
			  ay * ((1.0f - ax) * pad[k + width] + ax * pad[k + width + 1]);
		/* Capped before the conversion, which must not be one arm of a choice to be
		 * vector code (it could trap); p is never negative. */
		out[i] = (uint8_t)(int)((p > 255.0f ? 255.0f : p) + 0.5f);
	}
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
	struct scratch_ b = scratch_(scratch, rows, cols);
	pad_(&b, in, rows, cols);
	float c = cosf(angle) / scale, s = sinf(angle) / scale;
	float cx = (float)(cols - 1) / 2.0f, cy = (float)(rows - 1) / 2.0f;
	for (int x = 0; x < cols; x++) {
		grid_place_(x, cols, &b.xi[x], &b.xa[x]);
		float u = (float)x - cx - tx;
		b.cu[x] = c * u, b.su[x] = -s * u;
	}
	for (int y = 0; y < rows; y++) {
		float v = (float)y - cy - ty;
		source_row_(&b, rows, cols, y, s * v, c * v, gx, gy);
	}
	resample_(out, &b, rows, cols);
}
