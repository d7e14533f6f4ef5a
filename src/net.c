/* net.c: the network as a chain of layers, with one allocation for all its memory. */
#include "net.h"

#include <stdlib.h>
#include <string.h>

#include "layers.h"
#include "util.h"

const char *
activation_name(enum activation activation)
{
	return activation == ACT_SIGMOID ? "sigmoid" : "relu";
}

int
net_init(struct net *net, const int *dims, int n_layers, enum activation activation,
	 int max_batch, float init_std, struct rng *rng)
{
	memset(net, 0, sizeof *net);
	if (n_layers < 1 || n_layers > NET_MAX_LAYERS || max_batch < 1) {
		warnf("network needs 1 to %d layers and a positive batch", NET_MAX_LAYERS);
		return -1;
	}
	/* Count in size_t and cap each term so that no size can overflow. */
	size_t n_params = 0, n_acts = 0;
	for (int l = 0; l < n_layers; l++) {
		if (dims[l] < 1 || dims[l + 1] < 1 || dims[l] > (1 << 24) || dims[l + 1] > (1 << 24)) {
			warnf("layer sizes must be between 1 and %d", 1 << 24);
			return -1;
		}
		n_params += (size_t)dims[l] * dims[l + 1] + dims[l + 1];
		n_acts += (size_t)max_batch * dims[l + 1];
	}
	net->n_layers = n_layers;
	memcpy(net->dims, dims, (size_t)(n_layers + 1) * sizeof *dims);
	net->max_batch = max_batch;
	net->activation = activation;
	net->n_params = n_params;

	/* params, grads, then z, a, dz, da per layer, then probs: at most 4 activation-sized
	 * arrays per layer plus probs. */
	size_t classes_rows = (size_t)max_batch * dims[n_layers];
	size_t total = 2 * n_params + 4 * n_acts + classes_rows;
	float *p = xmalloc(total * sizeof(float));
	net->block = p;
	net->params = p;
	p += n_params;
	net->grads = p;
	p += n_params;
	float *param = net->params, *grad = net->grads;
	for (int l = 0; l < n_layers; l++) {
		size_t wsize = (size_t)dims[l] * dims[l + 1];
		net->w[l] = param;
		net->dw[l] = grad;
		param += wsize;
		grad += wsize;
		net->b[l] = param;
		net->db[l] = grad;
		param += dims[l + 1];
		grad += dims[l + 1];
	}
	for (int l = 0; l < n_layers; l++) {
		size_t rows = (size_t)max_batch * dims[l + 1];
		net->z[l] = p, p += rows;
		net->dz[l] = p, p += rows;
		if (l < n_layers - 1) {
			net->a[l] = p, p += rows;
			net->da[l] = p, p += rows;
		}
	}
	net->probs = p;

	for (int l = 0; l < n_layers; l++) {
		size_t wsize = (size_t)dims[l] * dims[l + 1];
		for (size_t i = 0; i < wsize; i++)
			net->w[l][i] = (float)(init_std * rng_normal(rng));
		memset(net->b[l], 0, (size_t)dims[l + 1] * sizeof(float));
	}
	memset(net->grads, 0, n_params * sizeof(float));
	return 0;
}

void
net_free(struct net *net)
{
	free(net->block);
	memset(net, 0, sizeof *net);
}

float
net_forward(struct net *net, const float *x, const uint8_t *labels, int n)
{
	const float *in = x;
	int last = net->n_layers - 1;
	for (int l = 0; l < net->n_layers; l++) {
		affine_forward(net->z[l], in, net->w[l], net->b[l], n, net->dims[l], net->dims[l + 1]);
		if (l == last)
			break;
		size_t len = (size_t)n * net->dims[l + 1];
		if (net->activation == ACT_SIGMOID)
			sigmoid_forward(net->a[l], net->z[l], len);
		else
			relu_forward(net->a[l], net->z[l], len);
		in = net->a[l];
	}
	if (!labels)
		return 0.0f;
	return softmax_xent_forward(net->probs, net->z[last], labels, n, net->dims[last + 1]);
}

void
net_backward(struct net *net, const float *x, const uint8_t *labels, int n)
{
	int last = net->n_layers - 1;
	softmax_xent_backward(net->dz[last], net->probs, labels, n, net->dims[last + 1]);
	for (int l = last; l >= 0; l--) {
		const float *in = l > 0 ? net->a[l - 1] : x;
		/* The first layer's input gradient is never needed: skip that whole GEMM. */
		float *din = l > 0 ? net->da[l - 1] : NULL;
		affine_backward(din, net->dz[l], net->dw[l], net->db[l], in, net->w[l], n,
				net->dims[l], net->dims[l + 1]);
		if (l == 0)
			break;
		size_t len = (size_t)n * net->dims[l];
		if (net->activation == ACT_SIGMOID)
			sigmoid_backward(net->dz[l - 1], net->da[l - 1], net->a[l - 1], len);
		else
			relu_backward(net->dz[l - 1], net->da[l - 1], net->z[l - 1], len);
	}
}

void
net_sgd_step(struct net *net, float lr)
{
	float *params = net->params;
	const float *grads = net->grads;
	for (size_t i = 0; i < net->n_params; i++)
		params[i] -= lr * grads[i];
}

void
net_argmax(const struct net *net, uint8_t *predicted, int n)
{
	int k = net->dims[net->n_layers];
	const float *logits = net->z[net->n_layers - 1];
	for (int i = 0; i < n; i++) {
		const float *row = logits + (size_t)i * k;
		int best = 0;
		for (int j = 1; j < k; j++)
			if (row[j] > row[best])
				best = j;
		predicted[i] = (uint8_t)best;
	}
}
