"""The .ovjax reader as a security boundary (docs/format.md, "What a reader checks").

Files come from anywhere and servers open them: every file either converts to the
model its bytes describe, or fails quickly with one clear, short error; nothing reads
outside the file, nothing is quadratic in it, and the memory the model reads from
lives as long as the model. Each rule of the spec is tested both ways here, on files
from the serializer and on hand-built ones (tests/rawfile.py); the standalone reader
runs under AddressSanitizer and UndefinedBehaviorSanitizer (tests/asan.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time

import jax
import jax.numpy as jnp
import numpy as np
import openvino as ov
import pytest
from jax import lax

import ovjax
from ovjax import format as F
from ovjax._jax_compat import ClosedJaxpr

from asan import read_check
from harness import assert_close, run_ov
from rawfile import Raw, add_one, call_chain, put, sections

X3 = np.array([1.0, 2.0, 3.0], np.float32)
FAST = 1.0  # seconds: every malformed case is an error within this


def rejected(data: bytes, tmp_path, expect: str, *, in_memory=True, by_reader=True) -> str:
    """Asserts every route rejects `data` quickly with `expect` in a short message: the
    sanitized standalone reader (or, for what only the frontend refuses, reads it
    cleanly), ov.convert_model on a path, ovjax.convert_model on the bytes; returns the
    message."""
    path = tmp_path / "case.ovjax"
    path.write_bytes(data)
    rc, out = read_check(path)
    if by_reader:
        assert rc == 1 and out.startswith("error: "), out[-3000:]
        assert expect in out, f"expected {expect!r} in {out!r}"
    else:
        assert rc == 0, out[-3000:]
    t = time.perf_counter()
    with pytest.raises(Exception) as ei:
        ov.convert_model(str(path))
    assert expect in str(ei.value)
    if in_memory:
        with pytest.raises(Exception) as ei2:
            ovjax.convert_model(data)
        assert expect in str(ei2.value)
    assert time.perf_counter() - t < 2 * FAST
    msg = str(ei.value)
    assert len(msg) < 5000, len(msg)
    return msg


def converts(data: bytes, fn=lambda x: x + 1.0, args=(X3,)):
    m = ovjax.convert_model(data)
    for got, want in zip(run_ov(m, args), jax.tree_util.tree_leaves(fn(*args))):
        assert_close(got, np.asarray(want))
    return m


@pytest.fixture(scope="module")
def model_bytes() -> bytes:
    w = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    return ovjax.serialize(lambda x: jnp.tanh(x @ w) * 2.0, (np.ones((2, 3), np.float32),))


# ---------------------------------------------------------------- out-of-bounds reads


@pytest.mark.parametrize("size", range(8, 16))
def test_string_count_in_a_tiny_string_section(tmp_path, size):
    """The STRINGS count check wrapped for 8 to 15 byte sections: a huge count passed and
    the reader read past the file (SIGBUS through a path, heap bytes in names in memory)."""
    b = add_one().bytes()
    e, off, _ = sections(b)[F.SEC_STRINGS]
    b = put(b, e + 16, "<Q", size, seal=False)
    b = put(b, off, "<q", (1 << 61) + 7)
    rejected(b, tmp_path, "string section of")


def test_in_memory_tensor_is_checked_like_a_file(model_bytes):
    e, off, _ = sections(model_bytes)[F.SEC_STRINGS]
    b = put(put(model_bytes, e + 16, "<Q", 12, seal=False), off, "<q", 1 << 40)
    fe = ovjax._library.frontend()
    with pytest.raises(Exception, match="string section of 12 bytes"):
        fe.load(ov.Tensor(np.frombuffer(b, np.uint8).copy()))


@pytest.mark.parametrize(
    "field, value, expect",
    [
        ("buffer count", 1 << 61, "buffer count"),
        ("graph count", (1 << 64) - 1, "graph count"),
        ("meta count", 1 << 62, "meta count"),
    ],
)
def test_counts_that_would_wrap(tmp_path, model_bytes, field, value, expect):
    kind = {"buffer count": F.SEC_BUFFERS, "graph count": F.SEC_GRAPHS, "meta count": F.SEC_META}[field]
    _, off, _ = sections(model_bytes)[kind]
    rejected(put(model_bytes, off, "<Q", value), tmp_path, expect)


def test_array_parameter_whose_element_count_wraps(tmp_path):
    """An array parameter of shape [2^32, 2^32] has 2^64 elements: 0 after wrapping, which
    matched an empty buffer."""
    r = add_one()
    buf = r.buffer(b"")
    g = r.graphs[0]
    # a parameter with an ARRAY value on the add: dims 2^32 x 2^32 of float32, empty buffer
    eq = r.eqn(
        "add", [Raw.v(0), Raw.v(0)], [1], [("bogus", [F.V_ARRAY, F.DTYPES["float32"], 2, 1 << 32, 1 << 32, buf])]
    )
    r.graphs[0] = Raw.graph_words([Raw.var("float32", 3), Raw.var("float32", 3)], [0], [], [Raw.v(1)], [eq])
    del g
    rejected(r.bytes(), tmp_path, "bad array dimension")


# ---------------------------------------------------------------- linear time, short messages


def _with_params(cj, prim, **params):
    j = cj.jaxpr
    eqns = [e.replace(params={**e.params, **params}) if e.primitive.name == prim else e for e in j.eqns]
    return ClosedJaxpr(j.replace(eqns=eqns), cj.consts)


@pytest.mark.parametrize("case", ["conv padding", "pad padding_config", "transpose permutation"])
def test_long_parameters_fail_fast_with_a_short_message(tmp_path, case):
    """64k-entry parameters: 5-28 s and half a million characters of message before."""
    n = 65536
    if case == "conv padding":
        x, w = np.ones((1, 2, 8, 8), np.float32), np.ones((3, 2, 3, 3), np.float32)
        cj = jax.make_jaxpr(lambda x, w: lax.conv_general_dilated(x, w, (1, 1), "SAME"))(x, w)
        cj = _with_params(cj, "conv_general_dilated", padding=tuple((0, 0) for _ in range(n)))
    elif case == "pad padding_config":
        cj = jax.make_jaxpr(lambda x: lax.pad(x, 0.0, [(1, 1, 0)]))(X3)
        cj = _with_params(cj, "pad", padding_config=tuple((1, 1, 0) for _ in range(n)))
    else:
        cj = jax.make_jaxpr(lambda x: x.T)(np.ones((2, 3), np.float32))
        cj = _with_params(cj, "transpose", permutation=tuple(range(n)))
    data = ovjax.serialize(cj)
    assert len(data) > 1_000_000
    path = tmp_path / "long.ovjax"
    path.write_bytes(data)
    t = time.perf_counter()
    with pytest.raises(Exception) as ei:
        ov.convert_model(str(path))
    assert time.perf_counter() - t < FAST
    msg = str(ei.value)
    assert len(msg) < 2000, len(msg)
    assert "equation 0" in msg
    rc, out = read_check(path)  # the standalone reader walks and describes every value
    assert rc == 0, out


def test_many_buffers_are_checked_in_linear_time(tmp_path):
    """Overlap between buffers was checked pairwise: 10^5 buffers took minutes."""
    r = add_one()
    n = 100_000
    r.data = bytes(64 * n)
    r.buffers = [(64 * i, 64, 0) for i in range(n)]
    data = r.bytes()
    path = tmp_path / "bufs.ovjax"
    path.write_bytes(data)
    t = time.perf_counter()
    converts(data)
    assert time.perf_counter() - t < FAST
    r.buffers[-1] = (64 * (n - 2), 64, 0)  # the last overlaps the one before it
    rejected(r.bytes(), tmp_path, f"buffer {n - 1} overlaps buffer {n - 2}")


def test_value_nesting_is_bounded(tmp_path):
    def nested(depth):
        r = add_one()
        value = [F.V_INT, 1]
        for _ in range(depth):
            value = [F.V_TUPLE, 1, *value]
        eq = r.eqn("add", [Raw.v(0), Raw.v(0)], [1], [("deep", value)])
        r.graphs[0] = Raw.graph_words([Raw.var("float32", 3), Raw.var("float32", 3)], [0], [], [Raw.v(1)], [eq])
        return r.bytes()

    converts(nested(64), lambda x: x + x)
    rejected(nested(65), tmp_path, "nested more than 64 deep")


# ---------------------------------------------------------------- sub-graphs: depth, cycles, bombs


def test_sub_graph_nesting_is_bounded(tmp_path):
    converts(call_chain(256).bytes())
    rejected(call_chain(257).bytes(), tmp_path, "nest 257 deep")


def test_deep_nesting_converts_on_a_thread():
    """The deepest allowed nesting fits the stack of an ordinary thread."""
    data = call_chain(256).bytes()
    result = []
    t = threading.Thread(target=lambda: result.append(run_ov(ovjax.convert_model(data), (X3,))[0]))
    t.start()
    t.join()
    np.testing.assert_array_equal(result[0], X3 + 1)


def test_recursive_graphs_are_rejected(tmp_path):
    r = call_chain(3)
    # graph 2 calls graph 1, which calls graph 2
    eq = r.eqn("jit", [Raw.v(0)], [1], [("jaxpr", [F.V_GRAPH, 1])])
    r.graphs[2] = Raw.graph_words([Raw.var("float32", 3), Raw.var("float32", 3)], [0], [], [Raw.v(1)], [eq])
    rejected(r.bytes(), tmp_path, "refers to itself")


def _nested_jits(depth):
    f = lambda x: x + 1.0  # noqa: E731
    for _ in range(depth):
        g = f
        f = jax.jit(lambda x, g=g: g(g(x)))
    return f


def test_expansion_bomb_is_refused_before_anything_is_built(tmp_path):
    """22 nested jits calling the next twice: 12 KB that inline to ~4M equations (9-14 s and
    several GB before bad_alloc). JAX itself writes such files."""
    data = ovjax.serialize(_nested_jits(22), (X3,))
    assert len(data) < 20_000
    msg = rejected(data, tmp_path, "raise the conversion option 'max_expanded_size'", by_reader=False)
    assert "more than the limit of 2000000" in msg


def test_expansion_limit_is_an_option():
    f = _nested_jits(8)  # 256 calls
    data = ovjax.serialize(f, (X3,))
    with pytest.raises(Exception, match="more than the limit of 500"):
        ovjax.convert_model(data, options={"max_expanded_size": 500})
    converts(data, f)
    m = ovjax.convert_model(data, options={"max_expanded_size": 10_000})
    np.testing.assert_allclose(run_ov(m, (X3,))[0], f(X3))
    # from C++'s load(model, options) form too
    fe = ovjax._library.frontend()
    with pytest.raises(Exception, match="more than the limit of 7"):
        fe.load(
            {"ovjax_graph": ov.Tensor(np.frombuffer(data, np.uint8).copy()), "ovjax_options": {"max_expanded_size": 7}}
        )


def test_option_errors_name_the_option():
    with pytest.raises(Exception, match="(?s)unknown conversion option 'max_size'.*max_expanded_size"):
        ovjax.convert_model(add_one().bytes(), options={"max_size": 1})
    with pytest.raises(Exception, match="'max_expanded_size' takes a non-negative integer"):
        ovjax.convert_model(add_one().bytes(), options={"max_expanded_size": -3})
    with pytest.raises(TypeError, match="options must be a dict"):
        ovjax.convert_model(add_one().bytes(), options=[("max_expanded_size", 3)])


@pytest.mark.parametrize("case", ["unrolled scan", "nested short scans"])
def test_unrolled_loops_count_toward_the_limit(tmp_path, case):
    if case == "unrolled scan":

        def f(x):
            return lax.scan(lambda c, _: (c * 1.0001 + 1.0, None), x, None, length=10**6, unroll=True)[0]
    else:

        def nest(x, k):
            if k == 0:
                return jnp.sin(x) + 1.0
            return lax.scan(lambda c, _: (nest(c, k - 1), None), x, None, length=16)[0]

        def f(x):
            return nest(x, 6)  # 16^6 inlined bodies

    rejected(ovjax.serialize(f, (X3,)), tmp_path, "every unrolled loop repeated", by_reader=False)


# ---------------------------------------------------------------- the spec, both ways


def test_section_table_anywhere_after_the_header(model_bytes):
    converts(add_one().bytes(table_at_end=True))
    converts(add_one().bytes(header_size=128))  # a longer header: the rest is skipped


def test_minor_0_files_without_checksum_still_read(tmp_path):
    b = add_one().bytes(minor=0)
    assert b[48:64] == bytes(16)
    converts(b)
    rejected(put(b, 48, "<I", 0x1234, seal=False), tmp_path, "reserved header byte is not 0")


@pytest.mark.parametrize(
    "where, fmt, value, expect",
    [
        ("header flags", "<Q", 1, "header flags 1 name a feature this reader does not know"),  # a 1.1 file
        ("header flags", "<Q", 6, "header flags 6 name a feature this reader does not know"),
        ("reserved header byte", "<B", 1, "reserved header byte is not 0"),
        ("entry flags", "<I", 2, "has flags 2 (must be 0)"),
        ("entry reserved", "<Q", 5, "reserved word is not 0"),
        ("newer major", "<H", 2, "unsupported format version 2"),
    ],
)
def test_flags_and_reserved_words(tmp_path, where, fmt, value, expect):
    b = add_one().bytes()
    off = {"header flags": 40, "reserved header byte": 60, "newer major": 8}.get(where)
    if off is None:
        e, _, _ = sections(b)[F.SEC_GRAPHS]
        off = e + (4 if where == "entry flags" else 24)
    rejected(put(b, off, fmt, value), tmp_path, expect)


def test_a_newer_minor_may_use_the_reserved_bytes():
    b = add_one().bytes(minor=F.MINOR_SYMBOLIC + 1)
    converts(put(b, 60, "<I", 0xABCD))


@pytest.mark.parametrize(
    "name, raw, ok",
    [
        ("ascii", b"x", True),
        ("two-byte", "größe".encode(), True),
        ("four-byte", "𝑥".encode(), True),
        ("lone continuation", b"\x80x", False),
        ("overlong", b"\xc0\xaf", False),
        ("surrogate", b"\xed\xa0\x80", False),
        ("past U+10FFFF", b"\xf4\x90\x80\x80", False),
        ("truncated", b"ab\xe2\x82", False),
    ],
)
def test_strings_are_utf8(tmp_path, name, raw, ok):
    r = add_one()
    r.meta.append((r.s("producer"), r.s(raw)))
    if ok:
        converts(r.bytes())
    else:
        rejected(r.bytes(), tmp_path, "is not valid UTF-8")


@pytest.mark.parametrize(
    "dims, expect",
    [
        ((1 << 32, 1 << 32), "element count overflows 64 bits"),
        ((1 << 20, 1 << 20, 1 << 20, 1 << 20), "element count overflows 64 bits"),
        ((1 << 25, 1 << 25), "larger than any machine can hold"),
    ],
)
def test_variables_too_large_for_any_machine(tmp_path, dims, expect):
    r = add_one()
    g = r.graphs[0]
    r.graphs[0] = Raw.graph_words(
        [Raw.var("float32", *dims), Raw.var("float32", *dims)],
        [0],
        [],
        [Raw.v(1)],
        [r.eqn("add", [Raw.v(0), Raw.v(0)], [1])],
    )
    del g
    rejected(r.bytes(), tmp_path, expect)


def _graph_of(r: Raw, variables, invars, outs, eqns):
    r.graphs[0] = Raw.graph_words(variables, invars, [], outs, eqns)
    return r.bytes()


def test_definitions_before_use(tmp_path):
    f3 = Raw.var("float32", 3)
    r = add_one()
    twice = _graph_of(r, [f3, f3], [0], [Raw.v(1)], [r.eqn("sin", [Raw.v(0)], [1]), r.eqn("cos", [Raw.v(0)], [1])])
    rejected(twice, tmp_path, "variable 1 is defined twice")
    r = add_one()
    early = _graph_of(r, [f3, f3, f3], [0], [Raw.v(2)], [r.eqn("sin", [Raw.v(1)], [2]), r.eqn("cos", [Raw.v(0)], [1])])
    rejected(early, tmp_path, "variable 1 is used before it is defined")
    r = add_one()
    never = _graph_of(r, [f3, f3], [0], [Raw.v(1)], [])
    rejected(never, tmp_path, "variable 1 is used before it is defined")
    r = add_one()
    input_twice = _graph_of(r, [f3, f3], [0, 0], [Raw.v(0)], [])
    rejected(input_twice, tmp_path, "variable 0 is defined twice")


def test_booleans_are_0_or_1(tmp_path):
    b1 = Raw.var("bool", 3)
    r = add_one()
    lit = _graph_of(r, [b1, b1], [0], [Raw.v(1)], [r.eqn("and", [Raw.v(0), [F.ATOM_LITERAL, 0, 2]], [1])])
    rejected(lit, tmp_path, "boolean literal 2 is not 0 or 1")
    r = add_one()
    par = _graph_of(r, [b1, b1], [0], [Raw.v(1)], [r.eqn("not", [Raw.v(0)], [1], [("flag", [F.V_BOOL, 7])])])
    rejected(par, tmp_path, "boolean parameter value 7 is not 0 or 1")


@pytest.mark.parametrize("name, expect", [(b"", "has 0 bytes"), (b"p" * 257, "has 257 bytes")])
def test_primitive_names_are_short(tmp_path, name, expect):
    r = add_one()
    f3 = Raw.var("float32", 3)
    rejected(_graph_of(r, [f3, f3], [0], [Raw.v(1)], [r.eqn(name, [Raw.v(0)], [1])]), tmp_path, expect)


def test_first_string_offset_is_0(tmp_path):
    b = add_one().bytes()
    _, off, _ = sections(b)[F.SEC_STRINGS]
    rejected(put(b, off + 8, "<q", 1), tmp_path, "the first string offset is 1")


def test_external_buffer_offset_is_0():
    from ovjax.convert import to_frontend_input, trace

    w = jnp.arange(3.0)
    d = to_frontend_input(trace(lambda x: x + w, X3), share_weights=True)
    b = d["ovjax_graph"].data.tobytes()
    _, off, _ = sections(b)[F.SEC_BUFFERS]
    d["ovjax_graph"] = ov.Tensor(np.frombuffer(put(b, off + 8, "<q", 64), np.uint8).copy())
    with pytest.raises(Exception, match="external buffer 0 has offset 64"):
        ovjax._library.frontend().load(d)


# ---------------------------------------------------------------- the checksum


def test_any_flipped_byte_outside_the_weights_is_an_error(tmp_path, model_bytes):
    """Every byte of the header, table, strings, buffer table and graphs is covered."""
    _, data_off, data_size = sections(model_bytes)[F.SEC_DATA]
    paths = []
    for pos in range(0, data_off, 3):
        m = bytearray(model_bytes)
        m[pos] ^= 0x10
        p = tmp_path / f"f{pos}.ovjax"
        p.write_bytes(bytes(m))
        paths.append(p)
    rc, out = read_check(*paths)
    lines = out.splitlines()
    assert rc == 1 and len(lines) == len(paths), out[-2000:]
    accepted = [ln for ln in lines if ": error: " not in ln]
    assert not accepted, accepted[:5]
    by_checksum = sum("checksum mismatch" in ln for ln in lines)
    assert by_checksum > len(lines) * 0.8  # the rest fail earlier (magic, version, sizes)


def test_random_mutations_never_compute_something_else(tmp_path, model_bytes):
    """300 random mutations (36 were accepted before, 5 of them a different function): only
    changes to the weights (DATA, not covered by the checksum) may still convert."""
    _, data_off, data_size = sections(model_bytes)[F.SEC_DATA]
    r = np.random.default_rng(1234)
    n_ok = n_weights = 0
    for i in range(300):
        m = bytearray(model_bytes)
        touched = [int(r.integers(0, len(m))) for _ in range(r.integers(1, 4))]
        for pos in touched:
            m[pos] = int(r.integers(0, 256))
        if bytes(m) == model_bytes:
            continue
        in_data = all(data_off <= p < data_off + data_size for p in touched)
        try:
            ovjax.convert_model(bytes(m))
            n_ok += 1
            assert in_data, f"mutation at {touched} outside DATA was accepted"
        except Exception as e:  # noqa: BLE001 - any clean error
            assert "ovjax" in str(e)
        n_weights += in_data
    assert n_ok <= n_weights


# ---------------------------------------------------------------- lifetimes


def test_tensor_dropped_before_convert():
    """FrontEnd.load(ov.Tensor(array, shared_memory=True)), drop the tensor and the array,
    then convert: SIGSEGV before (the model viewed memory it did not own)."""
    code = textwrap.dedent(
        """
        import gc, numpy as np, openvino as ov, ovjax, jax.numpy as jnp
        arr = np.frombuffer(ovjax.serialize(lambda x: x * 2.0 + jnp.arange(3.0), (np.ones(3, np.float32),)),
                            np.uint8).copy()
        fe = ovjax._library.frontend()
        t = ov.Tensor(arr, shared_memory=True)
        im = fe.load(t)
        del t, arr
        gc.collect()
        junk = [np.full(4096, 0xAB, np.uint8) for _ in range(2000)]  # reuse the freed memory
        m = fe.convert(im)
        del im, fe
        gc.collect()
        junk2 = [np.full(4096, 0xCD, np.uint8) for _ in range(2000)]
        out = ov.Core().compile_model(m, "CPU")([np.ones(3, np.float32)])[0]
        print(out.tolist())
        """
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    assert p.stdout.strip().splitlines()[-1] == "[2.0, 3.0, 4.0]"


def test_map_without_keepalive_is_copied():
    """The in-memory map without the owner's keep-alive: the frontend copies."""
    from ovjax.convert import to_frontend_input, trace

    w = jnp.arange(3.0)
    d = to_frontend_input(trace(lambda x: x + w, X3), share_weights=True)
    graph = d["ovjax_graph"].data.copy()
    buf = d["ovjax_buffers"]["0"].data.copy()
    d = {
        "ovjax_graph": ov.Tensor(graph, shared_memory=True),
        "ovjax_buffers": {"0": ov.Tensor(buf, shared_memory=True)},
    }
    fe = ovjax._library.frontend()
    im = fe.load(d)
    del d
    graph[:] = 0xFF
    buf[:] = 0xFF  # the host reuses its memory: the model must not see it
    m = fe.convert(im)
    np.testing.assert_array_equal(run_ov(m, (X3,))[0], X3 + np.arange(3.0, dtype=np.float32))


