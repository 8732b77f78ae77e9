"""The readable engine: the kernel contract (kernels/contract.py) as plain loops, one step at a
time (kernels/reference/engine.py). ``python -m minigan train --kernels reference`` trains with it.

The steps it is built from are the lab's plain functions, one file a formula:
dense.py, conv2d.py, activations.py, batchnorm.py, optim.py (Adam) and spectral_norm.py here,
and kernels/cpu/losses.py's binary cross-entropy.
"""

import types

from kernels.contract import CONTRACT
from kernels.cpu import losses
from kernels.reference import activations, batchnorm, conv2d, dense, optim
from kernels.reference.engine import ReferenceEngine


def readable_steps():
    """The plain functions the engine calls, by the lab's names: a namespace to replace some of."""
    steps = types.SimpleNamespace()
    for module in (dense, conv2d, activations, batchnorm, optim):
        for name in dir(module):
            if name.endswith(("_forward", "_backward", "_update")) and not name.startswith("_"):
                setattr(steps, name, getattr(module, name))
    steps.bce_with_logits_forward = losses.bce_with_logits_forward
    steps.bce_with_logits_backward = bce_backward_step
    return steps


def bce_backward_step(logits, targets):
    """kernels/cpu/losses.py's plain loop, by the lab's signature (a fresh array)."""
    return losses.bce_with_logits_backward(logits, targets)


ENGINE = ReferenceEngine(readable_steps())
globals().update({name: getattr(ENGINE, name) for name in CONTRACT})
__all__ = list(CONTRACT)
