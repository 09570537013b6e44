"""The nonsymmetric eigensolver ``eig`` (lax.linalg.eig, jnp.linalg.eig / eigvals) against
JAX (LAPACK geev) on OpenVINO CPU. The serializer expands eig into ovjax's own JAX
implementation (src/python/ovjax/_eig.py: complex shifted QR to Schur form, eigenvectors by
triangular substitution, LAPACK's normalization).

The order of the eigenvalues is not reproducible (LAPACK's depends on its deflation
order), so results are compared by invariants (harness.assert_eig): eigenvalues equal
JAX's as multisets, A vr = vr diag(w) and vl^H A = diag(w) vl^H for our own w, unit
vectors with a real largest component. Static conversions and symbolic (vmapped, batch B)
ones are both checked.

schur (lax.linalg.schur, jax.scipy.linalg.schur; LAPACK gees) likewise by invariants: complex
matrices' triangular Schur form from the same iteration, real ones' quasi-triangular form
(_eig._real_schur: Francis double-shift QR, 2x2 blocks in LAPACK's standard form).
"""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import ovjax
from harness import (
    crand,
    EIG_VALUE_TOL,
    _batched,
    _match_eigenvalues,
    _within,
    assert_eig,
    assert_prims,
    check_symbolic,
    run_ov,
)
from ovjax import _linalg

DTYPES = ["float32", "complex64"]
# a size whose loops unroll, and one whose substitution loops become OpenVINO Loops
SMALL, LARGE = 5, _linalg.UNROLL + 4


def _eig_fn(left, right):
    return lambda a: lax.linalg.eig(a, compute_left_eigenvectors=left, compute_right_eigenvectors=right)


def check_eig(fn, a, *, left, right, value_tol=None, tol=None, symbolic=True):
    """Converts fn (returning [w, vl?, vr?]), runs it on OpenVINO CPU and checks its outputs
    with assert_eig against JAX's, statically and vmapped over a symbolic batch."""
    closed = jax.make_jaxpr(fn)(a)
    assert_prims(closed, prims=["eig"])
    model = ovjax.convert_model(closed)
    want = [np.asarray(w) for w in jax.tree_util.tree_leaves(jax.jit(fn)(a))]
    got = run_ov(model, [a])
    assert_eig(a, got, want, left=left, right=right, where="static", tol=tol, value_tol=value_tol)
    if symbolic:

        def compare(got, want, where):
            n = int(re.search(r"B=(\d+)", where).group(1))
            assert_eig(_batched(a, n), got, want, left=left, right=right, where=where, tol=tol, value_tol=value_tol)

        check_symbolic(fn, a, compare=compare)
    return got


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("left,right", [(True, True), (False, True), (True, False), (False, False)])
@pytest.mark.parametrize("shape", [(0, 0), (1, 1), (2, 2), (SMALL, SMALL), (2, 3, 4, 4)])
def test_eig_random(dtype, left, right, shape):
    a = crand(shape, dtype, seed=sum(shape) + 7 * left + 3 * right)
    check_eig(_eig_fn(left, right), a, left=left, right=right)


@pytest.mark.parametrize("dtype", DTYPES)
def test_eig_large(dtype):
    """Past _linalg.UNROLL: the QR factorizations and substitutions run in OpenVINO Loops."""
    a = crand((LARGE, LARGE), dtype, seed=41)
    check_eig(_eig_fn(True, True), a, left=True, right=True, symbolic=False)


def test_eig_real_has_conjugate_pairs():
    """A real matrix with complex-conjugate eigenvalue pairs (a rotation block and a random
    real matrix's): eigenvalues come out in conjugate pairs."""
    rot = np.array([[0.0, -2.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 1.0]], np.float32)
    q, _ = np.linalg.qr(crand((3, 3), "float32", seed=3).astype(np.float64))
    a = (q @ rot @ q.T).astype(np.float32)
    got = check_eig(_eig_fn(True, True), a, left=True, right=True)
    w = got[0][..., 0] + 1j * got[0][..., 1] if got[0].ndim == 2 else got[0]
    assert np.allclose(np.sort_complex(np.round(w, 4)), np.sort_complex(np.array([-2j, 2j, 1])), atol=1e-4)


