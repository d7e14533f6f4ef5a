/* test_gradcheck: every layer's backward against central differences of its own forward, on
 * small odd shapes including a batch of 1; then the gradcheck module on whole nets: it passes
 * correct gradients, fails corrupted ones, excludes ReLU kinks, marks flat tensors WEAK and
 * samples big tensors reproducibly. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gradcheck.h"
#include "layers.h"
#include "net.h"
#include "rng.h"
#include "train.h"

/* The book's initial weights, N(0, std²), and nothing else. */
#define STD_INIT(std) (&(struct net_options){.init = INIT_STD, .init_std = (std)})

/* Layer checks: L = Σ dy · f(x) for a random upstream gradient dy, summed in double, so that
 * backward(dy) is dL/dx. Each perturbation changes few outputs, so float32 rounding of the
 * forward adds at most about 1e-7 · |dy| / h to a numerical derivative. Affine and ReLU (away
 * from its kink) are linear in each input, so there is no truncation error and h can be
 * large; sigmoid and softmax are curved, so h trades truncation (h²) against rounding (1/h). */
#define LAYER_REL_TOL 1e-3
#define LAYER_ABS_TOL 1e-5

struct layer_case_ {
	int n, in, out;
};

static void
fill_(float *v, size_t len, double lo, double hi, struct rng *rng)
{
	for (size_t i = 0; i < len; i++)
		v[i] = (float)(lo + (hi - lo) * rng_uniform(rng));
}

static double
dot_(const float *a, const float *b, size_t len)
{
	double sum = 0.0;
	for (size_t i = 0; i < len; i++)
		sum += (double)a[i] * b[i];
	return sum;
}

/* Compare one analytic gradient with a numerical one; count the worst element as one check. */
static void
check_grad_(const char *what, const float *analytic, const double *numeric, size_t len)
{
	double worst = 0.0;
	size_t worst_i = 0;
	for (size_t i = 0; i < len; i++) {
		double diff = fabs(analytic[i] - numeric[i]);
		double excess = diff - (LAYER_ABS_TOL + LAYER_REL_TOL * fabs(numeric[i]));
		if (i == 0 || excess > worst)
			worst = excess, worst_i = i;
	}
	CHECK(worst <= 0.0, "%s: element %zu: backprop %.9g, numerical %.9g", what, worst_i,
	      (double)analytic[worst_i], numeric[worst_i]);
}

/* The affine layer's L = Σ dy · (x·w + b) for the current x, w and b. */
static double
affine_loss_(float *y, const float *x, const float *w, const float *b, const float *dy,
	     const struct layer_case_ *c)
{
	affine_forward(y, NULL, x, w, b, c->n, c->in, c->out, 1);
	return dot_(dy, y, (size_t)c->n * c->out);
}

/* Central differences of affine_loss_ in every element of v (one of x, w, b). */
static void
affine_numeric_(double *num, float *v, size_t len, float *y, const float *x, const float *w,
		const float *b, const float *dy, const struct layer_case_ *c)
{
	const float h = 0.25f; /* linear: no truncation error, so a large step is exact */
	for (size_t i = 0; i < len; i++) {
		float orig = v[i];
		v[i] = orig + h;
		double up = affine_loss_(y, x, w, b, dy, c);
		float v_up = v[i];
		v[i] = orig - h;
		double down = affine_loss_(y, x, w, b, dy, c);
		num[i] = (up - down) / ((double)v_up - v[i]);
		v[i] = orig;
	}
}

