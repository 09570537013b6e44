"""Serialization-time expansion of primitives that JAX itself lowers from Python.

Some JAX primitives have no XLA operation of their own: JAX lowers them with
``mlir.lower_fun(<python implementation>)``, i.e. by tracing a Python function built
from other primitives (``igamma``, ``random_gamma``, ``lu``, ...). For those the
serializer traces the same implementation function with ``jax.make_jaxpr`` at the
equation's avals and parameters, and writes a ``closed_call`` equation whose
sub-jaxpr is that trace in place of the original equation. The C++ side inlines
it like any other call, so the converted model computes exactly what JAX compiles.

``EXPANSIONS`` maps a primitive name to a function ``params -> impl`` returning the
callable JAX lowers the primitive with (positional operands, as bound). The table in
``src/cpp/ops/primitives.def`` lists the same names as ``OVJAX_EXPANDED``
(``tests/test_coverage.py`` checks they agree). ``KEY_EXPANSIONS`` does the same for the
PRNG primitives on keys other than threefry2x32 ones (rbg, unsafe_rbg, ...), which are
translated natively for threefry2x32 keys only.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from ._jax_compat import own_params

# The primitive an expansion is written as (its sub-jaxpr in ``call_jaxpr``), and the
# parameter naming the primitive it was expanded from (for diagnostics only).
CALL = "closed_call"
EXPANDED_FROM = "ovjax_expanded_from"


def _special(name: str):
    def impl(params):
        from jax._src.lax import special as s

        fn = getattr(s, name)
        return s._up_and_broadcast(fn)

    return impl


def _bessel_i0e(params):
    from jax._src.lax import special as s

    return s.bessel_i0e_impl


def _random_gamma(params):
    from jax._src.random import core as r

    # the lowering JAX registers for every platform (use_vmap=True)
    return functools.partial(r._gamma_impl, log_space=params["log_space"], use_vmap=True)


def _linalg(name: str):
    def impl(params):
        from jax._src.lax import linalg as la

        fn = getattr(la, name)
        return functools.partial(fn, **params) if params else fn

    return impl


def _tridiagonal_solve(params):
    from jax._src.lax import linalg as la

    if params.get("perturb_singular"):
        raise NotImplementedError(
            "tridiagonal_solve with perturb_singular=True: JAX has no Python implementation to expand"
        )
    return functools.partial(la._tridiagonal_solve_jax, perturb_singular=False)


def _qr(params):
    from . import _linalg

    if params["pivoting"]:
        raise NotImplementedError("qr with pivoting=True (column-pivoted QR, LAPACK geqp3) is not implemented")
    # use_magma only chooses a GPU kernel
    return functools.partial(_linalg.qr, full_matrices=bool(params["full_matrices"]))


def _lapack_like(name: str):
    """geqrf, householder_product, hessenberg: LAPACK's packed forms, from _linalg's
    Householder code (no parameters)."""

    def impl(params):
        from . import _linalg

        fn = getattr(_linalg, name)
        return (lambda *a: list(fn(*a))) if name != "householder_product" else fn

    return impl


def _schur(params):
    from . import _eig as eig_impl

    if params.get("sort_eig_vals") or params.get("select_callable") is not None:
        raise NotImplementedError("schur with sort_eig_vals / select_callable (a Python callback) is not supported")
    return functools.partial(eig_impl.schur, compute_schur_vectors=bool(params["compute_schur_vectors"]))


def _tridiagonal(params):
    from . import _linalg

    lower = bool(params["lower"])
    return lambda a: list(_linalg.tridiagonal(a, lower=lower))


def _full_subset(prim: str, params, a) -> None:
    """subset_by_index: only None or the whole range is implemented, as on JAX's CPU."""
    sub = params["subset_by_index"]
    if sub is not None and tuple(sub) != (0, min(a.shape[-2:])):
        raise NotImplementedError(f"{prim} with subset_by_index={tuple(sub)} is not implemented (only the full range)")


