"""Elementwise primitives (src/cpp/ops/elementwise.cpp) against JAX on OpenVINO CPU.

Each test converts one model holding several cases (one output per case) and
reports every mismatching case by name. Every case is traced on its own first to
assert that the primitive it is named for really is in its jaxpr.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import harness
import openvino as ov

import ovjax
from harness import FLOATS, arr, check_elementwise, full_range, np_dtype, rand

INTS = ["int8", "int16", "int32", "uint8", "uint32"]
SIGNED = ["int8", "int16", "int32"]
INF, NAN = np.inf, np.nan
AWAY, EVEN = lax.RoundingMethod.AWAY_FROM_ZERO, lax.RoundingMethod.TO_NEAREST_EVEN


# ---------------------------------------------------------------- arithmetic


@pytest.mark.parametrize("dtype", FLOATS + INTS)
def test_binary_arithmetic(dtype):
    x = rand((4, 8), dtype, seed=1)
    y = rand((4, 8), dtype, seed=2)
    if dtype in INTS:
        # mix small operands (exact quotients/remainders) with full-range ones (wrap-around)
        x[2:] = full_range((2, 8), dtype, seed=3)
        y[3:] = full_range((1, 8), dtype, seed=4)
        y[y == 0] = 7
    else:
        y = np.where(np.abs(y.astype(np.float32)) < 0.25, 0.5, y).astype(y.dtype)
    cases = {
        "add": lax.add,
        "sub": lax.sub,
        "mul": lax.mul,
        "div": lax.div,
        "rem": lax.rem,
        "max": lax.max,
        "min": lax.min,
        "add:literal": lambda a, b: lax.add(a, np.array(3, a.dtype)),
        "mul:literal": lambda a, b: lax.mul(np.array(2, a.dtype), b),
    }
    check_elementwise(cases, x, y)


@pytest.mark.parametrize("dtype", SIGNED)
def test_integer_division_truncates_toward_zero(dtype):
    x = arr([7, -7, 7, -7, 1, -1, 0, 6, -6, 100, -100, -99], dtype)
    y = arr([2, 2, -2, -2, 3, 3, -5, 3, -3, 7, 7, -7], dtype)
    check_elementwise({"div": lax.div, "rem": lax.rem}, x, y)


def test_integer_overflow_wraps_int8():
    x = arr([127, -128, 100, -100, 64, -128, 127, 1], "int8")
    y = arr([1, -1, 100, -100, 2, 1, 127, -128], "int8")
    cases = {
        "add": lax.add,
        "sub": lax.sub,
        "mul": lax.mul,
        "neg": lambda a, b: lax.neg(a),
        "abs": lambda a, b: lax.abs(a),
        "square": lambda a, b: lax.square(a),
        "integer_pow": lambda a, b: lax.integer_pow(a, 3),
        "div:min_by_minus_one": lambda a, b: lax.div(a, arr(-1, "int8")),
        "rem:min_by_minus_one": lambda a, b: lax.rem(a, arr(-1, "int8")),
    }
    check_elementwise(cases, x, y)


@pytest.mark.parametrize("dtype", INTS)
def test_integer_unary(dtype):
    x = full_range((3, 8), dtype, seed=5)
    x[0, :4] = arr([0, 1, 2, 3], dtype)
    x[1] = rand((8,), dtype, seed=6)
    cases = {
        "neg": lax.neg,
        "sign": lax.sign,
        "square": lax.square,
        "integer_pow:1": lambda a: lax.integer_pow(a, 1),
        "integer_pow:2": lambda a: lax.integer_pow(a, 2),
        "integer_pow:3": lambda a: lax.integer_pow(a, 3),
        "integer_pow:0": lambda a: lax.integer_pow(a, 0),
        "integer_pow:7": lambda a: lax.integer_pow(a, 7),
        "not": lax.bitwise_not,
    }
    if dtype in SIGNED:
        cases["abs"] = lax.abs
    check_elementwise(cases, x)


@pytest.mark.parametrize("dtype", FLOATS)
def test_float_unary(dtype):
    x = rand((4, 8), dtype, seed=7)  # (-3, 3)
    cases = {
        "neg": lax.neg,
        "abs": lax.abs,
        "sign": lax.sign,
        "floor": lax.floor,
        "ceil": lax.ceil,
        "round:away": lambda a: lax.round(a, AWAY),
        "round:even": lambda a: lax.round(a, EVEN),
        "square": lax.square,
        "integer_pow:0": lambda a: lax.integer_pow(a, 0),
        "integer_pow:2": lambda a: lax.integer_pow(a, 2),
        "integer_pow:3": lambda a: lax.integer_pow(a, 3),
        "integer_pow:5": lambda a: lax.integer_pow(a, 5),
        "integer_pow:-1": lambda a: lax.integer_pow(a, -1),
        "integer_pow:-2": lambda a: lax.integer_pow(a, -2),
        "integer_pow:-3": lambda a: lax.integer_pow(a, -3),
        "cbrt": lax.cbrt,
        "exp": lax.exp,
        "exp2": lax.exp2,
        "expm1": lax.expm1,
        "tanh": lax.tanh,
        "logistic": lax.logistic,
        "sin": lax.sin,
        "cos": lax.cos,
        "erf": lax.erf,
        "erfc": lax.erfc,
        "is_finite": lax.is_finite,
    }
    check_elementwise(cases, x)


@pytest.mark.parametrize("dtype", FLOATS)
def test_float_unary_restricted_domains(dtype):
    # each function gets its own input: in f16/bf16, an op between input and function
    # would be rounded by JAX but not by OpenVINO (f32 inside), which some functions amplify
    pos = rand((4, 8), dtype, seed=8, low=0.01, high=20.0)
    unit = rand((4, 8), dtype, seed=9, low=-0.99, high=0.99)
    half_pi = rand((4, 8), dtype, seed=10, low=-1.3, high=1.3)
    expo = rand((4, 8), dtype, seed=11, low=-3.0, high=3.0)
    cases = {
        "sqrt": lambda p, u, h, e: lax.sqrt(p),
        "rsqrt": lambda p, u, h, e: lax.rsqrt(p),
        "log": lambda p, u, h, e: lax.log(p),
        "log1p": lambda p, u, h, e: lax.log1p(u),
        "erf_inv": lambda p, u, h, e: lax.erf_inv(u),
        "tan": lambda p, u, h, e: lax.tan(h),
        "pow": lambda p, u, h, e: lax.pow(p, e),
    }
    check_elementwise(cases, pos, unit, half_pi, expo)


@pytest.mark.parametrize("dtype", FLOATS)
def test_float_special_values(dtype):
    v = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, -2.5, 2.5, INF, -INF, NAN, 1e-3, -7.25, 30.0]
    x = arr(v, dtype)
    cases = {
        "neg": lax.neg,
        "abs": lax.abs,
        "sign": lax.sign,
        "floor": lax.floor,
        "ceil": lax.ceil,
        "round:away": lambda a: lax.round(a, AWAY),
        "round:even": lambda a: lax.round(a, EVEN),
        "is_finite": lax.is_finite,
        "sqrt": lax.sqrt,
        "rsqrt": lax.rsqrt,
        "cbrt": lax.cbrt,
        "exp": lax.exp,
        "exp2": lax.exp2,
        "expm1": lax.expm1,
        "log": lax.log,
        "log1p": lax.log1p,
        "tanh": lax.tanh,
        "logistic": lax.logistic,
        "erf": lax.erf,
        "erfc": lax.erfc,
        "sin": lax.sin,
        "cos": lax.cos,
        "tan": lax.tan,
        "erf_inv": lax.erf_inv,
        "square": lax.square,
        "integer_pow:3": lambda a: lax.integer_pow(a, 3),
        "integer_pow:-1": lambda a: lax.integer_pow(a, -1),
    }
    check_elementwise(cases, x, signed_zeros=True)


@pytest.mark.parametrize("dtype", FLOATS)
def test_float_special_values_binary(dtype):
    x = arr([0.0, -0.0, 1.0, -1.0, INF, -INF, NAN, 2.0, NAN, 3.0, -4.0, 5.0, INF, 0.0], dtype)
    y = arr([0.0, 1.0, 0.0, -0.0, 2.0, INF, 1.0, NAN, NAN, INF, 2.0, -3.0, INF, -2.0], dtype)
    cases = {
        "add": lax.add,
        "sub": lax.sub,
        "mul": lax.mul,
        "div": lax.div,
        "rem": lax.rem,
        "max": lax.max,
        "min": lax.min,
    }
    check_elementwise(cases, x, y, signed_zeros=True)


@pytest.mark.parametrize("dtype", FLOATS)
def test_max_min_with_constants(dtype):
    """max/min against a constant (relu, clipping) compile to one compare and one select
    (elementwise.cpp extremum): NaN propagates and signed zeros come out as in XLA, which orders
    -0 below +0, for every zero constant and both operand orders."""
    x = arr([0.0, -0.0, 1.0, -1.0, INF, -INF, NAN, 2.0, -3.0, 0.5], dtype)
    per_elem = arr([0.0, 0.0, -0.0, -0.0, 1.0, -1.0, 2.0, NAN, -0.0, 0.0], dtype)
    dt = x.dtype
    cases = {
        "max:relu": lambda a: lax.max(a, dt.type(0.0)),
        "max:relu_swapped": lambda a: lax.max(dt.type(0.0), a),
        "max:neg_zero": lambda a: lax.max(a, dt.type(-0.0)),
        "min:zero": lambda a: lax.min(a, dt.type(0.0)),
        "min:neg_zero": lambda a: lax.min(dt.type(-0.0), a),
        "min:clip": lambda a: lax.min(lax.max(a, dt.type(-1.5)), dt.type(1.5)),
        # a constant holding both zeros, and one with a NaN: the general form
        "max:mixed_zeros": lambda a: lax.max(a, jnp.asarray(per_elem[[0, 1, 2, 3, 4, 5, 6, 8, 8, 9]])),
        "min:nan_constant": lambda a: lax.min(a, jnp.asarray(per_elem)),
    }
    check_elementwise(cases, x, signed_zeros=True)


@pytest.mark.parametrize("dtype", FLOATS)
def test_transcendental_small_and_large_arguments(dtype):
    x = arr([1e-7, -1e-7, 1e-5, -1e-5, 1e-3, -1e-3, 0.3, -0.3, 0.6, -0.6, 5.0, -5.0, 20.0, -20.0], dtype)
    cases = {
        "expm1": lax.expm1,
        "log1p": lambda a: lax.log1p(lax.abs(a)),
        "tanh": lax.tanh,
        "logistic": lax.logistic,
        "erf": lax.erf,
        "erfc": lax.erfc,
    }
    check_elementwise(cases, x)


@pytest.mark.parametrize("dtype", FLOATS)
def test_erf_inv_edges(dtype):
    x = arr([-1.0, 1.0, -0.0, 0.0, 0.5, -0.9, 0.99, -0.999, 0.9999, 1e-4, 1.5, NAN], dtype)
    check_elementwise({"erf_inv": lax.erf_inv}, x)


@pytest.mark.parametrize("dtype", FLOATS)
def test_pow(dtype):
    base = arr([1.0, 2.0, 0.5, 3.0, 10.0, 0.0, 0.0, 4.0, INF, 1.0, 7.0, 2.0], dtype)
    expo = arr([5.0, -2.0, 3.5, 0.0, 0.5, 2.0, 0.0, -0.5, -1.0, NAN, 1.0, 10.0], dtype)
    iexp = arr([0, 1, 2, 3, -1, -2, 5, 4, 2, 3, 0, -3], "int32")
    cases = {
        "pow": lambda b, e, i: lax.pow(b, e),
        "pow:int_exponent": lambda b, e, i: lax.pow(b, i),
        "pow:negative_base_int_exponent": lambda b, e, i: lax.pow(-b, i),
        "pow:negative_base_integral_exponent": lambda b, e, i: lax.pow(-b, lax.convert_element_type(i, b.dtype)),
        "pow:literal": lambda b, e, i: lax.pow(b, np.array(2.0, b.dtype)),
    }
    check_elementwise(cases, base, expo, iexp)


@pytest.mark.parametrize("dtype", FLOATS + INTS)
def test_clamp(dtype):
    x = rand((3, 6), dtype, seed=10)
    lo = rand((3, 6), dtype, seed=11, low=-50 if dtype in INTS else -1.0, high=0 if dtype in INTS else 0.0)
    hi = rand((3, 6), dtype, seed=12, low=1 if dtype in INTS else 0.5, high=60 if dtype in INTS else 2.0)
    cases = {
        "clamp": lambda a, l, h: lax.clamp(l, a, h),
        "clamp:scalar_bounds": lambda a, l, h: lax.clamp(np.array(1, a.dtype), a, np.array(50, a.dtype)),
    }
    check_elementwise(cases, x, lo, hi)


@pytest.mark.parametrize("dtype", FLOATS)
def test_clamp_nan(dtype):
    x = arr([NAN, 5.0, -5.0, 0.0, INF, -INF], dtype)
    cases = {"clamp": lambda a: lax.clamp(np.array(-1, a.dtype), a, np.array(1, a.dtype))}
    check_elementwise(cases, x)


# ---------------------------------------------------------------- select_n


@pytest.mark.parametrize("dtype", FLOATS + INTS + ["bool"])
def test_select_n(dtype):
    a, b, c, d = (rand((3, 5), dtype, seed=20 + i) for i in range(4))
    pb = rand((3, 5), "bool", seed=30)
    pi = rand((3, 5), "int32", seed=31, low=0, high=3)
    cases = {
        "select_n:bool": lambda pb, pi, a, b, c, d: lax.select_n(pb, a, b),
        "select_n:bool_scalar": lambda pb, pi, a, b, c, d: lax.select_n(np.bool_(True), a, b),
        "select_n:int3": lambda pb, pi, a, b, c, d: lax.select_n(lax.min(pi, np.int32(2)), a, b, c),
        "select_n:int4": lambda pb, pi, a, b, c, d: lax.select_n(pi, a, b, c, d),
        "select_n:one": lambda pb, pi, a, b, c, d: lax.select_n(pi * 0, a),
    }
    check_elementwise(cases, pb, pi, a, b, c, d)


def test_select_n_int_scalar_predicate():
    a, b, c = (rand((2, 3), "float32", seed=40 + i) for i in range(3))
    cases = {f"select_n:{k}": (lambda k: lambda a, b, c: lax.select_n(np.int32(k), a, b, c))(k) for k in range(3)}
    check_elementwise(cases, a, b, c)


# ---------------------------------------------------------------- logic and comparison


def test_logic_bool():
    x, y = rand((4, 4), "bool", seed=50), rand((4, 4), "bool", seed=51)
    cases = {
        "not": lambda a, b: lax.bitwise_not(a),
        "and": lax.bitwise_and,
        "or": lax.bitwise_or,
        "xor": lax.bitwise_xor,
        "eq": lax.eq,
        "ne": lax.ne,
        "lt": lax.lt,
        "le": lax.le,
        "gt": lax.gt,
        "ge": lax.ge,
        "and:literal": lambda a, b: lax.bitwise_and(a, np.bool_(True)),
    }
    check_elementwise(cases, x, y)


@pytest.mark.parametrize("dtype", INTS)
def test_logic_integers(dtype):
    x, y = full_range((4, 8), dtype, seed=52), full_range((4, 8), dtype, seed=53)
    cases = {
        "not": lambda a, b: lax.bitwise_not(a),
        "and": lax.bitwise_and,
        "or": lax.bitwise_or,
        "xor": lax.bitwise_xor,
    }
    check_elementwise(cases, x, y)


@pytest.mark.parametrize("dtype", FLOATS + INTS)
def test_comparisons(dtype):
    x = rand((4, 8), dtype, seed=54, low=-3 if dtype in INTS else None, high=3 if dtype in INTS else None)
    y = rand((4, 8), dtype, seed=55, low=-3 if dtype in INTS else None, high=3 if dtype in INTS else None)
    x[0], y[0] = x[1], x[1]  # equal operands
    if dtype in INTS:
        x[3], y[3] = full_range((8,), dtype, seed=56), full_range((8,), dtype, seed=57)
    else:
        x[3] = arr([NAN, 1.0, NAN, -0.0, 0.0, INF, -INF, INF], dtype)
        y[3] = arr([1.0, NAN, NAN, 0.0, -0.0, INF, INF, 1e4], dtype)
    cases = {"eq": lax.eq, "ne": lax.ne, "lt": lax.lt, "le": lax.le, "gt": lax.gt, "ge": lax.ge}
    check_elementwise(cases, x, y)


# ---------------------------------------------------------------- convert_element_type

CONVERT = "convert_element_type"
CONVERT_TYPES = ["float32", "float16", "bfloat16", "int8", "int32", "uint8", "uint32", "bool"]


FLOAT_CONVERT_VALUES = [
    0.0, -0.0, 0.4, 0.5, 0.9, 1.0, 1.5, 2.5, -0.4, -0.9, -1.5, -2.5, 99.9, -99.9, 127.9, -128.9,
    128.5, -129.5, 200.7, 255.9, 256.5, 1000.5, -1000.5, 65504.0, 1e5, -1e5, 3.0e6 + 0.5,
    16777217.0, 2.0e9, -2.0e9, 2147483648.0, 3.0e9, -3.0e9, 4.0e9, 4294967296.0, 5.0e9, 1e20, -1e20,
    INF, -INF, NAN,
]  # fmt: skip


def convert_inputs(src: str, dst: str) -> np.ndarray:
    """Values of `src` to convert to `dst`: range edges, fractions, signed zeros, NaN.

    float->int truncates toward zero and saturates out-of-range values (XLA's
    semantics; NaN -> 0); negative floats to unsigned types are left out.
    """
    if src == "bool":
        return arr([True, False, True, True, False], src)
    s = np_dtype(src)
    if src == "float16":  # values beyond float16's range are inf in it
        with np.errstate(over="ignore"):
            return convert_inputs("float32", dst).astype(np.float16)
    if np.issubdtype(s, np.integer):
        info = np.iinfo(s)
        edges = [info.min, info.max, 0, 1, -1, 100, 127, 128, 255, 256, -129, -300, 65519, 65520, 70000, 16777217,
                 2**31 - 1, 2**31 + 5, 3_000_000_000, info.max // 2 + 1, info.min // 2 - 1]  # fmt: skip
        return arr([e for e in edges if info.min <= e <= info.max], src)
    v = arr(FLOAT_CONVERT_VALUES, src)
    if np.issubdtype(np_dtype(dst), np.unsignedinteger):
        v = v[~(v.astype(np.float32) <= -1)]
    return v


@pytest.mark.parametrize("src", CONVERT_TYPES)
def test_convert_element_type(src):
    dsts = [d for d in CONVERT_TYPES if d != src]
    xs = [convert_inputs(src, d) for d in dsts]
    cases = {
        f"{CONVERT}:{src}->{d}": (lambda i, d: lambda *a: lax.convert_element_type(a[i], np_dtype(d)))(i, d)
        for i, d in enumerate(dsts)
    }
    check_elementwise(cases, *xs, signed_zeros=True)


@pytest.mark.parametrize("precision", ["f32", "default"])
def test_f16_casts_inside_a_graph_round(precision):
    # x.astype(f16) used in f32 again: on a CPU without f16 arithmetic the plugin runs f16
    # tensors as f32, so the cast must round by itself; every f16 range: normal, subnormal
    # (spacing 2^-24, ties to even, signed zeros), overflow to +-inf, NaN and infinities
    r = np.random.default_rng(3)
    x = np.concatenate(
        [
            r.standard_normal(2000) * 10.0 ** r.integers(-9, 6, 2000),
            [0.0, -0.0, np.inf, -np.inf, np.nan, 65504, 65519, 65520, -65520, 1e6, 6e-8, -6e-8],
            [2.0**-25, -(2.0**-25), 3 * 2.0**-25, 2.0**-14, 2.0**-14 * (1 - 2**-12), -1e-12, 0.1],
        ]
    ).astype(np.float32)

    def fn(x, b):
        return (
            x.astype(jnp.float16).astype(jnp.float32) * 3.0,
            b.astype(jnp.float16).astype(jnp.float32),  # bf16 -> f16: wider exponent range
        )

    b = x.astype(jnp.bfloat16)
    model = ovjax.convert_model(fn, example_input=(x, b))
    config = {"INFERENCE_PRECISION_HINT": "f32"} if precision == "f32" else {}
    got = ov.Core().compile_model(model, "CPU", config)([x, b])
    for g, w in zip(got.values(), fn(x, b)):
        w = np.asarray(w)
        same = (g == w) & (np.signbit(g) == np.signbit(w)) | (np.isnan(g) & np.isnan(w))
        assert same.all(), (x[~same][:5], g[~same][:5], w[~same][:5])


# ---------------------------------------------------------------- identities


def test_convert_u32_bits_and_literals():
    # u32 values >= 2^31 and literals of them (the CPU plugin handles u32 as i32)
    x = arr([0, 1, 2**31 - 1, 2**31, 3_000_000_000, 4294967295, 123456789, 2**31 + 1], "uint32")
    y = arr([5, 2**31, 2**31, 7, 2**31 + 1, 4294967294, 3_000_000_001, 2**31], "uint32")
    big = np.uint32(3_000_000_000)
    cases = {
        "add:literal": lambda a, b: lax.add(a, big),
        "and:literal": lambda a, b: lax.bitwise_and(a, np.uint32(0xF0F0F0F0)),
        "lt:literal": lambda a, b: lax.lt(a, big),
        "max:literal": lambda a, b: lax.max(a, big),
        "clamp:literal": lambda a, b: lax.clamp(np.uint32(2**31 + 7), a, big),
        "div": lax.div,
        "rem": lax.rem,
        "div:literal": lambda a, b: lax.div(a, np.uint32(2**31 + 3)),
        "lt": lax.lt,
        "ge": lax.ge,
        "eq": lax.eq,
        "max": lax.max,
        "min": lax.min,
        "convert_element_type:->f32": lambda a, b: lax.convert_element_type(a, np.float32),
        "convert_element_type:->i32": lambda a, b: lax.convert_element_type(a, np.int32),
        "convert_element_type:->u8": lambda a, b: lax.convert_element_type(a, np.uint8),
        "convert_element_type:->bool": lambda a, b: lax.convert_element_type(a, np.bool_),
    }
    check_elementwise(cases, x, y)


def test_int32_close_values_compare_and_divide_exactly():
    # values above 2^24 that differ in the last bits: f32 cannot tell them apart
    x = arr([2**30 + 1, 2**30, -(2**31), 2**31 - 1, 16777217, -16777217, 2**31 - 1, -(2**31), 1999999999, 7], "int32")
    y = arr([2**30, 2**30 + 1, 2**31 - 1, -(2**31), 16777216, -16777216, 1, -1, 3, -(2**31)], "int32")
    cases = {
        "eq": lax.eq,
        "ne": lax.ne,
        "lt": lax.lt,
        "le": lax.le,
        "gt": lax.gt,
        "ge": lax.ge,
        "max": lax.max,
        "min": lax.min,
        "clamp": lambda a, b: lax.clamp(np.int32(-16777217), a, np.int32(2**30)),
        "min:after_max": lambda a, b: lax.min(lax.max(a, np.int32(-16777219)), np.int32(16777219)),
        "max:after_min": lambda a, b: lax.max(lax.min(a, np.int32(2**31 - 1)), np.int32(-(2**31) + 5)),
        "div": lax.div,
        "rem": lax.rem,
        "div:by_literal": lambda a, b: lax.div(a, np.int32(-7)),
        "lt:small_literal": lambda a, b: lax.lt(a, np.int32(16777215)),
        "ge:literal_2^24": lambda a, b: lax.ge(a, np.int32(16777216)),
        "eq:literal": lambda a, b: lax.eq(np.int32(7), a),
        "gt:big_literal": lambda a, b: lax.gt(a, np.int32(2**30)),
        "rem:by_literal": lambda a, b: lax.rem(a, np.int32(1000003)),
    }
    check_elementwise(cases, x, y)


@pytest.mark.parametrize("dtype", INTS)
def test_integer_division_by_zero(dtype):
    # XLA defines x / 0 = -1 (all bits set) and x % 0 = x
    x = arr([5, 0, 100, 1, 127], dtype)
    y = arr([0, 0, 0, 1, 0], dtype)
    check_elementwise({"div": lax.div, "rem": lax.rem}, x, y)


def test_bool_max_min_select():
    x, y = rand((4, 4), "bool", seed=58), rand((4, 4), "bool", seed=59)
    cases = {"max": lax.max, "min": lax.min, "select_n": lambda a, b: lax.select_n(a, b, lax.bitwise_not(b))}
    check_elementwise(cases, x, y)


@functools.lru_cache(maxsize=None)
def copy_p_primitive():
    """`copy_p`: the name of lax's copy primitive in older JAX releases (now `copy`)."""
    from jax.extend.core import Primitive
    from jax.interpreters import mlir

    p = Primitive("copy_p")
    p.def_impl(lambda x: x)
    p.def_abstract_eval(lambda aval: aval)
    mlir.register_lowering(p, lambda ctx, x: [x])
    return p


