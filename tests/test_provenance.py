"""Provenance: every node of a converted model is named after the JAX equation that built
it (<primitive>_<equation>, nested graphs as a path) and carries the equation's source
line in rt_info ("ovjax_source"), through the fusion passes, into the IR and into the
CPU plugin's performance counters."""

from __future__ import annotations

import collections
import os
import re
import xml.etree.ElementTree as ET

import jax
import jax.numpy as jnp
import numpy as np
import openvino as ov
import pytest
from jax import lax

import ovjax
from jax._src.lax.linalg import geqp3  # column-pivoted QR: LAPACK-only, unsupported
from harness import assert_close, core, jax_primitives, rand

HERE = os.path.basename(__file__)
SOURCE = re.compile(re.escape(HERE) + r":(\d+) \(")
NAME = re.compile(r"^([a-z_][a-z0-9_]*?)_(\d+)(?=/|_|$)")  # OpenVINO may append _compressed


def source_of(op) -> str:
    rt = op.get_rt_info()
    if "ovjax_source" not in list(rt.keys()):
        return ""
    return rt["ovjax_source"].astype(str)


def primitive_of(name: str) -> str | None:
    """The primitive a node's name starts with (its first path element, <primitive>_<n>)."""
    m = NAME.match(name)
    return m.group(1) if m else None


def own_ops(model: ov.Model):
    return [op for op in model.get_ordered_ops() if op.get_type_name() not in ("Parameter", "Result")]


def check_provenance(model: ov.Model, *, sources_here: bool):
    """Every node but the inputs and outputs names a JAX primitive and a source line; with
    sources_here, the line is one of this file's."""
    prims = set(jax_primitives())
    names = collections.Counter()
    lines = set(range(1, len(open(__file__).read().splitlines()) + 1))
    for op in own_ops(model):
        name = op.get_friendly_name()
        names[name] += 1
        assert primitive_of(name) in prims, f"{op.get_type_name()} {name!r} does not name a JAX primitive"
        src = source_of(op)
        assert src, f"{op.get_type_name()} {name!r} has no source"
        if sources_here:
            m = SOURCE.search(src)
            assert m and int(m.group(1)) in lines, f"{name!r}: source {src!r} is not a line of {HERE}"
    dup = [n for n, c in names.items() if c > 1]
    assert not dup, f"names used more than once: {dup[:10]}"


# ---------------------------------------------------------------- a model in plain JAX


def layer_norm(x, g, b):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) * lax.rsqrt(v + 1e-5) * g + b


@jax.jit
def attention(x, wq, wk, wv):
    q, k, v = x @ wq, x @ wk, x @ wv
    s = jnp.einsum("bqd,bkd->bqk", q, k) / np.sqrt(q.shape[-1])
    return jnp.einsum("bqk,bkd->bqd", jax.nn.softmax(s, axis=-1), v)