# ---------------------------------------------------------------- entry points say what they got


@pytest.mark.parametrize(
    "obj, exc, expect",
    [
        ("missing.ovjax", FileNotFoundError, "no file 'missing.ovjax'"),
        (os.path.abspath(__file__), ValueError, "is not an .ovjax file"),
        (object(), TypeError, "cannot convert an object of type builtins.object"),
        (b"junk", ValueError, "do not start with the .ovjax magic bytes"),
        (42, TypeError, "cannot convert an object of type builtins.int"),
    ],
)
def test_convert_model_names_what_it_got(obj, exc, expect):
    with pytest.raises(exc) as ei:
        ovjax.convert_model(obj)
    assert expect in str(ei.value)
    assert "ovjax converts" in str(ei.value) or exc is not TypeError


def test_convert_model_takes_paths_and_bytes(tmp_path):
    f = lambda x: jnp.sin(x) * 3.0  # noqa: E731
    path = tmp_path / "m.ovjax"
    ovjax.save(f, path, example_input=(X3,))
    for src in (path, str(path), path.read_bytes(), bytearray(path.read_bytes())):
        np.testing.assert_allclose(run_ov(ovjax.convert_model(src), (X3,))[0], f(X3), rtol=1e-6)


def test_frontend_load_names_what_it_got():
    fe = ovjax._library.frontend()
    with pytest.raises(Exception, match="cannot load a model from a map with keys 'x'"):
        fe.load({"x": 1})


