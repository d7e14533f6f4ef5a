/* gradcheck.c: backprop gradients against central differences of a double-precision forward.
 *
 * The numerical side reimplements the forward pass in double rather than reusing the float32
 * layers: a central difference divides a loss change of about h·|dL/dθ| by 2h, so float32's
 * 1e-7 relative rounding in L would swamp the very differences being measured. Copying a float
 * into a double is exact, so both sides evaluate the same function at the same point. */
#include "gradcheck.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "util.h"

/* The net in double: its parameters and input, the activations of the unperturbed pass, and
 * scratch activations for the perturbed ("trial") passes. All in one allocation. */
struct shadow_ {
	const struct net *net;
	const uint8_t *labels;
	int n, n_layers, relu;
	const int *dims;
	double *w[NET_MAX_LAYERS], *b[NET_MAX_LAYERS];
	double *x;                                         /* (n, dims[0]) */
	double *z[NET_MAX_LAYERS], *a[NET_MAX_LAYERS];     /* unperturbed, (n, dims[l+1]) */
	double *zt[NET_MAX_LAYERS], *at[NET_MAX_LAYERS];   /* trial, (n, dims[l+1]) */
	void *block;
};

/* z(n,out) = in(n,in_dim) · w(in_dim,out) + b(out), summed in a fixed order (bias, then
 * inputs in ascending order) that column_ repeats, so an unperturbed column recomputes
 * bit for bit. */
static void
affine_d_(double *z, const double *in, const double *w, const double *b, int n, int in_dim,
	  int out)
{
	for (int r = 0; r < n; r++) {
		double *z_row = z + (size_t)r * out;
		const double *in_row = in + (size_t)r * in_dim;
		memcpy(z_row, b, (size_t)out * sizeof *z_row);
		for (int i = 0; i < in_dim; i++) {
			double v = in_row[i];
			const double *w_row = w + (size_t)i * out;
			for (int j = 0; j < out; j++)
				z_row[j] += v * w_row[j];
		}
	}
}

static double
activate_(double z, int relu)
{
	if (relu)
		return z > 0.0 ? z : 0.0;
	return 1.0 / (1.0 + exp(-z));
}

/* Mean cross-entropy of softmax(z) in double, with the row max subtracted. */
static double
loss_d_(const double *z, const uint8_t *labels, int n, int k)
{
	double loss = 0.0;
	for (int r = 0; r < n; r++) {
		const double *row = z + (size_t)r * k;
		double max = row[0];
		for (int j = 1; j < k; j++)
			if (row[j] > max)
				max = row[j];
		double sum = 0.0;
		for (int j = 0; j < k; j++)
			sum += exp(row[j] - max);
		loss += log(sum) + max - row[labels[r]];
	}
	return loss / n;
}

static void
shadow_init_(struct shadow_ *s, const struct net *net, const float *x, const uint8_t *labels,
	     int n)
{
	memset(s, 0, sizeof *s);
	s->net = net;
	s->labels = labels;
	s->n = n;
	s->n_layers = net->n_layers;
	s->dims = net->dims;
	s->relu = net->activation == ACT_RELU;
	size_t total = net->n_params + (size_t)n * net->dims[0];
	for (int l = 0; l < net->n_layers; l++)
		total += 4 * (size_t)n * net->dims[l + 1];
	double *p = xmalloc(total * sizeof *p);
	s->block = p;
	for (int l = 0; l < net->n_layers; l++) {
		size_t wsize = (size_t)net->dims[l] * net->dims[l + 1];
		s->w[l] = p, p += wsize;
		s->b[l] = p, p += net->dims[l + 1];
		for (size_t i = 0; i < wsize; i++)
			s->w[l][i] = net->w[l][i];
		for (int j = 0; j < net->dims[l + 1]; j++)
			s->b[l][j] = net->b[l][j];
	}
	s->x = p, p += (size_t)n * net->dims[0];
	for (size_t i = 0; i < (size_t)n * net->dims[0]; i++)
		s->x[i] = x[i];
	for (int l = 0; l < net->n_layers; l++) {
		size_t rows = (size_t)n * net->dims[l + 1];
		s->z[l] = p, p += rows;
		s->a[l] = p, p += rows;
		s->zt[l] = p, p += rows;
		s->at[l] = p, p += rows;
	}
}

