"""Everything that differs between the JAX releases ovjax supports, in one place.

ovjax supports JAX 0.10.x to 0.12.x (tested: 0.10.2 and 0.12.0.1). This module holds
the version facts (``check_jax_version``: an older JAX is an ImportError, a newer one
than the newest tested a warning), where each release keeps its jaxpr classes, and how
each release spells the parameters of the primitives whose parameters changed.

``eqn_params(eqn)`` is what the serializer writes for an equation: one normalised form
of its parameters whatever release traced it, so the C++ frontend never learns which
release that was (docs/format.md, "Parameters that differ between JAX releases", lists
the normalised forms). Nothing else in the package reads a release-specific spelling:
the rest reads params through ``eqn_params``, the accessors below (``scan_counts``,
``sub_jaxpr``) or, to hand them back to JAX's own implementation of a primitive,
``own_params`` (a missing one is the same clear error).

The differences it hides (0.10 -> 0.12):

============================  =================================  ====================================
primitive / param             JAX 0.10                           JAX 0.12
============================  =================================  ====================================
scan                          num_consts, num_carry (ints)       ft_in / ft_out (FlatTrees whose groups
                                                                 are the consts, carries, xs / carries,
                                                                 ys); no num_consts / num_carry
sub-jaxprs (jit, scan,        ClosedJaxpr (jaxpr + consts), or   Jaxpr, its consts attached to it
while, cond, custom_*,        an open Jaxpr (remat2)             (ClosedJaxpr is an alias of Jaxpr)
closed_call, ...)
jit / pjit inline             bool                               jax.Inline enum (AUTO, JAX_EARLY, ...)
composite's decomposition     ``jaxpr``                          ``call_jaxpr``
top_k                         (always stable)                    is_stable (default True)
closed_call                   ``closed_call`` (call_jaxpr)       ``eval_jaxpr`` (call_jaxpr)
identity casts                ``reduced_vary_cast_p``,           ``reduced_vary_cast``,
                              ``vary_unreduced_cast_p``          ``vary_unreduced_cast``
digamma at +-0                NaN                                -inf (XLA's chlo.digamma; written as
                                                                 digamma's at_zero param)
custom_root, jnp.ldexp,       custom_jvp_call                    call_hi_primitive of a HiPrim (expanded
jnp.frexp                                                        into its own expand(), see _expand.py)
============================  =================================  ====================================
"""

from __future__ import annotations

import enum
import functools
import inspect
import math
import re
import warnings
from typing import Any

import jax
from jax._src.export import shape_poly as _shape_poly  # symbolic dimensions (below); jax imports it too

# ---------------------------------------------------------------- version facts

OLDEST_SUPPORTED = (0, 10)  # releases before this one are refused
NEWEST_TESTED = (0, 12)  # releases after this one warn
TESTED_RELEASES = ("0.10.2", "0.12.0.1")
SUPPORTED_RANGE = "JAX 0.10.x to 0.12.x"


def release(version: str) -> tuple[int, ...]:
    """The leading integers of a version string: "0.12.0.1" -> (0, 12, 0, 1),
    "0.13.0.dev20260101" -> (0, 13, 0)."""
    nums = []
    for part in version.split("."):
        m = re.match(r"\d+", part)
        if m is None:
            break
        nums.append(int(m.group()))
        if m.end() != len(part):
            break
    return tuple(nums)


_warned: set[str] = set()


def check_jax_version(version: str | None = None) -> None:
    """ImportError for a JAX older than the supported range; one UserWarning per process
    (per version) for a JAX newer than the newest tested release."""
    version = jax.__version__ if version is None else version
    rel = release(version)
    if rel[:2] < OLDEST_SUPPORTED:
        raise ImportError(
            f"ovjax supports {SUPPORTED_RANGE}, but JAX {version} is installed: "
            f"install jax>={'.'.join(map(str, OLDEST_SUPPORTED))} (pip install -U jax)"
        )
    if rel[:2] > NEWEST_TESTED and version not in _warned:
        _warned.add(version)
        warnings.warn(
            f"ovjax is tested with {SUPPORTED_RANGE} (releases {', '.join(TESTED_RELEASES)}); JAX {version} "
            "is newer: conversions may fail on primitives or parameters that release changed",
            UserWarning,
            stacklevel=2,
        )


