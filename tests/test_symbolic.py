"""Dynamic shapes end to end: one conversion of a function traced with symbolic dimensions,
run at several sizes and compared with JAX at each (README "Dynamic shapes"). Every
translator family's own tests run a symbolic variant too (harness.check_symbolic)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import openvino as ov
import pytest
from jax import export

import ovjax

from harness import assert_close, assert_prims, compile_cpu, op_counts

RNG = np.random.default_rng(0)


def run_sizes(model, fn, make_args, sizes, tol=(1e-4, 1e-4)):
    compiled = compile_cpu(model)
    jitted = jax.jit(fn)
    for size in sizes:
        args = make_args(*size) if isinstance(size, tuple) else make_args(size)
        got = compiled(list(args))
        want = jax.tree_util.tree_leaves(jitted(*args))
        for i, w in enumerate(want):
            assert_close(got[i], np.asarray(w), where=f"size {size}: output {i}", tol=tol)


def f(x, y):
    return jnp.tanh(x @ y)


Y = RNG.standard_normal((3, 4)).astype(np.float32)


@pytest.mark.parametrize(
    "spec",
    [
        [("B", 3), (3, 4)],
        [(-1, 3), (3, 4)],
        ["?", None],
    ],
    ids=["name", "minus-one", "partial-shape"],
)
def test_readme_forms(spec):
    x = np.ones((2, 3), np.float32)
    if spec == ["?", None]:
        spec = [ov.PartialShape("[1..64,3]"), ov.PartialShape([3, 4])]
    m = ovjax.convert_model(f, example_input=(x, Y), input=spec)
    assert m.inputs[0].get_partial_shape()[0].is_dynamic
    assert m.inputs[1].get_partial_shape().is_static
    run_sizes(m, f, lambda n: (RNG.standard_normal((n, 3)).astype(np.float32), Y), [1, 5, 17])


def test_bounds_and_symbolic_example_input():
    (b,) = export.symbolic_shape("B", constraints=["B <= 64"])
    m = ovjax.convert_model(f, example_input=(jax.ShapeDtypeStruct((b, 3), jnp.float32), Y))
    assert str(m.inputs[0].get_partial_shape()) == "[1..64,3]"
    m2 = ovjax.convert_model(
        f, example_input=(np.ones((2, 3), np.float32), Y), input=[(ov.Dimension(1, 64), 3), (3, 4)]
    )
    assert str(m2.inputs[0].get_partial_shape()) == "[1..64,3]"
    m3 = ov.convert_model(jax.make_jaxpr(f)(jax.ShapeDtypeStruct((b, 3), jnp.float32), Y))
    run_sizes(m3, f, lambda n: (RNG.standard_normal((n, 3)).astype(np.float32), Y), [1, 64])


def attention_block(x, wq, wk, wv, g):
    x = (x - x.mean(-1, keepdims=True)) / jnp.sqrt(x.var(-1, keepdims=True) + 1e-5) * g
    q, k, v = x @ wq, x @ wk, x @ wv
    a = jax.nn.softmax(q @ k.swapaxes(-1, -2) / 4.0, axis=-1)
    return jax.nn.gelu(a @ v)


def test_attention_block_with_batch_and_sequence_dynamic():
    d = 16
    ws = [RNG.standard_normal((d, d)).astype(np.float32) * 0.2 for _ in range(3)]
    g = RNG.standard_normal(d).astype(np.float32)
    b, s = export.symbolic_shape("B, S")
    spec = (jax.ShapeDtypeStruct((b, s, d), jnp.float32), *ws, g)
    m = ovjax.convert_model(jax.make_jaxpr(attention_block)(*spec))
    assert str(m.inputs[0].get_partial_shape()) == "[1..,1..,16]"
    ops = op_counts(m)
    # the fusions work on dynamic shapes (the softmax of scores scaled after their product with its attention)
    assert ops["ScaledDotProductAttention"] == 1 and ops["Softmax"] == 0 and ops["Gelu"] == 1, ops
    run_sizes(
        m,
        attention_block,
        lambda nb, ns: (RNG.standard_normal((nb, ns, d)).astype(np.float32), *ws, g),
        [(1, 1), (2, 7), (3, 33)],
    )


def cached_attention(q, k_new, v_new, past_k, past_v, mask, big_neg):
    """A decoder's attention over a key/value cache grown by the step's S tokens: the
    scores are q . k^T / sqrt(depth) masked causally and by `mask` [B, P + S] (0 for a
    left-padded position) with `big_neg`."""
    k = jnp.concatenate([past_k, k_new], axis=2)
    v = jnp.concatenate([past_v, v_new], axis=2)
    s, t = q.shape[2], k.shape[2]
    scores = jnp.einsum("bhqd,bhkd->bhqk", q, k) / np.sqrt(q.shape[-1])
    causal = jnp.arange(t)[None, :] <= jnp.arange(s)[:, None] + (t - s)
    allowed = causal[None, None] & (mask[:, None, None, :] > 0)
    w = jax.nn.softmax(jnp.where(allowed, scores, big_neg), axis=-1)
    return jnp.einsum("bhqk,bhkd->bhqd", w, v), k


@pytest.mark.parametrize("big_neg", [-1e9, float(jnp.finfo(jnp.float32).min)])
def test_attention_over_a_grown_cache_is_sdpa(big_neg):
    """The cache's length P + S is a Concat's sum, which OpenVINO gives no symbol: the
    frontend proves it the expression P + S of the mask's length (shapes.hpp, label_sum),
    so the masked attention fuses into ScaledDotProductAttention on symbolic shapes. Rows
    whose every key is masked (a left-padded prompt's pads) stay JAX's uniform average."""
    h, d = 2, 8
    b, s, p = export.symbolic_shape("B, S, P")
    qkv = jax.ShapeDtypeStruct((b, h, s, d), jnp.float32)
    cache = jax.ShapeDtypeStruct((b, h, p, d), jnp.float32)
    spec = (qkv, qkv, qkv, cache, cache, jax.ShapeDtypeStruct((b, p + s), jnp.int32))
    fn = lambda *a: cached_attention(*a, big_neg)  # noqa: E731
    m = ovjax.convert_model(jax.make_jaxpr(fn)(*spec))
    ops = op_counts(m)
    assert ops["ScaledDotProductAttention"] == 1 and ops["Softmax"] == 0, ops

    def args(nb, ns, npast):
        r = lambda *shape: RNG.standard_normal(shape).astype(np.float32) * 2  # noqa: E731
        mask = np.ones((nb, npast + ns), np.int32)
        mask[-1, : min(npast + ns - 1, 3)] = 0  # the last row left-padded: its first queries see no key
        return (r(nb, h, ns, d), r(nb, h, ns, d), r(nb, h, ns, d), r(nb, h, npast, d), r(nb, h, npast, d), mask)

    run_sizes(m, fn, args, [(1, 1, 1), (2, 3, 1), (2, 1, 6), (3, 5, 4)])


def test_conv_net_with_dynamic_batch_height_and_width():
    k1 = RNG.standard_normal((3, 3, 3, 8)).astype(np.float32) * 0.3
    k2 = RNG.standard_normal((3, 3, 8, 4)).astype(np.float32) * 0.3

    def net(x):
        dn = ("NHWC", "HWIO", "NHWC")
        y = jax.lax.conv_general_dilated(x, k1, (1, 1), "SAME", dimension_numbers=dn)
        y = jax.nn.relu(y)
        y = jax.lax.conv_general_dilated(y, k2, (2, 2), "SAME", dimension_numbers=dn)
        return y.mean(axis=(1, 2))

    m = ovjax.convert_model(net, example_input=np.ones((1, 8, 8, 3), np.float32), input=[("B", "H", "W", 3)])
    assert str(m.inputs[0].get_partial_shape()) == "[1..,1..,1..,3]"
    run_sizes(
        m,
        net,
        lambda nb, h, w: (RNG.standard_normal((nb, h, w, 3)).astype(np.float32),),
        [(1, 8, 8), (2, 9, 13), (3, 32, 5)],
    )


def test_static_model_is_unchanged_by_symbolic_support():
    # a static conversion builds no shape subgraph
    m = ovjax.convert_model(f, example_input=(np.ones((2, 3), np.float32), Y))
    ops = op_counts(m)
    assert "ShapeOf" not in ops and "Concat" not in ops, ops


def test_unsupported_primitive_names_the_dimension():
    def g(x):
        return jnp.linalg.cholesky(x @ jnp.swapaxes(x, -1, -2) + 3 * jnp.eye(x.shape[-1]))

    # a symbolic batch passes through cholesky (a Loop over its slices, ops/batch_map.cpp) ...
    m = ovjax.convert_model(g, example_input=np.ones((4, 3, 3), np.float32), input=[("B", 3, 3)])
    run_sizes(m, g, lambda nb: (RNG.standard_normal((nb, 3, 3)).astype(np.float32),), [(1,), (5,)])
    # ... the matrix size cannot: the error names the dimension
    with pytest.raises(Exception, match=r"cholesky does not support the symbolic dimension N \(operand 0, axis 0\)"):
        ovjax.convert_model(g, example_input=np.ones((3, 3), np.float32), input=[("N", "N")])


def test_branching_on_a_dimension_names_the_input():
    def g(x):
        return x * 2 if x.shape[0] > 2 else x

    with pytest.raises(Exception, match=r"(?s)x.*axis 0|axis 0.*x"):
        ovjax.convert_model(g, example_input=np.ones((4, 3), np.float32), input=[("B", 3)])


def test_dimension_expressions_compute_jax_values():
    # floordiv and mod of negative values round as Python's // and %; max, min, products
    (h,) = export.symbolic_shape("H")

    def g(x):
        n = x.shape[0]
        return jnp.array(
            [(-n) // 2, ((-n) // 2) * -2 - n + 1, (((-n) // 2) * -2 - n + 1) // 2, n % 3, (-n) % 4, (n * n) // 3],
            jnp.int32,
        ) + jnp.array([jnp.maximum(n, 5), jnp.minimum(n, 5), 0, 0, 0, 0], jnp.int32)

    closed = jax.make_jaxpr(g)(jax.ShapeDtypeStruct((h,), jnp.float32))
    assert_prims(closed, prims={"dim_as_value"})
    m = ovjax.convert_model(closed)
    run_sizes(m, g, lambda n: (np.zeros(n, np.float32),), [1, 2, 7, 8, 9, 13])


H, D = 8, 4
WI = RNG.standard_normal((D, 4 * H)).astype(np.float32) * 0.3
WH = RNG.standard_normal((H, 4 * H)).astype(np.float32) * 0.3


def lstm(xs, reverse=False):  # xs: [T, B, D]
    def step(c, x):
        h, cc = c
        i, f, g, o = jnp.split(x @ WI + h @ WH, 4, axis=-1)
        cc = jax.nn.sigmoid(f) * cc + jax.nn.sigmoid(i) * jnp.tanh(g)
        h = jax.nn.sigmoid(o) * jnp.tanh(cc)
        return (h, cc), h

    init = (jnp.zeros((xs.shape[1], H)), jnp.zeros((xs.shape[1], H)))
    return jax.lax.scan(step, init, xs, reverse=reverse)


@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_over_a_dynamic_number_of_steps(reverse):
    t, b = export.symbolic_shape("T, B")
    closed = jax.make_jaxpr(lambda xs: lstm(xs, reverse))(jax.ShapeDtypeStruct((t, b, D), jnp.float32))
    assert_prims(closed, prims={"scan"})
    m = ovjax.convert_model(closed)
    assert str(m.inputs[0].get_partial_shape()) == "[1..,1..,4]"
    assert op_counts(m)["Loop"] == 1
    run_sizes(
        m,
        lambda xs: lstm(xs, reverse),
        lambda nt, nb: (RNG.standard_normal((nt, nb, D)).astype(np.float32),),
        [(1, 1), (5, 3), (17, 2)],
    )


def test_symbolic_sizes_inside_cond_and_while_bodies():
    (b,) = export.symbolic_shape("B")

    def g(p, x):
        y = jax.lax.cond(p > 0, lambda v: jnp.sin(v) + jnp.arange(v.shape[0]), lambda v: jnp.cos(v), x)
        return jax.lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, c[1] + c[1].shape[0]), (0, y))[1]

    closed = jax.make_jaxpr(g)(jax.ShapeDtypeStruct((), jnp.float32), jax.ShapeDtypeStruct((b,), jnp.float32))
    assert_prims(closed, prims={"cond", "while"})
    m = ovjax.convert_model(closed)
    for p in (1.0, -1.0):
        run_sizes(m, g, lambda n, p=p: (np.float32(p), RNG.standard_normal(n).astype(np.float32)), [1, 4, 9])


def test_loop_body_reshapes_to_a_size_no_body_input_has():
    """A loop body reshaping to (B, 2, 3) while its carries are (B*2, 3): no body input has
    B as a dimension, so B comes in as a body input of shape [B] (its ShapeOf the size),
    and OpenVINO's shape inference keeps the reshape's static dims; nested loops too."""
    (b,) = export.symbolic_shape("B")

    def g(x):
        def body(c):
            v, i = c
            return (v.reshape(x.shape) * 2).reshape(-1, 3) + jnp.sum(v, axis=0), i + 1

        def outer(c):
            v, i = c
            w = jax.lax.fori_loop(0, 20, lambda k, u: (u.reshape(x.shape) + k).reshape(-1, 3), v)
            return jax.lax.while_loop(lambda d: d[1] < 2, body, (w, 0))[0], i + 1

        return jax.lax.while_loop(lambda c: c[1] < 2, outer, (x.reshape(-1, 3), 0))[0]

    closed = jax.make_jaxpr(g)(jax.ShapeDtypeStruct((b, 2, 3), jnp.float32))
    assert_prims(closed, prims={"while", "scan", "reshape"})
    m = ovjax.convert_model(closed)
    run_sizes(m, g, lambda n: (RNG.standard_normal((n, 2, 3)).astype(np.float32),), [1, 4, 9])


def test_select_of_empty_int_tensors_over_a_symbolic_batch():
    """A negative pad leaves an empty (B, 2, 0) int32 result that select_n picks from (JAX's
    pad harness, vmapped): the CPU plugin failed to compile the selection; empty cases
    select case 0."""
    (b,) = export.symbolic_shape("B")

    def g(x, v):
        c = jax.lax.pad(x, 0, ((0, 0, 0), (-2, -3, 1)))
        m = jax.lax.pad(jnp.ones(x.shape, bool), False, ((0, 0, 0), (-2, -3, 1)))
        return jax.lax.select_n(m, jnp.broadcast_to(v, c.shape), c)

    g2 = jax.vmap(g)
    closed = jax.make_jaxpr(g2)(jax.ShapeDtypeStruct((b, 2, 3), jnp.int32), jax.ShapeDtypeStruct((b,), jnp.int32))
    assert_prims(closed, prims={"select_n", "pad"})
    m = ovjax.convert_model(closed)
    run_sizes(
        m,
        g2,
        lambda n: (RNG.integers(-9, 9, (n, 2, 3)).astype(np.int32), RNG.integers(-9, 9, (n,)).astype(np.int32)),
        [1, 3, 7],
    )


def test_dynamic_slice_window_of_a_symbolic_axis():
    (s,) = export.symbolic_shape("S", constraints=["S >= 4"])

    def f(x, i):
        return jax.lax.dynamic_slice_in_dim(x, i, 4, axis=0) * 2.0

    closed = jax.make_jaxpr(f)(jax.ShapeDtypeStruct((s, 3), jnp.float32), jax.ShapeDtypeStruct((), jnp.int32))
    assert_prims(closed, prims={"dynamic_slice"})
    m = ovjax.convert_model(closed)
    assert str(m.inputs[0].get_partial_shape()) == "[4..,3]"
    for i in (0, 2, 7, -1):  # JAX clamps the start into [0, S - 4]
        run_sizes(m, f, lambda n, i=i: (RNG.standard_normal((n, 3)).astype(np.float32), np.int32(i)), [4, 9])


def test_transformer_block_fusions_on_dynamic_batch_and_sequence():
    from test_fusions import Block

    blk = Block()
    x = np.ones((2, 16, 64), np.float32)
    params = blk.init(jax.random.key(0), x)

    def fn(v):
        return blk.apply(params, v)

    m = ovjax.convert_model(fn, example_input=x, input=[("B", "S", 64)])
    ops = op_counts(m)
    # MVN, Gelu and attention fuse on dynamic shapes too; the attention's mask is a
    # [1, 1, 1, S] tensor (with a scalar one the CPU plugin's ScaledDotProductAttention is
    # wrong there: tests/upstream/cpu_sdpa_dynamic_growing_shape.py)
    assert ops["MVN"] == 2 and ops["Gelu"] == 1 and ops["ScaledDotProductAttention"] == 1, ops
    assert ops["Softmax"] == 0, ops
    rt = compile_cpu(m).get_runtime_model()
    layers = [op.get_rt_info()["layerType"].astype(str) for op in rt.get_ops()]
    assert layers.count("MVN") == 2 and layers.count("FullyConnected") == 6, layers
    assert layers.count("Softmax") == 0 and layers.count("MatMul") == 0, layers  # the plugin's attention kernel
    # a longer sequence after shorter ones (what broke the attention kernel with a scalar mask)
    run_sizes(
        m,
        fn,
        lambda nb, ns: (RNG.standard_normal((nb, ns, 64)).astype(np.float32),),
        [(1, 1), (3, 7), (2, 40), (1, 1), (2, 40), (4, 100), (1, 17)],
    )


EMB = RNG.standard_normal((10, 4)).astype(np.float32)


@pytest.mark.parametrize("mode", ["fill", "clip"])
def test_gather_takes_with_symbolic_indices_and_operands(mode):
    b, s = export.symbolic_shape("B, S")

    def lookup(ids):  # an embedding lookup: indices [B, S]
        return jnp.take(jnp.asarray(EMB), ids, axis=0, mode=mode)

    def columns(x, ids):  # a take along axis 1 of a [B, 7] operand
        return jnp.take(x, ids, axis=1, mode=mode)

    closed = jax.make_jaxpr(lookup)(jax.ShapeDtypeStruct((b, s), jnp.int32))
    assert_prims(closed, prims={"gather"})
    run_sizes(
        ovjax.convert_model(closed),
        lookup,
        lambda nb, ns: (RNG.integers(-12, 12, (nb, ns)).astype(np.int32),),
        [(1, 1), (3, 5)],
    )
    closed = jax.make_jaxpr(columns)(jax.ShapeDtypeStruct((b, 7), jnp.float32), jax.ShapeDtypeStruct((s,), jnp.int32))
    run_sizes(
        ovjax.convert_model(closed),
        columns,
        lambda nb, ns: (RNG.standard_normal((nb, 7)).astype(np.float32), RNG.integers(-9, 9, (ns,)).astype(np.int32)),
        [(1, 1), (3, 5)],
    )


def test_dynamic_update_slice_into_a_cache_of_symbolic_length():
    (length,) = export.symbolic_shape("L", constraints=["L >= 2"])

    def f(cache, u, i):
        return jax.lax.dynamic_update_slice_in_dim(cache, u, i, axis=0)

    closed = jax.make_jaxpr(f)(
        jax.ShapeDtypeStruct((length, 4), jnp.float32),
        jax.ShapeDtypeStruct((1, 4), jnp.float32),
        jax.ShapeDtypeStruct((), jnp.int32),
    )
    assert_prims(closed, prims={"dynamic_update_slice"})
    m = ovjax.convert_model(closed)
    for i in (0, 1, 5, 20, -3):  # JAX clamps the start into [0, L - 1]
        run_sizes(
            m,
            f,
            lambda n, i=i: (RNG.standard_normal((n, 4)).astype(np.float32), np.ones((1, 4), np.float32), np.int32(i)),
            [2, 9],
        )


def test_input_narrows_a_symbolic_jaxpr():
    b, s = export.symbolic_shape("B, S")

    def f(x, y):
        return (x * 2.0).sum(1) + y

    closed = jax.make_jaxpr(f)(jax.ShapeDtypeStruct((b, s), jnp.float32), jax.ShapeDtypeStruct((b,), jnp.float32))
    m = ov.convert_model(closed, input=[ov.PartialShape("[1..8,?]"), ov.PartialShape("[?]")])
    assert [str(i.get_partial_shape()) for i in m.inputs] == ["[1..8,1..]", "[1..8]"]  # B is one dimension
    m = ov.convert_model(closed, input=[(3, 5), (3,)])  # fixing the symbols: a static model
    assert [str(i.get_partial_shape()) for i in m.inputs] == ["[3,5]", "[3]"]
    assert "ShapeOf" not in op_counts(m)
    run_sizes(m, f, lambda n: (RNG.standard_normal((3, 5)).astype(np.float32), np.arange(3, dtype=np.float32)), [3])
    with pytest.raises(Exception, match=r"symbol 'B' is bounded to \[3, 3\]"):
        ov.convert_model(closed, input=[(3, 5), (4,)])  # B fixed to 3, then 4
    with pytest.raises(Exception, match=r"symbol 'B' is bounded to \[9, 12\]"):
        ov.convert_model(closed, input=[ov.PartialShape("[9..12,?]"), ov.PartialShape("[1..4]")])
    with pytest.raises(Exception, match=r"has rank 1; cannot set \[3,1\]"):
        ov.convert_model(closed, input=[(3, 5), (3, 1)])
    static = jax.make_jaxpr(f)(np.ones((2, 3), np.float32), np.ones(2, np.float32))
    with pytest.raises(Exception, match="was traced with shape"):
        ov.convert_model(static, input=[(-1, 3), (-1,)])  # a static jaxpr stays the clear error


def test_shape_assertions_are_dropped_with_a_warning():
    from jax._src.export import shape_poly

    (b,) = export.symbolic_shape("B")

    def f(x):
        n = x.shape[0]
        shape_poly.shape_assertion(jnp.asarray(n) >= 1, jnp.asarray(n), error_message="B = {0} must be >= 1")
        return x * 2.0

    closed = jax.make_jaxpr(f)(jax.ShapeDtypeStruct((b, 3), jnp.float32))
    assert_prims(closed, prims={"shape_assertion"})
    with pytest.warns(UserWarning, match="shape_assertion x1.*OpenVINO cannot run"):
        m = ovjax.convert_model(closed)
    # (JAX runs shape_assertion only in an exported module: the reference is f without it)
    run_sizes(m, lambda x: x * 2.0, lambda n: (RNG.standard_normal((n, 3)).astype(np.float32),), [1, 4])


def test_flax_module_through_the_hook_with_dynamic_input():
    import flax.linen as nn

    class Net(nn.Module):
        @nn.compact
        def __call__(self, x):
            return nn.Dense(4)(nn.relu(nn.Dense(8)(x)))

    x = np.ones((2, 5), np.float32)
    net = Net()
    variables = net.init(jax.random.key(0), x)
    bound = net.bind(variables)
    m = ov.convert_model(bound, example_input=x, input=[("B", 5)])
    assert str(m.inputs[0].get_partial_shape()) == "[1..,5]"
    run_sizes(m, lambda v: net.apply(variables, v), lambda n: (RNG.standard_normal((n, 5)).astype(np.float32),), [1, 6])
