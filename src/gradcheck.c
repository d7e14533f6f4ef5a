/* gradcheck.c: a training step's gradients against central differences of a double-precision
 * forward pass over the same layer list.
 *
 * The numerical side runs the layers in double rather than reusing the float32 ones: a
 * central difference divides a loss change of about h·|dL/dθ| by 2h, so float32's 1e-7
 * relative rounding in L would swamp the very differences being measured. Copying a float
 * into a double is exact, so both sides evaluate the same function at the same point. */
#include "gradcheck.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "layers.h"
#include "rng.h"
#include "util.h"

/* The net in double: its parameters (in net->params' layout) and input, every layer's output
 * in the unperturbed pass and in a perturbed ("trial") one, and the magnitudes that bound
 * float32's rounding errors (see magnitudes_): fwd for each output, mag for each input
 * gradient (layers i >= 1). */
struct shadow_ {
	const struct net *net;
	const uint8_t *labels;
	int n;
	double *param;
	double *x;                   /* (n, dims[0]) */
	double *y[NET_MAX_LAYERS];   /* (n, out) */
	double *yt[NET_MAX_LAYERS];  /* (n, out) */
	double *fwd[NET_MAX_LAYERS]; /* (n, out) */
	double *mag[NET_MAX_LAYERS]; /* (n, in) */
	/* Batch normalization in the unperturbed pass: xn (n, out), std (out), and a bound on
	 * xn's float32 error per column (out), in units of float32's precision. */
	double *bn_xn[NET_MAX_LAYERS], *bn_std[NET_MAX_LAYERS], *bn_err[NET_MAX_LAYERS];
	void *memory;
};

static const double *
param_(const struct shadow_ *s, const float *p)
{
	return s->param + (p - s->net->params);
}

/* Columns c0..c1-1 of z(n,out) = in(n,in_dim) · w + b, each summed in one fixed order (bias,
 * then inputs in ascending order), so an unperturbed column recomputes bit for bit. */
static void
affine_d_(double *z, const double *in, const double *w, const double *b, int n, int in_dim,
	  int out, int c0, int c1)
{
	for (int r = 0; r < n; r++) {
		const double *in_row = in + (size_t)r * in_dim;
		for (int j = c0; j < c1; j++) {
			double sum = b[j];
			for (int k = 0; k < in_dim; k++)
				sum += in_row[k] * w[(size_t)k * out + j];
			z[(size_t)r * out + j] = sum;
		}
	}
}

/* probs(n,k) = softmax(z) in double, with the row max subtracted; returns the mean loss. */
static double
softmax_xent_d_(double *probs, const double *z, const uint8_t *labels, int n, int k)
{
	double loss = 0.0;
	for (int r = 0; r < n; r++) {
		const double *row = z + (size_t)r * k;
		double max = row[0], sum = 0.0;
		for (int j = 1; j < k; j++)
			if (row[j] > max)
				max = row[j];
		for (int j = 0; j < k; j++)
			sum += probs[(size_t)r * k + j] = exp(row[j] - max);
		for (int j = 0; j < k; j++)
			probs[(size_t)r * k + j] /= sum;
		loss += log(sum) + max - row[labels[r]];
	}
	return loss / n;
}

/* Did a ReLU input in columns c0..c1-1 land on the other side of zero than in the float32
 * pass that backprop differentiated? */
static int
crossed_kink_(const double *in, const float *in32, int n, int cols, int c0, int c1)
{
	for (int r = 0; r < n; r++)
		for (int j = c0; j < c1; j++) {
			size_t e = (size_t)r * cols + j;
			if ((in[e] > 0.0) != (in32[e] > 0.0f))
				return 1;
		}
	return 0;
}

/* An elementwise unit on columns c0..c1-1. */
static void
activation_d_(enum layer_kind kind, double *y, const double *in, int n, int cols, int c0, int c1)
{
	for (int r = 0; r < n; r++)
		for (int j = c0; j < c1; j++) {
			size_t e = (size_t)r * cols + j;
			y[e] = kind == LAYER_RELU ? (in[e] > 0.0 ? in[e] : 0.0) : 1.0 / (1.0 + exp(-in[e]));
		}
}

/* Dropout unit m on columns c0..c1-1, with the mask of the step that backprop took: the
 * check is of that step's gradient, so its masks are part of the function checked. */
