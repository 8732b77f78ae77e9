"""The kernel contract's two small objects: a layer's spec, and a forward's cache.

As in cs231n, a layer fixes its options once and passes them as one spec, and a forward
returns what its backward needs as one cache:

    y, cache   = dense_forward(x, w, b, spec)            spec = DenseSpec("relu")
    dx, dw, db = dense_backward(dy, cache)

Every engine (``kernels.reference``, ``kernels.cpu``, ``kernels.cuda``) takes these same
specs and fills these same caches; what an engine keeps in a cache is its own business
(the readable engine keeps the activation's input, the fast ones its output), and a caller
never reads a cache, it only hands it back. docs/contract.md lists every signature.
"""

from dataclasses import dataclass
from typing import Any, Callable, NamedTuple, Optional

from kernels.checks import check_activation, check_adam, check_batchnorm_spec, check_flag
from kernels.conv_geometry import check_padding, check_stride


@dataclass(frozen=True)
class Activation:
    """What follows a dense, convolution or BatchNorm layer: 'linear', 'relu' or 'leaky_relu'
    with its slope alpha below zero."""

    kind: str = "linear"
    alpha: float = 0.2

    def __post_init__(self):
        object.__setattr__(self, "kind", check_activation("activation", self.kind, self.alpha))
        object.__setattr__(self, "alpha", float(self.alpha))


@dataclass(frozen=True)
class DenseSpec:
    """A dense layer's options: y = act(x @ w + b); bf16: its products on bfloat16 operands
    (x, w and the upstream gradient rounded to nearest, sums in float32; float32 arrays)."""

    activation: Activation = Activation()
    bf16: bool = False

    def __post_init__(self):
        check_flag("DenseSpec", "bf16", self.bf16)


@dataclass(frozen=True)
class ConvSpec:
    """A convolution's options: stride (an int or (sh, sw)), padding (an int, (ph, pw), 'valid'
    or 'same'), the activation after it, and bf16 as DenseSpec's (the im2col matrix rounded too)."""

    stride: Any = 1
    padding: Any = "valid"
    activation: Activation = Activation()
    bf16: bool = False

    def __post_init__(self):
        check_stride("ConvSpec", self.stride)
        check_padding("ConvSpec", self.padding)
        check_flag("ConvSpec", "bf16", self.bf16)


@dataclass(frozen=True)
class BatchNormSpec:
    """BatchNorm's options: eps, the activation after it, and reduce, a callable that sums a
    small per-feature array over every shard of a batch split between processes (an MPI
    allreduce: minigan/distributed.py), so that the statistics are the whole batch's; None in
    one process."""

    eps: float = 1e-3
    activation: Activation = Activation()
    reduce: Optional[Callable] = None

    def __post_init__(self):
        check_batchnorm_spec("BatchNormSpec", self.eps, self.reduce)


@dataclass(frozen=True)
class AdamSpec:
    """Adam's hyper-parameters (Kingma & Ba 2015)."""

    lr: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    def __post_init__(self):
        check_adam("AdamSpec", self.lr, self.beta1, self.beta2, self.eps)


class DenseCache(NamedTuple):
    """What dense_forward keeps for dense_backward."""

    x: Any  # the input (N, I)
    w: Any  # the kernel (I, O), as given (not divided by sigma)
    sigma: Any  # spectral norm's sigma, or None
    spec: DenseSpec
    pre: Any  # the activation's input (N, O), where the engine keeps it, else None
    y: Any  # the output (N, O)


class ConvCache(NamedTuple):
    """What conv2d_forward keeps for conv2d_backward."""

    x: Any  # the input (N, H, W, C)
    w: Any  # the kernels (KH, KW, C, F), as given
    sigma: Any
    spec: ConvSpec
    geometry: Any  # the ConvGeometry the forward resolved (kernels/conv_geometry.py)
    pre: Any  # the activation's input (N, Ho, Wo, F), where the engine keeps it, else None
    y: Any  # the output (N, Ho, Wo, F)
    cols: Any  # the im2col matrix the forward multiplied, where the engine has one, else None


class BatchNormCache(NamedTuple):
    """What batchnorm_forward keeps for batchnorm_backward and batchnorm_running_update."""

    xhat: Any  # the normalised input (N, F)
    mean: Any  # the batch mean (F,)
    inv_std: Any  # 1 / sqrt(var + eps) (F,)
    gamma: Any  # the scale (F,), as given
    spec: BatchNormSpec
    pre: Any  # the activation's input (N, F), where the engine keeps it, else None
    y: Any  # the output (N, F)
