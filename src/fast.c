/* fast.c: the fast path over a net's layer list; see fast.h for what it does and why. */
#include "fast.h"

#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "layers.h"
#include "util.h"

/* Evaluation hands all input blocks to one mm_sparse_nn call. */
_Static_assert(NET_INPUT_BLOCKS <= MM_MAX_BLOCKS, "too many input blocks for mm_sparse_nn");

/* Rows compacted and multiplied together in the sparse first layer: the product reads all
 * of W1 once per group, and the group's compacted rows (about 1.5 KiB each for MNIST) stay
 * in L2. */
enum { SPARSE_GROUP = 128 };

int
fast_supports(const struct net *net)
{
	if (net->n_layers < 2 || net->layer[0].kind != LAYER_AFFINE)
		return 0;
	for (int i = 0; i < net->n_layers; i++) {
		const struct layer *layer = &net->layer[i];
		switch (layer->kind) {
		case LAYER_AFFINE:
			/* Only the first layer reads bytes, in input blocks. */
			if (layer->in_blocks != (i == 0 ? NET_INPUT_BLOCKS : 1))
				return 0;
			break;
		case LAYER_BATCHNORM:
		case LAYER_RELU:
		case LAYER_SIGMOID:
		case LAYER_DROPOUT:
			break;
		case LAYER_SOFTMAX_XENT:
			if (i != net->n_layers - 1)
				return 0;
			break;
		}
	}
	return 1;
}

static void *
scratch_(const struct fast *f, int thread)
{
	return f->pool ? pool_scratch(f->pool, thread) : f->scratch;
}

static int
threads_(const struct fast *f)
{
	return f->pool ? pool_threads(f->pool) : 1;
}

/* Input blocks per first-layer task: as many as fit in one task per thread when the threads
 * divide the blocks evenly, else one. Task t then holds blocks t * per .. (t + 1) * per - 1
 * and runs on thread t, as input_block_ places the weight gradient's blocks. */
static int
blocks_per_task_(const struct fast *f)
{
	int threads = threads_(f);
	return threads <= NET_INPUT_BLOCKS && NET_INPUT_BLOCKS % threads == 0
		       ? NET_INPUT_BLOCKS / threads
		       : 1;
}

size_t
fast_scratch_bytes(int inputs)
{
	/* The sparse weight gradient is faster with all of a batch's samples at once, and
	 * the GEMM's scratch holds a batch of 100 MNIST images at their densest. */
	size_t sparse = mm_sparse_tn_scratch_bytes(inputs);
	return sparse > mm_scratch_bytes() ? sparse : mm_scratch_bytes();
}

void
fast_init(struct fast *f, struct net *net, struct pool *pool)
{
	memset(f, 0, sizeof *f);
	f->net = net;
	f->pool = pool;
	const struct layer *first = &net->layer[0];
	size_t rows = (size_t)net->max_batch;
	size_t losses = align_up(rows * sizeof(double));
	size_t where = align_up(rows * sizeof(struct fast_where));
	size_t scratch = pool ? 0 : align_up(fast_scratch_bytes(first->in)), sparse = 0;
	for (int j = 0; j <= NET_INPUT_BLOCKS; j++)
		f->in_block[j] = affine_block_start(first->in, NET_INPUT_BLOCKS, j);
	for (int j = 0; j < NET_INPUT_BLOCKS; j++)
		sparse += align_up(mm_sparse_bytes(net->max_batch, f->in_block[j + 1] - f->in_block[j]));
	size_t part = align_up(rows * first->out * sizeof(float));
	f->w1_ld = (int)(align_up((size_t)first->out * sizeof(float)) / sizeof(float));
	size_t w1 = f->w1_ld == first->out ? 0 : (size_t)first->in * f->w1_ld * sizeof(float);
	int parts = NET_INPUT_BLOCKS - blocks_per_task_(f);
	char *p = xmalloc_aligned(losses + where + scratch + sparse + (size_t)parts * part + w1);
	f->memory = p;
	f->row_loss = (double *)p;
	p += losses;
	f->where = (struct fast_where *)p;
	p += where;
	f->scratch = scratch ? p : NULL;
	p += scratch;
	for (int j = 0; j < NET_INPUT_BLOCKS; j++) {
		int width = f->in_block[j + 1] - f->in_block[j];
		mm_sparse_init(&f->sparse[j], net->max_batch, f->in_block[j], width, p);
		p += align_up(mm_sparse_bytes(net->max_batch, width));
	}
	for (int j = 0; j < parts; j++) {
		f->part[j] = (float *)p;
		p += part;
	}
	f->w1 = w1 ? (float *)p : NULL;
	if (f->w1) /* compared before it is first written (see eval_) */
		memset(f->w1, 0, w1);
}

