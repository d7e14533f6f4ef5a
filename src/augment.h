/* augment.h: random distortions of training images (--augment), the way the best published
 * MLP results on MNIST were trained (Simard et al. 2003): every image of every training step
 * is moved, turned, scaled and elastically bent a little before the net sees it, so it never
 * sees the same image twice. Evaluation never augments.
 *
 * The magnitudes, each drawn uniformly per image: a shift of up to AUGMENT_SHIFT pixels in x
 * and y, a rotation of up to AUGMENT_DEGREES either way, a scale between 1 - AUGMENT_SCALE
 * and 1 + AUGMENT_SCALE, and an elastic displacement field: random offsets of up to
 * AUGMENT_ELASTIC pixels at the points of an AUGMENT_GRID x AUGMENT_GRID grid over the
 * image, interpolated smoothly in between (a cheap stand-in for Simard's Gaussian-smoothed
 * random field, with displacements of the same size). Pixels are resampled bilinearly,
 * zero outside the image, and rounded to bytes.
 *
 * What an image becomes depends only on the seed, the step and its place in the batch
 * (rng_hash), never on threads or timing, so runs stay bit for bit reproducible; and, as
 * augment.c is built without contraction into fused multiply-adds, not on the compiler
 * (GCC or Clang) or the target's vector width either. */
#ifndef BPTRAIN_AUGMENT_H
#define BPTRAIN_AUGMENT_H

#include <stddef.h>
#include <stdint.h>

#define AUGMENT_SHIFT 2.0f
#define AUGMENT_DEGREES 12.0f
#define AUGMENT_SCALE 0.1f
#define AUGMENT_ELASTIC 2.0f
#define AUGMENT_GRID 4

/* The key of image i of step `step` (1-based) of a run seeded with seed. */
uint64_t augment_key(uint64_t seed, long step, int i);

/* Bytes of scratch memory augment_image needs for images of rows x cols. */
size_t augment_scratch_bytes(int rows, int cols);

/* out(rows, cols) = in(rows, cols) distorted as key draws it; out and in must not overlap. */
void augment_image(uint8_t *out, const uint8_t *in, int rows, int cols, uint64_t key,
		   void *scratch);

#endif
