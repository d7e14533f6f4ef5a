"""IDX loading shared by the NumPy and PyTorch baselines (no validation: bptrain's own loader
is the checked one; these only have to read the same real MNIST files)."""
import numpy as np


def load_idx(path, images):
    with open(path, "rb") as f:
        data = f.read()
    if images:
        count, rows, cols = (int.from_bytes(data[i:i + 4], "big") for i in (4, 8, 12))
        return np.frombuffer(data, np.uint8, offset=16).reshape(count, rows * cols)
    return np.frombuffer(data, np.uint8, offset=8)
