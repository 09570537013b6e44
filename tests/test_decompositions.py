"""Matrix decompositions against JAX (LAPACK) on OpenVINO CPU: qr, eigh and svd, which the
serializer expands into ovjax's own JAX implementations (src/python/ovjax/_linalg.py:
Householder QR, parallel Jacobi eigh, QR-preconditioned one-sided Jacobi SVD).

QR follows LAPACK's conventions, so Q and R are compared with JAX's directly. Eigen- and
singular vectors are unique only up to phases (and bases of repeated values' spaces), so
they are compared by their invariants (harness.assert_eigh / assert_svd). Matrices of at
most _linalg.UNROLL columns unroll their loops; larger ones run in OpenVINO Loops.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import ovjax
from harness import (
    crand,
    DECOMPOSITION_TOL,
    LINALG_TOL,
    assert_eigh,
    assert_prims,
    assert_reconstructs,
    assert_svd,
    assert_unitary,
    check,
    check_cases,
    check_invariants,
    run_ov,
)
from ovjax import _linalg

DTYPES = ["float32", "complex64"]
TOL = LINALG_TOL["float32"]
# a size whose loops unroll, and one whose loops become OpenVINO Loops
SMALL, LARGE = 5, _linalg.UNROLL + 4


def with_spectrum(n, values, dtype, seed=0):
    """Q diag(values) Q^H for a random unitary Q (from NumPy's QR)."""
    q, _ = np.linalg.qr(crand((n, n), dtype, seed=seed).astype(np.complex128 if dtype == "complex64" else np.float64))
    a = (q * np.asarray(values, np.float64)) @ np.conj(q.T)
    return a.astype(np.dtype(dtype))


def with_singular_values(m, n, values, dtype, seed=0):
    """U diag(values) V^H (values padded with zeros to min(m, n))."""
    wide = np.complex128 if dtype == "complex64" else np.float64
    u, _ = np.linalg.qr(crand((m, m), dtype, seed=seed).astype(wide))
    v, _ = np.linalg.qr(crand((n, n), dtype, seed=seed + 1).astype(wide))
    s = np.zeros((m, n))
    k = len(values)
    s[:k, :k] = np.diag(values)
    return (u @ s @ np.conj(v.T)).astype(np.dtype(dtype))


# ------------------------------------------------------------------------------- qr


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (3, 5), (7, 4), (2, 3, SMALL, 4), (LARGE + 6, LARGE), (4, LARGE)])
def test_qr(dtype, shape):
    a = crand(shape, dtype, seed=sum(shape))
    cases = {
        "qr:reduced": lambda a: lax.linalg.qr(a, full_matrices=False),
        "qr:full": lambda a: lax.linalg.qr(a, full_matrices=True),
    }
    check_cases(cases, a, tol=TOL)


def test_qr_empty_and_numpy_modes():
    cases = {
        "qr:complete": lambda a, e0, e1: jnp.linalg.qr(a, mode="complete"),
        "qr:r": lambda a, e0, e1: jnp.linalg.qr(a, mode="r"),
        "qr:reduced": lambda a, e0, e1: jnp.linalg.qr(a),
        "qr:no_rows": lambda a, e0, e1: jnp.linalg.qr(e0, mode="complete"),
        "qr:no_columns": lambda a, e0, e1: jnp.linalg.qr(e1, mode="complete"),
        "qr:no_columns_reduced": lambda a, e0, e1: jnp.linalg.qr(e1),
    }
    check_cases(
        cases, crand((6, 4), "float32", seed=3), np.zeros((0, 3), np.float32), np.zeros((3, 0), np.float32), tol=TOL
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [SMALL, LARGE])
def test_qr_rank_deficient_and_ill_conditioned(dtype, n):
    # Q's columns beyond the rank (and R's rows) depend on rounding noise, and an
    # ill-conditioned A's Q only to cond(A) * eps: checked by the invariants instead
    deficient = with_singular_values(n + 2, n, [3.0, 2.0, 1.0], dtype, seed=n)  # rank 3
    deficient[:, 1] = 0  # and a zero column
    ill = with_singular_values(n, n, np.logspace(0, -6, n), dtype, seed=n + 1)
    tol = DECOMPOSITION_TOL["float32"]
    for a in (deficient, ill):
        fn = functools.partial(lax.linalg.qr, full_matrices=True)
        model = ovjax.convert_model(fn, example_input=(a,))
        q0, _ = fn(a)
        q, r = (np.asarray(x) for x in run_ov(model, [a]))
        q = q[..., 0] + 1j * q[..., 1] if dtype == "complex64" else q
        r = r[..., 0] + 1j * r[..., 1] if dtype == "complex64" else r
        assert q.shape == q0.shape
        assert_unitary(q, tol, "Q")
        assert_reconstructs(q @ r, a, tol, what="|QR - A| / |A|")
        assert np.all(np.tril(r, -1) == 0), "R is not upper triangular"


