"""Conversion options (src/cpp/frontend/options.cpp, src/python/ovjax/_options.py): set per
conversion in one options= dict (the serializer's and the frontend's alike) or in the
load()'s map, with the OVJAX_* environment variables as the fallback; bad names and values
are errors that name them."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import openvino as ov
import pytest
from jax import lax

import ovjax
from harness import assert_close, loop_trip_counts, op_counts, rand, run_ov

OPTION_VARIABLES = ("OVJAX_FUSIONS", "OVJAX_SCAN_UNROLL", "OVJAX_SCAN_STEPS", "OVJAX_SCAN_HOIST")


@pytest.fixture(autouse=True)
def no_option_variables(monkeypatch):
    """Each test starts from the defaults, whatever the environment running the suite says."""
    for v in OPTION_VARIABLES:
        monkeypatch.delenv(v, raising=False)


def matches_jax(model, fn, *args):
    for got, want in zip(run_ov(model, args), jax.tree_util.tree_leaves(fn(*args))):
        assert_close(got, np.asarray(want))


X = rand((4, 8), seed=1)
SOFTMAX = jax.make_jaxpr(jax.nn.softmax)(X)


def scan_fn(h0, xs):
    def step(c, x):
        h = jnp.tanh(c * 0.5 + x)
        return h, h * 2.0

    return lax.scan(step, h0, xs)


H0, XS = rand((3,), seed=2), rand((12, 3), seed=3)
SCAN = jax.make_jaxpr(scan_fn)(H0, XS)

W, U = rand((5, 6), seed=4, low=-0.5, high=0.5), rand((6, 6), seed=5, low=-0.5, high=0.5)


def rnn(h0, xs):
    def cell(h, x):
        h = jnp.tanh(h @ U + x @ W)
        return h, h

    return lax.scan(cell, h0, xs)


RNN_ARGS = (rand((2, 6), seed=6), rand((40, 2, 5), seed=7))


# ---------------------------------------------------------------- per conversion


def test_fusions_per_conversion():
    """Two conversions in one process, fusions on and off: Softmax, or its spelled-out Exp."""
    on = ovjax.convert_model(SOFTMAX)
    off = ovjax.convert_model(SOFTMAX, options={"fusions": False})
    again = ovjax.convert_model(SOFTMAX, options={"fusions": True})
    assert op_counts(on)["Softmax"] == 1 and op_counts(again)["Softmax"] == 1
    assert op_counts(off)["Softmax"] == 0 and op_counts(off)["Exp"] == 1, op_counts(off)
    for m in (on, off):
        matches_jax(m, jax.nn.softmax, X)
    # the strings the environment takes are accepted as values too
    assert op_counts(ovjax.convert_model(SOFTMAX, options={"fusions": "off"}))["Softmax"] == 0
    assert op_counts(ovjax.convert_model(SOFTMAX, options={"fusions": 0}))["Softmax"] == 0


# Dense layers with weights big enough for the CPU workarounds (cpu_workarounds.cpp)
W_DENSE, U_DENSE = rand((256, 256), seed=6, low=-0.1, high=0.1), rand((256, 256), seed=7, low=-0.1, high=0.1)


def dense_mlp(x):
    h = jax.nn.gelu(x @ W_DENSE + 0.1, approximate=True)
    return jnp.tanh(h @ U_DENSE - 0.2)


def test_cpu_workarounds_per_conversion():
    """cpu_workarounds: the Dense layers run at rank 3 with their activation kept out of
    the product (Reshapes around each MatMul), or as translated; both compute the same, and
    the fusions stay on either way."""
    x = rand((4, 256), seed=8)
    jaxpr = jax.make_jaxpr(dense_mlp)(x)
    on = ovjax.convert_model(jaxpr)
    off = ovjax.convert_model(jaxpr, options={"cpu_workarounds": False})
    assert op_counts(on)["Reshape"] >= 2 and op_counts(off)["Reshape"] == 0, (op_counts(on), op_counts(off))
    assert op_counts(on)["Gelu"] == op_counts(off)["Gelu"] == 1
    for m in (on, off):
        matches_jax(m, dense_mlp, x)


def test_scan_unroll_and_steps_per_conversion():
    """scan_unroll decides between the unrolled body and a Loop, scan_steps the steps per
    Loop iteration; each conversion its own."""
    default = ovjax.convert_model(SCAN)  # 12 steps <= 16: unrolled
    loop = ovjax.convert_model(SCAN, options={"scan_unroll": 0})
    loop3 = ovjax.convert_model(SCAN, options={"scan_unroll": 0, "scan_steps": 3})
    loop5 = ovjax.convert_model(SCAN, options={"scan_unroll": "0", "scan_steps": 5})  # 5 does not divide 12
    short = ovjax.convert_model(SCAN, options={"scan_unroll": 8})
    assert op_counts(default)["Loop"] == 0
    assert loop_trip_counts(loop) == [3]  # 4 steps per iteration, the default for a small body
    assert loop_trip_counts(loop3) == [4]
    assert loop_trip_counts(loop5) == [12]
    assert loop_trip_counts(short) == [3]
    for m in (default, loop, loop3, loop5, short):
        matches_jax(m, scan_fn, H0, XS)


def test_scan_hoist_per_conversion():
    """scan_hoist is the serializer's option, given in the same options= dict: the input
    projections run before the Loop (one MatMul outside it) or stay in its body."""
    hoisted = ovjax.convert_model(rnn, RNN_ARGS, options={"scan_unroll": 0})
    kept = ovjax.convert_model(rnn, RNN_ARGS, options={"scan_unroll": 0, "scan_hoist": False})
    assert op_counts(hoisted)["MatMul"] == 1 and op_counts(hoisted)["Loop"] == 1, op_counts(hoisted)
    assert op_counts(kept)["MatMul"] == 0 and op_counts(kept)["Loop"] == 1, op_counts(kept)
    for m in (hoisted, kept):
        matches_jax(m, rnn, *RNN_ARGS)
    # serialize() and save() take it too, and only what the serializer takes
    assert ovjax.serialize(rnn, RNN_ARGS, options={"scan_hoist": False}) != ovjax.serialize(rnn, RNN_ARGS)
    with pytest.raises(ValueError, match="serializing takes only the serializer's options.*'scan_unroll'"):
        ovjax.serialize(rnn, RNN_ARGS, options={"scan_unroll": 0})


def test_an_option_overrides_its_environment_variable(monkeypatch):
    monkeypatch.setenv("OVJAX_FUSIONS", "0")
    monkeypatch.setenv("OVJAX_SCAN_UNROLL", "0")
    monkeypatch.setenv("OVJAX_SCAN_HOIST", "0")
    assert op_counts(ovjax.convert_model(SOFTMAX))["Softmax"] == 0  # the environment
    assert op_counts(ovjax.convert_model(SOFTMAX, options={"fusions": True}))["Softmax"] == 1
    assert op_counts(ovjax.convert_model(SCAN))["Loop"] == 1
    assert op_counts(ovjax.convert_model(SCAN, options={"scan_unroll": 16}))["Loop"] == 0
    assert op_counts(ovjax.convert_model(rnn, RNN_ARGS))["MatMul"] == 0
    assert op_counts(ovjax.convert_model(rnn, RNN_ARGS, options={"scan_hoist": True}))["MatMul"] == 1


def test_environment_variables_are_the_fallback(monkeypatch):
    monkeypatch.setenv("OVJAX_SCAN_UNROLL", "0")
    monkeypatch.setenv("OVJAX_SCAN_STEPS", "2")
    assert loop_trip_counts(ovjax.convert_model(SCAN)) == [6]
    monkeypatch.setenv("OVJAX_FUSIONS", "false")
    assert op_counts(ovjax.convert_model(SOFTMAX))["Softmax"] == 0
    monkeypatch.setenv("OVJAX_FUSIONS", "")  # empty: unset
    assert op_counts(ovjax.convert_model(SOFTMAX))["Softmax"] == 1


def test_options_in_the_load_map():
    """The frontend's own entry point: the "ovjax_options" map of FrontEnd.load (C++:
    fe->load(path, ov::AnyMap{...}))."""
    fe = ovjax._library.frontend()
    data = ovjax.serialize(SCAN)

    def load(**options):
        return {"ovjax_graph": ov.Tensor(np.frombuffer(data, np.uint8).copy()), "ovjax_options": options}

    assert op_counts(fe.convert(fe.load(load())))["Loop"] == 0
    assert loop_trip_counts(fe.convert(fe.load(load(scan_unroll=0, scan_steps=6)))) == [2]
    softmax = ovjax.serialize(SOFTMAX)
    m = fe.convert(
        fe.load(
            {"ovjax_graph": ov.Tensor(np.frombuffer(softmax, np.uint8).copy()), "ovjax_options": {"fusions": False}}
        )
    )
    assert op_counts(m)["Softmax"] == 0


def test_partial_conversion_keeps_its_fusions_option():
    """convert_partially() then convert(model): the later normalization applies the load's
    fusions option."""
    fe = ovjax._library.frontend()
    data = ovjax.serialize(SOFTMAX)
    for fusions, softmaxes in ((False, 0), (True, 1)):
        im = fe.load(
            {"ovjax_graph": ov.Tensor(np.frombuffer(data, np.uint8).copy()), "ovjax_options": {"fusions": fusions}}
        )
        m = fe.convert_partially(im)
        fe.convert(m)
        assert op_counts(m)["Softmax"] == softmaxes


def test_partial_conversion_keeps_its_pass_options():
    """The same for cpu_workarounds and provenance: a partial conversion loaded with them
    off is finished without the workarounds' Reshapes and without node sources."""
    fe = ovjax._library.frontend()
    x = rand((4, 256), seed=8)
    data = ovjax.serialize(jax.make_jaxpr(dense_mlp)(x))
    for on in (False, True):
        options = {"cpu_workarounds": on, "provenance": on}
        im = fe.load({"ovjax_graph": ov.Tensor(np.frombuffer(data, np.uint8).copy()), "ovjax_options": options})
        m = fe.convert_partially(im)
        fe.convert(m)
        assert (op_counts(m)["Reshape"] >= 2) == on, op_counts(m)
        sources = [op for op in m.get_ordered_ops() if "ovjax_source" in list(op.get_rt_info().keys())]
        assert bool(sources) == on
        matches_jax(m, dense_mlp, x)