def test_identities():
    x = rand((2, 3), "float32", seed=60)
    i = rand((4,), "int32", seed=61)
    b = rand((4,), "bool", seed=62)
    cases = {
        "copy": lambda x, i, b: jnp.array(x, copy=True),
        "copy:lax": lambda x, i, b: lax.copy_p.bind(i),
        "copy_p": lambda x, i, b: copy_p_primitive().bind(x),
        "optimization_barrier": lambda x, i, b: lax.optimization_barrier((x * 2.0, i, b)),
        "optimization_barrier:single": lambda x, i, b: lax.optimization_barrier(b),
        "stop_gradient": lambda x, i, b: lax.stop_gradient(x),
        "device_put": lambda x, i, b: jax.device_put(i),
    }
    check_elementwise(cases, x, i, b)


def test_add_any():
    from jax._src.ad_util import add_jaxvals_p

    x, y = rand((3,), "float32", seed=63), rand((3,), "float32", seed=64)
    check_elementwise({"add_any": lambda a, b: add_jaxvals_p.bind(a, b)}, x, y)


# ---------------------------------------------------------------- 64-bit types
# OpenVINO's CPU plugin executes i64/u64 as i32 and f64 as f32 (the translators emit
# 64-bit ops; the plugin demotes them, and clamps f64 infinities to the f32 maximum),
# so the values and results here stay within 32-bit types.


