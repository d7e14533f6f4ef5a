/* optim.h: the update that turns gradients into new parameters.
 *
 * The update is elementwise, so it is written over a range [i0, i1) of the flat parameter
 * and gradient arrays (the same layout, src/net.h): a caller may apply it to each block of
 * gradients as soon as that block is computed, while it is still in cache, and any split
 * into ranges gives the same bits as one call over everything. Nothing here knows about
 * threads. */
#ifndef BPTRAIN_OPTIM_H
#define BPTRAIN_OPTIM_H

#include <stddef.h>

enum optim_kind { OPTIM_SGD };

struct optim {
	enum optim_kind kind;
	float lr; /* learning rate */
};

/* SGD: params[i] -= lr * grads[i] for i0 <= i < i1. */
void optim_update(const struct optim *opt, float *params, const float *grads, size_t i0,
		  size_t i1);

const char *optim_name(enum optim_kind kind);

#endif
