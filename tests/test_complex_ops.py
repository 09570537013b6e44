"""Complex operands of indexing, reduction, sorting, convolution, linear algebra and control
flow primitives against JAX on OpenVINO CPU. The serializer expands the first ones into
operations on the (re, im) parts or on complex values the C++ side translates
(src/python/ovjax/_complex_ops.py); scan, while and cond carry complex values as they are.

Orderings (max, min, sort, cummax, scatter-max, ...) are lexicographic on (re, im) as XLA
orders complex values; they are checked bit for bit on values with equal real parts,
infinities and NaNs. The rest is checked on random values (and, through check(), vmapped
over a symbolic batch).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import ovjax
from harness import assert_prims, check, run_ov
from test_complex import same_bits
from test_complex_math import as_pairs_complex, relative_error


def crand(shape, seed=0, scale=1.0):
    r = np.random.default_rng(seed)
    return ((r.normal(size=shape) + 1j * r.normal(size=shape)) * scale).astype(np.complex64)


def ties(shape, seed=0):
    """Complex values with many equal real parts, some infinite parts and a few NaNs."""
    r = np.random.default_rng(seed)
    re = r.choice(np.array([-np.inf, -1.0, 0.0, 1.0, 2.0, np.inf], np.float32), size=shape)
    im = r.choice(np.array([-2.0, -0.0, 0.0, 3.0, np.inf], np.float32), size=shape)
    z = np.empty(shape, np.complex64)
    z.real, z.imag = re, im
    flat = z.reshape(-1)
    flat[r.choice(flat.size, size=max(1, flat.size // 20), replace=False)] = complex(np.nan, 1.0)
    return z


def exact(fn, *args, prims):
    """fn converted and run: every output bit-equal to JAX's (NaNs where JAX has them, the
    signs of zeros included)."""
    closed = jax.make_jaxpr(fn)(*args)
    assert_prims(closed, prims=prims)
    got = run_ov(ovjax.convert_model(closed), list(args))
    want = jax.tree_util.tree_leaves(jax.jit(fn)(*args))
    for g, w in zip(got, want):
        w = np.asarray(w)
        if np.iscomplexobj(w):
            same_bits(g, w)
        else:
            np.testing.assert_array_equal(g, w)


# ---------------------------------------------------------------- linear structure


def test_complex_gather_scatter_and_update():
    x = crand((6, 4))
    idx = np.array([[0], [4], [2], [4]], np.int32)
    idx_unique = np.array([[0], [4], [2], [5]], np.int32)  # (repeated: the next test)
    upd = crand((4, 4), seed=1)
    dnums = lax.ScatterDimensionNumbers(
        update_window_dims=(1,), inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,)
    )

    def fn(x, upd, i):
        g = x[idx[:, 0]]  # gather
        fill = jnp.take(x, np.array([1, 9]), axis=0, mode="fill", fill_value=2 - 1j)
        s = lax.scatter(x, idx_unique, upd, dnums)
        a = lax.scatter_add(x, idx, upd, dnums)  # the repeated index 4 adds twice
        b = lax.scatter_sub(x, idx, upd, dnums)
        d = lax.dynamic_update_slice(x, upd[:2], (i, 1))
        return g, fill, s, a, b, d

    check(
        fn,
        x,
        upd,
        np.int32(3),
        prims=["gather", "scatter", "scatter-add", "scatter-sub", "dynamic_update_slice"],
        symbolic=False,
    )


def test_complex_scatter_repeated_index_writes_one_update_whole():
    """Plain scatter to a repeated index: XLA leaves which update wins unspecified (the CPU
    plugin writes them in parallel), but the result is one of them whole, its real and
    imaginary parts from the same update, in every run."""
    x = crand((6, 4096))  # rows long enough for the plugin's parallel copies to overlap
    idx = np.array([[4], [1], [4], [4], [4], [4], [4], [4]], np.int32)
    upd = crand((8, 4096), seed=1)
    dnums = lax.ScatterDimensionNumbers(
        update_window_dims=(1,), inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,)
    )
    fn = lambda x, u: lax.scatter(x, idx, u, dnums)  # noqa: E731
    closed = jax.make_jaxpr(fn)(x, upd)
    assert_prims(closed, prims=["scatter"])
    model = ovjax.convert_model(closed)
    want = np.asarray(jax.jit(fn)(x, upd))
    for _ in range(20):
        got = as_pairs_complex(run_ov(model, [x, upd])[0], np.complex64)
        np.testing.assert_array_equal(np.delete(got, 4, axis=0), np.delete(want, 4, axis=0))
        # element by element: each is one update's (re, im)
        whole = (got[4][None, :] == upd[idx[:, 0] == 4]).any(axis=0)
        assert whole.all(), got[4][~whole][:4]


@pytest.mark.parametrize("op", ["mul", "max", "min"])
def test_complex_scatter_combining(op):
    """scatter-mul/max/min apply repeated indices in order (combined with the operand and each
    other): products to rounding, orderings exactly, over ties, infinities and NaNs."""
    x = ties((7, 3), seed=2) if op != "mul" else crand((7, 3), seed=2)
    upd = ties((5, 3), seed=3) if op != "mul" else crand((5, 3), seed=3)
    idx = np.array([[1], [6], [1], [0], [1]], np.int32)
    dnums = lax.ScatterDimensionNumbers(
        update_window_dims=(1,), inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,)
    )
    fn = lambda x, u: getattr(lax, f"scatter_{op}")(x, idx, u, dnums)  # noqa: E731
    if op == "mul":
        check(fn, x, upd, prims=["scatter-mul"], tol=(1e-6, 1e-6))
    else:
        exact(fn, x, upd, prims=[{"max": "scatter-max", "min": "scatter-min"}[op]])


def test_complex_scatter_with_many_updates_runs_a_loop():
    """More than 16 scatter indices: the updates are applied in a loop, in order."""
    x = crand((10,))
    idx = (np.arange(40) % 7)[:, None].astype(np.int32)
    upd = crand((40,), seed=5, scale=0.3) + 1
    dnums = lax.ScatterDimensionNumbers(
        update_window_dims=(), inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,)
    )
    check(
        lambda x, u: lax.scatter_mul(x, idx, u, dnums), x, upd, prims=["scatter-mul"], tol=(1e-5, 1e-5), symbolic=False
    )


# ---------------------------------------------------------------- reductions


@pytest.mark.parametrize("name", ["reduce_max", "reduce_min"])
def test_complex_max_min_reductions_are_lexicographic(name):
    z = ties((5, 9, 4), seed=4)
    fn = {"reduce_max": jnp.max, "reduce_min": jnp.min}[name]
    exact(lambda z: (fn(z, axis=1), fn(z, axis=(0, 2)), fn(z[:, :0], axis=1, initial=-np.inf)), z, prims=[name])


def test_complex_products_and_window_sums():
    z = crand((3, 7, 4), scale=0.8)
    check(
        lambda z: (jnp.prod(z, axis=1), jnp.prod(z, axis=(0, 2)), jnp.prod(z[:, :0], axis=1)),
        z,
        prims=["reduce_prod"],
        tol=(1e-5, 1e-5),
    )
    check(
        lambda z: lax.reduce_window(z, 0j, lax.add, (2, 3, 1), (1, 2, 1), "SAME"),
        z,
        prims=["reduce_window_sum"],
        tol=(1e-5, 1e-5),
    )


@pytest.mark.parametrize("name", ["cumprod", "cummax", "cummin"])
@pytest.mark.parametrize("reverse", [False, True])
def test_complex_cumulative(name, reverse):
    if name == "cumprod":
        z = crand((9, 4), scale=0.9)
        fn = lambda z: lax.cumprod(z, axis=0, reverse=reverse)  # noqa: E731
        check(fn, z, prims=[name], tol=(1e-5, 1e-5))
    else:
        fn = lambda z: getattr(lax, name)(z, axis=1, reverse=reverse)  # noqa: E731
        exact(fn, ties((4, 11), seed=6), prims=[name])


def test_complex_cummax_over_a_long_axis_scans():
    """Beyond 16 elements cummax/cummin scan in order from the init value instead of folding
    each window; with ties and infinities (no NaN and no -0 next to +0: XLA's blocked rewrite
    of long cumulative windows keeps another of those) forward and reverse equal JAX's."""
    z = ties((2, 300), seed=13)
    z[np.isnan(z)] = 2 + 3j
    z.imag[z.imag == 0] = 0.0
    exact(
        lambda z: (lax.cummax(z, axis=1), lax.cummin(z, axis=1), lax.cummax(z, axis=1, reverse=True)),
        z,
        prims=["cummax", "cummin"],
    )