static void
dropout_d_(const struct shadow_ *s, int m, double *y, const double *in, int c0, int c1)
{
	const struct layer *layer = &s->net->layer[m];
	uint64_t key = net_dropout_key(s->net, m);
	double scale = 1.0f / (1.0f - layer->rate); /* the float32 scale, exactly */
	for (int r = 0; r < s->n; r++)
		for (int j = c0; j < c1; j++) {
			size_t e = (size_t)r * layer->out + j;
			y[e] = dropout_keeps(key, layer->rate, e) ? in[e] * scale : 0.0;
		}
}

/* Batch normalization unit m on columns c0..c1-1 with the batch's statistics (the check is of
 * a training step); xn and std (if not NULL) receive the normalized input and the column's
 * std. */
static void
batchnorm_d_(const struct shadow_ *s, int m, double *y, const double *in, int c0, int c1,
	     double *xn, double *std)
{
	const struct layer *layer = &s->net->layer[m];
	int n = s->n, d = layer->out;
	const double *gamma = param_(s, layer->w), *beta = param_(s, layer->b);
	for (int j = c0; j < c1; j++) {
		double mean = 0.0, var = 0.0;
		for (int r = 0; r < n; r++)
			mean += in[(size_t)r * d + j];
		mean /= n;
		for (int r = 0; r < n; r++)
			var += (in[(size_t)r * d + j] - mean) * (in[(size_t)r * d + j] - mean);
		double sd = sqrt(var / n + (double)BATCHNORM_EPS);
		for (int r = 0; r < n; r++) {
			size_t e = (size_t)r * d + j;
			double z = (in[e] - mean) / sd;
			y[e] = gamma[j] * z + beta[j];
			if (xn)
				xn[e] = z;
		}
		if (std)
			std[j] = sd;
	}
}

/* The loss of a pass into s->yt from layer `from` on, the layers before it as in s->y. With
 * col >= 0, only that column of layer from's output can have changed (a parameter feeding
 * it was perturbed): it alone is recomputed, and so on through elementwise units until the
 * next affine layer mixes the columns. *kink (if not NULL) is set when a ReLU input changed
 * sign. */
static double
run_from_(struct shadow_ *s, int from, int col, int *kink)
{
	const struct net *net = s->net;
	int n = s->n;
	for (int m = from; m < net->n_layers; m++) {
		const struct layer *layer = &net->layer[m];
		const double *in = m == 0 ? s->x : m == from ? s->y[m - 1] : s->yt[m - 1];
		int out = layer->out;
		if (layer->kind == LAYER_AFFINE && m != from)
			col = -1;
		int c0 = col >= 0 ? col : 0, c1 = col >= 0 ? col + 1 : out;
		if (col >= 0)
			memcpy(s->yt[m], s->y[m], (size_t)n * out * sizeof(double));
		switch (layer->kind) {
		case LAYER_AFFINE:
			affine_d_(s->yt[m], in, param_(s, layer->w), param_(s, layer->b), n, layer->in,
				  out, c0, c1);
			break;
		case LAYER_BATCHNORM:
			batchnorm_d_(s, m, s->yt[m], in, c0, c1, NULL, NULL);
			break;
		case LAYER_RELU:
			if (kink)
				*kink |= crossed_kink_(in, net->layer[m - 1].y, n, out, c0, c1);
			activation_d_(layer->kind, s->yt[m], in, n, out, c0, c1);
			break;
		case LAYER_SIGMOID:
			activation_d_(layer->kind, s->yt[m], in, n, out, c0, c1);
			break;
		case LAYER_DROPOUT:
			dropout_d_(s, m, s->yt[m], in, c0, c1);
			break;
		case LAYER_SOFTMAX_XENT:
			return softmax_xent_d_(s->yt[m], in, s->labels, n, out);
		}
	}
	return 0.0;
}

/* A first-order bound on float32's rounding, in units of its relative precision: each
 * operation errs by at most that much relative to the size of what it computes, so a sum errs
 * in proportion to the sizes of its terms, not to their (possibly cancelled) result.
 *
 * Forward, fwd bounds each output's error: an affine output by |b| + Σ fwd(x)·|w| (the input
 * image itself is exact up to its own rounding, |x|), ReLU passes it or blocks it, sigmoid
 * scales it by y(1 - y) and adds its own rounding of y. */
