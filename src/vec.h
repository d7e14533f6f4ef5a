/* vec.h: the vector type and helpers the dense and sparse kernels share (gemm.c, sparse.c).
 *
 * GCC vector extensions (also understood by Clang): nothing here is ISA-specific. VL only
 * picks a width that fits the target's registers, and the compiler lowers the arithmetic to
 * whatever the target has (SSE2 in a portable x86-64 build). */
#ifndef BPTRAIN_VEC_H
#define BPTRAIN_VEC_H

#include <math.h>
#include <string.h>

/* Floats per vector. */
#if defined(__AVX512F__)
#define VL 16
#elif defined(__AVX__)
#define VL 8
#else
#define VL 4
#endif

typedef float vf __attribute__((vector_size(VL * sizeof(float))));
/* Half a vector: covers the last columns of a row when half a vector is enough. */
typedef float vh __attribute__((vector_size(VL / 2 * sizeof(float))));

/* Unaligned loads and stores: memcpy compiles to one vector move. */
static inline vf
vec_load(const float *p)
{
	vf v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline void
vec_store(float *p, vf v)
{
	memcpy(p, &v, sizeof v);
}

static inline vh
vec_load_half(const float *p)
{
	vh v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline void
vec_store_half(float *p, vh v)
{
	memcpy(p, &v, sizeof v);
}

/* x in every lane, and its first half: one broadcast serves a pass's full vectors and its
 * half vector. */
static inline vf
vec_broadcast(float x)
{
	return x - (vf){0}; /* x - 0 is x for every x, -0 included, so it folds away */
}

static inline vh
vec_low_half(vf v)
{
	vh h;
	memcpy(&h, &v, sizeof h);
	return h;
}

/* c + a*b for the scalar code paths, rounded like the vector ones: GCC contracts the vector
 * c += a*b into a fused multiply-add where the target has one (see the Makefile), but it
 * may vectorize the products of a scalar loop and keep the adds apart, so say it. */
#if defined(FP_FAST_FMAF)
#define VEC_MADD(a, b, c) fmaf((a), (b), (c))
#else
#define VEC_MADD(a, b, c) ((a) * (b) + (c))
#endif

static inline int
vec_min(int a, int b)
{
	return a < b ? a : b;
}

#endif
