/* test_net: network construction (the layer list, seeding), and that the reference passes
 * with SGD learn a small synthetic task with one and with several hidden layers, ReLU and
 * sigmoid. The fast path is compared with this one in tests/test_fast.c. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "net.h"
#include "optim.h"

/* The book's initial weights, N(0, std²), and nothing else. */
#define STD_INIT(std) (&(struct net_options){.init = INIT_STD, .init_std = (std)})

enum { IN = 12, CLASSES = 4, N = 64 };

/* Class c lights up inputs 3c..3c+2, plus noise: linearly separable but not trivially so. */
static void
make_task_(float *x, uint8_t *labels, struct rng *rng)
{
	for (int i = 0; i < N; i++) {
		int c = i % CLASSES;
		labels[i] = (uint8_t)c;
		for (int j = 0; j < IN; j++)
			x[i * IN + j] = (float)(0.3 * rng_uniform(rng)) + (j / 3 == c ? 1.0f : 0.0f);
	}
}

static double
accuracy_(struct net *net, const float *x, const uint8_t *labels)
{
	uint8_t predicted[N];
	net_forward(net, x, NULL, N, NET_EVAL);
	net_argmax(net, predicted, N);
	int correct = 0;
	for (int i = 0; i < N; i++)
		correct += predicted[i] == labels[i];
	return (double)correct / N;
}

static void
check_learns_(const int *dims, int n_layers, enum activation act, float lr, int steps)
{
	struct rng rng;
	rng_seed(&rng, 7);
	float x[N * IN];
	uint8_t labels[N];
	make_task_(x, labels, &rng);
	struct net net;
	CHECK(net_init(&net, dims, n_layers, act, N, STD_INIT(0.1f), &rng) == 0, "net_init");
	struct optim sgd = {.cfg = {.kind = OPTIM_SGD, .lr = lr}};
	float first_loss = net_forward(&net, x, labels, N, NET_EVAL), loss = first_loss;
	for (int s = 0; s < steps; s++) {
		loss = net_forward(&net, x, labels, N, NET_TRAIN);
		net_backward(&net, x, labels, N);
		optim_update(&sgd, net.params, net.grads, 0, net.n_params);
	}
	double acc = accuracy_(&net, x, labels);
	CHECK(loss < 0.5f * first_loss, "%d layers %s: loss %g -> %g should halve", n_layers,
	      activation_name(act), first_loss, loss);
	CHECK(acc == 1.0, "%d layers %s: training accuracy %g", n_layers, activation_name(act), acc);
	net_free(&net);
}

