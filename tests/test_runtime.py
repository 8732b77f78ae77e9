"""minigan/runtime.py: the process settings the CLI and the benchmarks apply."""

import platform

import pytest

from minigan.runtime import keep_freed_memory


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's; elsewhere nothing is set")
def test_keep_freed_memory_is_applied_on_glibc():
    assert keep_freed_memory() is True


def run_python(code, **env):
    import os
    import subprocess
    import sys

    env = {**{k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}, **env}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.skipif(platform.system() != "Linux", reason="the check reads /proc/self/maps")
def test_importing_torch_first_is_warned_about():
    """PyTorch loads libgomp with spinning idle threads when imported first; minigan's step is
    then several times slower, so importing the kernels after it warns, and only then."""
    late = run_python("import torch; import kernels")
    assert late.returncode == 0 and "Import minigan before torch" in late.stderr
    early = run_python("import kernels; import torch")
    assert early.returncode == 0 and "OpenMP" not in early.stderr
    chosen = run_python("import torch; import kernels", OMP_WAIT_POLICY="PASSIVE")
    assert chosen.returncode == 0 and "OpenMP" not in chosen.stderr