# ---------------------------------------------------------------- many conversions


def test_one_file_converted_from_many_threads(tmp_path, model_bytes):
    path = tmp_path / "m.ovjax"
    path.write_bytes(model_bytes)
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    results, errors = [None] * 8, []

    def work(i):
        try:
            m = ov.convert_model(str(path)) if i % 2 else ovjax.convert_model(model_bytes)
            ops = [
                (op.get_type_name(), str(op.get_output_partial_shape(0)) if op.get_output_size() else "")
                for op in m.get_ordered_ops()
            ]
            results[i] = (ops, run_ov(m, (x,))[0])
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for ops, out in results[1:]:
        assert ops == results[0][0]
        np.testing.assert_array_equal(out, results[0][1])


def test_a_thousand_conversions_keep_memory_flat(tmp_path, model_bytes):
    """Converting 1,000 models in one process: resident memory stays flat (a leak of the
    file, its index or the models would grow it by the file size each time)."""
    path = tmp_path / "m.ovjax"
    path.write_bytes(model_bytes)
    code = textwrap.dedent(
        f"""
        import gc, resource, numpy as np, openvino as ov, ovjax
        data = open({str(path)!r}, "rb").read()
        x = np.ones((2, 3), np.float32)
        def rss():
            return int(open("/proc/self/statm").read().split()[1]) * 4096
        def round():
            m = ov.convert_model({str(path)!r}) if i % 2 else ovjax.convert_model(data)
            if i % 50 == 0:
                ov.Core().compile_model(m, "CPU")([x])
        for i in range(200):
            round()
        gc.collect()
        before = rss()
        for i in range(200, 1000):
            round()
        gc.collect()
        print(before, rss())
        """
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    before, after = map(int, p.stdout.split()[-2:])
    assert after - before < 16 << 20, f"RSS grew {(after - before) >> 20} MB over 800 conversions"


def test_constants_built_from_shapes_are_budgeted():
    """An iota, a fill or random bits are built as constants from a shape the file gives:
    a few KB could ask for terabytes (fuzz_convert found 8 GB to 12 TB requests)."""
    f = lambda: lax.iota(jnp.int32, 1 << 20) * 3  # noqa: E731
    data = ovjax.serialize(f, ())
    with pytest.raises(Exception, match="more than 1000000 bytes of constants.*'max_constant_bytes'"):
        ovjax.convert_model(data, options={"max_constant_bytes": 1_000_000})
    m = ovjax.convert_model(data)  # 4 MB: within the default budget
    np.testing.assert_array_equal(run_ov(m, ())[0], np.asarray(f()))
    big = _with_params(jax.make_jaxpr(lambda: lax.iota(jnp.int8, 16))(), "iota", shape=(1 << 33,))
    t = time.perf_counter()
    with pytest.raises(Exception, match="'max_constant_bytes'"):
        ovjax.convert_model(ovjax.serialize(big))
    assert time.perf_counter() - t < FAST


def test_integer_fill_values_must_fit_their_type():
    x = np.arange(6, dtype=np.int32)
    idx = np.array([[1], [7]], np.int32)
    dn = lax.GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=(0,), start_index_map=(0,))
    fn = lambda x, i: lax.gather(x, i, dn, (1,), mode="fill", fill_value=-5)  # noqa: E731
    cj = jax.make_jaxpr(fn)(x, idx)
    np.testing.assert_array_equal(run_ov(ovjax.convert_model(cj), (x, idx))[0], np.asarray(fn(x, idx)))
    for bad in (float("nan"), 1e300, 2.5):
        with pytest.raises(Exception, match="does not fit a constant of type i32"):
            ovjax.convert_model(ovjax.serialize(_with_params(cj, "gather", fill_value=bad)))


