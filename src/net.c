/* net.c: the network as a chain of layers, with one allocation for all its memory. */
#include "net.h"

#include <stdlib.h>
#include <string.h>

#include "layers.h"
#include "matmul.h"
#include "util.h"

const char *
activation_name(enum activation activation)
{
	return activation == ACT_SIGMOID ? "sigmoid" : "relu";
}

size_t
net_scratch_bytes(int inputs)
{
	/* The sparse weight gradient is faster with all of a batch's samples at once, and
	 * the GEMM's scratch holds a batch of 100 MNIST images at their densest. */
	size_t sparse = mm_sparse_tn_scratch_bytes(inputs);
	return sparse > mm_scratch_bytes() ? sparse : mm_scratch_bytes();
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
	/* The GEMM scratch goes first, where the block is aligned as malloc aligns it; the
	 * kernels load and store unaligned, so that is enough. */
	size_t classes_rows = (size_t)max_batch * dims[n_layers];
	size_t scratch_floats = (net_scratch_bytes(dims[0]) + sizeof(float) - 1) / sizeof(float);
	size_t sparse_floats = 0;
	/* Whole chunks of pixels per block, so that compacting a block needs no scalar tail. */
	for (int j = 0; j <= NET_INPUT_BLOCKS; j++)
		net->in_block[j] = (int)((long long)dims[0] * j / NET_INPUT_BLOCKS / MM_CHUNK *
					 MM_CHUNK);
	net->in_block[NET_INPUT_BLOCKS] = dims[0];
	for (int j = 0; j < NET_INPUT_BLOCKS; j++)
		sparse_floats += mm_sparse_bytes(max_batch, net->in_block[j + 1] - net->in_block[j]) /
				 sizeof(float);
	size_t part_floats = (size_t)max_batch * dims[1];
	size_t total = scratch_floats + 2 * n_params + 4 * n_acts + classes_rows + max_batch +
		       sparse_floats + (NET_INPUT_BLOCKS - 1) * part_floats;
	float *p = xmalloc(total * sizeof(float));
	net->block = p;
	net->scratch = p;
	p += scratch_floats;
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
	p += classes_rows;
	net->row_loss = p;
	p += max_batch;
	for (int j = 0; j < NET_INPUT_BLOCKS; j++) {
		int width = net->in_block[j + 1] - net->in_block[j];
		mm_sparse_init(&net->sparse[j], width, p);
		p += mm_sparse_bytes(max_batch, width) / sizeof(float);
	}
	for (int j = 0; j < NET_INPUT_BLOCKS - 1; j++) {
		net->part[j] = p;
		p += part_floats;
	}

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

/* The input of the first layer: dense floats, or byte images. */
struct input_ {
	const float *x;              /* (n, dims[0]), or NULL */
	const uint8_t *const *rows;  /* n pointers to dims[0] bytes, when x is NULL */
};

static void *
scratch_(const struct net *net, int thread)
{
	return net->pool ? pool_scratch(net->pool, thread) : net->scratch;
}

static int
threads_(const struct net *net)
{
	return net->pool ? pool_threads(net->pool) : 1;
}

static void
run_(struct net *net, pool_task_fn *fn, void *arg, int n_tasks)
{
	if (net->pool) {
		pool_run_fixed(net->pool, fn, arg, n_tasks);
		return;
	}
	for (int task = 0; task < n_tasks; task++)
		fn(arg, task, 0);
}

/* Rows per task for the row-parallel passes: one block per thread. Tasks are placed on
 * threads by number (pool_run_fixed), so equal blocks are equal shares, and each thread
 * finds its rows' buffers in its own cache from one step to the next. Each row is computed
 * the same way whatever block it is in, so this may depend on the thread count without
 * changing any result. */
static int
row_block_(const struct net *net, int n)
{
	int threads = threads_(net);
	int block = (n + threads - 1) / threads;
	return block < 16 ? 16 : block;
}

/* Rows compacted and multiplied together in the sparse first layer: the product reads all
 * of w[0] once per group, and the group's compacted rows (about 1.5 KiB each for MNIST)
 * stay in L2. */
enum { SPARSE_GROUP = 128 };

/* Evaluation hands all input blocks to one mm_sparse_nn call. */
_Static_assert(NET_INPUT_BLOCKS <= MM_MAX_BLOCKS, "too many input blocks for mm_sparse_nn");

struct pass_ {
	struct net *net;
	struct input_ in;
	const uint8_t *labels;
	int n, block;
};

static void
activation_forward_(const struct net *net, float *a, const float *z, size_t len)
{
	if (net->activation == ACT_SIGMOID)
		sigmoid_forward(a, z, len);
	else
		relu_forward(a, z, len);
}

/* Ask for the cache lines of len bytes ahead of their use. */
static void
prefetch_(const uint8_t *bytes, int len)
{
	for (int i = 0; i < len; i += 64)
		__builtin_prefetch(bytes + i);
}

/* Backward over rows r0..r0+rows-1, from d logits down to each hidden layer's dz: like the
 * forward pass, everything a row needs is in that row. */
static void
backward_rows_(struct net *net, int r0, int rows, void *scratch)
{
	for (int l = net->n_layers - 1; l >= 1; l--) {
		int in = net->dims[l], out = net->dims[l + 1];
		float *da = net->da[l - 1] + (size_t)r0 * in;
		size_t len = (size_t)rows * in;
		memset(da, 0, len * sizeof *da);
		mm_gemm(da, in, net->dz[l] + (size_t)r0 * out, out, 1, net->w[l], 1, out, rows, in,
			out, scratch);
		float *dz = net->dz[l - 1] + (size_t)r0 * in;
		if (net->activation == ACT_SIGMOID)
			sigmoid_backward(dz, da, net->a[l - 1] + (size_t)r0 * in, len);
		else
			relu_backward(dz, da, net->z[l - 1] + (size_t)r0 * in, len);
	}
}

/* The first layer's partial product over input block j for rows r0..r0+rows-1: block 0
 * starts from the bias and goes straight into z[0], the others into part[j-1]. */
static void
first_layer_(struct net *net, const struct input_ *x, int j, int r0, int rows, void *scratch)
{
	int in = net->dims[0], out = net->dims[1];
	int k0 = net->in_block[j], width = net->in_block[j + 1] - k0;
	float *y = (j == 0 ? net->z[0] : net->part[j - 1]) + (size_t)r0 * out;
	if (j == 0) {
		/* Starting C at the broadcast bias lets the accumulating product add it. */
		for (int i = 0; i < rows; i++)
			memcpy(y + (size_t)i * out, net->b[0], (size_t)out * sizeof *y);
	} else {
		memset(y, 0, (size_t)rows * out * sizeof *y);
	}
	if (width == 0)
		return;
	if (!x->rows) {
		mm_gemm(y, out, x->x + (size_t)r0 * in + k0, in, 1, net->w[0] + (size_t)k0 * out,
			out, 1, rows, out, width, scratch);
		return;
	}
	/* A few rows at a time, so the compacted rows are still in cache when the product
	 * reads them. */
	const struct mm_sparse *sp = &net->sparse[j];
	for (int g = r0; g < r0 + rows; g += SPARSE_GROUP) {
		int group = r0 + rows - g < SPARSE_GROUP ? r0 + rows - g : SPARSE_GROUP;
		for (int i = g; i < g + group; i++) {
			/* Training samples are scattered over the data set: fetch the next
			 * image while this one is compacted. */
			if (i + 1 < r0 + rows)
				prefetch_(x->rows[i + 1] + k0, width);
			mm_sparse_compact(sp, i, x->rows[i], k0);
		}
		mm_sparse_nn(y + (size_t)(g - r0) * out, out, sp, 1, g, group, net->w[0], out, out);
	}
}

/* The first layer for rows r0..r0+rows-1 of byte images, all input blocks at once: the
 * same sums as first_layer_ block by block and the blocks added in order, without the
 * partial products ever leaving registers. */
static void
first_layer_rows_(struct net *net, const struct input_ *x, int r0, int rows)
{
	int out = net->dims[1];
	float *z = net->z[0] + (size_t)r0 * out;
	for (int i = 0; i < rows; i++)
		memcpy(z + (size_t)i * out, net->b[0], (size_t)out * sizeof *z);
	for (int g = r0; g < r0 + rows; g += SPARSE_GROUP) {
		int group = r0 + rows - g < SPARSE_GROUP ? r0 + rows - g : SPARSE_GROUP;
		for (int i = g; i < g + group; i++) {
			if (i + 1 < r0 + rows)
				prefetch_(x->rows[i + 1], net->dims[0]);
			for (int j = 0; j < NET_INPUT_BLOCKS; j++)
				mm_sparse_compact(&net->sparse[j], i, x->rows[i], net->in_block[j]);
		}
		mm_sparse_nn(z + (size_t)(g - r0) * out, out, net->sparse, NET_INPUT_BLOCKS, g, group,
			     net->w[0], out, out);
	}
}

/* The input block of first-layer task `task`. Task i runs on thread i mod threads; when the
 * blocks divide evenly, each thread gets neighbouring blocks (with two threads, blocks 0-1
 * and 2-3: MNIST's ink is spread more evenly over the top and bottom halves than over
 * alternate quarters). Any mapping gives the same results. */
static int
input_block_(const struct net *net, int task)
{
	int threads = threads_(net);
	if (threads > NET_INPUT_BLOCKS || NET_INPUT_BLOCKS % threads != 0)
		return task;
	return task % threads * (NET_INPUT_BLOCKS / threads) + task / threads;
}

/* Forward, first layer, when training: one task per input block, over all n rows. The
 * block's rows of w[0] are only ever read and written by the thread that runs task j
 * (see pool_run_fixed), in this pass and in the backward one, so the weights, which change
 * every step, never have to travel between cores. */
static void
first_layer_task_(void *arg, int task, int thread)
{
	struct pass_ *job = arg;
	first_layer_(job->net, &job->in, input_block_(job->net, task), 0, job->n,
		     scratch_(job->net, thread));
}

/* Forward over rows r0..r0+rows-1 from the first layer's partial products on: everything a
 * row needs is in that row, so blocks of rows run in parallel without sharing any sum. */
static void
forward_task_(void *arg, int task, int thread)
{
	struct pass_ *job = arg;
	struct net *net = job->net;
	int r0 = task * job->block;
	int rows = job->n - r0 < job->block ? job->n - r0 : job->block;
	void *scratch = scratch_(net, thread);
	int last = net->n_layers - 1;
	for (int l = 0; l <= last; l++) {
		int in = net->dims[l], out = net->dims[l + 1];
		float *z = net->z[l] + (size_t)r0 * out;
		size_t len = (size_t)rows * out;
		if (l == 0 && !job->labels && job->in.rows) {
			/* Evaluation: the weights stay put, so the row's task does the first
			 * layer too, all input blocks in one pass over each row. */
			first_layer_rows_(net, &job->in, r0, rows);
		} else if (l == 0) {
			if (!job->labels)
				for (int j = 0; j < NET_INPUT_BLOCKS; j++)
					first_layer_(net, &job->in, j, r0, rows, scratch);
			/* The input blocks' sums, added in block order. */
			for (int j = 0; j < NET_INPUT_BLOCKS - 1; j++) {
				const float *part = net->part[j] + (size_t)r0 * out;
				for (size_t i = 0; i < len; i++)
					z[i] += part[i];
			}
		} else {
			for (int i = 0; i < rows; i++)
				memcpy(z + (size_t)i * out, net->b[l], (size_t)out * sizeof *z);
			mm_gemm(z, out, net->a[l - 1] + (size_t)r0 * in, in, 1, net->w[l], out, 1,
				rows, out, in, scratch);
		}
		if (l < last)
			activation_forward_(net, net->a[l] + (size_t)r0 * out, z, len);
	}
	if (!job->labels)
		return;
	int k = net->dims[last + 1];
	for (int i = r0; i < r0 + rows; i++)
		net->row_loss[i] = softmax_xent_forward(net->probs + (size_t)i * k,
							 net->z[last] + (size_t)i * k,
							 job->labels + i, 1, k);
	if (!job->in.rows)
		return;
	/* Training on bytes: go on with the rows' part of the backward pass while they are
	 * in this core's cache, which also saves the backward pass a round of the pool. */
	softmax_xent_backward_rows(net->dz[last] + (size_t)r0 * k, net->probs + (size_t)r0 * k,
				   job->labels + r0, rows, k, job->n);
	backward_rows_(net, r0, rows, scratch);
}

static float
forward_(struct net *net, const struct input_ *in, const uint8_t *labels, int n)
{
	struct pass_ job = {net, *in, labels, n, row_block_(net, n)};
	if (labels)
		run_(net, first_layer_task_, &job, NET_INPUT_BLOCKS);
	run_(net, forward_task_, &job, (n + job.block - 1) / job.block);
	net->rows_backward_done = labels && in->rows;
	if (!labels)
		return 0.0f;
	/* The mean loss, summed in row order whatever the blocks were. */
	double loss = 0.0;
	for (int i = 0; i < n; i++)
		loss += net->row_loss[i];
	return (float)(loss / n);
}

float
net_forward(struct net *net, const float *x, const uint8_t *labels, int n)
{
	struct input_ in = {x, NULL};
	return forward_(net, &in, labels, n);
}

float
net_forward_bytes(struct net *net, const uint8_t *const *rows, const uint8_t *labels, int n)
{
	struct input_ in = {NULL, rows};
	return forward_(net, &in, labels, n);
}

/* Backward, first half, over blocks of rows: each row's gradient with respect to every
 * hidden layer's output, d a[l-1] = dz[l] · w[l]ᵀ, then through the activation. */
static void
backward_rows_task_(void *arg, int task, int thread)
{
	struct pass_ *job = arg;
	int r0 = task * job->block;
	int rows = job->n - r0 < job->block ? job->n - r0 : job->block;
	backward_rows_(job->net, r0, rows, scratch_(job->net, thread));
}

/* Backward, second half: the parameter gradients, each a sum over the batch. A task owns
 * a block of rows of one dw[l] (input features) and sums over all n samples in order, so
 * no partial sums from different threads are ever combined. */
struct grads_job_ {
	struct pass_ pass;
	int tasks_before[NET_MAX_LAYERS + 1]; /* tasks of layers < l */
	int block[NET_MAX_LAYERS];            /* rows of dw[l] per task, l >= 1 */
	int sgd;                              /* also apply params -= lr * grads */
	float lr;
};

/* The SGD update of one stretch of parameters. */
static void
sgd_(float *restrict params, const float *restrict grads, size_t len, float lr)
{
	for (size_t i = 0; i < len; i++)
		params[i] -= lr * grads[i];
}

static void
grads_task_(void *arg, int task, int thread)
{
	struct grads_job_ *job = arg;
	struct net *net = job->pass.net;
	int n = job->pass.n;
	int l = 0;
	while (task >= job->tasks_before[l + 1])
		l++;
	int in = net->dims[l], out = net->dims[l + 1];
	/* The first layer's blocks are its input blocks, on the threads that ran them
	 * forward; the other layers' are job->block[l] rows of dw each. */
	int block = l == 0 ? input_block_(net, task) : task - job->tasks_before[l];
	int k0 = l == 0 ? net->in_block[block] : block * job->block[l];
	int k1 = l == 0 ? net->in_block[block + 1] : k0 + job->block[l] < in ? k0 + job->block[l] : in;
	void *scratch = scratch_(net, thread);
	float *dw = net->dw[l] + (size_t)k0 * out;
	size_t len = (size_t)(k1 - k0) * out;
	memset(dw, 0, len * sizeof *dw);
	if (l == 0 && job->pass.in.rows) {
		/* The block's rows are still compacted from the forward pass, by this
		 * thread: each sample adds only to the rows of dw of its nonzero pixels. */
		mm_sparse_tn(net->dw[0], out, &net->sparse[block], n, net->dz[0], out, out, k0,
			     scratch, net_scratch_bytes(in));
	} else {
		/* The packed GEMM skips the batch rows whose inputs in a strip of the block
		 * are all zero. */
		const float *x = l > 0 ? net->a[l - 1] : job->pass.in.x;
		mm_gemm(dw, out, x + k0, 1, in, net->dz[l], out, 1, k1 - k0, out, n, scratch);
	}
	if (job->sgd)
		sgd_(net->w[l] + (size_t)k0 * out, dw, len, job->lr);
	/* One task per layer does db: the first one (an input block may be empty). */
	if (task != job->tasks_before[l])
		return;
	/* b was broadcast to every row, so its gradient sums the rows of dz. */
	float *db = net->db[l];
	const float *dz = net->dz[l];
	memset(db, 0, (size_t)out * sizeof *db);
	for (int i = 0; i < n; i++)
		for (int j = 0; j < out; j++)
			db[j] += dz[(size_t)i * out + j];
	if (job->sgd)
		sgd_(net->b[l], db, out, job->lr);
}

static void
backward_(struct net *net, const struct input_ *in, const uint8_t *labels, int n, int sgd,
	  float lr)
{
	int last = net->n_layers - 1;
	struct grads_job_ job = {.pass = {net, *in, labels, n, row_block_(net, n)}, .sgd = sgd,
				 .lr = lr};
	if (!net->rows_backward_done) {
		softmax_xent_backward(net->dz[last], net->probs, labels, n, net->dims[last + 1]);
		if (last > 0)
			run_(net, backward_rows_task_, &job.pass,
			     (n + job.pass.block - 1) / job.pass.block);
	}
	net->rows_backward_done = 0;

	/* The first layer's dw by input block (see first_layer_task_), the others one block
	 * of rows per thread: each block's share of w and dw stays in one thread's cache from
	 * step to step. */
	int threads = threads_(net);
	job.tasks_before[0] = 0;
	job.tasks_before[1] = NET_INPUT_BLOCKS;
	for (int l = 1; l <= last; l++) {
		int rows = net->dims[l];
		int block = (rows + threads - 1) / threads;
		/* Whole tiles of the GEMM (10 rows with AVX-512, 6 otherwise). */
		block = (block + 29) / 30 * 30;
		job.block[l] = block;
		job.tasks_before[l + 1] = job.tasks_before[l] + (rows + block - 1) / block;
	}
	run_(net, grads_task_, &job, job.tasks_before[last + 1]);
}

/* The float path is the plain one: whole-batch layer calls on the calling thread, as the
 * layer functions define them. It is what --gradcheck checks, and tests/test_net checks that
 * the blocked, threaded byte path gives the same bits. */
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
net_backward_bytes(struct net *net, const uint8_t *const *rows, const uint8_t *labels, int n)
{
	struct input_ in = {NULL, rows};
	backward_(net, &in, labels, n, 0, 0.0f);
}

void
net_backward_sgd_bytes(struct net *net, const uint8_t *const *rows, const uint8_t *labels,
		       int n, float lr)
{
	struct input_ in = {NULL, rows};
	backward_(net, &in, labels, n, 1, lr);
}

struct sgd_job_ {
	struct net *net;
	float lr;
};

enum { SGD_CHUNK = 1 << 15 };

static void
sgd_task_(void *arg, int task, int thread)
{
	(void)thread;
	struct sgd_job_ *job = arg;
	float *params = job->net->params;
	const float *grads = job->net->grads;
	size_t i0 = (size_t)task * SGD_CHUNK;
	size_t i1 = job->net->n_params - i0 < SGD_CHUNK ? job->net->n_params : i0 + SGD_CHUNK;
	sgd_(params + i0, grads + i0, i1 - i0, job->lr);
}

void
net_sgd_step(struct net *net, float lr)
{
	/* Elementwise, so any split gives the same result; small nets are not worth a wakeup. */
	struct sgd_job_ job = {net, lr};
	int tasks = (int)((net->n_params + SGD_CHUNK - 1) / SGD_CHUNK);
	if (tasks < 4) {
		for (int task = 0; task < tasks; task++)
			sgd_task_(&job, task, 0);
		return;
	}
	run_(net, sgd_task_, &job, tasks);
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