def _eigh(params):
    from . import _linalg

    # algorithm (QR / Jacobi / QDWH) is a hint to the backend; the result is the same
    lower, sort = bool(params["lower"]), bool(params["sort_eigenvalues"])

    def fn(a):
        _full_subset("eigh", params, a)
        return list(_linalg.eigh(a, lower=lower, sort_eigenvalues=sort))

    return fn


def _svd(params):
    from . import _linalg

    # algorithm (QR / Jacobi / polar) is a hint to the backend; the result is the same
    full, uv = bool(params["full_matrices"]), bool(params["compute_uv"])

    def fn(a):
        _full_subset("svd", params, a)
        return _linalg.svd(a, full_matrices=full, compute_uv=uv)

    return fn


def _eig(params):
    from . import _eig as eig_impl

    # use_magma / implementation only choose a backend kernel; enable_eigvec_derivs only
    # affects differentiation
    return functools.partial(
        eig_impl.eig,
        compute_left_eigenvectors=bool(params["compute_left_eigenvectors"]),
        compute_right_eigenvectors=bool(params["compute_right_eigenvectors"]),
    )


def _custom_linear_solve(params):
    from jax._src.lax.control_flow import solves

    return functools.partial(
        solves._custom_linear_solve_impl, const_lengths=params["const_lengths"], jaxprs=params["jaxprs"]
    )


def _hi_primitive(params):
    """JAX 0.12's HiPrims (custom_root, ...): JAX lowers them through ``to_lojax``, the
    HiPrim's own ``expand`` on the unflattened operands."""
    from jax._src import hijax

    return functools.partial(hijax.call_hi_primitive_p.to_lojax, _prim=params["_prim"])


def _equinox(name: str):
    """Equinox's own primitives for its transforms (``equinox.internal``): JAX lowers each
    with ``mlir.lower_fun`` of the primitive's impl (identities outside vmap for
    nonbatchable, nondifferentiable_backward and nontraceable; any/all/max over the whole
    array for unvmap_*; a select for select_if_vmap; a conditional update for maybe_set),
    which the expansion traces the same way."""

    def impl(params):
        import equinox.internal as eqxi

        return functools.partial(getattr(eqxi, f"{name}_p").impl, **params)

    return impl


EQUINOX_PRIMITIVES = (
    "nonbatchable",
    "nondifferentiable_backward",
    "nontraceable",
    "unvmap_any",
    "unvmap_all",
    "unvmap_max",
    "select_if_vmap",
    "maybe_set",
)


def _zeta(name: str):
    def impl(params):
        from . import _zeta as z

        return getattr(z, name)

    return impl


EXPANSIONS: dict[str, Callable[[dict], Callable]] = {
    **{name: _equinox(name) for name in EQUINOX_PRIMITIVES},
    "zeta": _zeta("zeta"),
    "polygamma": _zeta("polygamma"),
    "igamma": _special("igamma_impl"),
    "igammac": _special("igammac_impl"),
    "igamma_grad_a": _special("igamma_grad_a_impl"),
    "regularized_incomplete_beta": _special("regularized_incomplete_beta_impl"),
    "bessel_i0e": _bessel_i0e,
    "random_gamma": _random_gamma,
    "tridiagonal_solve": _tridiagonal_solve,
    "custom_linear_solve": _custom_linear_solve,
    "lu": _linalg("_lu_python"),
    "lu_pivots_to_permutation": _linalg("_generic_lu_pivots_to_permutation"),
    "cholesky_update": _linalg("_cholesky_update_jax_fn"),
    "symmetric_product": _linalg("_symmetric_product_jax_fn"),
    "call_hi_primitive": _hi_primitive,
    "qr": _qr,
    "geqrf": _lapack_like("geqrf"),
    "householder_product": _lapack_like("householder_product"),
    "hessenberg": _lapack_like("hessenberg"),
    "tridiagonal": _tridiagonal,
    "eigh": _eigh,
    "svd": _svd,
    "eig": _eig,
    "schur": _schur,
}