int
main(void)
{
	/* Same seed, same weights; another seed, other weights. */
	const int dims[] = {784, 50, 10};
	struct net a, b;
	struct rng r1, r2;
	rng_seed(&r1, 42);
	rng_seed(&r2, 42);
	net_init(&a, dims, 2, ACT_RELU, 100, STD_INIT(0.01f), &r1);
	net_init(&b, dims, 2, ACT_RELU, 100, STD_INIT(0.01f), &r2);
	CHECK(a.n_params == 784 * 50 + 50 + 50 * 10 + 10, "parameter count %zu", a.n_params);
	/* The book's list: Affine, ReLU, Affine, Softmax-with-Loss, the first affine in blocks. */
	CHECK(a.n_layers == 4 && a.layer[0].kind == LAYER_AFFINE && a.layer[1].kind == LAYER_RELU &&
	      a.layer[2].kind == LAYER_AFFINE && a.layer[3].kind == LAYER_SOFTMAX_XENT,
	      "layer list of 784-50-10");
	CHECK(a.layer[0].in == 784 && a.layer[0].out == 50 && a.layer[2].in == 50 &&
	      a.layer[3].in == 10 && a.layer[0].in_blocks == NET_INPUT_BLOCKS &&
	      a.layer[2].in_blocks == 1 && !a.layer[0].dx && a.layer[1].dx, "layer sizes");
	CHECK(net_affine(&a, 1) == &a.layer[2] && net_affine(&a, 2) == NULL, "net_affine");
	CHECK(net_affine(&a, 0)->w == a.params && net_affine(&a, 0)->dw == a.grads &&
	      net_affine(&a, 1)->b + 10 == a.params + a.n_params, "parameter views");
	CHECK(memcmp(a.params, b.params, a.n_params * sizeof(float)) == 0, "same seed, same init");
	net_free(&b);
	rng_seed(&r2, 43);
	net_init(&b, dims, 2, ACT_RELU, 100, STD_INIT(0.01f), &r2);
	CHECK(memcmp(a.params, b.params, a.n_params * sizeof(float)) != 0, "other seed, other init");
	net_free(&b);

	/* Weights ~ N(0, 0.01²), biases zero. */
	double sum = 0, sum_sq = 0;
	size_t nw = 784 * 50;
	const float *w1 = net_affine(&a, 0)->w;
	for (size_t i = 0; i < nw; i++)
		sum += w1[i], sum_sq += (double)w1[i] * w1[i];
	double mean = sum / nw, std = sqrt(sum_sq / nw - mean * mean);
	CHECK(fabs(mean) < 2e-4, "init mean %g", mean);
	CHECK(fabs(std - 0.01) < 2e-4, "init std %g", std);
	int biases_zero = 1;
	for (int j = 0; j < 50; j++)
		biases_zero &= net_affine(&a, 0)->b[j] == 0.0f;
	CHECK(biases_zero, "biases start at zero");

	/* With tiny weights every class is equally likely: loss = ln 10. */
	float *x = calloc(100 * 784, sizeof *x);
	uint8_t labels[100];
	for (int i = 0; i < 100; i++) {
		labels[i] = (uint8_t)(i % 10);
		for (int j = 0; j < 784; j++)
			x[i * 784 + j] = (float)((i * 31 + j * 17) % 256) / 255.0f;
	}
	float loss = net_forward(&a, x, labels, 100, NET_EVAL);
	CHECK_NEAR(loss, log(10.0), 0.01, "initial loss is about ln 10");
	free(x);
	net_free(&a);

	/* Xavier's std is 1/√n_in and He's √(2/n_in), layer by layer. */
	static const struct {
		enum weight_init init;
		double want[2];
	} inits[] = {{INIT_XAVIER, {0.0357143, 0.141421}}, {INIT_HE, {0.0505076, 0.2}}};
	for (int c = 0; c < 2; c++) {
		struct net n;
		rng_seed(&r1, 5);
		net_init(&n, dims, 2, ACT_RELU, 1, &(struct net_options){.init = inits[c].init}, &r1);
		for (int l = 0; l < 2; l++) {
			const struct layer *layer = net_affine(&n, l);
			size_t len = (size_t)layer->in * layer->out;
			double s2 = 0.0;
			for (size_t i = 0; i < len; i++)
				s2 += (double)layer->w[i] * layer->w[i];
			double sd = sqrt(s2 / len), want = inits[c].want[l];
			CHECK(fabs(sd - want) < 0.05 * want, "%s layer %d: std %g, want %g",
			      init_name(inits[c].init), l + 1, sd, want);
		}
		net_free(&n);
	}

	/* Invalid shapes are refused, not allocated. */
	const int bad_dims[] = {784, 0, 10};
	CHECK(net_init(&a, bad_dims, 2, ACT_RELU, 100, STD_INIT(0.01f), &r1) != 0, "zero-width layer refused");
	CHECK(net_init(&a, dims, 0, ACT_RELU, 100, STD_INIT(0.01f), &r1) != 0, "zero layers refused");
	CHECK(net_init(&a, dims, 2, ACT_RELU, 0, STD_INIT(0.01f), &r1) != 0, "zero batch refused");

	/* SGD learns: one hidden layer, three hidden layers, and sigmoid. */
	const int two[] = {IN, 16, CLASSES};
	const int deep[] = {IN, 16, 12, 8, CLASSES};
	check_learns_(two, 2, ACT_RELU, 0.5f, 300);
	check_learns_(deep, 4, ACT_RELU, 0.2f, 600);
	check_learns_(two, 2, ACT_SIGMOID, 2.0f, 600);

	return check_report("test_net");
}