def cnn_attention(params, images):
    x = lax.conv_general_dilated(images, params["conv"], (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))
    x = jax.nn.relu(x + params["conv_b"])
    x = lax.reduce_window(x, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
    b, h, w, c = x.shape
    x = x.reshape(b, h * w, c)
    x = x + attention(layer_norm(x, params["g"], params["b"]), params["wq"], params["wk"], params["wv"])
    y = jax.nn.gelu(layer_norm(x, params["g"], params["b"]) @ params["w1"], approximate=False)

    def step(carry, row):  # a scan inside the model: a Loop body of named nodes
        carry = jnp.tanh(carry * 0.5 + row)
        return carry, carry.sum()

    carry, sums = lax.scan(step, jnp.zeros(y.shape[-1]), y[0])
    return (y.mean(1) @ params["w2"]) + carry.sum() + sums.mean()


def cnn_attention_params():
    return {
        "conv": rand((3, 3, 3, 16), seed=1) * 0.2,
        "conv_b": rand((16,), seed=2) * 0.1,
        "g": 1 + rand((16,), seed=3) * 0.1,
        "b": rand((16,), seed=4) * 0.1,
        "wq": rand((16, 16), seed=5) * 0.2,
        "wk": rand((16, 16), seed=6) * 0.2,
        "wv": rand((16, 16), seed=7) * 0.2,
        "w1": rand((16, 32), seed=8) * 0.2,
        "w2": rand((32, 10), seed=9) * 0.2,
    }


@pytest.fixture(scope="module")
def plain():
    params = cnn_attention_params()
    images = rand((2, 8, 8, 3), seed=10)
    fn = lambda x: cnn_attention(params, x)  # noqa: E731
    model = ovjax.convert_model(fn, example_input=images)
    return fn, images, model


def test_every_node_names_its_equation_and_line(plain):
    fn, images, model = plain
    check_provenance(model, sources_here=True)
    names = [op.get_friendly_name() for op in own_ops(model)]
    # nested graphs are paths: the jitted attention is a pjit (or closed_call) equation
    assert any("/" in n and primitive_of(n) in ("pjit", "jit", "closed_call") for n in names), names
    # a loop body's nodes are named too, after the scan
    for op in model.get_ordered_ops():
        if op.get_type_name() in ("Loop", "TensorIterator"):
            assert primitive_of(op.get_friendly_name()) == "scan", op.get_friendly_name()
            body = op.get_function()
            check_provenance(body, sources_here=True)
            assert all(n.get_friendly_name().startswith(op.get_friendly_name() + "/") for n in own_ops(body))


def test_names_say_which_line(plain):
    fn, images, model = plain
    text = open(__file__).read().splitlines()
    # the convolution is named after conv_general_dilated and points at its line here
    convs = [op for op in own_ops(model) if op.get_type_name() == "Convolution"]
    assert convs
    for op in convs:
        assert primitive_of(op.get_friendly_name()) == "conv_general_dilated"
        line = int(SOURCE.search(source_of(op)).group(1))
        assert "conv_general_dilated" in text[line - 1]


def test_numbers_still_match_jax(plain):
    fn, images, model = plain
    got = core().compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})(images)[0]
    assert_close(got, fn(images), tol=(1e-4, 1e-4))


def test_names_are_deterministic(plain):
    fn, images, model = plain
    again = ovjax.convert_model(fn, example_input=images)
    assert [(op.get_friendly_name(), source_of(op)) for op in model.get_ordered_ops()] == [
        (op.get_friendly_name(), source_of(op)) for op in again.get_ordered_ops()
    ]


def test_provenance_option_off(plain):
    """options={"provenance": False}: the conversion as it was before provenance (no
    source on any node, the graph's own nodes keep OpenVINO's automatic names), computing
    the same numbers."""
    fn, images, model = plain
    bare = ovjax.convert_model(fn, example_input=images, options={"provenance": False})
    assert [op.get_type_name() for op in bare.get_ordered_ops()] == [
        op.get_type_name() for op in model.get_ordered_ops()
    ]
    assert not [op.get_friendly_name() for op in own_ops(bare) if source_of(op)]
    automatic = [op for op in own_ops(bare) if re.fullmatch(op.get_type_name() + r"_\d+", op.get_friendly_name())]
    assert len(automatic) >= 0.9 * len(own_ops(bare))
    compiled = core().compile_model(bare, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    assert_close(compiled(images)[0], fn(images), tol=(1e-4, 1e-4))


def profile_names(model: ov.Model, *inputs) -> list[tuple[str, str]]:
    compiled = core().compile_model(model, "CPU", {"PERF_COUNT": "YES", "INFERENCE_PRECISION_HINT": "f32"})
    req = compiled.create_infer_request()
    req.infer(list(inputs))
    return [
        (p.node_name, p.node_type)
        for p in req.profiling_info
        if p.status == ov.ProfilingInfo.Status.EXECUTED and p.node_type not in ("Parameter", "Result")
    ]


def test_profile_names_jax_primitives(plain):
    fn, images, model = plain
    executed = profile_names(model, images)
    assert executed
    prims = set(jax_primitives())
    # the CPU plugin fuses and inserts nodes (reorders, converts) of its own; what it
    # executes under a graph node's name names a JAX primitive
    named = [n for n, _ in executed if primitive_of(n.split(",")[0]) in prims]
    assert len(named) >= 0.9 * len(executed), [n for n in executed if n[0] not in named]


def test_ir_holds_names_and_sources(plain, tmp_path):
    fn, images, model = plain
    ov.save_model(model, tmp_path / "m.xml")
    root = ET.parse(tmp_path / "m.xml").getroot()
    layers = [la for la in root.iter("layer") if la.get("type") not in ("Parameter", "Result")]
    assert layers
    for la in layers:
        assert primitive_of(la.get("name")) is not None, la.get("name")
    sources = [a.get("value") for a in root.iter("attribute") if a.get("name") == "ovjax_source"]
    assert len(sources) >= len([la for la in layers if la.get("type") != "Const"])
    assert all(SOURCE.search(s) for s in sources)
    # the IR reads back (OpenVINO skips the attribute it does not know) and computes the same
    back = core().read_model(tmp_path / "m.xml")
    got = core().compile_model(back, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})(images)[0]
    assert_close(got, fn(images), tol=(1e-4, 1e-4))


