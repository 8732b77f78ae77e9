"""The CPU side of the host/device contract: arrays already live on the host."""

import numpy as np


def to_device(a):
    return np.ascontiguousarray(a)


def to_host(a):
    return np.asarray(a)


def zeros_like(a):
    return np.zeros_like(a)


def concat_rows(a, b):
    """[a; b] along the first axis (the D step's real-then-fake batch)."""
    return np.concatenate([a, b])


def copy_into(dst, src):
    """Overwrite dst's contents with the host array src, in place (references stay valid)."""
    dst[...] = src