def test_qr_pivoting_is_unsupported():
    a = crand((4, 3), "float32")
    fn = lambda a: lax.linalg.qr(a, pivoting=True)  # noqa: E731
    assert_prims(jax.make_jaxpr(fn)(a), prims={"qr"})
    with pytest.raises(Exception, match=r"not supported.*pivoting=True"):
        ovjax.convert_model(fn, example_input=(a,))


# ----------------------------------------------------------------------------- eigh


def hermitian_in(a, lower):
    """Junk (a constant) in the triangle eigh must not read; the diagonal's imaginary
    part, which LAPACK ignores, too. (Not NaN: the symbolic check rolls values around,
    and LAPACK's results for a NaN on the diagonal are arbitrary.)"""
    n = a.shape[-1]
    other = np.triu(np.ones((n, n), bool), 1) if lower else np.tril(np.ones((n, n), bool), -1)
    a = np.where(other, 2.5, a).astype(a.dtype)
    if np.iscomplexobj(a):
        a = a + 1j * np.eye(n, dtype=np.float32) * 5
    return a


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shape", [(1, 1), (2, 2), (SMALL, SMALL), (2, 3, 6, 6), (LARGE, LARGE), (LARGE + 1, LARGE + 1)]
)
def test_eigh(dtype, shape):
    a = crand(shape, dtype, seed=shape[-1])
    for lower in (True, False):
        fn = lambda a, lower=lower: lax.linalg.eigh(a, lower=lower, symmetrize_input=False)  # noqa: E731
        check_invariants(fn, hermitian_in(a, lower), compare=assert_eigh, prims={"eigh"}, symbolic=len(shape) == 2)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [7, LARGE])
def test_eigh_repeated_and_clustered_eigenvalues(dtype, n):
    values = np.array(([2.0] * 3 + [-1.0] * 2 + [5.0, 5.0 + 1e-6] + list(np.linspace(0, 1, n)))[:n])
    a = with_spectrum(n, values, dtype, seed=n)
    zero = np.zeros((n, n), np.dtype(dtype))  # all eigenvalues 0
    cases = lambda a, z: (jnp.linalg.eigh(a), jnp.linalg.eigh(z))  # noqa: E731

    def compare(got, want, where):
        assert_eigh(got[:2], want[:2], where + ": repeated")
        assert_eigh(got[2:], want[2:], where + ": zero")

    check_invariants(cases, a, zero, compare=compare, prims={"eigh"})


def test_eigh_numpy_api_and_empty():
    a = crand((4, 4), "float32", seed=5)
    a = a + a.T
    fns = {
        "eigh:eigvalsh": lambda a, e: jnp.linalg.eigvalsh(a),
        "eigh:eigvalsh_upper": lambda a, e: jnp.linalg.eigvalsh(a, UPLO="U"),
        "eigh:empty": lambda a, e: jnp.linalg.eigh(e),
    }
    check_cases(fns, a, np.zeros((2, 0, 0), np.float32), tol=TOL)


def test_eigh_subset_is_unsupported():
    a = crand((4, 4), "float32")
    fn = lambda a: lax.linalg.eigh(a, subset_by_index=(0, 2))  # noqa: E731
    with pytest.raises(Exception, match=r"not supported.*subset_by_index=\(0, 2\)"):
        ovjax.convert_model(fn, example_input=(a,))


