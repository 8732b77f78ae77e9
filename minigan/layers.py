"""Layers: parameters, their gradients, and what a forward keeps for its backward.

Each layer is a thin object over a pair of kernels from ``kernels.cpu`` (or, with the
same names, ``kernels.cuda``), passed in as ``ops``:

    y  = layer.forward(x)     computes y and keeps what the backward needs (the cache)
    dx = layer.backward(dy)   returns dL/dx and fills layer.grads with dL/dparam

``backward`` never changes a parameter: the optimizer does that, later, from ``grads``.
That keeps every backward a pure function of (dy, cache, params), so it can be
gradient-checked, and lets the trainer decide when and whether parameters move.

A layer given a workspace (``use_workspace``, which the GAN does for its nets) hands it to
every kernel it calls as ``out=``: its outputs, gradients and temporaries are then allocated
once and overwritten by the next call (kernels/workspace.py). Without one, each call
allocates fresh arrays, which is what a test comparing two forwards needs, and what the
backends without buffers (NumPy's baseline, a student's kernels) get.
"""

import numpy as np

from kernels.counter_rng import splitmix64


def glorot_uniform(rng, shape, fan_in, fan_out, dtype):
    """Keras' default kernel initialiser: U(-l, l), l = sqrt(6 / (fan_in + fan_out))."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


def out_argument(workspace):
    """A kernel's out= argument: {'out': workspace}, or nothing at all without one (so that
    backends whose kernels take no buffers can still be called)."""
    return {} if workspace is None else {"out": workspace}


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

    def out(self):
        return out_argument(self.workspace)

    def forward(self, x):
        raise NotImplementedError

    def backward(self, dy, input_grad=True, param_grads=True):
        """dL/dx (None when input_grad is False); fills self.grads unless param_grads is False."""
        raise NotImplementedError


class WeightLayer(Layer):
    """A layer that multiplies by a kernel w: Dense and Conv2D. With spectral_norm it multiplies
    by w / sigma(w) instead (kernels/cpu/spectral_norm.py): sigma's singular vectors u (O,) and
    v (I,) are buffers, stepped by power_iteration(), which the trainer calls once per training
    step. The forward hands sigma to its kernel, which divides by it in the pass that adds the
    bias (w / sigma is never written out); the kernel's backward returns dw with sigma held
    fixed, and spectral_norm_backward adds sigma's own dependence on w.

    A power-iteration step returns sigma for the new u, v: the first forward after it takes that
    one (w has not moved since), and every later forward computes sigma again (the optimizer has
    moved w in between; load_params forgets it too)."""

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

    def scaling(self):
        """The kernel's sigma= argument for this forward: {'sigma': sigma(w)} with spectral norm
        (the power iteration's if this is the first forward since, else computed now: w has moved
        since the last forward), else nothing."""
        if self.spectral_norm:
            self.sigma, self.sigma_of_iteration = self.sigma_of_iteration, None
            if self.sigma is None:
                self.sigma = self.ops.spectral_norm_forward(self.params["w"], self.buffers["sn_u"],
                                                            self.buffers["sn_v"], **self.out())
        return self.kept_scaling()

    def kept_scaling(self):
        """The backward's sigma= argument: the one its forward divided by."""
        return {} if self.sigma is None else {"sigma": self.sigma}

    def kernel_grad(self, dw):
        """dL/dw from the kernel's dw (taken with sigma held fixed, when there is one)."""
        if not self.spectral_norm:
            return dw
        return self.ops.spectral_norm_backward(dw, self.params["w"], self.buffers["sn_u"], self.buffers["sn_v"],
                                               self.sigma, **self.out())

    def power_iteration(self):
        if self.spectral_norm:
            self.sigma_of_iteration = self.ops.spectral_norm_power_iteration(self.params["w"], self.buffers["sn_u"],
                                                                             self.buffers["sn_v"])


