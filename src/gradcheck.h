/* gradcheck.h: proving the backward pass against numerical differentiation.
 *
 * The analytic side is the gradient a training step computes: trainer_step (src/train.h) on
 * the check's images, by the fast path when training would use it, without the update. The
 * numerical side is a separate double-precision forward pass over the same layer list and
 * the same parameters (copied exactly from float to double), differentiated by central
 * differences. docs/gradcheck.md explains the choices and the tolerances. */
#ifndef BPTRAIN_GRADCHECK_H
#define BPTRAIN_GRADCHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "net.h"
#include "train.h"

/* Central-difference step. In double the truncation error (h²/6 · L''') and the rounding
 * error (about 1e-16 · L / h) are both below 1e-11 at this step for the book's net, four
 * orders under the float32 error being measured; the book uses the same h. */
#define GRADCHECK_STEP 1e-4

/* An element passes when |analytic - numerical| <= max(REL_TOL · (|analytic| + |numerical|),
 * floor), and a tensor when all its checked elements do. The floor is what float32 and the
 * float64 reference cannot resolve:
 *  - GRADCHECK_F32_MARGIN · FLT_EPSILON · M, where M bounds the sum of the magnitudes of the
 *    terms float32 added up to get that gradient (a backward pass over |values|, see
 *    gradcheck.c): float32 backprop errs in proportion to the terms it sums, not to their
 *    result, which may cancel to almost nothing (an output bias over a balanced batch);
 *  - the float64 reference's own resolution, GRADCHECK_NOISE_MARGIN · DBL_EPSILON · |L| / h.
 * A tensor whose largest gradient is below noise / REL_TOL cannot be checked to REL_TOL
 * (deep sigmoid nets at small --init-std): it is reported WEAK rather than PASS, and is not a
 * failure. */
#define GRADCHECK_REL_TOL 1e-3
#define GRADCHECK_F32_MARGIN 64.0
#define GRADCHECK_NOISE_MARGIN 10.0

/* Without --gradcheck-all, tensors are sampled so that the numerical side costs at most about
 * this many multiply-adds (about a second), each tensor keeping at least GRADCHECK_MIN_SAMPLE
 * elements (or all it has), always including its largest |analytic gradient|, where a wrong
 * element does the most harm. The book's net on 3 images fits the budget whole. */
#define GRADCHECK_BUDGET 2e9
#define GRADCHECK_MIN_SAMPLE 200

/* Two tensors (W and b) per affine layer, two (γ and β) per batch normalization. */
#define GRADCHECK_MAX_TENSORS (4 * NET_MAX_AFFINE)

struct gradcheck_tensor {
	char name[16];        /* "W1", "b1", "gamma1", "beta1", "W2", ...: as the book names them */
	int rows, cols;       /* (in, out) for W; (1, out) for b, gamma and beta */
	size_t size;          /* rows * cols */
	size_t checked;       /* elements compared */
	size_t kinks;         /* of those, left out because ±h crossed a ReLU kink */
	double mean_abs_diff; /* over the checked elements without kinks */
	double max_abs_diff;
	double max_rel_err;   /* the largest |a - n| / (|a| + |n|) */
	double max_score;     /* the largest |a - n| / allowed: the tensor passes when <= 1 */
	int pass;
	int weak; /* passed, but its gradients are below the reference's resolution */
};

struct gradcheck_report {
	int n_tensors;
	struct gradcheck_tensor tensor[GRADCHECK_MAX_TENSORS];
	size_t checked, kinks; /* summed over tensors */
	double max_rel_err;    /* the worst element's */
	double max_score;      /* the worst element's */
	double loss32, loss64; /* the batch loss from the training step and from the double pass */
	double noise_floor;    /* the float64 reference's resolution, from loss64 */
	int n_weak;            /* tensors marked weak */
	int all;               /* every element was checked */
	int pass;              /* every tensor passed */
};

struct gradcheck_options {
	int all;       /* check every element instead of sampling to the budget */
	uint64_t seed; /* picks the sampled elements, so a run repeats exactly */
	double budget; /* multiply-adds for the numerical side; 0 means GRADCHECK_BUDGET */
};

/* Run one training step's gradient (trainer_step without an update) on n images with
 * labels, n <= max_batch, then compare every parameter gradient (or a sample) with central
 * differences and fill rep. Returns 1 when every tensor passes, else 0. */
int gradcheck_run(struct gradcheck_report *rep, struct trainer *t, const uint8_t *const *images,
		  const uint8_t *labels, int n, const struct gradcheck_options *opt);

/* The comparison alone: net->grads and the layers' outputs must come from a training
 * forward and backward pass on x(n, dims[0]) and labels. Tests call it after corrupting a
 * gradient to prove that a wrong backward pass is caught. */
int gradcheck_compare(struct gradcheck_report *rep, const struct net *net, const float *x,
		      const uint8_t *labels, int n, const struct gradcheck_options *opt);

/* One row per tensor: name, shape, checked, kinks, mean/max |diff|, max relative error, max
 * score and PASS, WEAK or FAIL, under a header line; then a note line if any tensor is WEAK. */
void gradcheck_print(FILE *out, const struct gradcheck_report *rep);

#endif