void
fast_free(struct fast *f)
{
	for (int s = 0; s < f->n_sets; s++) {
		free(f->set[s].start);
		free(f->set[s].entry);
	}
	free(f->memory);
	memset(f, 0, sizeof *f);
}

/* Run the tasks on the pool, fixed to their threads (pool_run_fixed) or on whichever thread
 * is free first (pool_run: for passes whose data no thread keeps from one pass to the next,
 * so that a thread that runs slower, on a shared core, takes fewer). */
static void
run_on_(const struct fast *f, pool_task_fn *fn, void *arg, int n_tasks, int fixed)
{
	if (f->pool && fixed) {
		pool_run_fixed(f->pool, fn, arg, n_tasks);
		return;
	}
	if (f->pool) {
		pool_run(f->pool, fn, arg, n_tasks);
		return;
	}
	for (int task = 0; task < n_tasks; task++)
		fn(arg, task, 0);
}

static void
run_(const struct fast *f, pool_task_fn *fn, void *arg, int n_tasks)
{
	run_on_(f, fn, arg, n_tasks, 1);
}

/* Compacting a set, by blocks of images: first each image's entry counts (packed into
 * scratch), then, once they are summed into starts, the entries in place. */
struct set_job_ {
	struct fast *f;
	struct fast_set *set;
	size_t per_task;
	int fill;
};

static void
set_task_(void *arg, int task, int thread)
{
	const struct set_job_ *job = arg;
	const struct fast *f = job->f;
	const struct fast_set *set = job->set;
	size_t in = (size_t)f->in_block[NET_INPUT_BLOCKS];
	size_t i0 = (size_t)task * job->per_task, i1 = i0 + job->per_task;
	/* Packed into scratch (fast_scratch_bytes covers 2 * (in + 1) bytes), since packing
	 * writes past the entries it keeps. */
	struct mm_sparse_entry *packed = scratch_(f, thread);
	for (size_t i = i0; i < i1 && i < set->count; i++) {
		for (int j = 0; j < NET_INPUT_BLOCKS; j++) {
			size_t b = i * NET_INPUT_BLOCKS + j;
			const uint8_t *bytes = set->pixels + i * in + f->in_block[j];
			int width = f->in_block[j + 1] - f->in_block[j];
			if (!job->fill) {
				set->start[b + 1] = (size_t)mm_sparse_count(bytes, width);
				continue;
			}
			int n = mm_sparse_pack(packed, bytes, width);
			memcpy(set->entry + set->start[b], packed, (size_t)n * sizeof *packed);
		}
	}
}

void
fast_compact_set(struct fast *f, const uint8_t *pixels, size_t count)
{
	if (f->n_sets == FAST_MAX_SETS || count == 0)
		return;
	struct fast_set *set = &f->set[f->n_sets++];
	size_t blocks = count * NET_INPUT_BLOCKS;
	*set = (struct fast_set){pixels, count, xmalloc((blocks + 1) * sizeof *set->start), NULL};
	int tasks = 8 * threads_(f);
	struct set_job_ job = {f, set, (count + tasks - 1) / tasks, 0};
	run_(f, set_task_, &job, tasks);
	set->start[0] = 0;
	for (size_t b = 0; b < blocks; b++)
		set->start[b + 1] += set->start[b];
	set->entry = xmalloc((set->start[blocks] + 1) * sizeof *set->entry); /* never 0 bytes */
	job.fill = 1;
	run_(f, set_task_, &job, tasks);
}