@pytest.mark.parametrize("dtype", DTYPES)
def test_eig_structured(dtype):
    """Diagonal (with a repeated eigenvalue), upper and lower triangular, a permutation
    (eigenvalues on the unit circle) and a scaled matrix."""
    cases = {
        "diagonal": np.diag([3.0, -1.0, 2.0, 2.0, 0.5]),
        "upper": np.triu(crand((5, 5), "float32", seed=11)),
        "lower": np.tril(crand((5, 5), "float32", seed=12)),
        "cyclic": np.roll(np.eye(6), 1, axis=0),
        "scaled": 1e4 * crand((4, 4), "float32", seed=13),
        "zero": np.zeros((3, 3)),
    }
    for name, a in cases.items():
        a = a.astype(np.dtype(dtype))
        if dtype == "complex64":
            a = (a * np.exp(0.3j)).astype(np.complex64)
        try:
            check_eig(_eig_fn(True, True), a, left=True, right=True, symbolic=False)
        except AssertionError as e:
            raise AssertionError(f"{name}: {e}") from None


def test_eig_defective():
    """A Jordan block perturbed slightly and a defective 2x2: eigenvalues of a Jordan block
    of size k are sensitive to eps^(1/k), so the multiset comparison is looser; the
    residual equations still hold to rounding."""
    jordan = np.array([[2.0, 1.0, 0.0], [0.0, 2.0, 1.0], [0.0, 0.0, 2.0]], np.float32)
    q, _ = np.linalg.qr(crand((3, 3), "float32", seed=5).astype(np.float64))
    a = (q @ jordan @ q.T).astype(np.float32)
    check_eig(_eig_fn(True, True), a, left=True, right=True, value_tol=1e-2, symbolic=False)
    a2 = np.array([[1.0, 1.0], [0.0, 1.0]], np.float32)
    check_eig(_eig_fn(True, True), a2, left=True, right=True, symbolic=False)


@pytest.mark.parametrize("dtype", DTYPES)
def test_jnp_linalg_eig_and_eigvals(dtype):
    a = crand((2, SMALL, SMALL), dtype, seed=21)
    check_eig(jnp.linalg.eig, a, left=False, right=True)
    check_eig(lambda x: [jnp.linalg.eigvals(x)], a, left=False, right=False)


def test_eig_check_rejects_wrong_results():
    """assert_eig fails on wrong vectors, wrong eigenvalues and unnormalized vectors."""
    a = crand((4, 4), "complex64", seed=31)
    w0, vl0, vr0 = (np.asarray(x) for x in lax.linalg.eig(a))
    assert_eig(a, [w0, vl0, vr0], [w0, vl0, vr0], left=True, right=True)  # JAX's own pass
    # vectors permuted against the eigenvalues
    with pytest.raises(AssertionError, match="vr diag"):
        assert_eig(a, [w0, vl0, vr0[:, ::-1]], [w0, vl0, vr0], left=True, right=True)
    with pytest.raises(AssertionError, match="vl\\^H A"):
        assert_eig(a, [w0, vl0[:, [1, 0, 2, 3]], vr0], [w0, vl0, vr0], left=True, right=True)
    # left and right swapped
    with pytest.raises(AssertionError):
        assert_eig(a, [w0, vr0, vl0], [w0, vl0, vr0], left=True, right=True)
    # an eigenvalue off
    w1 = w0.copy()
    w1[0] += 1e-3 * np.linalg.norm(a)
    with pytest.raises(AssertionError, match="eigenvalues"):
        assert_eig(a, [w1], [w0], left=False, right=False)
    # a repeated eigenvalue instead of two distinct ones (same count, wrong multiset)
    w2 = w0.copy()
    w2[1] = w2[0]
    with pytest.raises(AssertionError, match="eigenvalues"):
        assert_eig(a, [w2], [w0], left=False, right=False)
    # unnormalized, and a phase that leaves the largest component complex
    with pytest.raises(AssertionError, match="norms"):
        assert_eig(a, [w0, 2 * vr0], [w0, vr0], left=False, right=True)
    with pytest.raises(AssertionError, match="not real"):
        assert_eig(a, [w0, vr0 * np.exp(0.5j)], [w0, vr0], left=False, right=True)


@pytest.mark.parametrize("dtype", ["float64", "complex128"])
def test_eig_x64(dtype):
    """float64 / complex128 under x64: OpenVINO's CPU plugin computes them in float32, so
    the float32 bounds apply (measured eigenvalue error 3e-7 |A|)."""
    rng = np.random.RandomState(3)
    a = rng.randn(2, SMALL, SMALL) + (1j * rng.randn(2, SMALL, SMALL) if dtype == "complex128" else 0)
    with jax.enable_x64(True):
        check_eig(_eig_fn(True, True), a.astype(np.dtype(dtype)), left=True, right=True, symbolic=False)