/* An affine output's bound: its own sum's rounding, |b| + Σ |x|·|w| (no better in the worst
 * case), plus the errors its inputs carry beyond their own size (fwd - |x|), which are
 * independent of one another and so add up as a root sum of squares, not one by one. */
static double
affine_bound_(const struct shadow_ *s, const struct layer *layer, const double *fx,
	      const double *x, int r, int j)
{
	int in = layer->in, out = layer->out;
	const double *w = param_(s, layer->w);
	double own = fabs(param_(s, layer->b)[j]), carried = 0.0;
	for (int k = 0; k < in; k++) {
		double size = fabs(x[(size_t)r * in + k]), wk = fabs(w[(size_t)k * out + j]);
		double err = fmax(fx[(size_t)r * in + k] - size, 0.0) * wk;
		own += size * wk;
		carried += err * err;
	}
	return own + sqrt(carried);
}

/* Batch normalization unit m's xn and std in the unperturbed pass, and xn's error bound per
 * column: its input errs by up to max fwd, which moves xn by that over std, through the
 * mean and the variance as well. */
static void
batchnorm_errors_(struct shadow_ *s, int m)
{
	const struct layer *layer = &s->net->layer[m];
	int n = s->n, d = layer->out;
	batchnorm_d_(s, m, s->yt[m], s->y[m - 1], 0, d, s->bn_xn[m], s->bn_std[m]);
	for (int j = 0; j < d; j++) {
		double worst = 0.0, largest = 0.0;
		for (int r = 0; r < n; r++) {
			worst = fmax(worst, s->fwd[m - 1][(size_t)r * d + j]);
			largest = fmax(largest, fabs(s->bn_xn[m][(size_t)r * d + j]));
		}
		s->bn_err[m][j] = 2.0 * worst / s->bn_std[m][j] * (1.0 + largest) + largest;
	}
}

static void
forward_magnitudes_(struct shadow_ *s)
{
	const struct net *net = s->net;
	int n = s->n;
	for (int m = 0; m < net->n_layers; m++) {
		const struct layer *layer = &net->layer[m];
		int out = layer->out;
		const double *fx = m > 0 ? s->fwd[m - 1] : s->x, *x = m > 0 ? s->y[m - 1] : s->x;
		if (layer->kind == LAYER_BATCHNORM)
			batchnorm_errors_(s, m);
		for (int r = 0; r < n; r++)
			for (int j = 0; j < out; j++) {
				size_t e = (size_t)r * out + j;
				double bound = 0.0, y = s->y[m][e];
				switch (layer->kind) {
				case LAYER_AFFINE:
					bound = affine_bound_(s, layer, fx, x, r, j);
					break;
				case LAYER_RELU:
					bound = x[e] > 0.0 ? fx[e] : 0.0;
					break;
				case LAYER_SIGMOID:
					bound = y * (1.0 - y) * fx[e] + y;
					break;
				case LAYER_DROPOUT:
					bound = y != 0.0 ? fx[e] / (1.0 - layer->rate) + fabs(y) : 0.0;
					break;
				case LAYER_BATCHNORM:
					bound = fabs(param_(s, layer->w)[j]) *
							(fabs(s->bn_xn[m][e]) + s->bn_err[m][j]) +
						fabs(param_(s, layer->b)[j]);
					break;
				case LAYER_SOFTMAX_XENT:
					bound = y;
					break;
				}
				s->fwd[m][e] = bound;
			}
	}
}

/* Backward, mag bounds the error of each d loss / d input: the softmax's (p - onehot) / n errs
 * with p and 1, and with p's error from the logits', at most p(1 - p)·2·max fwd (nothing
 * where the softmax is saturated); ReLU passes or blocks;
 * sigmoid's dy·y(1 - y) errs with dy and with y; an affine layer's dy·wᵀ by Σ mag(dy)·|w|. */
/* Batch normalization's dx_rk = γ/std·(dy - mean(dy) - xn·mean(xn·dy)) errs with each of
 * those terms, and with xn's own error (bn_err) through the last. */
