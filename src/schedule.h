/* schedule.h: the learning rate of each step. The book keeps it constant; a step decay
 * (PyTorch's StepLR) or a cosine to zero, after an optional linear warmup, usually train a
 * little better in the same number of epochs. */
#ifndef BPTRAIN_SCHEDULE_H
#define BPTRAIN_SCHEDULE_H

enum schedule_kind {
	SCHEDULE_CONSTANT, /* lr */
	SCHEDULE_STEP,     /* lr · gamma^⌊epoch / step_epochs⌋, epoch counted from 0 */
	SCHEDULE_COSINE,   /* lr · ½(1 + cos(π t)), t going from 0 to 1 over the steps after
			    * warmup */
};

struct schedule {
	enum schedule_kind kind;
	float lr;          /* the base learning rate */
	int step_epochs;   /* SCHEDULE_STEP: epochs between decays */
	float gamma;       /* SCHEDULE_STEP: the factor of each decay */
	int warmup_epochs; /* the first this many epochs ramp up linearly to lr; 0: none */
	int epoch_iters;   /* steps per epoch */
	int iters;         /* steps in the whole run */
};

/* The learning rate of step `step` (0-based). SCHEDULE_CONSTANT without warmup is exactly
 * lr, so the book's run is untouched. */
float schedule_lr(const struct schedule *s, int step);

const char *schedule_name(enum schedule_kind kind);

#endif
