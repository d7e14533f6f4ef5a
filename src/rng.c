/* rng.c: xoshiro256** seeded through splitmix64 (both public-domain algorithms by Vigna et al.). */
#include "rng.h"

#include <math.h>

static uint64_t
rotl_(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void
rng_seed(struct rng *rng, uint64_t seed)
{
	/* splitmix64 spreads any seed, including 0, into a state that is never all zero. */
	for (int i = 0; i < 4; i++)
		rng->s[i] = rng_splitmix64(&seed);
}

uint64_t
rng_next(struct rng *rng)
{
	uint64_t *s = rng->s;
	uint64_t result = rotl_(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl_(s[3], 45);
	return result;
}

double
rng_uniform(struct rng *rng)
{
	return (double)(rng_next(rng) >> 11) * 0x1.0p-53;
}

double
rng_normal(struct rng *rng)
{
	/* Box-Muller; 1 - u keeps the log argument in (0, 1]. Drawing two uniforms per call and
	 * discarding the second normal keeps the generator free of hidden cached state. */
	double u1 = 1.0 - rng_uniform(rng);
	double u2 = rng_uniform(rng);
	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* x % n. A 64-bit integer division takes tens of cycles, twice per draw, and sampling a
 * batch is serial; a double's quotient, for n from 2^11 to 2^52, is off by at most two (x
 * rounds by up to 2^10), which the remainder then corrects, so the result is exactly x % n. */
static uint64_t
mod_(uint64_t x, uint64_t n)
{
	if (n < (UINT64_C(1) << 11) || n > (UINT64_C(1) << 52))
		return x % n;
	uint64_t q = (uint64_t)((double)x / (double)n);
	int64_t r = (int64_t)(x - q * n); /* within (-3n, 3n): the wrap-around is exact */
	while (r < 0)
		r += (int64_t)n;
	while (r >= (int64_t)n)
		r -= (int64_t)n;
	return (uint64_t)r;
}

uint64_t
rng_below(struct rng *rng, uint64_t n)
{
	/* Rejection sampling: drop the top partial copy of [0, n) so every value is equally likely. */
	uint64_t limit = UINT64_MAX - mod_(UINT64_MAX, n);
	uint64_t x;
	do
		x = rng_next(rng);
	while (x >= limit);
	return mod_(x, n);
}
