"""Write the hand-made files of tests/data/fuzz_regressions/: one per past reader or
frontend bug, each built word by word (no JAX, no serializer involved).

    PYTHONPATH=src/python python fuzz/make_regressions.py tests/data/fuzz_regressions

Every file must get a clean error (or convert) from today's reader and frontend;
tests/test_fuzz_regressions.py replays them together with the crash inputs the
fuzzers found (docs/fuzzing.md). The files are committed; rerun this script only to
change or add a hand-made one.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

from ovjax import format as F


def words(*ws) -> bytes:
    return struct.pack(f"<{len(ws)}q", *ws)


def pad(b: bytes, a: int) -> bytes:
    return b + bytes(-len(b) % a)


class Model:
    """A raw .ovjax file: strings, graphs of words, buffers; assembled per docs/format.md."""

    def __init__(self):
        self.strings: list[str] = []
        self.graphs: list[bytes] = []
        self.buffers: list[tuple[int, int, int]] = []
        self.data = b""

    def s(self, text: str) -> int:
        if text not in self.strings:
            self.strings.append(text)
        return self.strings.index(text)

    def sections(self) -> list[tuple[int, bytes]]:
        meta = words(1, self.s("producer"), self.s("ovjax-fuzz-regressions"))
        raw = [t.encode("utf-8", "surrogateescape") for t in self.strings]
        offs = [0]
        for r in raw:
            offs.append(offs[-1] + len(r))
        strings = words(len(raw), *offs) + b"".join(raw)
        bufs = words(len(self.buffers), *[w for b in self.buffers for w in b])
        head = 8 * (1 + len(self.graphs))
        goffs, body = [], b""
        for g in self.graphs:
            goffs.append(head + len(body))
            body += g
        graphs = words(len(self.graphs), *goffs) + body
        return [(F.SEC_STRINGS, strings), (F.SEC_META, meta), (F.SEC_BUFFERS, bufs), (F.SEC_GRAPHS, graphs)]

    def bytes(self, minor: int = 1) -> bytes:
        secs = self.sections()
        n = len(secs) + 1
        pos = F.HEADER_SIZE + 32 * n
        entries, body = [], b""
        for kind, blob in secs:
            entries.append((kind, pos + len(body), len(blob)))
            body = pad(body + blob, 8)
        data_off = F.HEADER_SIZE + 32 * n + len(body)
        data_off += -data_off % F.DATA_ALIGN
        body += bytes(data_off - (F.HEADER_SIZE + 32 * n + len(body)))
        entries.append((F.SEC_DATA, data_off, len(self.data)))
        body += self.data
        size = F.HEADER_SIZE + 32 * n + len(body)
        header = F.MAGIC + struct.pack("<HHIQQQQ", F.MAJOR, minor, F.HEADER_SIZE, n, F.HEADER_SIZE, size, 0)
        header += bytes(F.HEADER_SIZE - len(header))
        table = b"".join(struct.pack("<IIQQQ", k, 0, o, s, 0) for k, o, s in entries)
        out = header + table + body
        assert len(out) == size
        return F.seal(out) if minor >= 1 else out


def graph(vars_, invars, outs, eqns, consts=()) -> bytes:
    """vars_: [(dtype, dims)]; outs: atoms (word lists); eqns: [(prim, [atoms], [outs], [(key, value words)])]"""
    w = [len(vars_)]
    for dt, dims in vars_:
        w += [dt, len(dims), *dims]
    w += [len(invars), *invars, len(consts)]
    for v, b in consts:
        w += [v, b]
    w += [len(outs)]
    for a in outs:
        w += a
    w += [len(eqns)]
    for prim, ins, outv, params in eqns:
        rec = [prim, -1, len(ins)]
        for a in ins:
            rec += a
        rec += [len(outv), *outv, len(params)]
        for k, val in params:
            rec += [k, *val]
        w += [len(rec), *rec]
    return words(*w)


def var(i):
    return [F.ATOM_VAR, i]


F32 = F.DTYPES["float32"]


def simple() -> Model:
    """graph 0: y = sin(x) for f32[3]"""
    m = Model()
    m.graphs.append(graph([(F32, [3]), (F32, [3])], [0], [var(1)], [(m.s("sin"), [var(0)], [1], [])]))
    return m


def strings_at_end(b: bytes, count: int, size: int, minor: int) -> bytes:
    """The STRINGS section moved to the end of the file, `size` bytes long, saying it
    holds `count` strings: the reader before 1.1 computed the room for the offsets as
    (size - 8) / 8 - 1, which wraps for 8 <= size < 16, and read offsets past the file."""
    n, table = struct.unpack_from("<QQ", b, 16)
    m = bytearray(b)
    for i in range(n):
        e = table + 32 * i
        kind, _, off, sz, _ = struct.unpack_from("<IIQQQ", m, e)
        if kind == F.SEC_STRINGS:
            tail = pad(bytes(m), 8)
            start = len(tail)
            sec = struct.pack("<Q", count) + bytes(size - 8)
            m = bytearray(tail + sec)
            struct.pack_into("<QQ", m, e + 8, start, size)
    struct.pack_into("<Q", m, 32, len(m))
    struct.pack_into("<H", m, 10, minor)
    if minor >= 1:
        return F.seal(bytes(m))
    struct.pack_into("<I", m, F.CHECKSUM_OFFSET, 0)
    return bytes(m)


def files() -> dict[str, bytes]:
    out = {}
    base = simple().bytes()
    # The STRINGS count that wrapped (fixed in 97eb4d1): 8 and 12 byte sections at the
    # end of the file with a huge count, as format 1.1 (checksum right) and 1.0 files.
    out["strings_count_wraps_8_bytes_1_1"] = strings_at_end(base, 2**62, 8, 1)
    out["strings_count_wraps_8_bytes_1_0"] = strings_at_end(base, 2**62, 8, 0)
    out["strings_count_wraps_12_bytes_1_1"] = strings_at_end(base, 2**64 - 1, 12, 1)
    out["strings_count_wraps_12_bytes_1_0"] = strings_at_end(base, 2**64 - 1, 12, 0)

    # A sub-graph that calls itself (a stack overflow in translation before 97eb4d1).
    m = Model()
    jit, key = m.s("jit"), m.s("jaxpr")
    body = graph([(F32, [3]), (F32, [3])], [0], [var(1)], [(jit, [var(0)], [1], [(key, [F.V_GRAPH, 1])])])
    m.graphs += [graph([(F32, [3]), (F32, [3])], [0], [var(1)], [(jit, [var(0)], [1], [(key, [F.V_GRAPH, 1])])]), body]
    out["recursive_subgraph"] = m.bytes()

    # An expansion bomb: 64 graphs, each calling the next twice: 2^64 equations inlined
    # (refused before translation since df87994).
    m = Model()
    jit, key, sin = m.s("jit"), m.s("jaxpr"), m.s("sin")
    depth = 64
    for g in range(depth):
        if g + 1 < depth:
            eqns = [
                (jit, [var(0)], [1], [(key, [F.V_GRAPH, g + 1])]),
                (jit, [var(1)], [2], [(key, [F.V_GRAPH, g + 1])]),
            ]
        else:
            eqns = [(sin, [var(0)], [1], []), (sin, [var(1)], [2], [])]
        m.graphs.append(graph([(F32, [3])] * 3, [0], [var(2)], eqns))
    out["expansion_bomb"] = m.bytes()

    # Sub-graph references nested deeper than 256 (each graph calls the next once).
    m = Model()
    jit, key, sin = m.s("jit"), m.s("jaxpr"), m.s("sin")
    for g in range(300):
        eq = (jit, [var(0)], [1], [(key, [F.V_GRAPH, g + 1])]) if g + 1 < 300 else (sin, [var(0)], [1], [])
        m.graphs.append(graph([(F32, [3])] * 2, [0], [var(1)], [eq]))
    out["subgraphs_300_deep"] = m.bytes()

    # Parameter values nested past the limit of 64 (tuples of tuples).
    m = Model()
    v = [F.V_INT, 1]
    for _ in range(80):
        v = [F.V_TUPLE, 1, *v]
    m.graphs.append(graph([(F32, [3]), (F32, [3])], [0], [var(1)], [(m.s("sin"), [var(0)], [1], [(m.s("axes"), v)])]))
    out["value_nested_80_deep"] = m.bytes()

    # A long tuple parameter with a wrong type (the error describes it: capped since 97eb4d1).
    m = Model()
    v = [F.V_TUPLE, 1500] + [F.V_STR, 0] * 1500
    m.graphs.append(
        graph([(F32, [2, 3]), (F32, [3])], [0], [var(1)], [(m.s("reduce_sum"), [var(0)], [1], [(m.s("axes"), v)])])
    )
    out["long_tuple_of_strings_as_axes"] = m.bytes()

    # Variables used before they are defined, and defined twice.
    m = Model()
    sin = m.s("sin")
    m.graphs.append(graph([(F32, [3])] * 3, [0], [var(2)], [(sin, [var(1)], [2], []), (sin, [var(0)], [1], [])]))
    out["use_before_definition"] = m.bytes()
    m = Model()
    m.graphs.append(graph([(F32, [3])] * 2, [0], [var(1)], [(m.s("sin"), [var(0)], [0], [])]))
    out["defined_twice"] = m.bytes()

    # Invalid UTF-8 in a string (an overlong NUL), and a 300-byte primitive name.
    m = simple()
    m.strings.append("x\udcc0\udc80y")  # bytes C0 80
    out["string_not_utf8"] = m.bytes()
    m = Model()
    m.graphs.append(graph([(F32, [3]), (F32, [3])], [0], [var(1)], [(m.s("s" * 300), [var(0)], [1], [])]))
    out["primitive_name_300_bytes"] = m.bytes()

    # Reduction axes out of the operand's range (an out-of-bounds write in the reduce
    # translators, found by fuzz_convert): rank 0 and rank 2 operands, axes 5 and -9.
    I32 = F.DTYPES["int32"]
    for name, prim, dt, dims, axes in [
        ("reduce_sum_f32_axis_out_of_range_rank0", "reduce_sum", F32, [], [5]),
        ("reduce_sum_f32_axis_out_of_range_rank2", "reduce_sum", F32, [2, 3], [1, -9]),
        ("reduce_sum_i32_axis_out_of_range_rank0", "reduce_sum", I32, [], [5]),
        ("reduce_sum_i32_axis_out_of_range_rank2", "reduce_sum", I32, [2, 3], [0, 70]),
        ("reduce_xor_i32_axis_out_of_range_rank2", "reduce_xor", I32, [2, 3], [-9]),
        ("reduce_and_i32_axis_out_of_range_rank1", "reduce_and", I32, [4], [1]),
    ]:
        m = Model()
        v = [F.V_TUPLE, len(axes)] + [w for a in axes for w in (F.V_INT, a)]
        m.graphs.append(graph([(dt, dims), (dt, [])], [0], [var(1)], [(m.s(prim), [var(0)], [1], [(m.s("axes"), v)])]))
        out[name] = m.bytes()
    return out


def main() -> int:
    outdir = Path(sys.argv[1] if len(sys.argv) > 1 else "tests/data/fuzz_regressions")
    outdir.mkdir(parents=True, exist_ok=True)
    for name, data in files().items():
        (outdir / f"{name}.ovjax").write_bytes(data)
        print(f"{name}.ovjax: {len(data)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