/* The unperturbed forward pass; returns its loss. */
static double
shadow_forward_(struct shadow_ *s)
{
	const double *in = s->x;
	int last = s->n_layers - 1;
	for (int l = 0; l <= last; l++) {
		affine_d_(s->z[l], in, s->w[l], s->b[l], s->n, s->dims[l], s->dims[l + 1]);
		if (l == last)
			break;
		size_t len = (size_t)s->n * s->dims[l + 1];
		for (size_t i = 0; i < len; i++)
			s->a[l][i] = activate_(s->z[l][i], s->relu);
		in = s->a[l];
	}
	return loss_d_(s->z[last], s->labels, s->n, s->dims[last + 1]);
}

/* Did any ReLU input in z(n, cols) (only column `col`, if col >= 0) land on the other side of
 * zero than in the float32 forward pass that backprop differentiated? */
static int
crossed_kink_(const double *z, const float *z32, int n, int cols, int col)
{
	int first = col >= 0 ? col : 0, end = col >= 0 ? col + 1 : cols;
	for (int r = 0; r < n; r++)
		for (int j = first; j < end; j++) {
			size_t e = (size_t)r * cols + j;
			if ((z[e] > 0.0) != (z32[e] > 0.0f))
				return 1;
		}
	return 0;
}

/* The loss after a parameter feeding column `col` of layer l was changed in s->w or s->b.
 * Only that column of z[l] can change, so it alone is recomputed (in affine_d_'s order);
 * every later layer is recomputed whole. *kink is set if a ReLU input changed sign. */
static double
trial_loss_(struct shadow_ *s, int l, int col, int *kink)
{
	int n = s->n, in_dim = s->dims[l], out = s->dims[l + 1], last = s->n_layers - 1;
	const double *in = l > 0 ? s->a[l - 1] : s->x;
	const double *w = s->w[l];
	double *z = s->zt[l];
	memcpy(z, s->z[l], (size_t)n * out * sizeof *z);
	for (int r = 0; r < n; r++) {
		const double *in_row = in + (size_t)r * in_dim;
		double sum = s->b[l][col];
		for (int i = 0; i < in_dim; i++)
			sum += in_row[i] * w[(size_t)i * out + col];
		z[(size_t)r * out + col] = sum;
	}
	if (l == last)
		return loss_d_(z, s->labels, n, out);

	double *a = s->at[l];
	memcpy(a, s->a[l], (size_t)n * out * sizeof *a);
	for (int r = 0; r < n; r++)
		a[(size_t)r * out + col] = activate_(z[(size_t)r * out + col], s->relu);
	if (s->relu)
		*kink |= crossed_kink_(z, s->net->z[l], n, out, col);
	for (int m = l + 1; m <= last; m++) {
		int cols = s->dims[m + 1];
		affine_d_(s->zt[m], s->at[m - 1], s->w[m], s->b[m], n, s->dims[m], cols);
		if (m == last)
			break;
		size_t len = (size_t)n * cols;
		for (size_t i = 0; i < len; i++)
			s->at[m][i] = activate_(s->zt[m][i], s->relu);
		if (s->relu)
			*kink |= crossed_kink_(s->zt[m], s->net->z[m], n, cols, -1);
	}
	return loss_d_(s->zt[last], s->labels, n, s->dims[last + 1]);
}

/* Central difference of the loss in one parameter; theta points into s->w or s->b. The step
 * actually taken ((θ+h) - (θ-h), exact in double) is the divisor, not 2h. */
static double
numeric_(struct shadow_ *s, double *theta, int l, int col, int *kink)
{
	double orig = *theta, up = orig + GRADCHECK_STEP, down = orig - GRADCHECK_STEP;
	*theta = up;
	double loss_up = trial_loss_(s, l, col, kink);
	*theta = down;
	double loss_down = trial_loss_(s, l, col, kink);
	*theta = orig;
	return (loss_up - loss_down) / (up - down);
}

