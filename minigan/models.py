"""The documented generator and discriminator, as sequences of layers.

    G: z (N, 100) -> Dense 128 relu -> Dense 256 relu -> Dense 512 relu -> Dense 784 tanh
       -> reshape (N, 28, 28, 1)
    D: x (N, 28, 28, 1) -> Conv2D(128, k3, s3) relu -> Conv2D(256, k3, s3) relu
       -> Conv2D(512, k3, s3) relu -> flatten -> Dense(1)      spatially 28 -> 9 -> 3 -> 1
As in Keras' listing, a relu after a Dense or Conv2D is that layer's activation argument,
part of its spec: the readable engine applies it as a step of its own, the fast ones in the
pass that adds the bias.
D returns a logit; the loss applies the sigmoid (kernels.cpu.losses).

Parameters are named "<layer>/<param>" ("dense1/w", "conv3/b"); see minigan/weights.py
for the file layout and the conversion to PyTorch's.
"""

import dataclasses

import numpy as np

from kernels.checks import ACTIVATIONS as KERNEL_ACTIVATIONS
from minigan.layers import (BatchNorm, Conv2D, Dense, Dropout, MinibatchStddev, Reshape, Tanh,
                            WeightLayer)

Z_DIM = 100
IMAGE_SHAPE = (28, 28, 1)
G_WIDTHS = (128, 256, 512)
D_CHANNELS = (128, 256, 512)


class Sequential:
    """Layers applied in order; backward walks them in reverse (the chain rule)."""

    def __init__(self, layers, ops):
        self.layers = layers
        self.ops = ops
        for layer in layers:  # layers build their parameters on the host; the backend takes them over
            layer.ops = ops
            layer.params = {k: ops.to_device(v) for k, v in layer.params.items()}
            layer.buffers = {k: ops.to_device(v) for k, v in layer.buffers.items()}

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dy, input_grad=True, param_grads=True, layer_done=None):
        """The chain rule, last layer first. input_grad=False skips dL/dinput at the first
        layer (nothing upstream needs it); param_grads=False computes only what flows through.
        layer_done(layer), if given, is called as soon as a layer's gradients are filled (a
        data-parallel run starts sending them then: minigan/distributed.py)."""
        for i in range(len(self.layers) - 1, -1, -1):
            dy = self.layers[i].backward(dy, input_grad or i > 0, param_grads)
            if layer_done is not None and param_grads:
                layer_done(self.layers[i])
        return dy

    def params(self):
        """{"layer/param": array}, in layer order; the arrays themselves, not copies."""
        return {f"{layer.name}/{k}": v for layer in self.layers for k, v in layer.params.items()}

    def grads(self):
        """{"layer/param": gradient} from the last backward, keys as in params()."""
        return {f"{layer.name}/{k}": v for layer in self.layers for k, v in layer.grads.items()}

    def buffers(self):
        """{"layer/buffer": array}: non-trained state (BatchNorm running averages)."""
        return {f"{layer.name}/{k}": v for layer in self.layers for k, v in layer.buffers.items()}

    def use_workspaces(self):
        """Every layer's kernels write into buffers the layer owns from now on (minigan/layers.py):
        after the first pass, a pass allocates nothing, and each overwrites the last one's output."""
        for layer in self.layers:
            layer.use_workspace()

    def use_bf16_products(self):
        """Every dense and convolution layer rounds its products' operands to bfloat16 from now on
        and sums in float32 (its spec's bf16: kernels/cpu/gemm_bf16.py); parameters stay float32."""
        for layer in self.layers:
            if isinstance(layer, WeightLayer):
                layer.spec = dataclasses.replace(layer.spec, bf16=True)

    def power_iteration(self):
        """One power-iteration step in every spectrally normalised layer (minigan/layers.py)."""
        for layer in self.layers:
            if isinstance(layer, WeightLayer):
                layer.power_iteration()

    def arrays(self):
        """params() and buffers() together: what a weights file holds for this net."""
        return {**self.params(), **self.buffers()}

    def train_mode(self):
        """Batch statistics and dropout on (as PyTorch's module.train())."""
        for layer in self.layers:
            layer.training = True

    def eval_mode(self):
        """Running statistics, dropout off (as PyTorch's module.eval())."""
        for layer in self.layers:
            layer.training = False

    def load_params(self, arrays):
        """Copy host arrays into the parameters and buffers in place, checking names and shapes."""
        mine = self.arrays()
        if set(arrays) != set(mine):
            raise ValueError(f"parameter names differ: missing {sorted(set(mine) - set(arrays))}, "
                             f"unexpected {sorted(set(arrays) - set(mine))}")
        for name, value in arrays.items():
            if tuple(value.shape) != tuple(mine[name].shape):
                raise ValueError(f"parameter {name}: shape {tuple(value.shape)}, model expects {tuple(mine[name].shape)}")
            self.ops.copy_into(mine[name], value)
        self.weights_moved()

    def weights_moved(self):
        """Every weight may have changed (an optimizer step, a load): what a layer keeps from
        its w, sigma's last iteration and the bfloat16 copy, is dropped (minigan/layers.py)."""
        for layer in self.layers:
            if isinstance(layer, WeightLayer):
                layer.weights_moved()


