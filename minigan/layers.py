"""Layers: parameters, their gradients, and what a forward keeps for its backward.

Each layer is a thin object over a pair of kernels from ``kernels.cpu`` (or, with the
same names, ``kernels.cuda``), passed in as ``ops``:

    y  = layer.forward(x)     computes y and keeps what the backward needs (the cache)
    dx = layer.backward(dy)   returns dL/dx and fills layer.grads with dL/dparam

``backward`` never changes a parameter: the optimizer does that, later, from ``grads``.
That keeps every backward a pure function of (dy, cache, params), so it can be
gradient-checked, and lets the trainer decide when and whether parameters move.

Each forward hands its kernel the layer's spec (the options fixed when the layer was built:
kernels/specs.py) and keeps the cache the kernel returns; the backward hands the cache back:

    y, self.cache = ops.dense_forward(x, w, b, self.spec)
    dx, dw, db    = ops.dense_backward(dy, self.cache)

A layer given a workspace (``use_workspace``, which the GAN does for its nets) hands it to
every kernel it calls as ``out=``: its outputs, gradients and temporaries are then allocated
once and overwritten by the next call (kernels/workspace.py). Without one, each call
allocates fresh arrays, which is what a test comparing two forwards needs.
"""

import dataclasses

import numpy as np

from kernels.counter_rng import splitmix64
from kernels.specs import Activation, BatchNormSpec, ConvSpec, DenseSpec


def glorot_uniform(rng, shape, fan_in, fan_out, dtype):
    """Keras' default kernel initialiser: U(-l, l), l = sqrt(6 / (fan_in + fan_out))."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


class Layer:
    """A layer without parameters unless it sets them in __init__."""

    def __init__(self, name):
        self.name = name
        self.params = {}
        self.grads = {}
        self.buffers = {}  # state that is not trained by gradients (BatchNorm's running averages)
        self.training = True
        self.ops = None  # the kernel module, set by the model
        self.workspace = None  # this layer's buffers, lent to its kernels (use_workspace)

    def use_workspace(self):
        """From now on, the kernels write into buffers this layer owns (ops.Workspace)."""
        self.workspace = self.ops.Workspace()

    def forward(self, x):
        raise NotImplementedError

    def backward(self, dy, input_grad=True, param_grads=True):
        """dL/dx (None when input_grad is False); fills self.grads unless param_grads is False."""
        raise NotImplementedError


class WeightLayer(Layer):
    """A layer that multiplies by a kernel w: Dense and Conv2D. With spectral_norm it multiplies
    by w / sigma(w) instead (kernels/reference/spectral_norm.py): sigma's singular vectors u (O,)
    and v (I,) are buffers, stepped by power_iteration(), which the trainer calls once per
    training step. The forward hands sigma to its kernel, whose backward returns dw with sigma
    held fixed; spectral_norm_backward adds sigma's own dependence on w.

    A power-iteration step returns sigma for the new u, v: the first forward after it takes that
    one (w has not moved since), and every later forward computes sigma again (the optimizer has
    moved w in between; weights_moved, which the model calls then, drops it too).

    With bfloat16 products (spec.bf16) w stays float32, the master copy that the optimizer
    moves, and the products take its bfloat16 copy, rounded on the first forward after w moves
    and kept until it moves again: D's weights serve two forwards between two moves (the G
    step's, just after D's update, and the next step's D step, with only G's update between)."""

    w_bf16 = None  # w's bfloat16 bits while w has not moved (spec.bf16 only)

    def init_spectral_norm(self, rng, spectral_norm):
        self.spectral_norm = spectral_norm
        self.sigma = None
        self.sigma_of_iteration = None  # the last power-iteration step's sigma, until a forward takes it
        if spectral_norm:
            w = self.params["w"]
            n_out = w.shape[-1]
            for name, n in (("sn_u", n_out), ("sn_v", w.size // n_out)):
                a = rng.standard_normal(n)
                self.buffers[name] = (a / np.linalg.norm(a)).astype(w.dtype)

    def forward_sigma(self):
        """sigma(w) for this forward, or None without spectral norm: the power iteration's if this
        is the first forward since, else computed now (w has moved since the last forward)."""
        if self.spectral_norm:
            self.sigma, self.sigma_of_iteration = self.sigma_of_iteration, None
            if self.sigma is None:
                self.sigma = self.ops.spectral_norm_forward(self.params["w"], self.buffers["sn_u"],
                                                            self.buffers["sn_v"], out=self.workspace)
        return self.sigma

    def product_weights(self):
        """w as the products take it: w itself, or with spec.bf16 its bfloat16 copy (uint16)."""
        if not self.spec.bf16:
            return self.params["w"]
        if self.w_bf16 is None:
            self.w_bf16 = self.ops.round_to_bfloat16(self.params["w"], out=self.workspace)
        return self.w_bf16

    def weights_moved(self):
        """w has changed (an optimizer step, a load): a power-iteration step's sigma and the
        bfloat16 copy no longer hold."""
        self.sigma_of_iteration = None
        self.w_bf16 = None

    def kernel_grad(self, dw):
        """dL/dw from the kernel's dw (taken with sigma held fixed, when there is one)."""
        if not self.spectral_norm:
            return dw
        return self.ops.spectral_norm_backward(dw, self.params["w"], self.buffers["sn_u"], self.buffers["sn_v"],
                                               self.sigma, out=self.workspace)

    def power_iteration(self):
        if self.spectral_norm:
            self.sigma_of_iteration = self.ops.spectral_norm_power_iteration(self.params["w"], self.buffers["sn_u"],
                                                                             self.buffers["sn_v"], out=self.workspace)


