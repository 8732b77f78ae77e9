"""The bfloat16 matrix product: C = A @ B with A and B bfloat16 (their bits, uint16), C float32.

Every product of two bfloat16 numbers (8 significant bits each) is exact in float32 (24), so
the only rounding after the operands' own is the float32 sum, as in a float32 GEMM.

Which library multiplies is settled when this module loads (``BF16_PRODUCTS``):
- **oneDNN** (the ``onednn-cpu-gomp`` wheel: ``pip install 'minigan[bf16]'``), on a CPU with
  bfloat16 dot products in hardware (``avx512_bf16`` or ``amx_bf16``): its matmul primitive,
  made once per operand layout and run on GNU OpenMP's threads, as many as Numba's pool has
  (minigan/runtime.py sizes that one). MKL's ``cblas_gemm_bf16bf16f32`` was slower than MKL's
  own float32 product at the step's shapes on this project's machine, on one thread, on two,
  and as two halves on two threads; oneDNN's took half the time (docs/speed.md, "bfloat16
  products"). The wheels ship no Python binding: the C API is called through ctypes. Its
  products' bits were the same on one thread and on two (tests/test_bfloat16.py holds it).
- **Emulated** otherwise: the operands widened to float32 (exact) and multiplied by
  kernels/cpu/gemm.py's float32 product. The same products and the same float32 sums, in
  another order; slower than float32 (two extra passes over the operands).

A or B may be a transposed view or have strided rows, as gemm.py's operands may.
"""

import ctypes

import numba
import numpy as np

from kernels.cpu.bfloat16_rounding import bfloat16_to_float32, rounded
from kernels.cpu.gemm import gemm_add_into, gemm_into
from kernels.wheels import wheel_library

NATIVE_FLAGS = ("avx512_bf16", "amx_bf16")  # /proc/cpuinfo's names for bfloat16 dot products in hardware
ONEDNN_WHEEL = "onednn-cpu-gomp"


def native_bf16(cpuinfo="/proc/cpuinfo"):
    """Does this CPU multiply bfloat16 in hardware (NATIVE_FLAGS among its flags)? False where
    the file cannot be read (not Linux)."""
    try:
        with open(cpuinfo) as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        return False
    return any(flag in flags for flag in NATIVE_FLAGS)