@pytest.mark.parametrize("n", [5, 16, 40])
@pytest.mark.parametrize("reverse", [False, True])
def test_complex_cumlogsumexp(n, reverse):
    """JAX's reduce-window lowering folded by its complex logaddexp (imaginary parts wrapped
    into (-pi, pi]); the padding's -inf taps are skipped as XLA skips them (combining them
    gives NaN); beyond 16 elements a scan. Special values (infinite parts, NaNs) land where
    JAX's do up to 16 elements; beyond, XLA's blocked rewrite may combine infinities in
    another order than the scan (as for cummax)."""
    x = crand((3, n), seed=n, scale=3.0)
    fn = lambda x: lax.cumlogsumexp(x, axis=1, reverse=reverse)  # noqa: E731
    check(fn, x, prims=["cumlogsumexp"], tol=(2e-6, 2e-6))
    if n > 16:
        return
    z = ties((4, n), seed=n + 1)
    closed = jax.make_jaxpr(fn)(z)
    got = as_pairs_complex(run_ov(ovjax.convert_model(closed), [z])[0], np.complex64)
    err = relative_error(got, np.asarray(jax.jit(fn)(z)))
    assert err.max(initial=0) < 2e-6


def test_complex_clamp_compares_real_parts():
    """XLA clamps complex values by their real parts alone: ties go to lo on the low side
    and to x on the high side, a NaN anywhere but lo gives hi; bit-equal to JAX with scalar
    and elementwise bounds."""
    z = ties((6, 11), seed=3)
    bounds = [(0 + 1j, 1 + 2j), (complex(np.nan, 0), 1), (-1, complex(np.nan, 1)), (2 + 1j, 1 + 2j), (-0.0 + 1j, 0j)]
    for lo, hi in bounds:
        lo, hi = np.complex64(lo), np.complex64(hi)
        exact(lambda z, lo, hi: lax.clamp(lo, z, hi), z, lo, hi, prims=["clamp"])
    exact(lambda lo, z, hi: lax.clamp(lo, z, hi), ties((6, 11), seed=4), z, ties((6, 11), seed=5), prims=["clamp"])


