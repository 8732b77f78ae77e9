"""Process-wide settings that make training steps fast; the entry points (CLI, benchmarks) call them.

Why keep_freed_memory: a training step allocates its activations, gradients and im2col
matrices afresh and frees them again. glibc serves blocks above its mmap threshold with
fresh pages from the kernel and hands them back on free (or trims the heap top), so every
step pays a page fault, and the kernel's zeroing, for each 4 KiB of those temporaries
(docs/speed.md has the step with and without). Setting the thresholds
by hand also turns off glibc's sliding threshold. Other C libraries are left as they are.
"""

import ctypes
import ctypes.util

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's <malloc.h>
LARGEST_HEAP_BLOCK = 32 << 20  # glibc refuses an mmap threshold above 32 MiB (64-bit)
KEEP_FREE_TOP = 1 << 30  # free heap top kept up to 1 GiB instead of returned to the kernel


def keep_freed_memory():
    """Ask glibc to reuse freed memory for later allocations instead of returning it to the
    kernel. True if applied, False on a C library without mallopt (macOS, musl)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, LARGEST_HEAP_BLOCK)) and bool(mallopt(M_TRIM_THRESHOLD, KEEP_FREE_TOP))