static void
check_affine_(const struct layer_case_ *c, struct rng *rng)
{
	size_t nx = (size_t)c->n * c->in, nw = (size_t)c->in * c->out, ny = (size_t)c->n * c->out;
	float *x = malloc(nx * sizeof *x), *w = malloc(nw * sizeof *w);
	float *b = malloc(c->out * sizeof *b);
	float *y = malloc(ny * sizeof *y), *dy = malloc(ny * sizeof *dy);
	float *dx = malloc(nx * sizeof *dx), *dw = malloc(nw * sizeof *dw);
	float *db = malloc(c->out * sizeof *db);
	double *num = malloc((nx > nw ? nx : nw) * sizeof *num);
	fill_(x, nx, -1, 1, rng);
	fill_(w, nw, -1, 1, rng);
	fill_(b, c->out, -1, 1, rng);
	fill_(dy, ny, -1, 1, rng);
	affine_backward(dx, dy, dw, db, x, w, c->n, c->in, c->out);
	char what[64];

	affine_numeric_(num, x, nx, y, x, w, b, dy, c);
	snprintf(what, sizeof what, "affine dx (n=%d in=%d out=%d)", c->n, c->in, c->out);
	check_grad_(what, dx, num, nx);
	affine_numeric_(num, w, nw, y, x, w, b, dy, c);
	snprintf(what, sizeof what, "affine dw (n=%d in=%d out=%d)", c->n, c->in, c->out);
	check_grad_(what, dw, num, nw);
	affine_numeric_(num, b, (size_t)c->out, y, x, w, b, dy, c);
	snprintf(what, sizeof what, "affine db (n=%d in=%d out=%d)", c->n, c->in, c->out);
	check_grad_(what, db, num, (size_t)c->out);

	/* dx = NULL (the first layer) must give the same dw and db. */
	float *dw2 = malloc(nw * sizeof *dw2), *db2 = malloc(c->out * sizeof *db2);
	affine_backward(NULL, dy, dw2, db2, x, w, c->n, c->in, c->out);
	CHECK(memcmp(dw, dw2, nw * sizeof *dw) == 0 && memcmp(db, db2, c->out * sizeof *db) == 0,
	      "affine backward without dx changes dw or db (n=%d in=%d out=%d)", c->n, c->in,
	      c->out);
	free(x), free(w), free(b), free(y), free(dy), free(dx), free(dw), free(db), free(num);
	free(dw2), free(db2);
}

/* An elementwise layer: forward f, backward taking x (ReLU) or the output y (sigmoid). */
static void
check_elementwise_(const char *name, size_t len, int is_relu, struct rng *rng)
{
	float *x = malloc(len * sizeof *x), *y = malloc(len * sizeof *y);
	float *dy = malloc(len * sizeof *dy), *dx = malloc(len * sizeof *dx);
	double *num = malloc(len * sizeof *num);
	/* ReLU inputs keep |x| >= 0.1 so that no step of h crosses the kink at 0. */
	for (size_t i = 0; i < len; i++) {
		double u = rng_uniform(rng);
		x[i] = is_relu ? (float)((u < 0.5 ? -1 : 1) * (0.1 + 2 * rng_uniform(rng)))
			       : (float)(-4 + 8 * u);
	}
	fill_(dy, len, -1, 1, rng);
	float h = is_relu ? 0.05f : 1e-2f;
	if (is_relu) {
		relu_forward(y, x, len);
		relu_backward(dx, dy, x, len);
	} else {
		sigmoid_forward(y, x, len);
		sigmoid_backward(dx, dy, y, len);
	}
	for (size_t i = 0; i < len; i++) {
		float orig = x[i];
		x[i] = orig + h;
		float x_up = x[i];
		(is_relu ? relu_forward : sigmoid_forward)(y, x, len);
		double up = dot_(dy, y, len);
		x[i] = orig - h;
		(is_relu ? relu_forward : sigmoid_forward)(y, x, len);
		double down = dot_(dy, y, len);
		num[i] = (up - down) / ((double)x_up - x[i]);
		x[i] = orig;
	}
	char what[64];
	snprintf(what, sizeof what, "%s dx (len=%zu)", name, len);
	check_grad_(what, dx, num, len);
	free(x), free(y), free(dy), free(dx), free(num);
}

/* Batch normalization: L = Σ dy · BN(x) with the batch's statistics, whose every output
 * depends on its whole column; dx, dγ and dβ against central differences of L computed in
 * double (in float32 its rounding over a whole column swamps the differences). */
static double
batchnorm_loss_d_(const double *x, const double *gamma, const double *beta, const float *dy,
		  int n, int d)
{
	double loss = 0.0;
	for (int j = 0; j < d; j++) {
		double mean = 0.0, var = 0.0;
		for (int r = 0; r < n; r++)
			mean += x[r * d + j] / n;
		for (int r = 0; r < n; r++)
			var += (x[r * d + j] - mean) * (x[r * d + j] - mean) / n;
		double sd = sqrt(var + (double)BATCHNORM_EPS);
		for (int r = 0; r < n; r++)
			loss += dy[r * d + j] * (gamma[j] * (x[r * d + j] - mean) / sd + beta[j]);
	}
	return loss;
}