/* The set holding image, with its index there, or NULL. */
static const struct fast_set *
set_of_(const struct fast *f, const uint8_t *image, size_t *index)
{
	size_t in = (size_t)f->in_block[NET_INPUT_BLOCKS];
	for (int s = 0; s < f->n_sets; s++) {
		const struct fast_set *set = &f->set[s];
		/* As integers, since the image may belong to no set at all. */
		uintptr_t offset = (uintptr_t)image - (uintptr_t)set->pixels;
		if (offset >= set->count * in)
			continue;
		/* offset / in in doubles: an integer division takes tens of cycles, twice per
		 * image of every step, while the other threads wait. Exact when offset is a
		 * multiple of in (below 2^53), which the product checks. */
		size_t i = (size_t)((double)offset / (double)in);
		if (i * in == offset) {
			*index = i;
			return set;
		}
	}
	return NULL;
}

/* Row r of input block j: image's entries from its set, else compacted now. */
static void
set_row_(struct fast *f, int j, int r, const uint8_t *image, const struct fast_set *set,
	 size_t index)
{
	struct mm_sparse *sp = &f->sparse[j];
	if (!set) {
		mm_sparse_compact(sp, r, image);
		return;
	}
	size_t b = index * NET_INPUT_BLOCKS + j;
	sp->row[r] = (struct mm_sparse_row){set->entry + set->start[b],
					    (int)(set->start[b + 1] - set->start[b])};
}

/* Rows per task for the row-parallel passes: one block of rows per thread. Tasks are placed
 * on threads by number (pool_run_fixed), so equal blocks are equal shares, and each thread
 * finds its rows' buffers in its own cache from one step to the next. Each row is computed
 * the same way whatever block it is in, so this may depend on the thread count without
 * changing any result. */
static int
row_block_(const struct fast *f, int n)
{
	int threads = threads_(f);
	int rows = (n + threads - 1) / threads;
	return rows < 16 ? 16 : rows;
}

/* The input block of first-layer task `task`. Task i runs on thread i mod threads; when the
 * blocks divide evenly, each thread gets neighbouring blocks (with two threads, blocks 0-1
 * and 2-3: MNIST's ink is spread more evenly over the top and bottom halves than over
 * alternate quarters). Any mapping gives the same results. */
static int
input_block_(const struct fast *f, int task)
{
	int threads = threads_(f);
	if (threads > NET_INPUT_BLOCKS || NET_INPUT_BLOCKS % threads != 0)
		return task;
	return task % threads * (NET_INPUT_BLOCKS / threads) + task / threads;
}

/* One pass over a batch. In training, a round of row tasks runs the layers between two
 * batch normalization units' column sums (which need every row): forward over [fwd_lo,
 * fwd_hi), then backward over [back_lo, back_hi) from the top; the first round also adds
 * up the first layer's block sums (sum_parts). */
struct pass_ {
	struct fast *f;
	const uint8_t *const *images;
	const uint8_t *labels; /* NULL in evaluation */
	int n, rows_per_task;
	int fwd_lo, fwd_hi, back_lo, back_hi;
	int sum_parts;
};

/* Ask for the cache lines of len bytes ahead of their use. */
static void
prefetch_(const uint8_t *bytes, int len)
{
	for (int i = 0; i < len; i += 64)
		__builtin_prefetch(bytes + i);
}

/* Broadcast the bias b(out) to rows of y, so that the accumulating products add it. */
static void
bias_rows_(float *y, const float *b, int rows, int out)
{
	for (int i = 0; i < rows; i++)
		memcpy(y + (size_t)i * out, b, (size_t)out * sizeof *y);
}

/* Rows g .. g+group-1 of input blocks lo .. hi-1 from their sets (or compacted now). */
static void
set_rows_(struct fast *f, const uint8_t *const *images, int g, int group, int lo, int hi)
{
	/* Training samples are scattered over the data set: ask for where their rows are, all
	 * at once, then for the rows, ahead of the product. */
	for (int i = g; i < g + group; i++) {
		const struct fast_where *w = &f->where[i];
		if (w->set)
			__builtin_prefetch(w->set->start + w->index * NET_INPUT_BLOCKS + lo);
	}
	for (int i = g; i < g + group; i++) {
		const struct fast_where *w = &f->where[i];
		for (int j = lo; j < hi; j++) {
			const struct mm_sparse_row *row = &f->sparse[j].row[i];
			set_row_(f, j, i, images[i], w->set, w->index);
			prefetch_((const uint8_t *)row->entry,
				  row->n * (int)sizeof(struct mm_sparse_entry));
		}
	}
}

