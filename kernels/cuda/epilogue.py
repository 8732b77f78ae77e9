"""A layer's activation after its GEMM (or BatchNorm's normalisation), as kernels/cpu/epilogue.py
fuses it with the bias. On the GPU the tiled GEMM adds the bias and divides by sigma as it
writes, and the activation runs as its own elementwise pass."""

from kernels.cuda.activations import (
    leaky_relu_backward,
    leaky_relu_forward,
    relu_backward,
    relu_forward,
)


def activation_forward(h, activation, out=None):
    """h -> act(h), any shape. activation: a spec's Activation (kernels/specs.py); 'linear' returns
    h itself. The result comes from out's buffer of the activation's name (a Workspace), or is a
    new array."""
    if activation.kind == "relu":
        return relu_forward(h, out)
    if activation.kind == "leaky_relu":
        return leaky_relu_forward(h, activation.alpha, out)
    return h


def activation_backward(dy, y, activation, out=None):
    """dpre = dy * act'(.), read off the forward's output y (y > 0 exactly where its input was,
    for relu and for a leaky relu with alpha > 0: kernels/checks.py); 'linear' returns dy itself
    and does not read y."""
    if activation.kind == "relu":
        return relu_backward(dy, y, out)
    if activation.kind == "leaky_relu":
        return leaky_relu_backward(dy, y, activation.alpha, out)
    return dy
