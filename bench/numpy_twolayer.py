#!/usr/bin/env python3
"""The book's two-layer net (Deep Learning from Scratch, ch. 5) in NumPy, float32, as the
baseline bptrain is compared with: Affine-ReLU-Affine-SoftmaxWithLoss, weights N(0, 0.01^2),
biases 0, batch 100 drawn with replacement, plain SGD, and after every epoch (600 iterations)
and the last iteration the accuracy on the full training and test sets, computed on the whole
arrays at once as the book does. Reads the same IDX files. Usage:
    numpy_twolayer.py [--data DIR] [--hidden N] [--iters N] [--lr X] [--seed N]
The last line has the same key=value fields bptrain prints."""
import time

import numpy as np

from baseline import arg_parser, load_idx, print_epoch, print_summary

start = time.perf_counter()


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class Relu:
    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dout[self.mask] = 0
        return dout


class SoftmaxWithLoss:
    def forward(self, x, t):
        x = x - x.max(axis=1, keepdims=True)
        e = np.exp(x)
        self.y = e / e.sum(axis=1, keepdims=True)
        self.t = t
        n = x.shape[0]
        return -np.log(self.y[np.arange(n), t] + np.float32(1e-7)).mean()

    def backward(self):
        n = self.t.shape[0]
        dx = self.y.copy()
        dx[np.arange(n), self.t] -= 1
        return dx / np.float32(n)


class TwoLayerNet:
    def __init__(self, inputs, hidden, outputs, rng, std=0.01):
        f32 = np.float32
        self.layers = [
            Affine((std * rng.standard_normal((inputs, hidden))).astype(f32), np.zeros(hidden, f32)),
            Relu(),
            Affine((std * rng.standard_normal((hidden, outputs))).astype(f32), np.zeros(outputs, f32)),
        ]
        self.last = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        return self.last.forward(self.predict(x), t)

    def accuracy(self, x, t):
        return float((self.predict(x).argmax(axis=1) == t).mean())

    def step(self, x, t, lr):
        loss = self.loss(x, t)
        dout = self.last.backward()
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        for layer in (self.layers[0], self.layers[2]):
            layer.W -= lr * layer.dW
            layer.b -= lr * layer.db
        return loss


def main():
    p = arg_parser()
    a = p.parse_args()
    x_train = load_idx(f"{a.data}/train-images-idx3-ubyte", True).astype(np.float32) / np.float32(255)
    t_train = load_idx(f"{a.data}/train-labels-idx1-ubyte", False).astype(np.int64)
    x_test = load_idx(f"{a.data}/t10k-images-idx3-ubyte", True).astype(np.float32) / np.float32(255)
    t_test = load_idx(f"{a.data}/t10k-labels-idx1-ubyte", False).astype(np.int64)
    rng = np.random.default_rng(a.seed)
    net = TwoLayerNet(x_train.shape[1], a.hidden, 10, rng)
    lr = np.float32(a.lr)
    batch, epoch = 100, max(x_train.shape[0] // 100, 1)
    train_s, losses = 0.0, []
    for it in range(1, a.iters + 1):
        t0 = time.perf_counter()
        idx = rng.choice(x_train.shape[0], batch)
        losses.append(float(net.step(x_train[idx], t_train[idx], lr)))
        train_s += time.perf_counter() - t0
        if it % epoch == 0 or it == a.iters:
            train_acc = net.accuracy(x_train, t_train)
            test_acc = net.accuracy(x_test, t_test)
            print_epoch(it, epoch, losses, train_acc, test_acc)
            losses = []
    print_summary(train_acc, test_acc, a.hidden, train_s, time.perf_counter() - start)


if __name__ == "__main__":
    main()
