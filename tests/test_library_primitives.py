"""Primitives that libraries define for their own transforms, which JAX lowers with
mlir.lower_fun of the primitive's impl and the serializer expands the same way
(src/python/ovjax/_expand.py): Equinox's "nonbatchable", "nondifferentiable_backward",
"nontraceable", "unvmap_any", "unvmap_all", "unvmap_max", "select_if_vmap" and
"maybe_set" (equinox.internal), converted and compared with JAX on OpenVINO CPU.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from harness import assert_prims, check, rand

eqx = pytest.importorskip("equinox")
eqxi = pytest.importorskip("equinox.internal")


def test_equinox_identities_and_unvmap_reductions():
    x = rand((3, 4), "float32", seed=1)

    def fn(x):
        y = eqxi.nonbatchable(x * 2)
        z = eqxi.nondifferentiable_backward(y + 1)
        w = eqxi.nontraceable(z)
        return w, eqxi.unvmap_any(x > 0.4), eqxi.unvmap_all(x > -2), eqxi.unvmap_max(x), eqxi.unvmap_any(x > 9)

    closed = jax.make_jaxpr(fn)(x)
    assert_prims(
        closed,
        prims=["nonbatchable", "nondifferentiable_backward", "nontraceable", "unvmap_any", "unvmap_all", "unvmap_max"],
    )
    check(fn, x, symbolic=False)


def test_equinox_checkpointed_while_loop_with_buffers():
    """equinox.internal.while_loop with checkpointing and buffers writes through maybe_set
    and reads select_if_vmap: a cumulative sum written into a buffer, step by step."""
    x = rand((6,), "float32", seed=3)

    def fn(x):
        def cond(c):
            return c[0] < 6

        def body(c):
            i, acc, buf = c
            acc = acc + x[i]
            return i + 1, acc, buf.at[i].set(acc)

        init = (jnp.int32(0), jnp.float32(0), jnp.zeros(6, jnp.float32))
        _, acc, buf = eqxi.while_loop(cond, body, init, max_steps=6, kind="checkpointed", buffers=lambda c: c[2])
        return acc, buf

    assert_prims(jax.make_jaxpr(fn)(x), prims=["maybe_set", "select_if_vmap", "unvmap_any", "nonbatchable"])
    check(fn, x, symbolic=False, tol=(1e-6, 1e-6))
    np.testing.assert_allclose(np.asarray(fn(jnp.asarray(x))[1]), np.cumsum(x), rtol=1e-6)


@pytest.mark.parametrize("kind", ["lax", "bounded"])
def test_equinox_while_loop_kinds(kind):
    x = rand((6,), "float32", seed=4)

    def fn(x):
        def body(c):
            i, buf = c
            return i + 1, buf.at[i].set(buf[i - 1] * 0.5 + x[i])

        return eqxi.while_loop(
            lambda c: c[0] < 6, body, (jnp.int32(1), jnp.zeros(6)), max_steps=6, kind=kind, buffers=lambda c: c[1]
        )[1]

    assert_prims(jax.make_jaxpr(fn)(x), prims=["maybe_set"])
    check(fn, x, symbolic=False, tol=(1e-6, 1e-6))