class Dense(WeightLayer):
    """y = act(x @ w + b).  x (N, I), w (I, O), b (O,); act None (linear), 'relu' or
    'leaky_relu', applied in the same pass as the bias (kernels/cpu/epilogue.py).

    bias=False for a Dense followed by BatchNorm: BatchNorm subtracts the batch mean, so a
    bias there has a gradient of exactly zero and would only collect round-off (which Adam,
    dividing by its tiny running magnitude, turns into full-size steps)."""

    def __init__(self, name, n_in, n_out, rng, dtype, bias=True, activation=None, alpha=0.2, spectral_norm=False):
        super().__init__(name)
        self.params = {"w": glorot_uniform(rng, (n_in, n_out), n_in, n_out, dtype)}
        if bias:
            self.params["b"] = np.zeros(n_out, dtype=dtype)
        self.no_bias = None  # a zero vector for the kernel when there is no trained bias
        self.activation, self.alpha = activation, alpha
        self.init_spectral_norm(rng, spectral_norm)

    def bias(self):
        if "b" in self.params:
            return self.params["b"]
        if self.no_bias is None:
            self.no_bias = self.ops.zeros_like(self.params["w"][0])
        return self.no_bias

    def forward(self, x):
        self.x = x  # dw = x.T @ dpre needs the input
        self.y = self.ops.dense_forward(x, self.params["w"], self.bias(), self.activation, self.alpha,
                                        **self.scaling(), **self.out())
        return self.y  # kept: the activation's slope is read off it

    def backward(self, dy, input_grad=True, param_grads=True):
        dx, dw, db = self.ops.dense_backward(dy, self.x, self.params["w"], input_grad, param_grads, self.y,
                                             self.activation, self.alpha, **self.kept_scaling(), **self.out())
        if param_grads:
            self.grads["w"] = self.kernel_grad(dw)
            if "b" in self.params:
                self.grads["b"] = db
        return dx