# Complex operands of elementwise primitives translated natively for real ones: the
# serializer writes the complex case as JAX functions of the (real, imag) parts. sin, cos
# and logistic are JAX's own complex lowerings (mlir.lower_fun of the functions below);
# the others follow the expansions XLA computes them with (src/python/ovjax/_complex_math.py);
# indexing, reductions, sorts and convolutions are in src/python/ovjax/_complex_ops.py.
# ``COMPLEX_EXPANSIONS`` maps a primitive name to ``params -> callable``, used when an
# operand is complex (``expands_complex``).


def _lax_complex(name: str):
    def impl(params):
        from jax._src.lax import lax

        fn = getattr(lax, name)
        return functools.partial(fn, accuracy=params.get("accuracy")) if name == "logistic_impl" else fn

    return impl


def _complex_math(name: str):
    def impl(params):
        from . import _complex_math

        return getattr(_complex_math, name)

    return impl


COMPLEX_EXPANSIONS: dict[str, Callable[[dict], Callable]] = {
    "sin": _lax_complex("_sin_complex"),
    "cos": _lax_complex("_cos_complex"),
    "logistic": _lax_complex("logistic_impl"),
    **{
        name: _complex_math(name)
        for name in (
            "tan",
            "tanh",
            "sinh",
            "cosh",
            "asin",
            "acos",
            "atan",
            "asinh",
            "acosh",
            "atanh",
            "log",
            "log1p",
            "expm1",
            "sqrt",
            "rsqrt",
            "pow",
            "exp2",
            "log2",
        )
    },
}


def _complex_ops(name: str):
    def impl(params):
        from . import _complex_ops

        return getattr(_complex_ops, name)(params)

    return impl


COMPLEX_EXPANSIONS.update(
    {
        name: _complex_ops(name.replace("-", "_"))
        for name in (
            "gather",
            "scatter",
            "scatter-add",
            "scatter-sub",
            "scatter-mul",
            "scatter-max",
            "scatter-min",
            "dynamic_update_slice",
            "reduce_prod",
            "reduce_max",
            "reduce_min",
            "cumprod",
            "cummax",
            "cummin",
            "cumlogsumexp",
            "clamp",
            "reduce_window",
            "reduce_window_sum",
            "reduce_window_max",
            "reduce_window_min",
            "reduce",
            "sort",
            "conv_general_dilated",
            "triangular_solve",
            "cholesky",
        )
    }
)


def expands_complex(eqn) -> bool:
    """Whether ``eqn`` (of a ``COMPLEX_EXPANSIONS`` primitive) has a complex operand."""
    import numpy as np

    return any(np.issubdtype(getattr(v.aval, "dtype", np.float32), np.complexfloating) for v in eqn.invars)


# PRNG primitives on keys of an implementation other than threefry2x32 (rbg, unsafe_rbg,
# ...). JAX lowers random_seed/random_bits/random_split/random_fold_in with
# ``mlir.lower_fun`` of the key implementation's own functions, vmapped over the key
# array's shape (``jax._src.random.prng``'s ``*_lowering``); rbg's call
# ``rng_bit_generator`` and threefry2x32. The C++ translators implement threefry2x32 keys
# natively; for other implementations the serializer writes that trace instead (operating
# on the key data through random_unwrap/random_wrap). ``KEY_EXPANSIONS`` maps a primitive
# name to ``(impl, params) -> callable`` on the equation's operands.


def key_impl(eqn):
    """The PRNG implementation (a ``PRNGImpl``) of a random_* equation."""
    if eqn.primitive.name == "random_seed":
        return own_params(eqn)["impl"]
    return eqn.invars[0].aval.dtype._impl


def expands_key_impl(eqn) -> bool:
    """Whether ``eqn`` is a ``KEY_EXPANSIONS`` primitive on keys the C++ side does not
    implement natively (any implementation but threefry2x32)."""
    return eqn.primitive.name in KEY_EXPANSIONS and key_impl(eqn).name != "threefry2x32"