class Dense(WeightLayer):
    """y = act(x @ w + b).  x (N, I), w (I, O), b (O,); act None (linear), 'relu' or
    'leaky_relu' (slope alpha), part of the layer's spec.

    bias=False for a Dense followed by BatchNorm: BatchNorm subtracts the batch mean, so a
    bias there has a gradient of exactly zero and would only collect round-off (which Adam,
    dividing by its tiny running magnitude, turns into full-size steps)."""

    def __init__(self, name, n_in, n_out, rng, dtype, bias=True, activation=None, alpha=0.2, spectral_norm=False):
        super().__init__(name)
        self.params = {"w": glorot_uniform(rng, (n_in, n_out), n_in, n_out, dtype)}
        if bias:
            self.params["b"] = np.zeros(n_out, dtype=dtype)
        self.no_bias = None  # a zero vector for the kernel when there is no trained bias
        self.spec = DenseSpec(Activation(activation, alpha))
        self.init_spectral_norm(rng, spectral_norm)

    def bias(self):
        if "b" in self.params:
            return self.params["b"]
        if self.no_bias is None:
            self.no_bias = self.ops.zeros_like(self.params["w"][0])
        return self.no_bias

    def forward(self, x):
        y, self.cache = self.ops.dense_forward(x, self.product_weights(), self.bias(), self.spec, self.forward_sigma(),
                                               out=self.workspace)
        return y

    def backward(self, dy, input_grad=True, param_grads=True):
        dx, dw, db = self.ops.dense_backward(dy, self.cache, input_grad=input_grad, param_grads=param_grads,
                                             out=self.workspace)
        if param_grads:
            self.grads["w"] = self.kernel_grad(dw)
            if "b" in self.params:
                self.grads["b"] = db
        return dx


class Conv2D(WeightLayer):
    """NHWC convolution, y = act(conv(x, w) + b).  x (N, H, W, C_in), w (KH, KW, C_in, C_out),
    b (C_out,); stride, padding and act make the layer's spec."""

    def __init__(self, name, c_in, c_out, kernel_size, stride, padding, rng, dtype, activation=None, alpha=0.2,
                 spectral_norm=False):
        super().__init__(name)
        kh, kw = (kernel_size, kernel_size) if np.isscalar(kernel_size) else kernel_size
        self.spec = ConvSpec(stride, padding, Activation(activation, alpha))
        self.params = {"w": glorot_uniform(rng, (kh, kw, c_in, c_out), kh * kw * c_in, kh * kw * c_out, dtype),
                       "b": np.zeros(c_out, dtype=dtype)}
        self.init_spectral_norm(rng, spectral_norm)

    def forward(self, x):
        y, self.cache = self.ops.conv2d_forward(x, self.product_weights(), self.params["b"], self.spec,
                                                self.forward_sigma(), out=self.workspace)
        return y

    def backward(self, dy, input_grad=True, param_grads=True):
        dx, dw, db = self.ops.conv2d_backward(dy, self.cache, input_grad=input_grad, param_grads=param_grads,
                                              out=self.workspace)
        if param_grads:
            self.grads["w"], self.grads["b"] = self.kernel_grad(dw), db
        return dx


class ReLU(Layer):
    def forward(self, x):
        self.x = x  # the slope is [x > 0]
        return self.ops.relu_forward(x, out=self.workspace)

    def backward(self, dy, input_grad=True, param_grads=True):
        return self.ops.relu_backward(dy, self.x, out=self.workspace)


class Tanh(Layer):
    def forward(self, x):
        self.y = self.ops.tanh_forward(x, out=self.workspace)  # the slope 1 - y^2 is cheapest from the output
        return self.y

    def backward(self, dy, input_grad=True, param_grads=True):
        return self.ops.tanh_backward(dy, self.y, out=self.workspace)


