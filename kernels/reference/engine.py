"""The readable engine: the kernel contract (kernels/contract.py) built from plain loops, one step
at a time, with nothing fused and nothing blocked. ``--kernels reference`` trains with it.

A layer's forward here is its steps in a row, each a plain function a student can stop in:

    dense_forward(x, w, b, spec, sigma)        w_sn = w / sigma           spectral norm (if any)
                                               pre  = x @ w_sn + b        kernels/reference/dense.py
                                               y    = act(pre)            kernels/reference/activations.py
    dense_backward(dy, cache)                  dpre = act'(pre) * dy      the activation's backward
                                               dx, dw_sn, db              kernels/reference/dense.py
                                               dw   = dw_sn / sigma       dL/dw with sigma held fixed

and the layer adds sigma's own gradient with spectral_norm_backward (minigan/layers.py). The
steps are the lab's plain functions (``dense_forward(x, w, b)``, ``relu_backward(dy, x)``, ...):
``ReferenceEngine(steps)`` takes any namespace of them, so a student's files take the place of
minigan's (minigan/lab/kernels.py) and train as they are.

Every result is a fresh array: ``out`` is accepted, as the contract has it, and left unused.
Its products compute in the arrays' dtype: a spec with bf16=True (bfloat16 operands) is the
fast CPU engine's, and refused here; the rounding itself is here, as plain loops.
The steps may return float64 (a student's loops allocate so): results are cast back to the
dtype of the inputs. Data parallelism (a BatchNormSpec with ``reduce``) is the fast engines'.
"""

import numpy as np

import kernels.cpu as fast
from kernels.checks import (
    check_batchnorm,
    check_bf16_spec,
    check_bfloat16_bits,
    check_bfloat16_input,
    check_batchnorm_backward,
    check_cache,
    check_conv2d,
    check_dense,
    check_in_place,
    check_same_shape,
    check_spectral_norm,
    check_step,
    check_upstream,
    require_float,
)
from kernels.conv_geometry import output_shape
from kernels.cpu.spectral_norm import as_matrix
from kernels.reference import bfloat16, spectral_norm
from kernels.reference.batchnorm import batchnorm_inference as inference_loops
from kernels.specs import BatchNormCache, ConvCache, DenseCache


def cast(a, like):
    """a in like's dtype (a student's step may compute in float64)."""
    return np.asarray(a).astype(like.dtype, copy=False)