class Conv2D(WeightLayer):
    """NHWC convolution, y = act(conv(x, w) + b).  x (N, H, W, C_in), w (KH, KW, C_in, C_out),
    b (C_out,); act as in Dense, fused with the bias.

    Two convolutions in a row where the second's windows tile the first's output (its kernel =
    stride = B, no padding: D's three) pass the activations in B x B blocks (feed_in_blocks,
    kernels/conv_geometry.py): the first writes y blocked, out_block = B, and the second, in_block
    = B, is a 1 x 1 convolution over them with w seen as (1, 1, B*B*C_in, C_out), so its im2col
    and col2im are reshapes. The parameters keep their shapes either way."""

    def __init__(self, name, c_in, c_out, kernel_size, stride, padding, rng, dtype, activation=None, alpha=0.2,
                 spectral_norm=False):
        super().__init__(name)
        kh, kw = (kernel_size, kernel_size) if np.isscalar(kernel_size) else kernel_size
        self.stride, self.padding = stride, padding
        self.activation, self.alpha = activation, alpha
        self.params = {"w": glorot_uniform(rng, (kh, kw, c_in, c_out), kh * kw * c_in, kh * kw * c_out, dtype),
                       "b": np.zeros(c_out, dtype=dtype)}
        self.init_spectral_norm(rng, spectral_norm)
        self.out_block = self.in_block = 1

    def feed_in_blocks(self, following, out_size):
        """Pass this layer's output, out_size (Ho, Wo) pixels, to the convolution `following` in
        the blocks its windows tile, if they do: -> whether they do."""
        kh, kw = following.params["w"].shape[:2]
        tiles = (kh == kw > 1 and tuple(np.broadcast_to(following.stride, 2)) == (kh, kh)
                 and following.padding in ("valid", 0, (0, 0)) and out_size[0] % kh == 0 and out_size[1] % kh == 0)
        if tiles:
            self.out_block = following.in_block = kh
        return tiles

    def kernel_args(self):
        """w, stride and padding as the kernel sees them: over blocked input, a 1 x 1 convolution
        whose input channels are the block's B*B*C_in values, in w's (kh, kw, c) order."""
        w = self.params["w"]
        if self.in_block == 1:
            return w, self.stride, self.padding
        return w.reshape(1, 1, w.size // w.shape[3], w.shape[3]), 1, "valid"

    def forward(self, x):
        self.x = x
        w, stride, padding = self.kernel_args()
        # y kept: the activation's slope is read off it; cols (im2col of x) kept: dw = cols.T @ dpre
        self.y, self.cols = self.ops.conv2d_forward_with_cols(x, w, self.params["b"], stride, padding, self.activation,
                                                              self.alpha, **self.scaling(), out_block=self.out_block,
                                                              **self.out())
        return self.y

    def backward(self, dy, input_grad=True, param_grads=True):
        w, stride, padding = self.kernel_args()
        dx, dw, db = self.ops.conv2d_backward(dy, self.x, w, stride, padding, input_grad, param_grads, self.y,
                                              self.activation, self.alpha, self.cols, **self.kept_scaling(),
                                              out_block=self.out_block, **self.out())
        if param_grads:
            self.grads["w"], self.grads["b"] = self.kernel_grad(dw.reshape(self.params["w"].shape)), db
        return dx


class ReLU(Layer):
    def forward(self, x):
        self.x = x  # the slope is [x > 0]
        return self.ops.relu_forward(x, **self.out())

    def backward(self, dy, input_grad=True, param_grads=True):
        return self.ops.relu_backward(dy, self.x, **self.out())


class Tanh(Layer):
    def forward(self, x):
        self.y = x = self.ops.tanh_forward(x, **self.out())  # the slope 1 - y^2 is cheapest from the output
        return x

    def backward(self, dy, input_grad=True, param_grads=True):
        return self.ops.tanh_backward(dy, self.y, **self.out())


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
    """Batch normalisation of (N, F) features (kernels/cpu/batchnorm.py).

    Training mode normalises with the batch's own statistics and updates running averages
    as Keras does (moving = momentum * moving + (1 - momentum) * batch, with the biased
    batch variance); inference mode normalises with the averages. ``reduce`` (set by a
    data-parallel GAN, minigan/distributed.py) sums the statistics' partial sums over every
    process's shard, so the statistics are the whole batch's, as in one process.
    activation: None, 'relu' or 'leaky_relu' (slope alpha), applied by the kernels in the
    normalising pass, as Dense and Conv2D fuse theirs with the bias."""

    def __init__(self, name, n_features, dtype, momentum=0.8, eps=1e-3, activation=None, alpha=0.2):
        super().__init__(name)
        self.momentum, self.eps = momentum, eps
        self.activation, self.alpha = activation, alpha
        self.reduce = None
        self.params = {"gamma": np.ones(n_features, dtype=dtype), "beta": np.zeros(n_features, dtype=dtype)}
        self.buffers = {"moving_mean": np.zeros(n_features, dtype=dtype),
                        "moving_var": np.ones(n_features, dtype=dtype)}

    def forward(self, x):
        p, buf = self.params, self.buffers
        if not self.training:
            return self.ops.batchnorm_inference(x, p["gamma"], p["beta"], buf["moving_mean"], buf["moving_var"], self.eps,
                                                self.activation, self.alpha)
        self.y, mean, self.inv_std, self.xhat = self.ops.batchnorm_forward(x, p["gamma"], p["beta"], self.eps,
                                                                            self.reduce, self.activation, self.alpha,
                                                                            **self.out())
        self.ops.batchnorm_running_update(buf["moving_mean"], buf["moving_var"], mean, self.inv_std,
                                          self.momentum, self.eps)
        return self.y  # kept: the activation's slope is read off it

    def backward(self, dy, input_grad=True, param_grads=True):
        dx, dgamma, dbeta = self.ops.batchnorm_backward(dy, self.xhat, self.params["gamma"], self.inv_std,
                                                          self.reduce, self.y, self.activation, self.alpha,
                                                          **self.out())
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
        return self.ops.dropout_forward(x, self.rate, self.key_used, self.rows_used, **self.out())

    def backward(self, dy, input_grad=True, param_grads=True):
        if self.key_used is None:
            return dy
        return self.ops.dropout_backward(dy, self.rate, self.key_used, self.rows_used, **self.out())


class MinibatchStddev(Layer):
    """Appends each group's mean feature standard deviation: (N, F) -> (N, F + 1)."""

    def __init__(self, name, group_size=4):
        super().__init__(name)
        self.group_size = group_size

    def forward(self, x):
        self.x = x  # the statistic's gradient depends on the deviations of x
        return self.ops.minibatch_stddev_forward(x, self.group_size, **self.out())

    def backward(self, dy, input_grad=True, param_grads=True):
        return self.ops.minibatch_stddev_backward(dy, self.x, self.group_size, **self.out())
