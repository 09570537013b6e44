"""Trace JAX models, serialize them and convert them through the ovjax frontend."""

from __future__ import annotations

import contextlib
import gc
import inspect
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _jax_compat, _library, _options
from ._jax_compat import ClosedJaxpr, Jaxpr
from .serialize import GraphWriter, warn_dropped_effects

__all__ = ["trace", "serialize", "save", "convert_model", "is_jax_model", "Traced"]


@dataclass
class Traced:
    """A ClosedJaxpr with the names of its flat inputs and outputs."""

    jaxpr: Any
    input_names: list[str]
    output_names: list[str]
    keepalive: list[Any] = field(default_factory=list)


# ---------------------------------------------------------------- model kinds


def _is_linen(obj) -> bool:
    # a linen Module exists only once flax.linen is imported: no import here (importing
    # flax.nnx alone costs half a second, which every ov.convert_model call would pay)
    nn = sys.modules.get("flax.linen")
    return nn is not None and isinstance(obj, nn.Module)


def _is_nnx(obj) -> bool:
    nnx = sys.modules.get("flax.nnx")
    return nnx is not None and isinstance(obj, nnx.Module)


def _from_library(obj, *packages: str) -> bool:
    """Whether obj's class (or a base) is defined in one of `packages` (equinox, haiku):
    checked by module name, so ovjax does not import libraries the user has not."""
    return any(c.__module__.split(".")[0] in packages for c in type(obj).__mro__)


def _is_haiku(obj) -> bool:
    """A haiku Transformed / TransformedWithState (hk.transform's result)."""
    return _from_library(obj, "haiku") and hasattr(obj, "init") and hasattr(obj, "apply")


def _jax_stage(obj) -> str | None:
    """'wrapped' (jax.jit's result), 'traced' (its .trace(...)), 'lowered', or None."""
    import jax

    stages = jax.stages
    if isinstance(obj, stages.Traced):
        return "traced"
    if isinstance(obj, stages.Lowered):
        return "lowered"
    if isinstance(obj, stages.Wrapped):
        return "wrapped"
    return None


def has_fixed_shapes(model) -> bool:
    """A model traced already (a jaxpr, a jax.stages.Traced): input= can change its element
    types only (or narrow a symbolic one), it is not traced again."""
    return isinstance(model, (ClosedJaxpr, Jaxpr)) or _jax_stage(model) == "traced"


def is_jax_model(obj) -> bool:
    """True for the objects the ov.convert_model hook hands to ovjax whatever the other
    arguments: jaxprs, Flax modules, jax.jit functions and their Traced/Lowered stages,
    Equinox modules and filter_jit functions, Haiku Transformed. (A plain callable is
    claimed only with example_input, when no other frontend takes it: _hook.py.)"""
    if isinstance(obj, (ClosedJaxpr, Jaxpr)):
        return True
    if _is_linen(obj) or _is_nnx(obj) or _is_haiku(obj) or _from_library(obj, "equinox"):
        return True
    return _jax_stage(obj) is not None


_ACCEPTED = (
    "ovjax converts a jax ClosedJaxpr (jax.make_jaxpr), a jax.jit function or its .trace(...), a flax.linen or "
    "flax.nnx Module, an Equinox Module, a Haiku Transformed (with its params), any JAX callable (with "
    "example_input), the path of an .ovjax file, or an .ovjax file's bytes"
)


def _describe(obj) -> str:
    """What a user passed, for messages: its type and a short repr."""
    r = repr(obj)
    if len(r) > 80:
        r = r[:77] + "..."
    return f"an object of type {type(obj).__module__}.{type(obj).__qualname__} ({r})"


def _ovjax_file(model):
    """The in-memory or path form of an .ovjax file given as a path or bytes, else None.
    Raises for a path that is not an .ovjax file."""
    from . import format as F

    if isinstance(model, (bytes, bytearray, memoryview)):
        data = np.frombuffer(model, dtype=np.uint8) if len(model) else np.zeros(0, np.uint8)
        if bytes(data[: len(F.MAGIC)]) != F.MAGIC:
            raise ValueError(
                f"ovjax: the {len(data)} bytes given do not start with the .ovjax magic bytes {F.MAGIC!r}; {_ACCEPTED}"
            )
        import openvino as ov

        data = np.array(data)  # owned and writable: the model's constants view it
        return {"ovjax_graph": ov.Tensor(data, shared_memory=True), "ovjax_keepalive": _KeepAlive(data)}
    if isinstance(model, (str, os.PathLike)):
        path = os.fspath(model)
        if not os.path.exists(path):
            raise FileNotFoundError(f"ovjax: no file {path!r}; {_ACCEPTED}")
        if not os.path.isfile(path):
            raise ValueError(f"ovjax: {path!r} is not a file; {_ACCEPTED}")
        with open(path, "rb") as f:
            head = f.read(len(F.MAGIC))
        if head != F.MAGIC:
            raise ValueError(
                f"ovjax: {path!r} is not an .ovjax file (it starts with {head!r}, not the magic bytes {F.MAGIC!r})"
            )
        return {"ovjax_path": path}
    return None