/* Multiply-adds of one numerical derivative (two trial passes) for a parameter of layer l. */
static double
element_cost_(const struct net *net, int l, int n)
{
	double cost = (double)n * net->dims[l];
	for (int m = l + 1; m < net->n_layers; m++)
		cost += (double)n * net->dims[m] * net->dims[m + 1];
	return 2.0 * (cost + (double)n * net->dims[net->n_layers]);
}

static int
compare_size_(const void *pa, const void *pb)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	return (a > b) - (a < b);
}

/* Pick k of size indices without replacement (a partial Fisher-Yates shuffle), ascending. */
static void
sample_(size_t *idx, size_t size, size_t k, struct rng *rng)
{
	for (size_t i = 0; i < size; i++)
		idx[i] = i;
	if (k == size)
		return;
	for (size_t i = 0; i < k; i++) {
		size_t j = i + (size_t)rng_below(rng, size - i);
		size_t t = idx[i];
		idx[i] = idx[j];
		idx[j] = t;
	}
	qsort(idx, k, sizeof *idx, compare_size_);
}

/* Fill t's statistics from the analytic and numerical values of its checked elements. */
static void
tensor_stats_(struct gradcheck_tensor *t, const double *ana, const double *num,
	      const unsigned char *kink, size_t k, double noise_floor)
{
	double scale = 0.0;
	for (size_t i = 0; i < k; i++)
		if (!kink[i] && fabs(ana[i]) + fabs(num[i]) > scale)
			scale = fabs(ana[i]) + fabs(num[i]);
	double tiny = GRADCHECK_REL_FLOOR * scale > noise_floor ? GRADCHECK_REL_FLOOR * scale
								 : noise_floor;
	double sum = 0.0;
	size_t used = 0;
	for (size_t i = 0; i < k; i++) {
		if (kink[i]) {
			t->kinks++;
			continue;
		}
		double diff = fabs(ana[i] - num[i]);
		double denom = fabs(ana[i]) + fabs(num[i]);
		double rel = diff / (denom > tiny ? denom : tiny);
		sum += diff;
		used++;
		if (diff > t->max_abs_diff)
			t->max_abs_diff = diff;
		if (rel > t->max_rel_err)
			t->max_rel_err = rel;
	}
	t->checked = k;
	t->mean_abs_diff = used ? sum / used : 0.0;
	/* A NaN anywhere makes the mean NaN, and NaN <= tolerance is false: the tensor fails. */
	t->pass = t->mean_abs_diff <= GRADCHECK_MEAN_TOL && t->max_rel_err <= GRADCHECK_REL_TOL;
	t->weak = t->pass && (used == 0 || scale < noise_floor);
}