static void
check_batchnorm_(int n, int d, struct rng *rng)
{
	enum { MAX = 16 * 8 };
	size_t len = (size_t)n * d;
	float x[MAX], y[MAX], xn[MAX], dy[MAX], dx[MAX];
	float gamma[8], beta[8], std[8], mean[8], var[8], dgamma[8], dbeta[8];
	double xd[MAX], gd[8], bd[8], num[MAX];
	fill_(x, len, -2, 2, rng);
	fill_(dy, len, -1, 1, rng);
	fill_(gamma, (size_t)d, 0.5, 1.5, rng);
	fill_(beta, (size_t)d, -1, 1, rng);
	double dxn_xn[8];
	float dxc_mean[8];
	batchnorm_stats(std, mean, var, x, n, d, 0, d);
	batchnorm_normalize(y, xn, x, mean, std, gamma, beta, n, d);
	batchnorm_backward_sums(dgamma, dbeta, dxn_xn, dxc_mean, dy, xn, std, gamma, n, d, 0, d);
	batchnorm_backward_rows(dx, dy, xn, std, gamma, dxn_xn, dxc_mean, n, n, d);
	for (size_t i = 0; i < len; i++)
		xd[i] = x[i];
	for (int j = 0; j < d; j++)
		gd[j] = gamma[j], bd[j] = beta[j];
	double *vs[3] = {xd, gd, bd};
	size_t lens[3] = {len, (size_t)d, (size_t)d};
	const float *grads[3] = {dx, dgamma, dbeta};
	static const char *const names[3] = {"dx", "dgamma", "dbeta"};
	for (int t = 0; t < 3; t++) {
		for (size_t i = 0; i < lens[t]; i++) {
			double orig = vs[t][i], h = 1e-5;
			vs[t][i] = orig + h;
			double up = batchnorm_loss_d_(xd, gd, bd, dy, n, d);
			vs[t][i] = orig - h;
			double down = batchnorm_loss_d_(xd, gd, bd, dy, n, d);
			num[i] = (up - down) / (2 * h);
			vs[t][i] = orig;
		}
		char what[64];
		snprintf(what, sizeof what, "batchnorm %s (n=%d d=%d)", names[t], n, d);
		check_grad_(what, grads[t], num, lens[t]);
	}
}

/* Softmax-with-loss: the layer's own scalar is the mean loss, so no dy is needed. */
static void
check_softmax_(int n, int k, struct rng *rng)
{
	size_t len = (size_t)n * k;
	float *z = malloc(len * sizeof *z), *p = malloc(len * sizeof *p);
	float *dz = malloc(len * sizeof *dz);
	uint8_t *labels = malloc((size_t)n);
	double *num = malloc(len * sizeof *num);
	fill_(z, len, -3, 3, rng);
	for (int i = 0; i < n; i++)
		labels[i] = (uint8_t)rng_below(rng, (uint64_t)k);
	softmax_xent_forward(p, z, labels, n, k);
	softmax_xent_backward(dz, p, labels, n, k);
	/* The loss comes back as a float (relative rounding 6e-8), so the step is larger than
	 * the double-side's 1e-4: 0.03 keeps both rounding and truncation near 1e-6. */
	const float h = 0.03f;
	for (size_t i = 0; i < len; i++) {
		float orig = z[i];
		z[i] = orig + h;
		float z_up = z[i];
		double up = softmax_xent_forward(p, z, labels, n, k);
		z[i] = orig - h;
		double down = softmax_xent_forward(p, z, labels, n, k);
		num[i] = (up - down) / ((double)z_up - z[i]);
		z[i] = orig;
	}
	char what[64];
	snprintf(what, sizeof what, "softmax-with-loss dlogits (n=%d k=%d)", n, k);
	check_grad_(what, dz, num, len);
	free(z), free(p), free(dz), free(labels), free(num);
}

/* A random batch of n byte images for a net with dims[0] inputs and dims[n_affine] classes:
 * the bytes, pointers to each image, the same as floats p / 255, and labels. */
struct batch_ {
	uint8_t bytes[16 * 64];
	const uint8_t *images[16];
	float x[16 * 64];
	uint8_t labels[16];
};

static void
make_batch_(struct batch_ *b, const int *dims, int n_affine, int n, struct rng *rng)
{
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < dims[0]; k++) {
			size_t e = (size_t)i * dims[0] + k;
			b->bytes[e] = (uint8_t)rng_below(rng, 256);
			b->x[e] = (float)b->bytes[e] / 255.0f;
		}
		b->images[i] = b->bytes + (size_t)i * dims[0];
		b->labels[i] = (uint8_t)rng_below(rng, (uint64_t)dims[n_affine]);
	}
}