static double
batchnorm_magnitude_(const struct shadow_ *s, int m, int r, int k)
{
	const struct layer *layer = &s->net->layer[m];
	int n = s->n, d = layer->out;
	const double *mag_dy = s->mag[m + 1], *xn = s->bn_xn[m];
	double sum = 0.0, sum_xn = 0.0;
	for (int q = 0; q < n; q++) {
		sum += mag_dy[(size_t)q * d + k];
		sum_xn += fabs(xn[(size_t)q * d + k]) * mag_dy[(size_t)q * d + k];
	}
	double scale = fabs(param_(s, layer->w)[k]) / s->bn_std[m][k];
	double terms = mag_dy[(size_t)r * d + k] + sum / n + fabs(xn[(size_t)r * d + k]) * sum_xn / n;
	/* xn's error enters through the last term only: δxn·mean(xn·dy) + xn·mean(δxn·dy). */
	return scale * (terms + s->bn_err[m][k] * (sum + sum_xn) / n);
}

static double
input_magnitude_(const struct shadow_ *s, int m, int r, int k)
{
	const struct layer *layer = &s->net->layer[m];
	int in = layer->in, out = layer->out;
	size_t e = (size_t)r * in + k; /* elementwise units and the loss: in == out */
	const double *mag_dy = m + 1 < s->net->n_layers ? s->mag[m + 1] : NULL;
	double bound = 0.0, worst = 0.0;
	switch (layer->kind) {
	case LAYER_AFFINE:
		for (int j = 0; j < out; j++)
			bound += mag_dy[(size_t)r * out + j] *
				 fabs(param_(s, layer->w)[(size_t)k * out + j]);
		break;
	case LAYER_RELU:
		bound = s->y[m - 1][e] > 0.0 ? mag_dy[e] : 0.0;
		break;
	case LAYER_SIGMOID:
		bound = mag_dy[e] * (s->y[m][e] * (1.0 - s->y[m][e]) + s->fwd[m][e]);
		break;
	case LAYER_DROPOUT:
		if (dropout_keeps(net_dropout_key(s->net, m), layer->rate, e))
			bound = mag_dy[e] / (1.0 - layer->rate);
		break;
	case LAYER_BATCHNORM:
		bound = batchnorm_magnitude_(s, m, r, k);
		break;
	case LAYER_SOFTMAX_XENT:
		for (int j = 0; j < in; j++)
			worst = fmax(worst, s->fwd[m - 1][(size_t)r * in + j]);
		bound = (s->y[m][e] * (1.0 + (1.0 - s->y[m][e]) * 2.0 * worst) +
			 (k == s->labels[r])) / s->n;
		break;
	}
	return bound;
}

static void
magnitudes_(struct shadow_ *s)
{
	forward_magnitudes_(s);
	for (int m = s->net->n_layers - 1; m >= 1; m--)
		for (int r = 0; r < s->n; r++)
			for (int k = 0; k < s->net->layer[m].in; k++)
				s->mag[m][(size_t)r * s->net->layer[m].in + k] =
					input_magnitude_(s, m, r, k);
}

static void
shadow_init_(struct shadow_ *s, const struct net *net, const float *x, const uint8_t *labels,
	     int n)
{
	memset(s, 0, sizeof *s);
	s->net = net;
	s->labels = labels;
	s->n = n;
	size_t total = net->n_params + (size_t)n * net->dims[0];
	for (int m = 0; m < net->n_layers; m++)
		total += 4 * (size_t)n * net->layer[m].out + (size_t)n * net->layer[m].in +
			 2 * (size_t)net->layer[m].out;
	double *p = xmalloc(total * sizeof *p);
	s->memory = p;
	s->param = p, p += net->n_params;
	for (size_t i = 0; i < net->n_params; i++)
		s->param[i] = net->params[i];
	s->x = p, p += (size_t)n * net->dims[0];
	for (size_t i = 0; i < (size_t)n * net->dims[0]; i++)
		s->x[i] = x[i];
	for (int m = 0; m < net->n_layers; m++) {
		s->y[m] = p, p += (size_t)n * net->layer[m].out;
		s->yt[m] = p, p += (size_t)n * net->layer[m].out;
		s->fwd[m] = p, p += (size_t)n * net->layer[m].out;
		s->bn_xn[m] = p, p += (size_t)n * net->layer[m].out;
		s->bn_std[m] = p, p += net->layer[m].out;
		s->bn_err[m] = p, p += net->layer[m].out;
		s->mag[m] = p, p += (size_t)n * net->layer[m].in;
	}
}

