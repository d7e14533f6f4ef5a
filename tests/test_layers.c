/* test_layers: each layer's forward and backward on small cases worked by hand; the affine
 * layer's input blocks and split backward, and the row-wise softmax, against the whole-batch
 * versions bit for bit; inverted dropout's scale and mask; the L2 penalty's gradient against
 * its loss. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gemm.h"
#include "layers.h"
#include "rng.h"
#include "vec.h" /* VEC_MADD: a multiply-add rounded as the kernels round it */

/* affine_forward with input blocks: block 0 from the bias, each later block summed from zero
 * in float and added, exactly as a hand-written loop does it; and affine_backward_weight,
 * affine_backward_bias and the row-wise softmax give the whole-batch functions' bits. */
static void
check_blocks_and_parts_(void)
{
	enum { N = 5, IN = 70, OUT = 19, BLOCKS = 4 };
	struct rng rng;
	rng_seed(&rng, 9);
	float x[N * IN], w[IN * OUT], b[OUT], y[N * OUT], part[N * OUT], want[N * OUT];
	for (int i = 0; i < N * IN; i++)
		x[i] = (float)rng_uniform(&rng) - 0.5f;
	for (int i = 0; i < IN * OUT; i++)
		w[i] = (float)rng_uniform(&rng) - 0.5f;
	for (int j = 0; j < OUT; j++)
		b[j] = (float)rng_uniform(&rng);
	CHECK(affine_block_start(IN, BLOCKS, 0) == 0 && affine_block_start(IN, BLOCKS, 1) == 16 &&
	      affine_block_start(IN, BLOCKS, 2) == 32 && affine_block_start(IN, BLOCKS, 3) == 48 &&
	      affine_block_start(IN, BLOCKS, 4) == IN, "block starts of 70 inputs in 4 blocks");
	affine_forward(y, part, x, w, b, N, IN, OUT, BLOCKS);
	for (int r = 0; r < N; r++)
		for (int j = 0; j < OUT; j++) {
			float acc = b[j];
			for (int blk = 0; blk < BLOCKS; blk++) {
				float sum = blk == 0 ? acc : 0.0f;
				for (int k = affine_block_start(IN, BLOCKS, blk);
				     k < affine_block_start(IN, BLOCKS, blk + 1); k++)
					sum = VEC_MADD(x[r * IN + k], w[k * OUT + j], sum);
				acc = blk == 0 ? sum : acc + sum;
			}
			want[r * OUT + j] = acc;
		}
	CHECK(memcmp(y, want, sizeof y) == 0, "affine_forward in 4 blocks: not block sums in order");
	float one[N * OUT];
	affine_forward(one, NULL, x, w, b, N, IN, OUT, 1);
	int close = 1;
	for (int i = 0; i < N * OUT; i++)
		close &= fabsf(one[i] - y[i]) <= 1e-5f;
	CHECK(close, "affine_forward in 1 and in 4 blocks differ by more than rounding");

	float dy[N * OUT], dx[N * IN], dw[IN * OUT], db[OUT], dw2[IN * OUT], db2[OUT];
	for (int i = 0; i < N * OUT; i++)
		dy[i] = (float)rng_uniform(&rng) - 0.5f;
	affine_backward(dx, dy, dw, db, x, w, N, IN, OUT);
	void *scratch = malloc(mm_scratch_bytes());
	affine_backward_weight(dw2, dy, x, N, IN, OUT, 0, 23, scratch);
	affine_backward_weight(dw2, dy, x, N, IN, OUT, 23, IN, scratch);
	affine_backward_bias(db2, dy, N, OUT);
	free(scratch);
	CHECK(memcmp(dw, dw2, sizeof dw) == 0, "affine_backward_weight in two blocks of rows");
	CHECK(memcmp(db, db2, sizeof db) == 0, "affine_backward_bias");

	uint8_t labels[N];
	for (int r = 0; r < N; r++)
		labels[r] = (uint8_t)(r * 7 % OUT);
	float p[N * OUT], p2[N * OUT];
	double row_loss[N], sum = 0.0;
	float loss = softmax_xent_forward(p, y, labels, N, OUT);
	softmax_xent_forward_rows(p2, row_loss, y, labels, 2, OUT);
	softmax_xent_forward_rows(p2 + 2 * OUT, row_loss + 2, y + 2 * OUT, labels + 2, N - 2, OUT);
	for (int r = 0; r < N; r++)
		sum += row_loss[r];
	CHECK(memcmp(p, p2, sizeof p) == 0, "softmax rows: probabilities");
	CHECK((float)(sum / N) == loss, "softmax rows: the summed row losses are the mean loss");
}