class Reshape(Layer):
    """Per-sample reshape: (N, *in) -> (N, *shape). Flatten is Reshape((-1,))."""

    def __init__(self, name, shape):
        super().__init__(name)
        self.shape = tuple(shape)

    def forward(self, x):
        self.in_shape = x.shape
        return x.reshape((x.shape[0],) + self.shape)

    def backward(self, dy, input_grad=True, param_grads=True):
        return dy.reshape(self.in_shape)


class BatchNorm(Layer):
    """Batch normalisation of (N, F) features (kernels/reference/batchnorm.py).

    Training mode normalises with the batch's own statistics and updates running averages
    as Keras does (moving = momentum * moving + (1 - momentum) * batch, with the biased
    batch variance); inference mode normalises with the averages. The spec holds eps, the
    activation after the layer, and reduce, which a data-parallel GAN sets (split_batch,
    minigan/distributed.py) so that the statistics are the whole batch's, as in one process."""

    def __init__(self, name, n_features, dtype, momentum=0.8, eps=1e-3, activation=None, alpha=0.2):
        super().__init__(name)
        self.momentum = momentum
        self.spec = BatchNormSpec(eps, Activation(activation, alpha))
        self.params = {"gamma": np.ones(n_features, dtype=dtype), "beta": np.zeros(n_features, dtype=dtype)}
        self.buffers = {"moving_mean": np.zeros(n_features, dtype=dtype),
                        "moving_var": np.ones(n_features, dtype=dtype)}

    def split_batch(self, reduce):
        """Normalise with the statistics of a batch split over processes: reduce sums a small
        per-feature array over every shard."""
        self.spec = dataclasses.replace(self.spec, reduce=reduce)

    def forward(self, x):
        p, buf = self.params, self.buffers
        if not self.training:
            return self.ops.batchnorm_inference(x, p["gamma"], p["beta"], buf["moving_mean"], buf["moving_var"],
                                                self.spec)
        y, self.cache = self.ops.batchnorm_forward(x, p["gamma"], p["beta"], self.spec, out=self.workspace)
        self.ops.batchnorm_running_update(buf["moving_mean"], buf["moving_var"], self.cache, self.momentum)
        return y

    def backward(self, dy, input_grad=True, param_grads=True):
        dx, dgamma, dbeta = self.ops.batchnorm_backward(dy, self.cache, out=self.workspace)
        if param_grads:
            self.grads["gamma"], self.grads["beta"] = dgamma, dbeta
        return dx


class Dropout(Layer):
    """Inverted dropout in training mode, identity in inference mode. The kernels draw the keep
    mask themselves (kernels/cpu/dropout.py) from a key, one a call: the layer's own key, drawn
    from the model's RNG when the layer is built (so it follows the seed), stepped by the count
    of its training calls, ``draws``, which a checkpoint keeps (GAN.state). The mask is then a
    function of (seed, layer, call, row of the whole batch): CPU and CUDA drop the same units,
    the PyTorch twin given the key drops them too (benchmarks/torch_twin.py), and the backward
    draws the forward's mask again instead of keeping it.

    ``shard`` (set by a data-parallel GAN, minigan/distributed.py) maps this process's rows
    to their rows in the whole batch, so each rank draws just its rows of the whole batch's mask."""

    def __init__(self, name, rate, rng):
        super().__init__(name)
        self.rate = rate
        self.key = int(rng.bit_generator.random_raw())  # 64 bits
        self.draws = 0
        self.shard = None
        self._rows = {}  # batch rows -> their indices in the whole batch, on the device

    def call_key(self):
        """The key of the next training call; counts it."""
        key = splitmix64(self.key, self.draws)
        self.draws += 1
        return key

    def rows(self, n):
        if n not in self._rows:
            whole = np.arange(n) if self.shard is None else self.shard.rows(n)[1]
            self._rows[n] = self.ops.to_device(whole.astype(np.int64))
        return self._rows[n]

    def forward(self, x):
        if not self.training:
            self.key_used = None  # the identity: its backward passes dy through
            return x
        self.key_used, self.rows_used = self.call_key(), self.rows(x.shape[0])
        return self.ops.dropout_forward(x, self.rate, self.key_used, self.rows_used, out=self.workspace)

    def backward(self, dy, input_grad=True, param_grads=True):
        if self.key_used is None:
            return dy
        return self.ops.dropout_backward(dy, self.rate, self.key_used, self.rows_used, out=self.workspace)


class MinibatchStddev(Layer):
    """Appends each group's mean feature standard deviation: (N, F) -> (N, F + 1)."""

    def __init__(self, name, group_size=4):
        super().__init__(name)
        self.group_size = group_size

    def forward(self, x):
        self.x = x  # the statistic's gradient depends on the deviations of x
        return self.ops.minibatch_stddev_forward(x, self.group_size, out=self.workspace)

    def backward(self, dy, input_grad=True, param_grads=True):
        return self.ops.minibatch_stddev_backward(dy, self.x, self.group_size, out=self.workspace)
