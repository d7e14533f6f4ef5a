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

/* A counter-based draw: 64 random bits from (key, counter) with no state, so a value depends
 * only on what it is for (dropout's seed, step, layer, row and unit), not on the order or
 * the thread that asks. */
uint64_t rng_hash(uint64_t key, uint64_t counter);

#endif
