"""Call-like primitives (src/cpp/ops/call.cpp inlines their sub-jaxprs) and the
frontend's checks of what conversion produced (unsupported primitives, translator
outputs that disagree with JAX's avals)."""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import harness
import ovjax
from jax._src.lax.linalg import geqp3  # column-pivoted QR: LAPACK-only, unsupported
from harness import assert_prims, check, rand, run_ov
from ovjax import _jax_compat

INF, NAN = np.inf, np.nan


def vec(n=8, seed=0, low=-3.0, high=3.0):
    return rand((n,), "float32", seed=seed, low=low, high=high)


def closed_call(closed_jaxpr, *args):
    """Bind closed_call the way jax.lax's eval_jaxpr staging does."""
    return _jax_compat.bind_closed_call(closed_jaxpr, *args)


# ---------------------------------------------------------------- jit


def test_nested_jit_called_twice():
    @jax.jit
    def inner(a, b):
        return jnp.sin(a) * b + 1.0

    def fn(x, y):
        return inner(x, y) - 2.0 * inner(y, x)  # same sub-jaxpr, swapped arguments

    model = check(fn, vec(seed=1), vec(seed=2), prims={"jit", "sin"})
    assert [op.get_type_name() for op in model.get_ordered_ops()].count("Sin") == 2


@pytest.mark.parametrize("keep_unused", [False, True])
def test_jit_multiple_outputs_unused_args_literal_and_forwarded_outputs(keep_unused):
    @partial(jax.jit, keep_unused=keep_unused)
    def inner(a, unused, b):
        return a + b, a * b, b, jnp.float32(3.0)  # a forwarded input and a literal output

    def fn(x, u, y):
        s, p, fwd, three = inner(x, u, y)
        return s - p, fwd, p * three, fwd  # the forwarded input returned twice

    check(fn, vec(seed=3), vec(seed=4), vec(seed=5), prims={"jit"})


def test_jit_pytrees_and_mixed_dtypes():
    @jax.jit
    def inner(tree):
        a, (i, b) = tree["a"], tree["rest"]
        return {"f": a * i.astype(a.dtype), "mask": jnp.logical_and(b, a > 0), "i": i + 1}

    def fn(a, i, b):
        out = inner({"a": a, "rest": (i, b)})
        return out["f"], out["mask"], out["i"]

    check(fn, vec(seed=6), rand((8,), "int32", seed=7), rand((8,), "bool", seed=8), prims={"jit"})


def test_jit_with_constants_in_the_sub_jaxpr():
    w = np.linspace(-1.0, 1.0, 8, dtype=np.float32)

    @jax.jit
    def inner(a):
        return jnp.tanh(a) * w + jnp.float32(0.5)

    check(lambda x: inner(inner(x)), vec(seed=9), prims={"jit", "tanh"})


def test_jit_literal_arguments_constant_outputs_and_no_arguments():
    w = np.linspace(0.5, 2.0, 8, dtype=np.float32)

    @jax.jit
    def scaled(a, k):
        return a * k, w  # a captured constant returned as is

    def fn(x):
        y, c = scaled(x, 2.0)  # a literal argument
        z = jax.jit(lambda: jnp.float32(4.0) * w)()  # no arguments at all
        return y + z, c

    cj = jax.make_jaxpr(fn)(vec(seed=24))
    literal_args = [a for e in cj.jaxpr.eqns if e.primitive.name == "jit" for a in e.invars if hasattr(a, "val")]
    assert literal_args, cj
    check(fn, vec(seed=24), prims={"jit"})


def test_jit_dropped_outputs():
    # jax.grad leaves equations whose outputs are never used (`_` in the jaxpr)
    def f(s):
        return jnp.sin(s) * jax.nn.relu(s) + jnp.cos(s)

    fn = jax.vmap(jax.grad(f))
    check(fn, vec(seed=10), prims={"custom_jvp_call"})


# ---------------------------------------------------------------- closed_call


def test_closed_call_with_consts():
    w = np.arange(8, dtype=np.float32) - 3.5
    x, y = vec(seed=11), vec(seed=12)
    inner = jax.make_jaxpr(lambda a, b: (jnp.tanh(a) * w + b, a - b))(x, y)
    assert len(inner.consts) == 1

    def fn(a, b):
        s, d = closed_call(inner, a, b)
        s2, _ = closed_call(inner, d, s)  # the same graph inlined again
        return s2, d

    check(fn, x, y, prims={"closed_call", "tanh"})


