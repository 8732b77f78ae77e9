"""Serial or threaded: one loop body, compiled both ways, chosen by the array's size.

Waking Numba's worker threads for a parallel loop costs more than the loop itself on the
small arrays of a batch-32 step. Large arrays win from the threads and from the SIMD code
that ``parallel=True`` enables (it lets Numba assume the arrays do not alias; docs/speed.md has
the figures). ``prange`` in the body reads as ``range`` in the serial build.

The two builds must not share a cache entry: Numba names a function's cache files after its
qualified name and line, not its compile flags, so two builds of one function would load
each other's machine code (seen: the "parallel" Adam ran the serial build's code; docs/speed.md). The parallel build compiles a renamed copy.
"""

import types

from numba import njit

PARALLEL_MIN_SIZE = 1 << 16  # elements; below this the serial build runs


def _renamed(fn, suffix):
    """The same code under another (qualified) name, so that it gets cache files of its own."""
    clone = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__ + suffix, fn.__defaults__, fn.__closure__)
    clone.__qualname__, clone.__module__ = fn.__qualname__ + suffix, fn.__module__
    return clone


def by_size(fn=None, *, work=None, min_work=PARALLEL_MIN_SIZE, fastmath=False):
    """Compile ``fn`` serially and in parallel; call the build that suits the work: the first
    argument's size, or ``work(*args)`` where a loop's cost is not its first array's size
    (then with its own threshold ``min_work``, measured like the default one). fastmath: Numba's
    flags for both builds (tests/test_kernels_numerics.py allows only reordering sums)."""
    if fn is None:
        return lambda f: by_size(f, work=work, min_work=min_work, fastmath=fastmath)
    serial = njit(cache=True, fastmath=fastmath)(fn)
    parallel = njit(cache=True, parallel=True, fastmath=fastmath)(_renamed(fn, "_parallel"))
    measure = work or (lambda *args: args[0].size)

    def dispatch(*args):
        return (parallel if measure(*args) >= min_work else serial)(*args)

    dispatch.serial, dispatch.parallel, dispatch.py_func = serial, parallel, fn
    dispatch.__name__, dispatch.__doc__ = fn.__name__, fn.__doc__
    return dispatch