@pytest.mark.parametrize("dtype", ["int64", "uint64"])
def test_x64_integers(dtype):
    with jax.enable_x64(True):
        x = rand((3, 6), dtype, seed=70, low=0, high=1000)
        y = rand((3, 6), dtype, seed=71, low=1, high=100)
        # above 2^24, differing in the last bits (f32 cannot tell them apart)
        x[0, :4] = arr([2**29 + 1, 2**29, 2**30 - 1, 16777217], dtype)
        y[0, :4] = arr([2**29, 2**29 + 1, 2**30 - 2, 16777216], dtype)
        if dtype == "int64":
            x[1] = -x[1]
        k = lambda v: np.array(v, np_dtype(dtype))  # noqa: E731
        cases = {
            "add": lax.add,
            "sub": lambda a, b: lax.sub(lax.max(a, b), lax.min(a, b)),
            "mul": lambda a, b: lax.mul(lax.rem(a, k(1000)), lax.rem(b, k(1000))),
            "div": lax.div,
            "rem": lax.rem,
            "div:literal": lambda a, b: lax.div(a, k(7)),
            "max": lax.max,
            "min": lax.min,
            "lt": lax.lt,
            "ge": lax.ge,
            "eq": lax.eq,
            "ne": lax.ne,
            "clamp": lambda a, b: lax.clamp(k(50), a, k(2**29)),
            "select_n": lambda a, b: lax.select_n(lax.lt(a, b), a, b),
            "and": lax.bitwise_and,
            "xor": lax.bitwise_xor,
            "convert_element_type:->int32": lambda a, b: lax.convert_element_type(a, np.int32),
            "convert_element_type:->float32": lambda a, b: lax.convert_element_type(a, np.float32),
            "convert_element_type:->float64": lambda a, b: lax.convert_element_type(b, np.float64),
        }
        if dtype == "int64":
            cases["neg"] = lambda a, b: lax.neg(a)
            cases["abs"] = lambda a, b: lax.abs(a)
            cases["sign"] = lambda a, b: lax.sign(a)
        check_elementwise(cases, x, y)


