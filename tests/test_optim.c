/* test_optim: each update rule against the book's formula written out here for two steps,
 * and the same bits whether the parameters are updated at once or range by range. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "optim.h"

enum { N = 7 };

static const struct optim_config base_ = {.lr = 0.1f, .momentum = 0.9f, .alpha = 0.99f,
					  .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-7f};

/* Two steps with gradients g1 then g2 from p, by the book's formulas in double. */
static double
expect_(enum optim_kind kind, double p, double g1, double g2)
{
	const struct optim_config *c = &base_;
	double lr = c->lr, m = c->momentum, v = 0, h = 0, mo = 0, ve = 0;
	double g[2] = {g1, g2};
	for (int t = 1; t <= 2; t++) {
		double gt = g[t - 1];
		switch (kind) {
		case OPTIM_SGD: p -= lr * gt; break;
		case OPTIM_MOMENTUM: v = m * v - lr * gt; p += v; break;
		case OPTIM_NESTEROV: v = m * v - lr * gt; p += m * m * v - (1 + m) * lr * gt; break;
		case OPTIM_ADAGRAD: h += gt * gt; p -= lr * gt / (sqrt(h) + c->eps); break;
		case OPTIM_RMSPROP:
			h = c->alpha * h + (1 - c->alpha) * gt * gt;
			p -= lr * gt / (sqrt(h) + c->eps);
			break;
		case OPTIM_ADAM: {
			double lr_t = lr * sqrt(1 - pow(c->beta2, t)) / (1 - pow(c->beta1, t));
			mo += (1 - c->beta1) * (gt - mo);
			ve += (1 - c->beta2) * (gt * gt - ve);
			p -= lr_t * mo / (sqrt(ve) + c->eps);
			break;
		}
		}
	}
	return p;
}

static void
check_kind_(enum optim_kind kind)
{
	struct optim_config cfg = base_;
	cfg.kind = kind;
	struct optim whole, parts;
	optim_init(&whole, &cfg, N);
	optim_init(&parts, &cfg, N);
	float p1[N], p2[N], g[2][N];
	for (int i = 0; i < N; i++) {
		p1[i] = p2[i] = 0.5f - 0.1f * i;
		g[0][i] = 0.3f * (i - 3);
		g[1][i] = -0.2f + 0.05f * i;
	}
	float start[N];
	memcpy(start, p1, sizeof start);
	for (int t = 0; t < 2; t++) {
		optim_begin_step(&whole);
		optim_begin_step(&parts);
		optim_update(&whole, p1, g[t], 0, N);
		optim_update(&parts, p2, g[t], 4, N);
		optim_update(&parts, p2, g[t], 0, 1);
		optim_update(&parts, p2, g[t], 1, 4);
	}
	CHECK(memcmp(p1, p2, sizeof p1) == 0, "%s: ranges in another order change the bits",
	      optim_name(kind));
	for (int i = 0; i < N; i++)
		CHECK_NEAR(p1[i], expect_(kind, start[i], g[0][i], g[1][i]), 2e-6, optim_name(kind));
	optim_free(&whole);
	optim_free(&parts);
}

int
main(void)
{
	static const enum optim_kind kinds[] = {OPTIM_SGD, OPTIM_MOMENTUM, OPTIM_NESTEROV,
						OPTIM_ADAGRAD, OPTIM_RMSPROP, OPTIM_ADAM};
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
		check_kind_(kinds[k]);
	CHECK(optim_state_arrays(OPTIM_SGD) == 0 && optim_state_arrays(OPTIM_ADAM) == 2,
	      "state arrays");
	return check_report("test_optim");
}
