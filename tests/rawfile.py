"""Hand-built .ovjax files, word by word, for the reader's tests (docs/format.md).

The serializer only writes files a jaxpr can produce; these build the ones it cannot
(a graph that refers to itself, a section table at the end, 10^5 buffers, ...), so
each rule of the spec is tested in both directions.
"""

from __future__ import annotations

import struct

from ovjax import format as F


def sections(b: bytes) -> dict[int, tuple[int, int, int]]:
    """A file's section table: kind -> (entry offset, section offset, section size)."""
    n, table = struct.unpack_from("<QQ", b, 16)
    out = {}
    for i in range(n):
        e = table + 32 * i
        kind, _, off, size, _ = struct.unpack_from("<IIQQQ", b, e)
        out[kind] = (e, off, size)
    return out


def put(b: bytes, off: int, fmt: str, *v, seal=True) -> bytes:
    """`b` with `v` packed at `off`; sealed (the header checksum recomputed, so that the
    reader's structural checks, not the checksum, see the change) unless seal=False."""
    m = bytearray(b)
    struct.pack_into(fmt, m, off, *v)
    return F.seal(m) if seal else bytes(m)


class Raw:
    """Strings, buffers and graphs of a file; `bytes()` lays it out."""

    def __init__(self):
        self.strings: list[bytes] = []
        self.index: dict[bytes, int] = {}
        self.buffers: list[tuple[int, int, int]] = []  # (offset, size, flags)
        self.data = b""
        self.graphs: list[list[int]] = []
        self.meta: list[tuple[int, int]] = []

    def s(self, text) -> int:
        b = text if isinstance(text, bytes) else text.encode()
        if b not in self.index:
            self.index[b] = len(self.strings)
            self.strings.append(b)
        return self.index[b]

    def buffer(self, payload: bytes) -> int:
        off = (len(self.data) + 63) // 64 * 64
        self.data = self.data.ljust(off, b"\0") + payload
        self.buffers.append((off, len(payload), 0))
        return len(self.buffers) - 1

    def graph(self, words: list[int]) -> int:
        self.graphs.append(list(words))
        return len(self.graphs) - 1

    # ---- word builders ------------------------------------------------
    @staticmethod
    def var(dtype: str, *dims) -> list[int]:
        return [F.DTYPES[dtype], len(dims), *dims]

    @staticmethod
    def v(i: int) -> list[int]:
        return [F.ATOM_VAR, i]

    def eqn(self, prim, ins, outs, params=(), source=None) -> list[int]:
        body = [self.s(prim), F.NONE if source is None else self.s(source), len(ins)]
        for a in ins:
            body += a
        body += [len(outs), *outs, len(params)]
        for k, value in params:
            body += [self.s(k), *value]
        return [len(body), *body]

    @staticmethod
    def graph_words(variables, invars, consts, outs, eqns) -> list[int]:
        w = [len(variables)]
        for v in variables:
            w += v
        w += [len(invars), *invars, len(consts)]
        for var, buf in consts:
            w += [var, buf]
        w += [len(outs)]
        for a in outs:
            w += a
        w += [len(eqns)]
        for e in eqns:
            w += e
        return w

    # ---- layout ----------------------------------------------------------
    def sections(self) -> list[tuple[int, bytes]]:
        offs, pos = [len(self.strings)], 0
        for s in self.strings:
            offs.append(pos)
            pos += len(s)
        offs.append(pos)
        strings = struct.pack(f"<{len(offs)}q", *offs) + b"".join(self.strings)
        bufs = [len(self.buffers)] + [x for b in self.buffers for x in b]
        gtab, blobs, goff = [len(self.graphs)], [], 8 + 8 * len(self.graphs)
        for g in self.graphs:
            gtab.append(goff)
            blobs.append(struct.pack(f"<{len(g)}q", *g))
            goff += 8 * len(g)
        meta = [len(self.meta)] + [x for kv in self.meta for x in kv]
        return [
            (F.SEC_STRINGS, strings),
            (F.SEC_META, struct.pack(f"<{len(meta)}q", *meta)),
            (F.SEC_BUFFERS, struct.pack(f"<{len(bufs)}q", *bufs)),
            (F.SEC_GRAPHS, struct.pack(f"<{len(gtab)}q", *gtab) + b"".join(blobs)),
        ]

    def bytes(
        self, *, table_at_end=False, minor=F.MINOR, header_size=F.HEADER_SIZE, seal=True, extra_sections=()
    ) -> bytes:
        secs = self.sections() + list(extra_sections)
        n = len(secs) + 1
        pos = header_size if not table_at_end else header_size
        table_off = None
        if not table_at_end:
            table_off = pos
            pos += 32 * n
        entries, body = [], []
        for kind, blob in secs:
            pos = (pos + 7) // 8 * 8
            entries.append((kind, pos, len(blob)))
            body.append((pos, blob))
            pos += len(blob)
        data_off = (pos + 63) // 64 * 64
        entries.append((F.SEC_DATA, data_off, len(self.data)))
        body.append((data_off, self.data))
        pos = data_off + len(self.data)
        if table_at_end:
            table_off = (pos + 7) // 8 * 8
            pos = table_off + 32 * n
        out = bytearray(pos)
        struct.pack_into("<8sHHIQQQQ", out, 0, F.MAGIC, F.MAJOR, minor, header_size, n, table_off, pos, 0)
        for i, (kind, off, size) in enumerate(entries):
            struct.pack_into("<IIQQQ", out, table_off + 32 * i, kind, 0, off, size, 0)
        for off, blob in body:
            out[off : off + len(blob)] = blob
        return F.seal(out) if seal and minor >= 1 else bytes(out)


def add_one(dtype="float32", n=3) -> Raw:
    """graph 0: y = x + 1 (an `add` of a variable and a literal)."""
    r = Raw()
    one = struct.unpack("<q", struct.pack("<d", 1.0))[0]
    eq = r.eqn("add", [Raw.v(0), [F.ATOM_LITERAL, F.DTYPES[dtype], one]], [1])
    r.graph(Raw.graph_words([Raw.var(dtype, n), Raw.var(dtype, n)], [0], [], [Raw.v(1)], [eq]))
    return r


def call_chain(depth: int, fanout: int = 1) -> Raw:
    """graph i calls graph i + 1 `fanout` times through `jit`; the last adds 1."""
    r = Raw()
    one = struct.unpack("<q", struct.pack("<d", 1.0))[0]
    for i in range(depth):
        nxt = i + 1
        eqns, variables = [], [Raw.var("float32", 3)]
        for k in range(fanout):
            variables.append(Raw.var("float32", 3))
            eqns.append(r.eqn("jit", [Raw.v(k)], [k + 1], [("jaxpr", [F.V_GRAPH, nxt]), ("name", [F.V_STR, r.s("f")])]))
        r.graph(Raw.graph_words(variables, [0], [], [Raw.v(fanout)], eqns))
    eq = r.eqn("add", [Raw.v(0), [F.ATOM_LITERAL, F.DTYPES["float32"], one]], [1])
    r.graph(Raw.graph_words([Raw.var("float32", 3), Raw.var("float32", 3)], [0], [], [Raw.v(1)], [eq]))
    return r