# ---------------------------------------------------------------- jaxpr classes

try:  # jax >= 0.4.3x; in 0.12 ClosedJaxpr is an alias of Jaxpr (consts attached)
    import jax.extend.core as _core
except ImportError:  # pragma: no cover - old jax
    import jax.core as _core  # type: ignore[no-redef]

ClosedJaxpr = _core.ClosedJaxpr
Jaxpr = _core.Jaxpr
Literal = _core.Literal
Var = _core.Var
DropVar = getattr(_core, "DropVar", None)
if DropVar is None:  # pragma: no cover
    from jax._src.core import DropVar  # type: ignore[no-redef]


def traced_jaxpr(traced) -> Any:
    """The ClosedJaxpr of a jax.stages.Traced (jax.jit(f).trace(...)): a ClosedJaxpr in
    JAX 0.10; from 0.12 an open Jaxpr whose constants the Traced keeps beside it."""
    j = traced.jaxpr
    if isinstance(j, ClosedJaxpr):
        return j
    consts = getattr(traced, "_consts", None)
    if consts is None:
        if j.constvars:
            raise TypeError(
                f"ovjax: this JAX {jax.__version__} Traced does not give its jaxpr's {len(j.constvars)} constants; "
                "convert the jitted function with example_input instead"
            )
        consts = []
    return ClosedJaxpr(j, list(consts))


def sub_jaxpr(p) -> tuple[Any, list]:
    """(open jaxpr, consts) of a sub-jaxpr parameter: a ClosedJaxpr's jaxpr and consts
    (JAX 0.10), a Jaxpr and the consts attached to it (0.12), or an open Jaxpr whose
    constvars the caller binds (0.10's remat2: no consts)."""
    if isinstance(p, ClosedJaxpr):  # in 0.12 every Jaxpr: .jaxpr is itself
        return p.jaxpr, list(p.consts)
    if isinstance(p, Jaxpr):
        return p, []
    raise TypeError(f"ovjax: expected a jaxpr, got {type(p).__name__}")


def is_jaxpr(p) -> bool:
    return isinstance(p, (ClosedJaxpr, Jaxpr))


# ---------------------------------------------------------------- names

# Primitives a JAX release renamed: the name it uses -> the one name ovjax writes (the
# C++ table knows only the written one).
RENAMED = {
    "eval_jaxpr": "closed_call",  # 0.12's name for the call of a closed jaxpr
    "reduced_vary_cast_p": "reduced_vary_cast",  # 0.10's names (0.12 dropped the _p)
    "vary_unreduced_cast_p": "vary_unreduced_cast",
}


def primitive_name(eqn) -> str:
    """The name the serializer writes for an equation's primitive, whatever release traced it."""
    name = eqn.primitive.name
    return RENAMED.get(name, name)


def bind_closed_call(closed_jaxpr, *args):
    """Stage a call of ``closed_jaxpr`` on ``args`` the way jax.lax's eval_jaxpr does
    (0.10: eval_jaxpr_p(jaxpr=) staged as closed_call; 0.12: eval_jaxpr_p(call_jaxpr=))."""
    from jax._src.lax.eval_jaxpr import eval_jaxpr_p

    kw = _closed_call_keyword(eval_jaxpr_p)
    return eval_jaxpr_p.bind(*args, **{kw: closed_jaxpr})


def _closed_call_keyword(prim) -> str:
    """The keyword eval_jaxpr_p's implementation takes its jaxpr by."""
    kwonly = [p.name for p in inspect.signature(prim.impl).parameters.values() if p.kind == p.KEYWORD_ONLY]
    for name in ("call_jaxpr", "jaxpr"):
        if name in kwonly:
            return name
    raise NotImplementedError(
        f"ovjax: eval_jaxpr's implementation takes no 'call_jaxpr' or 'jaxpr' keyword in JAX {jax.__version__} "
        f"(it takes {kwonly})"
    )


# ---------------------------------------------------------------- parameters


class ParamsError(NotImplementedError):
    """A primitive's params have a shape this module does not know."""


def _unknown(prim: str, param: str, what: str) -> ParamsError:
    return ParamsError(
        f"ovjax: primitive {prim!r}: parameter {param!r} {what} in JAX {jax.__version__}; "
        f"ovjax knows the spellings of {SUPPORTED_RANGE}"
    )


