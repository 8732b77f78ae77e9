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


def precision_note(precision):
    """How this process multiplies at `precision`, for a run's start-up line: '' for float32;
    for bf16 the library, or that the products are emulated and why (kernels/cpu/gemm_bf16.py)."""
    if precision != "bf16":
        return ""
    from kernels.cpu.gemm_bf16 import BF16_PRODUCTS, EMULATED_BECAUSE

    if EMULATED_BECAUSE is None:
        return f", bfloat16 products ({BF16_PRODUCTS})"
    return (f", bfloat16 products EMULATED ({EMULATED_BECAUSE}): the same numbers as native bfloat16, "
            f"slower than float32")
