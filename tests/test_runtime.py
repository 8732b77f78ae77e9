"""minigan/runtime.py: the process settings the CLI and the benchmarks apply."""

import platform

import pytest

from minigan.runtime import keep_freed_memory


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's; elsewhere nothing is set")
def test_keep_freed_memory_is_applied_on_glibc():
    assert keep_freed_memory() is True