# ------------------------------------------------------------------------------ svd


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shape", [(1, 1), (2, 2), (SMALL, 3), (3, SMALL + 2), (2, 3, 8, 4), (LARGE, LARGE), (LARGE + 10, LARGE), (3, LARGE)]
)
def test_svd(dtype, shape):
    a = crand(shape, dtype, seed=sum(shape))
    for full in (False, True):
        fn = lambda a, full=full: lax.linalg.svd(a, full_matrices=full)  # noqa: E731
        check_invariants(fn, a, compare=assert_svd, prims={"svd"}, symbolic=len(shape) == 2)
    check(lambda a: lax.linalg.svd(a, compute_uv=False), a, prims={"svd"}, tol=TOL)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mn", [(6, 4), (LARGE + 3, LARGE)])
def test_svd_rank_deficient_and_ill_conditioned(dtype, mn):
    m, n = mn
    deficient = with_singular_values(m, n, [4.0, 2.0, 2.0], dtype, seed=m)  # rank 3, a repeated value
    ill = with_singular_values(m, n, np.logspace(0, -6, n), dtype, seed=n)
    # singular values to the dtype's accuracy relative to the largest one
    tol = (1e-5, 2e-6)
    for a in (deficient, ill, deficient.T.copy()):
        fn = lambda a: lax.linalg.svd(a, full_matrices=True)  # noqa: E731
        check_invariants(fn, a, compare=functools.partial(assert_svd, value_tol=tol), prims={"svd"})


def test_svd_empty():
    fns = {
        "svd:rows": lambda e0, e1: jnp.linalg.svd(e0),
        "svd:columns": lambda e0, e1: jnp.linalg.svd(e1, full_matrices=False),
        "svd:values": lambda e0, e1: jnp.linalg.svd(e1, compute_uv=False),
    }
    check_cases(fns, np.zeros((0, 3), np.float32), np.zeros((2, 4, 0), np.float32), tol=TOL)


# ------------------------------------------------------------- as users call them


@pytest.mark.parametrize("dtype", DTYPES)
def test_numpy_functions(dtype):
    a = crand((7, 5), dtype, seed=11)
    b = crand((7, 2), dtype, seed=12)
    sq = crand((5, 5), dtype, seed=13)
    cases = {
        "svd:pinv": lambda a, b, sq: jnp.linalg.pinv(a),
        "svd:lstsq": lambda a, b, sq: jnp.linalg.lstsq(a, b)[0],
        "svd:lstsq_singular_values": lambda a, b, sq: jnp.linalg.lstsq(a, b)[3],
        "svd:norm2": lambda a, b, sq: jnp.linalg.norm(a, ord=2),
        "svd:nuclear": lambda a, b, sq: jnp.linalg.norm(a, ord="nuc"),
        "svd:cond": lambda a, b, sq: jnp.linalg.cond(sq),
        "svd:matrix_rank": lambda a, b, sq: jnp.linalg.matrix_rank(a),
    }
    cases["qr:solve"] = lambda a, b, sq: jax.scipy.linalg.solve_triangular(
        jnp.linalg.qr(a)[1], jnp.linalg.qr(a)[0].conj().T @ b
    )
    if dtype == "float32":  # (jnp.polyfit takes real samples)
        cases["svd:polyfit"] = lambda a, b, sq: jnp.polyfit(a[:, 0], b[:, 0], 3)
        cases["svd:polyfit_weighted"] = lambda a, b, sq: jnp.polyfit(a[:, 1], b[:, 1], 2, w=jnp.abs(a[:, 2]) + 0.5)
    check_cases(cases, a, b, sq, tol=(2e-4, 2e-4))


def test_user_calls_with_vectors():
    a = crand((6, 6), "complex64", seed=21)
    h = (a + np.conj(a.T)) / 2
    check_invariants(jnp.linalg.eigh, h, compare=assert_eigh, prims={"eigh"})
    check_invariants(jnp.linalg.svd, a[:, :4], compare=assert_svd, prims={"svd"})
    # a function of the decomposition that is unique: the matrix square root of h h^H
    spd = h @ np.conj(h.T)

    def sqrtm(x):
        w, v = jnp.linalg.eigh(x)
        return (v * jnp.sqrt(jnp.maximum(w, 0))) @ jnp.conj(v).T

    check(sqrtm, spd, prims={"eigh"}, tol=(1e-4, 1e-4))