def test_x64_float64():
    with jax.enable_x64(True):
        x = rand((3, 6), "float64", seed=72)
        y = rand((3, 6), "float64", seed=73, low=0.5, high=4.0)
        x[0, :3] = [1e30, -1e-30, NAN]
        cases = {
            "add": lax.add,
            "mul": lax.mul,
            "div": lax.div,
            "rem": lambda a, b: lax.rem(lax.clamp(-3.0, a, 3.0), b),
            "max": lax.max,
            "lt": lax.lt,
            "neg": lambda a, b: lax.neg(a),
            "exp": lambda a, b: lax.exp(b),
            "log": lambda a, b: lax.log(b),
            "tanh": lambda a, b: lax.tanh(a),
            "round": lambda a, b: lax.round(a, EVEN),
            "select_n": lambda a, b: lax.select_n(lax.lt(a, b), a, b),
            "convert_element_type:->int32": lambda a, b: lax.convert_element_type(a * 100.0, np.int32),
            "convert_element_type:->int64": lambda a, b: lax.convert_element_type(b * 1000.0, np.int64),
            "convert_element_type:->float32": lambda a, b: lax.convert_element_type(a, np.float32),
            "convert_element_type:->bool": lambda a, b: lax.convert_element_type(a, np.bool_),
        }
        check_elementwise(cases, x, y)


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16", "int32", "uint8", "bool"])
def test_total_order_comparisons(dtype):
    """eq_to / le_to / lt_to (IEEE total order: -0 < +0, NaN equal to NaN and above +inf)."""
    from jax._src.lax import lax as lax_internal

    if dtype in ("float32", "float16", "bfloat16"):
        vals = np.array([-np.inf, -2.5, -0.0, 0.0, 1.0, np.inf, np.nan], np.float32)
        a = np.repeat(vals, len(vals)).astype(jnp.dtype(dtype))
        b = np.tile(vals, len(vals)).astype(jnp.dtype(dtype))
    else:
        a, b = rand((40,), dtype, seed=1), rand((40,), dtype, seed=2)
        b[::3] = a[::3]
    check_elementwise(
        {
            "eq_to": lambda x, y: lax_internal.eq_to_p.bind(x, y),
            "le_to": lambda x, y: lax_internal.le_to_p.bind(x, y),
            "lt_to": lambda x, y: lax_internal.lt_to_p.bind(x, y),
        },
        a,
        b,
    )


