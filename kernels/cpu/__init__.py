"""The fast CPU engine (Numba ``@njit`` and BLAS): the kernel contract of kernels/contract.py.

The layers' passes take a spec (the options a layer fixes once) and return a cache (what the
forward keeps for its backward), both from kernels/specs.py:

    y, cache   = dense_forward(x, w, b, spec, sigma=None, out=None)     x (N, I), w (I, O), b (O,)
    dx, dw, db = dense_backward(dy, cache, input_grad=True, param_grads=True, out=None)
    y, cache   = conv2d_forward(x, w, b, spec, sigma=None, out=None)    x (N, H, W, C), w (KH, KW, C, F)
    dx, dw, db = conv2d_backward(dy, cache, input_grad=True, param_grads=True, out=None)
    y, cache   = batchnorm_forward(x, gamma, beta, spec, out=None)      x (N, F)
    dx, dgamma, dbeta = batchnorm_backward(dy, cache, out=None)
    y = batchnorm_inference(x, gamma, beta, moving_mean, moving_var, spec)
    batchnorm_running_update(moving_mean, moving_var, cache, momentum)        in place
    adam_update(param, grad, m, v, step, spec)                                in place

docs/contract.md lists the rest (activations, losses, dropout, minibatch stddev, spectral
norm, the other updates, rounding to bfloat16 and back, host/device helpers), which take plain
arrays. Every function takes float32 or float64 arrays (one dtype per call) and returns arrays
of that dtype, but the rounding (float32 to uint16 bits and back). A dense or convolution spec
with bf16=True rounds the layer's GEMM operands to bfloat16 and sums in float32
(kernels/cpu/gemm_bf16.py); its arrays stay float32.

out: None, or a Workspace (kernels/workspace.py) that the results and temporaries are taken
from: caller-owned buffers, allocated on first use and overwritten by the next call, so a
training step allocates nothing once the first has run.

``kernels.reference`` is the same contract as plain loops, one step at a time; this engine is
tested equal to it.
"""

# ruff: noqa: F401  (every name below is exported through __all__ = list(CONTRACT))

from kernels.cpu.activations import (
    leaky_relu_backward,
    leaky_relu_forward,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    tanh_backward,
    tanh_forward,
)
from kernels.cpu.bfloat16_rounding import bfloat16_to_float32, round_to_bfloat16
from kernels.cpu.batchnorm import batchnorm_backward, batchnorm_forward, batchnorm_inference, batchnorm_running_update
from kernels.contract import CONTRACT
from kernels.cpu.conv2d import conv2d_backward, conv2d_forward
from kernels.cpu.dense import dense_backward, dense_forward
from kernels.cpu.dropout import dropout_backward, dropout_forward
from kernels.cpu.spectral_norm import spectral_norm_backward, spectral_norm_forward, spectral_norm_power_iteration
from kernels.cpu.minibatch_stddev import minibatch_stddev_backward, minibatch_stddev_forward
from kernels.cpu.memory import Workspace, concat_rows, copy_into, to_device, to_host, zeros_like
from kernels.cpu.losses import (
    bce_with_logits_backward,
    bce_with_logits_forward,
    softmax_cross_entropy_backward,
    softmax_cross_entropy_forward,
)
from kernels.cpu.optim import adam_update, ema_update, sgd_momentum_update

__all__ = list(CONTRACT)
