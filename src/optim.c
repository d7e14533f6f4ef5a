/* optim.c: the parameter update, one range at a time. The formulas are the book's (chapter
 * 6, common/optimizer.py), eps included; docs/optimizers.md compares them with PyTorch's. */
#include "optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

const char *
optim_name(enum optim_kind kind)
{
	switch (kind) {
	case OPTIM_SGD: return "sgd";
	case OPTIM_MOMENTUM: return "momentum";
	case OPTIM_NESTEROV: return "nesterov";
	case OPTIM_ADAGRAD: return "adagrad";
	case OPTIM_RMSPROP: return "rmsprop";
	case OPTIM_ADAM: return "adam";
	}
	return "?";
}

int
optim_state_arrays(enum optim_kind kind)
{
	switch (kind) {
	case OPTIM_SGD:
		return 0;
	case OPTIM_MOMENTUM:
	case OPTIM_NESTEROV:
	case OPTIM_ADAGRAD:
	case OPTIM_RMSPROP:
		return 1;
	case OPTIM_ADAM:
		return 2;
	}
	return 0;
}

void
optim_init(struct optim *opt, const struct optim_config *cfg, size_t n_params)
{
	memset(opt, 0, sizeof *opt);
	opt->cfg = *cfg;
	int arrays = optim_state_arrays(cfg->kind);
	if (arrays == 0)
		return;
	float *p = xmalloc_aligned((size_t)arrays * n_params * sizeof *p);
	memset(p, 0, (size_t)arrays * n_params * sizeof *p);
	opt->memory = p;
	for (int a = 0; a < arrays; a++)
		opt->state[a] = p + (size_t)a * n_params;
}

void
optim_free(struct optim *opt)
{
	free(opt->memory);
	memset(opt, 0, sizeof *opt);
}

void
optim_begin_step(struct optim *opt)
{
	opt->step++;
	if (opt->cfg.kind != OPTIM_ADAM)
		return;
	/* In double: 1 - beta2^t underflows nothing, and the rate is rounded once. */
	double t = (double)opt->step;
	opt->lr_t = (float)(opt->cfg.lr * sqrt(1.0 - pow(opt->cfg.beta2, t)) /
			    (1.0 - pow(opt->cfg.beta1, t)));
}

static void
sgd_(float *restrict p, const float *restrict g, size_t i0, size_t i1, float lr)
{
	for (size_t i = i0; i < i1; i++)
		p[i] -= lr * g[i];
}

static void
momentum_(float *restrict p, const float *restrict g, float *restrict v, size_t i0, size_t i1,
	  float lr, float momentum)
{
	for (size_t i = i0; i < i1; i++) {
		v[i] = momentum * v[i] - lr * g[i];
		p[i] += v[i];
	}
}

static void
nesterov_(float *restrict p, const float *restrict g, float *restrict v, size_t i0, size_t i1,
	  float lr, float momentum)
{
	for (size_t i = i0; i < i1; i++) {
		v[i] = momentum * v[i] - lr * g[i];
		p[i] += momentum * momentum * v[i];
		p[i] -= (1.0f + momentum) * lr * g[i];
	}
}

/* AdaGrad (alpha = 1, no decay: h += g²) and RMSprop (h = alpha·h + (1 - alpha)·g²). */
static void
scaled_(float *restrict p, const float *restrict g, float *restrict h, size_t i0, size_t i1,
	float lr, float eps, int decay, float alpha)
{
	for (size_t i = i0; i < i1; i++) {
		if (decay)
			h[i] = alpha * h[i] + (1.0f - alpha) * g[i] * g[i];
		else
			h[i] += g[i] * g[i];
		p[i] -= lr * g[i] / (sqrtf(h[i]) + eps);
	}
}

static void
adam_(float *restrict p, const float *restrict g, float *restrict m, float *restrict v,
      size_t i0, size_t i1, const struct optim *opt)
{
	float b1 = 1.0f - opt->cfg.beta1, b2 = 1.0f - opt->cfg.beta2, eps = opt->cfg.eps;
	for (size_t i = i0; i < i1; i++) {
		m[i] += b1 * (g[i] - m[i]);
		v[i] += b2 * (g[i] * g[i] - v[i]);
		p[i] -= opt->lr_t * m[i] / (sqrtf(v[i]) + eps);
	}
}

void
optim_update(const struct optim *opt, float *params, const float *grads, size_t i0, size_t i1)
{
	const struct optim_config *c = &opt->cfg;
	switch (c->kind) {
	case OPTIM_SGD:
		sgd_(params, grads, i0, i1, c->lr);
		break;
	case OPTIM_MOMENTUM:
		momentum_(params, grads, opt->state[0], i0, i1, c->lr, c->momentum);
		break;
	case OPTIM_NESTEROV:
		nesterov_(params, grads, opt->state[0], i0, i1, c->lr, c->momentum);
		break;
	case OPTIM_ADAGRAD:
		scaled_(params, grads, opt->state[0], i0, i1, c->lr, c->eps, 0, 0.0f);
		break;
	case OPTIM_RMSPROP:
		scaled_(params, grads, opt->state[0], i0, i1, c->lr, c->eps, 1, c->alpha);
		break;
	case OPTIM_ADAM:
		adam_(params, grads, opt->state[0], opt->state[1], i0, i1, opt);
		break;
	}
}