def _group_sizes(prim: str, param: str, tree, n: int, total: int) -> list[int]:
    """Leaf counts of the ``n`` top-level groups of a JAX 0.12 FlatTree parameter
    (``ft_in``/``ft_out``), checked against the ``total`` operands or results it describes."""
    unpack = getattr(tree, "unpack", None)
    if unpack is None:
        raise _unknown(prim, param, f"is a {type(tree).__name__}, not a FlatTree")
    try:
        groups = unpack()
        sizes = [len(g) for g in groups]
    except Exception as e:  # noqa: BLE001 - a FlatTree of another layout
        raise _unknown(prim, param, f"({tree!r}) cannot be split into its groups ({type(e).__name__}: {e})") from e
    if len(sizes) != n or sum(sizes) != total:
        raise _unknown(prim, param, f"({tree!r}) has groups of {sizes} leaves, expected {n} groups of {total} in all")
    return sizes


def scan_counts(eqn) -> tuple[int, int, int]:
    """(num_consts, num_carry, num_xs) of a scan equation: its operands are the consts,
    the initial carries and the xs, in that order; its results the final carries and
    the stacked ys."""
    p = eqn.params
    n_in, n_out = len(eqn.invars), len(eqn.outvars)
    if "num_consts" in p and "num_carry" in p:  # JAX 0.10
        nc, nk = int(p["num_consts"]), int(p["num_carry"])
    elif "ft_in" in p and "ft_out" in p:  # JAX 0.12: FlatTrees of ((consts), (carry), (xs))
        nc, nk, _ = _group_sizes("scan", "ft_in", p["ft_in"], 3, n_in)
        out_carry, _ = _group_sizes("scan", "ft_out", p["ft_out"], 2, n_out)
        if out_carry != nk:
            raise _unknown("scan", "ft_out", f"has {out_carry} carries where ft_in has {nk}")
    else:
        raise _unknown("scan", "num_consts", f"is missing and so is 'ft_in' (params: {sorted(p)})")
    if nc < 0 or nk < 0 or nc + nk > n_in or nk > n_out:
        raise _unknown("scan", "num_consts", f"gives {nc} consts and {nk} carries for {n_in} operands")
    return nc, nk, n_in - nc - nk


def _scan(eqn, p) -> dict:
    nc, nk, _ = scan_counts(eqn)
    length = p["length"]
    # a scan over a symbolic axis has a symbolic length (written as a dim value)
    length = length if isinstance(length, DimExpr) else int(length)
    unroll = p.get("unroll", 1)
    if isinstance(unroll, bool):  # both releases store an int; True once meant "all steps"
        unroll = (length if isinstance(length, DimExpr) else max(length, 1)) if unroll else 1
    if isinstance(unroll, DimExpr):
        # unroll=True on a symbolic length: JAX stores the length. Steps per iteration only
        # tune the loop, and a number known at run time only cannot be unrolled: one step.
        unroll = 1
    return {
        "reverse": bool(p["reverse"]),
        "length": length,
        "jaxpr": p["jaxpr"],
        "num_consts": nc,
        "num_carry": nk,
        "unroll": int(unroll),
    }


def inline_flag(prim: str, v) -> bool:
    """jit's ``inline`` as a bool: whether JAX itself inlines the call (0.10: the bool;
    0.12: Inline.JAX_EARLY or JAX_LATE; XLA_EARLY, XLA_LATE and AUTO leave it to XLA)."""
    if isinstance(v, (bool, int)):
        return bool(v)
    if isinstance(v, enum.Enum) and isinstance(v.value, str):
        if v.value in ("jax_early", "jax_late"):
            return True
        if v.value in ("xla_early", "xla_late", "auto"):
            return False
    raise _unknown(prim, "inline", f"is {v!r}")


def _jit(eqn, p) -> dict:
    if "inline" not in p:
        return p
    out = dict(p)
    out["inline"] = inline_flag(eqn.primitive.name, p["inline"])
    return out


