"""Trace JAX models, serialize them and convert them through the ovjax frontend."""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _library, _options
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
    try:
        import flax.linen as nn
    except Exception:
        return False
    return isinstance(obj, nn.Module)


def _is_nnx(obj) -> bool:
    try:
        from flax import nnx
    except Exception:
        return False
    return isinstance(obj, nnx.Module)


def is_jax_model(obj) -> bool:
    """True for jaxprs and Flax modules: the objects the ov.convert_model hook hands to
    ovjax. A plain callable is not one of them (ovjax.convert_model still converts it)."""
    if isinstance(obj, (ClosedJaxpr, Jaxpr)):
        return True
    if _is_linen(obj) or _is_nnx(obj):
        return True
    return False


_ACCEPTED = (
    "ovjax converts a jax ClosedJaxpr (jax.make_jaxpr), a flax.linen or flax.nnx Module, any JAX callable "
    "(with example_input), the path of an .ovjax file, or an .ovjax file's bytes"
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


def _leaf_names(prefix: str, tree) -> list[str]:
    import jax

    leaves = jax.tree_util.tree_flatten_with_path(tree)[0]
    if len(leaves) == 1 and not leaves[0][0]:
        return [prefix]
    return [prefix + jax.tree_util.keystr(path) for path, _ in leaves]


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


def _apply_input_spec(args, kwargs, input_spec):
    """Replace example leaves by ShapeDtypeStructs of the requested shapes/types."""
    import jax

    if input_spec is None:
        return args, kwargs
    if isinstance(input_spec, dict):
        raise TypeError(
            "ovjax: input= as a dict is only supported for ClosedJaxpr inputs; pass a list in argument order"
        )
    leaves, tree = jax.tree_util.tree_flatten((args, kwargs))
    specs = [
        (None if sh is None else _as_static_shape(sh), dt) for sh, dt in _parse_input_spec(input_spec, len(leaves))
    ]
    new = []
    for leaf, (shape, dtype) in zip(leaves, specs):
        arr_shape = tuple(np.shape(leaf))
        arr_dtype = getattr(leaf, "dtype", np.asarray(leaf).dtype)
        new.append(jax.ShapeDtypeStruct(tuple(shape) if shape is not None else arr_shape, dtype or arr_dtype))
    return jax.tree_util.tree_unflatten(tree, new)


def _parse_input_spec(spec, n: int):
    """OpenVINO-style `input=` into a list of (shape object or None, numpy dtype or None).

    Accepts one shape, or a list with an entry per input: a shape (list/tuple of ints,
    ov.Shape, ov.PartialShape), a type (ov.Type, numpy dtype), or a tuple mixing a name,
    a shape and a type.
    """
    if not isinstance(spec, (list, tuple)) or (spec and all(isinstance(d, int) for d in spec)):
        spec = [spec]
    out = []
    for item in spec:
        shape = dtype = None
        parts = item if isinstance(item, tuple) and item and not all(isinstance(d, int) for d in item) else (item,)
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


def _as_static_shape(p):
    import openvino as ov

    if isinstance(p, ov.PartialShape):
        if p.is_dynamic:
            raise ValueError(
                f"ovjax: dynamic input shape {p}: ovjax converts jaxprs with static shapes; give a static shape"
            )
        return tuple(int(d.get_length()) for d in p)
    if isinstance(p, ov.Shape):
        return tuple(int(d) for d in p)
    if isinstance(p, (list, tuple)):
        if any((not isinstance(d, int)) or d < 0 for d in p):
            raise ValueError(f"ovjax: dynamic input shape {p}: give a static shape")
        return tuple(p)
    raise TypeError(f"ovjax: cannot read an input shape or type from {p!r}")


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

    args, kwargs = _apply_input_spec(args, kwargs, input)
    out_shape_box: list[Any] = []

    def flat_fn(*a, **k):
        out = fn(*a, **k)
        out_shape_box.append(out)
        return out

    closed = jax.make_jaxpr(flat_fn)(*args, **kwargs)
    arg_names = names_fn()
    in_names: list[str] = []
    for name, a in zip(arg_names, args):
        in_names.extend(_leaf_names(name, a))
    for k in kwargs:
        in_names.extend(_leaf_names(k, kwargs[k]))
    if len(in_names) != len(closed.jaxpr.invars):
        in_names = [f"input_{i}" for i in range(len(closed.jaxpr.invars))]
    out_names = _output_names(out_shape_box[-1]) if out_shape_box else []
    if len(out_names) != len(closed.jaxpr.outvars):
        out_names = [f"output_{i}" for i in range(len(closed.jaxpr.outvars))]
    keepalive.append(model)
    return Traced(closed, _dedupe(in_names), out_names, keepalive)


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
        element types can change (a jaxpr's shapes are fixed when it is traced).
    call_kwargs: static keyword arguments for the call (e.g. {"training": False}).
    extension: a ConversionExtension (or list) adding or overriding translators.
    options: conversion options, e.g. {"scan_unroll": 0, "max_expanded_size": 10**8}:
        the serializer's (scan_hoist) and the frontend's in one dict; an option not
        given takes its environment variable, else its default (the README lists them).
    """
    if options is not None and not isinstance(options, dict):
        raise TypeError(f"ovjax: options must be a dict of option names to values, got {_describe(options)}")
    data = _ovjax_file(model)
    fixed_shapes = data is not None or isinstance(model, (ClosedJaxpr, Jaxpr))
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
            fe.add_extension(ext)
    if options:
        data["ovjax_options"] = dict(options)
    im = fe.load(data, True)
    if input is not None and fixed_shapes:
        _apply_input_to_places(im, input)
    ov_model = fe.convert(im)
    return ov_model


def _apply_input_to_places(im, spec) -> None:
    import openvino as ov

    places = im.get_inputs()
    items = spec if isinstance(spec, dict) else None
    if items is None:
        specs = _parse_input_spec(spec, len(places))
        pairs = list(zip(places, specs))
    else:
        pairs = []
        for name, s in items.items():
            p = im.get_place_by_tensor_name(name)
            if p is None:
                raise ValueError(f"ovjax: the model has no input named {name!r}")
            pairs.append((p, _parse_input_spec([s], 1)[0]))
    for place, (shape, dtype) in pairs:
        if shape is not None:
            im.set_partial_shape(place, shape if isinstance(shape, ov.PartialShape) else ov.PartialShape(list(shape)))
        if dtype is not None:
            im.set_element_type(place, ov.Type(dtype))