@pytest.mark.parametrize("dtype", ["float64", "complex128"])
def test_x64(dtype):
    # OpenVINO's CPU plugin computes float64 as float32: float32's accuracy
    with jax.enable_x64(True):
        a = crand((6, 4), "complex64" if dtype == "complex128" else "float32", seed=31).astype(dtype)
        check_cases({"qr": lambda a: jnp.linalg.qr(a)}, a, tol=TOL)
        h = a.T.conj() @ a
        check_invariants(jnp.linalg.eigh, h, compare=assert_eigh, prims={"eigh"}, symbolic=False)
        check_invariants(jnp.linalg.svd, a, compare=assert_svd, prims={"svd"}, symbolic=False)


def test_invariant_checks_fail_on_wrong_vectors():
    # the comparisons these tests rely on reject vectors that are not eigen/singular vectors
    a = crand((5, 5), "float32", seed=41)
    v0, w0 = (np.asarray(x) for x in lax.linalg.eigh(a + a.T))
    assert_eigh([v0 * np.array([1, -1, 1, -1, 1], np.float32), w0], [v0, w0])  # signs are free
    with pytest.raises(AssertionError, match="A V - V diag"):
        assert_eigh([v0[:, ::-1], w0], [v0, w0])
    u0, s0, vt0 = (np.asarray(x) for x in lax.linalg.svd(a))
    assert_svd([-u0, s0, -vt0], [u0, s0, vt0])  # signs are free in pairs
    with pytest.raises(AssertionError, match="U S V"):
        assert_svd([s0, -u0, vt0], [s0, u0, vt0])
    with pytest.raises(AssertionError, match="not orthonormal"):
        assert_unitary(u0 * 1.001, 1e-3)
    with pytest.raises(AssertionError, match="singular values"):
        assert_svd([s0 + 1e-3, u0, vt0], [s0, u0, vt0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1), (5, 3), (4, 4), (2, 3, SMALL, 4), (LARGE + 3, LARGE)])
def test_geqrf_and_householder_product(dtype, shape):
    """LAPACK's packed forms, as jax.lax.linalg.geqrf / householder_product (what
    jnp.linalg.qr is built on, and what scipy-style code calls): the same packed R,
    reflectors and taus as LAPACK up to rounding, and the product of given reflectors."""
    from jax._src.lax import linalg as la

    a = crand(shape, dtype, seed=sum(shape) + 1)
    check(lambda a: la.geqrf(a), a, prims=["geqrf"], tol=TOL)
    r, taus = (np.asarray(v) for v in la.geqrf(a))
    check(lambda r, t: la.householder_product(r, t), r, taus, prims=["householder_product"], tol=TOL)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1), (2, 2), (6, 6), (2, 3, SMALL, SMALL), (LARGE, LARGE)])
def test_hessenberg(dtype, shape):
    """lax.linalg.hessenberg (jax.scipy.linalg.hessenberg): Householder reduction packed as
    LAPACK's gehrd (H above the subdiagonal, reflectors below, taus; complex matrices get a
    last reflector that makes the last subdiagonal entry real, as zgehrd), equal to JAX's up
    to rounding; and Q H Q^H rebuilds A."""
    import jax.scipy.linalg as jsl

    a = crand(shape, dtype, seed=sum(shape) + 2)
    check(lambda a: lax.linalg.hessenberg(a), a, prims=["hessenberg"], tol=(2e-4, 2e-4))
    if len(shape) == 2:
        check(lambda a: jsl.hessenberg(a, calc_q=True), a, prims=["hessenberg"], tol=(2e-4, 2e-4))


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1), (2, 2), (6, 6), (2, 3, SMALL, SMALL), (LARGE, LARGE)])
def test_tridiagonal(dtype, shape, lower):
    """lax.linalg.tridiagonal: the Householder reduction of the lower (upper) triangle
    packed as LAPACK's sytrd/hetrd (d, e real; reflectors below the subdiagonal, or above
    the superdiagonal in reverse order; the other strict triangle the input's), equal to
    JAX's up to rounding."""
    a = crand(shape, dtype, seed=sum(shape) + 3 + int(lower))
    check(lambda a: lax.linalg.tridiagonal(a, lower=lower), a, prims=["tridiagonal"], tol=(2e-4, 2e-4))