# ---------------------------------------------------------------- added in JAX 0.12
# log2 (jnp.log2 binds it), one_minus_square (tanh's derivative), polynomial (Horner's
# rule: jnp.sinc, the erf family and jnp.polyval use it).

POLY_3 = [1.0, -2.0, 0.5, 0.25]
POLY_10 = [0.5, -1.0, 0.25, 2.0, -0.125, 0.0625, -0.5, 0.75, 1.5, -0.03125]  # > 8 terms: JAX's scan form


@harness.needs_primitives("log2", "one_minus_square", "polynomial")
@pytest.mark.parametrize("dtype", FLOATS)
def test_jax_0_12_float_functions(dtype):
    x = rand((4, 8), dtype, seed=12)  # (-3, 3)
    pos = rand((4, 8), dtype, seed=13, low=0.01, high=20.0)
    row = rand((1, 8), dtype, seed=14, low=-1.0, high=1.0)
    cases = {
        "log2": lambda x, p, r: lax.log2(p),
        "log2:jnp": lambda x, p, r: jnp.log2(p),
        "one_minus_square": lambda x, p, r: lax.one_minus_square(x),
        "polynomial:cubic": lambda x, p, r: lax.polynomial(x, POLY_3),
        "polynomial:array_coefficients": lambda x, p, r: lax.polynomial(x, [r, p, r * 2.0]),  # broadcast [1, 8]
        "polynomial:scan": lambda x, p, r: lax.polynomial(x, POLY_10),
        "polynomial:unroll_all": lambda x, p, r: lax.polynomial(x, POLY_10, unroll=10),
        "polynomial:unroll_2": lambda x, p, r: lax.polynomial(x, POLY_3, unroll=2),
        "polynomial:polyval": lambda x, p, r: jnp.polyval(jnp.asarray(POLY_3[::-1], x.dtype), x),
    }
    check_elementwise(cases, x, pos, row)


