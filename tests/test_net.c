/* test_net: network construction, seeding, and that SGD learns a small synthetic task with
 * one and with several hidden layers, ReLU and sigmoid. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "matmul.h"
#include "net.h"
#include "pool.h"

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
	net_forward(net, x, NULL, N);
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
	CHECK(net_init(&net, dims, n_layers, act, N, 0.1f, &rng) == 0, "net_init");
	float first_loss = net_forward(&net, x, labels, N), loss = first_loss;
	for (int s = 0; s < steps; s++) {
		loss = net_forward(&net, x, labels, N);
		net_backward(&net, x, labels, N);
		net_sgd_step(&net, lr);
	}
	double acc = accuracy_(&net, x, labels);
	CHECK(loss < 0.5f * first_loss, "%d layers %s: loss %g -> %g should halve", n_layers,
	      activation_name(act), first_loss, loss);
	CHECK(acc == 1.0, "%d layers %s: training accuracy %g", n_layers, activation_name(act), acc);
	net_free(&net);
}

/* Train the same net from the same seed on byte images in several ways: floats through
 * net_forward/net_backward/net_sgd_step on the calling thread, and bytes through the sparse
 * path with the fused update on pools of 1, 2 and 3 threads. Every way must end with the
 * same parameters, bit for bit, and the same losses. */
