/* net.c: the network as a list of layer units, with one allocation for all its memory, and
 * the reference forward and backward passes over that list. */
#include "net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "layers.h"
#include "util.h"

const char *
activation_name(enum activation activation)
{
	switch (activation) {
	case ACT_RELU:
		return "relu";
	case ACT_SIGMOID:
		return "sigmoid";
	}
	return "?";
}

/* The list for dims: an affine layer for each pair of sizes, batch normalization, the
 * activation and dropout after each hidden one (as asked), and the loss. Only kinds and sizes; memory comes later. */
static void
build_list_(struct net *net, float dropout, int batchnorm)
{
	int n = 0, last = net->n_affine - 1;
	for (int a = 0; a <= last; a++) {
		int in = net->dims[a], out = net->dims[a + 1];
		net->layer[n++] = (struct layer){.kind = LAYER_AFFINE, .in = in, .out = out,
						 .in_blocks = a == 0 ? NET_INPUT_BLOCKS : 1};
		enum layer_kind act = net->activation == ACT_SIGMOID ? LAYER_SIGMOID : LAYER_RELU;
		if (a == last)
			continue;
		if (batchnorm)
			net->layer[n++] = (struct layer){.kind = LAYER_BATCHNORM, .in = out, .out = out};
		net->layer[n++] = (struct layer){.kind = act, .in = out, .out = out};
		if (dropout > 0.0f)
			net->layer[n++] = (struct layer){.kind = LAYER_DROPOUT, .in = out, .out = out,
							 .rate = dropout};
	}
	int classes = net->dims[last + 1];
	net->layer[n++] = (struct layer){.kind = LAYER_SOFTMAX_XENT, .in = classes, .out = classes};
	net->n_layers = n;
}

/* The parameters of a layer: W and b of an affine layer, γ and β of batch normalization. */
static size_t
layer_params_(const struct layer *layer)
{
	switch (layer->kind) {
	case LAYER_AFFINE:
		return (size_t)layer->in * layer->out + layer->out;
	case LAYER_BATCHNORM:
		return 2 * (size_t)layer->out;
	case LAYER_RELU:
	case LAYER_SIGMOID:
	case LAYER_DROPOUT:
	case LAYER_SOFTMAX_XENT:
		return 0;
	}
	return 0;
}

/* The next `floats` of the one allocation at *p, which then moves on to the next aligned
 * address; with p NULL, only counts into *total. */
static float *
take_(float **p, size_t *total, size_t floats)
{
	size_t step = align_up(floats * sizeof(float)) / sizeof(float);
	*total += step;
	if (!*p)
		return NULL;
	float *region = *p;
	*p += step;
	return region;
}

/* Point every layer into the one allocation at p (or with p NULL, just count its floats):
 * params and grads first, then each layer's activations, every array aligned. */
static size_t
carve_(struct net *net, float *p)
{
	size_t rows = (size_t)net->max_batch, total = 0;
	net->params = take_(&p, &total, net->n_params);
	net->grads = take_(&p, &total, net->n_params);
	float *param = net->params, *grad = net->grads;
	for (int i = 0; i < net->n_layers; i++) {
		struct layer *layer = &net->layer[i];
		size_t count = layer_params_(layer);
		if (count > 0 && param) {
			size_t wsize = count - (size_t)layer->out;
			layer->w = param, layer->dw = grad;
			param += wsize, grad += wsize;
			layer->b = param, layer->db = grad;
			param += layer->out, grad += layer->out;
		}
		if (layer->kind == LAYER_AFFINE && layer->in_blocks > 1)
			layer->part = take_(&p, &total, rows * layer->out);
		if (layer->kind == LAYER_BATCHNORM) {
			layer->xn = take_(&p, &total, rows * layer->out);
			layer->std = take_(&p, &total, layer->out);
			layer->mean = take_(&p, &total, layer->out);
			layer->var = take_(&p, &total, layer->out);
			layer->run_mean = take_(&p, &total, layer->out);
			layer->run_var = take_(&p, &total, layer->out);
			layer->dxn_xn = (double *)take_(&p, &total, 2 * (size_t)layer->out);
			layer->dxc_mean = take_(&p, &total, layer->out);
		}
		layer->y = take_(&p, &total, rows * layer->out);
		layer->dx = i > 0 ? take_(&p, &total, rows * layer->in) : NULL;
	}
	return total;
}

