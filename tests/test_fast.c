/* test_fast: the fast path (src/fast.c) against the reference layer loop (src/net.c), bit for
 * bit, on a table of nets (depths, widths narrower and wider than a vector, ReLU and sigmoid,
 * inputs too small to fill every input block) and batches (1, odd sizes, images drawn twice),
 * on pools of 1, 2 and 3 threads and on the calling thread alone, with every optimizer and
 * with weight decay, dropout and batch normalization: the losses of every step, the
 * gradients, the parameters and running averages after training, and the logits of an
 * evaluation pass; each with the images compacted as they are used and compacted once
 * beforehand (fast_compact_set). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fast.h"
#include "net.h"
#include "optim.h"
#include "pool.h"
#include "train.h"

enum { ROWS = 120, STEPS = 12 };

struct case_ {
	int dims[6];
	int n_affine;
	enum activation act;
	int batch;
	enum optim_kind optimizer;
	float weight_decay;
	float dropout;
	int batchnorm;
};

/* ROWS byte images, sparse like MNIST, with the class visible in which pixels are lit; every
 * fourth one with gaps of 255 to 257 columns, around the longest a compacted entry can skip
 * (inputs 320 apart start blocks of a 1300-input layer). */
static void
make_images_(uint8_t *bytes, float *x, uint8_t *labels, int in, int classes)
{
	struct rng rng;
	rng_seed(&rng, 11);
	for (int i = 0; i < ROWS; i++) {
		labels[i] = (uint8_t)(i % classes);
		for (int k = 0; k < in; k++) {
			int lit = i % 4 == 3 ? k % 320 == 0 || k % 320 == 255 + i / 4 % 3
					     : (k + 3 * labels[i]) % 7 == 0 && rng_below(&rng, 3) != 0;
			uint8_t p = lit ? (uint8_t)(1 + rng_below(&rng, 255)) : 0;
			bytes[(size_t)i * in + k] = p;
			x[(size_t)i * in + k] = (float)p / 255.0f;
		}
	}
}

/* The rows of step s: a fixed pseudo-random draw with repeats, the same for both paths. */
static void
draw_(int *rows, int batch, int s)
{
	for (int i = 0; i < batch; i++)
		rows[i] = (int)((unsigned)(s * 7919 + i * 104729 + i * i * 31) % ROWS);
}

static void
gather_(float *xb, uint8_t *lb, const uint8_t **images, const int *rows, int batch,
	const float *x, const uint8_t *bytes, const uint8_t *labels, int in)
{
	for (int i = 0; i < batch; i++) {
		memcpy(xb + (size_t)i * in, x + (size_t)rows[i] * in, (size_t)in * sizeof *xb);
		lb[i] = labels[rows[i]];
		images[i] = bytes + (size_t)rows[i] * in;
	}
}