@pytest.mark.parametrize("name", ["reduce_window_max", "reduce_window_min", "reduce_window"])
def test_complex_reduce_window(name):
    """Windows with strides, padding, base and window dilation: max/min exactly over ties,
    a product body (the generic reduce_window) to rounding."""
    kw = dict(window_dimensions=(2, 3), window_strides=(1, 2), padding=((1, 0), (1, 2)))
    kw2 = dict(base_dilation=(2, 1), window_dilation=(1, 2))
    if name == "reduce_window":
        z = crand((5, 6), scale=0.8)
        fn = lambda z: (  # noqa: E731
            lax.reduce_window(z, 1 + 0j, lax.mul, **kw),
            lax.reduce_window(z, 1 + 0j, lax.mul, **kw, **kw2),
        )
        check(fn, z, prims=[name], tol=(1e-5, 1e-5))
    else:
        op, init = (lax.max, -np.inf + 0j) if name.endswith("max") else (lax.min, np.inf + 0j)
        z = ties((5, 6), seed=7)
        exact(
            lambda z: (lax.reduce_window(z, init, op, **kw), lax.reduce_window(z, init, op, **kw, **kw2)),
            z,
            prims=[name],
        )


def test_complex_generic_reduce():
    """lax.reduce with a complex body of two operands (a lexicographic max carrying an index)."""
    z = ties((6, 5), seed=8)
    i = np.tile(np.arange(5, dtype=np.int32), (6, 1))

    def body(a, b):
        pick = (a[0].real > b[0].real) | ((a[0].real == b[0].real) & (a[0].imag >= b[0].imag))
        return lax.select(pick, a[0], b[0]), lax.select(pick, a[1], b[1])

    fn = lambda z, i: lax.reduce((z, i), (np.complex64(-np.inf), np.int32(-1)), body, (1,))  # noqa: E731
    closed = jax.make_jaxpr(fn)(z, i)
    assert_prims(closed, prims=["reduce"])
    got = run_ov(ovjax.convert_model(closed), [z, i])
    want = jax.jit(fn)(z, i)
    same_bits(got[0], want[0])


# ---------------------------------------------------------------- sort


def test_complex_sort_is_lexicographic_and_stable():
    z = ties((3, 40), seed=9)
    v = np.tile(np.arange(40, dtype=np.int32), (3, 1))
    w = crand((3, 40), seed=10)
    exact(
        lambda z, v, w: (
            lax.sort(z, dimension=1),
            lax.sort((z, v, w), dimension=1, num_keys=1, is_stable=True),
            lax.sort((v * 0, z, v), dimension=1, num_keys=2, is_stable=True),
            jnp.sort(z, axis=0, descending=True),
        ),
        z,
        v,
        w,
        prims=["sort"],
    )


