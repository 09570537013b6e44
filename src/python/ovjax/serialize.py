"""Serialize a ClosedJaxpr into the .ovjax binary graph format (docs/format.md).

The writer walks the jaxpr once. Each equation's parameters are first put in their
release-independent form (``_jax_compat.eqn_params``), then every parameter object is
normalised into the format's typed values here, so the C++ side never sees a Python
object nor learns which JAX release traced the model. Weights (the
ClosedJaxpr's consts) are either written into the file's data section
(``external=False``: ``write``, ``graph_bytes``) or handed over as separate host
buffers (``to_buffer(external=True)``, which ``convert.to_frontend_input`` uses for
in-memory conversion so that no second copy of the weights is made).

Symbolic dimensions (a jaxpr traced with ``jax.export.symbolic_shape``) go into one
table of expressions for the whole file (``_Dims``, the DIMS section): a variable's
symbolic dimension is the word ``-2 - i`` and a parameter's the value ``dim`` i. A file
without any is written exactly as format 1.1 (minor 1, no flag, no DIMS section).
"""

from __future__ import annotations

import dataclasses
import enum
import operator
import struct
import zlib
from array import array
from typing import Any, Sequence

import numpy as np

from . import _expand, _hoist
from ._options import SerializeOptions, split
from . import format as F
from . import _jax_compat as _compat
from ._jax_compat import DimExpr, DropVar, Literal, eqn_params as _eqn_params, is_jaxpr, primitive_name, sub_jaxpr

_pack_d = struct.Struct("<d").pack
_unpack_q = struct.Struct("<q").unpack

# Parameters that describe placement or compilation, never the computation.
_SKIP_PARAMS = frozenset(
    {
        "in_shardings",
        "out_shardings",
        "in_layouts",
        "out_layouts",
        "donated_invars",
        "ctx_mesh",
        "compiler_options_kvs",
        "sharding",
        "out_sharding",
        "jvp_jaxpr_fun",
        "jvp_jaxpr_thunk",
        "fwd_jaxpr_thunk",
        "bwd",
        "out_trees",
        "jvp",
        "fwd",
    }
)


def _float_bits(x: float) -> int:
    return _unpack_q(_pack_d(float(x)))[0]


def dtype_name(dt) -> str:
    """Normalised dtype name of a numpy/JAX dtype (extended dtypes included)."""
    try:
        name = np.dtype(dt).name
    except TypeError:
        name = str(dt)
    if name.startswith("key<"):
        return "key"
    return name


_DTYPE_CODES: dict = {}


def dtype_code(dt) -> int:
    try:
        return _DTYPE_CODES[dt]
    except (KeyError, TypeError):
        pass
    code = _dtype_code(dt)
    try:
        _DTYPE_CODES[dt] = code
    except TypeError:
        pass
    return code


def _dtype_code(dt) -> int:
    name = dtype_name(dt)
    try:
        return F.DTYPES[name]
    except KeyError:
        raise TypeError(f"ovjax: dtype {name!r} has no .ovjax encoding") from None