# ---------------------------------------------------------------- tracing

_STATIC_TYPES = (bool, str, type(None))


def _split_example(example_input):
    """(positional args, traced kwargs, static kwargs) from an example_input."""
    if example_input is None:
        return (), {}, {}
    if isinstance(example_input, dict):
        traced = {k: v for k, v in example_input.items() if not isinstance(v, _STATIC_TYPES)}
        static = {k: v for k, v in example_input.items() if isinstance(v, _STATIC_TYPES)}
        return (), traced, static
    if isinstance(example_input, (tuple, list)):
        return tuple(example_input), {}, {}
    return (example_input,), {}, {}


def _arg_names(fn, n_pos: int) -> list[str]:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return [f"input_{i}" for i in range(n_pos)]
    names = []
    for p in sig.parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p.kind == p.VAR_POSITIONAL:
            names.extend(f"{p.name}_{i}" for i in range(n_pos - len(names)))
            break
    if len(names) < n_pos:
        names.extend(f"input_{i}" for i in range(len(names), n_pos))
    return names[:n_pos]


def _flat_input_names(arg_names: list[str], args, kwargs) -> list[str]:
    """The names of the flat inputs, in the order JAX flattens (args, kwargs) (a dict's
    keys sorted): a positional argument's name or a keyword, then the leaf's pytree path."""
    import jax

    names = []
    for path, _ in jax.tree_util.tree_flatten_with_path((args, kwargs))[0]:
        group, key, rest = path[0], path[1], path[2:]
        if getattr(group, "idx", 0) == 0:
            i = key.idx
            prefix = arg_names[i] if i < len(arg_names) else f"input_{i}"
        else:
            prefix = str(key.key)
        names.append(prefix + (jax.tree_util.keystr(rest) if rest else ""))
    return names


def _output_names(out_tree_value) -> list[str]:
    import jax

    leaves = jax.tree_util.tree_flatten_with_path(out_tree_value)[0]
    names = []
    for i, (path, _) in enumerate(leaves):
        if any(isinstance(k, (jax.tree_util.DictKey, jax.tree_util.GetAttrKey)) for k in path):
            names.append("output" + jax.tree_util.keystr(path))
        else:
            names.append(f"output_{i}")
    return _dedupe(names)