/* One case on one pool (NULL: no pool), the images compacted once or not. */
static void
check_case_(const struct case_ *c, struct pool *pool, int threads, int compacted)
{
	int in = c->dims[0], classes = c->dims[c->n_affine], batch = c->batch;
	uint8_t *bytes = malloc((size_t)ROWS * in), labels[ROWS], lb[ROWS];
	float *x = malloc((size_t)ROWS * in * sizeof *x), *xb = malloc((size_t)ROWS * in * sizeof *xb);
	const uint8_t *images[ROWS];
	int rows[ROWS];
	make_images_(bytes, x, labels, in, classes);
	struct net ref, net;
	struct rng r1, r2;
	rng_seed(&r1, 3);
	rng_seed(&r2, 3);
	struct net_options opts = {.init = INIT_HE, .weight_decay = c->weight_decay,
				   .dropout = c->dropout, .batchnorm = c->batchnorm, .seed = 7};
	net_init(&ref, c->dims, c->n_affine, c->act, ROWS, &opts, &r1);
	net_init(&net, c->dims, c->n_affine, c->act, ROWS, &opts, &r2);
	CHECK(fast_supports(&net), "fast path does not support case %d-...", in);
	struct fast f;
	fast_init(&f, &net, pool);
	if (compacted)
		fast_compact_set(&f, bytes, ROWS);
	/* Each path has its own optimizer state; the reference updates everything at once,
	 * the fast path block by block. */
	struct optim_config oc = {.kind = c->optimizer, .lr = 0.05f, .momentum = 0.9f,
				  .alpha = 0.99f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-7f};
	struct optim opt_ref, opt_fast;
	optim_init(&opt_ref, &oc, ref.n_params);
	optim_init(&opt_fast, &oc, net.n_params);
	int same_loss = 1, same_grads = 1;
	for (int s = 0; s < STEPS; s++) {
		draw_(rows, batch, s);
		gather_(xb, lb, images, rows, batch, x, bytes, labels, in);
		float loss = net_forward(&ref, xb, lb, batch, NET_TRAIN);
		net_backward(&ref, xb, lb, batch);
		/* The last step computes gradients only, as --gradcheck does. */
		int update = s < STEPS - 1;
		optim_begin_step(&opt_ref);
		optim_begin_step(&opt_fast);
		if (update)
			optim_update(&opt_ref, ref.params, ref.grads, 0, ref.n_params);
		same_loss &= fast_step(&f, images, lb, batch, update ? &opt_fast : NULL) == loss;
		same_grads &= memcmp(net.grads, ref.grads, ref.n_params * sizeof(float)) == 0;
	}
	int id = c->dims[1] * 10 + c->optimizer;
	const char *how = compacted ? " (compacted once)" : "";
	CHECK(same_loss, "case %d-%d x%d batch %d, %d threads%s: losses differ", in, id, c->n_affine,
	      batch, threads, how);
	CHECK(same_grads, "case %d-%d x%d batch %d, %d threads%s: gradients differ", in, id,
	      c->n_affine, batch, threads, how);
	CHECK(memcmp(net.params, ref.params, ref.n_params * sizeof(float)) == 0,
	      "case %d-%d x%d batch %d, %d threads%s: parameters differ", in, id, c->n_affine, batch,
	      threads, how);
	/* The parameters and batch normalization's running averages. */
	size_t state = net_state_floats(&ref);
	float *s1 = malloc(state * sizeof *s1), *s2 = malloc(state * sizeof *s2);
	net_state_save(&ref, s1);
	net_state_save(&net, s2);
	CHECK(memcmp(s1, s2, state * sizeof *s1) == 0,
	      "case %d-%d x%d batch %d, %d threads%s: running averages differ", in, id, c->n_affine,
	      batch, threads, how);
	free(s1);
	free(s2);
	for (int i = 0; i < ROWS; i++)
		images[i] = bytes + (size_t)i * in;
	fast_logits(&f, images, ROWS);
	net_forward(&ref, x, NULL, ROWS, NET_EVAL);
	CHECK(memcmp(net_logits(&net), net_logits(&ref), (size_t)ROWS * classes * sizeof(float)) == 0,
	      "case %d-%d x%d, %d threads%s: evaluation logits differ", in, id, c->n_affine, threads, how);
	double xent = fast_logits_xent(&f, images, labels, ROWS);
	CHECK(xent == net_xent_sum(&ref, labels, ROWS) &&
	      memcmp(net_logits(&net), net_logits(&ref), (size_t)ROWS * classes * sizeof(float)) == 0,
	      "case %d-%d x%d, %d threads%s: evaluation's cross-entropy differs", in, id, c->n_affine,
	      threads, how);
	/* Images that start inside the set but not at one of its images (a byte on, every other
	 * row): the fast path must not take them for the set's. */
	int shifted = ROWS - 1;
	for (int i = 0; i < shifted; i++)
		images[i] = bytes + (size_t)i * in + i % 2;
	images_to_floats(xb, images, shifted, in);
	fast_logits(&f, images, shifted);
	net_forward(&ref, xb, NULL, shifted, NET_EVAL);
	CHECK(memcmp(net_logits(&net), net_logits(&ref), (size_t)shifted * classes * sizeof(float)) ==
		      0,
	      "case %d-%d x%d, %d threads%s: logits of images between the set's differ", in, id,
	      c->n_affine, threads, how);
	/* The trainer's reference branch (the fallback for nets the fast path does not cover)
	 * takes the same step from the same bytes. */
	struct trainer t = {.net = &ref, .use_fast = 0, .x = xb};
	draw_(rows, batch, STEPS);
	gather_(xb, lb, images, rows, batch, x, bytes, labels, in);
	optim_begin_step(&opt_ref);
	optim_begin_step(&opt_fast);
	float loss = trainer_step(&t, images, lb, batch, &opt_ref);
	CHECK(fast_step(&f, images, lb, batch, &opt_fast) == loss &&
	      memcmp(net.params, ref.params, ref.n_params * sizeof(float)) == 0,
	      "case %d-%d x%d, %d threads%s: the trainer's reference step differs", in, id,
	      c->n_affine, threads, how);
	optim_free(&opt_ref);
	optim_free(&opt_fast);
	fast_free(&f);
	net_free(&net);
	net_free(&ref);
	free(bytes);
	free(x);
	free(xb);
}

