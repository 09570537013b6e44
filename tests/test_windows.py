"""Generic reductions with a jaxpr body (reduce, reduce_window), reduce_xor, the max/min
pooling derivatives (select_and_gather_add, select_and_scatter_add), cumlogsumexp and the
half-precision cumsum rounding (src/cpp/ops/windows.cpp, cumulative.cpp).

Integer results must be exact; tie-breaking of the pooling derivatives (the first window
position holding the extreme) is checked on data full of ties.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax
from jax._src.lax import windowed_reductions as wr

import harness
from harness import rand

NUM_DTYPES = ["float32", "bfloat16", "int8", "int32", "uint8"]


def ties(shape, dtype, seed=0, values=3):
    """Small integers (many ties) as `dtype`."""
    x = rand(shape, "int32", seed, low=0, high=values - 1)
    if dtype == "bool":
        return x > 0
    return x.astype(rand((1,), dtype).dtype)


def scalar(v, dtype):
    return np.asarray(v).astype(rand((1,), dtype).dtype)


# ---- reduce with a jaxpr body


def half_exact(shape, dtype, seed=0):
    """Multiples of 1/4 in [-2, 2] (exact sums in bfloat16: JAX's order of a half-precision
    reduction's roundings is XLA's business, not this test's)."""
    x = np.round(rand(shape, "float32", seed, low=-2, high=2) * 4) / 4
    return x.astype(rand((1,), dtype).dtype)


@pytest.mark.parametrize("dtype", NUM_DTYPES)
def test_reduce_monoid_bodies(dtype):
    data = half_exact if dtype == "bfloat16" else rand
    x = data((3, 4, 5), dtype)
    y = data((3, 4, 5), dtype, seed=1)
    init = scalar(3, dtype)
    cases = {
        "reduce": lambda x, y: lax.reduce(x, init, lambda a, b: a + b, (1,)),
        "reduce:add_all": lambda x, y: lax.reduce(x, init, lambda a, b: b + a, (0, 1, 2)),
        "reduce:mul": lambda x, y: lax.reduce(x, scalar(2, dtype), lambda a, b: a * b, (0,)),
        "reduce:max": lambda x, y: lax.reduce(x, init, lax.max, (0, 2)),
        "reduce:min": lambda x, y: lax.reduce(x, init, lambda a, b: lax.min(b, a), (2,)),
        "reduce:none": lambda x, y: lax.reduce(x, init, lambda a, b: a + b, ()),
        "reduce:two": lambda x, y: lax.reduce(
            (x, y), (init, scalar(0, dtype)), lambda a, b: (lax.max(a[0], b[0]), lax.min(a[1], b[1])), (1,)
        ),
    }
    if dtype.startswith("int") or dtype.startswith("uint"):
        cases["reduce:and"] = lambda x, y: lax.reduce(x, scalar(6, dtype), lax.bitwise_and, (0,))
        cases["reduce:or"] = lambda x, y: lax.reduce(x, init, lax.bitwise_or, (1, 2))
        cases["reduce:xor"] = lambda x, y: lax.reduce(x, init, lax.bitwise_xor, (2,))
        cases["reduce_xor"] = lambda x, y: lax.reduce(x, scalar(0, dtype), lax.bitwise_xor, (0, 2))
    harness.check_cases(cases, x, y)


def test_reduce_bool_and_full_range_ints():
    b = rand((4, 6), "bool")
    t, f = np.bool_(True), np.bool_(False)
    big = rand((4, 6), "int32", low=-(2**31), high=2**31 - 1)
    harness.check_cases(
        {
            "reduce:and": lambda b, big: lax.reduce(b, f, lax.bitwise_and, (0,)),
            "reduce:or": lambda b, big: lax.reduce(b, t, lax.bitwise_or, (1,)),
            "reduce:xor": lambda b, big: lax.reduce(b, t, lax.bitwise_xor, (0,)),
            "reduce_xor": lambda b, big: lax.reduce(b, f, lax.bitwise_xor, (1,)),
            "reduce:max": lambda b, big: lax.reduce(big, np.int32(2**30 + 1), lax.max, (0,)),
            "reduce:add": lambda b, big: lax.reduce(big, np.int32(2**31 - 1), lambda a, c: a + c, (1,)),
        },
        b,
        big,
    )


def test_reduce_float_specials():
    x = np.array([[np.nan, 1.0, -np.inf], [2.0, -np.inf, -np.inf]], np.float32)
    harness.check_cases(
        {
            "reduce:max": lambda x: lax.reduce(x, np.float32(-np.inf), lambda a, b: lax.max(a, b), (1,)),
            "reduce:min": lambda x: lax.reduce(x, np.float32(0.5), lax.min, (0,)),
            "reduce:add": lambda x: lax.reduce(x, np.float32(1), lambda a, b: a + b, (1,)),
        },
        x,
    )


def test_reduce_not_a_monoid_is_a_clear_error():
    import ovjax

    x = np.ones((3, 4), np.float32)
    closed = jax.make_jaxpr(lambda x: lax.reduce(x, np.float32(0), lambda a, b: a + 2 * b, (0,)))(x)
    with pytest.raises(Exception, match=r"reduce: the reduction body \(mul, add\) is not a recognised monoid"):
        ovjax.convert_model(closed)


# ---- reduce_window with a jaxpr body

WINDOW_CASES = [
    # window, strides, padding, base dilation, window dilation
    ((2, 2), (1, 1), ((0, 0), (0, 0)), (1, 1), (1, 1)),
    ((2, 3), (2, 1), ((1, 0), (0, 2)), (1, 1), (1, 1)),
    ((3, 2), (1, 2), ((1, 1), (1, 1)), (2, 1), (1, 2)),
    ((1, 4), (1, 3), ((0, 0), (2, 1)), (1, 2), (1, 1)),
]


@pytest.mark.parametrize("dtype", NUM_DTYPES + ["uint32", "int16"])
def test_reduce_window_bodies(dtype):
    x = rand((5, 7), dtype, low=-3, high=3) if dtype in ("float32", "bfloat16") else ties((5, 7), dtype, values=5)
    init = scalar(2, dtype)
    cases = {}
    for i, (win, st, pad, base, wdil) in enumerate(WINDOW_CASES):

        def rw(body, init_v, win=win, st=st, pad=pad, base=base, wdil=wdil):
            return lambda x: lax.reduce_window(x, init_v, body, win, st, pad, base, wdil)

        cases[f"reduce_window:mul{i}"] = rw(lax.mul, init)
        cases[f"reduce_window:add{i}"] = rw(lambda a, b: a + b, init)
        cases[f"reduce_window:max{i}"] = rw(lax.max, init)
        cases[f"reduce_window:min{i}"] = rw(lambda a, b: lax.min(b, a), scalar(1, dtype))
        if not dtype.startswith(("float", "bfloat")):
            cases[f"reduce_window:and{i}"] = rw(lax.bitwise_and, scalar(3, dtype))
            cases[f"reduce_window:or{i}"] = rw(lax.bitwise_or, init)
            cases[f"reduce_window:xor{i}"] = rw(lax.bitwise_xor, init)
    tol = (0.05, 0.05) if dtype == "bfloat16" else None  # products of up to 6 bf16 values
    harness.check_cases(cases, x, tol=tol)


def test_reduce_window_bool_and_variadic():
    b = rand((4, 6), "bool")
    x = rand((4, 6), "float32")
    y = ties((4, 6), "int32", values=50)
    t, f = np.bool_(True), np.bool_(False)
    w = dict(window_dimensions=(2, 3), window_strides=(1, 2), padding=((1, 0), (0, 1)))
    harness.check_cases(
        {
            "reduce_window": lambda b, x, y: lax.reduce_window(b, t, lax.bitwise_and, **w),
            "reduce_window:or": lambda b, x, y: lax.reduce_window(b, t, lax.bitwise_or, **w),
            "reduce_window:xor": lambda b, x, y: lax.reduce_window(b, f, lax.bitwise_xor, **w),
            "reduce_window:two": lambda b, x, y: lax.reduce_window(
                (x, y),
                (np.float32(0.5), np.int32(7)),
                lambda a, c: (a[0] + c[0], lax.max(a[1], c[1])),
                **w,
            ),
        },
        b,
        x,
        y,
    )


def test_reduce_window_not_a_monoid_is_a_clear_error():
    import ovjax

    x = np.ones((4, 4), np.float32)
    closed = jax.make_jaxpr(lambda x: lax.reduce_window(x, np.float32(0), lambda a, b: a - b, (2, 2), (1, 1), "VALID"))(
        x
    )
    with pytest.raises(Exception, match=r"reduce_window: the reduction body \(sub\) is not a recognised monoid"):
        ovjax.convert_model(closed)


# ---- pooling derivatives

SELECT_CASES = [
    # window, strides, padding
    ((2, 2), (1, 1), ((0, 0), (0, 0))),
    ((3, 2), (2, 1), ((1, 1), (0, 1))),
    ((2, 3), (2, 3), ((1, 0), (2, 2))),
    ((3, 3), (1, 1), ((2, 2), (2, 2))),
]


@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "float16"])
def test_select_and_gather_add(dtype):
    # many ties in the operand (the first window position wins), padding, both dilations
    op = ties((5, 7), dtype, values=3)
    tan = rand((5, 7), dtype, seed=2)
    cases = {}
    for i, (win, st, pad) in enumerate(SELECT_CASES):
        for prim in (lax.ge_p, lax.le_p):
            for base, wdil in (((1, 1), (1, 1)), ((2, 1), (1, 2))):
                cases[f"select_and_gather_add:{i}{prim.name}{base}{wdil}"] = (
                    lambda t, o, win=win, st=st, pad=pad, prim=prim, base=base, wdil=wdil: wr._select_and_gather_add(
                        t, o, prim, win, st, pad, base, wdil
                    )
                )
    harness.check_cases(cases, tan, op)


