"""Fashion-MNIST from the Debian package `dataset-fashion-mnist` (IDX files, gzip), as uint8 arrays.

The directory is /usr/share/datasets/fashion-mnist unless FSDDIM_DATA_DIR names another one holding the
same four files (the GPU campaign carries a copy). Images go to [-1, 1] before diffusion, like the paper.
"""
from __future__ import annotations

import gzip
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

from .errors import FsddimError

DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"
DEBIAN_PACKAGE = "dataset-fashion-mnist"
FILES = {
    ("train", "images"): "train-images-idx3-ubyte.gz",
    ("train", "labels"): "train-labels-idx1-ubyte.gz",
    ("test", "images"): "t10k-images-idx3-ubyte.gz",
    ("test", "labels"): "t10k-labels-idx1-ubyte.gz",
}


def data_dir():
    return os.environ.get("FSDDIM_DATA_DIR", DEFAULT_DIR)


def _read_idx(path, expect_dims):
    if not os.path.exists(path):
        raise FsddimError(
            f"{path}: Fashion-MNIST file not found. Install the Debian package '{DEBIAN_PACKAGE}' "
            f"(apt-get install {DEBIAN_PACKAGE}) or point FSDDIM_DATA_DIR at a directory with {os.path.basename(path)}")
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:
        raise FsddimError(f"{path}: cannot read gzip IDX data ({e}); reinstall '{DEBIAN_PACKAGE}'") from None
    if len(raw) < 4 + 4 * expect_dims:
        raise FsddimError(f"{path}: truncated IDX header")
    zero, dtype, ndim = raw[0] * 256 + raw[1], raw[2], raw[3]
    if zero != 0 or dtype != 0x08 or ndim != expect_dims:
        raise FsddimError(f"{path}: expected an IDX uint8 file with {expect_dims} dimensions")
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    body = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise FsddimError(f"{path}: expected {int(np.prod(dims))} values after the header, found {body.size}")
    return body.reshape(dims)


def load(split="train", directory=None):
    """(images uint8 (N, 28, 28), labels uint8 (N,)) of the train or test split."""
    d = directory or data_dir()
    images = _read_idx(os.path.join(d, FILES[(split, "images")]), 3)
    labels = _read_idx(os.path.join(d, FILES[(split, "labels")]), 1)
    if images.shape[0] != labels.shape[0]:
        raise FsddimError(f"{d}: {split} images ({images.shape[0]}) and labels ({labels.shape[0]}) differ in count")
    return images, labels


def to_model_range(images_u8, image_size):
    """uint8 (N, 28, 28) -> float32 (N, 1, S, S) in [-1, 1]; 32 is bilinear-resized like the paper."""
    x = torch.from_numpy(np.array(images_u8, dtype=np.uint8, copy=True)).float().div_(255.0).unsqueeze(1)
    if x.shape[-1] != image_size:
        x = F.interpolate(x, size=(image_size, image_size), mode="bilinear", align_corners=False).clamp_(0, 1)
    return x * 2.0 - 1.0


class Batches:
    """Endless shuffled minibatches from a uint8 array, deterministic for a seed, resumable by index."""

    def __init__(self, images_u8, image_size, batch_size, seed, device="cpu"):
        self.x = to_model_range(images_u8, image_size).to(device)
        self.batch_size = min(batch_size, self.x.shape[0])
        self.seed = seed
        self.n = self.x.shape[0]

    def batch(self, iteration):
        per_epoch = self.n // self.batch_size
        epoch, k = divmod(iteration, per_epoch)
        g = torch.Generator().manual_seed(self.seed * 1000003 + epoch)
        perm = torch.randperm(self.n, generator=g)
        idx = perm[k * self.batch_size:(k + 1) * self.batch_size].to(self.x.device)
        return self.x[idx]