static void
check_same_bits_(const int *dims, int n_layers, enum activation act)
{
	enum { ROWS = 96, STEPS = 25 };
	int in = dims[0];
	struct rng data_rng;
	rng_seed(&data_rng, 11);
	uint8_t *bytes = malloc((size_t)ROWS * in), labels[ROWS];
	const uint8_t *rows[ROWS];
	float *x = malloc((size_t)ROWS * in * sizeof *x);
	for (int i = 0; i < ROWS; i++) {
		labels[i] = (uint8_t)(i % dims[n_layers]);
		for (int k = 0; k < in; k++) {
			/* Sparse like MNIST, with the class visible in which pixels are lit. */
			int lit = (k + 3 * labels[i]) % 7 == 0 && rng_below(&data_rng, 3) != 0;
			uint8_t p = lit ? (uint8_t)(1 + rng_below(&data_rng, 255)) : 0;
			bytes[(size_t)i * in + k] = p;
			x[(size_t)i * in + k] = (float)p / 255.0f;
		}
		rows[i] = bytes + (size_t)i * in;
	}
	struct net ref;
	struct rng rng;
	rng_seed(&rng, 3);
	net_init(&ref, dims, n_layers, act, ROWS, 0.05f, &rng);
	float ref_loss[STEPS];
	for (int s = 0; s < STEPS; s++) {
		ref_loss[s] = net_forward(&ref, x, labels, ROWS);
		net_backward(&ref, x, labels, ROWS);
		net_sgd_step(&ref, 0.5f);
	}
	for (int threads = 1; threads <= 3; threads++) {
		struct pool *pool = pool_create(threads, net_scratch_bytes(dims[0]));
		struct net net;
		rng_seed(&rng, 3);
		net_init(&net, dims, n_layers, act, ROWS, 0.05f, &rng);
		net.pool = pool;
		int same_loss = 1;
		for (int s = 0; s < STEPS; s++) {
			same_loss &= net_forward_bytes(&net, rows, labels, ROWS) == ref_loss[s];
			net_backward_sgd_bytes(&net, rows, labels, ROWS, 0.5f);
		}
		CHECK(same_loss, "%d layers %s, %d threads: losses differ from the serial float run",
		      n_layers, activation_name(act), threads);
		CHECK(memcmp(net.params, ref.params, ref.n_params * sizeof(float)) == 0,
		      "%d layers %s, %d threads: parameters differ from the serial float run",
		      n_layers, activation_name(act), threads);
		/* Evaluation-sized forward passes too: the logits match the float path. */
		net_forward_bytes(&net, rows, NULL, ROWS);
		net_forward(&ref, x, NULL, ROWS);
		int last = n_layers - 1;
		CHECK(memcmp(net.z[last], ref.z[last], (size_t)ROWS * dims[n_layers] * sizeof(float)) == 0,
		      "%d layers, %d threads: logits differ", n_layers, threads);
		net_free(&net);
		pool_free(pool);
	}
	net_free(&ref);
	free(bytes);
	free(x);
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
	net_init(&a, dims, 2, ACT_RELU, 100, 0.01f, &r1);
	net_init(&b, dims, 2, ACT_RELU, 100, 0.01f, &r2);
	CHECK(a.n_params == 784 * 50 + 50 + 50 * 10 + 10, "parameter count %zu", a.n_params);
	CHECK(memcmp(a.params, b.params, a.n_params * sizeof(float)) == 0, "same seed, same init");
	net_free(&b);
	rng_seed(&r2, 43);
	net_init(&b, dims, 2, ACT_RELU, 100, 0.01f, &r2);
	CHECK(memcmp(a.params, b.params, a.n_params * sizeof(float)) != 0, "other seed, other init");
	net_free(&b);

	/* Weights ~ N(0, 0.01²), biases zero. */
	double sum = 0, sum_sq = 0;
	size_t nw = 784 * 50;
	for (size_t i = 0; i < nw; i++)
		sum += a.w[0][i], sum_sq += (double)a.w[0][i] * a.w[0][i];
	double mean = sum / nw, std = sqrt(sum_sq / nw - mean * mean);
	CHECK(fabs(mean) < 2e-4, "init mean %g", mean);
	CHECK(fabs(std - 0.01) < 2e-4, "init std %g", std);
	int biases_zero = 1;
	for (int j = 0; j < 50; j++)
		biases_zero &= a.b[0][j] == 0.0f;
	CHECK(biases_zero, "biases start at zero");

	/* With tiny weights every class is equally likely: loss = ln 10. */
	float *x = calloc(100 * 784, sizeof *x);
	uint8_t labels[100];
	for (int i = 0; i < 100; i++) {
		labels[i] = (uint8_t)(i % 10);
		for (int j = 0; j < 784; j++)
			x[i * 784 + j] = (float)((i * 31 + j * 17) % 256) / 255.0f;
	}
	float loss = net_forward(&a, x, labels, 100);
	CHECK_NEAR(loss, log(10.0), 0.01, "initial loss is about ln 10");
	free(x);
	net_free(&a);

	/* Invalid shapes are refused, not allocated. */
	const int bad_dims[] = {784, 0, 10};
	CHECK(net_init(&a, bad_dims, 2, ACT_RELU, 100, 0.01f, &r1) != 0, "zero-width layer refused");
	CHECK(net_init(&a, dims, 0, ACT_RELU, 100, 0.01f, &r1) != 0, "zero layers refused");
	CHECK(net_init(&a, dims, 2, ACT_RELU, 0, 0.01f, &r1) != 0, "zero batch refused");

	/* SGD learns: one hidden layer, three hidden layers, and sigmoid. */
	const int two[] = {IN, 16, CLASSES};
	const int deep[] = {IN, 16, 12, 8, CLASSES};
	check_learns_(two, 2, ACT_RELU, 0.5f, 300);
	check_learns_(deep, 4, ACT_RELU, 0.2f, 600);
	check_learns_(two, 2, ACT_SIGMOID, 2.0f, 600);

	/* Bitwise the same whatever the thread count, and bytes the same as floats: the book's
	 * shape, a hidden layer narrower than a vector, and a deeper net with dense layers. */
	const int book[] = {784, 50, 10};
	const int narrow[] = {100, 7, 10};
	const int deeper[] = {300, 64, 33, 10};
	check_same_bits_(book, 2, ACT_RELU);
	check_same_bits_(narrow, 2, ACT_SIGMOID);
	check_same_bits_(deeper, 3, ACT_RELU);
	return check_report("test_net");
}
