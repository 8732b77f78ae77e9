"""Argument validation shared by the CPU and CUDA kernels.

Every public kernel validates its arguments here before any compiled code runs, so a
wrong shape or dtype fails with a ``ValueError`` that names the argument, the shapes
involved and the fix, instead of an out-of-bounds read inside a Numba loop.

The functions work on anything with ``.shape`` and ``.dtype`` (NumPy arrays and
Numba CUDA device arrays alike).
"""

import numpy as np

from kernels.conv_geometry import conv_geometry

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
BFLOAT16_BITS = np.dtype(np.uint16)  # how a bfloat16 array is held: its 16 bits


def _shape(a):
    return tuple(int(s) for s in a.shape)


def require_float(op, name, a):
    """``a`` must be a float32 or float64 array."""
    if not hasattr(a, "dtype") or not hasattr(a, "shape"):
        raise ValueError(f"{op}: {name} must be an array, got {type(a).__name__}")
    if np.dtype(a.dtype) not in FLOAT_DTYPES:
        raise ValueError(
            f"{op}: {name} has dtype {a.dtype} (shape {_shape(a)}); kernels take float32 or "
            f"float64, cast it first, e.g. {name}.astype(np.float32)"
        )


def require_same_dtype(op, **arrays):
    """All ``arrays`` are floating and share one dtype (no silent up-casts)."""
    for name, a in arrays.items():
        require_float(op, name, a)
    dtypes = {name: np.dtype(a.dtype) for name, a in arrays.items()}
    if len(set(dtypes.values())) > 1:
        listed = ", ".join(f"{n}={d}" for n, d in dtypes.items())
        raise ValueError(f"{op}: arguments must share one dtype, got {listed}; cast them to one dtype")


def require_ndim(op, name, a, ndim, layout):
    if len(a.shape) != ndim:
        raise ValueError(f"{op}: {name} must be {ndim}-D {layout}, got shape {_shape(a)}")


def require_shape(op, name, a, expected, why):
    if _shape(a) != tuple(expected):
        raise ValueError(f"{op}: {name} has shape {_shape(a)} but must be {tuple(expected)} ({why})")


def require_nonempty(op, name, a):
    if any(s == 0 for s in a.shape):
        raise ValueError(f"{op}: {name} has an empty dimension, shape {_shape(a)}")


def _one_dtype(x, w, b):
    """The arrays of a layer's pass that must share one float dtype: x, w and b (when there is
    one), but w when it is bfloat16 bits, which check_bf16_spec judges."""
    arrays = dict(x=x) if _is_bits(w) else dict(x=x, w=w)
    return arrays if b is None else {**arrays, "b": b}


def _is_bits(a):
    return hasattr(a, "dtype") and np.dtype(a.dtype) == BFLOAT16_BITS


def check_dense(op, x, w, b=None):
    """x (N, I), w (I, O), b (O,)."""
    require_same_dtype(op, **_one_dtype(x, w, b))
    require_ndim(op, "x", x, 2, "(N, I)")
    require_ndim(op, "w", w, 2, "(I, O)")
    require_nonempty(op, "x", x)
    if x.shape[1] != w.shape[0]:
        raise ValueError(
            f"{op}: x has {x.shape[1]} features (x.shape={_shape(x)}) but w expects {w.shape[0]} "
            f"(w.shape={_shape(w)}); w must be (I, O) with I = x.shape[1]"
        )
    if b is not None:
        require_shape(op, "b", b, (w.shape[1],), f"one bias per output, w.shape={_shape(w)}")


def check_conv2d(op, x, w, b, stride, padding):
    """x (N, H, W, C_in) NHWC, w (KH, KW, C_in, C_out), b (C_out,) -> their ConvGeometry."""
    require_same_dtype(op, **_one_dtype(x, w, b))
    require_ndim(op, "x", x, 4, "NHWC (N, H, W, C_in)")
    require_ndim(op, "w", w, 4, "(KH, KW, C_in, C_out)")
    require_nonempty(op, "x", x)
    require_nonempty(op, "w", w)
    if x.shape[3] != w.shape[2]:
        raise ValueError(
            f"{op}: x has {x.shape[3]} channels (x.shape={_shape(x)}, NHWC) but w expects "
            f"{w.shape[2]} input channels (w.shape={_shape(w)}); w must be (KH, KW, C_in, C_out) "
            f"with C_in = x.shape[3]"
        )
    if b is not None:
        require_shape(op, "b", b, (w.shape[3],), f"one bias per output channel, w.shape={_shape(w)}")
    return conv_geometry(op, _shape(x), _shape(w), stride, padding)