const char *
init_name(enum weight_init init)
{
	switch (init) {
	case INIT_STD:
		return "std";
	case INIT_XAVIER:
		return "xavier";
	case INIT_HE:
		return "he";
	}
	return "?";
}

double
init_std_of(enum weight_init init, float init_std, int n_in)
{
	switch (init) {
	case INIT_STD:
		return init_std;
	case INIT_XAVIER:
		return sqrt(1.0 / n_in);
	case INIT_HE:
		return sqrt(2.0 / n_in);
	}
	return init_std;
}

/* Weights drawn layer by layer as opt->init says, biases and β 0, γ 1; the running averages
 * start as the book's, at 0. */
static void
init_params_(struct net *net, const struct net_options *opt, struct rng *rng)
{
	for (int i = 0; i < net->n_layers; i++) {
		struct layer *layer = &net->layer[i];
		if (layer->kind == LAYER_BATCHNORM) {
			for (int j = 0; j < layer->out; j++)
				layer->w[j] = 1.0f;
			memset(layer->b, 0, (size_t)layer->out * sizeof(float));
			memset(layer->run_mean, 0, (size_t)layer->out * sizeof(float));
			memset(layer->run_var, 0, (size_t)layer->out * sizeof(float));
		}
		if (layer->kind != LAYER_AFFINE)
			continue;
		size_t wsize = (size_t)layer->in * layer->out;
		/* In float, as the book's 0.01 always was, so that INIT_STD draws the same bits. */
		float std = (float)init_std_of(opt->init, opt->init_std, layer->in);
		for (size_t e = 0; e < wsize; e++)
			layer->w[e] = (float)(std * rng_normal(rng));
		memset(layer->b, 0, (size_t)layer->out * sizeof(float));
	}
}

int
net_init(struct net *net, const int *dims, int n_affine, enum activation activation,
	 int max_batch, const struct net_options *opt, struct rng *rng)
{
	memset(net, 0, sizeof *net);
	if (n_affine < 1 || n_affine > NET_MAX_AFFINE || max_batch < 1) {
		warnf("network needs 1 to %d layers and a positive batch", NET_MAX_AFFINE);
		return -1;
	}
	/* Cap each size so that no count in size_t can overflow. */
	for (int a = 0; a < n_affine; a++)
		if (dims[a] < 1 || dims[a + 1] < 1 || dims[a] > (1 << 24) || dims[a + 1] > (1 << 24)) {
			warnf("layer sizes must be between 1 and %d", 1 << 24);
			return -1;
		}
	net->n_affine = n_affine;
	memcpy(net->dims, dims, (size_t)(n_affine + 1) * sizeof *dims);
	net->activation = activation;
	net->max_batch = max_batch;
	net->weight_decay = opt->weight_decay;
	net->seed = opt->seed;
	build_list_(net, opt->dropout, opt->batchnorm);
	for (int i = 0; i < net->n_layers; i++)
		net->n_params += layer_params_(&net->layer[i]);
	float *memory = xmalloc_aligned(carve_(net, NULL) * sizeof(float));
	net->memory = memory;
	carve_(net, memory);
	init_params_(net, opt, rng);
	memset(net->grads, 0, net->n_params * sizeof(float));
	net->mode = NET_EVAL;
	return 0;
}

void
net_free(struct net *net)
{
	free(net->memory);
	memset(net, 0, sizeof *net);
}

const struct layer *
net_affine(const struct net *net, int a)
{
	for (int i = 0; i < net->n_layers; i++)
		if (net->layer[i].kind == LAYER_AFFINE && a-- == 0)
			return &net->layer[i];
	return NULL;
}

uint64_t
net_dropout_key(const struct net *net, int i)
{
	return rng_hash(net->seed, (uint64_t)net->step * NET_MAX_LAYERS + (uint64_t)i);
}

/* Batch normalization forward: with the batch's statistics in training, which also move the
 * running averages; with the running averages in evaluation. */
