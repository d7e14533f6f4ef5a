/* optim.h: the update that turns gradients into new parameters: SGD and the book's chapter 6
 * optimizers (Momentum, Nesterov, AdaGrad, RMSprop, Adam).
 *
 * The update is elementwise, so it is written over a range [i0, i1) of the flat parameter
 * and gradient arrays (the same layout, src/net.h), and so is every optimizer's state: a
 * caller may apply it to each block of gradients as soon as that block is computed, while it
 * is still in cache, and any split into ranges gives the same bits as one call over
 * everything. Nothing here knows about threads. */
#ifndef BPTRAIN_OPTIM_H
#define BPTRAIN_OPTIM_H

#include <stddef.h>

enum optim_kind {
	OPTIM_SGD,      /* p -= lr·g */
	OPTIM_MOMENTUM, /* v = momentum·v - lr·g; p += v */
	OPTIM_NESTEROV, /* the book's form: v = momentum·v - lr·g;
			 * p += momentum²·v - (1 + momentum)·lr·g */
	OPTIM_ADAGRAD,  /* h += g²; p -= lr·g / (√h + eps) */
	OPTIM_RMSPROP,  /* h = alpha·h + (1 - alpha)·g²; p -= lr·g / (√h + eps) */
	OPTIM_ADAM,     /* m += (1 - beta1)(g - m); v += (1 - beta2)(g² - v);
			 * p -= lr·√(1 - beta2^t) / (1 - beta1^t) · m / (√v + eps) */
};

/* What the command line chooses. */
struct optim_config {
	enum optim_kind kind;
	float lr;       /* learning rate */
	float momentum; /* Momentum, Nesterov */
	float alpha;    /* RMSprop's decay of the squared gradients */
	float beta1, beta2; /* Adam's decays of the first and second moments */
	float eps;      /* AdaGrad, RMSprop, Adam: keeps the step finite where √h is 0 */
};

struct optim {
	struct optim_config cfg;
	long step;      /* steps begun (optim_begin_step), for Adam's bias correction */
	float lr_t;     /* Adam: this step's corrected learning rate */
	float *state[2]; /* per parameter, in the params' layout, or NULL: velocity or squared
			  * gradients (state[0]); Adam's first and second moments */
	void *memory;
};

/* Set up the optimizer for n_params parameters, its state zero. */
void optim_init(struct optim *opt, const struct optim_config *cfg, size_t n_params);
void optim_free(struct optim *opt);

/* Called once before each step's updates: counts the step (Adam's t). */
void optim_begin_step(struct optim *opt);

/* The update of params[i0 .. i1) from grads[i0 .. i1) (and the state there). */
void optim_update(const struct optim *opt, float *params, const float *grads, size_t i0,
		  size_t i1);

const char *optim_name(enum optim_kind kind);
/* How many state arrays the kind keeps (0, 1 or 2). */
int optim_state_arrays(enum optim_kind kind);

#endif