/* Training, first layer: the sums over all n rows of the task's input blocks. A task from
 * block 0 adds its blocks to the bias in the layer's output, as one call (see mm_sparse_nn),
 * so those sums never leave registers; any other block j is summed from zero into
 * part[j - blocks_per_task_]. The blocks' rows of W1 are only ever read and written by the
 * thread that runs this task (see pool_run_fixed), here and in the weight gradient, so the
 * weights, which change every step, never travel between cores. */
static void
first_layer_task_(void *arg, int task, int thread)
{
	(void)thread;
	const struct pass_ *pass = arg;
	struct fast *f = pass->f;
	const struct layer *layer = &f->net->layer[0];
	int per = blocks_per_task_(f), lo = task * per, hi = lo + per, n = pass->n, out = layer->out;
	for (int j = lo; f->net->weight_decay != 0.0f && j < hi; j++)
		f->penalty_part[j] = net_penalty_block(f->net, 0, j);
	/* A group of rows at a time, so the compacted rows are still in cache when the
	 * product reads them. */
	for (int g = 0; g < n; g += SPARSE_GROUP) {
		int group = n - g < SPARSE_GROUP ? n - g : SPARSE_GROUP;
		set_rows_(f, pass->images, g, group, lo, hi);
		if (lo == 0) {
			float *y = layer->y + (size_t)g * out;
			bias_rows_(y, layer->b, group, out);
			mm_sparse_nn(y, out, f->sparse, hi, g, group, layer->w, out, out);
			continue;
		}
		for (int j = lo; j < hi; j++) {
			float *y = f->part[j - per] + (size_t)g * out;
			memset(y, 0, (size_t)group * out * sizeof *y);
			mm_sparse_nn(y, out, &f->sparse[j], 1, g, group, layer->w, out, out);
		}
	}
}

/* Evaluation, first layer, rows r0..r0+rows-1: all input blocks at once, the same sums as
 * first_layer_task_ block by block added in order, without the block sums ever leaving
 * registers. The weights stay put, so any thread may read them. */
static void
first_layer_rows_(struct fast *f, const uint8_t *const *images, int r0, int rows)
{
	const struct layer *layer = &f->net->layer[0];
	int out = layer->out;
	bias_rows_(layer->y + (size_t)r0 * out, layer->b, rows, out);
	for (int g = r0; g < r0 + rows; g += SPARSE_GROUP) {
		int group = r0 + rows - g < SPARSE_GROUP ? r0 + rows - g : SPARSE_GROUP;
		for (int i = g; i < g + group; i++) {
			size_t index = 0;
			const struct fast_set *set = set_of_(f, images[i], &index);
			for (int j = 0; j < NET_INPUT_BLOCKS; j++)
				set_row_(f, j, i, images[i], set, index);
		}
		mm_sparse_nn(layer->y + (size_t)g * out, out, f->sparse, NET_INPUT_BLOCKS, g, group,
			     f->w1 ? f->w1 : layer->w, f->w1_ld, out);
	}
}

/* Layers lo .. hi-1 forward for rows r0..r0+rows-1: everything a row needs is in that row
 * (in training, batch normalization is never in the range). The loss unit runs only with
 * labels. */