def test_closed_call_inside_jit():
    x = vec(seed=13)
    inner = jax.make_jaxpr(lambda a: (jnp.exp(-a * a),))(x)
    check(jax.jit(lambda a: closed_call(inner, a)[0] + 1.0), x, prims={"closed_call", "jit"})


# ---------------------------------------------------------------- custom_jvp / custom_vjp


def special_inputs():
    x = np.array([-30.0, -3.0, -1.0, -0.5, -0.0, 0.0, 0.25, 1.0, 2.5, 30.0, 100.0, -100.0, INF, -INF, NAN], np.float32)
    y = np.array([1.0, 2.0, -1.0, 0.5, 0.0, -0.0, 3.0, -2.0, 2.5, -30.0, 99.0, 0.0, 1.0, INF, 2.0], np.float32)
    return x, y


def test_custom_jvp_nn_functions():
    x, y = special_inputs()

    def fn(a, b):
        return (
            jax.nn.relu(a),
            jax.nn.relu6(a),
            jax.nn.softplus(a),
            jax.nn.log_sigmoid(a),
            jnp.logaddexp(a, b),
            jax.nn.gelu(a),
            jax.nn.gelu(a, approximate=False),
            jax.nn.silu(a),
        )

    check(fn, x, y, prims={"custom_jvp_call", "jit"})


def test_user_custom_jvp_with_closure_and_nondiff_args():
    def fn(x, scale):
        @jax.custom_jvp
        def f(v):
            return jnp.sin(v) * scale  # closes over a traced value: num_consts = 1

        f.defjvp(lambda p, t: (f(p[0]), jnp.cos(p[0]) * scale * t[0]))

        @partial(jax.custom_jvp, nondiff_argnums=(1,))
        def g(v, power):
            return v**power

        g.defjvp(lambda power, p, t: (g(p[0], power), power * p[0] ** (power - 1) * t[0]))
        return f(x) + g(x, 3), f(g(x, 2))

    cj = jax.make_jaxpr(fn)(vec(seed=14), np.float32(1.5))
    assert any(e.params.get("num_consts", 0) == 1 for e in cj.jaxpr.eqns if e.primitive.name == "custom_jvp_call")
    check(fn, vec(seed=14), np.float32(1.5), prims={"custom_jvp_call", "integer_pow"})


def test_user_custom_vjp():
    def fn(x, scale):
        @jax.custom_vjp
        def clip_grad(v):
            return jnp.tanh(v) * scale

        clip_grad.defvjp(lambda v: (clip_grad(v), v), lambda r, ct: (jnp.clip(ct, -1.0, 1.0),))

        @partial(jax.custom_vjp, nondiff_argnums=(1,))
        def shifted(v, k):
            return jnp.exp(v - k)

        shifted.defvjp(lambda v, k: (shifted(v, k), v), lambda k, r, ct: (ct * jnp.exp(r - k),))
        return clip_grad(x) + shifted(x, 2.0), shifted(clip_grad(x), 1.0)

    check(fn, vec(seed=15), np.float32(0.75), prims={"custom_vjp_call", "tanh", "exp"})


def test_gradients_through_custom_rules():
    # differentiated: the rules' own equations (and add_any) appear in the jaxpr
    @jax.custom_vjp
    def g(v):
        return jnp.sin(v)

    g.defvjp(lambda v: (g(v), v), lambda r, ct: (ct * jnp.cos(r),))

    def f(s):
        return g(s) * jax.nn.softplus(s) + jax.nn.relu(s) ** 2

    check(jax.vmap(jax.grad(f)), vec(seed=16), prims={"custom_vjp_call", "custom_jvp_call", "add_any"})


# ---------------------------------------------------------------- checkpoint


def test_checkpoint():
    def block(a, w):
        return jnp.tanh(a * w) + jnp.sin(a)

    def fn(x, w):
        y = jax.checkpoint(block)(x, w)
        z = jax.checkpoint(block, policy=jax.checkpoint_policies.nothing_saveable, prevent_cse=False)(y, w)
        k = jax.checkpoint(lambda a, n: a * n, static_argnums=(1,))(z, 3)
        return k, jax.remat(jnp.cos)(x)

    check(fn, vec(seed=17), vec(seed=18), prims={"remat2", "tanh"})


