/* gradcheck.h: proving the backward pass against numerical differentiation.
 *
 * The analytic side is the real float32 net_forward/net_backward of net.c: that is what is
 * being proved. The numerical side is a separate double-precision forward pass of the same
 * architecture over the same parameters (copied exactly from float to double), differentiated
 * by central differences. docs/gradcheck.md explains the choices and the tolerances. */
#ifndef BPTRAIN_GRADCHECK_H
#define BPTRAIN_GRADCHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "net.h"

/* Central-difference step. In double the truncation error (h²/6 · L''') and the rounding
 * error (about 1e-16 · L / h) are both below 1e-11 at this step, four orders under the float32
 * error being measured; the book uses the same h. */
#define GRADCHECK_STEP 1e-4

/* A tensor passes when its mean |analytic - numerical| is at most GRADCHECK_MEAN_TOL and its
 * max relative error is at most GRADCHECK_REL_TOL. The relative error of an element is
 * |a - n| / max(|a| + |n|, tiny), where tiny is the larger of two floors:
 *  - GRADCHECK_REL_FLOOR times the largest |a| + |n| of the tensor: float32 backprop errs in
 *    proportion to the terms it sums, not to their (possibly cancelled) result, so gradients
 *    a thousand times below the tensor's largest are judged against that floor;
 *  - the float64 reference's own resolution, about DBL_EPSILON·|L|/h (5e-12 for the book's
 *    net), times GRADCHECK_NOISE_MARGIN / GRADCHECK_REL_TOL, so that its noise alone stays a
 *    tenth of the tolerance. A tensor whose largest gradient is below this floor is too flat
 *    to be checked to GRADCHECK_REL_TOL (deep sigmoid nets at small --init-std): it is
 *    reported WEAK rather than PASS, and is not a failure. */
#define GRADCHECK_MEAN_TOL 1e-6
#define GRADCHECK_REL_TOL 1e-3
#define GRADCHECK_REL_FLOOR 1e-3
#define GRADCHECK_NOISE_MARGIN 10.0

/* Without --gradcheck-all, tensors are sampled so that the numerical side costs at most about
 * this many multiply-adds (about a second), each tensor keeping at least GRADCHECK_MIN_SAMPLE
 * elements (or all it has). The book's net on 3 images fits the budget whole. */
#define GRADCHECK_BUDGET 2e9
#define GRADCHECK_MIN_SAMPLE 200

/* Two tensors (W and b) per affine layer. */
#define GRADCHECK_MAX_TENSORS (2 * NET_MAX_LAYERS)

struct gradcheck_tensor {
	char name[16];        /* "W1", "b1", "W2", ...: numbered from 1 as in the book */
	int rows, cols;       /* (in, out) for W; (1, out) for b */
	size_t size;          /* rows * cols */
	size_t checked;       /* elements compared */
	size_t kinks;         /* of those, excluded because ±h crossed a ReLU kink */
	double mean_abs_diff; /* over the checked elements without kinks */
	double max_abs_diff;
	double max_rel_err;
	int pass; /* within both tolerances */
	int weak; /* passed, but its gradients are below the reference's resolution floor */
};

struct gradcheck_report {
	int n_tensors;
	struct gradcheck_tensor tensor[GRADCHECK_MAX_TENSORS];
	size_t checked, kinks;     /* summed over tensors */
	double max_mean_abs_diff;  /* the worst tensor's mean |diff| */
	double max_rel_err;        /* the worst element's relative error */
	double loss32, loss64;     /* the batch loss from net_forward and from the double pass */
	double noise_floor;        /* the resolution floor of tiny, from loss64 */
	int n_weak;                /* tensors marked weak */
	int all;                   /* every element was checked */
	int pass;                  /* every tensor passed */
};

struct gradcheck_options {
	int all;       /* check every element instead of sampling to the budget */
	uint64_t seed; /* picks the sampled elements, so a run repeats exactly */
	double budget; /* multiply-adds for the numerical side; 0 means GRADCHECK_BUDGET */
};

/* Run net_forward and net_backward on x(n, dims[0]) with labels(n), n <= max_batch, then
 * compare every parameter gradient (or a sample) with central differences and fill rep.
 * Returns 1 when every tensor passes, else 0. net->grads keep the backprop gradients. */
int gradcheck_run(struct gradcheck_report *rep, struct net *net, const float *x,
		  const uint8_t *labels, int n, const struct gradcheck_options *opt);

/* The comparison alone: net->grads (and net->z, for the ReLU pattern) must come from
 * net_forward and net_backward on this same x, labels and n. Tests call it after corrupting
 * a gradient to prove that a wrong backward pass is caught. */
int gradcheck_compare(struct gradcheck_report *rep, const struct net *net, const float *x,
		      const uint8_t *labels, int n, const struct gradcheck_options *opt);

/* One row per tensor: name, shape, checked, kinks, mean/max |diff|, max relative error and
 * PASS, WEAK or FAIL, under a header line; then a note line if any tensor is WEAK. */
void gradcheck_print(FILE *out, const struct gradcheck_report *rep);

#endif