class OneDNN:
    """oneDNN's matmul through its C API (dnnl.h, v3): one primitive per operand layout and
    accumulation, made on first use; each call points three memory objects at the arrays and
    runs it on the engine's in-order stream. The library loads on the first product, so that a
    float32 run never loads it."""

    BF16, F32, CPU, IN_ORDER, IMPL_INFO = 2, 3, 1, 1, 8  # dnnl_data_type_t, engine kind, stream flag, query
    SRC, WEIGHTS, DST = 1, 33, 17  # DNNL_ARG_*

    class Arg(ctypes.Structure):
        _fields_ = [("arg", ctypes.c_int), ("memory", ctypes.c_void_p)]

    def __init__(self, path):
        self.path, self.lib, self.threads, self.primitives = path, None, None, {}

    def start(self):
        self.lib = lib = ctypes.CDLL(self.path)
        self.gomp = ctypes.CDLL("libgomp.so.1")  # oneDNN's threads: this process's GNU OpenMP, MKL's too
        self.engine, self.stream = ctypes.c_void_p(), ctypes.c_void_p()
        self.ok(lib.dnnl_engine_create(ctypes.byref(self.engine), self.CPU, 0), "dnnl_engine_create")
        self.ok(lib.dnnl_stream_create(ctypes.byref(self.stream), self.engine, self.IN_ORDER), "dnnl_stream_create")

    @staticmethod
    def ok(status, call):
        if status != 0:
            raise RuntimeError(f"oneDNN's {call} failed with status {status} (dnnl_status_t)")

    def desc(self, a, dtype):
        """A 2-D memory descriptor of the array a as it lies (strides in elements)."""
        dims = (ctypes.c_int64 * 12)(*a.shape)
        strides = (ctypes.c_int64 * 12)(*(s // a.itemsize for s in a.strides))
        md = ctypes.c_void_p()
        self.ok(self.lib.dnnl_memory_desc_create_with_strides(ctypes.byref(md), 2, dims, dtype, strides),
                "dnnl_memory_desc_create_with_strides")
        return md

    def accumulating(self):
        """Primitive attributes whose post-op adds the product to what C holds (beta = 1)."""
        post_ops, attr = ctypes.c_void_p(), ctypes.c_void_p()
        self.ok(self.lib.dnnl_post_ops_create(ctypes.byref(post_ops)), "dnnl_post_ops_create")
        self.ok(self.lib.dnnl_post_ops_append_sum(post_ops, ctypes.c_float(1.0), 0, 0), "dnnl_post_ops_append_sum")
        self.ok(self.lib.dnnl_primitive_attr_create(ctypes.byref(attr)), "dnnl_primitive_attr_create")
        self.ok(self.lib.dnnl_primitive_attr_set_post_ops(attr, post_ops), "dnnl_primitive_attr_set_post_ops")
        return attr

    def primitive(self, key, a, b, c, beta):
        """-> (primitive, its descriptor, its three memory objects, its arguments, the addresses
        those objects point at), made once per key."""
        found = self.primitives.get(key)
        if found is None:
            if self.lib is None:
                self.start()
            mds = self.desc(a, self.BF16), self.desc(b, self.BF16), self.desc(c, self.F32)
            pd, prim = ctypes.c_void_p(), ctypes.c_void_p()
            self.ok(self.lib.dnnl_matmul_primitive_desc_create(ctypes.byref(pd), self.engine, mds[0], mds[1], None,
                                                               mds[2], self.accumulating() if beta else None),
                    "dnnl_matmul_primitive_desc_create")
            self.ok(self.lib.dnnl_primitive_create(ctypes.byref(prim), pd), "dnnl_primitive_create")
            mems = []
            for md in mds:
                mems.append(ctypes.c_void_p())
                self.ok(self.lib.dnnl_memory_create(ctypes.byref(mems[-1]), md, self.engine, None),
                        "dnnl_memory_create")
            args = (self.Arg * 3)(*(self.Arg(k, m) for k, m in zip((self.SRC, self.WEIGHTS, self.DST), mems)))
            found = self.primitives[key] = (prim, pd, mems, args, [None, None, None])  # the addresses mems point at
        return found

    def implementation(self, a, b, c, beta=0):
        """The name of the implementation oneDNN runs for these operands ('brg:avx512_core_bf16', ...)."""
        pd = self.primitive(self.key(a, b, c, beta), a, b, c, beta)[1]
        info = ctypes.c_char_p()
        self.ok(self.lib.dnnl_primitive_desc_query(pd, self.IMPL_INFO, 0, ctypes.byref(info)),
                "dnnl_primitive_desc_query")
        return info.value.decode()

    @staticmethod
    def key(a, b, c, beta):
        return a.shape, a.strides, b.shape, b.strides, c.shape, c.strides, beta

    def set_threads(self, n):
        """oneDNN's thread count: GNU OpenMP's for the calling thread (after start)."""
        if n != self.threads:
            self.gomp.omp_set_num_threads(n)
            self.threads = n

    def __call__(self, a, b, c, beta):
        prim, _, mems, args, bound = self.primitive(self.key(a, b, c, beta), a, b, c, beta)
        self.set_threads(numba.get_num_threads())  # one count for every pool (minigan/runtime.py)
        # A step hands most products the same buffers every time (weights, Workspace arrays and
        # views of them), so a memory object is re-pointed only when its array has moved; the
        # addresses come from compiled code because numpy's .ctypes costs more than the check.
        for i, address in enumerate(_addresses(a, b, c)):
            if bound[i] != address:
                self.lib.dnnl_memory_set_data_handle(mems[i], ctypes.c_void_p(address))
                bound[i] = address
        self.ok(self.lib.dnnl_primitive_execute(prim, self.stream, 3, args), "dnnl_primitive_execute")
        self.ok(self.lib.dnnl_stream_wait(self.stream), "dnnl_stream_wait")


@numba.njit(cache=True)
def _addresses(a, b, c):
    return a.ctypes.data, b.ctypes.data, c.ctypes.data


def emulated(a, b, c, beta):
    """The operands widened to float32 (exact), gemm.py's float32 product."""
    (gemm_add_into if beta else gemm_into)(bfloat16_to_float32(a), bfloat16_to_float32(b), c)


def _choose():
    """-> (the product, 'oneDNN' or 'emulated', why emulated or None)."""
    path = wheel_library(ONEDNN_WHEEL, "libdnnl.so")
    if not native_bf16():
        return emulated, "emulated", f"this CPU has no bfloat16 dot products ({' or '.join(NATIVE_FLAGS)})"
    if path is None:
        return emulated, "emulated", f"oneDNN is not installed: pip install 'minigan[bf16]' ({ONEDNN_WHEEL})"
    return OneDNN(path), "oneDNN", None


_product, BF16_PRODUCTS, EMULATED_BECAUSE = _choose()


def gemm_bf16_into(a, b, c):
    """c = a @ b: a (M, K) and b (K, N) bfloat16 bits (uint16), c (M, N) float32, written over."""
    if a.shape[0] and b.shape[1]:  # oneDNN takes no empty matrix
        _product(a, b, c, 0)


def gemm_bf16_add_into(a, b, c):
    """c += a @ b, as gemm_bf16_into."""
    if a.shape[0] and b.shape[1]:
        _product(a, b, c, 1)


def products_of(a):
    """(c = a @ b, c += a @ b) for operands like a: bfloat16 bits (uint16) here, float32 or float64
    through gemm.py."""
    return (gemm_bf16_into, gemm_bf16_add_into) if a.dtype == np.uint16 else (gemm_into, gemm_add_into)


def operand(spec, a, name, out):
    """A layer's GEMM operand as its spec has it: a itself, or with spec.bf16 its bfloat16 bits in
    the Workspace buffer `name` (kernels/cpu/bfloat16_rounding.py); bits already (a weight's
    copy that its layer keeps, minigan/layers.py) are taken as they are."""
    return rounded(a, name, out) if spec.bf16 and a.dtype != np.uint16 else a