def test_the_expansion_bound_follows_scan_unroll():
    """The size bound load() checks counts a scan body once per step only when it will be
    unrolled."""
    fn = lambda xs: lax.scan(lambda c, x: (c + jnp.sin(x) * jnp.cos(x), c), jnp.float32(0), xs)  # noqa: E731
    data = ovjax.serialize(fn, (rand((16,), seed=8),))
    with pytest.raises(Exception, match="more than the limit of 60"):
        ovjax.convert_model(data, options={"max_expanded_size": 60})
    m = ovjax.convert_model(data, options={"max_expanded_size": 60, "scan_unroll": 0})
    assert op_counts(m)["Loop"] == 1


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "options,message",
    [
        ({"fusions": "maybe"}, "option 'fusions' takes a boolean .*got 'maybe'"),
        ({"fusions": 2}, "option 'fusions' takes a boolean .*got 2"),
        ({"scan_unroll": -1}, "option 'scan_unroll' takes a non-negative integer, got -1"),
        ({"scan_steps": "two"}, "option 'scan_steps' takes a non-negative integer, got 'two'"),
        ({"scan_steps": 1.5}, "option 'scan_steps' takes a non-negative integer, got 1.5"),
        ({"scan_hoist": "perhaps"}, "option 'scan_hoist' takes a boolean .*got 'perhaps'"),
    ],
)
def test_bad_values_name_the_option_and_the_value(options, message):
    with pytest.raises(Exception, match=message):
        ovjax.convert_model(rnn, RNN_ARGS, options=options)


