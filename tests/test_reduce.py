"""Reductions, arg-reductions, windowed and cumulative reductions (src/cpp/ops/reduce.cpp, windows.cpp, cumulative.cpp).

Every case compares OpenVINO CPU numbers with JAX; integer results must be exact, including
wrap-around of narrow types and int32 values beyond 2^24 (where f32 computation would round).
"""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import harness
import ovjax
from harness import rand

DTYPES = ["float32", "float16", "bfloat16", "int8", "int32", "uint8"]
INT_DTYPES = ["int8", "int32", "uint8"]
FULL_RANGE = {"int32": (-(2**31), 2**31 - 1), "int8": (-128, 127), "uint8": (0, 255)}
HALF = ("float16", "bfloat16")

# (shape, axes) pairs: rank 1-4, single, multiple and all axes.
REDUCE_CASES = [
    ((7,), (0,)),
    ((3, 5), (0, 1)),
    ((2, 3, 4), (0, 2)),
    ((2, 3, 4, 5), (1, 2, 3)),
]


def check(fn, *args, prims):
    """harness.check on jax.jit(fn): JAX runs one compiled executable instead of compiling every
    primitive eagerly (most of this file's run time); the translated equations sit in the jit's
    sub-jaxpr, where harness.check's `prims` assertion finds them."""
    return harness.check(jax.jit(fn), *args, prims=prims)


def half_exact(shape, dtype, seed=0):
    """Multiples of 1/2 in [-2, 2]: sums of up to 120 of them are exact in float16 and bfloat16.

    JAX on CPU accumulates half-precision sums in half precision, OpenVINO in f32; with exact
    partial sums the comparison checks the translation rather than JAX's rounding (e.g. JAX's
    float16 sum of 10 values in [-3, 3] came out 3 ulps off the exact result).
    """
    x = np.round(rand(shape, "float32", seed, low=-2, high=2) * 2) / 2
    return x.astype(rand((1,), dtype).dtype)


def data(shape, dtype, seed=0, full=False):
    if full and dtype in FULL_RANGE:
        lo, hi = FULL_RANGE[dtype]
        return rand(shape, dtype, seed, low=lo, high=hi)
    return rand(shape, dtype, seed)


def multi_reduce(reducer):
    def fn(*xs):
        return tuple(reducer(x, axes) for x, (_, axes) in zip(xs, REDUCE_CASES))

    return fn


# ---------------------------------------------------------------- reduce_*