class GraphWriter:
    """Accumulates strings, buffers and graphs; produces the file layout."""

    def __init__(self, options: SerializeOptions | None = None) -> None:
        # None: the serializer's options from the environment, else the defaults
        self.options = options if options is not None else split(None, to_frontend=False)[0]
        self.strings: list[bytes] = []
        self._string_ids: dict[str, int] = {}
        self.buffers: list[np.ndarray] = []  # contiguous arrays, one per buffer
        self._buffer_ids: dict[int, int] = {}
        self._keepalive: list[Any] = []
        self.graphs: list[array | None] = []
        self._graph_ids: dict[int, int] = {}
        self.meta: dict[str, str] = {}
        self.input_names: list[str] = []
        self.output_names: list[str] = []
        self._expander = _expand.Expander()
        # effect-only equations left out of the graph: primitive name -> count
        self.dropped_effects: dict[str, int] = {}
        self._dims = _Dims(self.string)  # symbolic dimensions (the DIMS section), if any

    # ---- interning -------------------------------------------------
    def string(self, s: str) -> int:
        i = self._string_ids.get(s)
        if i is None:
            i = len(self.strings)
            self._string_ids[s] = i
            self.strings.append(s.encode("utf-8"))
        return i

    def buffer(self, value) -> tuple[int, np.ndarray]:
        key = id(value)
        i = self._buffer_ids.get(key)
        if i is not None:
            return i, self.buffers[i]
        arr = _host_array(value)
        i = len(self.buffers)
        self._buffer_ids[key] = i
        self._keepalive.append(value)
        self.buffers.append(arr)
        return i, arr

    # ---- graphs ----------------------------------------------------
    def graph(self, jaxpr, consts: Sequence[Any] = ()) -> int:
        """Index of the graph for (jaxpr, consts); serialized once per object."""
        key = id(jaxpr)
        i = self._graph_ids.get(key)
        if i is not None:
            return i
        i = len(self.graphs)
        self._graph_ids[key] = i
        self.graphs.append(None)  # reserve: sub-graphs get later indices
        self._keepalive.append(jaxpr)
        self.graphs[i] = self._encode_graph(jaxpr, consts, i == 0)
        return i

    def _encode_graph(self, jaxpr, consts, top: bool = False) -> array:
        w = array("q")
        ids: dict[Any, int] = {}
        var_words: list[int] = []
        token = F.DTYPES["token"]

        def var(v) -> int:
            j = ids.get(v)
            if j is None:
                j = len(ids)
                ids[v] = j
                aval = v.aval
                try:
                    shape, dt = _physical_shape(aval), aval.dtype
                except AttributeError:  # tokens and other non-array avals
                    shape, dt = (), None
                var_words.append(token if dt is None else dtype_code(dt))
                var_words.append(len(shape))
                var_words.extend(shape)
            return j

        def atom(a, out: array) -> None:
            if isinstance(a, Literal):
                out.append(F.ATOM_LITERAL)
                val = a.val
                dt = a.aval.dtype
                out.append(dtype_code(dt))
                out.append(_scalar_bits(val, dt))
            else:
                out.append(F.ATOM_VAR)
                out.append(var(a))

        invars = [var(v) for v in jaxpr.invars]
        constvars = jaxpr.constvars
        if len(consts) != len(constvars):
            if consts:
                raise ValueError("ovjax: ClosedJaxpr consts do not match its constvars")
        const_pairs = []
        for v, c in zip(constvars, consts):
            b, arr = self.buffer(c)
            vid = var(v)
            if tuple(arr.shape) != _physical_shape(v.aval):
                raise ValueError(f"ovjax: const for {v} has shape {arr.shape}, expected {_physical_shape(v.aval)}")
            const_pairs.append((vid, b))
        if len(consts) == 0 and constvars:
            # An open Jaxpr whose constvars are bound by the caller: treat them as inputs.
            invars = [var(v) for v in constvars] + invars
        if top:  # the model's inputs: where symbols are read from (and numbered in order)
            in_vars = (list(constvars) if len(consts) == 0 and constvars else []) + list(jaxpr.invars)
            self._dims.set_inputs([_shape_or_none(v.aval) for v in in_vars])

        # The hot loop: plain lists and local names (this runs once per equation).
        eqn_words: list[int] = []
        string = self.string
        value = self._value
        skip = _SKIP_PARAMS
        ids_get = ids.get
        lit_t = Literal
        drop_t = DropVar
        expandable = _expand.EXPANSIONS
        key_expandable = _expand.KEY_EXPANSIONS
        complex_expandable = _expand.COMPLEX_EXPANSIONS
        eqns = _without_effects(jaxpr, self.dropped_effects)
        for eqn in eqns:
            name = eqn.primitive.name
            if (
                name in expandable
                or (name in complex_expandable and _expand.expands_complex(eqn))
                or (name in key_expandable and _expand.expands_key_impl(eqn))
            ):
                # JAX lowers it from a Python implementation: write that as a call
                eqn_params = {"call_jaxpr": self._expander(eqn), _expand.EXPANDED_FROM: name}
                name = _expand.CALL
            elif name == "scan" and self.options.scan_hoist and (hoisted := _hoist.hoist_scan(eqn)) is not None:
                # the body's per-step work on xs done for all steps before the loop
                eqn_params = {"call_jaxpr": hoisted, _expand.EXPANDED_FROM: name}
                name = _expand.CALL
            else:
                eqn_params = _eqn_params(eqn)
                name = primitive_name(eqn)
            rec = [string(name), _source(eqn, string)]
            ins = eqn.invars
            rec.append(len(ins))
            for a in ins:
                if type(a) is lit_t or isinstance(a, lit_t):
                    dt = a.aval.dtype
                    rec += (F.ATOM_LITERAL, dtype_code(dt), _scalar_bits(a.val, dt))
                else:
                    j = ids_get(a)
                    rec += (F.ATOM_VAR, var(a) if j is None else j)
            outs_ = eqn.outvars
            rec.append(len(outs_))
            for v in outs_:
                rec.append(F.NONE if isinstance(v, drop_t) else var(v))
            params = [(k, p) for k, p in eqn_params.items() if k not in skip]
            rec.append(len(params))
            for k, p in params:
                rec.append(string(k))
                value(p, rec)
            eqn_words.append(len(rec))
            eqn_words += rec

        outs = array("q")
        for a in jaxpr.outvars:
            atom(a, outs)

        w.append(len(ids))
        try:
            w.extend(array("q", var_words))
        except TypeError:  # symbolic dimensions among the words (a static graph never gets here)
            word = self._dims.word
            w.extend(array("q", [d if type(d) is int else word(d) for d in var_words]))
        w.append(len(invars))
        w.extend(invars)
        w.append(len(const_pairs))
        for vid, b in const_pairs:
            w.append(vid)
            w.append(b)
        w.append(len(jaxpr.outvars))
        w.extend(outs)
        w.append(len(eqns))
        w.extend(array("q", eqn_words))
        return w

    # ---- param values ----------------------------------------------
    def _value(self, p, out) -> None:
        # fast paths for the exact types most parameters have
        t = type(p)
        if t is tuple:
            out.append(F.V_TUPLE)
            out.append(len(p))
            for x in p:
                self._value(x, out)
            return
        if t is int:
            out.append(F.V_INT)
            out.append(p)
            return
        if t is bool:
            out.append(F.V_BOOL)
            out.append(1 if p else 0)
            return
        if p is None:
            out.append(F.V_NONE)
            return
        if t is str:
            out.append(F.V_STR)
            out.append(self.string(p))
            return
        self._value_slow(p, out)

    def _value_slow(self, p, out: array) -> None:
        # _value has written None and the exact types int, bool, str and tuple
        if isinstance(p, (bool, np.bool_)):
            out.append(F.V_BOOL)
            out.append(int(bool(p)))
        elif isinstance(p, enum.Enum):
            out.append(F.V_ENUM)
            out.append(self.string(type(p).__name__))
            out.append(self.string(p.name))
        elif isinstance(p, (int, np.integer)):
            out.append(F.V_INT)
            out.append(int(p))
        elif isinstance(p, (float, np.floating)):
            out.append(F.V_FLOAT)
            out.append(_float_bits(p))
        elif isinstance(p, str):
            out.append(F.V_STR)
            out.append(self.string(p))
        elif is_jaxpr(p):  # a sub-jaxpr: its consts become the graph's buffers
            out.append(F.V_GRAPH)
            out.append(self.graph(*sub_jaxpr(p)))
        elif isinstance(p, tuple) and hasattr(p, "_fields"):  # NamedTuple records
            self._record(type(p).__name__, [(f, getattr(p, f)) for f in p._fields], out)
        elif callable(getattr(p, "bind", None)) and isinstance(getattr(p, "name", None), str):
            # a JAX Primitive (select_and_scatter_add's select_prim): its name
            out.append(F.V_STR)
            out.append(self.string(p.name))
        elif isinstance(p, (tuple, list)):
            out.append(F.V_TUPLE)
            out.append(len(p))
            for x in p:
                self._value(x, out)
        elif isinstance(p, np.dtype) or (isinstance(p, type) and issubclass(p, np.generic)):
            out.append(F.V_DTYPE)
            out.append(dtype_code(p))
        elif dataclasses.is_dataclass(p) and not isinstance(p, type):
            self._record(type(p).__name__, [(f.name, getattr(p, f.name)) for f in dataclasses.fields(p)], out)
        elif isinstance(p, DimExpr):  # a symbolic dimension (reshape's new_sizes, iota's shape, ...)
            c = _compat.dim_constant(p)
            if c is None:
                out.append(F.V_DIM)
                out.append(self._dims.expr(p))
            else:
                out.append(F.V_INT)
                out.append(c)
        elif isinstance(p, np.ndarray) or hasattr(p, "__array__") and hasattr(p, "dtype") and hasattr(p, "shape"):
            b, arr = self.buffer(p)
            out.append(F.V_ARRAY)
            out.append(dtype_code(arr.dtype))
            out.append(arr.ndim)
            out.extend(int(d) for d in arr.shape)
            out.append(b)
        else:
            try:
                code = dtype_code(p)  # extended dtypes, jnp scalar types
            except Exception:
                out.append(F.V_UNKNOWN)
                out.append(self.string(type(p).__name__))
                out.append(self.string(""))
            else:
                out.append(F.V_DTYPE)
                out.append(code)

    def _record(self, name: str, fields, out: array) -> None:
        out.append(F.V_RECORD)
        out.append(self.string(name))
        out.append(len(fields))
        for k, v in fields:
            out.append(self.string(k))
            self._value(v, out)

    # ---- layout ----------------------------------------------------
    @property
    def symbolic(self) -> bool:
        """Whether the file has symbolic dimensions (format 1.2, a DIMS section)."""
        return bool(self._dims.symbols)

    def _sections(self, external: bool) -> tuple[list[tuple[int, bytes]], int, list[int]]:
        dims = self._dims.section() if self.symbolic else None  # interns the symbol names
        meta = array("q", [len(self.meta)])
        for k, v in self.meta.items():
            meta.append(self.string(k))
            meta.append(self.string(v))
        io = array("q", [len(self.input_names)])
        io.extend(self.string(n) for n in self.input_names)
        io.append(len(self.output_names))
        io.extend(self.string(n) for n in self.output_names)
        # STRINGS last: meta and io intern strings of their own
        offs = array("q", [len(self.strings)])
        pos = 0
        for s in self.strings:
            offs.append(pos)
            pos += len(s)
        offs.append(pos)
        strings_blob = offs.tobytes() + b"".join(self.strings)

        bufs = array("q", [len(self.buffers)])
        data_offsets = []
        pos = 0
        for arr in self.buffers:
            if external:
                bufs.extend((0, arr.nbytes, F.BUF_EXTERNAL))
                data_offsets.append(0)
            else:
                pos = _align(pos, F.DATA_ALIGN)
                bufs.extend((pos, arr.nbytes, 0))
                data_offsets.append(pos)
                pos += arr.nbytes
        data_size = 0 if external else pos

        gtab = array("q", [len(self.graphs)])
        goff = 8 + 8 * len(self.graphs)
        blobs = []
        for g in self.graphs:
            gtab.append(goff)
            b = g.tobytes()
            blobs.append(b)
            goff += len(b)
        graphs_blob = gtab.tobytes() + b"".join(blobs)

        sections = [
            (F.SEC_STRINGS, strings_blob),
            (F.SEC_META, meta.tobytes()),
            (F.SEC_BUFFERS, bufs.tobytes()),
            (F.SEC_GRAPHS, graphs_blob),
            (F.SEC_IONAMES, io.tobytes()),
        ]
        if dims is not None:
            sections.append((F.SEC_DIMS, dims.tobytes()))
        return sections, data_size, data_offsets

    def _layout(self, external: bool):
        sections, data_size, data_offsets = self._sections(external)
        n = len(sections) + 1
        table_off = F.HEADER_SIZE
        pos = table_off + n * F.SECTION_ENTRY_SIZE
        entries = []
        for kind, blob in sections:
            pos = _align(pos, 8)
            entries.append((kind, pos, len(blob)))
            pos += len(blob)
        data_off = _align(pos, F.DATA_ALIGN)
        entries.append((F.SEC_DATA, data_off, data_size))
        file_size = data_off + data_size
        head = bytearray(F.HEADER_SIZE)
        # format 1.1 exactly unless the file has symbolic dimensions (1.2, flag SYMBOLIC)
        minor, flags = (F.MINOR_SYMBOLIC, F.FLAG_SYMBOLIC) if self.symbolic else (F.MINOR, 0)
        struct.pack_into("<8sHHIQQQQ", head, 0, F.MAGIC, F.MAJOR, minor, F.HEADER_SIZE, n, table_off, file_size, flags)
        table = b"".join(struct.pack("<IIQQQ", k, 0, o, s, 0) for k, o, s in entries)
        # The checksum covers every byte before the DATA section (the last one), its own
        # four bytes taken as zeros.
        crc = zlib.crc32(head)
        crc = zlib.crc32(table, crc)
        pos = F.HEADER_SIZE + len(table)
        for (_, blob), (_, off, _) in zip(sections, entries):
            crc = zlib.crc32(bytes(off - pos), crc)
            crc = zlib.crc32(blob, crc)
            pos = off + len(blob)
        crc = zlib.crc32(bytes(data_off - pos), crc)
        struct.pack_into("<I", head, F.CHECKSUM_OFFSET, crc)
        return head, table, sections, entries, data_off, data_offsets, file_size

    def _chunks(self, external: bool):
        """(file size, [(offset, bytes-like)]) of the whole file; gaps are zero bytes."""
        head, table, sections, entries, data_off, data_offsets, file_size = self._layout(external)
        chunks = [(0, head), (F.HEADER_SIZE, table)]
        for (_, blob), (_, off, _) in zip(sections, entries):
            chunks.append((off, blob))
        if not external:
            for arr, off in zip(self.buffers, data_offsets):
                if arr.nbytes:
                    chunks.append((data_off + off, memoryview(arr).cast("B")))
        return file_size, chunks

    def write(self, fileobj, *, external: bool = False) -> int:
        """Write the file to a binary file object; returns its size."""
        file_size, chunks = self._chunks(external)
        pos = 0
        for off, blob in chunks:
            if off > pos:
                fileobj.write(bytes(off - pos))
            fileobj.write(blob)
            pos = off + len(blob)
        if file_size > pos:
            fileobj.write(bytes(file_size - pos))
        return file_size

    def to_buffer(self, *, external: bool) -> bytearray:
        """The file in one writable buffer (each weight copied once, straight into place)."""
        file_size, chunks = self._chunks(external)
        buf = bytearray(file_size)
        view = memoryview(buf)
        for off, blob in chunks:
            view[off : off + len(blob)] = blob
        return buf

    def graph_bytes(self, *, external: bool) -> bytes:
        return bytes(self.to_buffer(external=external))