def check_dropout(op, a, rate, key, rows):
    """a float (N, ...); rate in [0, 1); key an int in [0, 2^64); rows None or N integers."""
    require_float(op, "x" if op.endswith("forward") else "dy", a)
    require_nonempty(op, "x", a)
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"{op}: rate must be in [0, 1), got {rate}")
    if isinstance(key, bool) or not isinstance(key, (int, np.integer)) or not 0 <= int(key) < 2**64:
        raise ValueError(f"{op}: key must be an int in [0, 2^64) (the layer's, one a call), got {key!r}")
    if rows is not None and (np.dtype(rows.dtype).kind not in "iu" or _shape(rows) != (a.shape[0],)):
        raise ValueError(f"{op}: rows must be {a.shape[0]} integers, one per row of x (its index in the whole "
                         f"batch), got dtype {rows.dtype} shape {_shape(rows)}; or None for 0 ... N-1")


def check_upstream(op, dy, expected_shape, dtype):
    """dy must match the forward output's shape and the inputs' dtype."""
    require_float(op, "dy", dy)
    require_shape(op, "dy", dy, expected_shape, "the shape of the forward output")
    if np.dtype(dy.dtype) != np.dtype(dtype):
        raise ValueError(f"{op}: dy has dtype {dy.dtype} but the inputs are {np.dtype(dtype)}; cast dy")


def check_in_place(op, **arrays):
    """Arrays an update kernel writes in place: one shape, each C-contiguous (a flat walk over a
    strided view would write the wrong elements, and a contiguous copy would lose the update)."""
    check_same_shape(op, **arrays)
    for name, a in arrays.items():
        contiguous = a.flags.c_contiguous if isinstance(a, np.ndarray) else a.is_c_contiguous()
        if not contiguous:
            raise ValueError(f"{op}: {name} must be C-contiguous to be updated in place; pass a contiguous copy "
                             f"(np.ascontiguousarray({name})) and keep that array")


def check_step(op, step):
    if int(step) < 1:
        raise ValueError(f"{op}: step is the 1-based count of updates, got {step}")


def check_same_shape(op, **arrays):
    """Elementwise kernels: floating arrays of one dtype and one shape."""
    require_same_dtype(op, **arrays)
    shapes = {name: _shape(a) for name, a in arrays.items()}
    if len(set(shapes.values())) > 1:
        listed = ", ".join(f"{n}.shape={s}" for n, s in shapes.items())
        raise ValueError(f"{op}: arguments must have one shape, got {listed}")


def check_reduce(op, reduce):
    """reduce: None (the batch is all here) or a callable summing an array over every shard of it."""
    if reduce is not None and not callable(reduce):
        raise ValueError(f"{op}: reduce must be None or a callable that sums an array over the batch's shards, "
                         f"got {type(reduce).__name__}")


def check_batchnorm(op, x, gamma, beta, mean=None, var=None):
    """x (N, F); gamma, beta (and the running mean, var at inference) (F,), one dtype."""
    stats = {} if mean is None else dict(mean=mean, var=var)
    require_same_dtype(op, x=x, gamma=gamma, beta=beta, **stats)
    require_ndim(op, "x", x, 2, "(N, F)")
    check_same_shape(op, gamma=gamma, beta=beta, **stats)
    require_shape(op, "gamma", gamma, (x.shape[1],), f"one scale per feature, x.shape={_shape(x)}")


def check_batchnorm_spec(op, eps, reduce):
    """eps > 0 and finite; reduce None or a callable."""
    if not (np.isfinite(eps) and eps > 0):
        raise ValueError(f"{op}: eps must be a finite number > 0 (it keeps 1 / sqrt(var + eps) finite), got {eps!r}")
    check_reduce(op, reduce)


