/* test_layers: each layer's forward and backward on small cases worked by hand. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "layers.h"

int
main(void)
{
	/* Affine: x(2,3) · w(3,2) + b(2). */
	const float x[] = {1, 2, 3, -1, 0, 2};
	const float w[] = {0.5f, -1, 1, 0, -2, 3};
	const float b[] = {0.1f, -0.2f};
	float y[4];
	affine_forward(y, x, w, b, 2, 3, 2);
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
	return check_report("test_layers");
}