def test_bad_environment_values_name_the_variable(monkeypatch):
    monkeypatch.setenv("OVJAX_SCAN_UNROLL", "lots")
    with pytest.raises(
        Exception,
        match="environment variable OVJAX_SCAN_UNROLL \\(option 'scan_unroll'\\) takes a "
        "non-negative integer, got 'lots'",
    ):
        ovjax.convert_model(SCAN)
    # an option given is taken, its variable not read
    assert op_counts(ovjax.convert_model(SCAN, options={"scan_unroll": 16}))["Loop"] == 0
    monkeypatch.setenv("OVJAX_SCAN_HOIST", "sometimes")
    with pytest.raises(ValueError, match="environment variable OVJAX_SCAN_HOIST \\(option 'scan_hoist'\\)"):
        ovjax.serialize(rnn, RNN_ARGS)


def test_unknown_options_list_every_option():
    with pytest.raises(Exception) as e:
        ovjax.convert_model(SOFTMAX, options={"fusion": False})
    msg = str(e.value)
    assert "unknown conversion option 'fusion'" in msg
    for name in ("max_expanded_size", "max_constant_bytes", "fusions", "scan_unroll", "scan_steps", "scan_hoist"):
        assert name in msg, (name, msg)


def test_serializer_options_do_not_apply_to_a_serialized_model(tmp_path):
    data = ovjax.serialize(SOFTMAX)
    for model in (data, str(tmp_path / "m.ovjax")):
        (tmp_path / "m.ovjax").write_bytes(data)
        with pytest.raises(Exception, match="option 'scan_hoist' applies when ovjax's Python serializer writes"):
            ovjax.convert_model(model, options={"scan_hoist": False})
