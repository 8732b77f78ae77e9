"""A layer's activation after its GEMM, as kernels/cpu/epilogue.py fuses it with the bias.
On the GPU the tiled GEMM adds the bias and the activation runs as its own elementwise pass."""

from kernels.cuda.activations import (
    leaky_relu_backward,
    leaky_relu_forward,
    relu_backward,
    relu_forward,
)


def activation_forward(y, activation, alpha, out=None):
    """A layer's fused activation (kernels/cpu/epilogue.py), here as a separate pass: y -> act(y),
    into out's buffer of the activation's name (a Workspace), or a new array.
    activation: a name from kernels.checks.check_activation."""
    if activation == "relu":
        return relu_forward(y, out)
    return leaky_relu_forward(y, alpha, out) if activation == "leaky_relu" else y


def activation_backward(dy, y, activation, alpha, out=None):
    """dpre = dy * act'(.), read off the forward's output y (y > 0 exactly where the input was)."""
    if activation == "relu":
        return relu_backward(dy, y, out)
    return leaky_relu_backward(dy, y, alpha, out) if activation == "leaky_relu" else dy
