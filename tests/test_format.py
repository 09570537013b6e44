"""The .ovjax reader against valid and malformed files.

Malformed files are generated here from a valid one. Each must give a clear error
that names what is wrong and where, never a crash or an out-of-bounds read: the
reader is run as a standalone program built with AddressSanitizer and
UndefinedBehaviorSanitizer (tests/asan.py), and through OpenVINO's frontend API.
"""

from __future__ import annotations

import struct

import jax
import jax.numpy as jnp
import numpy as np
import openvino as ov
import pytest

import ovjax
from ovjax import format as F
from ovjax.serialize import GraphWriter
from rawfile import put, sections

from asan import read_check


W = jnp.asarray(np.arange(12.0, dtype=np.float32).reshape(3, 4))


def model_fn(x, y):
    z = jax.jit(lambda a: jnp.tanh(a) + 1.0)(x)
    return jnp.maximum(z * y, 0.0) + W[1, :3], jnp.exp(y)


ARGS = (np.ones((2, 3), np.float32), np.full((2, 3), 0.5, np.float32))


@pytest.fixture(scope="module")
def valid() -> bytes:
    return ovjax.serialize(model_fn, ARGS)


def first_eqn(b: bytes) -> int:
    """Byte offset of graph 0's first equation record."""
    _, goff, _ = sections(b)[F.SEC_GRAPHS]
    g0 = goff + struct.unpack_from("<q", b, goff + 8)[0]
    p = g0
    (nvars,) = struct.unpack_from("<q", b, p)
    p += 8
    for _ in range(nvars):
        _, rank = struct.unpack_from("<qq", b, p)
        p += 16 + 8 * rank
    (nin,) = struct.unpack_from("<q", b, p)
    p += 8 + 8 * nin
    (nconst,) = struct.unpack_from("<q", b, p)
    p += 8 + 16 * nconst
    (nout,) = struct.unpack_from("<q", b, p)
    p += 8
    for _ in range(nout):
        (tag,) = struct.unpack_from("<q", b, p)
        p += 16 if tag == 0 else 24
    p += 8  # n_eqns
    return p


def test_valid_file_reads(tmp_path, valid):
    path = tmp_path / "m.ovjax"
    path.write_bytes(valid)
    rc, out = read_check(path)
    assert rc == 0 and out.startswith("ok "), out
    assert "graphs=2" in out  # the jit sub-graph is its own graph


def test_valid_file_converts_and_runs(tmp_path, valid):
    from harness import run_ov, assert_close

    path = tmp_path / "m.ovjax"
    path.write_bytes(valid)
    m = ov.convert_model(str(path))
    for got, want in zip(run_ov(m, ARGS), model_fn(*ARGS)):
        assert_close(got, want)


def test_recognised_by_magic_not_extension(tmp_path, valid):
    path = tmp_path / "model.bin"
    path.write_bytes(valid)
    fem = ov.frontend.FrontEndManager()
    ovjax._library.register(fem)
    fe = fem.load_by_model(str(path))
    assert fe is not None and fe.get_name() == "ovjax"
    other = tmp_path / "other.ovjax"
    other.write_bytes(b"not a model at all" * 10)
    fe2 = fem.load_by_model(str(other))
    assert fe2 is None or fe2.get_name() != "ovjax"


