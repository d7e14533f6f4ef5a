/* batches.c: the rows of each training step. */
#include "batches.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

int
batches_per_epoch(size_t count, int batch)
{
	return (int)((count + (size_t)batch - 1) / (size_t)batch);
}

void
batches_init(struct batches *b, enum sampling sampling, size_t count, int batch)
{
	*b = (struct batches){.sampling = sampling, .count = count, .batch = batch};
	if (sampling == SAMPLING_SHUFFLE) {
		b->order = xmalloc(count * sizeof *b->order);
		for (size_t i = 0; i < count; i++)
			b->order[i] = i;
		b->next = count; /* so the first step shuffles */
	}
}

void
batches_free(struct batches *b)
{
	free(b->order);
	memset(b, 0, sizeof *b);
}

void
batches_restore(struct batches *b, const size_t *order, size_t next)
{
	memcpy(b->order, order, b->count * sizeof *b->order);
	b->next = next;
}

/* Fisher-Yates on the previous epoch's order: a fresh uniform permutation either way, and
 * the walk starts from a known state for any seed. */
static void
shuffle_(size_t *order, size_t count, struct rng *rng)
{
	for (size_t i = count - 1; i > 0; i--) {
		size_t j = (size_t)rng_below(rng, i + 1);
		size_t t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
}

int
batches_next(struct batches *b, struct rng *rng, size_t *rows)
{
	switch (b->sampling) {
	case SAMPLING_REPLACE:
		for (int i = 0; i < b->batch; i++)
			rows[i] = (size_t)rng_below(rng, b->count);
		return b->batch;
	case SAMPLING_SHUFFLE:
		break;
	}
	if (b->next == b->count) {
		shuffle_(b->order, b->count, rng);
		b->next = 0;
	}
	size_t left = b->count - b->next;
	int n = left < (size_t)b->batch ? (int)left : b->batch;
	for (int i = 0; i < n; i++)
		rows[i] = b->order[b->next + i];
	b->next += (size_t)n;
	return n;
}

const char *
sampling_name(enum sampling sampling)
{
	switch (sampling) {
	case SAMPLING_REPLACE:
		return "replace";
	case SAMPLING_SHUFFLE:
		return "shuffle";
	}
	return "?";
}