def test_checkpoint_under_grad():
    def f(s, w):
        return jax.checkpoint(lambda a: jnp.sin(a * w) * a)(s)

    fn = jax.vmap(jax.grad(f), in_axes=(0, None))
    check(fn, vec(seed=19), np.float32(1.25), prims={"remat2"})


# ---------------------------------------------------------------- deep nesting


def test_deep_nesting():
    x0 = vec(seed=20)
    leaf = jax.make_jaxpr(lambda a: (jnp.tanh(a) + 1.0,))(x0)

    @jax.custom_vjp
    def cv(v):
        return closed_call(leaf, v)[0] * 2.0

    cv.defvjp(lambda v: (cv(v), v), lambda r, ct: (ct,))

    @jax.custom_jvp
    def cj(v):
        return jax.jit(cv)(v) - jax.nn.relu(v)

    cj.defjvp(lambda p, t: (cj(p[0]), t[0]))

    @jax.jit
    def level2(v):
        return jax.checkpoint(cj)(v) * jax.jit(jnp.exp)(-v)

    @jax.jit
    def level1(v, w):
        return level2(v) + jax.checkpoint(lambda a: level2(a) * w)(w)

    def fn(x, w):
        return level1(x, w), jax.jit(level1)(w, x)

    cj_ = jax.make_jaxpr(fn)(x0, vec(seed=21))
    depth = _max_depth(cj_.jaxpr)
    assert depth >= 7, depth
    check(fn, x0, vec(seed=21),
          prims={"jit", "remat2", "custom_jvp_call", "custom_vjp_call", "closed_call", "tanh", "exp"})  # fmt: skip


def _max_depth(jaxpr, d=0):
    best = d
    for e in jaxpr.eqns:
        for p in e.params.values():
            sub = getattr(p, "jaxpr", p)
            if hasattr(sub, "eqns"):
                best = max(best, _max_depth(sub, d + 1))
    return best


# ---------------------------------------------------------------- names of older JAX releases


def legacy_call_primitive(name: str, param: str):
    """A stand-in for a call primitive of an older JAX release (the table matches names):
    it binds its sub-jaxpr under `param` the way that release did."""
    from jax.extend.core import ClosedJaxpr, Primitive, jaxpr_as_fun

    def sub(params):
        j = params[param]
        return j if isinstance(j, ClosedJaxpr) else ClosedJaxpr(j, ())

    p = Primitive(name)
    p.multiple_results = True
    p.def_impl(lambda *args, **params: jaxpr_as_fun(sub(params))(*args))
    p.def_abstract_eval(lambda *avals, **params: sub(params).out_avals)
    return p


@pytest.mark.parametrize(
    "name,param,closed",
    [
        ("pjit", "jaxpr", True),
        ("core_call", "call_jaxpr", False),
        ("custom_vjp_call_jaxpr", "fun_jaxpr", True),
        ("remat", "jaxpr", False),
        ("checkpoint", "jaxpr", False),
        ("eval_jaxpr", "jaxpr", False),
        ("remat_opt", "fun_jaxpr", True),
        ("custom_jvp_call_jaxpr", "fun_jaxpr", True),
        ("call", "call_jaxpr", False),
    ],
)
def test_call_primitive_names_of_older_jax(name, param, closed):
    x, y = vec(seed=25), vec(seed=26)
    inner = jax.make_jaxpr(lambda a, b: (jnp.sin(a) * b, a - b))(x, y)
    prim = legacy_call_primitive(name, param)

    def fn(a, b):
        s, d = prim.bind(a, b, **{param: inner if closed else inner.jaxpr})
        return s, d * 2.0

    check(fn, x, y, prims={name, "sin"})


# ---------------------------------------------------------------- frontend checks


