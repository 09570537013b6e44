"""The `ovjax` command (src/python/ovjax/cli.py): `ovjax convert` of files and of functions
found by import path, `ovjax info`, and its exit codes; each run as a subprocess, as users
run it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import openvino as ov
import pytest

import ovjax
from harness import assert_close

MODULE = textwrap.dedent(
    """
    import jax
    import jax.numpy as jnp
    import numpy as np

    W = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)


    def forward(x):
        return jnp.tanh(x @ W)


    def uses_geqp3(x):  # column-pivoted QR: LAPACK-only, unsupported
        return jax._src.lax.linalg.geqp3(x, np.zeros(3, np.int32))[2] + forward(x[:, :3]).sum()
    """
)


def ovjax_cli(*args, cwd):
    env = {**os.environ, "CI": "true", "PYTHONPATH": os.pathsep.join([os.environ.get("PYTHONPATH", ""), str(cwd)])}
    return subprocess.run(
        [sys.executable, "-m", "ovjax.cli", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )


@pytest.fixture
def work(tmp_path):
    (tmp_path / "mymodel.py").write_text(MODULE)
    sys.path.insert(0, str(tmp_path))
    try:
        import mymodel  # noqa: F401

        yield tmp_path, sys.modules["mymodel"]
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("mymodel", None)


def run_ir(path, *args):
    return ov.Core().compile_model(str(path), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})(list(args))[0]


def test_info(work):
    tmp, mod = work
    ovjax.save(mod.uses_geqp3, tmp / "e.ovjax", example_input=np.ones((3, 3), np.float32))
    r = ovjax_cli("info", "e.ovjax", cwd=tmp)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert f"written by:  ovjax {ovjax.__version__}" in out and "format 1.1" in out
    assert "  x f32[3,3]" in out and "  output_0 f32[3]" in out
    assert "equations:   5 (5 primitives)" in out
    hist = [
        ln.split()
        for ln in out.splitlines()
        if ln.startswith("  ") and len(ln.split()) == 2 and ln.split()[1].isdigit()
    ]
    assert ["add", "1"] in hist and ["geqp3", "1"] in hist and len(hist) == 5, hist
    assert "unsupported: 1 equations" in out and "geqp3 x1:" in out and "mymodel.py:14 (uses_geqp3)" in out
    assert "weights:     60 bytes" in out  # W, 3 x 4 float32, and geqp3's 3 int32 pivots


def test_convert_file_and_compress_to_fp16(work):
    tmp, mod = work
    x = np.random.default_rng(1).standard_normal((2, 3)).astype(np.float32)
    ovjax.save(mod.forward, tmp / "f.ovjax", example_input=x)
    r = ovjax_cli("convert", "f.ovjax", cwd=tmp)  # default: f.xml next to it, f16 weights
    assert r.returncode == 0 and "wrote " in r.stdout, r.stderr
    r = ovjax_cli("f.ovjax", "-o", "f32.xml", "--no-compress-to-fp16", cwd=tmp)  # the older spelling
    assert r.returncode == 0, r.stderr
    assert os.path.getsize(tmp / "f32.bin") > os.path.getsize(tmp / "f.bin")
    assert_close(run_ir(tmp / "f32.xml", x), mod.forward(x))
    assert_close(run_ir(tmp / "f.xml", x), mod.forward(x), tol=(1e-3, 1e-3))
    assert ov.Core().read_model(str(tmp / "f.xml")).get_rt_info(["ovjax", "equations"]).astype(str) == "2"


def test_convert_by_import_path_with_a_dynamic_dimension(work):
    tmp, mod = work
    r = ovjax_cli("convert", "mymodel:forward", "--example-input", "Bx3:float32", "-o", "fwd.xml", cwd=tmp)
    assert r.returncode == 0, r.stderr
    m = ov.Core().read_model(str(tmp / "fwd.xml"))
    assert m.inputs[0].get_partial_shape().is_dynamic
    for n in (1, 5):
        x = np.random.default_rng(n).standard_normal((n, 3)).astype(np.float32)
        assert_close(run_ir(tmp / "fwd.xml", x), mod.forward(x), tol=(1e-3, 1e-3))


@pytest.mark.parametrize(
    "args,code,message",
    [
        (["info", "nope.ovjax"], 3, "no file 'nope.ovjax'"),
        (["convert", "nope.ovjax"], 3, "no file"),
        (["info", "garbage.ovjax"], 4, "is not an .ovjax file"),
        (["info", "short.ovjax"], 4, "format error at byte offset"),
        (["convert", "e.ovjax"], 5, "geqp3 x1"),
        (["convert", "mymodel:nothere", "--example-input", "2x3"], 3, "has no 'nothere'"),
        (["convert", "nomodule:f", "--example-input", "2x3"], 3, "cannot import 'nomodule'"),
        (["convert", "mymodel:forward"], 2, "needs --example-input"),
        (["convert", "mymodel:forward", "--example-input", "2x3:floaty"], 2, "unknown element type"),
        (["convert", "f.ovjax", "--example-input", "2x3"], 2, "traced already"),
        (["frobnicate"], 3, "no file 'frobnicate'"),  # `ovjax FILE`, the older spelling of convert
        (["convert"], 2, "the following arguments are required: model"),
    ],
)
def test_exit_codes(work, args, code, message):
    tmp, mod = work
    ovjax.save(mod.forward, tmp / "f.ovjax", example_input=np.ones((2, 3), np.float32))
    ovjax.save(mod.uses_geqp3, tmp / "e.ovjax", example_input=np.ones((3, 3), np.float32))
    (tmp / "garbage.ovjax").write_bytes(b"not a model\n")
    (tmp / "short.ovjax").write_bytes((tmp / "f.ovjax").read_bytes()[:200])
    r = ovjax_cli(*args, cwd=tmp)
    assert r.returncode == code, (r.stdout, r.stderr)
    assert message in r.stderr
    assert "Traceback" not in r.stderr and "Exception from" not in r.stderr