# Side effects with no value that an inference graph can drop: jax.debug.print and
# jax.debug.callback (host callbacks that only print or log). The model computes the
# same results without them; warn_dropped_effects (called by convert.py) names them.
_DROPPED_EFFECTS = frozenset({"debug_callback", "debug_print", "shape_assertion"})
# Tokens only order effects: their producers go when nothing kept uses the token.
_TOKEN_PRIMS = frozenset({"create_token", "after_all"})
_EFFECT_PRIMS = _DROPPED_EFFECTS | _TOKEN_PRIMS


def _without_effects(jaxpr, dropped: dict[str, int]):
    """jaxpr.eqns without debug callbacks and the token producers only they used."""
    eqns = jaxpr.eqns
    if not any(e.primitive.name in _EFFECT_PRIMS for e in eqns):
        return eqns
    used = {v for v in jaxpr.outvars if not isinstance(v, Literal)}
    keep = []
    for e in reversed(eqns):  # backwards: a token is live if a kept equation reads it
        name = e.primitive.name
        if name in _DROPPED_EFFECTS:
            dropped[name] = dropped.get(name, 0) + 1
            continue
        if name in _TOKEN_PRIMS and not any(v in used for v in e.outvars):
            continue
        keep.append(e)
        used.update(v for v in e.invars if not isinstance(v, Literal))
    keep.reverse()
    return keep