/* The unperturbed pass, into s->y; returns its loss. */
static double
shadow_forward_(struct shadow_ *s)
{
	double loss = run_from_(s, 0, -1, NULL);
	for (int m = 0; m < s->net->n_layers; m++)
		memcpy(s->y[m], s->yt[m], (size_t)s->n * s->net->layer[m].out * sizeof(double));
	return loss;
}

/* Central difference of the loss in one parameter of affine layer i feeding column col; theta
 * points into s->param. The step actually taken ((θ+h) - (θ-h), exact in double) is the
 * divisor, not 2h. */
static double
numeric_(struct shadow_ *s, double *theta, int i, int col, double decay, int *kink)
{
	double orig = *theta, up = orig + GRADCHECK_STEP, down = orig - GRADCHECK_STEP;
	*theta = up;
	/* A weight's share of the weight decay penalty ½λ Σ w² changes with it; the rest of
	 * the penalty is the same in both passes and cancels. */
	double loss_up = run_from_(s, i, col, kink) + 0.5 * decay * up * up;
	*theta = down;
	double loss_down = run_from_(s, i, col, kink) + 0.5 * decay * down * down;
	*theta = orig;
	return (loss_up - loss_down) / (up - down);
}

/* The penalty ½λ Σ W² of the double copy of the weights. */
static double
penalty_d_(const struct shadow_ *s)
{
	const struct net *net = s->net;
	double sum = 0.0;
	for (int i = 0; i < net->n_layers; i++) {
		const struct layer *layer = &net->layer[i];
		if (layer->kind != LAYER_AFFINE)
			continue;
		const double *w = param_(s, layer->w);
		for (size_t e = 0; e < (size_t)layer->in * layer->out; e++)
			sum += w[e] * w[e];
	}
	return 0.5 * net->weight_decay * sum;
}

/* Multiply-adds of one numerical derivative (two trial passes) for a parameter of layer i. */
static double
element_cost_(const struct net *net, int i, int n)
{
	double cost = (double)n * net->layer[i].in;
	for (int m = i + 1; m < net->n_layers; m++)
		cost += (double)n * net->layer[m].out *
			(net->layer[m].kind == LAYER_AFFINE ? net->layer[m].in : 1);
	return 2.0 * cost;
}

static int
compare_size_(const void *pa, const void *pb)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	return (a > b) - (a < b);
}

/* Pick k of size indices in ascending order: `must` and k - 1 others drawn without
 * replacement (a partial Fisher-Yates shuffle). */
static void
sample_(size_t *idx, size_t size, size_t k, size_t must, struct rng *rng)
{
	for (size_t i = 0; i < size; i++)
		idx[i] = i;
	if (k == size)
		return;
	idx[0] = must, idx[must] = 0;
	for (size_t i = 1; i < k; i++) {
		size_t j = i + (size_t)rng_below(rng, size - i);
		size_t t = idx[i];
		idx[i] = idx[j];
		idx[j] = t;
	}
	qsort(idx, k, sizeof *idx, compare_size_);
}

/* One checked element: the analytic and numerical values, and its float32 floor. */
struct element_ {
	double ana, num, floor;
	int kink;
};

/* Fill t's statistics from its checked elements. */
static void
tensor_stats_(struct gradcheck_tensor *t, const struct element_ *el, size_t k, double noise)
{
	double sum = 0.0, scale = 0.0;
	size_t used = 0;
	int nan = 0;
	for (size_t i = 0; i < k; i++) {
		if (el[i].kink) {
			t->kinks++;
			continue;
		}
		double diff = fabs(el[i].ana - el[i].num), size = fabs(el[i].ana) + fabs(el[i].num);
		double allowed = fmax(GRADCHECK_REL_TOL * size, el[i].floor);
		double score = diff == 0.0 ? 0.0 : diff / allowed;
		nan |= isnan(diff);
		sum += diff;
		used++;
		t->max_abs_diff = fmax(t->max_abs_diff, diff);
		t->max_rel_err = fmax(t->max_rel_err, size > 0.0 ? diff / size : 0.0);
		t->max_score = fmax(t->max_score, score);
		scale = fmax(scale, size);
	}
	t->checked = k;
	t->mean_abs_diff = used ? sum / used : 0.0;
	t->pass = !nan && t->max_score <= 1.0;
	t->weak = t->pass && (used == 0 || GRADCHECK_REL_TOL * scale < noise);
}