@harness.needs_primitives("log2", "one_minus_square", "polynomial")
@pytest.mark.parametrize("dtype", FLOATS)
def test_jax_0_12_float_functions_special_values(dtype):
    v = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, -2.5, 2.5, INF, -INF, NAN, 1e-3, -7.25, 30.0]
    x = arr(v, dtype)
    cases = {
        "log2": lax.log2,
        "one_minus_square": lax.one_minus_square,
        "polynomial:cubic": lambda a: lax.polynomial(a, POLY_3),
        "polynomial:scan": lambda a: lax.polynomial(a, POLY_10),  # starts from 0 * x: NaN at +-inf
        "polynomial:zero_leading": lambda a: lax.polynomial(a, [1.0, 2.0, 0.0]),  # 0 * inf: NaN
    }
    check_elementwise(cases, x, signed_zeros=True)


@harness.needs_primitives("one_minus_square", "polynomial")
@pytest.mark.parametrize("dtype", INTS)
def test_jax_0_12_integer_functions(dtype):
    x = full_range((3, 8), dtype, seed=15)  # wraps
    x[0, :6] = arr([0, 1, 2, 3, 5, 7], dtype)
    small = rand((3, 8), dtype, seed=16, low=0, high=9)
    cases = {
        "one_minus_square": lambda a, s: lax.one_minus_square(a),
        "one_minus_square:small": lambda a, s: lax.one_minus_square(s),
        "polynomial": lambda a, s: lax.polynomial(a, [3, 1, 2]),
        "polynomial:small": lambda a, s: lax.polynomial(s, [s, 2, s]),
        "polynomial:scan": lambda a, s: lax.polynomial(a, list(range(1, 11))),
    }
    check_elementwise(cases, x, small)


def test_exp_reaches_the_float32_range():
    """exp is finite up to x = 88.7228 (3.4e38) as in JAX: the CPU plugin's Exp overflows to
    inf from 88.38 on, where the translator computes e^(x - 1) * e; expm1 and complex exp
    build on it. Beyond, inf as JAX."""
    top = np.nextafter(np.float32(88.72284), np.float32(0))
    x = np.concatenate([np.linspace(87.5, 89.0, 31), [88.0, np.nextafter(np.float32(88), np.float32(89)), top]])
    x = x.astype(np.float32)
    harness.check(lambda x: (jnp.exp(x), jnp.expm1(x), jnp.exp(x + 0j)), x, prims=["exp", "expm1"], tol=(5e-7, 0))
