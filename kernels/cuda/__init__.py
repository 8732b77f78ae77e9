"""CUDA kernels (numba.cuda): the names and signatures of ``kernels.cpu``, on device arrays.

Import this module only when a GPU (or the simulator, NUMBA_ENABLE_CUDASIM=1) is wanted;
it needs numba-cuda (pip install 'minigan[cuda]'). Default variants: tiled shared-memory
GEMM for dense layers, im2col + tiled GEMM for convolutions; the readable
one-thread-per-output variants are ``dense_*_reference`` and ``conv2d_*_reference``.
"""

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
from kernels.cuda.batchnorm import (
    batchnorm_backward,
    batchnorm_forward,
    batchnorm_inference,
    batchnorm_running_update,
)
from kernels.cuda.conv2d import (
    conv2d_backward,
    conv2d_backward_reference,
    conv2d_forward,
    conv2d_forward_reference,
    conv2d_forward_with_cols,
)
from kernels.cuda.dense import (
    dense_backward,
    dense_backward_reference,
    dense_forward,
    dense_forward_reference,
)
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

__all__ = [
    "dense_forward", "dense_backward", "conv2d_forward", "conv2d_forward_with_cols", "conv2d_backward",
    "relu_forward", "relu_backward", "leaky_relu_forward", "leaky_relu_backward",
    "tanh_forward", "tanh_backward", "sigmoid_forward", "sigmoid_backward",
    "batchnorm_forward", "batchnorm_backward", "batchnorm_inference", "batchnorm_running_update",
    "dropout_forward", "dropout_backward", "minibatch_stddev_forward", "minibatch_stddev_backward",
    "spectral_norm_power_iteration", "spectral_norm_forward", "spectral_norm_backward",
    "bce_with_logits_forward", "bce_with_logits_backward",
    "softmax_cross_entropy_forward", "softmax_cross_entropy_backward", "adam_update", "sgd_momentum_update", "ema_update",
    "to_device", "to_host", "zeros_like", "concat_rows", "copy_into", "Workspace",
    "dense_forward_reference", "dense_backward_reference", "conv2d_forward_reference", "conv2d_backward_reference",
]
