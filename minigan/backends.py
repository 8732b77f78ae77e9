"""Which kernel module a model runs on: ``kernels.cpu`` or ``kernels.cuda`` (same names)."""

import importlib

import kernels.cpu


class DeviceError(RuntimeError):
    """The asked-for device cannot be used here; the message says how to fall back."""


def get(device):
    if device == "cpu":
        return kernels.cpu
    if device == "cuda":
        try:
            from numba import cuda
        except ImportError as err:
            raise DeviceError(f"--device cuda needs numba-cuda (pip install 'minigan[cuda]'): {err}. "
                              f"Run with --device cpu instead.") from err
        if not cuda.is_available():
            raise DeviceError("--device cuda: no usable CUDA GPU was found (numba.cuda.is_available() is False). "
                              "Run with --device cpu instead.")
        return importlib.import_module("kernels.cuda")  # compiled lazily: only when asked for
    raise DeviceError(f"unknown device {device!r}; use --device cpu or --device cuda")