def _dedupe(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if n in seen:
            seen[n] += 1
            n = f"{n}_{seen[n]}"
        else:
            seen[n] = 0
        out.append(n)
    return out


def _apply_input_spec(args, kwargs, input_spec, names=None):
    """Replace example leaves by ShapeDtypeStructs of the requested shapes/types.

    A shape may have symbolic dimensions (``_parse_input_spec``): then, and when
    example_input itself holds ShapeDtypeStructs of symbolic shapes
    (``jax.export.symbolic_shape``), every leaf becomes a ShapeDtypeStruct whose symbolic
    dimensions live in one ``jax.export.SymbolicScope`` (``_symbolic_structs``).
    ``names``: the flat inputs' names, for messages.
    """
    import jax

    if isinstance(input_spec, dict):
        raise TypeError(
            "ovjax: input= as a dict is only supported for ClosedJaxpr inputs; pass a list in argument order"
        )
    leaves, tree = jax.tree_util.tree_flatten((args, kwargs))
    if names is None or len(names) != len(leaves):
        names = [f"input_{i}" for i in range(len(leaves))]
    examples = [_leaf_shape(leaf) for leaf in leaves]
    example_symbolic = any(_jax_compat.has_symbolic(sh) for sh in examples)
    if input_spec is None and not example_symbolic:
        return args, kwargs
    if input_spec is None:
        specs = [(None, None)] * len(leaves)
    else:
        specs = _parse_input_spec(input_spec, len(leaves))
    shapes = [None if sh is None else _read_shape(sh, name) for (sh, _), name in zip(specs, names)]
    if not example_symbolic and all(sh is None or all(type(d) is int for d in sh) for sh in shapes):
        # static shapes: the spec's shape replaces the example's, whatever its rank
        new = []
        for leaf, shape, (_, dtype) in zip(leaves, shapes, specs):
            new.append(
                jax.ShapeDtypeStruct(shape if shape is not None else _leaf_shape(leaf), dtype or _leaf_dtype(leaf))
            )
        return jax.tree_util.tree_unflatten(tree, new)
    shapes = _symbolic_structs(examples, shapes, names)
    new = [
        jax.ShapeDtypeStruct(shape, dtype or _leaf_dtype(leaf))
        for leaf, shape, (_, dtype) in zip(leaves, shapes, specs)
    ]
    return jax.tree_util.tree_unflatten(tree, new)


def _leaf_shape(leaf) -> tuple:
    shape = getattr(leaf, "shape", None)
    return tuple(shape) if shape is not None else tuple(np.shape(leaf))


def _leaf_dtype(leaf):
    dt = getattr(leaf, "dtype", None)
    return dt if dt is not None else np.asarray(leaf).dtype


def _is_dim_item(d) -> bool:
    """An item of a shape written as a tuple: an int, a symbol name (str) or an ov.Dimension."""
    if isinstance(d, (int, str)):
        return True
    import openvino as ov

    return isinstance(d, ov.Dimension)


def _parse_input_spec(spec, n: int):
    """OpenVINO-style `input=` into a list of (shape object or None, numpy dtype or None).

    Accepts one shape, or a list with an entry per input: a shape (list/tuple of ints,
    symbol names and ov.Dimension; ov.Shape, ov.PartialShape), a type (ov.Type, numpy
    dtype), or a tuple mixing a name, a shape and a type. A tuple whose items are all
    ints, strs and ov.Dimensions is a shape (its strs are symbol names: ("B", 128)); a
    bare str is an input's name.
    """
    if not isinstance(spec, (list, tuple)) or (
        spec and all(_is_dim_item(d) for d in spec) and not all(isinstance(d, str) for d in spec)
    ):
        spec = [spec]
    out = []
    for item in spec:
        shape = dtype = None
        is_shape = isinstance(item, tuple) and item and all(_is_dim_item(d) for d in item)
        parts = item if isinstance(item, tuple) and item and not is_shape else (item,)
        for p in parts:
            if isinstance(p, str):
                continue  # a name
            t = _as_np_dtype(p)
            if t is not None:
                dtype = t
            else:
                shape = p
        out.append((shape, dtype))
    if len(out) != n:
        raise ValueError(f"ovjax: input= describes {len(out)} inputs but the model takes {n}")
    return out


def _as_np_dtype(p):
    import openvino as ov

    if isinstance(p, ov.Type):
        return np.dtype(p.to_dtype())
    if isinstance(p, (np.dtype, type)):
        try:
            return np.dtype(p)
        except TypeError:
            return None
    return None


@dataclass(frozen=True)
class _Sym:
    """A symbolic dimension of an input= shape: a named symbol ("B") or, name None, a
    fresh one (-1, "?", an unnamed ov.Dimension), with OpenVINO-style bounds."""

    name: str | None
    lower: int = 1
    upper: int | None = None

    def bounds(self) -> str:
        return f"{self.lower}..{'' if self.upper is None else self.upper}"


_RESERVED_NAMES = frozenset({"floordiv", "mod", "max", "min", "_"})


def _read_shape(p, where: str = "") -> tuple:
    """An input= shape as a tuple of ints (static dims) and ``_Sym`` (symbolic dims).
    ``where``: the input's name, for messages."""
    import openvino as ov

    at = f" for input {where!r}" if where else ""
    if isinstance(p, ov.PartialShape):
        if p.rank.is_dynamic:
            raise ValueError(
                f"ovjax: input shape {p}{at} has a dynamic rank: give each dimension (? for a dynamic one)"
            )
        return tuple(_read_dim(d, at, axis) for axis, d in enumerate(p))
    if isinstance(p, ov.Shape):
        return tuple(int(d) for d in p)
    if isinstance(p, (list, tuple)):
        return tuple(_read_dim(d, at, axis) for axis, d in enumerate(p))
    raise TypeError(f"ovjax: cannot read an input shape or type from {p!r}")


def _read_dim(d, at: str, axis: int):
    import openvino as ov

    if isinstance(d, ov.Dimension):
        if d.is_static:
            return int(d.get_length())
        lo, hi = int(d.get_min_length()), int(d.get_max_length())
        if lo < 0 or (hi >= 0 and lo > hi):  # OpenVINO makes Dimension(64, 1) an empty interval
            raise ValueError(
                f"ovjax: the dimension {d} at axis {axis}{at} has bounds that contradict each other "
                "(lower bound above the upper one)"
            )
        if lo == 0 and hi < 0:
            return _Sym(None)  # unbounded: ?, Dimension(), Dimension(-1)
        if lo == 0:
            raise ValueError(
                f"ovjax: the dimension {d} at axis {axis}{at} has the lower bound 0: a JAX symbolic dimension is at "
                "least 1; give a lower bound of at least 1 (ov.Dimension(1, ...))"
            )
        return _Sym(None, lo, None if hi < 0 else hi)
    if not isinstance(d, (int, np.integer, str)):
        raise ValueError(
            f"ovjax: cannot read the dimension {d!r} at axis {axis}{at}: give an int (-1 for a dynamic one), "
            "a symbol name or an ov.Dimension"
        )
    if isinstance(d, str):
        name = d.strip()
        if name == "?":
            return _Sym(None)
        if not name.isidentifier() or name in _RESERVED_NAMES:
            raise ValueError(
                f"ovjax: {d!r} at axis {axis}{at} is not a symbol name: a dimension name is an identifier "
                "(letters, digits and _, not starting with a digit; not floordiv, mod, max or min)"
            )
        return _Sym(name)
    d = int(d)
    if d == -1:
        return _Sym(None)
    if d < 0:
        raise ValueError(f"ovjax: the dimension {d} at axis {axis}{at} is negative (-1 means a dynamic one)")
    return d


def _symbolic_structs(examples: list[tuple], shapes: list, names: list[str]) -> list[tuple]:
    """The shape of each input, with symbolic dimensions of one SymbolicScope.

    examples: each input's example shape (ints, or JAX symbolic dimensions of a
    ShapeDtypeStruct in example_input); shapes: each input's input= shape from
    ``_read_shape`` (ints and ``_Sym``), or None for the example's. The same name is one
    symbol wherever it occurs (in input= or in example_input); -1, ? and unnamed
    ov.Dimensions are fresh symbols of their own. Bounds become the scope's constraints,
    with the user's own constraints (symbolic_shape(..., constraints=)) kept.
    """
    jc = _jax_compat

    def at(i, axis):
        return f"input {names[i]!r} axis {axis}"

    # the example's scope: every symbolic dimension of example_input must share one
    user_scope = owner = None
    for i, ex in enumerate(examples):
        for axis, d in enumerate(ex):
            if jc.is_symbolic(d):
                sc = jc.dim_scope(d)
                if user_scope is None:
                    user_scope, owner = sc, at(i, axis)
                elif sc is not user_scope:
                    raise ValueError(
                        f"ovjax: the symbolic shapes of example_input mix two jax.export.SymbolicScope objects "
                        f"({owner} and {at(i, axis)}): create them in one scope (symbolic_shape(..., scope=...))"
                    )
    example_vars: set[str] = set()
    for ex in examples:
        for d in ex:
            example_vars |= jc.dim_symbols(d)
    taken = set(example_vars)
    if user_scope is not None:
        for c in jc.scope_constraints(user_scope):
            taken.update(re.findall(r"[^\W\d]\w*", c))
    for sh in shapes:
        for d in sh or ():
            if isinstance(d, _Sym) and d.name is not None:
                taken.add(d.name)

    # each dimension: an int, ("sym", name) or ("expr", an example's symbolic dimension)
    plan: list[list] = []
    bounds: dict[str, list[tuple[int, int | None, str]]] = {}  # name -> (lower, upper, where)
    for i, (ex, sh) in enumerate(zip(examples, shapes)):
        if sh is None:
            plan.append([("expr", d) if jc.is_symbolic(d) else d for d in ex])
            continue
        if all(type(d) is int for d in sh) and not jc.has_symbolic(ex):
            plan.append(list(sh))  # a static shape replaces a static example's, as without symbols
            continue
        if len(sh) != len(ex):
            raise ValueError(
                f"ovjax: input= gives input {names[i]!r} a shape of rank {len(sh)}, but its example_input has rank "
                f"{len(ex)} (shape {_shape_str(ex)}): the shape with symbolic dimensions must have the example's rank"
            )
        dims = []
        for axis, (d, e) in enumerate(zip(sh, ex)):
            sym_e = jc.is_symbolic(e)
            var = _bare_symbol(e) if sym_e else None
            if not isinstance(d, _Sym):
                if sym_e:
                    raise ValueError(
                        f"ovjax: {at(i, axis)} is the symbolic dimension {e} in example_input, but input= fixes it to "
                        f"{d}: a dimension cannot be both; make it a number in example_input too, or leave it symbolic"
                    )
                dims.append(d)
                continue
            if d.name is not None:
                if sym_e and var != d.name:
                    raise ValueError(
                        f"ovjax: {at(i, axis)} is the symbolic dimension {e} in example_input, but {d.name} in input="
                    )
                name = d.name
            elif sym_e:
                if var is None:
                    if d.lower > 1 or d.upper is not None:
                        raise ValueError(
                            f"ovjax: input= bounds {at(i, axis)} to {d.bounds()}, but in example_input it is {e}, not "
                            "a symbol: give its bounds as constraints of symbolic_shape"
                        )
                    dims.append(("expr", e))
                    continue
                name = var
            else:
                name = f"_d{i}_{axis}"
                while name in taken:
                    name += "_"
                taken.add(name)
            if d.lower > 1 or d.upper is not None:
                bounds.setdefault(name, []).append((d.lower, d.upper, at(i, axis)))
            dims.append(("sym", name))
        plan.append(dims)

    constraints = []
    for name, bs in bounds.items():
        lower = max(b[0] for b in bs)
        uppers = [b[1] for b in bs if b[1] is not None]
        upper = min(uppers) if uppers else None
        given = [f"{b[0]}..{'' if b[1] is None else b[1]} at {b[2]}" for b in bs]
        if name in example_vars:  # the user's own constraints on it, if any
            slo, shi = jc.symbol_bounds(name, user_scope)
            if slo > 1 or shi is not None:
                given.append(f"{slo}..{'' if shi is None else shi} from example_input's constraints")
            lower = max(lower, slo)
            upper = shi if upper is None else (upper if shi is None else min(upper, shi))
        if upper is not None and lower > upper:
            raise ValueError(
                f"ovjax: the bounds of the symbolic dimension {name!r} contradict each other: {'; '.join(given)}"
            )
        if lower > 1:
            constraints.append(f"{name} >= {lower}")
        if upper is not None:
            constraints.append(f"{name} <= {upper}")

    if user_scope is not None and not constraints:
        scope, reparse = user_scope, False
    else:
        kept = jc.scope_constraints(user_scope) if user_scope is not None else []
        try:
            scope = jc.new_scope(kept + constraints)
        except Exception as e:  # noqa: BLE001 - JAX's own message says what it refused
            raise ValueError(
                f"ovjax: JAX refuses the constraints {kept + constraints} of the symbolic dimensions: {e}"
            ) from e
        reparse = user_scope is not None
    symbols: dict[str, Any] = {}
    reparsed: dict[str, Any] = {}

    def dim(p):
        if type(p) is int:
            return p
        kind, v = p
        if kind == "sym":
            if v not in symbols:
                symbols[v] = jc.symbolic_dims(v, scope)[0]
            return symbols[v]
        if not reparse:
            return v
        key = str(v)  # the example's dimension in the new scope (same constraints and more)
        if key not in reparsed:
            reparsed[key] = jc.symbolic_dims(key, scope)[0]
        return reparsed[key]

    return [tuple(dim(p) for p in dims) for dims in plan]


def _bare_symbol(e) -> str | None:
    """The name of a symbolic dimension that is one symbol (B, not 2*B or B + 1)."""
    jc = _jax_compat

    r = jc.affine_symbol(e)
    return r[0] if r is not None and r[1:] == (1, 0) else None


def _shape_str(shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _symbolic_trace_error(e: Exception, args, kwargs, names: list[str]) -> Exception | None:
    """The error for a function JAX cannot trace with symbolic input dimensions (it
    branches on a dimension's value, ...): JAX's message, plus which input dimensions
    are symbolic and which to make static. None when no input is symbolic."""
    import jax

    jc = _jax_compat

    leaves = jax.tree_util.tree_leaves((args, kwargs))
    if len(names) != len(leaves):
        names = [f"input_{i}" for i in range(len(leaves))]
    dims = []  # (input name, axis, dimension, its symbols)
    for name, leaf in zip(names, leaves):
        for axis, d in enumerate(_leaf_shape(leaf)):
            if jc.is_symbolic(d):
                dims.append((name, axis, d, jc.dim_symbols(d)))
    if not dims:
        return None
    msg = str(e)
    named = {s for *_, syms in dims for s in syms if re.search(rf"(?<![\w]){re.escape(s)}(?![\w])", msg)}
    culprits = [x for x in dims if x[3] & named] or dims
    listing = ", ".join(f"{n!r} axis {a} ({d})" for n, a, d, _ in dims)
    which = " and ".join(f"{n!r} axis {a}" for n, a, _, _ in culprits)
    first = msg.strip().splitlines()[0] if msg.strip() else type(e).__name__
    text = (
        f"ovjax: JAX cannot trace the model with symbolic input dimensions: {first}\n"
        f"The symbolic input dimensions are {listing}. "
        f"{'The error is about ' + ', '.join(sorted(named)) + ': m' if named else 'M'}ake {which} static "
        "(a number in input=, not a name, -1 or ?; a number in example_input's shape), or change the model so "
        "that it does not depend on that dimension's value."
    )
    return (TypeError if isinstance(e, TypeError) else ValueError)(text)


def trace(model, example_input=None, *, params=None, call_kwargs=None, input=None) -> Traced:
    """Trace `model` into a ClosedJaxpr with input and output names."""
    import jax

    if isinstance(model, ClosedJaxpr):
        n_in = len(model.jaxpr.invars)
        n_out = len(model.jaxpr.outvars)
        return Traced(model, [f"input_{i}" for i in range(n_in)], [f"output_{i}" for i in range(n_out)])
    if isinstance(model, Jaxpr):
        if model.constvars:
            raise ValueError("ovjax: an open Jaxpr with constvars needs its consts: pass a ClosedJaxpr")
        return trace(ClosedJaxpr(model, []), None)
    stage = _jax_stage(model)
    if stage == "traced":
        if example_input is not None:
            raise ValueError("ovjax: a jax.stages.Traced is traced already; example_input does not apply to it")
        return trace(_jax_compat.traced_jaxpr(model), None)
    if stage == "lowered":
        raise TypeError(
            "ovjax: a jax.stages.Lowered holds StableHLO, not a jaxpr; convert the jitted function "
            "(with example_input) or its .trace(...) instead"
        )
    if _is_haiku(model):
        if params is None:  # the arguments of apply without its rng: (params, *args)
            if not isinstance(example_input, (tuple, list)) or len(example_input) < 2:
                raise ValueError(
                    "ovjax: a Haiku Transformed needs its params: pass params=... (what init returned), or "
                    "example_input=(params, *args) as apply takes them, without the rng"
                )
            params, example_input = example_input[0], tuple(example_input[1:])
        return trace(_haiku_fn(model, params), example_input, call_kwargs=call_kwargs, input=input)

    if not (_is_linen(model) or _is_nnx(model) or callable(model)):
        raise TypeError(f"ovjax: cannot convert {_describe(model)}; {_ACCEPTED}")
    if example_input is None:
        raise ValueError(f"ovjax: converting {_describe(model)} needs example_input (the arrays to trace it with)")
    args, kwargs, static = _split_example(example_input)
    static = {**static, **(call_kwargs or {})}
    keepalive: list[Any] = []

    if _is_linen(model):
        fn, sig_fn = _linen_fn(model, params, static), type(model).__call__
        names_fn = lambda: _arg_names(sig_fn, len(args) + 1)[1:]  # noqa: E731 - drop `self`
    elif _is_nnx(model):
        fn, sig_fn = _nnx_fn(model, static), type(model).__call__
        names_fn = lambda: _arg_names(sig_fn, len(args) + 1)[1:]  # noqa: E731
    else:  # a callable (checked above)
        if static:
            base = model
            fn = lambda *a, **k: base(*a, **k, **static)  # noqa: E731
        else:
            fn = model
        names_fn = lambda: _arg_names(model, len(args))  # noqa: E731

    flat_names = _flat_input_names(names_fn(), args, kwargs)
    args, kwargs = _apply_input_spec(args, kwargs, input, flat_names)
    out_shape_box: list[Any] = []

    def flat_fn(*a, **k):
        out = fn(*a, **k)
        out_shape_box.append(out)
        return out

    try:
        closed = jax.make_jaxpr(flat_fn)(*args, **kwargs)
    except _jax_compat.InconclusiveDimensionOperation as e:
        # a model that branches on a symbolic dimension's value
        err = _symbolic_trace_error(e, args, kwargs, flat_names)
        if err is None:
            raise
        raise err from e
    except TypeError as e:
        if kwargs and isinstance(example_input, dict) and _keyword_mismatch(e):
            raise TypeError(
                f"ovjax: example_input is a dict, which is passed as keyword arguments ({', '.join(kwargs)}), and "
                f"the call rejected them ({e}); for a function of one dict argument d pass example_input=(d,)"
            ) from e
        # a model that needs a symbolic dimension as an int
        err = _symbolic_trace_error(e, args, kwargs, flat_names) if _mentions_symbolic(e) else None
        if err is None:
            raise
        raise err from e
    in_names = flat_names
    if len(in_names) != len(closed.jaxpr.invars):
        in_names = [f"input_{i}" for i in range(len(closed.jaxpr.invars))]
    out_names = _output_names(out_shape_box[-1]) if out_shape_box else []
    if len(out_names) != len(closed.jaxpr.outvars):
        out_names = [f"output_{i}" for i in range(len(closed.jaxpr.outvars))]
    keepalive.append(model)
    return Traced(closed, _dedupe(in_names), out_names, keepalive)


def _haiku_fn(transformed, params):
    """apply with the params closed over (constants of the model) and no rng; for a
    TransformedWithState, params is (params, state) and the result is the output alone."""
    with_state = "state" in inspect.signature(transformed.apply).parameters or type(transformed).__name__.endswith(
        "WithState"
    )
    if with_state:
        if not (isinstance(params, tuple) and len(params) == 2):
            raise ValueError("ovjax: a Haiku TransformedWithState needs params=(params, state), what init returned")
        p, state = params

        def fn(*a, **k):
            return transformed.apply(p, state, None, *a, **k)[0]

    else:

        def fn(*a, **k):
            return transformed.apply(params, None, *a, **k)

    fn.__signature__ = _apply_signature(transformed.apply, drop=3 if with_state else 2)  # type: ignore[attr-defined]
    return fn


def _apply_signature(apply, drop: int):
    """apply's signature without its first `drop` parameters (params, [state,] rng), for
    the input names."""
    try:
        sig = inspect.signature(apply)
    except (TypeError, ValueError):
        return None
    return sig.replace(parameters=list(sig.parameters.values())[drop:])


def _mentions_symbolic(e: Exception) -> bool:
    """A TypeError from needing a symbolic dimension as an int."""
    return any(w in str(e) for w in ("_DimExpr", "symbolic", "Symbolic"))


def _keyword_mismatch(e: TypeError) -> bool:
    """A TypeError from calling a function with keywords it does not take (or without the
    positional arguments it needs)."""
    msg = str(e)
    return any(w in msg for w in ("unexpected keyword argument", "required positional argument", "positional argument"))


def _linen_fn(module, params, static):
    if params is None:
        if module.scope is None:
            raise ValueError(
                "ovjax: an unbound flax.linen.Module needs its variables: pass params=... "
                "(what module.init returned) or convert module.bind(variables)"
            )
        unbound, variables = module.unbind()
    else:
        unbound = module.clone(parent=None) if module.scope is not None else module
        variables = params
    if not (isinstance(variables, dict) or hasattr(variables, "keys")):
        raise TypeError("ovjax: params must be the variables dict returned by module.init")
    if "params" not in variables and not any(k in variables for k in ("batch_stats", "cache")):
        variables = {"params": variables}
    mutable = False

    def fn(*a, **k):
        return unbound.apply(variables, *a, **k, **static, mutable=mutable)

    return fn


def _nnx_fn(module, static):
    import jax
    from flax import nnx

    graphdef, state = nnx.split(module)
    # The state holds the module's Variable objects, created outside this trace:
    # merging them as they are would make any state update during the call (an
    # nnx.Rngs counter behind Dropout, BatchNorm statistics) a TraceContextError.
    # Fresh Variables from the flat arrays belong to the trace; the arrays stay
    # constants of the jaxpr and the module itself is left untouched.
    leaves, treedef = jax.tree_util.tree_flatten(state)

    def fn(*a, **k):
        m = nnx.merge(graphdef, jax.tree_util.tree_unflatten(treedef, leaves))
        return m(*a, **k, **static)

    return fn


# ---------------------------------------------------------------- serialize


def _writer(traced: Traced, options: _options.SerializeOptions | None = None) -> GraphWriter:
    import jax

    w = GraphWriter(options)
    w.meta["producer"] = "ovjax"
    w.meta["ovjax_version"] = _library.__version__
    w.meta["jax_version"] = jax.__version__
    try:
        import jaxlib

        w.meta["jaxlib_version"] = jaxlib.__version__
    except Exception:
        pass
    cj = traced.jaxpr
    w.graph(cj.jaxpr, cj.consts)
    warn_dropped_effects(w.dropped_effects)
    w.input_names = list(traced.input_names)
    w.output_names = list(traced.output_names)
    return w


def serialize(model, example_input=None, *, options=None, **kwargs) -> bytes:
    """The .ovjax file bytes for `model` (see trace() for the arguments). options: the
    serializer's options, e.g. {"scan_hoist": False} (the README lists them)."""
    ser, _ = _options.split(options, to_frontend=False)
    return _writer(trace(model, example_input, **kwargs), ser).graph_bytes(external=False)


def save(model, path, example_input=None, *, options=None, **kwargs) -> None:
    """Write `model` to an .ovjax file (options: as serialize's)."""
    ser, _ = _options.split(options, to_frontend=False)
    w = _writer(trace(model, example_input, **kwargs), ser)
    with open(os.fspath(path), "wb") as f:
        w.write(f, external=False)


def to_frontend_input(
    traced: Traced, share_weights: bool = True, options: _options.SerializeOptions | None = None
) -> dict:
    """The in-memory form the ovjax frontend loads: a dict (ov::AnyMap) of ov.Tensors.

    With share_weights the weights stay where JAX keeps them: each is handed over as
    its own tensor that views the same memory; without, they are copied into the
    graph bytes. options: the serializer's (None: the environment's, else the defaults).
    """
    import openvino as ov

    w = _writer(traced, options)
    blob = np.frombuffer(w.to_buffer(external=share_weights), dtype=np.uint8)
    d: dict[str, Any] = {"ovjax_graph": ov.Tensor(blob, shared_memory=True)}
    views = [blob]
    if share_weights and w.buffers:
        views += [_byte_view(a) for a in w.buffers]
        d["ovjax_buffers"] = {str(i): ov.Tensor(v, shared_memory=True) for i, v in enumerate(views[1:])}
    # ov.Tensor keeps its array alive only while the Python Tensor lives; the frontend
    # holds this object (as a C++ reference) in every constant that views the memory.
    d["ovjax_keepalive"] = _KeepAlive(views, traced)
    return d


class _KeepAlive:
    """Owns the memory the converted model's constants view (see to_frontend_input)."""

    __slots__ = ("objects",)

    def __init__(self, *objects):
        self.objects = objects


def _byte_view(a: np.ndarray) -> np.ndarray:
    """A writable uint8 view of `a`'s memory (no copy) that keeps `a` alive.

    ov.Tensor only shares writable arrays, and numpy views of JAX arrays are read-only;
    OpenVINO only reads constants, so a writable alias of the same bytes is safe.
    """
    if a.nbytes == 0:
        return np.zeros((0,), dtype=np.uint8)
    if a.flags.writeable:
        return a.reshape(-1).view(np.uint8)
    return np.asarray(_Alias(a))


class _Alias:
    """Exposes an array's memory as writable bytes; the resulting array's base is this
    object, which holds the owner."""

    __slots__ = ("__array_interface__", "owner")

    def __init__(self, a: np.ndarray):
        self.owner = a
        self.__array_interface__ = {
            "data": (a.__array_interface__["data"][0], False),
            "shape": (a.nbytes,),
            "typestr": "|u1",
            "version": 3,
        }


def convert_model(
    model,
    example_input=None,
    input=None,
    share_weights: bool = True,
    *,
    params=None,
    call_kwargs=None,
    extension=None,
    options=None,
    output=None,
):
    """Convert a JAX model to an openvino.Model through the ovjax frontend.

    model: a ClosedJaxpr (jax.make_jaxpr), a bound flax.linen.Module (or an unbound
        one with params=), a flax.nnx.Module, any JAX callable, the path of an
        .ovjax file, or an .ovjax file's bytes.
    example_input: the arguments to trace with: one array, a tuple of positional
        arguments, or a dict of keyword arguments (bool/str/None values in a dict are
        passed as static flags, e.g. {"x": x, "training": False}).
    input: OpenVINO-style input shapes/types, in argument order. For callables and
        modules the model is retraced with them; for a ClosedJaxpr or a file only the
        element types can change (a jaxpr's shapes are fixed when it is traced). A shape
        may have symbolic (dynamic) dimensions: a name (("B", 3, 224, 224): the same name
        is the same size wherever it occurs), -1, "?" or ov.Dimension() (each a size of
        its own), ov.Dimension(1, 64) (bounded), or an ov.PartialShape ("[?,128]",
        "[1..64,128]"); example_input may also hold jax.ShapeDtypeStructs of
        jax.export.symbolic_shape(...) shapes. The model is traced once, for every size.
        An entry may name the input it describes (("x", [2, 3]), or a dict by name);
        when every entry names one, the model's inputs take that order.
    output: the outputs to keep, by name, in this order: a name, a comma-separated
        string of names, or a list of names (as ov.convert_model's output=).
    call_kwargs: static keyword arguments for the call (e.g. {"training": False}).
    extension: a ConversionExtension (or list), or the path of an extension library,
        adding or overriding translators.
    options: conversion options, e.g. {"scan_unroll": 0, "max_expanded_size": 10**8}:
        the serializer's (scan_hoist) and the frontend's in one dict; an option not
        given takes its environment variable, else its default (the README lists them).
    """
    if options is not None and not isinstance(options, dict):
        raise TypeError(f"ovjax: options must be a dict of option names to values, got {_describe(options)}")
    with _gc_paused():
        return _convert_model(
            model, example_input, input, share_weights, params, call_kwargs, extension, options, output
        )


@contextlib.contextmanager
def _gc_paused():
    """Python's cyclic collector paused while a model is converted: serializing makes
    many short-lived acyclic objects, and each collection they trigger walks the whole
    heap, JAX's included (about 12% of a 3,000-equation conversion, benchmarks/conversion.py).
    Reference counting frees them as usual; the collector resumes after."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _convert_model(model, example_input, input, share_weights, params, call_kwargs, extension, options, output):
    data = _ovjax_file(model)
    fixed_shapes = data is not None or has_fixed_shapes(model)
    if data is None:
        # the serializer's options act here; the rest go to the frontend (for a file,
        # serialized already, all of them: a serializer option is the frontend's error)
        serializer_options, options = _options.split(options, to_frontend=True)
        traced = trace(
            model,
            example_input,
            params=params,
            call_kwargs=call_kwargs,
            input=input if not fixed_shapes else None,
        )
        data = to_frontend_input(traced, share_weights, serializer_options)
    elif example_input is not None:
        raise ValueError("ovjax: an .ovjax file is already traced; example_input does not apply to it")
    fe = _library.frontend()
    if extension is not None:
        for ext in extension if isinstance(extension, (list, tuple)) else [extension]:
            fe.add_extension(os.fspath(ext) if isinstance(ext, os.PathLike) else ext)
    if options:
        data["ovjax_options"] = dict(options)
    im = fe.load(data, True)
    if input is not None and fixed_shapes:
        _apply_input_to_places(im, input)
    if output is not None:
        _keep_outputs(im, output)
    ov_model = fe.convert(im)
    return ov_model


def _place_names(places) -> str:
    return ", ".join(repr(p.get_names()[0]) for p in places)


def _input_place(im, name: str):
    p = im.get_place_by_tensor_name(name)
    if p is None or not p.is_input():
        raise ValueError(f"ovjax: the model has no input named {name!r}; its inputs: {_place_names(im.get_inputs())}")
    return p


def _entry_name(item) -> str | None:
    """The input name an `input=` list entry gives: a bare str, or a str inside a tuple
    that is not a shape of symbol names."""
    if isinstance(item, str):
        return item
    if isinstance(item, tuple) and item and not all(_is_dim_item(d) for d in item):
        names = [p for p in item if isinstance(p, str)]
        return names[0] if names else None
    return None


def _apply_input_to_places(im, spec) -> None:
    import openvino as ov

    places = im.get_inputs()
    if isinstance(spec, dict):
        pairs = [(_input_place(im, name), _parse_input_spec([s], 1)[0]) for name, s in spec.items()]
    else:
        entries = spec if isinstance(spec, list) else None
        names = [_entry_name(e) for e in entries] if entries else []
        if names and all(names):
            named = [_input_place(im, n) for n in names]
            pairs = list(zip(named, _parse_input_spec(entries, len(entries))))
            if [p.get_names() for p in named] != [p.get_names() for p in places]:
                im.override_all_inputs(named)  # the inputs in the order given
        else:
            pairs = list(zip(places, _parse_input_spec(spec, len(places))))
    for place, (shape, dtype) in pairs:
        if shape is not None:
            im.set_partial_shape(place, shape if isinstance(shape, ov.PartialShape) else ov.PartialShape(list(shape)))
        if dtype is not None:
            im.set_element_type(place, ov.Type(dtype))


def _keep_outputs(im, output) -> None:
    names = [n.strip() for n in output.split(",")] if isinstance(output, str) else list(output)
    places = []
    for name in names:
        p = im.get_place_by_tensor_name(name) if isinstance(name, str) else None
        if p is None or not p.is_output():
            raise ValueError(
                f"ovjax: output={name!r}: the model has no output of that name; its outputs: "
                f"{_place_names(im.get_outputs())}"
            )
        places.append(p)
    im.override_all_outputs(places)