static void
forward_rows_(const struct net *net, enum net_mode mode, double *row_loss, const uint8_t *labels,
	      int r0, int rows, int lo, int hi, void *scratch)
{
	for (int i = lo; i < hi; i++) {
		const struct layer *layer = &net->layer[i];
		int in = layer->in, out = layer->out;
		const float *x = net->layer[i - 1].y + (size_t)r0 * in;
		float *y = layer->y + (size_t)r0 * out;
		size_t len = (size_t)rows * out;
		switch (layer->kind) {
		case LAYER_AFFINE:
			bias_rows_(y, layer->b, rows, out);
			mm_gemm(y, out, x, in, 1, layer->w, out, 1, rows, out, in, scratch);
			break;
		case LAYER_BATCHNORM:
			/* In training, the column tasks have taken the batch's statistics
			 * (batchnorm_task_). */
			if (mode == NET_TRAIN)
				batchnorm_normalize(y, layer->xn + (size_t)r0 * out, x, layer->mean,
						    layer->std, layer->w, layer->b, rows, out);
			else
				batchnorm_forward_eval(y, x, layer->w, layer->b, layer->run_mean,
						       layer->run_var, rows, out);
			break;
		case LAYER_RELU:
			relu_forward(y, x, len);
			break;
		case LAYER_SIGMOID:
			sigmoid_forward(y, x, len);
			break;
		case LAYER_DROPOUT:
			if (mode == NET_TRAIN)
				dropout_forward(y, x, rows, out, r0, net_dropout_key(net, i),
						layer->rate);
			else
				memcpy(y, x, len * sizeof *y);
			break;
		case LAYER_SOFTMAX_XENT:
			if (labels)
				softmax_xent_forward_rows(y, row_loss + r0, x, labels + r0, rows, out);
			break;
		}
	}
}

/* Backward for rows r0..r0+rows-1 of a batch of n, layers hi-1 down to lo (at the bottom,
 * layer 1: d loss / d the first layer's output): like the forward pass, row-local. */
static void
backward_rows_(const struct net *net, const uint8_t *labels, int n, int r0, int rows, int lo,
	       int hi, void *scratch)
{
	for (int i = hi - 1; i >= lo; i--) {
		const struct layer *layer = &net->layer[i];
		int in = layer->in, out = layer->out;
		float *dx = layer->dx + (size_t)r0 * in;
		const float *x = net->layer[i - 1].y + (size_t)r0 * in;
		const float *dy = i + 1 < net->n_layers ? net->layer[i + 1].dx + (size_t)r0 * out
							: NULL;
		size_t len = (size_t)rows * in;
		switch (layer->kind) {
		case LAYER_AFFINE:
			/* dx = dy · wᵀ */
			memset(dx, 0, len * sizeof *dx);
			mm_gemm(dx, in, dy, out, 1, layer->w, 1, out, rows, in, out, scratch);
			break;
		case LAYER_BATCHNORM:
			/* From the column sums of batchnorm_backward_task_. */
			batchnorm_backward_rows(dx, dy, layer->xn + (size_t)r0 * in, layer->std,
						layer->w, layer->dxn_xn, layer->dxc_mean, n, rows, in);
			break;
		case LAYER_RELU:
			relu_backward(dx, dy, x, len);
			break;
		case LAYER_SIGMOID:
			sigmoid_backward(dx, dy, layer->y + (size_t)r0 * in, len);
			break;
		case LAYER_DROPOUT:
			dropout_backward(dx, dy, rows, in, r0, net_dropout_key(net, i), layer->rate);
			break;
		case LAYER_SOFTMAX_XENT:
			softmax_xent_backward_rows(dx, layer->y + (size_t)r0 * in, labels + r0, rows,
						   in, n);
			break;
		}
	}
}

/* Training, rows of the batch: in the first round, the first layer's block sums added in
 * block order; then the round's layers forward, and backward while the rows are still in
 * this core's cache. */
static void
train_rows_task_(void *arg, int task, int thread)
{
	const struct pass_ *pass = arg;
	struct fast *f = pass->f;
	const struct net *net = f->net;
	int r0 = task * pass->rows_per_task;
	int rows = pass->n - r0 < pass->rows_per_task ? pass->n - r0 : pass->rows_per_task;
	int out = net->layer[0].out;
	float *y = net->layer[0].y + (size_t)r0 * out;
	size_t len = (size_t)rows * out;
	int per = blocks_per_task_(f);
	for (int j = per; pass->sum_parts && j < NET_INPUT_BLOCKS; j++) {
		const float *part = f->part[j - per] + (size_t)r0 * out;
		for (size_t i = 0; i < len; i++)
			y[i] += part[i];
	}
	void *scratch = scratch_(f, thread);
	forward_rows_(net, NET_TRAIN, f->row_loss, pass->labels, r0, rows, pass->fwd_lo,
		      pass->fwd_hi, scratch);
	backward_rows_(net, pass->labels, pass->n, r0, rows, pass->back_lo, pass->back_hi,
		       scratch);
}

