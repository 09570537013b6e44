"""Complex elementwise functions against JAX on OpenVINO CPU, over the whole complex plane:
sin, cos, tan, sinh, cosh, tanh, asin, acos, atan, asinh, acosh, atanh, log, log1p, expm1,
sqrt, rsqrt, logistic and pow, whose complex operands the serializer expands into
functions of the (real, imag) parts (src/python/ovjax/_complex_math.py), and exp and div,
translated in src/cpp/ops/complex.cpp.

The plane: every (re, im) pair of 43 values, from 0 and 1e-25 through 1, the branch points
and 88 (where exp overflows) to 3e38, infinities and NaN, both signs. Where JAX's part is
NaN or infinite (with its sign) ours must be the same, and a zero too when both are zero;
finite parts agree within the function's tolerance relative to |JAX's result| (the measured
errors are in docs/primitives.md). The values avoid magnitudes whose squares are float32
denormals: XLA's CPU code flushes those to zero and OpenVINO keeps them (log1p(-1 + 1e-20i)
is -inf in JAX, -46.05 here).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import ovjax
import harness
from harness import assert_prims, run_ov

MAGNITUDES = [0.0, 1e-25, 1e-7, 1e-4, 0.3, 0.5, 0.99, 1.0, 1.01, 1.5, 2.0, 3.0, 10.0, 88.0, 100.0]
MAGNITUDES += [1e4, 1e10, 1e18, 1e30, 3e38, np.inf]
VALUES = np.array(MAGNITUDES + [-m for m in MAGNITUDES] + [np.nan])


def plane(dtype=np.complex64, values=VALUES):
    """Every (re, im) pair of `values`, as a flat array (parts set separately: re + 1j * im
    would make NaN parts of infinities)."""
    re, im = np.meshgrid(values, values, indexing="ij")
    z = np.empty(re.shape, dtype)
    z.real, z.imag = re, im
    return z.reshape(-1)


def as_pairs_complex(got, dtype):
    z = np.empty(got.shape[:-1], dtype)
    z.real, z.imag = got[..., 0], got[..., 1]
    return z


def relative_error(got, want) -> np.ndarray:
    """|got - want| / |want| per element (0 where want is 0 and got is too), over finite
    elements; checks that NaNs and infinities (and zeros' signs where both are zero) match."""
    err = np.zeros(want.shape)
    for part in ("real", "imag"):
        w, g = getattr(want, part).astype(np.float64), getattr(got, part).astype(np.float64)
        nan = np.isnan(w)
        np.testing.assert_array_equal(np.isnan(g), nan, err_msg=f"{part}: NaNs where JAX has none or v.v.")
        inf = np.isinf(w)
        np.testing.assert_array_equal(g[inf], w[inf], err_msg=f"{part}: infinities differ")
        np.testing.assert_array_equal(np.isinf(g), inf, err_msg=f"{part}: infinite where JAX is finite")
        zero = (w == 0) & (g == 0)
        np.testing.assert_array_equal(np.signbit(g[zero]), np.signbit(w[zero]), err_msg=f"{part}: signs of zeros")
        fin = ~nan & ~inf
        with np.errstate(all="ignore"):
            mag = np.abs(want.astype(np.complex128))
            mag = np.where(np.isfinite(mag), mag, np.abs(w))
            # differences below the smallest normal float32 do not count (XLA flushes
            # denormal results to zero)
            tiny = np.finfo(np.float32).tiny
            e = np.where(fin, np.maximum(np.abs(g - w) - tiny, 0) / np.maximum(mag, tiny), 0)
        err = np.maximum(err, np.where(fin & (g != w), e, 0))
    return err


def converted(fn, *args, prim):
    closed = jax.make_jaxpr(fn)(*args)
    assert_prims(closed, prims=[prim])
    return ovjax.convert_model(closed)


UNARY = [
    "sin",
    "cos",
    "tan",
    "sinh",
    "cosh",
    "tanh",
    "asin",
    "acos",
    "atan",
    "asinh",
    "acosh",
    "atanh",
    "log",
    "log1p",
    "expm1",
    "sqrt",
    "rsqrt",
    "logistic",
    "exp",
    "exp2",
    "log2",  # JAX 0.12's primitive (0.10's jnp.log2 is log / log 2)
]
# The largest error relative to |result| measured over the plane, rounded up: most are
# the float32 rounding of a few operations; where two operations' rounding differs from
# XLA's (cos and sin near their zeros, the arguments of size 1e30), more.
UNARY_RTOL = {"tan": 3e-6, "tanh": 3e-6, "logistic": 3e-5, "rsqrt": 1e-6, "atanh": 1e-6, "atan": 1e-6}


@pytest.mark.parametrize("name", UNARY)
def test_complex_function_over_the_plane(name):
    fn = getattr(lax, name, None)
    if fn is None or name not in harness.jax_primitives():
        pytest.skip(f"lax.{name} is not a primitive in jax {jax.__version__}")
    z = plane()
    (got,) = run_ov(converted(fn, z, prim=name), [z])
    err = relative_error(as_pairs_complex(got, np.complex64), np.asarray(jax.jit(fn)(z)))
    assert err.max() <= UNARY_RTOL.get(name, 6e-7), (name, err.max(), z[err.argmax()])


@pytest.mark.parametrize("name", ["div", "pow"])
def test_complex_binary_function_over_special_pairs(name):
    """Every pair of 13 values (axes, signed zeros, 1.5, infinities, NaN) as (re, im) of each
    operand: 28,561 pairs. div is bit-exact (Smith's algorithm and XLA's corner cases for
    zero and infinite operands); pow follows XLA's special cases (w = 0, z = 1, z = 0,
    z = +inf) and rounds like it elsewhere."""
    v = np.array([-np.inf, -1.5, -0.0, 0.0, 1.5, np.inf, np.nan])
    z = plane(values=v)
    x, y = np.repeat(z, z.size), np.tile(z, z.size)
    fn = getattr(lax, name)
    (got,) = run_ov(converted(fn, x, y, prim=name), [x, y])
    err = relative_error(as_pairs_complex(got, np.complex64), np.asarray(jax.jit(fn)(x, y)))
    assert err.max() <= (0 if name == "div" else 6e-7), (name, err.max())


def test_complex_functions_as_users_call_them():
    """jnp on complex arrays (random, moderate values) with broadcasting and jit, as in a
    model: the expansions compose with each other and with the translated complex ops."""
    rng = np.random.default_rng(0)
    z = (rng.normal(size=(4, 5)) + 1j * rng.normal(size=(4, 5))).astype(np.complex64)
    w = (rng.normal(size=(5,)) + 1j * rng.normal(size=(5,))).astype(np.complex64)

    @jax.jit
    def fn(z, w):
        a = jnp.sqrt(z) * jnp.log(z + 2) - jnp.arcsin(w) / jnp.cosh(z)
        b = jnp.arctan(z) + jnp.tanh(w) ** w + jax.nn.sigmoid(z) * jnp.expm1(w)
        return a, b, jnp.abs(jnp.log1p(a * b)), jnp.arccosh(b) + jnp.arcsinh(a) - jnp.arctanh(w * 0.5)

    closed = jax.make_jaxpr(fn)(z, w)
    assert_prims(closed, prims=["sqrt", "log", "asin", "cosh", "atan", "tanh", "pow", "logistic", "expm1", "log1p"])
    got = run_ov(ovjax.convert_model(closed), [z, w])
    for g, want in zip(got, fn(z, w)):
        want = np.asarray(want)
        if np.iscomplexobj(want):
            g = as_pairs_complex(g, want.dtype)
        np.testing.assert_allclose(g, want, rtol=2e-5, atol=2e-5)


def test_complex_functions_are_expanded_into_real_operations():
    """The file holds the expansion (a call of real operations), not a complex sqrt; real
    operands of the same primitives stay as translated."""
    z = np.ones(3, np.complex64)
    data = ovjax.serialize(jax.make_jaxpr(lambda z, x: (lax.sqrt(z), lax.sqrt(x)))(z, np.ones(3, np.float32)))
    assert b"ovjax_expanded_from" in data
    from ovjax import _expand

    closed = jax.make_jaxpr(lax.sqrt)(z)
    assert _expand.expands_complex(closed.jaxpr.eqns[0])
    assert not _expand.expands_complex(jax.make_jaxpr(lax.sqrt)(np.ones(3, np.float32)).jaxpr.eqns[0])


@pytest.mark.parametrize("name", ["sqrt", "log", "asin", "atanh", "tanh", "expm1"])
def test_complex128_functions(name):
    """complex128 (under x64) on the plane's values from 1e-4 to 10 (and the axes but +-1): the CPU
    plugin computes float64 in float32, so to float32's accuracy and range (an infinite
    result such as log(0) comes out as -3.4e38, a float64 constant beyond float32's range
    such as the arcus sine's sqrt(max) / 8 is infinite)."""
    fn = getattr(lax, name)
    finite = np.array([m for m in MAGNITUDES if 1e-4 <= m <= 10])
    with jax.enable_x64(True):
        z = plane(np.complex128, np.concatenate([finite, -finite]))
        axis = finite[finite != 1]  # atanh(+-1) is infinite
        z = np.concatenate([z, axis + 0j, 1j * axis])
        (got,) = run_ov(converted(fn, z, prim=name), [z])
        want = np.asarray(jax.jit(fn)(z))
    err = relative_error(as_pairs_complex(got, np.complex128), want)
    assert err.max() <= 3e-6, (name, err.max(), z[err.argmax()])
