/* optim.c: the parameter update, one range at a time. */
#include "optim.h"

static void
sgd_(float *restrict params, const float *restrict grads, size_t i0, size_t i1, float lr)
{
	for (size_t i = i0; i < i1; i++)
		params[i] -= lr * grads[i];
}

void
optim_update(const struct optim *opt, float *params, const float *grads, size_t i0, size_t i1)
{
	switch (opt->kind) {
	case OPTIM_SGD:
		sgd_(params, grads, i0, i1, opt->lr);
		break;
	}
}

const char *
optim_name(enum optim_kind kind)
{
	switch (kind) {
	case OPTIM_SGD:
		return "sgd";
	}
	return "?";
}
