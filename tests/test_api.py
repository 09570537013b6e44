"""ovjax's Python API: model kinds, names, files, input overrides, extensions, errors."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import openvino as ov
import pytest

import ovjax
from jax._src.lax.linalg import geqp3  # column-pivoted QR: LAPACK-only, unsupported

from harness import assert_close, run_ov

R = np.random.default_rng(0)


def f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


def elementwise(x, y):
    return jnp.tanh(x) * y + jnp.exp(-jnp.abs(x))


def test_callable_positional_and_names():
    x, y = f32(2, 3), f32(2, 3)
    m = ovjax.convert_model(elementwise, (x, y))
    assert [i.get_any_name() for i in m.inputs] == ["x", "y"]
    assert [o.get_any_name() for o in m.outputs] == ["output_0"]
    (got,) = run_ov(m, (x, y))
    assert_close(got, elementwise(x, y))


def test_pytree_inputs_and_outputs_are_named():
    def fn(inputs, scale):
        return {"sum": inputs["a"] + inputs["b"] * scale, "prod": inputs["a"] * scale}

    inputs = {"a": f32(3), "b": f32(3)}
    scale = f32(3)
    m = ovjax.convert_model(fn, (inputs, scale))
    assert [i.get_any_name() for i in m.inputs] == ["inputs['a']", "inputs['b']", "scale"]
    assert sorted(o.get_any_name() for o in m.outputs) == ["output['prod']", "output['sum']"]
    got = run_ov(m, (inputs["a"], inputs["b"], scale))
    want = jax.tree_util.tree_leaves(fn(inputs, scale))
    for g, w in zip(got, want):
        assert_close(g, w)


def test_keyword_example_input():
    m = ovjax.convert_model(elementwise, {"x": f32(4), "y": f32(4)})
    assert [i.get_any_name() for i in m.inputs] == ["x", "y"]


# ---------------------------------------------------------------- JAX objects users hold


def _jitted_and_stages():
    w = f32(3, 4)

    def layer(x):
        return jnp.tanh(x @ w)

    x = f32(2, 3)
    jitted = jax.jit(layer)
    return (
        layer,
        x,
        {
            "jax.jit": (jitted, x),
            "plain function": (layer, x),
            "jax.jit(...).trace": (jitted.trace(x), None),
        },
    )


@pytest.mark.parametrize("kind", ["jax.jit", "plain function", "jax.jit(...).trace"])
@pytest.mark.parametrize("route", ["ov.convert_model", "ovjax.convert_model"])
def test_jitted_functions_and_their_traces(kind, route):
    layer, x, cases = _jitted_and_stages()
    model, example = cases[kind]
    convert = ov.convert_model if route == "ov.convert_model" else ovjax.convert_model
    m = convert(model, example_input=example)
    (got,) = run_ov(m, (x,))
    assert_close(got, layer(x))


def test_lowered_is_a_clear_error():
    _, x, cases = _jitted_and_stages()
    jitted = cases["jax.jit"][0]
    with pytest.raises(TypeError, match="Lowered holds StableHLO.*trace"):
        ov.convert_model(jitted.lower(x), example_input=x)
    with pytest.raises(ValueError, match="traced already"):
        ovjax.convert_model(jitted.trace(x), example_input=x)


def test_plain_callable_without_example_input_stays_openvinos_error():
    with pytest.raises(Exception, match="Unknown model type"):
        ov.convert_model(elementwise)


def test_dict_example_input_is_keywords_and_says_how_to_pass_one_dict():
    x, y = f32(3), f32(3)

    def one_dict(d):
        return d["x"] * d["y"]

    for convert in (ov.convert_model, ovjax.convert_model):
        with pytest.raises(TypeError, match=r"keyword arguments \(x, y\).*example_input=\(d,\)"):
            convert(one_dict, example_input={"x": x, "y": y})
    m = ov.convert_model(one_dict, example_input=({"x": x, "y": y},))
    assert_close(run_ov(m, (x, y))[0], x * y)
    m = ov.convert_model(elementwise, example_input={"x": x, "y": y})  # keywords of a two-argument function
    assert_close(run_ov(m, (x, y))[0], elementwise(x, y))


def test_equinox_module_and_filter_jit():
    eqx = pytest.importorskip("equinox")
    mlp = eqx.nn.MLP(3, 2, 8, 2, key=jax.random.key(0))
    x = f32(3)
    m = ov.convert_model(mlp, example_input=x)
    assert [i.get_any_name() for i in m.inputs] == ["x"]
    assert_close(run_ov(m, (x,))[0], mlp(x))
    batched = eqx.filter_jit(lambda v: jax.vmap(mlp)(v))
    xs = f32(5, 3)
    assert_close(run_ov(ov.convert_model(batched, example_input=xs), (xs,))[0], batched(xs))


def test_haiku_transformed_with_params():
    hk = pytest.importorskip("haiku")
    x = f32(4, 3)
    tr = hk.transform(lambda v: hk.nets.MLP([8, 2])(v))
    params = tr.init(jax.random.key(1), x)
    want = tr.apply(params, None, x)
    for m in (
        ov.convert_model(tr, example_input=(params, x)),  # apply's arguments without the rng
        ovjax.convert_model(tr, example_input=x, params=params),
    ):
        assert len(m.inputs) == 1  # the params are the model's constants
        assert_close(run_ov(m, (x,))[0], want)
    with pytest.raises(ValueError, match="needs its params"):
        ovjax.convert_model(tr, example_input=x)
    st = hk.transform_with_state(lambda v: hk.Linear(2)(v) * hk.get_state("s", [2], init=jnp.ones))
    p, state = st.init(jax.random.key(1), x)
    m = ovjax.convert_model(st, example_input=x, params=(p, state))
    assert_close(run_ov(m, (x,))[0], st.apply(p, state, None, x)[0])


def test_closed_jaxpr_and_consts_are_shared_constants():
    w = jnp.asarray(f32(4, 4))
    cj = jax.make_jaxpr(lambda x: jnp.tanh(x * w) + w)(f32(4, 4))
    m = ovjax.convert_model(cj)
    consts = [
        op
        for op in m.get_ordered_ops()
        if op.get_type_name() == "Constant" and op.get_output_size() and list(op.get_output_shape(0)) == [4, 4]
    ]
    assert consts, "the weight should be a Constant"
    x = f32(4, 4)
    (got,) = run_ov(m, (x,))
    assert_close(got, jnp.tanh(x * w) + w)


def test_weights_outlive_the_jax_arrays():
    import gc

    def make():
        w = jnp.asarray(f32(64, 64))
        return ovjax.convert_model(lambda x: x * w + 1.0, f32(64, 64)), np.asarray(w).copy()

    m, w = make()
    gc.collect()
    x = f32(64, 64)
    (got,) = run_ov(m, (x,))
    assert_close(got, x * w + 1.0)


@pytest.mark.parametrize("share", [True, False])
def test_share_weights_flag(share):
    w = jnp.asarray(f32(8))
    m = ovjax.convert_model(lambda x: x + w, f32(8), share_weights=share)
    x = f32(8)
    (got,) = run_ov(m, (x,))
    assert_close(got, x + w)


def test_save_and_load_file(tmp_path):
    x, y = f32(2, 3), f32(2, 3)
    path = tmp_path / "model.ovjax"
    ovjax.save(elementwise, path, (x, y))
    assert path.read_bytes()[:8] == b"OVJAX\x00\x1a\n"
    m = ov.convert_model(str(path))
    (got,) = run_ov(m, (x, y))
    assert_close(got, elementwise(x, y))
    assert [i.get_any_name() for i in m.inputs] == ["x", "y"]
    # serialize() gives the same bytes save() wrote
    assert ovjax.serialize(elementwise, (x, y))[:64] == path.read_bytes()[:64]


def test_flax_linen_unbound_with_params():
    import flax.linen as nn

    class MLP(nn.Module):
        @nn.compact
        def __call__(self, x):
            return nn.Dense(3)(nn.relu(nn.Dense(8)(x)))

    x = f32(2, 5)
    mod = MLP()
    variables = mod.init(jax.random.PRNGKey(1), x)
    m = ovjax.convert_model(mod, x, params=variables)
    (got,) = run_ov(m, (x,))
    assert_close(got, mod.apply(variables, x))
    with pytest.raises(ValueError, match="params="):
        ovjax.convert_model(mod, x)


def test_flax_nnx_module():
    from flax import nnx

    class Net(nnx.Module):
        def __init__(self, rngs):
            self.l1 = nnx.Linear(5, 8, rngs=rngs)
            self.l2 = nnx.Linear(8, 2, rngs=rngs)

        def __call__(self, x):
            return self.l2(jax.nn.gelu(self.l1(x)))

    net = Net(nnx.Rngs(0))
    x = f32(3, 5)
    m = ovjax.convert_model(net, x)
    (got,) = run_ov(m, (x,))
    assert_close(got, net(x))
    m2 = ov.convert_model(net, example_input=x)
    (got2,) = run_ov(m2, (x,))
    assert_close(got2, net(x))


def test_flax_nnx_module_that_updates_its_state():
    """nnx.Dropout advances its nnx.Rngs counter during the call: conversion traces on
    fresh Variables (merging the module's own ones was a TraceContextError), the mask
    is JAX's bit for bit and the module is left as it was."""
    from flax import nnx

    class Net(nnx.Module):
        def __init__(self, rngs):
            self.l1 = nnx.Linear(5, 16, rngs=rngs)
            self.drop = nnx.Dropout(0.5, rngs=rngs)

        def __call__(self, x):
            return self.drop(self.l1(x))

    net = Net(nnx.Rngs(0, dropout=1))
    x = f32(3, 5)
    count = int(net.drop.rngs.count[...])
    m = ovjax.convert_model(net, x)
    (got,) = run_ov(m, (x,))
    assert int(net.drop.rngs.count[...]) == count
    want = net(x)  # advances the counter, as the converted model's trace did on its copy
    assert_close(got, want)
    np.testing.assert_array_equal(got == 0, np.asarray(want) == 0)


def test_input_type_override_for_jaxpr():
    cj = jax.make_jaxpr(elementwise)(f32(3), f32(3))
    m = ovjax.convert_model(cj, input=[ov.Type.f16, ov.Type.f16])
    assert [i.get_element_type() for i in m.inputs] == [ov.Type.f16, ov.Type.f16]
    x, y = f32(3).astype(np.float16), f32(3).astype(np.float16)
    (got,) = run_ov(m, (x, y))
    assert_close(got, elementwise(x.astype(np.float32), y.astype(np.float32)), tol=(2e-3, 2e-3))


def test_input_shape_change_on_jaxpr_is_a_clear_error():
    cj = jax.make_jaxpr(elementwise)(f32(3), f32(3))
    with pytest.raises(Exception, match="traced with shape"):
        ovjax.convert_model(cj, input=[[5], [5]])
    with pytest.raises(Exception, match="traced with shape"):
        ov.convert_model(cj, input=[[5], [5]])


def test_input_shape_retraces_callables():
    m = ovjax.convert_model(elementwise, (f32(3), f32(3)), input=[[2, 7], [2, 7]])
    assert [list(i.get_shape()) for i in m.inputs] == [[2, 7], [2, 7]]
    x, y = f32(2, 7), f32(2, 7)
    (got,) = run_ov(m, (x, y))
    assert_close(got, elementwise(x, y))


def test_ov_convert_model_input_retraces_modules():
    import flax.linen as nn

    mod = nn.Dense(3)
    variables = mod.init(jax.random.PRNGKey(0), f32(2, 4))
    m = ov.convert_model(mod.bind(variables), example_input=f32(2, 4), input=[[5, 4]])
    assert list(m.inputs[0].get_shape()) == [5, 4]
    x = f32(5, 4)
    (got,) = run_ov(m, (x,))
    assert_close(got, mod.apply(variables, x))


def test_ov_convert_model_input_names_and_shapes_for_jaxpr():
    cj = jax.make_jaxpr(elementwise)(f32(2, 3), f32(2, 3))
    m = ov.convert_model(cj, input=[("input_0", [2, 3]), ("input_1", [2, 3])])
    assert [i.get_any_name() for i in m.inputs] == ["input_0", "input_1"]


def test_ov_convert_model_takes_every_documented_argument(capsys):
    """ov.convert_model on a JAX object runs ovjax's conversion directly (the hook), with
    each of its documented arguments doing what it does for other frontends."""
    from openvino.frontend import ConversionExtension
    import openvino.opset13 as ops

    def f(x, y):
        return jnp.tanh(x) + y[:2], x * y[0]

    x, y = f32(2, 3), f32(4, 3)
    cj = jax.make_jaxpr(f)(x, y)
    # input= naming its inputs in another order: the model takes them in that order
    m = ov.convert_model(cj, input=[("input_1", [4, 3], ov.Type.f32), ("input_0", [2, 3])])
    assert [i.get_any_name() for i in m.inputs] == ["input_1", "input_0"]
    got = run_ov(m, (y, x))
    for g, w in zip(got, f(x, y)):
        assert_close(g, w)
    # output= keeps the outputs named, in the order given (a list, or comma-separated)
    for output in (["output_1", "output_0"], "output_1, output_0"):
        m = ov.convert_model(cj, output=output)
        assert [o.get_any_name() for o in m.outputs] == ["output_1", "output_0"]
        got = run_ov(m, (x, y))
        assert_close(got[0], f(x, y)[1])
        assert_close(got[1], f(x, y)[0])
    m = ov.convert_model(cj, output="output_1")
    assert [o.get_any_name() for o in m.outputs] == ["output_1"]
    with pytest.raises(ValueError, match=r"output='nope'.*no output of that name; its outputs: 'output_0', 'output_1'"):
        ov.convert_model(cj, output="nope")
    with pytest.raises(ValueError, match=r"no input named 'z'; its inputs: 'input_0', 'input_1'"):
        ov.convert_model(cj, input={"z": [2, 3]})
    # extension=, verbose=, share_weights=, dynamo= (which warns, as for any non-PyTorch model)
    with pytest.warns(UserWarning, match="dynamo parameter will be ignored"):
        m = ov.convert_model(
            [cj],
            extension=[ConversionExtension("tanh", lambda ctx: [ops.sigmoid(ctx.get_input(0)).output(0)])],
            verbose=True,
            share_weights=False,
            dynamo=True,
        )
    assert_close(run_ov(m, (x, y))[0], jax.nn.sigmoid(x) + y[:2])
    assert "[ SUCCESS ]" in capsys.readouterr().out
    # the rt_info OpenVINO's wrapper writes
    assert m.get_rt_info("Runtime_version").astype(str) == ov.get_version()
    assert m.get_rt_info(["conversion_parameters", "share_weights"]).astype(str) == "False"
    assert m.get_rt_info(["conversion_parameters", "verbose"]).astype(str) == "True"


def test_ov_convert_model_sends_no_telemetry():
    """With OpenVINO's telemetry on (no CI variable), ov.convert_model of a JAX object
    makes no telemetry call and never forks (in a process running JAX, fork() risks a
    deadlock and costs ~15 ms a call); OpenVINO's own JAX frontend, through the same
    ov.convert_model, does call telemetry in this very process."""
    code = (
        "import os, warnings\n"
        "import openvino_telemetry\n"
        "calls = []\n"
        "def spy(name):\n"
        "    def f(self, *a, **k): calls.append(name)\n"
        "    return f\n"
        "for name in ('send_event', 'send_error', 'send_stack_trace', 'start_session', 'end_session'):\n"
        "    setattr(openvino_telemetry.Telemetry, name, spy(name))\n"
        "forks = []\n"
        "fork = os.fork\n"
        "os.fork = lambda: forks.append(1) or fork()\n"
        "import jax, jax.numpy as jnp, numpy as np, openvino as ov, ovjax\n"
        "del calls[:], forks[:]  # importing openvino sends an event of its own\n"
        "f = lambda x: jnp.tanh(x) * 2.0\n"
        "x = np.ones(3, np.float32)\n"
        "jax.jit(f)(x).block_until_ready()\n"
        "with warnings.catch_warnings():\n"
        "    warnings.simplefilter('error')\n"
        "    for model in (jax.make_jaxpr(f)(x), jax.jit(f)):\n"
        "        ov.convert_model(model, example_input=None if hasattr(model, 'jaxpr') else x)\n"
        "print(len(calls), len(forks))\n"
        "with ovjax._hook.disabled():\n"
        "    ov.convert_model(jax.make_jaxpr(f)(x))\n"
        "print(len(calls) > 0)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "TF_BUILD", "JENKINS_URL")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.stdout.split() == ["0", "0", "True"], out.stderr[-3000:]


def test_conversion_extension_overrides_a_primitive():
    from openvino.frontend import ConversionExtension
    import openvino.opset13 as ops

    def tanh_as_sigmoid(ctx):
        return [ops.sigmoid(ctx.get_input(0)).output(0)]

    cj = jax.make_jaxpr(lambda x: jnp.tanh(x))(f32(4))
    m = ovjax.convert_model(cj, extension=ConversionExtension("tanh", tanh_as_sigmoid))
    x = f32(4)
    (got,) = run_ov(m, (x,))
    assert_close(got, jax.nn.sigmoid(x))


def test_extension_adds_an_unsupported_primitive_and_reads_params():
    from openvino.frontend import ConversionExtension
    import openvino.opset13 as ops

    seen = {}

    def triangular_solve(ctx):
        seen["lower"] = ctx.get_attribute("lower")
        seen["left_side"] = ctx.get_attribute("left_side")
        # not a solve: just proves the extension is called, reads params, and its output is used
        return [ops.relu(ctx.get_input(1)).output(0)]

    a, b = f32(3, 3), f32(3, 2)
    cj = jax.make_jaxpr(lambda x, y: jax.lax.linalg.triangular_solve(x, y, left_side=True, lower=True))(a, b)
    m = ovjax.convert_model(cj, extension=ConversionExtension("triangular_solve", triangular_solve))
    assert seen == {"lower": True, "left_side": True}
    (got,) = run_ov(m, (a, b))
    np.testing.assert_allclose(got, np.maximum(b, 0))


def test_all_unsupported_primitives_in_one_error():
    def fn(x):
        y = geqp3(x @ x.T + 3 * jnp.eye(3), np.zeros(3, np.int32))[0]  # LAPACK-only, unsupported
        z = jax.pure_callback(lambda v: np.asarray(v) * 2, jax.ShapeDtypeStruct((3, 3), jnp.float32), y)
        w = geqp3(z, np.zeros(3, np.int32))[0]
        return jnp.linalg.qr(w)[0]

    with pytest.raises(Exception) as ei:
        ovjax.convert_model(fn, f32(3, 3))
    msg = str(ei.value)
    assert "geqp3 x2" in msg
    assert "pure_callback x1" in msg and "Python" in msg
    assert "test_api.py" in msg  # the source location of the first occurrence


def test_convert_partially_keeps_framework_nodes():
    cj = jax.make_jaxpr(lambda x: geqp3(x, np.zeros(3, np.int32))[2] + 1.0)(f32(3, 3))
    fe = ovjax._library.frontend()
    from ovjax.convert import to_frontend_input, trace

    im = fe.load(to_frontend_input(trace(cj)), True)
    m = fe.convert_partially(im)
    types = [op.get_type_name() for op in m.get_ordered_ops()]
    assert "FrameworkNode" in types and "Add" in types
    with pytest.raises(Exception, match="geqp3"):
        fe.convert(m)


def test_rt_info_records_versions():
    m = ovjax.convert_model(elementwise, (f32(2), f32(2)))
    assert m.get_rt_info(["ovjax", "version"]).astype(str) == ovjax.__version__
    assert m.get_rt_info(["ovjax", "jax_version"]).astype(str) == jax.__version__
    # what the file held (ovjax info prints these; they are saved with an IR)
    assert m.get_rt_info(["ovjax", "writer_version"]).astype(str) == ovjax.__version__
    assert m.get_rt_info(["ovjax", "format"]).astype(str) == "1.1"
    prims = dict(kv.split(":") for kv in m.get_rt_info(["ovjax", "primitives"]).astype(str).split(","))
    want = {p: 0 for p in ("tanh", "mul", "exp", "neg", "abs", "add")}
    for e in jax.make_jaxpr(elementwise)(f32(2), f32(2)).jaxpr.eqns:
        want[e.primitive.name] += 1
    assert {k: int(v) for k, v in prims.items()} == {k: v for k, v in want.items() if v}
    assert m.get_rt_info(["ovjax", "equations"]).astype(str) == str(sum(want.values()))
    w = f32(3, 4)
    m = ovjax.convert_model(lambda x: x @ w, (f32(2, 3),))
    assert m.get_rt_info(["ovjax", "weight_bytes"]).astype(str) == "48"


def _run(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **env}, timeout=300
    )


def test_disable_hook_env():
    code = "import ovjax\nfrom openvino.tools.ovc import convert as cv\nprint(getattr(cv._convert, '_ovjax', False))\n"
    assert _run(code).stdout.strip() == "True"
    assert _run(code, OVJAX_DISABLE_HOOK="1").stdout.strip() == "False"


def test_openvino_version_mismatch_is_a_clear_error(monkeypatch):
    import openvino

    monkeypatch.setattr(openvino, "__version__", "2099.1.0-0000-deadbeef")
    with pytest.raises(ImportError, match="built against OpenVINO .* but OpenVINO 2099.1.0 is installed"):
        ovjax._library.check_openvino_version()


def _import_under_jax(version: str) -> list[str]:
    """Import ovjax in a fresh interpreter whose jax reports `version`: the lines it prints
    (each warning's category and message, then a second check's warnings, or the
    ImportError)."""
    code = (
        "import warnings, jax\n"
        f"jax.__version__ = {version!r}\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    warnings.simplefilter('always')\n"
        "    try:\n"
        "        import ovjax\n"
        "    except ImportError as e:\n"
        "        print('ImportError', e)\n"
        "        raise SystemExit(0)\n"
        "    import ovjax.convert, ovjax._jax_compat as c\n"
        "    c.check_jax_version()  # again: no second warning\n"
        "for x in w:\n"
        "    print(x.category.__name__, x.message)\n"
    )
    r = _run(code)
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stdout.splitlines()


def test_jax_newer_than_tested_warns_once():
    lines = _import_under_jax("0.13.0")
    assert len(lines) == 1, lines
    assert lines[0].startswith("UserWarning"), lines
    assert "JAX 0.10.x to 0.12.x" in lines[0] and "JAX 0.13.0 is newer" in lines[0], lines


def test_jax_older_than_supported_is_an_import_error():
    lines = _import_under_jax("0.9.2")
    assert len(lines) == 1 and lines[0].startswith("ImportError"), lines
    assert "supports JAX 0.10.x to 0.12.x" in lines[0] and "JAX 0.9.2 is installed" in lines[0], lines


@pytest.mark.parametrize("version", ["0.10.0", "0.10.2", "0.11.1", "0.12.0.1", "0.12.9.dev20260101"])
def test_jax_in_the_supported_range_imports_quietly(version):
    from ovjax import _jax_compat

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _jax_compat.check_jax_version(version)


def test_hook_failure_warns_and_api_keeps_working(monkeypatch):
    code = (
        "import warnings, openvino.tools.ovc.convert_impl as ci\n"
        "del ci.check_model_object\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    warnings.simplefilter('always')\n"
        "    import ovjax\n"
        "print(any('cannot hook' in str(x.message) for x in w))\n"
        "import jax.numpy as jnp\n"
        "m = ovjax.convert_model(lambda x: x + 1.0, jnp.ones(3))\n"
        "print(len(m.inputs))\n"
    )
    out = _run(code)
    assert out.stdout.split() == ["True", "1"], out.stderr[-2000:]