static void
batchnorm_(struct layer *layer, const float *in, int n, enum net_mode mode)
{

	int d = layer->out;
	if (mode == NET_EVAL) {
		batchnorm_forward_eval(layer->y, in, layer->w, layer->b, layer->run_mean,
				       layer->run_var, n, d);
		return;
	}
	batchnorm_stats(layer->std, layer->mean, layer->var, in, n, d, 0, d);
	batchnorm_normalize(layer->y, layer->xn, in, layer->mean, layer->std, layer->w, layer->b, n,
			    d);
	batchnorm_update_running(layer->run_mean, layer->run_var, layer->mean, layer->var,
				 NET_BATCHNORM_MOMENTUM, 0, d);
}

float
net_forward(struct net *net, const float *x, const uint8_t *labels, int n, enum net_mode mode)
{
	if (mode == NET_TRAIN && !labels)
		dief(EXIT_RUNTIME, "net_forward: training needs labels");
	if (mode == NET_TRAIN)
		net->step++;
	const float *in = x;
	float loss = 0.0f;
	for (int i = 0; i < net->n_layers; i++) {
		struct layer *layer = &net->layer[i];
		size_t len = (size_t)n * layer->out;
		switch (layer->kind) {
		case LAYER_AFFINE:
			affine_forward(layer->y, layer->part, in, layer->w, layer->b, n, layer->in,
				       layer->out, layer->in_blocks);
			break;
		case LAYER_BATCHNORM:
			batchnorm_(layer, in, n, mode);
			break;
		case LAYER_RELU:
			relu_forward(layer->y, in, len);
			break;
		case LAYER_SIGMOID:
			sigmoid_forward(layer->y, in, len);
			break;
		case LAYER_DROPOUT:
			if (mode == NET_TRAIN)
				dropout_forward(layer->y, in, n, layer->out, 0, net_dropout_key(net, i),
						layer->rate);
			else
				memcpy(layer->y, in, len * sizeof *layer->y);
			break;
		case LAYER_SOFTMAX_XENT:
			if (labels)
				loss = softmax_xent_forward(layer->y, in, labels, n, layer->out);
			break;
		}
		in = layer->y;
	}
	net->mode = mode;
	return labels ? loss + (float)net_penalty(net) : loss;
}

double
net_penalty_block(const struct net *net, int i, int j)
{
	const struct layer *layer = &net->layer[i];
	int k0 = affine_block_start(layer->in, layer->in_blocks, j);
	int k1 = affine_block_start(layer->in, layer->in_blocks, j + 1);
	return l2_forward(layer->w + (size_t)k0 * layer->out, (size_t)(k1 - k0) * layer->out,
			  net->weight_decay);
}

double
net_penalty(const struct net *net)
{
	double penalty = 0.0;
	if (net->weight_decay == 0.0f)
		return 0.0;
	for (int i = 0; i < net->n_layers; i++)
		for (int j = 0; net->layer[i].kind == LAYER_AFFINE && j < net->layer[i].in_blocks; j++)
			penalty += net_penalty_block(net, i, j);
	return penalty;
}

void
net_backward(struct net *net, const float *x, const uint8_t *labels, int n)
{
	if (net->mode != NET_TRAIN)
		dief(EXIT_RUNTIME, "net_backward: the last forward pass was not in training mode");
	for (int i = net->n_layers - 1; i >= 0; i--) {
		struct layer *layer = &net->layer[i];
		const float *in = i > 0 ? net->layer[i - 1].y : x;
		/* d loss / d output: the next layer's input gradient. */
		const float *dy = i + 1 < net->n_layers ? net->layer[i + 1].dx : NULL;
		size_t len = (size_t)n * layer->in;
		switch (layer->kind) {
		case LAYER_AFFINE:
			affine_backward(layer->dx, dy, layer->dw, layer->db, in, layer->w, n,
					layer->in, layer->out);
			if (net->weight_decay != 0.0f)
				l2_backward(layer->dw, layer->w, (size_t)layer->in * layer->out,
					    net->weight_decay);
			break;
		case LAYER_BATCHNORM:
			batchnorm_backward_sums(layer->dw, layer->db, layer->dxn_xn, layer->dxc_mean, dy,
						layer->xn, layer->std, layer->w, n, layer->out, 0,
						layer->out);
			batchnorm_backward_rows(layer->dx, dy, layer->xn, layer->std, layer->w,
						layer->dxn_xn, layer->dxc_mean, n, n, layer->out);
			break;
		case LAYER_RELU:
			relu_backward(layer->dx, dy, in, len);
			break;
		case LAYER_SIGMOID:
			sigmoid_backward(layer->dx, dy, layer->y, len);
			break;
		case LAYER_DROPOUT:
			dropout_backward(layer->dx, dy, n, layer->in, 0, net_dropout_key(net, i),
					 layer->rate);
			break;
		case LAYER_SOFTMAX_XENT:
			softmax_xent_backward(layer->dx, layer->y, labels, n, layer->in);
			break;
		}
	}
}