def test_fused_nodes_keep_name_and_source(plain):
    fn, images, model = plain
    # the fusion passes replaced softmax (here with its attention), layer norm and gelu by OpenVINO's ops
    kinds = {op.get_type_name(): op for op in own_ops(model)}
    for t in ("SoftMax", "Softmax", "ScaledDotProductAttention", "MVN", "Gelu"):
        if t in kinds:
            assert primitive_of(kinds[t].get_friendly_name()) is not None
            assert SOURCE.search(source_of(kinds[t])), t
    assert {"MVN", "Gelu"} <= set(kinds), sorted(kinds)
    assert {"Softmax", "SoftMax", "ScaledDotProductAttention"} & set(kinds), sorted(kinds)


def test_placeholders_of_a_partial_conversion_are_named():
    from ovjax.convert import to_frontend_input, trace

    @jax.jit
    def inner(x):  # geqp3 (column-pivoted QR, LAPACK-only): an unsupported primitive
        return geqp3(x, np.zeros(3, np.int32))[0] * 2.0

    cj = jax.make_jaxpr(lambda x: inner(x) + 1.0)(rand((3, 3)))
    fe = ovjax._library.frontend()
    model = fe.convert_partially(fe.load(to_frontend_input(trace(cj)), True))
    check_provenance(model, sources_here=True)
    fw = [op for op in model.get_ordered_ops() if op.get_type_name() == "FrameworkNode"]
    assert len(fw) == 1 and re.match(r"^(pjit|jit|closed_call)_\d+/geqp3_\d+$", fw[0].get_friendly_name()), fw


# ---------------------------------------------------------------- a Flax model


def test_flax_model():
    nn = pytest.importorskip("flax.linen")

    class Block(nn.Module):
        @nn.compact
        def __call__(self, x):
            y = nn.LayerNorm()(x)
            y = nn.MultiHeadDotProductAttention(num_heads=2)(y, y)
            x = x + y
            return x + nn.Dense(x.shape[-1])(nn.gelu(nn.Dense(32)(nn.LayerNorm()(x))))

    class Net(nn.Module):
        @nn.compact
        def __call__(self, images):
            x = nn.relu(nn.BatchNorm(use_running_average=True)(nn.Conv(16, (3, 3))(images)))
            x = nn.max_pool(x, (2, 2), strides=(2, 2))
            b, h, w, c = x.shape
            x = Block()(x.reshape(b, h * w, c))
            return nn.Dense(10)(nn.LayerNorm()(x).mean(axis=1))

    net = Net()
    images = rand((2, 8, 8, 3), seed=11)
    variables = net.init(jax.random.PRNGKey(0), images)
    model = ovjax.convert_model(net, example_input=images, params=variables)
    # flax's own lines are sources too (the Dense that multiplies): a source, not always here
    check_provenance(model, sources_here=False)
    assert sum(bool(SOURCE.search(source_of(op))) for op in own_ops(model)) > 0
    got = core().compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})(images)[0]
    assert_close(got, net.apply(variables, images), tol=(1e-4, 1e-4))
    executed = profile_names(model, images)
    prims = set(jax_primitives())
    named = [n for n, _ in executed if primitive_of(n.split(",")[0]) in prims]
    assert len(named) >= 0.9 * len(executed), [n for n in executed if n[0] not in named]
