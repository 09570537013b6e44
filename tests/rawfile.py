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


# ---- reading files back (the Python side's tests of what the writer wrote) -------------


def header(b: bytes) -> tuple[int, int, int]:
    """(major, minor, flags) of a file."""
    major, minor = struct.unpack_from("<HH", b, 8)
    (flags,) = struct.unpack_from("<Q", b, 40)
    return major, minor, flags


def _words(b: bytes, off: int, size: int) -> list[int]:
    return list(struct.unpack_from(f"<{size // 8}q", b, off))


def strings(b: bytes) -> list[str]:
    _, off, _ = sections(b)[F.SEC_STRINGS]
    (n,) = struct.unpack_from("<q", b, off)
    offs = struct.unpack_from(f"<{n + 1}q", b, off + 8)
    base = off + 8 + 8 * (n + 1)
    return [b[base + offs[i] : base + offs[i + 1]].decode() for i in range(n)]


def dims(b: bytes) -> tuple[list[tuple[str, int, int, int, int]], list[tuple[int, int, int]]]:
    """The DIMS section: ([(name, lower, upper, input, axis)], [(op, a, b)])."""
    _, off, size = sections(b)[F.SEC_DIMS]
    w, names = _words(b, off, size), strings(b)
    n = w[0]
    syms = [(names[w[1 + 5 * i]], *w[2 + 5 * i : 6 + 5 * i]) for i in range(n)]
    p = 1 + 5 * n
    m = w[p]
    exprs = [tuple(w[p + 1 + 3 * i : p + 4 + 3 * i]) for i in range(m)]
    assert p + 1 + 3 * m == len(w), "DIMS section longer than its records"
    return syms, exprs


class Dim:
    """A `dim` parameter value (tag 12): an expression index."""

    def __init__(self, index: int):
        self.index = index

    def __repr__(self):
        return f"Dim({self.index})"

    def __eq__(self, other):
        return isinstance(other, Dim) and other.index == self.index

    def __hash__(self):
        return hash(("Dim", self.index))


def graphs(b: bytes) -> list[dict]:
    """Every graph of a file, decoded: {"vars": [(dtype, dims)], "invars", "consts",
    "outs", "eqns": [(primitive, {param: value})]}. Values: ints, floats as their bits,
    strings, tuples, ("graph", i), ("enum", type, member), ("record", type, {field: value}),
    ("array", dtype, dims, buffer), ("dtype", code), ("unknown", ...), Dim(i)."""
    _, off, size = sections(b)[F.SEC_GRAPHS]
    w, names = _words(b, off, size), strings(b)
    n = w[0]
    starts = [x // 8 for x in w[1 : 1 + n]] + [len(w)]
    out = []
    for g in range(n):
        p = starts[g]

        def take(k=1):
            nonlocal p
            r = w[p : p + k]
            p += k
            return r if k != 1 else r[0]

        def value():
            tag = take()
            if tag == F.V_NONE:
                return None
            if tag == F.V_BOOL:
                return bool(take())
            if tag in (F.V_INT, F.V_FLOAT):
                return take()
            if tag == F.V_STR:
                return names[take()]
            if tag == F.V_DTYPE:
                return ("dtype", take())
            if tag == F.V_TUPLE:
                return tuple(value() for _ in range(take()))
            if tag == F.V_GRAPH:
                return ("graph", take())
            if tag == F.V_ENUM:
                return ("enum", names[take()], names[take()])
            if tag == F.V_RECORD:
                t = names[take()]
                return ("record", t, {names[take()]: value() for _ in range(take())})
            if tag == F.V_ARRAY:
                dt, rank = take(), take()
                return ("array", dt, take(rank) if rank != 1 else [take()], take())
            if tag == F.V_UNKNOWN:
                return ("unknown", names[take()], names[take()])
            if tag == F.V_DIM:
                return Dim(take())
            raise AssertionError(f"unknown value tag {tag}")

        def atom():
            tag = take()
            return ("var", take()) if tag == F.ATOM_VAR else ("lit", take(), take())

        variables = []
        for _ in range(take()):
            dt, rank = take(), take()
            variables.append((dt, [take() for _ in range(rank)]))
        invars = [take() for _ in range(take())]
        consts = [(take(), take()) for _ in range(take())]
        outs = [atom() for _ in range(take())]
        eqns = []
        for _ in range(take()):
            length = take()
            end = p + length
            prim, _src = names[take()], take()
            ins = [atom() for _ in range(take())]
            eq_outs = [take() for _ in range(take())]
            params = {}
            for _ in range(take()):
                k = names[take()]
                params[k] = value()
            assert p == end, f"equation {prim} record length"
            eqns.append((prim, params, ins, eq_outs))
        out.append({"vars": variables, "invars": invars, "consts": consts, "outs": outs, "eqns": eqns})
    return out


def eval_dim(exprs, symbols: list[str], i: int, env: dict[str, int]) -> int:
    """The value of expression i of a DIMS section for symbol values `env` (Python's
    floor division and modulo, as docs/format.md defines them)."""
    vals: list[int] = []
    for op, a, b in exprs[: i + 1]:
        if op == F.DIM_CONST:
            v = a
        elif op == F.DIM_SYMBOL:
            v = env[symbols[a]]
        else:
            x, y = vals[a], vals[b]
            v = {
                F.DIM_ADD: lambda: x + y,
                F.DIM_MUL: lambda: x * y,
                F.DIM_FLOORDIV: lambda: x // y,
                F.DIM_MOD: lambda: x % y,
                F.DIM_MAX: lambda: max(x, y),
                F.DIM_MIN: lambda: min(x, y),
            }[op]()
        vals.append(v)
    return vals[i]