class ReferenceEngine:
    """The contract's functions over ``steps``, a namespace of the lab's plain functions."""

    def __init__(self, steps):
        self.steps = steps

    # -- the activation, its own step ---------------------------------------------------------

    def activate(self, pre, activation):
        if activation.kind == "relu":
            return self.relu_forward(pre)
        if activation.kind == "leaky_relu":
            return self.leaky_relu_forward(pre, activation.alpha)
        return pre

    def activation_grad(self, dy, pre, activation):
        """dpre = dy * act'(pre): the activation's backward, given its input as the lab gives it."""
        if activation.kind == "relu":
            return self.relu_backward(dy, pre)
        if activation.kind == "leaky_relu":
            return self.leaky_relu_backward(dy, pre, activation.alpha)
        return dy

    # -- spectral norm's w / sigma, its own step ----------------------------------------------

    @staticmethod
    def normalised(w, sigma):
        return w if sigma is None else w / sigma

    @staticmethod
    def held_fixed(dw_sn, sigma):
        """dL/dw with sigma held fixed, from the gradient of w / sigma."""
        return dw_sn if sigma is None else dw_sn / sigma

    @staticmethod
    def wanted(dx, dw, db, input_grad, param_grads):
        return (dx if input_grad else None), (dw if param_grads else None), (db if param_grads else None)

    # -- layers -------------------------------------------------------------------------------

    def dense_forward(self, x, w, b, spec, sigma=None, out=None):
        check_dense("dense_forward", x, w, b)
        check_bf16_spec("dense_forward", spec, x, w, engine="the readable engine")
        pre = cast(self.steps.dense_forward(x, self.normalised(w, sigma), b), x)
        y = self.activate(pre, spec.activation)
        return y, DenseCache(x, w, sigma, spec, pre, y)

    def dense_backward(self, dy, cache, input_grad=True, param_grads=True, out=None):
        check_cache("dense_backward", cache, DenseCache)
        x, w, sigma, spec, pre, _ = cache
        check_upstream("dense_backward", dy, (x.shape[0], w.shape[1]), x.dtype)
        dpre = self.activation_grad(dy, pre, spec.activation)
        dx, dw_sn, db = (cast(g, dy) for g in self.steps.dense_backward(dpre, x, self.normalised(w, sigma)))
        return self.wanted(dx, self.held_fixed(dw_sn, sigma), db, input_grad, param_grads)

    def conv2d_forward(self, x, w, b, spec, sigma=None, out=None):
        g = check_conv2d("conv2d_forward", x, w, b, spec.stride, spec.padding)
        check_bf16_spec("conv2d_forward", spec, x, w, engine="the readable engine")
        pre = cast(self.steps.conv2d_forward(x, self.normalised(w, sigma), b, spec.stride, spec.padding), x)
        y = self.activate(pre, spec.activation)
        return y, ConvCache(x, w, sigma, spec, g, pre, y, None)

    def conv2d_backward(self, dy, cache, input_grad=True, param_grads=True, out=None):
        check_cache("conv2d_backward", cache, ConvCache)
        x, w, sigma, spec, g, pre, _, _ = cache
        check_upstream("conv2d_backward", dy, output_shape(g, x.shape[0], w.shape[3]), x.dtype)
        dpre = self.activation_grad(dy, pre, spec.activation)
        grads = self.steps.conv2d_backward(dpre, x, self.normalised(w, sigma), spec.stride, spec.padding)
        dx, dw_sn, db = (cast(a, dy) for a in grads)
        return self.wanted(dx, self.held_fixed(dw_sn, sigma), db, input_grad, param_grads)

    def batchnorm_forward(self, x, gamma, beta, spec, out=None):
        check_batchnorm("batchnorm_forward", x, gamma, beta)
        if spec.reduce is not None:
            raise ValueError("batchnorm_forward: the readable engine runs in one process (a BatchNormSpec with "
                             "reduce= splits the batch over processes); use kernels.cpu under mpiexec")
        pre, mean, inv_std, xhat = (cast(a, x) for a in self.steps.batchnorm_forward(x, gamma, beta, spec.eps))
        y = self.activate(pre, spec.activation)
        return y, BatchNormCache(xhat, mean, inv_std, gamma, spec, pre, y)

    def batchnorm_backward(self, dy, cache, out=None):
        check_cache("batchnorm_backward", cache, BatchNormCache)
        check_batchnorm_backward("batchnorm_backward", dy, cache.xhat, cache.gamma, cache.inv_std)
        dpre = self.activation_grad(dy, cache.pre, cache.spec.activation)
        return tuple(cast(a, dy) for a in self.steps.batchnorm_backward(dpre, cache.xhat, cache.gamma, cache.inv_std))

    def batchnorm_inference(self, x, gamma, beta, moving_mean, moving_var, spec):
        check_batchnorm("batchnorm_inference", x, gamma, beta, mean=moving_mean, var=moving_var)
        y = inference_loops(x, gamma, beta, moving_mean, moving_var, spec.eps)
        return self.activate(y, spec.activation)

    batchnorm_running_update = staticmethod(fast.batchnorm_running_update)  # a plain loop already

    # -- elementwise --------------------------------------------------------------------------

    def elementwise(self, name, x, *args):
        """The step `name` on x (and a saved array and the slope, for a backward), in x's dtype."""
        return cast(getattr(self.steps, name)(x, *args), x)

    def relu_forward(self, x, out=None):
        require_float("relu_forward", "x", x)
        return self.elementwise("relu_forward", x)

    def relu_backward(self, dy, x, out=None):
        check_same_shape("relu_backward", dy=dy, x=x)
        return self.elementwise("relu_backward", dy, x)

    def leaky_relu_forward(self, x, alpha=0.2, out=None):
        require_float("leaky_relu_forward", "x", x)
        return self.elementwise("leaky_relu_forward", x, alpha)

    def leaky_relu_backward(self, dy, x, alpha=0.2, out=None):
        check_same_shape("leaky_relu_backward", dy=dy, x=x)
        return self.elementwise("leaky_relu_backward", dy, x, alpha)

    def tanh_forward(self, x, out=None):
        require_float("tanh_forward", "x", x)
        return self.elementwise("tanh_forward", x)

    def tanh_backward(self, dy, y, out=None):
        check_same_shape("tanh_backward", dy=dy, y=y)
        return self.elementwise("tanh_backward", dy, y)

    def sigmoid_forward(self, x, out=None):
        require_float("sigmoid_forward", "x", x)
        return self.elementwise("sigmoid_forward", x)

    def sigmoid_backward(self, dy, y, out=None):
        check_same_shape("sigmoid_backward", dy=dy, y=y)
        return self.elementwise("sigmoid_backward", dy, y)

    dropout_forward = staticmethod(fast.dropout_forward)  # the mask drawn in a plain loop (kernels/cpu/dropout.py)
    dropout_backward = staticmethod(fast.dropout_backward)
    minibatch_stddev_forward = staticmethod(fast.minibatch_stddev_forward)
    minibatch_stddev_backward = staticmethod(fast.minibatch_stddev_backward)

    # -- spectral norm ------------------------------------------------------------------------

    def spectral_norm_power_iteration(self, w, u, v, eps=1e-12, out=None):
        check_spectral_norm("spectral_norm_power_iteration", w, u, v)
        return w.dtype.type(spectral_norm.power_iteration(as_matrix(w), u, v, w.dtype.type(eps)))

    def spectral_norm_forward(self, w, u, v, out=None):
        check_spectral_norm("spectral_norm_forward", w, u, v)
        return w.dtype.type(spectral_norm.sigma_of(as_matrix(w), u, v))

    def spectral_norm_backward(self, dw, w, u, v, sigma, out=None):
        check_spectral_norm("spectral_norm_backward", w, u, v, dw)
        return spectral_norm.sigma_backward(as_matrix(dw), as_matrix(w), u, v, w.dtype.type(sigma)).reshape(w.shape)

    # -- losses -------------------------------------------------------------------------------

    def bce_with_logits_forward(self, logits, targets):
        check_same_shape("bce_with_logits_forward", logits=logits, targets=targets)
        return logits.dtype.type(self.steps.bce_with_logits_forward(logits, targets))

    def bce_with_logits_backward(self, logits, targets, out=None):
        check_same_shape("bce_with_logits_backward", logits=logits, targets=targets)
        return cast(self.steps.bce_with_logits_backward(logits, targets), logits)

    softmax_cross_entropy_forward = staticmethod(fast.softmax_cross_entropy_forward)  # plain loops already
    softmax_cross_entropy_backward = staticmethod(fast.softmax_cross_entropy_backward)

    # -- updates ------------------------------------------------------------------------------

    def adam_update(self, param, grad, m, v, step, spec):
        check_step("adam_update", step)
        check_in_place("adam_update", param=param, grad=grad, m=m, v=v)
        self.steps.adam_update(param, grad, m, v, step, spec.lr, spec.beta1, spec.beta2, spec.eps)

    sgd_momentum_update = staticmethod(fast.sgd_momentum_update)
    ema_update = staticmethod(fast.ema_update)

    # -- bfloat16 -------------------------------------------------------------------------------

    @staticmethod
    def round_to_bfloat16(x, out=None):
        check_bfloat16_input("round_to_bfloat16", x)
        return bfloat16.round_to_bfloat16(np.ascontiguousarray(x))

    @staticmethod
    def bfloat16_to_float32(bits, out=None):
        check_bfloat16_bits("bfloat16_to_float32", bits)
        return bfloat16.bfloat16_to_float32(np.ascontiguousarray(bits))

    # -- host memory --------------------------------------------------------------------------

    to_device, to_host = staticmethod(fast.to_device), staticmethod(fast.to_host)
    zeros_like, concat_rows, copy_into = (staticmethod(fast.zeros_like), staticmethod(fast.concat_rows),
                                          staticmethod(fast.copy_into))
    Workspace = fast.Workspace