def warn_dropped_effects(dropped: dict[str, int]) -> None:
    if dropped:
        import warnings

        what = ", ".join(f"{n} x{c}" for n, c in sorted(dropped.items()))
        why = "host callbacks such as jax.debug.print; the outputs are unchanged"
        if "shape_assertion" in dropped:
            # jax.export's checks of symbolic dimensions: OpenVINO has no run-time assertion. It
            # checks an input's dimensions against their bounds; other relations (two inputs'
            # equal dimensions, 2*S even) are the caller's to keep.
            why += (
                "; shape_assertion is jax.export's check of symbolic dimensions, which OpenVINO cannot run: "
                "inputs must keep the relations the model was traced with"
            )
        warnings.warn(
            f"ovjax: dropped side-effect-only equations the converted model cannot run: {what} ({why})",
            stacklevel=3,
        )


def _align(x: int, a: int) -> int:
    return (x + a - 1) // a * a


def _physical_shape(aval) -> tuple:
    """The shape a variable's record stores: the aval's shape, followed for PRNG key
    arrays (dtype code "key") by the key's data shape (threefry: (2,), rbg: (4,)), i.e. the shape
    of jax.random.key_data(keys), the tensor the key array is in OpenVINO."""
    shape = tuple(aval.shape)
    dt = aval.dtype
    code = dtype_code(dt)
    if code == F.DTYPES["key"]:
        shape += tuple(dt._impl.key_shape)
    elif code in _COMPLEX_CODES:  # (real, imag) float pairs
        shape += (2,)
    return shape