def _composite(eqn, p) -> dict:
    """composite's decomposition as ``jaxpr`` (0.10's name; 0.12 calls it ``call_jaxpr``)."""
    if "jaxpr" in p:
        return p
    if "call_jaxpr" not in p:
        raise _unknown("composite", "jaxpr", f"is missing and so is 'call_jaxpr' (params: {sorted(p)})")
    out = {k: v for k, v in p.items() if k != "call_jaxpr"}
    out["jaxpr"] = p["call_jaxpr"]
    return out


def _top_k(eqn, p) -> dict:
    """top_k with ``is_stable`` (0.12's parameter; 0.10's top_k is stable: of equal elements
    the lower index comes first)."""
    return p if "is_stable" in p else {**p, "is_stable": True}


def _digamma(eqn, p) -> dict:
    return {**p, "at_zero": digamma_at_zero(eqn.invars[0].aval.dtype)}


@functools.lru_cache(maxsize=None)
def digamma_at_zero(dtype) -> float:
    """JAX's digamma(+0) in ``dtype``: NaN in jaxlib 0.10, -inf in 0.12 (XLA's chlo.digamma
    decomposition changed). Asked of JAX itself on the CPU, once per dtype; without a CPU
    backend, those two releases' values by jaxlib version."""
    import numpy as np

    try:
        cpu = jax.devices("cpu")[0]
        with jax.default_device(cpu):
            v = float(np.asarray(jax.jit(jax.lax.digamma)(np.zeros((), dtype))))
    except Exception:  # noqa: BLE001 - no CPU backend: the released behaviour
        import jaxlib

        v = -math.inf if release(jaxlib.__version__)[:2] >= (0, 12) else math.nan
    return v


class Params(dict):
    """An equation's parameters as the running JAX spells them, for handing back to that
    release's own implementation of the primitive (``_expand``); reading one it does not
    have is an error naming the primitive, the parameter and the JAX version."""

    def __init__(self, prim: str, params) -> None:
        super().__init__(params)
        self.prim = prim

    def __missing__(self, key):
        raise _unknown(self.prim, key, f"is missing (params: {sorted(self)})")


def own_params(eqn) -> Params:
    """``eqn``'s parameters as the running JAX release spells them (see ``Params``)."""
    return Params(eqn.primitive.name, eqn.params)


# primitive name -> (eqn, params) -> normalised params
_RULES = {
    "scan": _scan,
    "jit": _jit,
    "pjit": _jit,
    "digamma": _digamma,
    "composite": _composite,
    "top_k": _top_k,
}


def eqn_params(eqn) -> dict:
    """The parameters of ``eqn`` in the normalised form the serializer writes."""
    rule = _RULES.get(eqn.primitive.name)
    return eqn.params if rule is None else rule(eqn, eqn.params)


# ---------------------------------------------------------------- symbolic dimensions
#
# A jaxpr traced with symbolic shapes (jax.export.symbolic_shape) has dimensions that are
# JAX's private ``_DimExpr``: a sum of terms ``coeff * f1^e1 * f2^e2 ...`` (its
# ``_sorted_terms``: (term, coeff) pairs, the constant term having no factors; a term's
# ``_factors``: (factor, exponent) pairs), where a factor is a named symbol (``.var``) or
# ``floordiv``/``mod``/``max``/``min`` (``.operation``) of operand expressions
# (``.operands``). The same in JAX 0.10 and 0.12; everything the package reads of it is
# here. Symbols live in a ``SymbolicScope`` that holds the user's constraints
# (``symbolic_shape(..., constraints=[...])``); JAX bounds a symbol by them (and by its
# own implicit ``>= 1``).

DimExpr = _shape_poly._DimExpr
SymbolicScope = _shape_poly.SymbolicScope
InconclusiveDimensionOperation = getattr(jax.errors, "InconclusiveDimensionOperation", None) or (
    _shape_poly.InconclusiveDimensionOperation
)
DIM_OPERATIONS = ("floordiv", "mod", "max", "min")


def is_symbolic(d) -> bool:
    """Whether ``d`` (a dimension or parameter value) is a symbolic dimension."""
    return isinstance(d, DimExpr)


def has_symbolic(shape) -> bool:
    """Whether any dimension of ``shape`` is symbolic."""
    return any(isinstance(d, DimExpr) for d in shape)


def dim_constant(e) -> int | None:
    """The integer value of a dimension that is a constant (an int, or a constant
    ``_DimExpr``), else None."""
    if not isinstance(e, DimExpr):
        return int(e)
    return DimExpr._to_constant(e)