def test_select_and_gather_add_infinities():
    op = np.array([[-np.inf, -np.inf, 1.0], [-np.inf, 2.0, np.inf]], np.float32)
    tan = np.arange(6, dtype=np.float32).reshape(2, 3) + 1
    harness.check_cases(
        {
            f"select_and_gather_add:{p.name}": (
                lambda t, o, p=p: wr._select_and_gather_add(t, o, p, (1, 2), (1, 1), ((0, 0), (1, 1)), (1, 1), (1, 1))
            )
            for p in (lax.ge_p, lax.le_p)
        },
        tan,
        op,
    )


def test_select_and_gather_add_is_the_max_pool_jvp():
    x = rand((2, 6, 7, 3), "float32")
    t = rand((2, 6, 7, 3), "float32", seed=1)

    def pool(x):
        return lax.reduce_window(x, -jnp.inf, lax.max, (1, 2, 3, 1), (1, 2, 1, 1), "SAME")

    harness.check(lambda x, t: jax.jvp(pool, (x,), (t,)), x, t, prims={"select_and_gather_add"})


@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "int8", "int32", "uint8", "uint32", "bool"])
def test_select_and_scatter_add(dtype):
    op = ties((6, 7), dtype, values=3)
    cases, srcs = {}, []
    for i, (win, st, pad) in enumerate(SELECT_CASES):
        out = [(n + lo + hi - w) // s + 1 for n, w, s, (lo, hi) in zip(op.shape, win, st, pad)]
        srcs.append(rand(out, dtype, seed=i) if dtype != "bool" else rand(out, "bool", seed=i))
        for prim in (lax.ge_p, lax.le_p):
            cases[f"select_and_scatter_add:{i}{prim.name}"] = lambda o, *s, i=i, win=win, st=st, pad=pad, prim=prim: (
                wr._select_and_scatter_add(s[i], o, prim, win, st, pad)
            )
    harness.check_cases(cases, op, *srcs)


def test_select_and_scatter_add_is_the_max_pool_gradient():
    x = rand((2, 6, 6, 3), "float32")

    def pool(x):
        return lax.reduce_window(x, -jnp.inf, lax.max, (1, 3, 3, 1), (1, 2, 2, 1), "SAME")

    harness.check(jax.grad(lambda x: (pool(x) ** 2).sum()), x, prims={"select_and_scatter_add"})


# ---- cumulative


def test_cumlogsumexp():
    x = np.array([[-200.0, 0.0, 5.0, -np.inf, 80.0], [-np.inf, -np.inf, 3.0, np.inf, 1.0]], np.float32)
    r = rand((9, 33), "float32", low=-20, high=20)
    h = rand((6, 5), "float16")
    harness.check_cases(
        {
            "cumlogsumexp": lambda x, r: lax.cumlogsumexp(x, axis=1),
            "cumlogsumexp:rev": lambda x, r: lax.cumlogsumexp(x, axis=1, reverse=True),
            "cumlogsumexp:r0": lambda x, r: lax.cumlogsumexp(r, axis=0),
            "cumlogsumexp:r1": lambda x, r: lax.cumlogsumexp(r, axis=1, reverse=True),
        },
        x,
        r,
        tol=(1e-5, 1e-5),
    )
    harness.check_cases({"cumlogsumexp:f16": lambda h: lax.cumlogsumexp(h, axis=0)}, h)


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_cumsum_half_rounds_every_step(dtype):
    # JAX's CPU cumsum of half types rounds after every addition; the results must be identical
    # (XLA scans blocks of 16, then the block totals: lengths 5, 40 and 300 cover one, two
    # and three levels; reversed scans are costlier to compile, so only up to two levels here)
    x = rand((40, 5), dtype, low=-8, high=8)
    y = rand((2, 300), dtype, low=-8, high=8, seed=1)
    harness.check_cases(
        {
            "cumsum:0": lambda x, y: lax.cumsum(x, axis=0),
            "cumsum:rev": lambda x, y: lax.cumsum(x, axis=0, reverse=True),
            "cumsum:1": lambda x, y: lax.cumsum(x, axis=1),
            "cumsum:long": lambda x, y: lax.cumsum(y, axis=1),
        },
        x,
        y,
        tol=(0, 0),
    )
