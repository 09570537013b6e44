"""JAX effects in inference jaxprs: debug callbacks are dropped with a warning (the
results are unchanged), host callbacks that compute values are reported unsupported."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import ovjax

from harness import assert_close, assert_prims, rand, run_ov


def _convert_warns(fn, *args, expect):
    closed = jax.make_jaxpr(fn)(*args)
    with pytest.warns(UserWarning, match="dropped side-effect-only equations") as rec:
        model = ovjax.convert_model(closed)
    msg = " ".join(str(w.message) for w in rec)
    assert expect in msg, msg
    return closed, model


def test_debug_print_and_callback_are_dropped_with_a_warning(capsys):
    def f(x):
        jax.debug.print("x = {x}", x=x)
        y = jnp.sin(x) * 2
        jax.debug.print("y = {y}", y=y, ordered=True)  # an ordered effect
        jax.debug.callback(lambda v: None, y)
        return y + 1

    x = rand((3, 4))
    closed, model = _convert_warns(f, x, expect="debug_callback x1, debug_print x2")
    assert_prims(closed, prims={"debug_print", "debug_callback"})
    (got,) = run_ov(model, [x])
    assert_close(got, jnp.sin(x) * 2 + 1)


def test_debug_print_inside_control_flow_and_jit():
    def body(c, x):
        jax.debug.print("c = {c}", c=c, ordered=True)
        return c + x, c * x

    @jax.jit
    def f(xs):
        c, ys = lax.scan(body, jnp.zeros(4, jnp.float32), xs)
        z = lax.cond(c.sum() > 0, lambda: (jax.debug.print("pos"), c)[1], lambda: -c)
        return ys, z

    xs = rand((5, 4))
    closed, model = _convert_warns(f, xs, expect="debug_print x2")  # equations, one per body
    got = run_ov(model, [xs])
    for g, w in zip(got, jax.tree_util.tree_leaves(f(xs))):
        assert_close(g, w)


def test_unused_tokens_are_dropped():
    def f(x):
        t = lax.create_token()
        lax.after_all(t, lax.create_token())
        jax.debug.print("{}", x)
        return x * 3

    x = rand((2,))
    closed = jax.make_jaxpr(f)(x)
    assert_prims(closed, prims={"create_token", "after_all"})
    with pytest.warns(UserWarning, match="debug_print x1"):
        model = ovjax.convert_model(closed)
    (got,) = run_ov(model, [x])
    assert_close(got, x * 3)


def test_no_warning_without_effects():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ovjax.convert_model(jax.make_jaxpr(jnp.sin)(rand((2,))))


def test_value_callbacks_are_reported_unsupported():
    from jax.experimental import io_callback

    def f(x):
        y = jax.pure_callback(np.sin, jax.ShapeDtypeStruct(x.shape, x.dtype), x)
        return y + io_callback(lambda a: a, jax.ShapeDtypeStruct(x.shape, x.dtype), x, ordered=True)

    x = rand((3,))
    with pytest.raises(Exception, match=r"(?s)io_callback x1.*Python.*pure_callback x1"):
        ovjax.convert_model(f, example_input=x)