/* The float32 floor of element e of the first (W, γ) or second (b, β) parameter tensor of
 * layer i. */
static double
floor_(const struct shadow_ *s, int i, int second, size_t e)
{
	const struct layer *layer = &s->net->layer[i];
	int out = layer->out, in = layer->in, j = (int)(e % (size_t)out), k = (int)(e / out);
	const double *mag_dy = s->mag[i + 1], *fx = i > 0 ? s->fwd[i - 1] : s->x;
	double bound = 0.0;
	for (int r = 0; r < s->n; r++) {
		double dy = mag_dy[(size_t)r * out + j];
		if (second) /* db, dβ: Σ dy */
			bound += dy;
		else if (layer->kind == LAYER_AFFINE) /* dW = xᵀ·dy errs with dy and with x */
			bound += dy * 2.0 * fabs(fx[(size_t)r * in + k]);
		else /* dγ = Σ xn·dy, xn erring with the input */
			bound += dy * (fabs(s->bn_xn[i][(size_t)r * out + j]) + s->bn_err[i][j]);
	}
	/* Weight decay adds λ·w to a weight's gradient. */
	if (!second && layer->kind == LAYER_AFFINE)
		bound += s->net->weight_decay * fabs(param_(s, layer->w)[e]);
	return GRADCHECK_F32_MARGIN * FLT_EPSILON * bound;
}

/* Check `count` elements of tensor t: the first (W, γ) or second (b, β) parameter tensor of
 * the layer at list index i. */
static void
check_tensor_(struct shadow_ *s, struct gradcheck_tensor *t, int i, int is_bias, size_t count,
	      struct rng *rng, double noise)
{
	const struct layer *layer = &s->net->layer[i];
	int out = layer->out;
	const float *grad = is_bias ? layer->db : layer->dw;
	double *param = s->param + ((is_bias ? layer->b : layer->w) - s->net->params);
	size_t largest = 0;
	for (size_t e = 1; e < t->size; e++)
		if (fabsf(grad[e]) > fabsf(grad[largest]))
			largest = e;
	size_t *idx = xmalloc(t->size * sizeof *idx);
	struct element_ *el = xmalloc(count * sizeof *el);
	sample_(idx, t->size, count, largest, rng);
	for (size_t c = 0; c < count; c++) {
		size_t e = idx[c];
		el[c].kink = 0;
		el[c].ana = grad[e];
		double decay = is_bias || layer->kind != LAYER_AFFINE ? 0.0 : s->net->weight_decay;
		el[c].num = numeric_(s, param + e, i, (int)(e % (size_t)out), decay, &el[c].kink);
		el[c].floor = floor_(s, i, is_bias, e) + noise;
	}
	tensor_stats_(t, el, count, noise);
	free(idx);
	free(el);
}

/* Name and size every tensor, and decide how many of its elements to check: all, or with
 * opt->all unset and a net too big for the budget, a share of each (at least
 * GRADCHECK_MIN_SAMPLE). */
static void
plan_(struct gradcheck_report *rep, const struct net *net, int n, const struct gradcheck_options *opt,
      size_t *count, int *index)
{
	double total = 0.0;
	int t = 0;
	int a = 0; /* the affine layers so far: W1 b1 gamma1 beta1 W2 ..., as the book names them */
	for (int i = 0; i < net->n_layers; i++) {
		const struct layer *layer = &net->layer[i];
		if (!layer->w)
			continue;
		int affine = layer->kind == LAYER_AFFINE;
		a += affine;
		static const char *const names[2][2] = {{"gamma", "beta"}, {"W", "b"}};
		for (int is_bias = 0; is_bias <= 1; is_bias++, t++) {
			struct gradcheck_tensor *ten = &rep->tensor[t];
			snprintf(ten->name, sizeof ten->name, "%s%d", names[affine][is_bias], a);
			ten->rows = is_bias || !affine ? 1 : layer->in;
			ten->cols = layer->out;
			ten->size = (size_t)ten->rows * ten->cols;
			count[t] = ten->size;
			index[t] = i;
			total += (double)ten->size * element_cost_(net, i, n);
		}
	}
	rep->n_tensors = t;
	rep->all = 1;
	double budget = opt->budget > 0.0 ? opt->budget : GRADCHECK_BUDGET;
	if (opt->all || total <= budget)
		return;
	for (t = 0; t < rep->n_tensors; t++) {
		size_t k = (size_t)ceil((double)count[t] * (budget / total));
		if (k < GRADCHECK_MIN_SAMPLE)
			k = GRADCHECK_MIN_SAMPLE;
		if (k < count[t]) {
			count[t] = k;
			rep->all = 0;
		}
	}
}

