"""CUDA kernels (numba.cuda): the kernel contract of kernels/contract.py, on device arrays.

The same names and signatures as ``kernels.cpu`` (whose docstring lists the layers' passes),
the same specs and caches (kernels/specs.py); every array argument and result is a device
array, and spectral norm's sigma a (1,) device array. Import this module only when a GPU (or
the simulator, NUMBA_ENABLE_CUDASIM=1) is wanted; it needs numba-cuda
(pip install 'minigan[cuda]'). Dense layers run a tiled shared-memory GEMM, convolutions
im2col and the same GEMM; each layer's activation is its own elementwise pass. The readable
one-thread-per-output variants, with the formulas' plain signatures, are
kernels/cuda/dense.py's dense_*_reference and kernels/cuda/conv2d.py's conv2d_*_reference
(outside the contract; tests/test_cuda_kernels.py checks them equal to the fast ones).
Products compute in the arrays' dtype: a spec with bf16=True (bfloat16 operands) is refused
until a GPU can test it; the rounding kernels are here.
"""

# ruff: noqa: F401  (every name below is exported through __all__ = list(CONTRACT))

from kernels.contract import CONTRACT
from kernels.cuda.activations import (
    leaky_relu_backward,
    leaky_relu_forward,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    tanh_backward,
    tanh_forward,
)
from kernels.cuda.bfloat16 import bfloat16_to_float32, round_to_bfloat16
from kernels.cuda.batchnorm import (
    batchnorm_backward,
    batchnorm_forward,
    batchnorm_inference,
    batchnorm_running_update,
)
from kernels.cuda.conv2d import conv2d_backward, conv2d_forward
from kernels.cuda.dense import dense_backward, dense_forward
from kernels.cuda.dropout import dropout_backward, dropout_forward
from kernels.cuda.losses import (
    bce_with_logits_backward,
    bce_with_logits_forward,
    softmax_cross_entropy_backward,
    softmax_cross_entropy_forward,
)
from kernels.cuda.memory import Workspace, concat_rows, copy_into, to_device, to_host, zeros_like
from kernels.cuda.minibatch_stddev import (
    minibatch_stddev_backward,
    minibatch_stddev_forward,
)
from kernels.cuda.optim import adam_update, ema_update, sgd_momentum_update
from kernels.cuda.spectral_norm import (
    spectral_norm_backward,
    spectral_norm_forward,
    spectral_norm_power_iteration,
)

__all__ = list(CONTRACT)