/* Batch normalization in training, by blocks of columns: each column's statistics are sums
 * over every row, so they wait for a round of row tasks to end. */
struct columns_ {
	const struct pass_ *pass;
	int layer;
	int cols_per_task;
};

static void
batchnorm_task_(void *arg, int task, int thread)
{
	(void)thread;
	const struct columns_ *c = arg;
	struct layer *layer = &c->pass->f->net->layer[c->layer];
	int d = layer->out, j0 = task * c->cols_per_task;
	int j1 = j0 + c->cols_per_task < d ? j0 + c->cols_per_task : d;
	batchnorm_stats(layer->std, layer->mean, layer->var, c->pass->f->net->layer[c->layer - 1].y,
			c->pass->n, d, j0, j1);
	batchnorm_update_running(layer->run_mean, layer->run_var, layer->mean, layer->var,
				 NET_BATCHNORM_MOMENTUM, j0, j1);
}

/* Backward, the same blocks of columns: the column sums, from which the row tasks below
 * take dx. γ and β are updated only after those (grads_), since they read γ. */
static void
batchnorm_backward_task_(void *arg, int task, int thread)
{
	(void)thread;
	const struct columns_ *c = arg;
	const struct net *net = c->pass->f->net;
	const struct layer *layer = &net->layer[c->layer];
	int d = layer->out, j0 = task * c->cols_per_task;
	int j1 = j0 + c->cols_per_task < d ? j0 + c->cols_per_task : d;
	batchnorm_backward_sums(layer->dw, layer->db, layer->dxn_xn, layer->dxc_mean,
				net->layer[c->layer + 1].dx, layer->xn, layer->std, layer->w,
				c->pass->n, d, j0, j1);
}

/* A round of column tasks over batch normalization unit i. */
static void
columns_(struct fast *f, const struct pass_ *pass, int i, pool_task_fn *fn)
{
	int d = f->net->layer[i].out, threads = threads_(f);
	int cols = (d + threads - 1) / threads;
	struct columns_ c = {.pass = pass, .layer = i, .cols_per_task = cols < 8 ? 8 : cols};
	run_(f, fn, &c, (d + c.cols_per_task - 1) / c.cols_per_task);
}

/* The training pass after the first layer: rounds of row tasks between batch normalization
 * units, each unit's column sums a round of column tasks whose results the next round of
 * rows uses (the unit's normalization, then the layers above it); the last rounds forward
 * and backward meet in one task, then backward comes down the units again. */
static void
train_passes_(struct fast *f, struct pass_ *pass)
{
	const struct net *net = f->net;
	int units[NET_MAX_LAYERS], n_units = 0, L = net->n_layers;
	for (int i = 1; i < L; i++)
		if (net->layer[i].kind == LAYER_BATCHNORM)
			units[n_units++] = i;
	int tasks = (pass->n + pass->rows_per_task - 1) / pass->rows_per_task;
	int lo = 1;
	pass->sum_parts = 1;
	for (int u = 0; u < n_units; u++) {
		pass->fwd_lo = lo, pass->fwd_hi = units[u];
		pass->back_lo = pass->back_hi = 0;
		run_(f, train_rows_task_, pass, tasks);
		pass->sum_parts = 0;
		columns_(f, pass, units[u], batchnorm_task_);
		lo = units[u];
	}
	pass->fwd_lo = lo, pass->fwd_hi = L;
	pass->back_lo = n_units > 0 ? units[n_units - 1] + 1 : 1, pass->back_hi = L;
	run_(f, train_rows_task_, pass, tasks);
	pass->sum_parts = 0;
	for (int u = n_units - 1; u >= 0; u--) {
		columns_(f, pass, units[u], batchnorm_backward_task_);
		pass->fwd_lo = pass->fwd_hi = 0;
		pass->back_lo = u > 0 ? units[u - 1] + 1 : 1, pass->back_hi = units[u] + 1;
		run_(f, train_rows_task_, pass, tasks);
	}
}