ACTIVATIONS = tuple(a for a in KERNEL_ACTIVATIONS if a != "linear")  # a hidden layer's: the kernels' list
LEAKY_SLOPE = 0.2
MINIBATCH_STD_GROUP = 4  # samples per minibatch-stddev group
SPECTRAL_NORM_WARMUP = 15  # power-iteration steps when D is built


def _check_activation(kind):
    if kind not in ACTIVATIONS:
        raise ValueError(f"unknown activation {kind!r}; use one of {', '.join(map(repr, ACTIVATIONS))}")
    return kind


def generator(rng, ops, dtype=np.float32, activation="relu", batchnorm=False, z_dim=Z_DIM, widths=G_WIDTHS):
    """The documented G; batchnorm=True adds BatchNorm after each hidden Dense (before its
    activation). ``widths`` other than the documented ones serve tiny test models. Without
    BatchNorm the activation is fused into the Dense (one pass with the bias); with it, into
    the BatchNorm (one pass with the normalisation)."""
    _check_activation(activation)
    layers, width = [], z_dim
    for i, out in enumerate(widths, start=1):
        if batchnorm:
            layers += [Dense(f"dense{i}", width, out, rng, dtype, bias=False),
                       BatchNorm(f"bn{i}", out, dtype, activation=activation, alpha=LEAKY_SLOPE)]
        else:
            layers.append(Dense(f"dense{i}", width, out, rng, dtype, activation=activation, alpha=LEAKY_SLOPE))
        width = out
    layers += [Dense("dense4", width, int(np.prod(IMAGE_SHAPE)), rng, dtype), Tanh("tanh"),
               Reshape("reshape", IMAGE_SHAPE)]
    return Sequential(layers, ops)


def discriminator(rng, ops, dtype=np.float32, activation="relu", dropout=0.0, minibatch_std=False,
                  channels=D_CHANNELS, spectral_norm=False):
    """The documented D; each convolution's activation is part of its spec; dropout > 0 adds
    Dropout(rate) after each; minibatch_std appends the minibatch standard deviation feature
    before the last Dense; spectral_norm divides every kernel (the convolutions' and the
    Dense's) by its largest singular value."""
    _check_activation(activation)
    layers, c_in = [], IMAGE_SHAPE[2]
    for i, c_out in enumerate(channels, start=1):
        layers.append(Conv2D(f"conv{i}", c_in, c_out, 3, 3, "valid", rng, dtype, activation=activation,
                             alpha=LEAKY_SLOPE, spectral_norm=spectral_norm))
        c_in = c_out
        if dropout:
            layers.append(Dropout(f"drop{i}", dropout, rng))
    layers.append(Reshape("flatten", (-1,)))
    if minibatch_std:
        layers.append(MinibatchStddev("mbstd", MINIBATCH_STD_GROUP))
        c_in += 1
    layers.append(Dense("dense", c_in, 1, rng, dtype, spectral_norm=spectral_norm))
    net = Sequential(layers, ops)
    if spectral_norm:
        # from random u, v to near W's top singular pair before the first step, so the first
        # steps' sigma is W's and not a random projection's (PyTorch's parametrization does 15 too)
        for _ in range(SPECTRAL_NORM_WARMUP):
            net.power_iteration()
    return net