def check_flag(op, name, value):
    """A spec's switch: True or False, nothing that merely looks like one ('false' is truthy)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{op}: {name} must be True or False, got {value!r}")


def check_adam(op, lr, beta1, beta2, eps):
    """Adam's hyper-parameters: lr > 0, betas in [0, 1), eps > 0, all finite."""
    if not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"{op}: lr must be a finite number > 0, got {lr!r}")
    for name, beta in (("beta1", beta1), ("beta2", beta2)):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"{op}: {name} must be in [0, 1) (the moment keeps that fraction of itself each step), "
                             f"got {beta!r}")
    if not (np.isfinite(eps) and eps > 0):
        raise ValueError(f"{op}: eps must be a finite number > 0 (it keeps the step finite where v = 0), got {eps!r}")


def check_cache(op, cache, kind):
    """A backward's cache must be what its own forward returned."""
    if not isinstance(cache, kind):
        raise ValueError(f"{op}: cache must be the {kind.__name__} that the matching forward returned, got "
                         f"{type(cache).__name__}; pass the forward's second result")


def check_batch_count(op, count):
    if count < 2:
        raise ValueError(f"{op}: x has batch size {int(count)}; batch statistics need at least 2 samples")


def check_batchnorm_backward(op, dy, xhat, gamma, inv_std):
    require_same_dtype(op, dy=dy, xhat=xhat, gamma=gamma, inv_std=inv_std)
    check_same_shape(op, dy=dy, xhat=xhat)
    check_same_shape(op, gamma=gamma, inv_std=inv_std)
    require_shape(op, "gamma", gamma, (dy.shape[1],), f"one scale per feature, dy.shape={_shape(dy)}")


def check_running_update(op, moving_mean, moving_var, mean, inv_std, momentum):
    require_same_dtype(op, moving_mean=moving_mean, moving_var=moving_var, mean=mean, inv_std=inv_std)
    check_same_shape(op, moving_mean=moving_mean, moving_var=moving_var, mean=mean, inv_std=inv_std)
    if not 0.0 <= momentum <= 1.0:
        raise ValueError(f"{op}: momentum must be in [0, 1], got {momentum}")


def check_minibatch_stddev(op, h, group_size, dy=None):
    """h (N, F) with N divisible by group_size >= 2; dy, when given, (N, F + 1)."""
    require_float(op, "h", h)
    require_ndim(op, "h", h, 2, "(N, F)")
    if group_size < 2 or h.shape[0] % group_size:
        raise ValueError(f"{op}: the batch ({h.shape[0]} rows, h.shape={_shape(h)}) must split into groups of "
                         f"group_size={group_size} >= 2; use a batch size divisible by {group_size}")
    if dy is not None:
        check_upstream(op, dy, (h.shape[0], h.shape[1] + 1), h.dtype)