def test_unsupported_primitives_in_sub_jaxprs_are_all_reported_once():
    def callback(v):
        return jax.pure_callback(np.sin, jax.ShapeDtypeStruct(v.shape, v.dtype), v)

    def fn(m):
        spd = m @ m.T + 3.0 * jnp.eye(3, dtype=m.dtype)
        a = jax.jit(lambda v: jnp.tanh(callback(v)))(m)  # in a jit
        b = jax.checkpoint(lambda v: geqp3(v, np.zeros(3, np.int32))[2])(spd)  # in a checkpoint
        c = jax.nn.relu(geqp3(spd + a * 0.0, np.zeros(3, np.int32))[2])  # top level
        return jax.jit(lambda p, q: callback(p + q))(b, c)  # another jit

    m = rand((3, 3), "float32", seed=22)
    assert_prims(jax.make_jaxpr(fn)(m), prims={"pure_callback", "geqp3", "jit", "remat2", "custom_jvp_call"})
    with pytest.raises(Exception) as ei:
        ovjax.convert_model(fn, m)
    msg = str(ei.value)
    assert msg.count("unsupported JAX primitive") == 1, msg
    assert "2 unsupported JAX primitives (4 equations)" in msg, msg
    assert "geqp3 x2" in msg, msg
    assert "pure_callback x2" in msg and "Python" in msg, msg
    assert "test_call.py" in msg, msg  # where the first occurrence is
    assert "failed to convert" not in msg, msg  # everything else converted


def _extension(prim, fn):
    from openvino.frontend import ConversionExtension

    return ConversionExtension(prim, fn)


def test_translator_outputs_that_disagree_with_jax_are_errors():
    import openvino.opset13 as ops

    def wrong_type(ctx):
        return [ops.convert(ops.sin(ctx.get_input(0)), "f16").output(0)]

    def wrong_shape(ctx):
        return [ops.concat([ctx.get_input(0), ctx.get_input(0)], 0).output(0)]

    def wrong_count(ctx):
        x = ctx.get_input(0)
        return [ops.tanh(x).output(0), ops.tanh(x).output(0)]

    x = vec(seed=23)

    def fn(a):  # each translated primitive sits in a different sub-jaxpr
        s = jax.jit(jnp.sin)(a)
        c = jax.checkpoint(jnp.cos)(a)
        t = jax.jit(jax.jit(jnp.tanh))(a)
        return s + c + t

    cj = jax.make_jaxpr(fn)(x)
    exts = [_extension("sin", wrong_type), _extension("cos", wrong_shape), _extension("tanh", wrong_count)]
    with pytest.raises(Exception) as ei:
        ovjax.convert_model(cj, extension=exts)
    msg = str(ei.value)
    assert "3 equations failed to convert" in msg, msg
    assert "'sin'" in msg and "output 0 has element type f16 but JAX says f32" in msg, msg
    assert "'cos'" in msg and "output 0 has shape [16] but JAX says [8]" in msg, msg
    assert "'tanh'" in msg and "translator produced 2 outputs, the equation has 1" in msg, msg
    # the same extensions are fine when they agree with JAX
    ok = [_extension("sin", lambda ctx: [ops.sin(ctx.get_input(0)).output(0)])]
    model = ovjax.convert_model(jax.make_jaxpr(lambda a: jax.jit(jnp.sin)(a))(x), extension=ok)
    (got,) = run_ov(model, (x,))
    np.testing.assert_allclose(got, np.sin(x), rtol=2e-5, atol=2e-5)


# ------------------------------------------- more call-like and identity-like primitives


def test_composite_custom_vmap_and_linear_call_are_inlined():
    from jax import custom_batching
    from jax.custom_derivatives import linear_call

    @custom_batching.custom_vmap
    def vsin(x):
        return jnp.sin(x) * 2.0

    @vsin.def_vmap
    def _rule(axis_size, in_batched, xs):
        return jnp.sin(xs) * 2.0, in_batched[0]

    x = rand((3, 4))
    check(lambda x: lax.composite(lambda y: jnp.tanh(y) * y, name="ovjax.test")(x) + 1, x, prims={"composite"})
    check(lambda x: vsin(x) - x, x, prims={"custom_vmap_call"})
    check(lambda x: linear_call(lambda r, y: y * r, lambda r, y: y * r, jnp.float32(3.0), x), x, prims={"linear_call"})