/* gradcheck_run, through the path training takes, on a fresh net and a random batch:
 * returns the verdict, with the report in rep. */
static int
run_net_(struct gradcheck_report *rep, struct net *net, struct batch_ *b, const int *dims,
	 int n_affine, enum activation act, float init_std, int n, uint64_t seed)
{
	struct rng rng;
	rng_seed(&rng, seed);
	if (net_init(net, dims, n_affine, act, n, STD_INIT(init_std), &rng) != 0)
		return -1;
	make_batch_(b, dims, n_affine, n, &rng);
	struct gradcheck_options opt = {.all = 1, .seed = seed};
	struct trainer t;
	trainer_init(&t, net, NULL);
	int pass = gradcheck_run(rep, &t, b->images, b->labels, n, &opt);
	trainer_free(&t);
	return pass;
}

/* The reference passes on b, leaving the gradients gradcheck_compare checks. */
static void
reference_(struct net *net, const struct batch_ *b, int n)
{
	net_forward(net, b->x, b->labels, n, NET_TRAIN);
	net_backward(net, b->x, b->labels, n);
}

static void
check_nets_pass_(void)
{
	static const struct {
		int dims[6], n_layers, n;
		enum activation act;
		float init_std;
	} cases[] = {
		{{5, 4, 3}, 2, 3, ACT_RELU, 0.5f},
		{{5, 4, 3}, 2, 1, ACT_SIGMOID, 0.5f},
		{{7, 6, 5, 4}, 3, 1, ACT_RELU, 0.5f},
		{{9, 8, 7, 6, 5}, 4, 5, ACT_SIGMOID, 1.0f},
		{{11, 13, 3}, 2, 7, ACT_RELU, 0.1f},
		{{3, 1, 2}, 2, 2, ACT_SIGMOID, 1.0f},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct gradcheck_report rep;
		struct net net;
		struct batch_ b;
		int pass = run_net_(&rep, &net, &b, cases[c].dims, cases[c].n_layers, cases[c].act,
				    cases[c].init_std, cases[c].n, 200 + c);
		CHECK(pass == 1 && rep.pass, "net case %zu: gradcheck fails (max_rel_err %g)", c,
		      rep.max_rel_err);
		CHECK(rep.n_tensors == 2 * cases[c].n_layers, "net case %zu: %d tensors", c,
		      rep.n_tensors);
		CHECK(rep.all && rep.checked == net.n_params, "net case %zu: checked %zu of %zu", c,
		      rep.checked, net.n_params);
		CHECK(rep.n_weak == 0, "net case %zu: %d tensors too flat", c, rep.n_weak);
		CHECK(fabs(rep.loss32 - rep.loss64) < 1e-5 * (1 + rep.loss64),
		      "net case %zu: float32 loss %g, float64 loss %g", c, rep.loss32, rep.loss64);
		net_free(&net);
	}
}

/* The net's largest |gradient| element of tensor t (W of affine layer t/2, or b). */
static float *
largest_grad_(struct net *net, int t)
{
	const struct layer *layer = net_affine(net, t / 2);
	float *g = t % 2 ? layer->db : layer->dw;
	size_t size = t % 2 ? (size_t)layer->out : (size_t)layer->in * layer->out;
	size_t best = 0;
	for (size_t i = 1; i < size; i++)
		if (fabsf(g[i]) > fabsf(g[best]))
			best = i;
	return g + best;
}

/* A correct check must also be able to fail: corrupt one gradient element after backprop
 * and only its tensor may fail. */