static void
eval_rows_task_(void *arg, int task, int thread)
{
	const struct pass_ *pass = arg;
	int r0 = task * pass->rows_per_task;
	int rows = pass->n - r0 < pass->rows_per_task ? pass->n - r0 : pass->rows_per_task;
	const struct net *net = pass->f->net;
	first_layer_rows_(pass->f, pass->images, r0, rows);
	forward_rows_(net, NET_EVAL, NULL, NULL, r0, rows, 1, net->n_layers,
		      scratch_(pass->f, thread));
	int k = net->dims[net->n_affine];
	for (int i = r0; pass->labels && i < r0 + rows; i++)
		pass->f->row_loss[i] = net_xent_row(net_logits(net) + (size_t)i * k, k,
						    pass->labels[i]);
}

/* Evaluation's forward pass, with each row's cross-entropy into row_loss if labels. */
static void
eval_(struct fast *f, const uint8_t *const *images, const uint8_t *labels, int n)
{
	const struct layer *first = &f->net->layer[0];
	/* Only the rows that changed since the last copy are written: an evaluation is many
	 * calls with the same weights, and a rewritten row would leave the other cores'
	 * copies of its cache lines invalid, to be fetched again from this core's. */
	size_t row_bytes = (size_t)first->out * sizeof *f->w1;
	for (int k = 0; f->w1 && k < first->in; k++) {
		float *copy = f->w1 + (size_t)k * f->w1_ld;
		const float *w = first->w + (size_t)k * first->out;
		if (memcmp(copy, w, row_bytes) != 0)
			memcpy(copy, w, row_bytes);
	}
	/* Tasks of a group of rows, on any thread: the weights stay put, so a small task costs
	 * only its claim, and the threads share the work as their speeds are. Against two fixed
	 * halves, 15% less time evaluating at --hidden 50 and 30% less at --hidden 800 (one
	 * process, alternate epochs, a shared 2-core AMD EPYC). */
	struct pass_ pass = {f, images, labels, n, SPARSE_GROUP, 0, 0, 0, 0, 0};
	run_on_(f, eval_rows_task_, &pass, (n + pass.rows_per_task - 1) / pass.rows_per_task, 0);
	f->net->mode = NET_EVAL;
}

void
fast_logits(struct fast *f, const uint8_t *const *images, int n)
{
	eval_(f, images, NULL, n);
}

double
fast_logits_xent(struct fast *f, const uint8_t *const *images, const uint8_t *labels, int n)
{
	eval_(f, images, labels, n);
	double sum = 0.0;
	for (int i = 0; i < n; i++)
		sum += f->row_loss[i];
	return sum;
}

/* The parameter gradients, each a sum over the batch. A task owns a block of rows of one
 * layer's dW (inputs) and sums over all n samples in order, so no partial sums from
 * different threads are ever combined; then, with an optimizer, it updates those rows. */
struct grads_job_ {
	struct pass_ pass;
	const struct optim *opt;      /* NULL: gradients only */
	int index[NET_MAX_AFFINE];    /* of affine layer a in the list */
	int tasks_before[NET_MAX_AFFINE + 1];
	int rows_per_task[NET_MAX_AFFINE]; /* rows of dW per task, a >= 1 */
};

/* Update params[i0 .. i1) from the gradients just computed, if there is an optimizer. */
static void
update_(const struct grads_job_ *job, const float *param, size_t len)
{
	if (!job->opt)
		return;
	const struct net *net = job->pass.f->net;
	size_t i0 = (size_t)(param - net->params);
	optim_update(job->opt, net->params, net->grads, i0, i0 + len);
}

