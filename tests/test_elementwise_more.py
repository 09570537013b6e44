"""More elementwise primitives (src/cpp/ops/elementwise_float.cpp, bits.cpp) against JAX on OpenVINO CPU:
inverse trigonometric / hyperbolic functions, atan2, population_count, clz; plus the shifts
(translated in bits.cpp) with out-of-range amounts.
"""

from __future__ import annotations

import numpy as np
import pytest
from jax import lax

from harness import FLOATS, INTS32, arr, check_elementwise, full_range, np_dtype, rand

INF, NAN = np.inf, np.nan


@pytest.mark.parametrize("dtype", FLOATS)
def test_inverse_trig_hyperbolic(dtype):
    # each function gets its own input (see test_elementwise: f16/bf16 rounding between ops)
    unit = rand((4, 8), dtype, seed=1, low=-0.999, high=0.999)
    wide = rand((4, 8), dtype, seed=2, low=-20.0, high=20.0)
    big = rand((4, 8), dtype, seed=3, low=1.0, high=60.0)
    hyp = rand((4, 8), dtype, seed=4, low=-9.0, high=9.0)
    cases = {
        "asin": lambda u, w, b, h: lax.asin(u),
        "acos": lambda u, w, b, h: lax.acos(u),
        "atan": lambda u, w, b, h: lax.atan(w),
        "asinh": lambda u, w, b, h: lax.asinh(w),
        "acosh": lambda u, w, b, h: lax.acosh(b),
        "atanh": lambda u, w, b, h: lax.atanh(u),
        "sinh": lambda u, w, b, h: lax.sinh(h),
        "cosh": lambda u, w, b, h: lax.cosh(h),
    }
    check_elementwise(cases, unit, wide, big, hyp)


@pytest.mark.parametrize("dtype", FLOATS)
def test_special_values(dtype):
    x = arr(
        [
            0.0,
            -0.0,
            1.0,
            -1.0,
            INF,
            -INF,
            NAN,
            1e-6,
            -1e-6,
            0.5,
            -0.5,
            2.0,
            1.5,
            30.0,
            -30.0,
            1e4,
            -1e4,
            3e38,
            -3e38,
            1e-30,
            -1e-30,
            0.999,
            -0.999,
            88.0,
            -89.0,
            1.0001,
        ],
        dtype,
    )
    cases = {
        "asin": lax.asin,
        "acos": lax.acos,
        "atan": lax.atan,
        "asinh": lax.asinh,
        "acosh": lax.acosh,
        "atanh": lax.atanh,
        "sinh": lax.sinh,
        "cosh": lax.cosh,
    }
    check_elementwise(cases, x, signed_zeros=True)


@pytest.mark.parametrize("dtype", FLOATS)
def test_atan2(dtype):
    y = rand((4, 8), dtype, seed=5)
    x = rand((4, 8), dtype, seed=6)
    check_elementwise({"atan2": lax.atan2}, y, x)
    # every pair of special values
    sv = [0.0, -0.0, 1.0, -1.0, INF, -INF, NAN, 1e-3, -2.5]
    ys, xs = np.meshgrid(sv, sv, indexing="ij")
    check_elementwise({"atan2": lax.atan2}, arr(ys.ravel(), dtype), arr(xs.ravel(), dtype), signed_zeros=True)


