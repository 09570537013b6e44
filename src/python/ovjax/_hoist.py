"""Serialization-time hoisting of per-step input work out of ``scan`` bodies.

A scan body often does heavy work on each step's ``xs`` slice that does not depend on the
carry: an RNN's input projections ``x_t @ W``. Done inside the loop, that is one small
matrix product per step, and on OpenVINO every node of a Loop body costs a fixed
overhead per iteration. JAX's own partial evaluation splits the body by data dependence
(consts and xs known, carries unknown); the known part is then computed for all steps at
once (``jax.vmap`` over the scan axis: one large product), and the scan runs the rest,
reading the hoisted values as extra ``xs``.

The rewrite is written as a ``closed_call`` of the traced replacement (as ``_expand``
does), so the C++ side sees ordinary primitives. Values the remaining body needs that do
not depend on ``xs`` (a weight, a reshaped bias) stay loop invariants. It is applied only
when the known part contains a ``dot_general`` or a convolution on the xs, and when the
hoisted per-step values stay small (``MAX_HOISTED_BYTES`` over all steps).
The serializer option ``scan_hoist`` (environment ``OVJAX_SCAN_HOIST``) turns it off.
A scan with symbolic dimensions (a symbolic length, or symbolic shapes in its operands or
results) is left as it is: the size limit cannot be decided on them.
"""

from __future__ import annotations

from ._jax_compat import Literal, eqn_params, has_symbolic, is_symbolic

MAX_HOISTED_BYTES = 64 << 20
HEAVY = {"dot_general", "conv_general_dilated"}


def _in(v, vars_: set) -> bool:
    """Whether the atom ``v`` (a variable or a literal) is one of ``vars_``."""
    return not isinstance(v, Literal) and v in vars_


def _depends_on(jaxpr, seeds: set) -> set:
    """Variables of ``jaxpr`` (a Jaxpr) data-dependent on ``seeds`` (conservatively: every
    output of an equation with a dependent input)."""
    dep = set(seeds)
    for eqn in jaxpr.eqns:
        if any(_in(v, dep) for v in eqn.invars):
            dep.update(eqn.outvars)
    return dep


def hoist_scan(eqn):
    """A ClosedJaxpr computing ``eqn``'s (a scan's) outputs from its operands with the
    carry-independent work on xs done before the loop, or None when there is nothing worth
    hoisting."""
    import jax
    from jax._src import core
    from jax._src.interpreters import partial_eval as pe

    p = eqn_params(eqn)  # the release-independent form: num_consts, num_carry, length, ...
    body = p["jaxpr"]
    nc, nk, length = p["num_consts"], p["num_carry"], p["length"]
    if is_symbolic(length) or any(has_symbolic(getattr(v.aval, "shape", ())) for v in (*eqn.invars, *eqn.outvars)):
        return None  # symbolic shapes: the hoisted size cannot be bounded; keep the scan
    nx = len(eqn.invars) - nc - nk
    ny = len(body.out_avals) - nk
    if nx == 0 or length < 1 or body.effects:
        return None
    unknowns = [False] * nc + [True] * nk + [False] * nx
    try:
        jk, ju, out_uk, res_avals = pe.partial_eval_jaxpr_nounits(body, unknowns, [True] * nk + [False] * ny)
    except Exception:  # noqa: BLE001 - a body JAX cannot split: leave the scan as it is
        return None
    xs_vars = set(jk.jaxpr.invars[nc:])
    dep = _depends_on(jk.jaxpr, xs_vars)
    if not any(e.primitive.name in HEAVY and any(_in(v, dep) for v in e.invars) for e in jk.jaxpr.eqns):
        return None
    n_known_out = len(jk.out_avals) - len(res_avals)
    res_vars = jk.jaxpr.outvars[n_known_out:]
    # per-step residuals (depend on xs) are hoisted; the others are loop invariants
    per_step = [_in(v, dep) for v in res_vars]
    hoisted_bytes = sum(a.size * a.dtype.itemsize for a, s in zip(res_avals, per_step) if s) * length
    hoisted_bytes += (
        sum(a.size * a.dtype.itemsize for a, uk in zip(body.out_avals[nk:], out_uk[nk:]) if not uk) * length
    )
    if hoisted_bytes > MAX_HOISTED_BYTES:
        return None
    known_fn = core.jaxpr_as_fun(jk)
    unknown_fn = core.jaxpr_as_fun(ju)
    reverse, unroll = p["reverse"], p["unroll"]

    def replacement(*operands):
        consts, init, xs = operands[:nc], operands[nc : nc + nk], operands[nc + nk :]
        known = jax.vmap(lambda *x_t: known_fn(*consts, *x_t))(*xs)
        # loop invariants: the same values at every step, computed once from step 0's xs
        # (nothing invariant reads them); unused outputs are dropped by the converter
        if not all(per_step):
            first = known_fn(*consts, *(x[0] for x in xs))
        else:
            first = None
        res_steps = [known[n_known_out + i] for i, s in enumerate(per_step) if s]
        invariants = [first[n_known_out + i] for i, s in enumerate(per_step) if not s] if first else []

        def step(carry, res_t):
            it_s, it_i = iter(res_t), iter(invariants)
            res = [next(it_s) if s else next(it_i) for s in per_step]
            outs = unknown_fn(*res, *carry)
            return list(outs[:nk]), list(outs[nk:])

        carry, ys_u = jax.lax.scan(step, list(init), res_steps, length=length, reverse=reverse, unroll=unroll)
        ys_k = iter(known[:n_known_out])
        ys_u = iter(ys_u)
        ys = [next(ys_u) if uk else next(ys_k) for uk in out_uk[nk:]]
        return [*carry, *ys]

    structs = [jax.ShapeDtypeStruct(v.aval.shape, v.aval.dtype) for v in eqn.invars]
    try:
        closed = jax.make_jaxpr(replacement)(*structs)
    except Exception:  # noqa: BLE001 - keep the scan as it is
        return None
    want = [v.aval for v in eqn.outvars]
    if len(closed.out_avals) != len(want) or any(
        tuple(g.shape) != tuple(w.shape) or g.dtype != w.dtype for g, w in zip(closed.out_avals, want)
    ):
        return None
    return closed
