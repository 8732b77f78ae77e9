"""CPU kernels (Numba ``@njit``). The public contract, one name per pass:

    y          = dense_forward(x, w, b[, activation, alpha, sigma])                 x (N, I), w (I, O), b (O,)
    dx, dw, db = dense_backward(dy, x, w[, input_grad, param_grads, y, activation, alpha, sigma])
    y          = conv2d_forward(x, w, b, stride, padding[, activation, alpha, sigma, out_block])
                                                       x (N, H, W, C), w (KH, KW, C, F)
    y, cols    = conv2d_forward_with_cols(...)    the same, and the im2col matrix for the backward to reuse
    dx, dw, db = conv2d_backward(dy, x, w, stride, padding[, input_grad, param_grads, y, activation, alpha, cols,
                                 sigma, out_block])
    dense_forward_reference, dense_backward_reference, conv2d_forward_reference,
    conv2d_backward_reference: the readable loops, same arguments without the activation
        activation: None, 'relu' or 'leaky_relu', fused with the bias (epilogue.py); its
        backward reads the slope off the forward's output y
        sigma: spectral norm's; the layer multiplies by w / sigma without writing it out
        out_block: B > 1 writes y (and takes dy) in B x B blocks, (N, Ho/B, Wo/B, B*B*F): the
        im2col matrix of a next convolution with kernel = stride = B (kernels/conv_geometry.py)
    y = relu_forward(x)               dx = relu_backward(dy, x)
    y = leaky_relu_forward(x, alpha)  dx = leaky_relu_backward(dy, x, alpha)
    y = tanh_forward(x)               dx = tanh_backward(dy, y)
    y = sigmoid_forward(x)            dx = sigmoid_backward(dy, y)
    loss = bce_with_logits_forward(logits, targets)
    dlogits = bce_with_logits_backward(logits, targets)
    loss = softmax_cross_entropy_forward(logits, labels)          logits (N, K), integer labels (N,)
    dlogits = softmax_cross_entropy_backward(logits, labels)
    y, mean, inv_std, xhat = batchnorm_forward(x, gamma, beta, eps[, reduce, activation, alpha])   x (N, F)
    dx, dgamma, dbeta = batchnorm_backward(dy, xhat, gamma, inv_std[, reduce, y, activation, alpha])
        reduce: a callable summing a per-feature array over every shard of a split batch
        (data parallelism): the statistics are then the whole batch's
    y = batchnorm_inference(x, gamma, beta, mean, var, eps[, activation, alpha])   running statistics
    batchnorm_running_update(moving_mean, moving_var, mean, inv_std, momentum, eps)   in place
    y = minibatch_stddev_forward(h, group_size, eps)   dh = minibatch_stddev_backward(dy, h, group_size, eps)
    sigma = spectral_norm_power_iteration(w, u, v)   in place on u (O,), v (I,); w (I, O) or (KH, KW, C_in, O);
        sigma: v^T M u for the new u, v (what spectral_norm_forward would return), from the step's last norm
    sigma = spectral_norm_forward(w, u, v)     dw = spectral_norm_backward(dw_fixed, w, u, v, sigma)
        dw_fixed: dL/dw with sigma held fixed, what dense/conv2d_backward(..., sigma=) return
    y = dropout_forward(x, rate, key[, rows])    dx = dropout_backward(dy, rate, key[, rows])
        the keep mask drawn in the kernel from key (a uint64, one a call) and each unit's place
        in the whole batch (rows: x's rows' indices in it), by kernels/counter_rng.py
    adam_update(param, grad, m, v, step, lr, beta1, beta2, eps)      in place
    sgd_momentum_update(param, grad, velocity, lr, momentum)         in place
    ema_update(shadow, param, decay)     in place: shadow = decay shadow + (1 - decay) param

Every function takes float32 or float64 arrays (one dtype per call) and returns arrays
of that dtype. Readable loop references sit beside the fast variants in each module.

Every pass a training step runs (the README lists them) also takes out=None, or a
Workspace() to take its results and temporaries from (kernels/workspace.py): caller-owned buffers, allocated on first use and overwritten
by the next call, so a training step allocates nothing once the first has run. The
references, and a call without out=, allocate fresh arrays.

Host/device helpers, so one trainer drives either backend: to_device, to_host,
zeros_like, concat_rows (on the CPU they are plain NumPy).
"""

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
from kernels.cpu.batchnorm import batchnorm_backward, batchnorm_forward, batchnorm_inference, batchnorm_running_update
from kernels.cpu.conv2d import (
    conv2d_backward,
    conv2d_backward_reference,
    conv2d_forward,
    conv2d_forward_reference,
    conv2d_forward_with_cols,
)
from kernels.cpu.dense import dense_backward, dense_backward_reference, dense_forward, dense_forward_reference
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

__all__ = [
    "dense_forward", "dense_backward", "conv2d_forward", "conv2d_forward_with_cols", "conv2d_backward",
    "dense_forward_reference", "dense_backward_reference", "conv2d_forward_reference", "conv2d_backward_reference",
    "relu_forward", "relu_backward", "leaky_relu_forward", "leaky_relu_backward",
    "tanh_forward", "tanh_backward", "sigmoid_forward", "sigmoid_backward",
    "batchnorm_forward", "batchnorm_backward", "batchnorm_inference", "batchnorm_running_update", "dropout_forward", "dropout_backward", "minibatch_stddev_forward", "minibatch_stddev_backward",
    "spectral_norm_power_iteration", "spectral_norm_forward", "spectral_norm_backward",
    "bce_with_logits_forward", "bce_with_logits_backward",
    "softmax_cross_entropy_forward", "softmax_cross_entropy_backward", "adam_update", "sgd_momentum_update", "ema_update",
    "to_device", "to_host", "zeros_like", "concat_rows", "copy_into", "Workspace",
]
