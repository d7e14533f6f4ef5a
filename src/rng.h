/* rng.h: a small seeded PRNG with explicit state, so runs repeat across libcs and machines. */
#ifndef BPTRAIN_RNG_H
#define BPTRAIN_RNG_H

#include <stdint.h>

/* xoshiro256** state; seed it with rng_seed, never use it zeroed. */
struct rng {
	uint64_t s[4];
};

void rng_seed(struct rng *rng, uint64_t seed);
uint64_t rng_next(struct rng *rng);
/* Uniform in [0, 1) with 53 random bits. */
double rng_uniform(struct rng *rng);
/* Standard normal N(0, 1). */
double rng_normal(struct rng *rng);
/* Uniform integer in [0, n), without modulo bias; n must be > 0. */
uint64_t rng_below(struct rng *rng, uint64_t n);

/* One step of splitmix64 from state *x: seeds the generator and makes the hash below. */
static inline uint64_t
rng_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A counter-based draw: 64 random bits from (key, counter) with no state, so a value depends
 * only on what it is for (dropout's seed, step, layer, row and unit), not on the order or
 * the thread that asks. Inline, so that a loop of draws (dropout's masks, a draw per unit
 * of every row, forward and backward) compiles to vector code. */
static inline uint64_t
rng_hash(uint64_t key, uint64_t counter)
{
	/* splitmix64's finalizer of a Weyl step: two rounds, as the key is itself a hash. */
	uint64_t x = key + counter * 0x9e3779b97f4a7c15ULL;
	x = rng_splitmix64(&x);
	return rng_splitmix64(&x);
}

#endif
