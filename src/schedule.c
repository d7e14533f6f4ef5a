/* schedule.c: the learning rate as a function of the step. */
#include "schedule.h"

#include <math.h>

float
schedule_lr(const struct schedule *s, int step)
{
	long warmup = (long)s->warmup_epochs * s->epoch_iters;
	/* Linear from lr/warmup up to lr at the warmup's last step, as a ramp that never
	 * takes a zero step. */
	if (step < warmup)
		return (float)((double)s->lr * (double)(step + 1) / (double)warmup);
	switch (s->kind) {
	case SCHEDULE_CONSTANT:
		return s->lr;
	case SCHEDULE_STEP:
		return (float)((double)s->lr *
			       pow((double)s->gamma, (double)(step / s->epoch_iters / s->step_epochs)));
	case SCHEDULE_COSINE: {
		long span = s->iters - warmup;
		double t = span > 0 ? (double)(step - warmup) / (double)span : 0.0;
		return (float)((double)s->lr * 0.5 * (1.0 + cos(3.141592653589793 * t)));
	}
	}
	return s->lr;
}

const char *
schedule_name(enum schedule_kind kind)
{
	switch (kind) {
	case SCHEDULE_CONSTANT:
		return "constant";
	case SCHEDULE_STEP:
		return "step";
	case SCHEDULE_COSINE:
		return "cosine";
	}
	return "?";
}
