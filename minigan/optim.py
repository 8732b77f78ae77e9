"""Optimizer state around the in-place update kernels (kernels.cpu.optim)."""

import numpy as np

from kernels.specs import AdamSpec


class Adam:
    """Adam over a dict of named parameter arrays, updated in place by ``ops.adam_update``."""

    def __init__(self, params, ops, lr=2e-4, beta1=0.5, beta2=0.999, eps=1e-8):
        self.params = params
        self.ops = ops
        self.spec = AdamSpec(lr, beta1, beta2, eps)
        self.m = {k: ops.zeros_like(v) for k, v in params.items()}
        self.v = {k: ops.zeros_like(v) for k, v in params.items()}
        self.t = 0

    def step(self, grads):
        self.t += 1
        for name, p in self.params.items():
            self.ops.adam_update(p, grads[name], self.m[name], self.v[name], self.t, self.spec)

    def state(self):
        """Host arrays to checkpoint: m/<name>, v/<name> and the step count t."""
        out = {f"m/{k}": self.ops.to_host(v) for k, v in self.m.items()}
        out.update({f"v/{k}": self.ops.to_host(v) for k, v in self.v.items()})
        out["t"] = np.array(self.t)
        return out

    def load_state(self, arrays):
        for k in self.m:
            self.ops.copy_into(self.m[k], arrays[f"m/{k}"])
            self.ops.copy_into(self.v[k], arrays[f"v/{k}"])
        self.t = int(arrays["t"])