def _shape_or_none(aval) -> tuple:
    """``_physical_shape`` of an array aval; () for tokens and other non-array avals."""
    try:
        return _physical_shape(aval)
    except AttributeError:
        return ()


_DIM_OPS = {"floordiv": F.DIM_FLOORDIV, "mod": F.DIM_MOD, "max": F.DIM_MAX, "min": F.DIM_MIN}


class _Dims:
    """The DIMS section of one file (docs/format.md): the symbols and one table of
    dimension expressions, each distinct expression once, in topological order.

    An expression node is interned by (op, a, b), a's and b's being node indices, so equal
    subexpressions are one node wherever they occur. JAX's ``_DimExpr`` is a sum of terms
    ``coeff * f1^e1 * f2^e2 ...``: written as ``add`` nodes over the terms in JAX's order,
    each term a left-to-right chain of ``mul`` over its factors (a power as repeated
    multiplication), times ``const coeff`` when coeff is not 1 (``x - y`` is
    ``add(x, mul(y, const -1))``); the constant term is ``const c``; a factor is a
    ``symbol`` or floordiv/mod/max/min of its two operand expressions. Symbols are numbered
    as first met: the model's inputs are interned first, in order.
    """

    def __init__(self, string) -> None:
        self._string = string  # GraphWriter.string: interns the symbol names
        self.symbols: list[str] = []
        self._symbol_ids: dict[str, int] = {}
        self._first_use: dict[str, str] = {}  # symbol -> the expression it was first met in
        self.scope = None
        self.nodes = array("q")  # (op, a, b) per expression
        self._node_ids: dict[tuple[int, int, int], int] = {}
        self._expr_ids: dict[int, tuple[int, Any]] = {}  # id(_DimExpr) -> (index, the object)
        self._inputs: list[tuple] = []  # physical shapes of graph 0's inputs

    def set_inputs(self, shapes: list[tuple]) -> None:
        """Graph 0's input shapes (where the symbols are read from at run time)."""
        self._inputs = shapes
        for shape in shapes:
            for d in shape:
                if type(d) is not int:
                    self.word(d)

    def word(self, d) -> int:
        """The dimension word of one of a variable's dims: a static size, or -2 - expression."""
        if isinstance(d, DimExpr):
            c = _compat.dim_constant(d)
            if c is None:
                return -2 - self.expr(d)
        else:
            try:
                c = operator.index(d)
            except TypeError:
                raise TypeError(f"ovjax: dimension {d!r} of type {type(d).__name__} has no .ovjax encoding") from None
        if c < 0:
            raise ValueError(f"ovjax: negative dimension {d}")
        return c

    def node(self, op: int, a: int, b: int) -> int:
        key = (op, a, b)
        i = self._node_ids.get(key)
        if i is None:
            i = len(self._node_ids)
            if i >= F.MAX_DIM_EXPRS:
                raise ValueError(f"ovjax: more than {F.MAX_DIM_EXPRS} symbolic dimension expressions")
            self._node_ids[key] = i
            self.nodes.extend(key)
        return i

    def const(self, c: int) -> int:
        if abs(c) > F.MAX_DIM_VALUE:
            raise ValueError(f"ovjax: the constant {c} of a symbolic dimension is out of range (|c| <= 2^62)")
        return self.node(F.DIM_CONST, c, 0)

    def expr(self, e) -> int:
        """The index of the expression of a dimension (an int or a ``_DimExpr``)."""
        if not isinstance(e, DimExpr):
            return self.const(operator.index(e))
        hit = self._expr_ids.get(id(e))
        if hit is not None:
            return hit[0]
        scope = _compat.dim_scope(e)
        if self.scope is None:
            self.scope = scope
        elif scope is not self.scope:
            raise ValueError(
                f"ovjax: the symbolic dimensions {e} and {next(iter(self._first_use.values()), '?')} come from "
                "two different jax.export.SymbolicScope objects: trace the model with the symbolic shapes of one scope"
            )
        mul, add = F.DIM_MUL, F.DIM_ADD
        acc = None
        for coeff, factors in _compat.dim_terms(e):
            if not factors:
                t = self.const(coeff)
            else:
                t = None
                for f, exponent in factors:
                    fi = self.factor(f)
                    for _ in range(exponent):
                        t = fi if t is None else self.node(mul, t, fi)
                if coeff != 1:
                    t = self.node(mul, t, self.const(coeff))
            acc = t if acc is None else self.node(add, acc, t)
        self._expr_ids[id(e)] = (acc, e)  # the object kept alive: its id stays its own
        for name in _compat.dim_symbols(e):
            self._first_use.setdefault(name, str(e))
        return acc

    def factor(self, f) -> int:
        kind, what = _compat.dim_factor(f)
        if kind == "symbol":
            i = self._symbol_ids.get(what)
            if i is None:
                i = self._symbol_ids[what] = len(self.symbols)
                if i >= F.MAX_SYMBOLS:
                    raise ValueError(f"ovjax: more than {F.MAX_SYMBOLS} symbolic dimension names")
                self.symbols.append(what)
            return self.node(F.DIM_SYMBOL, i, 0)
        a, b = (self.expr(o) for o in what)
        return self.node(_DIM_OPS[kind], a, b)

    def origins(self) -> dict[str, tuple[int, int]]:
        """symbol -> (input, axis) of graph 0's first input dimension that is k*S + c (k >= 1)."""
        out: dict[str, tuple[int, int]] = {}
        for i, shape in enumerate(self._inputs):
            for axis, d in enumerate(shape):
                r = _compat.affine_symbol(d)
                if r is not None and r[0] not in out:
                    out[r[0]] = (i, axis)
        return out

    def section(self) -> array:
        """The DIMS section's words (the symbol names interned as strings)."""
        origins = self.origins()
        missing = [n for n in self.symbols if n not in origins]
        if missing:
            uses = ", ".join(f"{n!r} (first used in {self._first_use.get(n, n)})" for n in missing)
            what = f"dimension {uses} appears" if len(missing) == 1 else f"dimensions {uses} appear"
            raise ValueError(
                f"ovjax: the symbolic {what} in no input dimension of the form k*S + c: "
                "each symbol must appear in some input dimension as k*S + c (k >= 1), where its value is read "
                "from at run time"
            )
        w = array("q", [len(self.symbols)])
        for name in self.symbols:
            lower, upper = _compat.symbol_bounds(name, self.scope)
            if lower > F.MAX_DIM_VALUE:
                raise ValueError(f"ovjax: the symbolic dimension {name!r} has a lower bound {lower} past 2^62")
            if upper is None or upper > F.MAX_DIM_VALUE:
                upper = -1
            inp, axis = origins[name]
            w.extend((self._string(name), lower, upper, inp, axis))
        w.append(len(self._node_ids))
        w.extend(self.nodes)
        return w