@pytest.mark.parametrize("dtype", INTS32)
def test_bit_counts(dtype):
    info = np.iinfo(np_dtype(dtype))
    x = full_range((4, 8), dtype, seed=7)
    x[0] = np.array([0, 1, 2, 3, info.max, info.min, info.max // 2 + 1, info.max // 2], np.int64).astype(x.dtype)
    x[1] = arr([(1 << (info.bits - 1)) + 1, 255, 256, 1 << (info.bits // 2), 7, 8, 100, 127], dtype)
    check_elementwise({"population_count": lax.population_count, "clz": lax.clz}, x)


@pytest.mark.parametrize("dtype", INTS32)
def test_shifts(dtype):
    bits = np.iinfo(np_dtype(dtype)).bits
    x = full_range((3, 16), dtype, seed=8)
    x[0, :4] = arr([0, 1, 3, 100], dtype)
    amounts = [
        0,
        1,
        2,
        bits // 2,
        bits - 1,
        bits,
        bits + 1,
        100 % (1 << bits) if bits > 7 else 100,
        -1,
        -bits,
        3,
        5,
        7,
        bits - 2,
        1,
        0,
    ]
    s = np.tile(np.array(amounts, np.int64), (3, 1)).astype(np_dtype(dtype))
    cases = {
        "shift_left": lax.shift_left,
        "shift_right_logical": lax.shift_right_logical,
        "shift_right_arithmetic": lax.shift_right_arithmetic,
    }
    check_elementwise(cases, x, s)


@pytest.mark.parametrize("dtype", FLOATS)
def test_reduce_precision(dtype):
    r = np.random.default_rng(11)
    # random values over many binades, halfway cases, and the edges of the narrow formats
    mag = np.exp2(r.uniform(-140, 127, size=64)).astype(np.float32)
    vals = np.concatenate(
        [
            mag * np.where(r.random(64) < 0.5, -1, 1),
            r.uniform(-4, 4, size=32),
            [
                0.0,
                -0.0,
                INF,
                -INF,
                NAN,
                1.0,
                -1.0,
                1 + 2**-8,
                1 + 3 * 2**-8,
                1 + 2**-11,
                1 + 3 * 2**-11,
                65504.0,
                65520.0,
                65536.0,
                -65520.0,
                2.0**-14,
                2.0**-15,
                2.0**-14 * (1 - 2**-11),
                6e-8,
                -6e-8,
                3.3895e38,
                3.4e38,
                -3.4e38,
                2.0**-126,
                2.0**-127,
                1e-45,
                -1e-45,
                2.0**-126 * (1 - 2**-8),
                448.0,
                464.0,
                480.0,
                57344.0,
                61440.0,
                2.0**-6,
                2.0**-7,
                2.0**-9 * 1.75,
                0.1,
                -0.3,
            ],
        ]
    ).astype(np.float32)
    x = arr(vals, dtype)
    cases = {
        "reduce_precision": lambda a: lax.reduce_precision(a, 8, 7),
        "reduce_precision:f16": lambda a: lax.reduce_precision(a, 5, 10),
        "reduce_precision:e4m3": lambda a: lax.reduce_precision(a, 4, 3),
        "reduce_precision:e5m2": lambda a: lax.reduce_precision(a, 5, 2),
        "reduce_precision:e8m0": lambda a: lax.reduce_precision(a, 8, 0),
        "reduce_precision:e3m12": lambda a: lax.reduce_precision(a, 3, 12),
        "reduce_precision:e11m30": lambda a: lax.reduce_precision(a, 11, 30),
        "reduce_precision:e6m1": lambda a: lax.reduce_precision(a, 6, 1),
    }
    # exact: the result is a bit pattern
    check_elementwise(cases, x, signed_zeros=True, tol=(0, 0))


@pytest.mark.parametrize("dtype", FLOATS)
def test_nextafter(dtype):
    sv = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        2.0,
        -0.5,
        0.75,
        INF,
        -INF,
        NAN,
        3.4e38,
        -3.4e38,
        65504.0,
        2.0**-14,
        2.0**-24,
        2.0**-126,
        -(2.0**-126),
        1e-45,
        2.0**-133,
        1e-40,
        0.1,
        1e10,
    ]
    xs, ys = np.meshgrid(sv, [0.0, -0.0, 1.0, -1.0, INF, -INF, NAN, 2.0, 1e-45], indexing="ij")
    x, y = arr(xs.ravel(), dtype), arr(ys.ravel(), dtype)
    # exact: neighbouring floats. (Not with symbolic sizes: the CPU plugin's dynamic-shape
    # kernels flush subnormal results to zero, measured on 2026.4; README "Dynamic shapes".)
    check_elementwise({"nextafter": lax.nextafter}, x, y, signed_zeros=True, tol=(0, 0), symbolic=False)
    a, b = rand((4, 8), dtype, seed=12), rand((4, 8), dtype, seed=13)
    check_elementwise(
        {"nextafter": lax.nextafter, "nextafter:same": lambda u, v: lax.nextafter(u, u)}, a, b, tol=(0, 0)
    )
