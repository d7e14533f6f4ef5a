/* batches.h: which training images each step uses. The book draws every batch uniformly
 * with replacement; practitioners shuffle once per epoch and walk the order, so that every
 * image is seen exactly once an epoch (PyTorch's DataLoader with shuffle=True). */
#ifndef BPTRAIN_BATCHES_H
#define BPTRAIN_BATCHES_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"

enum sampling {
	SAMPLING_REPLACE, /* each row drawn uniformly from all of them, independently */
	SAMPLING_SHUFFLE, /* a seeded permutation per epoch, in batches; the last may be short */
};

struct batches {
	enum sampling sampling;
	size_t count;    /* rows to draw from: 0 .. count-1 */
	int batch;       /* rows per step */
	size_t *order;   /* SAMPLING_SHUFFLE: this epoch's permutation, else NULL */
	size_t next;     /* SAMPLING_SHUFFLE: where the next batch starts in order */
};

/* Steps per epoch: ⌈count / batch⌉, every row once under SAMPLING_SHUFFLE. */
int batches_per_epoch(size_t count, int batch);

void batches_init(struct batches *b, enum sampling sampling, size_t count, int batch);
void batches_free(struct batches *b);

/* SAMPLING_SHUFFLE: go on from an epoch's saved order (b->count rows, a permutation) at
 * position next (b->count: the epoch is used up, and the next step shuffles anew), as a run
 * that was saved there would have gone on. */
void batches_restore(struct batches *b, const size_t *order, size_t next);

/* The next step's rows into rows[0 .. batch), drawn from rng; returns how many there are:
 * batch, except for the last step of a shuffled epoch, which takes what is left. */
int batches_next(struct batches *b, struct rng *rng, size_t *rows);

const char *sampling_name(enum sampling sampling);

#endif