def malformed_cases(b: bytes):
    s = sections(b)
    e_graphs, g_off, g_size = s[F.SEC_GRAPHS]
    e_bufs, b_off, b_size = s[F.SEC_BUFFERS]
    e_str, s_off, s_size = s[F.SEC_STRINGS]
    eq = first_eqn(b)
    n_str = struct.unpack_from("<q", b, s_off)[0]
    yield "empty", b"", "wrong magic"
    yield "wrong magic", b"GGUF" + b[4:], "wrong magic"
    yield "truncated header", b[:40], "truncated header"
    yield "truncated file", b[: len(b) - 100], "file size field"
    yield "padded file", b + b"\0" * 64, "file size field"
    yield "newer major version", put(b, 8, "<H", 2), "unsupported format version 2"
    yield "absurd section count", put(b, 16, "<Q", 1 << 40), "absurd section count"
    yield "section table past end", put(b, 24, "<Q", len(b) - 8), "section table"
    yield "section past end", put(b, e_graphs + 8, "<Q", len(b) - 16), "runs past the end"
    yield "huge section size", put(b, e_graphs + 16, "<Q", (1 << 64) - 8), "runs past the end"
    yield "misaligned section", put(b, e_graphs + 8, "<Q", g_off + 4), "aligned"
    yield "overlapping sections", put(b, e_bufs + 8, "<Q", g_off), "overlaps"
    yield "duplicate section", put(b, e_bufs, "<I", F.SEC_GRAPHS), "appears twice"
    yield "missing graphs", put(b, e_graphs, "<I", 77), "missing"
    yield "absurd string count", put(b, s_off, "<q", 1 << 50), "string count"
    yield "string offsets out of order", put(b, s_off + 16, "<q", 1 << 30), "string offset"
    yield "absurd buffer count", put(b, b_off, "<q", 1 << 60), "buffer count"
    yield "buffer past data", put(b, b_off + 16, "<q", 1 << 40), "runs past the data section"
    yield "misaligned buffer", put(b, b_off + 8, "<q", 8), "64-byte aligned"
    yield "absurd graph count", put(b, g_off, "<q", 1 << 55), "graph count"
    yield "graph offset out of range", put(b, g_off + 8, "<q", 1 << 40), "out of range"
    yield "absurd variable count", put(b, g_off + struct.unpack_from("<q", b, g_off + 8)[0], "<q", 1 << 50), "count"
    yield "primitive name out of range", put(b, eq + 8, "<q", n_str + 5), "primitive name index out of range"
    yield "source string out of range", put(b, eq + 16, "<q", 1 << 33), "source string index out of range"
    yield "equation length absurd", put(b, eq, "<q", 1 << 40), "record length"
    yield "input var out of range", put(b, eq + 40, "<q", 1 << 20), "variable index"
    yield "input count absurd", put(b, eq + 24, "<q", 1 << 30), "count"
    yield "bad atom tag", put(b, eq + 32, "<q", 7), "unknown atom tag"
    yield "negative var index", put(b, eq + 40, "<q", -5), "variable index"


CASES = None


def _cases():
    global CASES
    if CASES is None:
        CASES = list(malformed_cases(ovjax.serialize(model_fn, ARGS)))
    return CASES


@pytest.mark.parametrize("idx", range(29))
def test_malformed_file_is_rejected_clearly(tmp_path, idx):
    name, data, expect = _cases()[idx]
    path = tmp_path / "bad.ovjax"
    path.write_bytes(data)
    rc, out = read_check(path)
    assert rc == 1, f"{name}: reader said {out!r}"
    assert out.startswith("error: "), f"{name}: {out!r}"
    assert expect in out, f"{name}: expected {expect!r} in {out!r}"
    if data[:8] == F.MAGIC and len(data) >= 64:
        assert "byte offset" in out, out


def test_malformed_through_openvino(tmp_path):
    """The frontend reports the reader's error through ov.convert_model."""
    for name, data, expect in _cases()[1:]:
        if data[:8] != F.MAGIC:
            continue
        path = tmp_path / "bad.ovjax"
        path.write_bytes(data)
        with pytest.raises(Exception) as ei:
            ov.convert_model(str(path))
        assert expect in str(ei.value), f"{name}: {ei.value}"


def test_random_corruption_never_crashes(tmp_path, valid):
    """Deterministic random byte corruption: the reader either accepts or rejects cleanly."""
    r = np.random.default_rng(1234)
    eq = first_eqn(valid)
    paths = []
    for i in range(300):
        m = bytearray(valid)
        for _ in range(r.integers(1, 4)):
            pos = int(r.integers(0, eq + 400 if i % 2 else len(m)))
            m[pos] = int(r.integers(0, 256))
        path = tmp_path / f"r{i}.ovjax"
        path.write_bytes(bytes(m))
        paths.append(path)
    rc, out = read_check(*paths)  # one sanitized process reads them all
    assert rc in (0, 1), f"exit {rc}: {out[-2000:]}"
    lines = out.splitlines()
    assert len(lines) == len(paths), out[-2000:]
    bad = sum(": error: " in ln for ln in lines)
    assert bad > 50  # most corruptions are detected


def test_unknown_section_is_skipped(tmp_path):
    w = GraphWriter()
    cj = jax.make_jaxpr(lambda x: x + 1.0)(np.ones(3, np.float32))
    w.graph(cj.jaxpr, cj.consts)
    b = w.graph_bytes(external=False)
    s = sections(b)
    e, _, _ = s[F.SEC_META]
    b2 = put(b, e, "<I", 99)  # META becomes an unknown kind: readers skip it
    path = tmp_path / "m.ovjax"
    path.write_bytes(b2)
    rc, out = read_check(path)
    assert rc == 0, out


def test_external_buffer_count_mismatch():
    """In-memory form: the host must supply every EXTERNAL buffer."""
    from ovjax.convert import to_frontend_input, trace

    t = trace(lambda x: x + W[0, :3], np.ones(3, np.float32))
    d = to_frontend_input(t, share_weights=True)
    assert "ovjax_buffers" in d
    d.pop("ovjax_buffers")
    fe = ovjax._library.frontend()
    with pytest.raises(Exception, match="external"):
        fe.load(d, True)