int
main(void)
{
	static const struct case_ cases[] = {
		{{784, 50, 10}, 2, ACT_RELU, 100, OPTIM_SGD, 0.0f, 0.0f, 0},     /* the book's net */
		{{784, 50, 10}, 2, ACT_RELU, 1, OPTIM_SGD, 0.0f, 0.0f, 0},
		{{100, 7, 10}, 2, ACT_SIGMOID, 37, OPTIM_SGD, 0.0f, 0.0f, 0},    /* narrower than a vector */
		{{300, 64, 33, 10}, 3, ACT_RELU, 33, OPTIM_SGD, 0.0f, 0.0f, 0},
		{{784, 1, 10}, 2, ACT_SIGMOID, 5, OPTIM_SGD, 0.0f, 0.0f, 0},
		{{784, 200, 10}, 2, ACT_RELU, 120, OPTIM_SGD, 0.0f, 0.0f, 0},    /* wider than the narrow products */
		{{40, 20, 20, 20, 3}, 4, ACT_SIGMOID, 17, OPTIM_SGD, 0.0f, 0.0f, 0},
		{{16, 5, 3}, 2, ACT_RELU, 7, OPTIM_SGD, 0.0f, 0.0f, 0},          /* only the last input block has inputs */
		{{784, 100, 64, 32, 10}, 4, ACT_RELU, 64, OPTIM_SGD, 0.0f, 0.0f, 0},
		{{50, 3}, 1, ACT_RELU, 9, OPTIM_SGD, 0.0f, 0.0f, 0},             /* no hidden layer */
		{{1300, 20, 10}, 2, ACT_RELU, 33, OPTIM_SGD, 0.0f, 0.0f, 0},     /* blocks over 256 wide */
		/* Every optimizer, and weight decay, block by block as one update. */
		{{784, 50, 10}, 2, ACT_RELU, 100, OPTIM_MOMENTUM, 0.0f, 0.0f, 0},
		{{784, 50, 10}, 2, ACT_RELU, 100, OPTIM_NESTEROV, 0.01f, 0.0f, 0},
		{{784, 50, 10}, 2, ACT_SIGMOID, 33, OPTIM_ADAGRAD, 0.0f, 0.0f, 0},
		{{300, 64, 33, 10}, 3, ACT_RELU, 33, OPTIM_RMSPROP, 0.001f, 0.0f, 0},
		{{784, 200, 10}, 2, ACT_RELU, 64, OPTIM_ADAM, 0.0f, 0.0f, 0},
		{{784, 100, 64, 32, 10}, 4, ACT_RELU, 64, OPTIM_ADAM, 0.1f, 0.0f, 0},
		/* Dropout after each hidden activation, its mask drawn per row and unit. */
		{{784, 50, 10}, 2, ACT_RELU, 100, OPTIM_SGD, 0.0f, 0.5f, 0},
		{{300, 64, 33, 10}, 3, ACT_SIGMOID, 37, OPTIM_ADAM, 0.001f, 0.2f, 0},
		{{784, 200, 10}, 2, ACT_RELU, 1, OPTIM_MOMENTUM, 0.0f, 0.9f, 0},
		/* Batch normalization after each hidden affine layer: statistics over the whole
		 * batch, by blocks of columns, between rounds of rows. */
		{{784, 50, 10}, 2, ACT_RELU, 100, OPTIM_SGD, 0.0f, 0.0f, 1},
		{{40, 20, 20, 20, 3}, 4, ACT_RELU, 17, OPTIM_MOMENTUM, 0.0f, 0.0f, 1},
		{{300, 64, 33, 10}, 3, ACT_SIGMOID, 33, OPTIM_ADAM, 0.001f, 0.2f, 1},
		{{784, 100, 64, 32, 10}, 4, ACT_RELU, 120, OPTIM_ADAM, 0.0f, 0.0f, 1},
		{{784, 7, 10}, 2, ACT_RELU, 1, OPTIM_SGD, 0.0f, 0.0f, 1},     /* a batch of one */
		{{50, 3}, 1, ACT_RELU, 9, OPTIM_SGD, 0.0f, 0.0f, 1},          /* nothing to normalize */
	};
	int n_cases = (int)(sizeof cases / sizeof cases[0]);
	for (int threads = 0; threads <= 3; threads++) {
		struct pool *pool = threads ? pool_create(threads, fast_scratch_bytes(1300)) : NULL;
		for (int c = 0; c < n_cases; c++)
			for (int compacted = 0; compacted <= 1; compacted++)
				check_case_(&cases[c], pool, threads, compacted);
		if (pool)
			pool_free(pool);
	}
	return check_report("test_fast");
}
