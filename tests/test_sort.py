"""sort, top_k and approx_top_k (src/cpp/ops/sort.cpp) against JAX on OpenVINO CPU.

Results are compared bit for bit (values with the signs of zeros, and indices): sorting
only moves data, so there is no tolerance.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest
from jax import lax

import harness
import ovjax
from harness import FLOATS, INTS32, assert_prims, np_dtype, rand, run_ov

INF, NAN = np.inf, np.nan


def special(shape, dtype, seed=0):
    """Random data with many ties; floats with +-0, +-inf and NaN, integers over the whole range."""
    dt = np_dtype(dtype)
    r = np.random.default_rng(seed)
    if np.issubdtype(dt, np.integer):
        info = np.iinfo(dt)
        pool = np.array(
            [
                info.min,
                info.max,
                0,
                1,
                -1 if info.min < 0 else 2,
                info.max - 1,
                info.min + 1,
                info.max // 2,
                info.max // 2 + 1,
                16777217 % (int(info.max) + 1),
                16777216 % (int(info.max) + 1),
            ],
            dtype=np.int64,
        )
        full = r.integers(int(info.min), int(info.max) + 1, size=shape, dtype=np.int64)
        picks = pool[r.integers(0, len(pool), size=shape)]
        return np.where(r.random(shape) < 0.5, picks, full).astype(dt)
    pool = np.array([0.0, -0.0, INF, -INF, NAN, 1.0, -1.0, 2.5, 1e-30, -1e-30], np.float32)
    vals = r.integers(-4, 5, size=shape).astype(np.float32) * 0.5
    picks = pool[r.integers(0, len(pool), size=shape)]
    return np.where(r.random(shape) < 0.4, picks, vals).astype(dt)


def same(got, want, where):
    want = np.asarray(want)
    assert got.shape == want.shape, f"{where}: shape {got.shape} != {want.shape}"
    if want.dtype.kind == "f" or want.dtype == ml_dtypes.bfloat16:
        g = np.asarray(got, np.float32)
        w = np.asarray(want, np.float32)
        gn, wn = np.isnan(g), np.isnan(w)
        ok = (
            np.array_equal(gn, wn)
            and np.array_equal(g[~gn], w[~wn])
            and np.array_equal(np.signbit(g[~gn]), np.signbit(w[~wn]))
        )
        assert ok, f"{where}:\n got {g.tolist()}\nwant {w.tolist()}"
    else:
        assert got.dtype.itemsize == want.dtype.itemsize or want.dtype == np.bool_, (
            f"{where}: {got.dtype} vs {want.dtype}"
        )
        np.testing.assert_array_equal(got.astype(want.dtype), want, err_msg=where)


def check_cases(cases, *args):
    harness.check_cases(cases, *args, compare=same)


def arange_like(x, axis):
    return lax.broadcasted_iota(jnp.int32, x.shape, axis)


@pytest.mark.parametrize("dtype", FLOATS + INTS32 + ["bool"])
def test_sort_argsort(dtype):
    x = special((5, 12), dtype, seed=1) if dtype != "bool" else rand((5, 12), "bool", seed=1)
    cases = {
        "sort:axis1": lambda a: jnp.sort(a, axis=1),
        "sort:axis0": lambda a: jnp.sort(a, axis=0),
        "sort:argsort1": lambda a: jnp.argsort(a, axis=1, stable=True),
        "sort:argsort0": lambda a: jnp.argsort(a, axis=0, stable=True),
        "sort:descending": lambda a: jnp.argsort(a, axis=1, stable=True, descending=True),
        "sort:unstable_flag": lambda a: lax.sort(a, dimension=1, is_stable=False),
    }
    check_cases(cases, x)


def test_sort_float_order():
    # JAX's lax.sort order: -inf < ... < -0.0 == 0.0 < ... < inf < NaN (all NaNs equal, stable)
    x = np.array(
        [
            NAN,
            -NAN,
            1,
            INF,
            -INF,
            -0.0,
            0.0,
            -0.0,
            2,
            NAN,
            0.0,
            -1e-45,
            1e-45,
            -3.4e38,
            3.4e38,
            5e-39,
            -1e-40,
            6e-8,
            -6e-8,
        ],
        np.float32,
    )
    i = np.arange(x.size, dtype=np.int32)
    cases = {
        "sort:values": lambda a, b: lax.sort(a),
        "sort:with_index": lambda a, b: lax.sort((a, b), num_keys=1),
    }
    check_cases(cases, x, i)
    for dt in ("float16", "bfloat16"):
        with np.errstate(over="ignore"):  # +-3.4e38 is inf in float16, on purpose
            xd = x.astype(np_dtype(dt))
        check_cases({"sort": lambda a, b: lax.sort((a, b), num_keys=1)}, xd, i)


def test_top_k_float_order():
    # XLA's total order: -inf < ... < -0.0 < 0.0 < ... < inf < NaN. (A NaN with its sign bit
    # set, which XLA puts below -inf, is not distinguishable in OpenVINO: not tested.)
    x = np.array([NAN, 1, INF, -INF, -0.0, 0.0, -0.0, 2, NAN, 0.0, -1e-45, 1e-45, -3.4e38, 3.4e38, 5e-39], np.float32)
    cases = {
        "top_k": lambda a: lax.top_k(a, 15),
        "top_k:5": lambda a: lax.top_k(a, 5),
    }
    check_cases(cases, x)
    for dt in ("float16", "bfloat16"):
        with np.errstate(over="ignore"):
            xd = x.astype(np_dtype(dt))
        if not _top_k_orders_subnormals(np_dtype(dt)):
            # JAX 0.10.2's XLA, on an Intel Xeon with AVX512-BF16 and AMX, ties bf16
            # subnormals with the zeros in top_k (measured: [0.0, 5e-39, 1e-38] keeps index
            # order); JAX 0.12, and 0.10.2 on an AMD EPYC, order them as its total order
            # says, as ovjax does. Where JAX does not, subnormals are left out of the input.
            tiny = np.finfo(np_dtype(dt)).tiny
            xd = np.where(np.abs(xd.astype(np.float32)) < tiny, np.zeros_like(xd), xd)
        check_cases({"top_k": lambda a: lax.top_k(a, 15)}, xd)


def _top_k_orders_subnormals(dtype) -> bool:
    """Whether this JAX, on this CPU, orders subnormals of `dtype` above zero in top_k."""
    tiny = float(np.finfo(dtype).tiny)
    _, i = lax.top_k(jnp.array([0.0, tiny / 4], dtype), 2)
    return i.tolist() == [1, 0]


def test_sort_multiple_operands():
    k1 = rand((4, 16), "int32", seed=2, low=0, high=3)
    k2 = special((4, 16), "float32", seed=3)
    v = rand((4, 16), "uint32", seed=4, low=0, high=4_000_000_000)
    b = rand((4, 16), "bool", seed=5)
    cases = {
        "sort:2ops_1key": lambda a, c, d, e: lax.sort((a, d), num_keys=1),
        "sort:3ops_2keys": lambda a, c, d, e: lax.sort((a, c, d), num_keys=2),
        "sort:3ops_2keys_axis0": lambda a, c, d, e: lax.sort((c, a, e), dimension=0, num_keys=2),
        "sort:4ops_3keys": lambda a, c, d, e: lax.sort((e, a, c, d), num_keys=3),
        "sort:uint_key": lambda a, c, d, e: lax.sort((d, a), num_keys=1),
        "sort:iota": lambda a, c, d, e: lax.sort((a, c, arange_like(a, 1)), num_keys=2),
    }
    check_cases(cases, k1, k2, v, b)


def test_sort_wide_integers():
    # beyond f32's 2^24 and uint32 >= 2^31: neighbours must stay distinct and ordered
    base = np.array(
        [
            16777216,
            16777217,
            16777218,
            2**31 - 1,
            -(2**31),
            -(2**31) + 1,
            16777219,
            -16777217,
            -16777216,
            0,
            1,
            2**30 + 1,
            2**30,
        ],
        np.int64,
    )
    xi = base.astype(np.int32)
    xu = (base.astype(np.int64) % 2**32).astype(np.uint32)
    cases = {
        "sort:int32": lambda a, b: jnp.sort(a),
        "sort:argsort_int32": lambda a, b: jnp.argsort(a),
        "sort:uint32": lambda a, b: jnp.sort(b),
        "sort:argsort_uint32": lambda a, b: jnp.argsort(b),
        "top_k:int32": lambda a, b: lax.top_k(a, 6),
        "top_k:uint32": lambda a, b: lax.top_k(b, 6),
    }
    check_cases(cases, xi, xu)


def test_sort_3d_and_degenerate():
    x = special((3, 4, 5), "float32", seed=6)
    cases = {
        "sort:ax0": lambda a: jnp.sort(a, axis=0),
        "sort:ax1": lambda a: jnp.sort(a, axis=1),
        "sort:ax2": lambda a: jnp.sort(a, axis=-1),
        "sort:len1": lambda a: jnp.sort(a[:, :1], axis=1),
        "top_k:ax0": lambda a: lax.top_k(jnp.moveaxis(a, 0, -1), 2),
        "top_k:k0": lambda a: lax.top_k(a, 0),
    }
    check_cases(cases, x)


@pytest.mark.parametrize("dtype", FLOATS + INTS32)
def test_top_k(dtype):
    x = special((6, 10), dtype, seed=7)
    cases = {
        "top_k:1": lambda a: lax.top_k(a, 1),
        "top_k:3": lambda a: lax.top_k(a, 3),
        "top_k:all": lambda a: lax.top_k(a, 10),
        # (NaN kept as it is: -NaN is below -inf in XLA's order and OpenVINO cannot see NaN signs)
        "top_k:neg": lambda a: lax.top_k(jnp.where(a != a, a, -a) if np_dtype(dtype).kind != "u" else ~a, 4),
    }
    check_cases(cases, x)


def test_top_k_ties_first_index():
    x = np.array([[1, 3, 3, 2, 3, 1, 2, 2], [5, 5, 5, 5, 5, 5, 5, 5]], np.float32)
    cases = {
        "top_k:f32": lambda a: lax.top_k(a, 5),
        "top_k:i32": lambda a: lax.top_k(a.astype(jnp.int32), 5),
        "top_k:u8": lambda a: lax.top_k(a.astype(jnp.uint8), 8),
    }
    check_cases(cases, x)


@pytest.mark.parametrize("dtype", FLOATS)
def test_approx_top_k(dtype):
    # exact on CPU; XLA's approx comparator leaves NaN's place unspecified, so no NaN here
    x = rand((4, 40), dtype, seed=8)
    x[0, :6] = np.array([0.0, -0.0, 0.0, INF, -INF, 1.5], np.float32).astype(x.dtype)
    cases = {
        "approx_top_k": lambda a: lax.approx_max_k(a, 5),
        "approx_top_k:min": lambda a: lax.approx_min_k(a, 7),
        "approx_top_k:axis0": lambda a: lax.approx_max_k(a, 2, reduction_dimension=0),
    }
    check_cases(cases, x)


def test_top_k_in_model():
    # a small classifier head: logits -> top-3 probabilities and labels, plus a sorted-feature pooling
    # small integers as floats: the matmul is exact, so ties are real ties in both
    w = rand((16, 10), "int8", seed=9, low=-3, high=3).astype(np.float32)
    x = rand((4, 16), "int8", seed=10, low=-2, high=2).astype(np.float32)

    def model(x, w):
        logits = x @ w
        top_l, top_i = lax.top_k(logits, 3)
        top_p = jax.nn.softmax(top_l, axis=-1)
        pooled = jnp.sort(x, axis=-1)[:, -4:].mean(axis=-1)
        return top_p, top_i, pooled

    closed = jax.make_jaxpr(model)(x, w)
    assert_prims(closed, prims={"top_k", "sort"})
    got = run_ov(ovjax.convert_model(closed), (x, w))
    want = jax.jit(model)(x, w)
    np.testing.assert_allclose(got[0], want[0], rtol=2e-5, atol=2e-5)
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_allclose(got[2], want[2], rtol=2e-5, atol=2e-5)


def test_sort_long_axis():
    # long rows: many ties among wide integers, full-range uint32 second key
    a = rand((3, 1000), "int32", seed=11, low=-(2**31), high=2**31 - 1)
    a[:, 1::2] = a[:, ::2]  # every value twice
    a[:, 500:600] = 16777217
    b = rand((3, 1000), "uint32", seed=12, low=0, high=2**32 - 1)
    b[:, 550:600] = b[:, 500:550]
    f = special((3, 1000), "float32", seed=13)
    cases = {
        "sort:int_uint_keys": lambda x, y, z: lax.sort((x, y, arange_like(x, 1)), num_keys=2),
        "sort:float": lambda x, y, z: lax.sort((z, arange_like(z, 1)), num_keys=1),
        "top_k": lambda x, y, z: lax.top_k(z, 100),
    }
    check_cases(cases, a, b, f)