@pytest.mark.parametrize("shape", [(1, 1), (2, 2), (5, 5), (2, 3, 4, 4), (20, 20)])
def test_schur_complex(shape):
    """lax.linalg.schur of complex matrices (and jax.scipy.linalg.schur(a, output='complex')
    of real ones, which converts first): A = Z T Z^H with T upper triangular and Z unitary,
    T's diagonal the eigenvalues of JAX's T as a multiset (the order and the columns' phases
    are the iteration's, as LAPACK's gees leaves them)."""
    import jax.scipy.linalg as jsl

    rng = np.random.default_rng(sum(shape))
    a = (rng.normal(size=shape) + 1j * rng.normal(size=shape)).astype(np.complex64)
    closed = jax.make_jaxpr(lambda a: lax.linalg.schur(a))(a)
    assert_prims(closed, prims=["schur"])
    t, z = run_ov(ovjax.convert_model(closed), [a])
    t, z = (x[..., 0] + 1j * x[..., 1].astype(np.float64) for x in (t, z))
    want_t = np.asarray(lax.linalg.schur(a)[0])
    norm = np.linalg.norm(a, axis=(-2, -1))[..., None]
    assert np.abs(np.tril(t, -1)).max(initial=0) <= 1e-5 * norm.max()
    recon = z @ t @ np.conj(np.swapaxes(z, -1, -2))
    assert (np.linalg.norm(recon - a, axis=(-2, -1)) <= 1e-5 * norm[..., 0]).all()
    assert np.abs(np.conj(np.swapaxes(z, -1, -2)) @ z - np.eye(shape[-1])).max() <= 1e-5
    got_w = np.sort_complex(np.diagonal(t, axis1=-2, axis2=-1).reshape(-1, shape[-1]))
    want_w = np.sort_complex(np.diagonal(want_t, axis1=-2, axis2=-1).reshape(-1, shape[-1]))
    for g, w, nrm in zip(got_w, want_w, norm.reshape(-1)):
        for x in g:  # each of ours is one of JAX's
            assert np.abs(w - x).min() <= 1e-5 * nrm
    if len(shape) == 2:  # real input through scipy's complex output
        r = a.real.copy()
        fn = lambda r: jsl.schur(r, output="complex")  # noqa: E731
        got = run_ov(ovjax.convert_model(jax.make_jaxpr(fn)(r)), [r])
        t2, z2 = (x[..., 0] + 1j * x[..., 1].astype(np.float64) for x in got)
        assert np.linalg.norm(z2 @ t2 @ np.conj(z2.T) - r) <= 1e-5 * np.linalg.norm(r)


def _quasi_eigenvalues(t):
    """The eigenvalues of a real quasi-triangular T (one matrix) from its diagonal blocks:
    a 2x2 block where the subdiagonal entry is nonzero, 1x1 ones elsewhere."""
    w, k, n = [], 0, t.shape[-1]
    while k < n:
        if k + 1 < n and t[k + 1, k] != 0:
            (a, b), (c, d) = t[k : k + 2, k : k + 2]
            w += list(np.linalg.eigvals(np.array([[a, b], [c, d]], np.float64)))
            k += 2
        else:
            w.append(t[k, k])
            k += 1
    return np.array(w, np.complex128)


def assert_real_schur(a, got, want, where="", tol=1e-5):
    """lax.linalg.schur's (T, Z) of real matrices `a` (batched) against JAX's (LAPACK gees):
    |Z T Z^T - A| / |A| and |Z^T Z - I| within tol; T exactly zero below its subdiagonal,
    no two consecutive nonzero subdiagonal entries, each 2x2 block in LAPACK's standard form
    (a11 == a22, a12 a21 < 0) with complex eigenvalues; T's eigenvalues (from its blocks)
    JAX's T's as multisets within EIG_VALUE_TOL |A|_F. Returns the worst residual,
    orthogonality and eigenvalue errors."""
    t, z = (np.asarray(x, np.float64) for x in got)
    t0 = np.asarray(want[0], np.float64)
    a = np.asarray(a, np.float64)
    assert t.shape == z.shape == a.shape, f"{where}: shapes {t.shape}, {z.shape} != {a.shape}"
    n = a.shape[-1]
    anorm = np.maximum(np.linalg.norm(a, axis=(-2, -1)), np.finfo(np.float64).tiny)
    res = np.linalg.norm(z @ t @ np.swapaxes(z, -1, -2) - a, axis=(-2, -1)) / anorm
    _within(res, tol, "|Z T Z^T - A| / |A|", where)
    orth = np.abs(np.swapaxes(z, -1, -2) @ z - np.eye(n))
    _within(orth, tol, "|Z^T Z - I|", where)
    assert (np.tril(t, -2) == 0).all(), f"{where}: T not zero below its subdiagonal"
    worst_w = 0.0
    for b in np.ndindex(*a.shape[:-2]):
        tb = t[b]
        sub = np.flatnonzero(np.diagonal(tb, -1))
        assert not (np.diff(sub) == 1).any(), f"{where}: consecutive subdiagonal entries at {sub}"
        for k in sub:
            (a11, a12), (a21, a22) = tb[k : k + 2, k : k + 2]
            assert a11 == a22 and a12 * a21 < 0, f"{where}: block {k} not standard: {tb[k : k + 2, k : k + 2]}"
        err = _match_eigenvalues(_quasi_eigenvalues(tb), _quasi_eigenvalues(t0[b])) / anorm[b]
        assert err <= EIG_VALUE_TOL["float32"], f"{where}: eigenvalues off JAX's by {err} * |A|"
        worst_w = max(worst_w, err)
    return res.max(initial=0), orth.max(initial=0), worst_w