@pytest.mark.parametrize(
    "case",
    ["lhs_dilation", "feature_group_count", "pad interior", "window padding", "slice strides", "slice_sizes"],
)
def test_size_arithmetic_on_extreme_parameters_is_an_error(case):
    """Sizes, strides and dilations near 2^62 or 2^63 made the shape rules overflow int64
    (undefined behaviour; fuzz_convert and fuzz/extreme_params.py found them): each is now
    a clean error naming the equation."""
    big, x4 = 2**62, np.ones((1, 2, 8, 8), np.float32)
    if case in ("lhs_dilation", "feature_group_count"):
        cj = jax.make_jaxpr(lambda x, w: lax.conv_general_dilated(x, w, (1, 1), "SAME"))(
            x4, np.ones((3, 2, 3, 3), np.float32)
        )
        p = {"lhs_dilation": (big, 1)} if case == "lhs_dilation" else {"feature_group_count": big}
        cj, prim = _with_params(cj, "conv_general_dilated", **p), "conv_general_dilated"
    elif case == "pad interior":
        cj = _with_params(
            jax.make_jaxpr(lambda x: lax.pad(x, 0.0, [(1, 1, 0)]))(X3), "pad", padding_config=((1, 1, big),)
        )
        prim = "pad"
    elif case == "window padding":
        cj = jax.make_jaxpr(lambda x: lax.reduce_window(x, 0.0, lax.add, (1, 1, 2, 2), (1, 1, 1, 1), "VALID"))(x4)
        cj = _with_params(cj, "reduce_window_sum", padding=((0, 0), (0, 0), (0, 2**63 - 1), (0, 2**63 - 1)))
        prim = "reduce_window_sum"
    elif case == "slice strides":
        cj = _with_params(jax.make_jaxpr(lambda x: x[1:])(X3), "slice", strides=(2**63 - 1,))
        prim = "slice"
    else:
        cj = jax.make_jaxpr(lambda x, i: lax.dynamic_slice(x, (i,), (2,)))(X3, np.int32(0))
        cj, prim = _with_params(cj, "dynamic_slice", slice_sizes=(-(2**63),)), "dynamic_slice"
    with pytest.raises(Exception) as ei:
        ovjax.convert_model(ovjax.serialize(cj))
    msg = str(ei.value)
    expect = {
        "feature_group_count": "x feature_group_count 4611686018427387904",
        "slice strides": "has shape [1] but JAX says [2]",
        "slice_sizes": "slice size -9223372036854775808 does not fit",
    }.get(case, "size arithmetic overflows")
    assert f"'{prim}'" in msg and expect in msg, msg[:2000]


@pytest.mark.parametrize("length", [-1, -2, -(2**63)])
def test_negative_scan_length_is_an_error(length):
    """A negative integer where a dimension goes (scan's length) was read as a symbolic
    dimension word and indexed the expression table out of bounds (fuzz/extreme_params.py
    found it): dimension parameters reject negative integers."""
    cj = jax.make_jaxpr(lambda x: lax.scan(lambda c, _: (c * 2.0, c), x, None, length=4))(np.ones(3, np.float32))
    cj = _with_params(cj, "scan", length=length)
    with pytest.raises(Exception, match=r"'scan'.*length: expected a dimension \(an integer >= 0, or symbolic\)"):
        ovjax.convert_model(cj)