REDUCERS = {
    "reduce_sum": lax.reduce_sum,
    "reduce_max": lax.reduce_max,
    "reduce_min": lax.reduce_min,
    "reduce_prod": lax.reduce_prod,
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("prim", sorted(REDUCERS))
def test_reduce(prim, dtype):
    reducer = REDUCERS[prim]
    full = prim != "reduce_prod"
    xs = []
    for i, (shape, _) in enumerate(REDUCE_CASES):
        if prim == "reduce_prod" and dtype in ("float32", "float16", "bfloat16"):
            xs.append(rand(shape, dtype, i, low=0.7, high=1.3))  # no overflow in half precision
        elif prim == "reduce_sum" and dtype in HALF:
            xs.append(half_exact(shape, dtype, i))
        else:
            xs.append(data(shape, dtype, i, full=full))
    check(multi_reduce(reducer), *xs, prims={prim})


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_reduce_sum_prod_wrap(dtype):
    # Many elements at the edge of the range: the sum and product overflow and wrap in JAX.
    lo, hi = FULL_RANGE[dtype]
    x = np.full((3, 300), hi, dtype=dtype)
    x[1] = lo
    x[2, ::2] = hi - 1
    y = rand((4, 40), dtype, 3, low=max(lo, -7), high=7)
    check(
        lambda x, y: (lax.reduce_sum(x, (1,)), lax.reduce_prod(y, (1,)), lax.reduce_prod(x, (0, 1))),
        x,
        y,
        prims={"reduce_sum", "reduce_prod"},
    )


def test_reduce_int32_beyond_f32():
    # Distinct int32 values that f32 cannot tell apart.
    x = np.array([[16777217, 16777216, 5], [-16777217, -16777216, 7], [2**31 - 1, 2**31 - 2, 0]], np.int32)
    check(
        lambda x: (
            lax.reduce_max(x, (1,)),
            lax.reduce_min(x, (1,)),
            lax.reduce_sum(x, (1,)),
            lax.reduce_max(x, (0,)),
            lax.reduce_min(x, (0,)),
        ),
        x,
        prims={"reduce_max", "reduce_min", "reduce_sum"},
    )


@pytest.mark.parametrize("prim", sorted(REDUCERS))
def test_reduce_empty_axes_is_identity(prim):
    p = getattr(lax, prim + "_p")
    x = rand((3, 4), "float32")
    check(lambda x: p.bind(x, axes=(), out_sharding=None), x, prims={prim})


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_reduce_max_min_nan(dtype):
    x = rand((4, 5), dtype)
    x[0, 0] = np.nan  # first
    x[1, 2] = np.nan  # middle
    x[2, 4] = np.nan  # last
    x[3, 1] = np.inf
    check(
        lambda x: (
            lax.reduce_max(x, (1,)),
            lax.reduce_min(x, (1,)),
            lax.reduce_max(x, (0,)),
            lax.reduce_min(x, (0, 1)),
        ),
        x,
        prims={"reduce_max", "reduce_min"},
    )


def test_reduce_max_min_infinities():
    x = np.array([[-np.inf, -np.inf], [np.inf, 1.0], [-0.0, 0.0]], np.float32)
    check(lambda x: (lax.reduce_max(x, (1,)), lax.reduce_min(x, (1,))), x, prims={"reduce_max", "reduce_min"})


def _specials_rows(cols):
    """Rows that each stress one case of a float max/min: NaN first/last, infinities, all -inf or
    +inf, -FLT_MAX / FLT_MAX (what OpenVINO's reduction of all -inf / +inf returns), signed zeros."""
    big = np.finfo(np.float32).max
    rows = rand((10, cols), "float32")
    rows[1, 0] = np.nan
    rows[2, -1] = np.inf
    rows[2, 3] = -np.inf
    rows[3, :] = -np.inf
    rows[4, :] = np.inf
    rows[5, 7], rows[5, 9] = np.nan, np.inf
    rows[6, :] = -np.inf
    rows[6, 11] = -big
    rows[7, :] = np.inf
    rows[7, 12] = big
    rows[8, :] = -0.0
    rows[8, 5] = 0.0
    rows[9, -1] = np.nan
    return rows


def _large_reductions(x):
    return (
        lax.reduce_max(x, (1,)),
        lax.reduce_min(x, (1,)),
        lax.reduce_max(x, (0, 1)),
        lax.reduce_min(x, (0, 1)),
        jnp.max(x.reshape(10, 64, 64), axis=(0, 2)),
    )


def test_reduce_max_min_large():
    # Large reductions take one pass with NaN mapped to the dominating infinity; the If that
    # falls back to the exact two-pass form (reduce.cpp reduce_float_extreme) is not taken here.
    check(_large_reductions, rand((10, 4096), "float32"), prims={"reduce_max", "reduce_min"})


def test_reduce_max_min_large_specials():
    # The fallback branch. The reference is numpy (NaN propagates, as lax.max specifies): XLA's
    # CPU code for long rows drops NaN depending on its position (here it returns 2.9996727 and
    # -inf for rows 1 and 9; for 64-wide rows it propagates the first NaN and drops the last).
    x = _specials_rows(4096)
    model = ovjax.convert_model(jax.make_jaxpr(_large_reductions)(x))
    want = (np.max(x, 1), np.min(x, 1), np.max(x), np.min(x), np.max(x.reshape(10, 64, 64), axis=(0, 2)))
    for i, (g, w) in enumerate(zip(harness.run_ov(model, (x,)), want)):
        harness.assert_close(g, np.asarray(w), where=f"output {i}")


LARGE_POOLS = [
    ("max", (1, 2, 2, 1), (1, 2, 2, 1), "VALID"),
    ("max", (1, 3, 3, 1), (1, 2, 2, 1), "SAME"),
    ("min", (1, 3, 3, 1), (1, 1, 1, 1), "SAME"),
]


def _large_pools(x):
    return tuple(window_fns(kind, "float32")(x, w, s, pad) for kind, w, s, pad in LARGE_POOLS)


def _numpy_pool(x, kind, window, strides, padding):
    pads = lax.padtype_to_pads(x.shape, window, strides, padding)
    fill = -np.inf if kind == "max" else np.inf
    xp = np.pad(x, pads, constant_values=fill)
    v = np.lib.stride_tricks.sliding_window_view(xp, window)[tuple(slice(None, None, s) for s in strides)]
    axes = tuple(range(x.ndim, 2 * x.ndim))
    return np.max(v, axis=axes) if kind == "max" else np.min(v, axis=axes)


def test_max_pool_large():
    # Large pools in the pool layout with the class pool of fix_float_extreme (reduction.hpp).
    check(_large_pools, rand((2, 64, 64, 8), "float32"), prims={"reduce_window_max", "reduce_window_min"})


def test_max_pool_large_specials():
    # NaN and infinities; numpy is the reference (NaN propagates, as lax.max specifies):
    # XLA's CPU code for pools this size drops some NaNs.
    x = rand((2, 64, 64, 8), "float32")
    x[0, 1, 1, 0] = np.nan
    x[1, 63, 63, 7] = np.nan
    x[0, 10:14, 10:14, :] = -np.inf
    x[1, 20:24, 20:24, 3] = np.inf
    x[0, 30:34, 30:34, 2] = np.finfo(np.float32).min
    model = ovjax.convert_model(jax.make_jaxpr(_large_pools)(x))
    for i, (g, case) in enumerate(zip(harness.run_ov(model, (x,)), LARGE_POOLS)):
        harness.assert_close(g, _numpy_pool(x, *case), where=f"output {i} {case}")


def test_reduce_bool():
    xs = [rand(shape, "bool", i) for i, (shape, _) in enumerate(REDUCE_CASES)]
    xs[0][:] = True  # an all-true row
    xs[1][0] = False  # an all-false row

    def fn(*xs):
        out = []
        for x, (_, axes) in zip(xs, REDUCE_CASES):
            out += [lax.reduce_and(x, axes), lax.reduce_or(x, axes), lax.reduce_max(x, axes), lax.reduce_min(x, axes)]
        return tuple(out)

    check(fn, *xs, prims={"reduce_and", "reduce_or", "reduce_max", "reduce_min"})


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_reduce_and_or_bitwise(dtype):
    xs = [data(shape, dtype, i, full=True) for i, (shape, _) in enumerate(REDUCE_CASES)]

    def fn(*xs):
        out = []
        for x, (_, axes) in zip(xs, REDUCE_CASES):
            out += [lax.reduce_and(x, axes), lax.reduce_or(x, axes)]
        return tuple(out)

    check(fn, *xs, prims={"reduce_and", "reduce_or"})


def test_jnp_reductions():
    # What user code emits: jnp.sum/mean/max/any/all with keepdims and dtype promotion.
    x = rand((4, 6, 5), "float32")
    b = rand((4, 6), "bool")
    check(
        lambda x, b: (
            jnp.sum(x, axis=(0, 2), keepdims=True),
            jnp.mean(x, axis=1),
            jnp.max(x),
            jnp.min(x, axis=-1),
            jnp.prod(x[0, :3], axis=0),
            jnp.any(b, axis=1),
            jnp.all(b, axis=0),
            jnp.sum(b),
        ),
        x,
        b,
        prims={"reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "reduce_or", "reduce_and"},
    )


# ---------------------------------------------------------------- argmax / argmin

ARG_CASES = [((9,), 0), ((4, 6), 0), ((2, 3, 5), 1), ((2, 3, 4, 5), 3)]


@pytest.mark.parametrize("dtype", DTYPES + ["bool"])
def test_argmax_argmin(dtype):
    # Few distinct values, so most rows have ties: JAX picks the first index.
    if dtype == "bool":
        xs = [rand(shape, dtype, i) for i, (shape, _) in enumerate(ARG_CASES)]
    else:
        xs = [rand(shape, dtype, i, low=0, high=3) for i, (shape, _) in enumerate(ARG_CASES)]
        if dtype.startswith(("float", "bfloat")):
            xs = [np.round(x.astype(np.float32)).astype(x.dtype) for x in xs]

    def fn(*xs):
        out = []
        for x, (_, axis) in zip(xs, ARG_CASES):
            out += [jnp.argmax(x, axis=axis), jnp.argmin(x, axis=axis)]
        return tuple(out)

    check(fn, *xs, prims={"argmax", "argmin"})


@pytest.mark.parametrize("dtype", ["int32", "int8", "uint8"])
def test_argmax_argmin_full_range(dtype):
    x = data((5, 33), dtype, full=True)
    if dtype == "int32":
        x[0, :3] = [16777217, 16777216, 16777217]  # equal in f32, not in int32
        x[1, :3] = [-16777217, -16777216, -16777217]
    check(
        lambda x: (jnp.argmax(x, axis=1), jnp.argmin(x, axis=1), jnp.argmax(x, axis=0)), x, prims={"argmax", "argmin"}
    )


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_argmax_argmin_nan_and_inf(dtype):
    x = np.array(
        [
            [1.0, np.nan, 3.0, np.nan],  # NaN is the extreme for both: first NaN
            [np.nan, 5.0, 1.0, 2.0],
            [1.0, 2.0, 3.0, np.nan],
            [np.inf, 1.0, np.inf, -np.inf],
            [-np.inf, -np.inf, -np.inf, -np.inf],
            [-0.0, 0.0, -0.0, 0.0],
            [2.0, 2.0, -1.0, -1.0],
        ],
        np.float32,
    ).astype(rand((1,), dtype).dtype)
    check(
        lambda x: (jnp.argmax(x, axis=1), jnp.argmin(x, axis=1), jnp.argmax(x, axis=0), jnp.argmin(x, axis=0)),
        x,
        prims={"argmax", "argmin"},
    )


@pytest.mark.parametrize("index_dtype", ["int32", "int16", "uint8"])
def test_argmax_index_dtype(index_dtype):
    x = rand((3, 4, 7), "float32")
    check(
        lambda x: (lax.argmax(x, 2, jnp.dtype(index_dtype)), lax.argmin(x, 0, jnp.dtype(index_dtype))),
        x,
        prims={"argmax", "argmin"},
    )


# ---------------------------------------------------------------- cumulative

# (shape, axis, reverse): rank 1-4, lengths that are not powers of two, both directions.
CUM_CASES = [((13,), 0, True), ((4, 7), 0, False), ((2, 3, 9), 2, True), ((3, 5, 2, 4), 1, False)]
CUM = {"cumsum": lax.cumsum, "cumprod": lax.cumprod, "cummax": lax.cummax, "cummin": lax.cummin}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("prim", sorted(CUM))
def test_cumulative(prim, dtype):
    op = CUM[prim]
    xs = []
    for i, (shape, _, _) in enumerate(CUM_CASES):
        if prim == "cumprod" and dtype in ("float32", "float16", "bfloat16"):
            xs.append(rand(shape, dtype, i, low=0.7, high=1.3))
        elif prim == "cumsum" and dtype in HALF:
            xs.append(half_exact(shape, dtype, i))
        else:
            xs.append(data(shape, dtype, i, full=prim != "cumprod"))

    def fn(*xs):
        return tuple(op(x, axis=axis, reverse=rev) for x, (_, axis, rev) in zip(xs, CUM_CASES))

    check(fn, *xs, prims={prim})


def test_cumsum_float32_random():
    x = rand((3, 50), "float32")
    check(lambda x: (jnp.cumsum(x, axis=1), lax.cumsum(x, axis=0, reverse=True)), x, prims={"cumsum"})


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_cumulative_int_wrap(dtype):
    lo, hi = FULL_RANGE[dtype]
    x = np.full((2, 40), hi, dtype=dtype)
    x[1, ::3] = lo
    y = rand((2, 40), dtype, 1, low=max(lo, -9), high=9)
    check(
        lambda x, y: (
            lax.cumsum(x, 1),
            lax.cumsum(x, 1, reverse=True),
            lax.cumprod(y, 1),
            lax.cumprod(y, 1, reverse=True),
        ),
        x,
        y,
        prims={"cumsum", "cumprod"},
    )


def test_cummax_cummin_int32_beyond_f32():
    x = np.array([[16777216, 16777217, 16777216, 16777218], [-16777216, -16777217, -16777216, -16777218]], np.int32)
    check(
        lambda x: (lax.cummax(x, 1), lax.cummin(x, 1), lax.cummax(x, 1, reverse=True), lax.cummin(x, 1, reverse=True)),
        x,
        prims={"cummax", "cummin"},
    )


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_cummax_cummin_nan(dtype):
    x = rand((3, 9), dtype)
    x[0, 3] = np.nan
    x[1, 0] = np.nan
    x[2, 8] = np.nan
    check(
        lambda x: (
            lax.cummax(x, 1),
            lax.cummin(x, 1),
            lax.cummax(x, 1, reverse=True),
            lax.cummin(x, 0, reverse=True),
            lax.cumsum(x, 1),
            lax.cumprod(x, 1),
        ),
        x,
        prims={"cummax", "cummin", "cumsum", "cumprod"},
    )


# ---------------------------------------------------------------- reduce_window


def window_fns(kind, dtype):
    """lax.reduce_window with the monoid's identity as a constant, so JAX emits reduce_window_<kind>."""
    dt = rand((1,), dtype).dtype
    if kind == "sum":
        init, op = 0, lax.add
    elif dt == np.bool_:
        init, op = (False, lax.max) if kind == "max" else (True, lax.min)
    elif np.issubdtype(dt, np.integer):
        info = np.iinfo(dt)
        init, op = (info.min, lax.max) if kind == "max" else (info.max, lax.min)
    else:
        init, op = (-np.inf, lax.max) if kind == "max" else (np.inf, lax.min)
    return lambda x, *a: lax.reduce_window(x, np.array(init, dt), op, *a)


# (shape, window, strides, padding, base_dilation, window_dilation). float32 and int32 (the
# MaxPool/AvgPool and the exact separable paths) run all of them, other dtypes WINDOW_SUBSET.
WINDOW_CASES = [
    ((10,), (3,), (1,), "VALID", None, None),
    ((10,), (4,), (3,), ((2, 1),), None, None),
    ((2, 7, 6, 3), (1, 3, 3, 1), (1, 2, 2, 1), "SAME", None, None),  # NHWC pooling
    ((2, 7, 6, 3), (1, 2, 2, 1), (1, 2, 2, 1), "VALID", None, None),
    ((3, 9, 8), (2, 3, 1), (1, 2, 3), ((1, 0), (0, 2), (1, 1)), None, None),  # window-1 axis with stride
    ((2, 9, 8), (1, 3, 2), (1, 1, 2), "VALID", None, (1, 2, 3)),  # window dilation
    ((2, 5, 4), (1, 3, 2), (1, 2, 1), ((0, 0), (1, 2), (0, 1)), (1, 2, 3), None),  # base dilation
    ((3, 4, 5, 6), (2, 2, 3, 2), (1, 2, 1, 2), "SAME", None, None),  # four windowed axes
    ((2, 3, 4), (1, 1, 1), (1, 1, 1), ((0, 1), (2, 0), (0, 0)), None, None),  # padding only
]


WINDOW_SUBSET = [WINDOW_CASES[i] for i in (1, 2, 5, 6, 7)]


def run_windows(kind, dtype, cases, make):
    f = window_fns(kind, dtype)
    xs = [make(c[0], i) for i, c in enumerate(cases)]

    def fn(*xs):
        return tuple(f(x, w, s, p, b, d) for x, (_, w, s, p, b, d) in zip(xs, cases))

    check(fn, *xs, prims={f"reduce_window_{kind}"})


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["sum", "max", "min"])
def test_reduce_window(kind, dtype):
    cases = WINDOW_CASES if dtype in ("float32", "int32") else WINDOW_SUBSET
    if kind == "sum" and dtype in HALF:
        make = lambda shape, i: half_exact(shape, dtype, i)  # noqa: E731
    elif kind == "sum" and dtype == "int32":
        make = lambda shape, i: rand(shape, dtype, i, low=-(2**28), high=2**28)  # noqa: E731
    else:
        make = lambda shape, i: data(shape, dtype, i, full=True)  # noqa: E731
    run_windows(kind, dtype, cases, make)


@pytest.mark.parametrize("kind", ["max", "min"])
def test_reduce_window_bool(kind):
    run_windows(kind, "bool", WINDOW_SUBSET, lambda shape, i: rand(shape, "bool", i))


@pytest.mark.parametrize("dtype", ["int8", "uint8"])
def test_reduce_window_sum_wraps(dtype):
    lo, hi = FULL_RANGE[dtype]
    x = np.full((2, 12), hi, dtype)
    x[1, ::2] = lo
    f = window_fns("sum", dtype)
    check(lambda x: (f(x, (1, 5), (1, 1), "VALID"), f(x, (2, 12), (1, 1), "SAME")), x, prims={"reduce_window_sum"})


def test_reduce_window_int32_beyond_f32():
    x = np.array([[16777217, 16777216, 16777217, 3, 2**30, 2**30, 2**30]], np.int32)
    check(
        lambda x: (
            window_fns("max", "int32")(x, (1, 2), (1, 1), "VALID"),
            window_fns("min", "int32")(x, (1, 2), (1, 1), "VALID"),
            window_fns("sum", "int32")(x, (1, 3), (1, 1), "VALID"),
        ),
        x,
        prims={"reduce_window_max", "reduce_window_min", "reduce_window_sum"},
    )


def test_reduce_window_nan_and_infinities():
    # NaN propagates; windows of only -inf (+inf for min) give the infinity, not +-FLT_MAX.
    x = rand((1, 6, 6, 2), "float32")
    x[0, 1, 1, 0] = np.nan
    x[0, 5, 0, 1] = np.nan
    x[0, 2:4, 2:4, :] = -np.inf
    x[0, 4:, 4:, 0] = np.inf
    check(
        lambda x: (
            nn.max_pool(x, (2, 2), (1, 1), "VALID"),
            nn.max_pool(x, (3, 3), (2, 2), "SAME"),
            window_fns("min", "float32")(x, (1, 2, 3, 1), (1, 1, 1, 1), "SAME"),
            nn.avg_pool(x, (2, 2), (2, 2), "VALID"),
        ),
        x,
        prims={"reduce_window_max", "reduce_window_min", "reduce_window_sum"},
    )


@pytest.mark.parametrize(
    "dtype, padding", [("float32", "SAME"), ("float32", "VALID"), ("float16", "SAME"), ("bfloat16", "VALID")]
)
def test_flax_pooling(dtype, padding):
    # avg_pool with count_include_pad=False divides the half-precision window sum by an f32
    # count, so the (exactly summable) half-precision data is compared at f32 tolerance.
    x = rand((2, 9, 8, 4), dtype) if dtype == "float32" else half_exact((2, 9, 8, 4), dtype)
    check(
        lambda x: (
            nn.max_pool(x, (3, 3), (2, 2), padding),
            nn.max_pool(x, (2, 2), padding=padding),
            nn.avg_pool(x, (3, 3), (2, 2), padding),
            nn.avg_pool(x, (2, 2), (2, 2), padding),
            nn.avg_pool(x, (3, 3), padding=padding, count_include_pad=False),
            window_fns("min", dtype)(x, (1, 3, 2, 1), (1, 1, 2, 1), padding),
            nn.max_pool(x[:, :, 0, :], (3,), (2,), padding),
        ),
        x,
        prims={"reduce_window_max", "reduce_window_sum", "reduce_window_min"},
    )