static void
check_corruption_fails_(void)
{
	const int dims[] = {8, 6, 5, 4};
	struct rng rng;
	rng_seed(&rng, 7);
	struct net net;
	net_init(&net, dims, 3, ACT_RELU, 4, STD_INIT(0.5f), &rng);
	struct batch_ b;
	make_batch_(&b, dims, 3, 4, &rng);
	const float *x = b.x;
	const uint8_t *labels = b.labels;
	struct gradcheck_options opt = {.all = 1, .seed = 1};
	struct gradcheck_report rep;
	for (int t = 0; t < 6; t++) {
		/* 1% off in one element: relative error 0.005, five times the tolerance. */
		reference_(&net, &b, 4);
		*largest_grad_(&net, t) *= 1.01f;
		int pass = gradcheck_compare(&rep, &net, x, labels, 4, &opt);
		CHECK(!pass && !rep.pass, "tensor %d off by 1%% in one element still passes", t);
		for (int u = 0; u < 6; u++)
			CHECK(rep.tensor[u].pass == (u != t), "tensor %d corrupted: %s %s", t,
			      rep.tensor[u].name, rep.tensor[u].pass ? "PASS" : "FAIL");
	}
	/* A NaN fails, and so does the dropped 1/n of the mean (gradients n times too big). */
	reference_(&net, &b, 4);
	net_affine(&net, 0)->db[1] = NAN;
	CHECK(!gradcheck_compare(&rep, &net, x, labels, 4, &opt) && !rep.tensor[1].pass,
	      "a NaN gradient passes");
	net_backward(&net, x, labels, 4);
	for (size_t i = 0; i < net.n_params; i++)
		net.grads[i] *= 4;
	CHECK(!gradcheck_compare(&rep, &net, x, labels, 4, &opt), "gradients 4x too big pass");
	for (int t = 0; t < 6; t++)
		CHECK(!rep.tensor[t].pass, "gradients 4x too big: %s passes", rep.tensor[t].name);
	net_free(&net);
}

/* A ReLU input 1e-5 above zero: a step of h = 1e-4 in b1 of that unit, or in a weight with a
 * large enough input, crosses the kink. Those elements are reported and excluded, and the
 * check still passes. */
static void
check_kinks_(void)
{
	const int dims[] = {4, 3, 2};
	struct rng rng;
	rng_seed(&rng, 9);
	struct net net;
	net_init(&net, dims, 2, ACT_RELU, 1, STD_INIT(0.5f), &rng);
	const uint8_t bytes[4] = {255, 128, 64, 191}; /* about 1, 0.5, 0.25, 0.75 */
	const uint8_t *image = bytes;
	float x[4];
	for (int k = 0; k < 4; k++)
		x[k] = (float)bytes[k] / 255.0f;
	uint8_t label = 1;
	net_forward(&net, x, &label, 1, NET_EVAL);
	/* Shift b1[0] so that z1[0] = 1e-5. */
	struct layer *first = &net.layer[0];
	first->b[0] += 1e-5f - first->y[0];
	struct gradcheck_options opt = {.all = 1, .seed = 1};
	struct gradcheck_report rep;
	struct trainer t;
	trainer_init(&t, &net, NULL);
	int pass = gradcheck_run(&rep, &t, &image, &label, 1, &opt);
	trainer_free(&t);
	CHECK(first->y[0] > 0.0f && first->y[0] < 2e-5f, "z1[0] = %g, not near the kink",
	      (double)first->y[0]);
	/* W1[i][0] for all 4 inputs (each x >= 0.25, so the step moves z by >= 2.5e-5), and
	 * b1[0]. */
	CHECK(rep.tensor[0].kinks == 4 && rep.tensor[1].kinks == 1,
	      "kinks: W1 %zu (want 4), b1 %zu (want 1)", rep.tensor[0].kinks, rep.tensor[1].kinks);
	CHECK(rep.tensor[2].kinks == 0 && rep.tensor[3].kinks == 0, "kinks in the last layer");
	CHECK(pass, "a net with a ReLU input at the kink fails (max_rel_err %g)", rep.max_rel_err);
	net_free(&net);
}

/* Vanishing gradients: a deep sigmoid net with tiny weights has first-layer gradients near
 * 1e-13, below what float64 central differences resolve. Reported WEAK, not FAIL; but a
 * gradient wrong by more than the resolution still fails. */
static void
check_weak_(void)
{
	const int dims[] = {6, 5, 5, 5, 5, 3};
	struct gradcheck_report rep;
	struct net net;
	struct batch_ b;
	int pass = run_net_(&rep, &net, &b, dims, 5, ACT_SIGMOID, 0.01f, 3, 5);
	CHECK(pass && rep.n_weak > 0 && rep.tensor[0].weak && !rep.tensor[9].weak,
	      "deep flat sigmoid net: pass %d, weak %d, W1 weak %d", pass, rep.n_weak,
	      rep.tensor[0].weak);
	net_affine(&net, 0)->dw[0] += 1e-6f;
	struct gradcheck_options opt = {.all = 1, .seed = 5};
	CHECK(!gradcheck_compare(&rep, &net, b.x, b.labels, 3, &opt) && !rep.tensor[0].pass &&
		      !rep.tensor[0].weak,
	      "a wrong gradient in a flat tensor passes");
	net_free(&net);
}