def test_hi_primitives_are_expanded():
    """jnp.ldexp, jnp.frexp and lax.custom_root: custom_jvp calls in JAX 0.10, HiPrims bound as
    call_hi_primitive in 0.12, which the serializer expands into the HiPrim's own expand()."""
    from jax.experimental import hijax

    hi = {"call_hi_primitive"} if hasattr(hijax, "HiPrim") else set()  # the HiPrim API (0.12)
    x = np.array([0.75, -3.5, 0.0, -0.0, 1e-3, 6e4, INF, -INF, NAN, 2.0**-120], np.float32)
    e = np.array([0, 3, -2, 5, 140, -10, 1, 2, 0, 4], np.int32)
    check(lambda x, e: jnp.ldexp(x, e), x, e, prims=hi)
    check(jnp.frexp, x, prims=hi)
    b = vec(seed=27, low=1.0, high=4.0)

    def sqrt_by_newton(b):
        def f(y):
            return y * y - b

        def solve(f, y0):
            return lax.fori_loop(0, 20, lambda i, y: y - f(y) / (2.0 * y), y0)

        return lax.custom_root(f, jnp.ones_like(b), solve, lambda g, y: y / 2.0)

    check(sqrt_by_newton, b, prims=hi)


def test_platform_dependent_runs_the_cpu_branch():
    x = rand((5,))
    check(lambda x: lax.platform_dependent(x, cpu=jnp.sin, default=jnp.cos), x, prims={"platform_index"})
    check(lambda x: lax.platform_dependent(x, cuda=jnp.sin, default=jnp.cos), x, prims={"platform_index"})
    check(lambda x: lax.platform_dependent(x, tpu=jnp.exp, cpu=jnp.tanh, cuda=jnp.sin), x, prims={"platform_index"})


def test_identity_like_primitives():
    from jax.ad_checkpoint import checkpoint_name

    x = rand((2, 3))
    check(lambda x: checkpoint_name(x * 2, "h") + 1, x, prims={"name"})
    check(
        lambda k: jax.random.uniform(jax.random.clone(jax.random.wrap_key_data(k)), (3,)),
        np.array([0, 7], np.uint32),
        prims={"random_clone"},
    )


def stand_in(name: str, impl, n_out=1):
    """A primitive named like one JAX binds only under meshes, scans or AD internals,
    with that primitive's semantics (the table matches names)."""
    from jax.core import ShapedArray
    from jax.extend.core import Primitive

    p = Primitive(name)
    p.multiple_results = n_out != 1
    p.def_impl(impl)

    def abstract(*avals, **_):
        out = jax.eval_shape(impl, *avals)
        return jax.tree_util.tree_map(lambda o: ShapedArray(o.shape, o.dtype), out)

    p.def_abstract_eval(abstract)
    return p


def test_sharding_and_ordering_primitives_are_identities():
    from jax._src.lax import lax as lax_internal

    x = rand((2, 3))
    single = jax.sharding.SingleDeviceSharding(jax.devices()[0])
    check(lambda x: lax.with_sharding_constraint(x * 2, single) + 1, x, prims={"sharding_constraint"})
    check(lambda x: lax_internal.tie_p.bind(x, x * 3) - x, x, prims={"tie"})
    check(lambda x: (lax_internal.dce_sink_p.bind(x), x + 1)[1], x, prims={"dce_sink"})
    check(
        lambda x: (jax.debug.inspect_array_sharding(x, callback=lambda s: None), x * 2)[1],
        x,
        prims={"inspect_sharding"},
    )
    # the two varying/unreduced casts were named with a _p suffix up to JAX 0.10
    for name in [
        "stage",
        "pvary",
        "reduced_vary_cast_p",
        "vary_unreduced_cast_p",
        "reduced_vary_cast",
        "vary_unreduced_cast",
        "layout_constraint",
        "reshard",
    ]:
        p = stand_in(name, lambda v: v)
        check(lambda x: p.bind(x * 2) + 1, x, prims={name})


@harness.needs_primitives("relayout", "with_memory_space_constraint")
def test_layout_and_memory_space_casts_are_identities():
    from jax._src import core, pjit
    from jax._src.layout import AutoLayout
    from jax._src.state import primitives as state

    x = rand((2, 3))
    check(lambda x: pjit.relayout(x * 2, AutoLayout) + 1, x, prims={"relayout"}, jit_reference=True)  # no eager impl
    check(
        lambda x: state.with_memory_space_constraint(x * 2, core.MemorySpace.Device) - x,
        x,
        prims={"with_memory_space_constraint"},
    )


def test_zero_makers():
    x = rand((2, 3))
    zeros_like = stand_in("zeros_like", jnp.zeros_like)
    empty2 = stand_in("empty2", lambda v: jnp.zeros((), jnp.float32))
    check(lambda x: x + zeros_like.bind(x), x, prims={"zeros_like"})
    check(lambda x: x + empty2.bind(x), x, prims={"empty2"})