int
gradcheck_compare(struct gradcheck_report *rep, const struct net *net, const float *x,
		  const uint8_t *labels, int n, const struct gradcheck_options *opt)
{
	memset(rep, 0, sizeof *rep);
	struct shadow_ s;
	shadow_init_(&s, net, x, labels, n);
	rep->loss64 = shadow_forward_(&s) + penalty_d_(&s);
	magnitudes_(&s);
	rep->noise_floor = GRADCHECK_NOISE_MARGIN * DBL_EPSILON * fmax(fabs(rep->loss64), 1.0) /
			   GRADCHECK_STEP;
	size_t count[GRADCHECK_MAX_TENSORS];
	int index[GRADCHECK_MAX_TENSORS];
	plan_(rep, net, n, opt, count, index);
	struct rng rng;
	rng_seed(&rng, opt->seed);
	rep->pass = 1;
	for (int t = 0; t < rep->n_tensors; t++) {
		struct gradcheck_tensor *ten = &rep->tensor[t];
		check_tensor_(&s, ten, index[t], t % 2, count[t], &rng, rep->noise_floor);
		rep->checked += ten->checked;
		rep->kinks += ten->kinks;
		rep->max_rel_err = fmax(rep->max_rel_err, ten->max_rel_err);
		rep->max_score = fmax(rep->max_score, ten->max_score);
		rep->pass &= ten->pass;
		rep->n_weak += ten->weak;
	}
	free(s.memory);
	return rep->pass;
}

int
gradcheck_run(struct gradcheck_report *rep, struct trainer *t, const uint8_t *const *images,
	      const uint8_t *labels, int n, const struct gradcheck_options *opt)
{
	const struct net *net = t->net;
	float *x = xmalloc((size_t)n * net->dims[0] * sizeof *x);
	images_to_floats(x, images, n, net->dims[0]);
	float loss = trainer_step(t, images, labels, n, NULL);
	int pass = gradcheck_compare(rep, net, x, labels, n, opt);
	rep->loss32 = loss;
	free(x);
	return pass;
}

void
gradcheck_print(FILE *out, const struct gradcheck_report *rep)
{
	fprintf(out, "%-6s %-10s %8s %6s %14s %13s %12s %10s  %s\n", "param", "shape", "checked",
		"kinks", "mean_abs_diff", "max_abs_diff", "max_rel_err", "max_score", "result");
	for (int t = 0; t < rep->n_tensors; t++) {
		const struct gradcheck_tensor *ten = &rep->tensor[t];
		char shape[32];
		if (ten->rows == 1)
			snprintf(shape, sizeof shape, "%d", ten->cols);
		else
			snprintf(shape, sizeof shape, "%dx%d", ten->rows, ten->cols);
		fprintf(out, "%-6s %-10s %8zu %6zu %14.3e %13.3e %12.3e %10.3f  %s\n", ten->name,
			shape, ten->checked, ten->kinks, ten->mean_abs_diff, ten->max_abs_diff,
			ten->max_rel_err, ten->max_score, ten->weak ? "WEAK" : ten->pass ? "PASS" : "FAIL");
	}
	if (!rep->n_weak)
		return;
	fprintf(out, "note:");
	for (int t = 0; t < rep->n_tensors; t++)
		if (rep->tensor[t].weak)
			fprintf(out, " %s", rep->tensor[t].name);
	fprintf(out, " (WEAK) have no gradient above %.1e, too flat for float64 central "
		"differences to check to %g; a larger --init-std makes them checkable\n",
		rep->noise_floor / GRADCHECK_REL_TOL, GRADCHECK_REL_TOL);
}