static void
grads_task_(void *arg, int task, int thread)
{
	const struct grads_job_ *job = arg;
	struct fast *f = job->pass.f;
	const struct net *net = f->net;
	int n = job->pass.n, a = 0;
	while (task >= job->tasks_before[a + 1])
		a++;
	int i = job->index[a];
	const struct layer *layer = &net->layer[i];
	const float *dy = net->layer[i + 1].dx;
	int in = layer->in, out = layer->out, k0, k1;
	void *scratch = scratch_(f, thread);
	if (a == 0) {
		/* The input block this thread ran forward: its rows of the batch are still
		 * compacted, and each sample adds only to the rows of dW of its nonzero
		 * pixels. */
		int j = input_block_(f, task);
		k0 = f->in_block[j], k1 = f->in_block[j + 1];
		mm_sparse_tn(layer->dw, out, &f->sparse[j], n, dy, out, out, scratch,
			     fast_scratch_bytes(in));
	} else {
		k0 = (task - job->tasks_before[a]) * job->rows_per_task[a];
		k1 = k0 + job->rows_per_task[a] < in ? k0 + job->rows_per_task[a] : in;
		affine_backward_weight(layer->dw, dy, net->layer[i - 1].y, n, in, out, k0, k1,
				       scratch);
	}
	size_t len = (size_t)(k1 - k0) * out;
	if (net->weight_decay != 0.0f)
		l2_backward(layer->dw + (size_t)k0 * out, layer->w + (size_t)k0 * out, len,
			    net->weight_decay);
	update_(job, layer->w + (size_t)k0 * out, len);
	/* The layer's first task also does db (an input block may be empty). */
	if (task != job->tasks_before[a])
		return;
	affine_backward_bias(layer->db, dy, n, out);
	update_(job, layer->b, (size_t)out);
}

/* The first layer's dW by input block (see first_layer_task_), the others one block of rows
 * per thread: each block's share of W and dW stays in one thread's cache from step to
 * step. */
static void
grads_(struct fast *f, const struct pass_ *pass, const struct optim *opt)
{
	const struct net *net = f->net;
	struct grads_job_ job = {.pass = *pass, .opt = opt};
	int threads = threads_(f), a = 0;
	for (int i = 0; i < net->n_layers; i++) {
		const struct layer *layer = &net->layer[i];
		if (layer->kind != LAYER_AFFINE)
			continue;
		int tasks = NET_INPUT_BLOCKS;
		if (a > 0) {
			int rows = (layer->in + threads - 1) / threads;
			/* Whole tiles of the GEMM (10 rows with AVX-512, 6 otherwise). */
			job.rows_per_task[a] = (rows + 29) / 30 * 30;
			tasks = (layer->in + job.rows_per_task[a] - 1) / job.rows_per_task[a];
		}
		job.index[a] = i;
		job.tasks_before[a + 1] = job.tasks_before[a] + tasks;
		a++;
	}
	run_(f, grads_task_, &job, job.tasks_before[a]);
	/* Batch normalization's γ and β, which the rows of its backward pass read. */
	for (int i = 0; opt && i < net->n_layers; i++)
		if (net->layer[i].kind == LAYER_BATCHNORM) {
			update_(&job, net->layer[i].w, (size_t)net->layer[i].out);
			update_(&job, net->layer[i].b, (size_t)net->layer[i].out);
		}
}

/* The penalty of the weights the step starts from (the fused update changes them later),
 * added as net_penalty adds it: the first layer's blocks as their tasks took them. */
static float
penalty_(const struct fast *f)
{
	const struct net *net = f->net;
	double penalty = 0.0;
	if (net->weight_decay == 0.0f)
		return 0.0f;
	for (int j = 0; j < NET_INPUT_BLOCKS; j++)
		penalty += f->penalty_part[j];
	for (int i = 1; i < net->n_layers; i++)
		for (int j = 0; net->layer[i].kind == LAYER_AFFINE && j < net->layer[i].in_blocks; j++)
			penalty += net_penalty_block(net, i, j);
	return (float)penalty;
}

float
fast_step(struct fast *f, const uint8_t *const *images, const uint8_t *labels, int n,
	  const struct optim *opt)
{
	struct pass_ pass = {f, images, labels, n, row_block_(f, n), 0, 0, 0, 0, 0};
	f->net->step++; /* as net_forward counts it: new dropout masks */
	/* Once here, not in each input block's task: finding an image's set costs a
	 * division. */
	for (int i = 0; i < n; i++)
		f->where[i].set = set_of_(f, images[i], &f->where[i].index);
	run_(f, first_layer_task_, &pass, NET_INPUT_BLOCKS / blocks_per_task_(f));
	float penalty = penalty_(f);
	train_passes_(f, &pass);
	grads_(f, &pass, opt);
	f->net->mode = NET_TRAIN;
	/* The mean loss, summed in row order whatever the blocks were; the penalty as the
	 * reference adds it. */
	double loss = 0.0;
	for (int i = 0; i < n; i++)
		loss += f->row_loss[i];
	return (float)(loss / n) + penalty;
}