int
gradcheck_compare(struct gradcheck_report *rep, const struct net *net, const float *x,
		  const uint8_t *labels, int n, const struct gradcheck_options *opt)
{
	memset(rep, 0, sizeof *rep);
	struct shadow_ s;
	shadow_init_(&s, net, x, labels, n);
	rep->loss64 = shadow_forward_(&s);
	rep->all = 1;
	double loss_size = fabs(rep->loss64) > 1.0 ? fabs(rep->loss64) : 1.0;
	rep->noise_floor = GRADCHECK_NOISE_MARGIN * DBL_EPSILON * loss_size / GRADCHECK_STEP /
			   GRADCHECK_REL_TOL;

	/* Decide how many elements of each tensor to check. */
	size_t count[GRADCHECK_MAX_TENSORS], largest = 0;
	double total = 0.0;
	int n_tensors = 2 * net->n_layers;
	for (int t = 0; t < n_tensors; t++) {
		int l = t / 2;
		size_t size = (size_t)net->dims[l + 1];
		if (t % 2 == 0)
			size *= (size_t)net->dims[l];
		count[t] = size;
		total += (double)size * element_cost_(net, l, n);
		if (size > largest)
			largest = size;
	}
	double budget = opt->budget > 0.0 ? opt->budget : GRADCHECK_BUDGET;
	if (!opt->all && total > budget) {
		double share = budget / total;
		for (int t = 0; t < n_tensors; t++) {
			size_t k = (size_t)ceil((double)count[t] * share);
			if (k < GRADCHECK_MIN_SAMPLE)
				k = GRADCHECK_MIN_SAMPLE;
			if (k < count[t]) {
				count[t] = k;
				rep->all = 0;
			}
		}
	}

	size_t *idx = xmalloc(largest * sizeof *idx);
	double *ana = xmalloc(largest * sizeof *ana);
	double *num = xmalloc(largest * sizeof *num);
	unsigned char *kink = xmalloc(largest);
	struct rng rng;
	rng_seed(&rng, opt->seed);
	rep->pass = 1;
	rep->n_tensors = n_tensors;
	for (int t = 0; t < n_tensors; t++) {
		int l = t / 2, is_bias = t % 2, out = net->dims[l + 1];
		struct gradcheck_tensor *ten = &rep->tensor[t];
		snprintf(ten->name, sizeof ten->name, "%c%d", is_bias ? 'b' : 'W', l + 1);
		ten->rows = is_bias ? 1 : net->dims[l];
		ten->cols = out;
		ten->size = (size_t)ten->rows * out;
		const float *grad = is_bias ? net->db[l] : net->dw[l];
		double *param = is_bias ? s.b[l] : s.w[l];
		sample_(idx, ten->size, count[t], &rng);
		for (size_t i = 0; i < count[t]; i++) {
			size_t e = idx[i];
			int crossed = 0;
			ana[i] = grad[e];
			num[i] = numeric_(&s, param + e, l, (int)(e % (size_t)out), &crossed);
			kink[i] = (unsigned char)crossed;
		}
		tensor_stats_(ten, ana, num, kink, count[t], rep->noise_floor);
		rep->checked += ten->checked;
		rep->kinks += ten->kinks;
		if (ten->mean_abs_diff > rep->max_mean_abs_diff)
			rep->max_mean_abs_diff = ten->mean_abs_diff;
		if (ten->max_rel_err > rep->max_rel_err)
			rep->max_rel_err = ten->max_rel_err;
		rep->pass &= ten->pass;
		rep->n_weak += ten->weak;
	}
	free(idx);
	free(ana);
	free(num);
	free(kink);
	free(s.block);
	return rep->pass;
}

int
gradcheck_run(struct gradcheck_report *rep, struct net *net, const float *x,
	      const uint8_t *labels, int n, const struct gradcheck_options *opt)
{
	float loss = net_forward(net, x, labels, n);
	net_backward(net, x, labels, n);
	int pass = gradcheck_compare(rep, net, x, labels, n, opt);
	rep->loss32 = loss;
	return pass;
}

void
gradcheck_print(FILE *out, const struct gradcheck_report *rep)
{
	fprintf(out, "%-6s %-10s %8s %6s %14s %13s %12s  %s\n", "param", "shape", "checked",
		"kinks", "mean_abs_diff", "max_abs_diff", "max_rel_err", "result");
	for (int t = 0; t < rep->n_tensors; t++) {
		const struct gradcheck_tensor *ten = &rep->tensor[t];
		char shape[32];
		if (ten->name[0] == 'b')
			snprintf(shape, sizeof shape, "%d", ten->cols);
		else
			snprintf(shape, sizeof shape, "%dx%d", ten->rows, ten->cols);
		fprintf(out, "%-6s %-10s %8zu %6zu %14.3e %13.3e %12.3e  %s\n", ten->name, shape,
			ten->checked, ten->kinks, ten->mean_abs_diff, ten->max_abs_diff,
			ten->max_rel_err, ten->weak ? "WEAK" : ten->pass ? "PASS" : "FAIL");
	}
	if (!rep->n_weak)
		return;
	fprintf(out, "note:");
	for (int t = 0; t < rep->n_tensors; t++)
		if (rep->tensor[t].weak)
			fprintf(out, " %s", rep->tensor[t].name);
	fprintf(out, " (WEAK) have no gradient above %.1e, too flat for float64 central "
		"differences to check to %g; a larger --init-std makes them checkable\n",
		rep->noise_floor, GRADCHECK_REL_TOL);
}