def dim_terms(e) -> list[tuple[int, tuple]]:
    """``e`` as a sum of terms in JAX's order: [(coeff, ((factor, exponent), ...)), ...],
    the constant term with no factors. Read factors with ``dim_factor``."""
    return [(int(k), tuple((f, int(x)) for f, x in t._factors)) for t, k in e._sorted_terms]


def dim_factor(f) -> tuple[str, Any]:
    """A factor of a term: ("symbol", name), or (operation, (operand, operand)) for the
    operations of ``DIM_OPERATIONS``; an operand is an int or a ``_DimExpr``."""
    if f.var is not None:
        return "symbol", str(f.var)
    op = f.operation
    if op not in DIM_OPERATIONS or len(f.operands) != 2:
        raise NotImplementedError(
            f"ovjax: symbolic dimension factor {f} (operation {op!r} of {len(f.operands)} operands) in "
            f"JAX {jax.__version__}: ovjax knows {', '.join(DIM_OPERATIONS)} of two operands"
        )
    return op, tuple(o if (c := dim_constant(o)) is None else c for o in f.operands)


def dim_scope(e):
    """The ``SymbolicScope`` of a symbolic dimension."""
    return e.scope


def dim_symbols(e) -> set[str]:
    """The names of the symbols a dimension uses (none for an int)."""
    return set(e._get_vars()) if isinstance(e, DimExpr) else set()


def affine_symbol(e) -> tuple[str, int, int] | None:
    """(name, k, c) when the dimension ``e`` is ``k*S + c`` in one symbol ``S`` with k >= 1
    (what a symbol can be read back from at run time), else None."""
    if not isinstance(e, DimExpr):
        return None
    name, k, c = None, 0, 0
    for coeff, factors in dim_terms(e):
        if not factors:
            c = coeff
            continue
        if name is not None or len(factors) != 1 or factors[0][1] != 1:
            return None
        kind, what = dim_factor(factors[0][0])
        if kind != "symbol":
            return None
        name, k = what, coeff
    if name is None or k < 1:
        return None
    return name, k, c


def symbol_bounds(name: str, scope) -> tuple[int, int | None]:
    """(lower, upper or None for unbounded) that JAX proves for the symbol ``name`` under
    ``scope``'s constraints (JAX's lower bound is at least 1)."""
    from jax._src.export import shape_poly_decision  # noqa: F401 - installs the decision procedure

    e = DimExpr._from_var(name, scope)
    lo, hi = _shape_poly._bounds_decision(e, _shape_poly.BoundsPrecision.BEST)
    lower = 1 if lo == -math.inf else max(int(lo), 1)
    upper = None if hi == math.inf else int(hi)
    return lower, upper


def scope_constraints(scope) -> list[str]:
    """The constraints a ``SymbolicScope`` was created with, as strings (to create another
    scope with them and more). A ``mod(e, k) == 0`` constraint makes JAX add
    ``k*floordiv(e, k) == e`` before it; that one is left out (JAX derives it again)."""
    cons = list(scope._explicit_constraints)
    out = []
    for i, c in enumerate(cons):
        nxt = cons[i + 1] if i + 1 < len(cons) else None
        if nxt is not None and _is_mod_zero(nxt) and _derived_from(c, nxt):
            continue
        out.append(str(c.debug_str))
    return out


def _is_mod_zero(c) -> bool:
    if c.cmp != _shape_poly.Comparator.EQ or not isinstance(c.e1, DimExpr) or c.e2 != 0 or isinstance(c.e2, DimExpr):
        return False
    f = c.e1._to_factor()
    return f is not None and f.operation == "mod"


def _derived_from(c, mod_zero) -> bool:
    e = mod_zero.e1._to_factor().operands[0]
    return c.cmp == _shape_poly.Comparator.EQ and str(c.e2) == str(e) and "floordiv" in str(c.e1)


def symbolic_dims(spec: str, scope) -> tuple:
    """The dimensions of ``spec`` (e.g. "B, 2*S") parsed in ``scope``."""
    from jax import export

    return tuple(export.symbolic_shape(spec, scope=scope))


def new_scope(constraints) -> Any:
    return SymbolicScope(list(constraints))
