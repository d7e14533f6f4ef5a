/* test_batches: the rows of each step (--sampling) and the learning rate of each step
 * (--schedule, --warmup). */
#include <stdlib.h>
#include <string.h>

#include "batches.h"
#include "check.h"
#include "schedule.h"

/* Shuffled epochs use every row exactly once, in ⌈count / batch⌉ steps, the last one short,
 * in an order that changes from epoch to epoch. */
static void
test_shuffle_(size_t count, int batch)
{
	struct rng rng;
	rng_seed(&rng, 7);
	struct batches b;
	batches_init(&b, SAMPLING_SHUFFLE, count, batch);
	int steps = batches_per_epoch(count, batch);
	size_t *rows = malloc((size_t)batch * sizeof *rows);
	int *seen = calloc(count, sizeof *seen);
	size_t first[2] = {0, 0};
	for (int epoch = 1; epoch <= 3; epoch++) {
		size_t total = 0;
		for (int s = 0; s < steps; s++) {
			int n = batches_next(&b, &rng, rows);
			int want = s < steps - 1 ? batch : (int)(count - (size_t)(steps - 1) * batch);
			CHECK(n == want, "count %zu batch %d step %d: %d rows, want %d", count, batch,
			      s, n, want);
			for (int i = 0; i < n; i++)
				if (rows[i] < count)
					seen[rows[i]]++;
			if (s == 0 && epoch <= 2)
				first[epoch - 1] = rows[0];
			total += (size_t)n;
		}
		int once = total == count;
		for (size_t r = 0; r < count; r++)
			once &= seen[r] == epoch;
		CHECK(once, "count %zu batch %d: epoch %d uses every row once", count, batch, epoch);
	}
	if (count > 100)
		CHECK(first[0] != first[1], "a new order each epoch");
	free(seen);
	free(rows);
	batches_free(&b);
}

static void
test_replace_(void)
{
	struct rng a, c;
	rng_seed(&a, 3);
	rng_seed(&c, 3);
	struct batches b;
	batches_init(&b, SAMPLING_REPLACE, 1000, 10);
	size_t rows[10];
	int n = batches_next(&b, &a, rows), same = n == 10;
	/* The book's draw: rng_below per row, nothing else taken from the generator. */
	for (int i = 0; i < n; i++)
		same &= rows[i] == (size_t)rng_below(&c, 1000);
	CHECK(same, "replace draws rng_below(count) per row");
	batches_free(&b);
	/* Coverage: 100000 draws over 100 rows reach every row about 1000 times (a sampler
	 * drawing from part of the set, or the first rows more often, fails at once). */
	batches_init(&b, SAMPLING_REPLACE, 100, 10);
	int seen[100] = {0};
	for (int s = 0; s < 10000; s++) {
		batches_next(&b, &a, rows);
		for (int i = 0; i < 10; i++)
			seen[rows[i] < 100 ? rows[i] : 0]++;
	}
	int lo = seen[0], hi = seen[0];
	for (int r = 1; r < 100; r++)
		lo = seen[r] < lo ? seen[r] : lo, hi = seen[r] > hi ? seen[r] : hi;
	CHECK(lo > 850 && hi < 1150, "replace: every row drawn about 1000 times (%d to %d)", lo, hi);
	batches_free(&b);
}

static void
test_schedule_(void)
{
	struct schedule s = {.kind = SCHEDULE_CONSTANT, .lr = 0.1f, .epoch_iters = 10,
			     .iters = 100, .step_epochs = 3, .gamma = 0.5f};
	CHECK(schedule_lr(&s, 0) == 0.1f && schedule_lr(&s, 99) == 0.1f, "constant is lr");
	s.kind = SCHEDULE_STEP;
	CHECK(schedule_lr(&s, 29) == 0.1f, "step: lr for epochs 0-2");
	CHECK_NEAR(schedule_lr(&s, 30), 0.05, 1e-7, "step: halved at epoch 3");
	CHECK_NEAR(schedule_lr(&s, 99), 0.1 * 0.125, 1e-7, "step: 3 decays by epoch 9");
	s.kind = SCHEDULE_COSINE;
	CHECK(schedule_lr(&s, 0) == 0.1f, "cosine starts at lr");
	CHECK_NEAR(schedule_lr(&s, 50), 0.05, 1e-7, "cosine: half way, half the lr");
	CHECK(schedule_lr(&s, 99) > 0 && schedule_lr(&s, 99) < 1e-4, "cosine ends near 0");
	s.warmup_epochs = 2;
	CHECK_NEAR(schedule_lr(&s, 0), 0.1 / 20, 1e-9, "warmup: first step lr/20");
	CHECK_NEAR(schedule_lr(&s, 9), 0.05, 1e-8, "warmup: half way");
	CHECK(schedule_lr(&s, 19) == 0.1f, "warmup: lr at its last step");
	CHECK(schedule_lr(&s, 20) == 0.1f, "cosine starts after warmup");
	CHECK_NEAR(schedule_lr(&s, 60), 0.05, 1e-7, "cosine after warmup: half way at 60");
}

/* rng_below against the plain rejection and remainder it stands for, over bounds on both
 * sides of where it stops dividing integers (2^11 and 2^52). */
static void
test_below_(void)
{
	const uint64_t bounds[] = {1, 2, 3, 255, 2047, 2048, 3001, 65536, 60000, 1000000007,
				   (UINT64_C(1) << 32) + 1, (UINT64_C(1) << 52) - 1, UINT64_C(1) << 52,
				   (UINT64_C(1) << 53) + 5, UINT64_C(1) << 63, UINT64_MAX};
	for (size_t b = 0; b < sizeof bounds / sizeof bounds[0]; b++) {
		uint64_t n = bounds[b], limit = UINT64_MAX - UINT64_MAX % n;
		struct rng a, c;
		rng_seed(&a, 5);
		rng_seed(&c, 5);
		int same = 1;
		for (int i = 0; i < 20000; i++) {
			uint64_t x;
			do
				x = rng_next(&c);
			while (x >= limit);
			same &= rng_below(&a, n) == x % n;
		}
		CHECK(same, "rng_below(%llu) differs from rejection and %% n", (unsigned long long)n);
	}
}

int
main(void)
{
	test_below_();
	test_shuffle_(60, 10);
	test_shuffle_(1000, 128);
	test_shuffle_(7, 100);
	test_shuffle_(1, 1);
	test_replace_();
	test_schedule_();
	return check_report("test_batches");
}