/* Inverted dropout keeps each unit scaled by 1/(1-p), so the expected output is the input,
 * and its backward pass lets through exactly the units the forward pass kept. */
static void
check_dropout_(void)
{
	enum { N = 4000 };
	static float x[N], y[N], dy[N], dx[N];
	for (int i = 0; i < N; i++)
		x[i] = 1.0f + (float)(i % 7), dy[i] = 1.0f;
	dropout_forward(y, x, 40, 100, 0, 99, 0.25f);
	dropout_backward(dx, dy, 40, 100, 0, 99, 0.25f);
	int scaled = 1, same_mask = 1, kept = 0;
	for (int i = 0; i < N; i++) {
		kept += y[i] != 0.0f;
		scaled &= y[i] == 0.0f || fabsf(y[i] - x[i] / 0.75f) <= 1e-6f * x[i];
		same_mask &= (y[i] != 0.0f) == (dx[i] != 0.0f);
	}
	CHECK(scaled, "dropout 0.25 scales the kept units by 1/0.75");
	CHECK(same_mask, "dropout's backward keeps the forward pass's units");
	CHECK(kept > N * 7 / 10 && kept < N * 8 / 10, "dropout 0.25 keeps about 3/4 (%d of %d)", kept,
	      N);
}

/* l2_backward adds the derivative of l2_forward's ½λ Σ w², a central difference of it. */
static void
check_l2_(void)
{
	float w[3] = {0.5f, -2.0f, 3.0f}, dw[3] = {1.0f, 1.0f, 1.0f};
	l2_backward(dw, w, 3, 0.1f);
	for (int i = 0; i < 3; i++) {
		float keep = w[i], h = 1.0f / 64;
		w[i] = keep + h;
		double up = l2_forward(w, 3, 0.1f);
		w[i] = keep - h;
		double down = l2_forward(w, 3, 0.1f);
		w[i] = keep;
		CHECK_NEAR(dw[i] - 1.0f, (up - down) / (2 * h), 1e-6, "L2 gradient, added to dw");
	}
	/* Every square counted once, whatever the length's remainder by the eight sums: with
	 * quarters, every partial sum is exact, so any order gives the same bits. */
	float v[41];
	for (int len = 1; len <= 41; len++) {
		double exact = 0.0;
		for (int i = 0; i < len; i++) {
			v[i] = 0.25f * (float)(i % 13) - 1.5f;
			exact += (double)v[i] * v[i];
		}
		CHECK(l2_forward(v, (size_t)len, 0.1f) == 0.5 * 0.1f * exact,
		      "L2 penalty of %d weights is ½λ Σ w²", len);
	}
}