def check_real_schur(fn, a, symbolic=True):
    """Converts fn (lax.linalg.schur or jax.scipy.linalg.schur of a real matrix), runs it on
    OpenVINO CPU and checks it with assert_real_schur, statically and over a symbolic batch."""
    closed = jax.make_jaxpr(fn)(a)
    assert_prims(closed, prims=["schur"])
    got = run_ov(ovjax.convert_model(closed), [a])
    assert_real_schur(a, got, jax.jit(fn)(a), where="static")
    if symbolic:

        def compare(got, want, where):
            n = int(re.search(r"B=(\d+)", where).group(1))
            assert_real_schur(_batched(a, n), got, want, where=where)

        check_symbolic(fn, a, compare=compare)
    return got


def _schur(a):
    return lax.linalg.schur(a)


def _orthogonal(n, seed):
    return np.linalg.qr(np.random.default_rng(seed).normal(size=(n, n)))[0]


@pytest.mark.parametrize("shape", [(1, 1), (2, 2), (3, 3), (6, 6), (2, 3, 5, 5), (12, 12), (LARGE, LARGE)])
def test_schur_real(shape):
    """lax.linalg.schur of real matrices: LAPACK gees' real Schur form A = Z T Z^T (T
    quasi-triangular, its 2x2 blocks the complex pairs in standard form, Z orthogonal),
    checked by invariants against JAX's (the blocks' order is the iteration's). Measured
    over 5 seeds per shape: |Z T Z^T - A| / |A| and |Z^T Z - I| at most 1.8e-6, eigenvalues
    6e-7 |A|. Also jax.scipy.linalg.schur (output='real'). LARGE runs the bulge chase in
    OpenVINO Loops."""
    import jax.scipy.linalg as jsl

    a = np.random.default_rng(sum(shape)).normal(size=shape).astype(np.float32)
    check_real_schur(_schur, a)
    if len(shape) == 2 and shape[-1] in (3, 6):
        check_real_schur(jsl.schur, a, symbolic=False)


def test_schur_real_structured():
    """Symmetric (real eigenvalues: T diagonal), skew-symmetric and a conjugated block
    rotation (complex pairs only, repeated: [[0, -I], [I, 0]] is derogatory), upper
    triangular (T = A, Z = I), a cyclic permutation (eigenvalues on the unit circle), a
    repeated real eigenvalue, a 2x2 with real eigenvalues (split into 1x1s) and zero."""
    q = _orthogonal(6, 1)
    x = np.random.default_rng(2).normal(size=(6, 6))
    j = np.block([[np.zeros((3, 3)), -np.eye(3)], [np.eye(3), np.zeros((3, 3))]])
    cases = {
        "symmetric": x + x.T,
        "skew": x - x.T,
        "rotations": q @ j @ q.T,
        "upper": np.triu(x),
        "cyclic": np.roll(np.eye(5), 1, axis=0),
        "repeated": q @ np.diag([2.0, 2.0, 2.0, -1.0, -1.0, 3.0]) @ q.T,
        "real_2x2": np.array([[3.0, 2.0], [1.0, 4.0]]),
        "zero": np.zeros((4, 4)),
    }
    for name, a in cases.items():
        a = a.astype(np.float32)
        try:
            t, z = check_real_schur(_schur, a, symbolic=False)
        except AssertionError as e:
            raise AssertionError(f"{name}: {e}") from None
        if name == "symmetric":
            assert (np.diagonal(t, -1) == 0).all(), "symmetric: a 2x2 block"
        if name in ("skew", "rotations"):
            assert (np.diagonal(t, -1)[::2] != 0).all(), f"{name}: not all complex pairs"
        if name in ("upper", "zero"):  # nothing to do (T = A up to the scaling's rounding)
            assert np.allclose(t, a, rtol=1e-6, atol=0) and np.array_equal(z, np.eye(len(a))), name


def test_schur_real_x64():
    """float64 under x64 (computed in float32 by the plugin, float32's bounds)."""
    a = np.random.default_rng(4).normal(size=(2, 5, 5))
    with jax.enable_x64(True):
        check_real_schur(_schur, a, symbolic=False)
