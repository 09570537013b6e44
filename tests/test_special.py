"""Special functions against JAX on OpenVINO CPU: lgamma, digamma, bessel_i1e (translated
in src/cpp/ops/special.cpp) and the primitives the serializer expands into JAX's own
implementations (src/python/ovjax/_expand.py): igamma, igammac, igamma_grad_a,
regularized_incomplete_beta, bessel_i0e, random_gamma.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from harness import FLOATS, assert_close, check, check_cases, np_dtype, rand

INF, NAN = np.inf, np.nan


@pytest.mark.parametrize("dtype", FLOATS)
def test_lgamma_digamma_bessel_i1e(dtype):
    # negative non-integers, around the poles, the root of digamma, large values
    x = np.concatenate(
        [
            rand((40,), dtype, seed=1, low=-30.0, high=30.0).astype(np.float32),
            [-4.5, -3.25, -2.75, -1.5, -0.5, -0.25, 0.25, 0.5, 1.0, 1.4616, 2.0, 3.5, 12.0, 40.0, 150.0, 1e4],
        ]
    ).astype(np_dtype(dtype))
    cases = {
        "lgamma": lambda x: lax.lgamma(x),
        "digamma": lambda x: lax.digamma(x),
        "bessel_i1e": lambda x: lax.bessel_i1e(x),
    }
    check_cases(cases, x)


def test_special_values_f32():
    x = np.array([0.0, -0.0, -1.0, -2.0, -7.0, INF, -INF, NAN, 1e30, -1e30 + 0.5, 1e-30, -1e-30, 1e38], np.float32)
    cases = {
        "lgamma": lambda x: lax.lgamma(x),
        "digamma": lambda x: lax.digamma(x),
        "bessel_i1e": lambda x: lax.bessel_i1e(x),
        "bessel_i0e": lambda x: lax.bessel_i0e(x),
    }
    check_cases(cases, x)


def test_accuracy_sweep_f32():
    # dense over [-50, 50] (negative non-integers included) and log-spaced large values;
    # the measured errors are documented in src/cpp/ops/special.cpp
    x = np.concatenate([np.linspace(-50, 50, 20001), np.geomspace(50, 1e30, 2000)]).astype(np.float32)

    def compare(g, w, where):
        g = g.astype(np.float64)
        w = w.astype(np.float64)
        assert np.array_equal(np.isnan(g), np.isnan(w)), where
        fin = np.isfinite(w)
        assert np.array_equal(g[~fin & ~np.isnan(w)], w[~fin & ~np.isnan(w)]), where
        err = np.abs(g[fin] - w[fin]) / np.maximum(np.abs(w[fin]), 1.0)
        assert err.max() < 5e-6, f"{where}: max error {err.max():.3g}"

    check_cases({"lgamma": lambda x: lax.lgamma(x), "digamma": lambda x: lax.digamma(x)}, x, compare=compare)


def test_expanded_incomplete_gamma_beta():
    # all dtypes in one model (JAX's compilation of these loops dominates the test time)
    args, cases = [], {}
    for d, dtype in enumerate(FLOATS):
        args += [
            rand((3, 5), dtype, seed=1, low=0.1, high=8.0),
            rand((3, 5), dtype, seed=2, low=0.0, high=10.0),
            rand((1, 5), dtype, seed=3, low=0.1, high=5.0),
            rand((3, 5), dtype, seed=4, low=0.0, high=1.0),
        ]
        k = 4 * d
        if dtype != "float32":  # the f16/bf16 upcast path, once each
            name, fn = {
                "float16": ("igamma", lambda *z, k=k: lax.igamma(z[k], z[k + 1])),
                "bfloat16": ("igammac", lambda *z, k=k: lax.igammac(z[k], z[k + 1])),
            }[dtype]
            cases[f"{name}:{dtype}"] = fn
            continue
        cases.update(
            {
                f"igamma:{dtype}": lambda *z, k=k: lax.igamma(z[k], z[k + 1]),
                f"igammac:{dtype}": lambda *z, k=k: lax.igammac(z[k], z[k + 1]),
                f"igamma:broadcast_{dtype}": lambda *z, k=k: lax.igamma(jnp.broadcast_to(z[k + 2], (3, 5)), z[k + 1]),
                "regularized_incomplete_beta": lambda *z, k=k: lax.betainc(
                    z[k], jnp.broadcast_to(z[k + 2], (3, 5)), z[k + 3]
                ),
                f"bessel_i0e:{dtype}": lambda *z, k=k: lax.bessel_i0e(z[k + 1] - 5),
            }
        )
    cases["igamma_grad_a"] = lambda *z: lax.igamma_grad_a(z[0] + 0.5, z[1] + 0.1)

    def compare(g, w, where):
        assert_close(g, w, where=where, tol=(1e-4, 1e-4) if w.dtype == np.float32 else None)

    check_cases(cases, *args, compare=compare)


def test_expanded_random_gamma():
    from jax._src.random.core import random_gamma_p

    a = rand((2, 3), "float32", seed=7, low=0.2, high=5.0)
    cases = {
        "random_gamma": lambda s, a: random_gamma_p.bind(jax.random.key(s), a, log_space=False),
        "random_gamma:log_space": lambda s, a: random_gamma_p.bind(jax.random.key(s), a, log_space=True),
    }
    # the public API too (a vmapped while loop with a batched predicate inside)
    cases["random_gamma:api"] = lambda s, a: jax.random.gamma(jax.random.key(s + 2), a)
    check_cases(cases, np.uint32(3), a, tol=(1e-4, 1e-4))


def test_while_with_batched_predicate():
    # what vmap makes of a while_loop whose predicate depends on the batch (random_gamma's
    # expansion has one): the loop runs while any lane is live, finished lanes stay put
    f = jax.vmap(lambda x: lax.while_loop(lambda c: c[0] < x, lambda c: (c[0] + 1.0, c[1] * 2.0), (0.0, x)))
    x = np.array([0.5, 3.0, 7.2, -1.0], np.float32)
    check(f, x, prims={"while"})


def _grid(a, b, dtype):
    x, y = np.meshgrid(np.asarray(a, np.float64), np.asarray(b, np.float64), indexing="ij")
    return x.reshape(-1).astype(dtype), y.reshape(-1).astype(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_zeta_and_polygamma(dtype):
    """lax.zeta and lax.polygamma (jax.scipy.special.zeta / polygamma), expanded into XLA's
    decomposition (ovjax._zeta: series and Euler-Maclaurin terms in loops): against JAX over
    the domain, the poles (x = 1, integer q <= 0) and the NaN cases (x < 1, non-integer x
    with q <= 0, non-natural n); float16 computed in float32 as XLA does."""
    x, q = _grid(
        [1.0, 1.01, 1.5, 2.0, 3.0, 4.5, 10.0, 30.0, 0.5, -2.0, np.inf, np.nan],
        [-2.0, -1.5, 0.0, 1e-3, 0.3, 1.0, 2.0, 10.0, 1e3, np.nan],
        dtype,
    )
    n, z = _grid([0, 1, 2, 3, 5, 1.5, -1], [-1.5, -0.5, 1e-3, 0.25, 1.0, 2.0, 7.5, 30.0], dtype)
    tol = (2e-5, 1e-6) if dtype == "float32" else (2e-3, 1e-3)
    check(lambda x, q: lax.zeta(x, q), x, q, prims=["zeta"], tol=tol)
    check(lambda n, z: lax.polygamma(n, z), n, z, prims=["polygamma"], tol=tol)


def test_polygamma_as_users_call_it():
    """jax.scipy.special.polygamma with an integer order and zeta with two arrays."""
    from jax.scipy import special as sp

    z = rand((4, 5), "float32", seed=3, low=0.2, high=6.0)
    check(
        lambda z: (sp.polygamma(2, z), sp.polygamma(0, z), sp.zeta(z + 1.5, z)),
        z,
        prims=["polygamma", "zeta"],
        tol=(2e-5, 1e-6),
    )
