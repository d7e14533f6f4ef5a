#!/usr/bin/env python3
"""The book's two-layer net in PyTorch on the CPU, float32: Linear-ReLU-Linear with softmax
cross-entropy, weights N(0, 0.01^2), biases 0, batch 100 drawn with replacement, plain SGD,
and the full train and test accuracy after every epoch (600 iterations) and at the end,
computed in one pass over each whole set. Usage:
    torch_twolayer.py [--data DIR] [--hidden N] [--iters N] [--lr X] [--seed N] [--threads N]
The last line has the same key=value fields bptrain prints."""
import time

start = time.perf_counter()

import numpy as np  # noqa: E402
import torch  # noqa: E402

from baseline import arg_parser, load_idx, print_epoch, print_summary  # noqa: E402


def main():
    p = arg_parser()
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    x_train = torch.from_numpy(load_idx(f"{a.data}/train-images-idx3-ubyte", True).astype(np.float32) / 255)
    t_train = torch.from_numpy(load_idx(f"{a.data}/train-labels-idx1-ubyte", False).astype(np.int64))
    x_test = torch.from_numpy(load_idx(f"{a.data}/t10k-images-idx3-ubyte", True).astype(np.float32) / 255)
    t_test = torch.from_numpy(load_idx(f"{a.data}/t10k-labels-idx1-ubyte", False).astype(np.int64))
    model = torch.nn.Sequential(torch.nn.Linear(x_train.shape[1], a.hidden), torch.nn.ReLU(),
                                torch.nn.Linear(a.hidden, 10))
    with torch.no_grad():
        for layer in (model[0], model[2]):
            layer.weight.normal_(0.0, 0.01)
            layer.bias.zero_()
    opt = torch.optim.SGD(model.parameters(), lr=a.lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    batch, epoch = 100, max(x_train.shape[0] // 100, 1)
    train_s, losses = 0.0, []
    for it in range(1, a.iters + 1):
        t0 = time.perf_counter()
        idx = torch.randint(0, x_train.shape[0], (batch,))
        loss = loss_fn(model(x_train[idx]), t_train[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        train_s += time.perf_counter() - t0
        if it % epoch == 0 or it == a.iters:
            with torch.no_grad():
                train_acc = (model(x_train).argmax(1) == t_train).float().mean().item()
                test_acc = (model(x_test).argmax(1) == t_test).float().mean().item()
            print_epoch(it, epoch, losses, train_acc, test_acc)
            losses = []
    print_summary(train_acc, test_acc, a.hidden, train_s, time.perf_counter() - start)


if __name__ == "__main__":
    main()
