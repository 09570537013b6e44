"""Linear algebra against JAX on OpenVINO CPU: triangular_solve and cholesky (translated in
src/cpp/ops/linalg.cpp; unrolled up to 16 rows, an OpenVINO Loop beyond) and the
primitives the serializer expands into JAX's own implementations
(src/python/ovjax/_expand.py): custom_linear_solve, tridiagonal_solve, lu,
lu_pivots_to_permutation, cholesky_update, symmetric_product.
"""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import ovjax
from harness import FLOATS, LINALG_TOL, assert_prims, check, check_cases, rand


def well_conditioned(shape, dtype, seed):
    """A random matrix with a dominant diagonal (|a_ii| in [2, 4], both signs); the other
    triangle holds junk the solvers must ignore."""
    a = rand(shape, "float32", seed=seed, low=-0.5, high=0.5)
    n = shape[-1]
    d = rand(shape[:-1], "float32", seed=seed + 1, low=2.0, high=4.0) * np.where(np.arange(n) % 3 == 1, -1, 1)
    a = a + d[..., None] * np.eye(n, dtype=np.float32)
    return a.astype(jnp.dtype(dtype))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("m", [4, 20])  # unrolled, Loop
def test_triangular_solve(dtype, m):
    a = well_conditioned((2, m, m), dtype, seed=m)
    b_left = rand((2, m, 3), dtype, seed=2)
    b_right = rand((2, 3, m), dtype, seed=3)
    cases = {}
    for left, lower, trans, unit in itertools.product([True, False], repeat=4):
        name = f"triangular_solve:left={left},lower={lower},trans={trans},unit={unit}"
        cases[name] = lambda a, bl, br, left=left, lower=lower, trans=trans, unit=unit: lax.linalg.triangular_solve(
            a, bl if left else br, left_side=left, lower=lower, transpose_a=trans, unit_diagonal=unit
        )
    check_cases(cases, a, b_left, b_right, tol=LINALG_TOL[dtype])


def test_triangular_solve_unbatched_and_empty():
    a = well_conditioned((5, 5), "float32", seed=9)
    a[0, 4] = np.nan  # in the triangle a lower solve never reads
    b = rand((5, 1), "float32", seed=4)
    cases = {
        "triangular_solve:vector_rhs": lambda a, b, e: lax.linalg.triangular_solve(a, b, left_side=True, lower=True),
        "triangular_solve:empty": lambda a, b, e: lax.linalg.triangular_solve(a, e, left_side=True, lower=True),
    }
    check_cases(cases, a, b, np.zeros((5, 0), np.float32), tol=LINALG_TOL["float32"])


def spd(shape, seed):
    x = rand(shape, "float32", seed=seed, low=-1.0, high=1.0)
    return (x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1], dtype=np.float32)).astype(np.float32)


@pytest.mark.parametrize("n", [1, 5, 24])  # unrolled, Loop
def test_cholesky(n):
    a = spd((3, n, n), seed=n)
    # the primitive: lower factor, A's strict upper triangle kept (what LAPACK potrf returns);
    # and jax.lax.linalg.cholesky (symmetrizes, then keeps the lower triangle)
    cases = {
        "cholesky:primitive": lambda a: lax.linalg.cholesky_p.bind(a),
        "cholesky:api": lambda a: lax.linalg.cholesky(a),
        "cholesky:np": lambda a: jnp.linalg.cholesky(a),
    }
    check_cases(cases, a, tol=LINALG_TOL["float32"])


def test_cholesky_not_positive_definite():
    # batch element 1 is indefinite, element 2 has a NaN: JAX returns them all-NaN
    a = spd((3, 4, 4), seed=4)
    a[1, 2, 2] = -50.0
    a[2, 3, 1] = np.nan
    check(lambda a: lax.linalg.cholesky_p.bind(a), a, prims={"cholesky"}, tol=LINALG_TOL["float32"])


def test_expanded_solvers():
    a = well_conditioned((4, 4), "float32", seed=11)
    b = rand((4,), "float32", seed=12)
    dl = rand((2, 6), "float32", seed=13)
    dl[:, 0] = 0
    d = rand((2, 6), "float32", seed=14, low=4.0, high=6.0)
    du = rand((2, 6), "float32", seed=15)
    du[:, -1] = 0
    tb = rand((2, 6, 3), "float32", seed=16)
    r = np.triu(well_conditioned((5, 5), "float32", seed=17))
    w = rand((5,), "float32", seed=18)

    def solve(matvec, x):
        return jnp.linalg.solve(jax.jacobian(matvec)(x), x)

    cases = {
        "custom_linear_solve": lambda a, b, *_: lax.custom_linear_solve(lambda x: a @ x, b, solve, symmetric=False),
        "lu": lambda a, *_: lax.linalg.lu(a),
        "lu_pivots_to_permutation": lambda a, *_: lax.linalg.lu_pivots_to_permutation(lax.linalg.lu(a)[1], 4),
        "tridiagonal_solve": lambda a, b, dl, d, du, tb, *_: lax.linalg.tridiagonal_solve(dl, d, du, tb),
        "cholesky_update": lambda *z: lax.linalg.cholesky_update(z[6], z[7]),
        "symmetric_product": lambda a, *_: lax.linalg.symmetric_product(a, a + 1.0),
        "lu:solve": lambda a, b, *_: jnp.linalg.solve(a, b),
    }
    check_cases(cases, a, b, dl, d, du, tb, r, w, tol=LINALG_TOL["float32"])


def test_unsupported_linalg():
    # what is not implemented: column-pivoted QR, geqp3 (qr, geqrf, householder_product,
    # hessenberg, tridiagonal, eigh and svd are expanded: tests/test_decompositions.py; eig
    # and schur: tests/test_eig.py)
    from jax._src.lax.linalg import geqp3

    a = well_conditioned((3, 3), "float32", seed=1)
    fn = lambda a: geqp3(a, np.zeros(3, np.int32))[0]  # noqa: E731
    assert_prims(jax.make_jaxpr(fn)(a), prims={"geqp3"})
    with pytest.raises(Exception, match="unsupported|not supported"):
        ovjax.convert_model(fn, example_input=(a,))
