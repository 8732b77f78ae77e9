"""minigan's low-level kernels: forward and backward passes, losses and optimizer updates.

``kernels.cpu`` holds the Numba ``@njit`` kernels; ``kernels.cuda`` the same names and
signatures in ``numba.cuda``. This package never imports ``minigan``.
"""