def _host_array(value) -> np.ndarray:
    """A C-contiguous numpy view of a JAX/numpy constant (zero-copy where possible)."""
    dt = getattr(value, "dtype", None)
    if dt is not None and dtype_code(dt) == F.DTYPES["key"]:
        import jax

        value = jax.random.key_data(value)
    arr = np.asarray(value)
    if not arr.flags.c_contiguous:
        arr = np.ascontiguousarray(arr)
    if np.iscomplexobj(arr):  # (real, imag) float pairs, a trailing axis of 2 (zero-copy)
        arr = arr.reshape(-1).view(np.float32 if arr.dtype == np.complex64 else np.float64).reshape(arr.shape + (2,))
    if arr.dtype == object:
        raise TypeError(f"ovjax: cannot serialize a constant of type {type(value).__name__}")
    return arr


_INT_CODES = frozenset(F.DTYPES[n] for n in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"))


_COMPLEX_CODES = frozenset(F.DTYPES[n] for n in ("complex64", "complex128"))


def _scalar_bits(val, dt) -> int:
    code = dtype_code(dt)
    if code == F.DTYPES["bool"]:
        return 1 if val else 0
    if code in _INT_CODES:
        x = int(val)
        return x - (1 << 64) if x >= (1 << 63) else x
    if code in _COMPLEX_CODES:
        # (real, imag) as two float32 in one word, the real part in the low half
        c = complex(val)
        pair = np.array([c.real, c.imag], np.float32).view(np.uint32)
        x = int(pair[0]) | (int(pair[1]) << 32)
        return x - (1 << 64) if x >= (1 << 63) else x
    return _float_bits(float(val))


def _source(eqn, string) -> int:
    """String index of "file:line (function)" for the equation's innermost user frame."""
    tb = getattr(getattr(eqn, "source_info", None), "traceback", None)
    if tb is None:
        return F.NONE
    try:
        fr = _user_frame(tb)
    except Exception:
        return F.NONE
    if fr is None:
        return F.NONE
    return string(f"{fr.file_name}:{fr.start_line} ({fr.function_name})")


try:
    from jax._src.source_info_util import user_frame as _user_frame
except Exception:  # pragma: no cover - private API moved

    def _user_frame(tb):
        return None