def _key_seed(impl, params):
    from jax._src.random import prng

    return lambda seeds: prng.random_wrap(prng.random_seed_impl_base(seeds, impl=impl), impl=impl)


def _key_bits(impl, params):
    from jax._src.random import prng

    def fn(keys):
        return prng.random_bits_impl_base(
            impl, prng.random_unwrap(keys), keys.ndim, bit_width=params["bit_width"], shape=params["shape"]
        )

    return fn


def _key_split(impl, params):
    from jax._src.random import prng

    def fn(keys):
        data = prng.random_split_impl_base(impl, prng.random_unwrap(keys), keys.ndim, shape=params["shape"])
        return prng.random_wrap(data, impl=impl)

    return fn


def _key_fold_in(impl, params):
    from jax._src.random import prng

    def fn(keys, msgs):
        data = prng.random_fold_in_impl_base(impl, prng.random_unwrap(keys), msgs, keys.shape)
        return prng.random_wrap(data, impl=impl)

    return fn


KEY_EXPANSIONS: dict[str, Callable[[Any, dict], Callable]] = {
    "random_seed": _key_seed,
    "random_bits": _key_bits,
    "random_split": _key_split,
    "random_fold_in": _key_fold_in,
}


def _aval_struct(a):
    import jax

    aval = a.aval
    return jax.ShapeDtypeStruct(aval.shape, aval.dtype)


def _params_key(params: dict) -> Any:
    try:
        key = tuple(sorted(params.items()))
        hash(key)
        return key
    except TypeError:
        return None


class Expander:
    """Expands equations of the primitives in ``EXPANSIONS`` (and those of
    ``COMPLEX_EXPANSIONS`` with a complex operand and of ``KEY_EXPANSIONS`` for which
    ``expands_key_impl`` holds); caches one trace per
    (primitive, operand avals, parameters) for the lifetime of one serialization."""

    def __init__(self) -> None:
        self._cache: dict = {}

    def __call__(self, eqn):
        """The ClosedJaxpr replacing ``eqn``."""
        import jax

        name = eqn.primitive.name
        structs = [_aval_struct(a) for a in eqn.invars]
        params = own_params(eqn)
        pkey = _params_key(params)
        key = None
        if pkey is not None:
            key = (name, tuple((s.shape, str(s.dtype)) for s in structs), pkey)
            hit = self._cache.get(key)
            if hit is not None:
                return hit
        try:
            if name in EXPANSIONS:
                impl = EXPANSIONS[name](params)
            elif name in COMPLEX_EXPANSIONS and expands_complex(eqn):
                impl = COMPLEX_EXPANSIONS[name](params)
            else:
                impl = KEY_EXPANSIONS[name](key_impl(eqn), params)
            if eqn.primitive.multiple_results:
                fn = impl
            else:

                def fn(*args):
                    return [impl(*args)]

            closed = jax.make_jaxpr(fn)(*structs)
        except Exception as e:  # noqa: BLE001 - JAX internals moved or rejected the case
            raise NotImplementedError(
                f"ovjax: primitive {name!r} is not supported by ovjax here: expanding it into JAX's own "
                f"implementation failed ({type(e).__name__}: {e})"
            ) from e
        outs = [v.aval for v in eqn.outvars]
        got = closed.out_avals
        if len(got) != len(outs) or any(
            tuple(g.shape) != tuple(o.shape) or g.dtype != o.dtype for g, o in zip(got, outs)
        ):
            raise NotImplementedError(
                f"ovjax: primitive {name!r} is not supported by ovjax here: its expansion returns "
                f"{[(tuple(g.shape), str(g.dtype)) for g in got]}, the equation "
                f"{[(tuple(o.shape), str(o.dtype)) for o in outs]}"
            )
        if key is not None:
            self._cache[key] = closed
        return closed