# ---------------------------------------------------------------- convolution


def test_complex_convolution():
    lhs, rhs = crand((2, 3, 9, 10)), crand((4, 3, 3, 2), seed=1)
    real = np.random.default_rng(2).normal(size=(4, 3, 3, 2)).astype(np.float32)
    check(
        lambda l, r, q: (
            lax.conv_general_dilated(l, r, (1, 2), "SAME", rhs_dilation=(2, 1)),
            lax.conv_general_dilated(l, q.astype(np.complex64), (1, 1), "VALID"),
        ),
        lhs,
        rhs,
        real,
        prims=["conv_general_dilated"],
        tol=(1e-5, 1e-5),
        symbolic=False,
    )


# ---------------------------------------------------------------- linear algebra


def hermitian_pd(n, batch=(), seed=0):
    x = crand(batch + (n, n), seed=seed)
    return (x @ np.conj(np.swapaxes(x, -1, -2)) + n * np.eye(n)).astype(np.complex64)


@pytest.mark.parametrize("n", [4, 24])  # unrolled, loop
def test_complex_cholesky(n):
    a = hermitian_pd(n, (2,), seed=n)
    a[1, 0, 0] = -1  # not positive definite: all NaN as JAX
    check(lambda a: lax.linalg.cholesky(a, symmetrize_input=False), a, prims=["cholesky"], tol=(1e-4, 1e-4))


@pytest.mark.parametrize("n", [5, 20])
def test_complex_triangular_solve(n):
    a = crand((2, n, n), seed=3) + 4 * np.eye(n, dtype=np.complex64)
    bl, br = crand((2, n, 3), seed=4), crand((2, 3, n), seed=5)
    cases = []
    for left in (True, False):
        for lower in (True, False):
            for trans, conj in ((False, False), (True, False), (True, True), (False, True)):
                cases.append((left, lower, trans, conj, lower and not trans))

    def fn(a, bl, br):
        return [
            lax.linalg.triangular_solve(
                a, bl if left else br, left_side=left, lower=lower, transpose_a=t, conjugate_a=c, unit_diagonal=u
            )
            for left, lower, t, c, u in cases
        ]

    check(fn, a, bl, br, prims=["triangular_solve"], tol=(1e-4, 1e-4))


def test_complex_lu_and_solve():
    """lu (JAX's own blocked implementation, expanded) and jnp.linalg.solve/inv/det on
    complex matrices: they run on complex triangular solves, argmax of |.|, swaps in loops."""
    a = crand((2, 6, 6), seed=11) + 3 * np.eye(6, dtype=np.complex64)
    b = crand((2, 6, 2), seed=12)
    check(
        lambda a, b: (jnp.linalg.solve(a, b), jnp.linalg.inv(a), jnp.linalg.det(a), lax.linalg.lu(a)[0]),
        a,
        b,
        prims=["lu", "triangular_solve"],
        tol=(1e-4, 1e-4),
    )


# ---------------------------------------------------------------- errors


def test_complex_scatter_with_batching_dims_is_a_clear_error():
    x = crand((2, 5))
    idx = np.array([[1], [3]], np.int32)
    dnums = lax.ScatterDimensionNumbers(
        update_window_dims=(),
        inserted_window_dims=(1,),
        scatter_dims_to_operand_dims=(1,),
        operand_batching_dims=(0,),
        scatter_indices_batching_dims=(0,),
    )
    closed = jax.make_jaxpr(lambda x: lax.scatter_mul(x, idx, x[:, :1][:, 0], dnums))(x)
    with pytest.raises(Exception, match="scatter-mul.*batching"):
        ovjax.convert_model(closed)


def test_relative_error_helper_detects_differences():
    """The comparison the plane tests use fails on a NaN, an infinity or a wrong value."""
    w = np.array([1 + 1j, np.inf + 0j], np.complex64)
    with pytest.raises(AssertionError):
        relative_error(as_pairs_complex(np.array([[1, 1], [np.nan, 0]], np.float32), np.complex64), w)
    assert relative_error(as_pairs_complex(np.array([[1, 1.5], [np.inf, 0]], np.float32), np.complex64), w).max() > 0.3