def check_spectral_norm(op, w, u, v, dw=None):
    """w (I, O) or (KH, KW, C_in, O), read as the matrix (I, O); u (O,); v (I,); dw shaped as w."""
    arrays = dict(w=w, u=u, v=v) if dw is None else dict(w=w, u=u, v=v, dw=dw)
    require_same_dtype(op, **arrays)
    if len(w.shape) not in (2, 4):
        raise ValueError(f"{op}: w must be a dense (I, O) or conv (KH, KW, C_in, C_out) kernel, got shape {_shape(w)}")
    n_out = int(w.shape[len(w.shape) - 1])  # not shape[-1]: the CUDA simulator's shapes take no negative index
    require_shape(op, "u", u, (n_out,), f"one entry per output of w, w.shape={_shape(w)}")
    require_shape(op, "v", v, (int(np.prod(w.shape)) // n_out,), f"one entry per input of w, w.shape={_shape(w)}")
    if dw is not None:
        require_shape(op, "dw", dw, _shape(w), "the gradient of w is shaped as w")


def check_softmax_cross_entropy(op, logits, labels):
    """logits (N, K) floating; labels (N,) integers in [0, K), a host array or anything with
    copy_to_host (a device array) -> the labels as host int64."""
    require_float(op, "logits", logits)
    if len(logits.shape) != 2:
        raise ValueError(f"{op}: logits must be 2-D (N, K), got shape {_shape(logits)}")
    labels = np.asarray(labels.copy_to_host() if hasattr(labels, "copy_to_host") else labels)
    if labels.shape != (logits.shape[0],) or labels.dtype.kind not in "iu":
        raise ValueError(f"{op}: labels must be integers of shape ({logits.shape[0]},), got {labels.dtype} {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= logits.shape[1]):
        raise ValueError(f"{op}: labels must lie in [0, {logits.shape[1]}), got {labels.min()}..{labels.max()}")
    return labels.astype(np.int64)


def check_decay(op, decay, name="decay"):
    """A moving average's decay: the fraction of itself the average keeps each update."""
    if not 0.0 <= float(decay) < 1.0:
        raise ValueError(f"{op}: {name} must be in [0, 1) (the average keeps that fraction of itself each "
                         f"update; 0.999 follows the last ~1000), got {decay}")


ACTIVATIONS = ("leaky_relu", "linear", "relu")  # what may follow a dense, convolution or BatchNorm layer


def check_activation(op, activation, alpha=0.2):
    """None or 'linear' (no activation), 'relu' or 'leaky_relu' -> that name ('linear' for None);
    anything else is a clear error. Every engine takes the name from here. A leaky relu after a
    layer needs a finite alpha > 0: the fast engines apply it in the layer's own pass and read
    its slope off the output y (y > 0 exactly where x > 0), which only holds for a positive slope."""
    if activation is None:
        return "linear"
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise ValueError(f"{op}: activation must be one of {list(ACTIVATIONS)} or None, got {activation!r}")
    if activation == "leaky_relu" and not (np.isfinite(alpha) and alpha > 0):
        raise ValueError(f"{op}: a leaky_relu after a layer needs a finite slope alpha > 0, got alpha={alpha!r}; "
                         f"the fast engines tell x > 0 from y > 0, which a slope <= 0 breaks. Use alpha > 0, or "
                         f"leaky_relu_forward / leaky_relu_backward on their own, which read the slope off x")
    return activation


def check_bfloat16_input(op, x):
    """What rounds to bfloat16: a float32 array (a float64 would round twice on its way down)."""
    require_float(op, "x", x)
    if np.dtype(x.dtype) != np.float32:
        raise ValueError(f"{op}: x has dtype {x.dtype}; bfloat16 is rounded from float32, cast it first "
                         f"(x.astype(np.float32))")


def check_bfloat16_bits(op, bits):
    """bfloat16 numbers travel as their bits: uint16."""
    if not hasattr(bits, "dtype") or np.dtype(bits.dtype) != np.uint16:
        raise ValueError(f"{op}: bits must be a uint16 array of bfloat16 bit patterns (round_to_bfloat16's "
                         f"result), got {getattr(bits, 'dtype', type(bits).__name__)}")


def check_bf16_spec(op, spec, x, w, engine=None):
    """A spec with bf16=True (the layer's products on bfloat16 operands) needs float32 arrays, w
    either float32 or already its bfloat16 bits (uint16: a layer's copy, minigan/layers.py);
    bits without bf16=True are refused. engine: the name of an engine that has no bfloat16
    products, which refuses such a spec."""
    if _is_bits(w) and (engine is not None or not spec.bf16):
        raise ValueError(f"{op}: w is bfloat16 bits (uint16), which only the fast CPU engine (kernels.cpu) "
                         f"multiplies, with a spec with bf16=True; pass that spec, or w as floats")
    if not spec.bf16:
        return
    if engine is not None:
        raise ValueError(f"{op}: spec.bf16 (bfloat16 products) is the fast CPU engine's (kernels.cpu); "
                         f"{engine} computes in the arrays' dtype: pass a spec with bf16=False, or use kernels.cpu")
    if np.dtype(x.dtype) != np.float32:
        raise ValueError(f"{op}: spec.bf16 rounds float32 operands to bfloat16 and sums in float32, but x is "
                         f"{x.dtype}; pass float32 arrays, or a spec with bf16=False")