/* Without .all, a net too big for the budget is sampled: every tensor keeps at least
 * GRADCHECK_MIN_SAMPLE elements (or all it has), the same seed picks the same ones. */
static void
check_sampling_(void)
{
	const int dims[] = {60, 40, 30, 10};
	struct rng rng;
	rng_seed(&rng, 11);
	struct net net;
	net_init(&net, dims, 3, ACT_RELU, 5, STD_INIT(0.2f), &rng);
	struct batch_ batch;
	make_batch_(&batch, dims, 3, 5, &rng);
	struct trainer t;
	trainer_init(&t, &net, NULL);
	struct gradcheck_options opt = {.all = 0, .seed = 7, .budget = 1e6};
	struct gradcheck_report a, b;
	int pass = gradcheck_run(&a, &t, batch.images, batch.labels, 5, &opt);
	CHECK(pass && !a.all && a.checked < net.n_params, "sampled: pass %d, checked %zu of %zu",
	      pass, a.checked, net.n_params);
	for (int t = 0; t < a.n_tensors; t++) {
		size_t want = a.tensor[t].size < GRADCHECK_MIN_SAMPLE ? a.tensor[t].size
								       : GRADCHECK_MIN_SAMPLE;
		CHECK(a.tensor[t].checked >= want && a.tensor[t].checked <= a.tensor[t].size,
		      "%s: checked %zu of %zu", a.tensor[t].name, a.tensor[t].checked,
		      a.tensor[t].size);
	}
	CHECK(a.tensor[0].checked < a.tensor[0].size, "W1 was not sampled");
	gradcheck_run(&b, &t, batch.images, batch.labels, 5, &opt);
	CHECK(a.checked == b.checked && a.tensor[0].mean_abs_diff == b.tensor[0].mean_abs_diff,
	      "the same seed samples differently");
	/* Whatever the seed, the sample holds each tensor's largest gradient: one element of
	 * it 1% off fails every time. */
	for (uint64_t seed = 1; seed <= 20; seed++) {
		struct gradcheck_options sampled = {.all = 0, .seed = seed, .budget = 1e5};
		trainer_step(&t, batch.images, batch.labels, 5, NULL);
		*largest_grad_(&net, 0) *= 1.01f;
		int caught = !gradcheck_compare(&b, &net, batch.x, batch.labels, 5, &sampled) &&
			     !b.tensor[0].pass && !b.all;
		CHECK(caught, "seed %llu: the largest W1 gradient 1%% off passes a sampled check",
		      (unsigned long long)seed);
	}
	opt.all = 1;
	gradcheck_run(&b, &t, batch.images, batch.labels, 5, &opt);
	CHECK(b.all && b.checked == net.n_params, "all: checked %zu of %zu", b.checked,
	      net.n_params);
	trainer_free(&t);
	net_free(&net);
}

int
main(void)
{
	struct rng rng;
	rng_seed(&rng, 2024);
	static const struct layer_case_ affine_cases[] = {
		{1, 1, 1}, {1, 5, 3}, {3, 7, 5}, {4, 1, 9}, {7, 13, 3}, {2, 17, 11},
	};
	for (size_t c = 0; c < sizeof affine_cases / sizeof affine_cases[0]; c++)
		check_affine_(&affine_cases[c], &rng);
	static const size_t lengths[] = {1, 7, 33};
	for (size_t c = 0; c < 3; c++) {
		check_elementwise_("relu", lengths[c], 1, &rng);
		check_elementwise_("sigmoid", lengths[c], 0, &rng);
	}
	static const int softmax_cases[][2] = {{1, 2}, {1, 7}, {3, 5}, {5, 3}, {2, 10}, {1, 1}};
	for (size_t c = 0; c < sizeof softmax_cases / sizeof softmax_cases[0]; c++)
		check_softmax_(softmax_cases[c][0], softmax_cases[c][1], &rng);

	static const int bn_cases[][2] = {{2, 1}, {3, 5}, {7, 3}, {16, 8}};
	for (size_t c = 0; c < sizeof bn_cases / sizeof bn_cases[0]; c++)
		check_batchnorm_(bn_cases[c][0], bn_cases[c][1], &rng);

	check_nets_pass_();
	check_corruption_fails_();
	check_kinks_();
	check_weak_();
	check_sampling_();
	return check_report("test_gradcheck");
}
