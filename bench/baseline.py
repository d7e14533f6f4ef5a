"""What the NumPy and PyTorch baselines share: reading the IDX files (no validation: bptrain's
own loader is the checked one; these only read the same real MNIST files) and printing rows
and the summary in bptrain's layout, so bench/run.sh parses all three the same way."""
import argparse

import numpy as np


def arg_parser():
    """The flags both baselines take, with bptrain's defaults."""
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="mnist")
    p.add_argument("--hidden", type=int, default=50)
    p.add_argument("--iters", type=int, default=10000)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=42)
    return p


def load_idx(path, images):
    with open(path, "rb") as f:
        data = f.read()
    if images:
        count, rows, cols = (int.from_bytes(data[i:i + 4], "big") for i in (4, 8, 12))
        return np.frombuffer(data, np.uint8, offset=16).reshape(count, rows * cols)
    return np.frombuffer(data, np.uint8, offset=8)


def print_epoch(it, epoch, losses, train_acc, test_acc):
    """One table row after iteration it, epochs being `epoch` iterations long."""
    print(f"{it // epoch + (it % epoch > 0):5d} {it:7d} {np.mean(losses):9.4f} "
          f"{train_acc:9.4f} {test_acc:9.4f}", flush=True)


def print_summary(train_acc, test_acc, hidden, train_s, total_s):
    print(f"train_acc={train_acc:.4f} test_acc={test_acc:.4f} hidden={hidden} "
          f"train_s={train_s:.3f} total_s={total_s:.3f}")