const float *
net_logits(const struct net *net)
{
	/* The loss unit's input. */
	return net->layer[net->n_layers - 2].y;
}

void
net_argmax(const struct net *net, uint8_t *predicted, int n)
{
	int k = net->dims[net->n_affine];
	const float *logits = net_logits(net);
	for (int i = 0; i < n; i++) {
		const float *row = logits + (size_t)i * k;
		int best = 0;
		for (int j = 1; j < k; j++)
			if (row[j] > row[best])
				best = j;
		predicted[i] = (uint8_t)best;
	}
}

const struct layer *
net_first_of(const struct net *net, enum layer_kind kind)
{
	for (int i = 0; i < net->n_layers; i++)
		if (net->layer[i].kind == kind)
			return &net->layer[i];
	return NULL;
}

double
net_xent_row(const float *logits, int k, int label)
{
	float max = logits[0];
	for (int j = 1; j < k; j++)
		max = logits[j] > max ? logits[j] : max;
	double exps = 0.0;
	for (int j = 0; j < k; j++)
		exps += exp((double)logits[j] - max);
	return log(exps) - ((double)logits[label] - max);
}

double
net_xent_sum(const struct net *net, const uint8_t *labels, int n)
{
	int k = net->dims[net->n_affine];
	const float *logits = net_logits(net);
	double sum = 0.0;
	for (int i = 0; i < n; i++)
		sum += net_xent_row(logits + (size_t)i * k, k, labels[i]);
	return sum;
}

/* The state's arrays in net_state_floats' order, into regions and sizes; returns how many.
 * (A const net still hands out its arrays: the layers point into memory it does not own.) */
static int
state_regions_(const struct net *net, float **regions, size_t *sizes)
{
	int n = 0;
	regions[n] = net->params, sizes[n++] = net->n_params;
	for (int i = 0; i < net->n_layers; i++) {
		const struct layer *layer = &net->layer[i];
		if (layer->kind != LAYER_BATCHNORM)
			continue;
		regions[n] = layer->run_mean, sizes[n++] = (size_t)layer->out;
		regions[n] = layer->run_var, sizes[n++] = (size_t)layer->out;
	}
	return n;
}

size_t
net_state_floats(const struct net *net)
{
	float *regions[1 + 2 * NET_MAX_LAYERS];
	size_t sizes[1 + 2 * NET_MAX_LAYERS], total = 0;
	int n = state_regions_(net, regions, sizes);
	for (int r = 0; r < n; r++)
		total += sizes[r];
	return total;
}

void
net_state_save(const struct net *net, float *buf)
{
	float *regions[1 + 2 * NET_MAX_LAYERS];
	size_t sizes[1 + 2 * NET_MAX_LAYERS];
	int n = state_regions_(net, regions, sizes);
	for (int r = 0; r < n; buf += sizes[r], r++)
		memcpy(buf, regions[r], sizes[r] * sizeof(float));
}

void
net_state_load(struct net *net, const float *buf)
{
	float *regions[1 + 2 * NET_MAX_LAYERS];
	size_t sizes[1 + 2 * NET_MAX_LAYERS];
	int n = state_regions_(net, regions, sizes);
	for (int r = 0; r < n; buf += sizes[r], r++)
		memcpy(regions[r], buf, sizes[r] * sizeof(float));
}
