"""examples/cpp/convert_and_run: a C++ program, built against the openvino wheel's CMake
config, that loads an .ovjax file through the ovjax frontend library and runs it on
CPU with .npy inputs. Python only writes the model and the inputs and checks the
outputs against JAX; the program itself runs without Python.

The build is cached under build/examples_cpp/<hash of the sources and OpenVINO>, so
only the first run pays for compiling.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import struct
import subprocess
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import openvino
import pytest
from jax import lax

import ovjax

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "cpp"
SOURCES = ("CMakeLists.txt", "convert_and_run.cpp")


def _openvino_cmake_dir() -> str:
    return os.path.join(os.path.dirname(openvino.__file__), "cmake")


def _require_tools() -> tuple[str, str]:
    missing = []
    cmake = shutil.which("cmake")
    ninja = shutil.which("ninja")
    cxx = os.environ.get("CXX") or next((c for c in ("c++", "g++", "clang++") if shutil.which(c)), None)
    if not cmake:
        missing.append("cmake")
    if not ninja:
        missing.append("ninja")
    if not cxx or not shutil.which(cxx.split()[0]):
        missing.append("a C++ compiler (c++, g++ or clang++, or $CXX)")
    if missing:
        pytest.fail(
            "building examples/cpp needs " + ", ".join(missing) + " on PATH "
            "(e.g. `pip install cmake ninja` and `apt-get install g++`)",
            pytrace=False,
        )
    return cmake, ninja


def _build_dir() -> Path:
    h = hashlib.sha256()
    for name in SOURCES:
        h.update(name.encode() + b"\0" + (EXAMPLE / name).read_bytes() + b"\0")
    h.update(_openvino_cmake_dir().encode() + b"\0" + openvino.__version__.encode())
    h.update((os.environ.get("CXX") or "").encode())
    return ROOT / "build" / "examples_cpp" / h.hexdigest()[:16]


@pytest.fixture(scope="session")
def program() -> Path:
    """Path of the built convert_and_run binary (configured and built once per source hash)."""
    cmake, ninja = _require_tools()
    build = _build_dir()
    build.parent.mkdir(parents=True, exist_ok=True)
    exe = build / "convert_and_run"
    with open(build.parent / (build.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel test workers build once
        steps = []
        if not (build / "build.ninja").exists():
            steps.append(
                [
                    cmake,
                    "-S",
                    str(EXAMPLE),
                    "-B",
                    str(build),
                    "-G",
                    "Ninja",
                    f"-DCMAKE_MAKE_PROGRAM={ninja}",
                    f"-DOpenVINO_DIR={_openvino_cmake_dir()}",
                ]
            )
        steps.append([cmake, "--build", str(build)])
        for cmd in steps:
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                pytest.fail(
                    f"building examples/cpp failed: {' '.join(cmd)}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}",
                    pytrace=False,
                )
    assert exe.exists(), f"the build did not produce {exe}"
    return exe


def _run(program: Path, model: Path, inputs: list[Path], prefix: Path, expect_ok: bool = True):
    env = {k: v for k, v in os.environ.items() if k not in ("LD_LIBRARY_PATH", "PYTHONPATH")}
    cmd = [str(program), ovjax.library_path(), str(model), *map(str, inputs), str(prefix)]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    if expect_ok:
        assert r.returncode == 0, f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
    return r


def _save_inputs(tmp_path: Path, arrays) -> list[Path]:
    paths = []
    for i, a in enumerate(arrays):
        p = tmp_path / f"in{i}.npy"
        np.save(p, np.asarray(a))
        paths.append(p)
    return paths


def _check_outputs(prefix: Path, want, rtol=2e-5, atol=2e-5) -> None:
    want = jax.tree_util.tree_leaves(want)
    for i, w in enumerate(want):
        p = Path(f"{prefix}{i}.npy")
        assert p.exists(), f"the program did not write output {i} ({p})"
        got = np.load(p)
        w = np.asarray(w)
        assert got.shape == w.shape, f"output {i}: shape {got.shape}, JAX {w.shape}"
        assert got.dtype == w.dtype, f"output {i}: dtype {got.dtype}, JAX {w.dtype}"
        if np.issubdtype(w.dtype, np.floating):
            np.testing.assert_allclose(got, w, rtol=rtol, atol=atol, err_msg=f"output {i}")
        else:
            np.testing.assert_array_equal(got, w, err_msg=f"output {i}")
    assert not Path(f"{prefix}{len(want)}.npy").exists(), "the program wrote more outputs than JAX returns"


def _convert_and_compare(program, tmp_path, fn, args, **tol):
    model = tmp_path / "model.ovjax"
    ovjax.save(jax.make_jaxpr(fn)(*args), model)
    prefix = tmp_path / "out_"
    r = _run(program, model, _save_inputs(tmp_path, args), prefix)
    _check_outputs(prefix, fn(*args), **tol)
    return r


# ---------------------------------------------------------------- models


def test_elementwise_mlp(program, tmp_path):
    """Two 'layers' of broadcasted multiply + bias + tanh with weights as consts, two inputs, two outputs."""
    r = np.random.default_rng(0)
    w1 = jnp.asarray(r.standard_normal((6, 16)).astype(np.float32) * 0.5)
    b1 = jnp.asarray(r.standard_normal((16,)).astype(np.float32))
    w2 = jnp.asarray(r.standard_normal((16, 6)).astype(np.float32) * 0.5)
    b2 = jnp.asarray(r.standard_normal((6,)).astype(np.float32))

    def mlp(x, scale):
        h = jnp.tanh(x[:, :, None] * w1[None] + b1)  # (B, 6, 16)
        h = jnp.maximum(h, 0.0).transpose(0, 2, 1)  # (B, 16, 6)
        y = jnp.exp(jnp.tanh(h * w2 + b2)) * scale  # (B, 16, 6)
        return y.reshape(x.shape[0], -1), jnp.tanh(x) + scale

    x = r.standard_normal((3, 6)).astype(np.float32)
    scale = np.float32(1.5) * np.ones((1, 1), np.float32)
    closed = jax.make_jaxpr(mlp)(x, scale)
    assert len(closed.consts) >= 4, "the weights should be consts of the jaxpr"
    res = _convert_and_compare(program, tmp_path, mlp, (x, scale))
    assert "output 1" in res.stdout


def test_flax_dense(program, tmp_path):
    """A Flax linen MLP of nn.Dense layers (dot_general), saved with ovjax.save from the module."""
    import flax.linen as nn

    class MLP(nn.Module):
        @nn.compact
        def __call__(self, x):
            x = nn.tanh(nn.Dense(32)(x))
            x = nn.relu(nn.Dense(32)(x))
            return nn.Dense(5)(x)

    x = np.random.default_rng(1).standard_normal((4, 12)).astype(np.float32)
    m = MLP()
    params = m.init(jax.random.PRNGKey(0), x)
    model = tmp_path / "dense.ovjax"
    ovjax.save(m, model, example_input=x, params=params)
    prefix = tmp_path / "out_"
    _run(program, model, _save_inputs(tmp_path, [x]), prefix)
    _check_outputs(prefix, m.apply(params, x), rtol=1e-4, atol=1e-4)


DTYPES = [
    "float16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "bool",
]


@pytest.mark.parametrize("dtype", DTYPES)
def test_npy_dtypes(program, tmp_path, dtype):
    """Every .npy dtype the program supports goes in and comes out bit-exact (rev moves data only)."""
    r = np.random.default_rng(2)
    if dtype == "bool":
        x = r.random((3, 5)) > 0.5
    elif dtype.startswith(("int", "uint")):
        # OpenVINO's CPU plugin runs 64-bit integer ops in 32 bits, so values stay in
        # the int32 range (the 8-byte layout is still exercised: negatives sign-extend).
        info = np.iinfo(dtype)
        x = r.integers(max(info.min, -(2**31)), min(info.max, 2**31 - 1), size=(3, 5)).astype(dtype)
    else:
        x = r.standard_normal((3, 5)).astype(dtype)
    fn = lambda a: (lax.rev(a, (0,)), lax.rev(a, (1,))[0])  # noqa: E731 - a 2-D and a 1-D output
    with jax.enable_x64(dtype in ("float64", "int64", "uint64")):
        closed = jax.make_jaxpr(fn)(x)
        want = fn(x)
    model = tmp_path / "model.ovjax"
    ovjax.save(closed, model)
    prefix = tmp_path / "out_"
    _run(program, model, _save_inputs(tmp_path, [x]), prefix)
    _check_outputs(prefix, want)


def test_scalar_and_vector(program, tmp_path):
    """0-d and 1-d arrays (the .npy shape tuples '()' and '(n,)')."""
    fn = lambda s, v: (s * v + 1.0, s * 2.0)  # noqa: E731
    _convert_and_compare(program, tmp_path, fn, (np.float32(3.0).reshape(()), np.arange(5, dtype=np.float32)))


# ---------------------------------------------------------------- errors


@pytest.fixture()
def tanh_model(tmp_path) -> Path:
    model = tmp_path / "tanh.ovjax"
    ovjax.save(jax.make_jaxpr(jnp.tanh)(np.zeros((2, 3), np.float32)), model)
    return model


def _expect_error(program, model, inputs, prefix, *needles):
    r = _run(program, model, inputs, prefix, expect_ok=False)
    assert r.returncode != 0, f"expected a failure, got:\n{r.stdout}"
    assert "convert_and_run: error:" in r.stderr, r.stderr
    for n in needles:
        assert n in r.stderr, f"{n!r} not in the error:\n{r.stderr}"
    assert not Path(f"{prefix}0.npy").exists()


def test_error_fortran_order(program, tmp_path, tanh_model):
    p = tmp_path / "f.npy"
    np.save(p, np.asfortranarray(np.zeros((2, 3), np.float32)))
    _expect_error(program, tanh_model, [p], tmp_path / "o_", "Fortran-order")


def test_error_big_endian(program, tmp_path, tanh_model):
    p = tmp_path / "be.npy"
    np.save(p, np.zeros((2, 3), ">f4"))
    _expect_error(program, tanh_model, [p], tmp_path / "o_", "big-endian", ">f4")


def test_error_unsupported_dtype(program, tmp_path, tanh_model):
    p = tmp_path / "c.npy"
    np.save(p, np.zeros((2, 3), np.complex64))
    _expect_error(program, tanh_model, [p], tmp_path / "o_", "unsupported dtype '<c8'")


def test_error_not_npy(program, tmp_path, tanh_model):
    p = tmp_path / "junk.npy"
    p.write_bytes(b"not an array")
    _expect_error(program, tanh_model, [p], tmp_path / "o_", "not a .npy file")


def test_error_truncated(program, tmp_path, tanh_model):
    p = tmp_path / "t.npy"
    np.save(p, np.zeros((2, 3), np.float32))
    p.write_bytes(p.read_bytes()[:-4])
    _expect_error(program, tanh_model, [p], tmp_path / "o_", "truncated data")


def test_error_input_count(program, tmp_path, tanh_model):
    p = tmp_path / "x.npy"
    np.save(p, np.zeros((2, 3), np.float32))
    _expect_error(program, tanh_model, [p, p], tmp_path / "o_", "has 1 inputs but 2 .npy files")


def test_error_input_type_and_shape(program, tmp_path, tanh_model):
    p = tmp_path / "x.npy"
    np.save(p, np.zeros((2, 3), np.int32))
    _expect_error(program, tanh_model, [p], tmp_path / "o_", "element type i32", "takes f32")
    np.save(p, np.zeros((3, 2), np.float32))
    _expect_error(program, tanh_model, [p], tmp_path / "o_", "shape [3,2]", "takes [2,3]")


def test_error_bad_library(program, tmp_path, tanh_model):
    p = tmp_path / "x.npy"
    np.save(p, np.zeros((2, 3), np.float32))
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    r = subprocess.run(
        [str(program), str(tmp_path / "nope.so"), str(tanh_model), str(p), str(tmp_path / "o_")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode != 0 and "convert_and_run: error:" in r.stderr, r.stderr


def test_usage(program):
    r = subprocess.run([str(program)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "usage:" in r.stderr


def test_error_malformed_model(program, tmp_path, tanh_model):
    """A crafted file (the STRINGS count that wrapped the reader's check and read past the
    file: SIGBUS in this program before) and a corrupted one are clean errors."""
    from ovjax import format as F

    data = tanh_model.read_bytes()
    n, table = struct.unpack_from("<QQ", data, 16)
    m = bytearray(data)
    for i in range(n):
        kind, _, off, size, _ = struct.unpack_from("<IIQQQ", m, table + 32 * i)
        if kind == F.SEC_STRINGS:
            struct.pack_into("<Q", m, table + 32 * i + 16, 12)
            struct.pack_into("<q", m, off, 1 << 60)
    bad = tmp_path / "bad.ovjax"
    bad.write_bytes(F.seal(m))
    p = tmp_path / "x.npy"
    np.save(p, np.zeros((2, 3), np.float32))
    _expect_error(program, bad, [p], tmp_path / "o_", "string section of 12 bytes")
    flipped = bytearray(data)
    flipped[100] ^= 1
    bad.write_bytes(bytes(flipped))
    _expect_error(program, bad, [p], tmp_path / "o_", "checksum mismatch")
