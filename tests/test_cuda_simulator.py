"""What CI's CUDA simulator is given so that it runs the kernels quickly and right
(kernels/cuda/simulator.py). A real GPU never runs this file."""

import sys
import time

import numpy as np
import pytest
from numba import cuda

import kernels.cuda  # noqa: F401  (prepares the simulator, as every CUDA kernel import does)
from kernels.cuda.simulator import SWITCH_INTERVAL_S

THREADS = 8


@cuda.jit
def _every_thread_sums_the_shared_slots(out):
    slots = cuda.shared.array(THREADS, np.float32)
    t = cuda.threadIdx.x
    slots[t] = t + 1
    cuda.syncthreads()
    acc = np.float32(0)
    for i in range(THREADS):
        acc += slots[i]
    out[t] = acc


def test_a_blocks_threads_share_one_shared_array(monkeypatch):
    """The tiled GEMM's tiles rely on it. The simulator makes a block's array on first use; made
    slow here, so that every thread of the block asks for it before the first has it, the
    array must still be one: each thread sees the sum over all the block's slots."""
    make = np.empty

    def slow_empty(*args, **kwargs):
        time.sleep(0.01)
        return make(*args, **kwargs)

    monkeypatch.setattr(np, "empty", slow_empty)
    out = np.zeros(THREADS, np.float32)
    _every_thread_sums_the_shared_slots[1, THREADS](out)
    assert (out == THREADS * (THREADS + 1) / 2).all(), out


def test_the_simulator_hands_the_gil_over_often():
    """Its busy scheduler otherwise waits out Python's 5 ms switch interval at every thread."""
    assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL_S)