int
main(void)
{
	/* Affine: x(2,3) · w(3,2) + b(2). */
	const float x[] = {1, 2, 3, -1, 0, 2};
	const float w[] = {0.5f, -1, 1, 0, -2, 3};
	const float b[] = {0.1f, -0.2f};
	float y[4];
	affine_forward(y, NULL, x, w, b, 2, 3, 2, 1);
	/* row 0: 0.5+2-6+0.1 = -3.4, -1+0+9-0.2 = 7.8; row 1: -0.5-4+0.1 = -4.4, 1+6-0.2 = 6.8 */
	CHECK_NEAR(y[0], -3.4, 1e-6, "affine y[0,0]");
	CHECK_NEAR(y[1], 7.8, 1e-6, "affine y[0,1]");
	CHECK_NEAR(y[2], -4.4, 1e-6, "affine y[1,0]");
	CHECK_NEAR(y[3], 6.8, 1e-6, "affine y[1,1]");

	const float dy[] = {1, 2, -1, 0.5f};
	float dx[6], dw[6], db[2];
	memset(dx, 0x7f, sizeof dx); /* garbage: backward must overwrite, not accumulate */
	memset(dw, 0x7f, sizeof dw);
	affine_backward(dx, dy, dw, db, x, w, 2, 3, 2);
	/* dx = dy·wᵀ: row 0: (0.5-2, 1+0, -2+6) = (-1.5, 1, 4); row 1: (-0.5-0.5, -1, 2+1.5) */
	const float dx_want[] = {-1.5f, 1, 4, -1, -1, 3.5f};
	/* dw = xᵀ·dy: (1·1 + -1·-1, 1·2 + -1·0.5), (2·1 + 0, 2·2 + 0), (3 - 2, 6 + 1) */
	const float dw_want[] = {2, 1.5f, 2, 4, 1, 7};
	for (int i = 0; i < 6; i++) {
		CHECK_NEAR(dx[i], dx_want[i], 1e-6, "affine dx");
		CHECK_NEAR(dw[i], dw_want[i], 1e-6, "affine dw");
	}
	CHECK_NEAR(db[0], 0, 1e-6, "affine db[0] sums the batch");
	CHECK_NEAR(db[1], 2.5, 1e-6, "affine db[1] sums the batch");

	/* ReLU passes the gradient only where the input was positive (0 itself blocks it). */
	const float rx[] = {-2, 0, 3, 1e-30f};
	const float rdy[] = {10, 20, 30, 40};
	float ry[4], rdx[4];
	relu_forward(ry, rx, 4);
	relu_backward(rdx, rdy, rx, 4);
	CHECK(ry[0] == 0 && ry[1] == 0 && ry[2] == 3 && ry[3] == 1e-30f, "relu forward");
	CHECK(rdx[0] == 0 && rdx[1] == 0 && rdx[2] == 30 && rdx[3] == 40, "relu backward");

	/* Sigmoid: s(0) = 1/2, s'(0) = 1/4; s(ln 3) = 3/4, s' = 3/16; saturates without NaN. */
	const float sx[] = {0, logf(3), -1000, 1000};
	const float sdy[] = {1, 2, 1, 1};
	float sy[4], sdx[4];
	sigmoid_forward(sy, sx, 4);
	sigmoid_backward(sdx, sdy, sy, 4);
	CHECK_NEAR(sy[0], 0.5, 1e-7, "sigmoid(0)");
	CHECK_NEAR(sy[1], 0.75, 1e-6, "sigmoid(ln 3)");
	CHECK(sy[2] == 0.0f && sy[3] == 1.0f, "sigmoid saturates: %g %g", sy[2], sy[3]);
	CHECK_NEAR(sdx[0], 0.25, 1e-7, "sigmoid backward at 0");
	CHECK_NEAR(sdx[1], 2 * 0.1875, 1e-6, "sigmoid backward at ln 3");
	CHECK(sdx[2] == 0.0f && sdx[3] == 0.0f, "saturated sigmoid has zero gradient");

	/* Softmax-with-loss on logits (0, ln 2, ln 5): probs (1/8, 2/8, 5/8). */
	const float z[] = {0, logf(2), logf(5), 1000, -1000, 1000};
	const uint8_t labels[] = {1, 2};
	float p[6], dz[6];
	float loss = softmax_xent_forward(p, z, labels, 1, 3);
	CHECK_NEAR(p[0], 0.125, 1e-7, "softmax p0");
	CHECK_NEAR(p[1], 0.25, 1e-7, "softmax p1");
	CHECK_NEAR(p[2], 0.625, 1e-7, "softmax p2");
	CHECK_NEAR(loss, -log(0.25), 1e-6, "loss = -log p[label]");
	softmax_xent_backward(dz, p, labels, 1, 3);
	CHECK_NEAR(dz[0], 0.125, 1e-7, "dlogits = p - onehot");
	CHECK_NEAR(dz[1], -0.75, 1e-7, "dlogits at the label");
	CHECK_NEAR(dz[2], 0.625, 1e-7, "dlogits p2");

	/* Huge logits: stable softmax, no inf or NaN, and a finite loss even when the label's
	 * probability underflows. Batch of 2 so the gradient carries the 1/n. */
	loss = softmax_xent_forward(p, z, labels, 2, 3);
	int finite = 1;
	for (int i = 0; i < 6; i++)
		finite &= isfinite(p[i]);
	CHECK(finite, "softmax of ±1000 stays finite");
	CHECK_NEAR(p[3], 0.5, 1e-7, "softmax(1000, -1000, 1000)[0]");
	CHECK_NEAR(p[4], 0.0, 1e-30, "softmax(1000, -1000, 1000)[1]");
	/* row 0: -log(1/4); row 1: label 2 has p = 1/2 */
	CHECK_NEAR(loss, (-log(0.25) - log(0.5)) / 2, 1e-6, "mean loss over the batch");
	const float z_low[] = {1000, -1000, 0};
	const uint8_t label_low[] = {1};
	loss = softmax_xent_forward(p, z_low, label_low, 1, 3);
	CHECK(isfinite(loss) && fabs(loss - 2000.0) < 1e-3, "loss of an underflowed label: %g", loss);
	softmax_xent_backward(dz, p, labels, 2, 3);
	CHECK_NEAR(dz[5], (0.5 - 1) / 2, 1e-7, "dlogits divided by the batch size");
	check_blocks_and_parts_();
	check_dropout_();
	check_l2_();
	return check_report("test_layers");
}
