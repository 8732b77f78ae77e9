"""Every layer of the documented GAN, forward and backward, at batch 32 and 256, in each engine."""

import numpy as np
import pytest

import kernels.cpu as K
import kernels.reference as R
from benchmarks import numpy_ops as N
from benchmarks.conftest import TF_ENGINES, need, run, tensorflow
from kernels.specs import ConvSpec, DenseSpec

LAYERS = [  # name, kind, input shape (no batch), weight shape
    ("G.dense1", "dense", (100,), (100, 128)), ("G.dense2", "dense", (128,), (128, 256)),
    ("G.dense3", "dense", (256,), (256, 512)), ("G.dense4", "dense", (512,), (512, 784)),
    ("D.conv1", "conv", (28, 28, 1), (3, 3, 1, 128)), ("D.conv2", "conv", (9, 9, 128), (3, 3, 128, 256)),
    ("D.conv3", "conv", (3, 3, 256), (3, 3, 256, 512)), ("D.dense", "dense", (512,), (512, 1)),
]
# the engines of the kernel contract: the fast one, the readable loops (kernels/reference/), NumPy's
CONTRACT_ENGINES = {"minigan": K, "minigan-reference": R, "numpy": N}
ENGINES = [*CONTRACT_ENGINES, "torch", *TF_ENGINES]


def arrays(in_shape, w_shape, batch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, *in_shape)).astype(np.float32)
    w = (rng.standard_normal(w_shape) * 0.05).astype(np.float32)
    b = np.zeros(w_shape[-1], np.float32)
    return x, w, b


def flops(kind, x, w, direction):
    if kind == "dense":
        macs = x.shape[0] * w.shape[0] * w.shape[1]
    else:
        macs = x.shape[0] * (x.shape[1] // 3) * (x.shape[2] // 3) * w.size
    return 2 * macs * (1 if direction == "forward" else 2)  # backward: dx and dw


def contract_fns(ops, kind, x, w, b):
    """The layer's forward and backward through an engine of the kernel contract (kernels.cpu,
    kernels.reference or benchmarks/numpy_ops.py): the backward is handed one forward's cache."""
    forward_fn, backward_fn = ((ops.dense_forward, ops.dense_backward) if kind == "dense" else
                               (ops.conv2d_forward, ops.conv2d_backward))
    spec = DenseSpec() if kind == "dense" else ConvSpec(3, "valid")
    y, cache = forward_fn(x, w, b, spec)
    return (lambda: forward_fn(x, w, b, spec)), (lambda: backward_fn(y, cache))


def torch_fns(kind, x, w, b):
    torch = need("torch", "PyTorch is not installed: pip install torch==2.13.0")
    F = torch.nn.functional
    if kind == "dense":  # nn.Linear's layout: weight (out, in)
        xt, wt, bt = torch.tensor(x), torch.tensor(w.T.copy()), torch.tensor(b)
        op = lambda xx, ww, bb: F.linear(xx, ww, bb)
    else:  # native NCHW / (F, C, KH, KW)
        xt, wt, bt = torch.tensor(x.transpose(0, 3, 1, 2).copy()), torch.tensor(w.transpose(3, 2, 0, 1).copy()), torch.tensor(b)
        op = lambda xx, ww, bb: F.conv2d(xx, ww, bb, stride=3)
    for t in (xt, wt, bt):
        t.requires_grad_(True)
    y = op(xt, wt, bt)
    dy = torch.ones_like(y)

    def forward():
        with torch.no_grad():
            return op(xt, wt, bt)

    def backward():  # autograd's backward only, over a graph built beforehand
        return torch.autograd.grad(y, (xt, wt, bt), dy, retain_graph=True)

    return forward, backward


def tensorflow_fns(kind, x, w, b, engine):
    """The layer as Keras 3 runs it (NHWC, kernels in minigan's layout), in the engine's mode.
    A tape records while the forward runs, so TensorFlow's backward includes its forward."""
    tf, compile_fn = tensorflow(engine)
    import keras

    if kind == "dense":
        layer = keras.layers.Dense(w.shape[1])
    else:
        layer = keras.layers.Conv2D(w.shape[3], w.shape[:2], strides=3)
    xt = tf.constant(x)
    layer.build(xt.shape)
    layer.set_weights([w, b])

    def forward():
        return layer(xt)

    def backward():
        with tf.GradientTape() as tape:
            tape.watch(xt)
            y = layer(xt)
        return tape.gradient(y, [xt, *layer.trainable_variables])

    forward, backward = compile_fn(forward), compile_fn(backward)
    return (lambda: forward().numpy()), (lambda: [g.numpy() for g in backward()])  # numpy(): wait for the result


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("direction", ["forward", "backward"])
@pytest.mark.parametrize("batch", [32, 256])
@pytest.mark.parametrize("name, kind, in_shape, w_shape", LAYERS, ids=[l[0] for l in LAYERS])
def test_layer(benchmark, name, kind, in_shape, w_shape, batch, direction, engine):
    x, w, b = arrays(in_shape, w_shape, batch)
    if engine in CONTRACT_ENGINES:
        fns = contract_fns(CONTRACT_ENGINES[engine], kind, x, w, b)
    elif engine in TF_ENGINES:
        fns = tensorflow_fns(kind, x, w, b, engine)
    else:
        fns = torch_fns(kind, x, w, b)
    fn = fns[0] if direction == "forward" else fns[1]
    run(benchmark, fn, f"{name} {direction} b{batch}", engine, flops(kind, x, w, direction),
        case=f"{name} {direction}", batch=batch)
