"""Complex operands of indexing, reduction, sorting and convolution primitives, for
serialization-time expansion (``_expand.COMPLEX_EXPANSIONS``).

- Linear structure (gather, scatter-add, scatter-sub, dynamic_update_slice): the same
  primitive on the real and on the imaginary part; plain scatter on (re, im) pairs at once.
- Products and orderings (reduce_prod, reduce_max, reduce_min, the generic reduce,
  cumprod, cummax, cummin, reduce_window with any body): combinations of complex values with
  the complex ``mul``/``max``/``min``/``add`` the C++ side translates (max and min
  lexicographic on (re, im), as XLA orders complex values). Orderings are not associative
  once a NaN is involved (a comparison with NaN is false, so ``max`` keeps its second
  operand), so reductions fold in XLA's order: from the init value, element by element;
  windows (and cummax/cummin, which JAX lowers as a reduce-window over the whole axis) fold
  each window's taps in row-major order from the init value; beyond 16 elements cummax and
  cummin scan instead, which agrees with XLA's blocked rewrite unless NaNs are involved).
  cumprod is
  ``lax.associative_scan`` of the product, the lowering JAX registers where the cumulative
  reduce-window is unsupported.
- sort: a complex key is two float keys (re, then im), so keys order lexicographically with
  each part in JAX's float total order; complex operands travel as their two parts.
- conv_general_dilated: four real convolutions, (a + ib) * (c + id) = (ac - bd) + i(ad + bc).
"""

from __future__ import annotations

import functools

import numpy as np
from jax import lax


# Loops over rows, elements and scatter indices are unrolled up to this many steps.
_UNROLL = 16
# cummax/cummin fold each output's window (n^2 taps) up to this many elements along the
# axis; XLA's CPU compiler rewrites longer cumulative reduce-windows into blocks of 16.
_MAX_WINDOW = 16


def _is_complex(x) -> bool:
    return np.issubdtype(np.dtype(x.dtype), np.complexfloating)


def _parts(x):
    """(re, im) of a complex value; (x, None) of a real one."""
    return (lax.real(x), lax.imag(x)) if _is_complex(x) else (x, None)


# ---------------------------------------------------------------- linear structure


def gather(params):
    fill = params.get("fill_value")

    def fn(x, idx):
        re, im = _parts(x)

        def part(v, f):
            return lax.gather_p.bind(v, idx, **{**params, "fill_value": f})

        return lax.complex(
            part(re, None if fill is None else float(np.real(fill))),
            part(im, None if fill is None else float(np.imag(fill))),
        )

    return fn


def _scatter(api):
    def impl(params):
        kw = {k: params[k] for k in ("dimension_numbers", "indices_are_sorted", "unique_indices", "mode")}

        def fn(x, idx, upd):
            (xr, xi), (ur, ui) = _parts(x), _parts(upd)
            return lax.complex(api(xr, idx, ur, **kw), api(xi, idx, ui, **kw))

        return fn

    return impl


def scatter(params):
    """Plain scatter: the (re, im) pairs as one trailing window axis of 2, scattered once, so
    that where indices repeat (XLA leaves the winner unspecified; OpenVINO's CPU plugin
    writes them in parallel) the result is one of the updates whole, never the real part of
    one and the imaginary part of another, as two scatters of the parts could give."""
    kw = {k: params[k] for k in ("indices_are_sorted", "unique_indices", "mode")}
    dn = params["dimension_numbers"]

    def fn(x, idx, upd):
        import jax.numpy as jnp

        # (scatter's operand and updates share a dtype: both complex)
        xs, us = (jnp.stack([lax.real(z), lax.imag(z)], -1) for z in (x, upd))
        # the new last axis is a window axis of both: window axes map to the operand's
        # non-inserted, non-batching axes in order, and it is last in each
        sdn = dn._replace(update_window_dims=tuple(dn.update_window_dims) + (upd.ndim,))
        y = lax.scatter(xs, idx, us, sdn, **kw)
        return lax.complex(y[..., 0], y[..., 1])

    return fn


scatter_add = _scatter(lax.scatter_add)
scatter_sub = _scatter(lax.scatter_sub)


def _scatter_combining(combine):
    """A scatter whose updates combine with the operand by a complex `combine` (mul, max,
    min): the updates one scatter index at a time, in order, as XLA applies them on the
    CPU: gather the addressed window, combine, scatter it back (the same mode for both, so
    out-of-bounds windows are dropped or clamped alike)."""

    def impl(params):
        dn = params["dimension_numbers"]
        if dn.operand_batching_dims:
            raise NotImplementedError("complex scatter-mul/max/min with batching dimensions")
        mode = params["mode"]

        def fn(x, idx, upd):
            window = tuple(dn.update_window_dims)
            scatter_dims = [d for d in range(upd.ndim) if d not in window]
            n = int(np.prod([upd.shape[d] for d in scatter_dims], dtype=np.int64))
            upd_flat = lax.reshape(
                lax.transpose(upd, tuple(scatter_dims) + window), (n,) + tuple(upd.shape[d] for d in window)
            )
            idx_flat = lax.reshape(idx, (n, idx.shape[-1]))
            one_window = tuple(range(1, 1 + len(window)))
            sdn = lax.ScatterDimensionNumbers(
                update_window_dims=one_window,
                inserted_window_dims=tuple(dn.inserted_window_dims),
                scatter_dims_to_operand_dims=tuple(dn.scatter_dims_to_operand_dims),
            )
            sizes, w = [], iter(upd.shape[d] for d in window)
            for d in range(x.ndim):
                sizes.append(1 if d in dn.inserted_window_dims else next(w))
            gdn = lax.GatherDimensionNumbers(
                offset_dims=one_window,
                collapsed_slice_dims=tuple(dn.inserted_window_dims),
                start_index_map=tuple(dn.scatter_dims_to_operand_dims),
            )

            def step(k, x):
                i = lax.dynamic_slice_in_dim(idx_flat, k, 1)
                u = lax.dynamic_slice_in_dim(upd_flat, k, 1)
                cur = lax.gather(x, i, gdn, tuple(sizes), mode=mode, fill_value=0)
                return lax.scatter(x, i, combine(cur, u), sdn, mode=mode)

            if n <= _UNROLL:
                for k in range(n):
                    x = step(k, x)
                return x
            return lax.fori_loop(0, n, step, x)

        return fn

    return impl


scatter_mul = _scatter_combining(lax.mul)
scatter_max = _scatter_combining(lax.max)
scatter_min = _scatter_combining(lax.min)


def dynamic_update_slice(params):
    def fn(x, upd, *idx):
        (xr, xi), (ur, ui) = _parts(x), _parts(upd)
        return lax.complex(lax.dynamic_update_slice(xr, ur, idx), lax.dynamic_update_slice(xi, ui, idx))

    return fn


# ---------------------------------------------------------------- reductions


def _fold(xs, inits, combine):
    """acc = combine(acc, x[..., i]) for i in order along the last axis of each of `xs`, from
    `inits` (broadcast): XLA's order on the CPU, which decides which NaN an ordering keeps.
    Unrolled up to _UNROLL elements, a scan beyond."""
    n = xs[0].shape[-1]
    accs = [lax.broadcast(i, xs[0].shape[:-1]) for i in inits]
    if n <= _UNROLL:
        for k in range(n):
            accs = combine(accs, [lax.index_in_dim(x, k, axis=x.ndim - 1, keepdims=False) for x in xs])
        return accs
    moved = [lax.transpose(x, (x.ndim - 1,) + tuple(range(x.ndim - 1))) for x in xs]
    accs, _ = lax.scan(lambda a, t: (list(combine(a, list(t))), None), accs, moved)
    return accs


def _flatten_axes(x, axes):
    """x with the `axes` moved last and flattened into one."""
    keep = [d for d in range(x.ndim) if d not in axes]
    n = int(np.prod([x.shape[d] for d in axes], dtype=np.int64))
    return lax.reshape(lax.transpose(x, tuple(keep) + tuple(axes)), tuple(x.shape[d] for d in keep) + (n,))


def _reduce(op, identity):
    def impl(params):
        axes = tuple(sorted(params["axes"]))

        def fn(x):
            init = lax.full((), identity, x.dtype)
            (acc,) = _fold([_flatten_axes(x, axes)], [init], lambda a, t: [op(a[0], t[0])])
            return acc

        return fn

    return impl


reduce_prod = _reduce(lax.mul, 1)
reduce_max = _reduce(lax.max, complex(-np.inf, 0))
reduce_min = _reduce(lax.min, complex(np.inf, 0))


def _cumulative(op, identity, ordered):
    """cumprod: lax.associative_scan of the product (the lowering JAX registers where the
    cumulative reduce-window is unsupported; products differ from XLA's order by rounding
    only). cummax/cummin: JAX's own lowering, a reduce-window of the whole axis padded with
    the init value (each output folds its window in order: which NaN an ordering keeps),
    up to _MAX_WINDOW elements (n^2 taps); beyond, a sequential scan from the init value.
    Without NaNs all orders agree; with NaNs beyond 16 elements XLA's blocked rewrite may
    keep another element than the scan."""

    def impl(params):
        from jax._src.lax.control_flow import loops

        axis, reverse = params["axis"], params["reverse"]
        if not ordered:
            return functools.partial(loops.associative_scan, op, axis=axis, reverse=reverse)

        def fn(x):
            n = x.shape[axis]
            init = lax.full((), identity, x.dtype)
            if n <= _MAX_WINDOW:
                window = dict(
                    window_dimensions=tuple(n if d == axis else 1 for d in range(x.ndim)),
                    window_strides=(1,) * x.ndim,
                    padding=tuple(
                        ((0, n - 1) if reverse else (n - 1, 0)) if d == axis else (0, 0) for d in range(x.ndim)
                    ),
                    base_dilation=(1,) * x.ndim,
                    window_dilation=(1,) * x.ndim,
                )
                (acc,) = _window_reduce([x], [init], lambda a, t: [op(a[0], t[0])], window)
                return acc
            moved = _moveaxis(x, axis, 0)
            start = lax.broadcast(init, moved.shape[1:])
            _, ys = lax.scan(lambda a, t: (op(a, t), op(a, t)), start, moved, reverse=reverse)
            return _moveaxis(ys, 0, axis)

        return fn

    return impl


def _moveaxis(x, src, dst):
    perm = [d for d in range(x.ndim) if d != src]
    perm.insert(dst, src)
    return lax.transpose(x, tuple(perm))


cumprod = _cumulative(lax.mul, 1, ordered=False)
cummax = _cumulative(lax.max, complex(-np.inf, 0), ordered=True)
cummin = _cumulative(lax.min, complex(np.inf, 0), ordered=True)


def _logaddexp(a, b):
    from jax._src.lax.control_flow import loops

    return loops.logaddexp(a, b)


# JAX's complex logaddexp (the result's imaginary part wrapped into (-pi, pi]) folded as
# cummax is: its rounding depends on the order, which is XLA's window order
cumlogsumexp = _cumulative(_logaddexp, complex(-np.inf, 0), ordered=True)


def clamp(params):
    """clamp(lo, x, hi) as XLA's CPU computes complex clamps: by the real parts alone (not
    the lexicographic order of max/min), t = lo where re x <= re lo (ties and a NaN lo keep
    x), then hi unless re t <= re hi (ties keep t; a NaN anywhere gives hi). Measured
    against JAX 0.10 and 0.12 (tests/test_complex_ops.py)."""
    import jax.numpy as jnp

    def fn(lo, x, hi):
        t = jnp.where(lax.real(x) <= lax.real(lo), lo, x)
        return jnp.where(lax.real(t) <= lax.real(hi), t, hi).astype(x.dtype)

    return fn


def _window_reduce(xs, inits, combine, params):
    """reduce_window of `xs` (with init values `inits`) by `combine` (accs, taps -> accs):
    every window position's tap, a strided slice of the padded and base-dilated operand,
    combined in row-major order from the init value. Taps in the padding or in a base
    dilation hole are skipped, as XLA's CPU emitter skips them (with an init value that is
    no identity of the body, logaddexp's -inf for one, combining them would differ)."""
    dims = params["window_dimensions"]
    strides = params["window_strides"]
    padding = params["padding"]
    base = params["base_dilation"]
    wdil = params["window_dilation"]
    padded = [
        lax.pad(x, lax.convert_element_type(i, x.dtype), [(lo, hi, b - 1) for (lo, hi), b in zip(padding, base)])
        for x, i in zip(xs, inits)
    ]
    shape = padded[0].shape
    out = tuple(
        0 if s < (d - 1) * w + 1 else (s - (d - 1) * w - 1) // st + 1 for s, d, w, st in zip(shape, dims, wdil, strides)
    )
    accs = [lax.broadcast(lax.convert_element_type(i, x.dtype), out) for x, i in zip(xs, inits)]
    if not all(out):
        return accs
    pads = [(lo, hi, b - 1) for (lo, hi), b in zip(padding, base)]
    inside = None
    if any(lo or hi or d for lo, hi, d in pads):
        inside = lax.pad(lax.full(xs[0].shape, True, np.bool_), np.bool_(False), pads)
    for pos in np.ndindex(*dims):
        start = [p * w for p, w in zip(pos, wdil)]
        stop = [s + (o - 1) * st + 1 for s, o, st in zip(start, out, strides)]
        new = combine(accs, [lax.slice(p, start, stop, strides) for p in padded])
        if inside is None:
            accs = new
        else:
            keep = lax.slice(inside, start, stop, strides)
            accs = [lax.select(keep, n, a) for n, a in zip(new, accs)]
    return accs


def _eval_body(params):
    from jax import core

    body = params.get("jaxpr", params.get("computation"))
    body = getattr(body, "jaxpr", body)
    consts = params.get("consts", ())
    return lambda accs, taps: core.eval_jaxpr(body, consts, *accs, *taps)


def reduce_window(params):
    """reduce_window with any body (its jaxpr applied to complex values)."""
    body = _eval_body(params)

    def fn(*args):
        n = len(args) // 2
        return _window_reduce(args[:n], args[n:], body, params)

    return fn


def _window_monoid(op, identity):
    def impl(params):
        def fn(x):
            (acc,) = _window_reduce([x], [lax.full((), identity, x.dtype)], lambda a, t: [op(a[0], t[0])], params)
            return acc

        return fn

    return impl


reduce_window_sum = _window_monoid(lax.add, 0)
reduce_window_max = _window_monoid(lax.max, complex(-np.inf, 0))
reduce_window_min = _window_monoid(lax.min, complex(np.inf, 0))


def reduce(params):
    """The generic reduce with a complex body, folded over the reduced axes in order from the
    init values (XLA's order on the CPU)."""
    body = _eval_body(params)
    axes = tuple(sorted(params["dimensions"]))

    def fn(*args):
        n = len(args) // 2
        return _fold([_flatten_axes(x, axes) for x in args[:n]], list(args[n:]), body)

    return fn


# ---------------------------------------------------------------- sort


def sort(params):
    """Complex keys as two float keys (re, im); complex values as their two parts."""
    num_keys = params["num_keys"]

    def fn(*operands):
        flat, layout, keys = [], [], 0
        for k, x in enumerate(operands):
            re, im = _parts(x)
            flat.append(re)
            if im is not None:
                flat.append(im)
            layout.append(im is not None)
            if k < num_keys:
                keys += 2 if im is not None else 1
        out = lax.sort_p.bind(*flat, dimension=params["dimension"], is_stable=params["is_stable"], num_keys=keys)
        res, i = [], 0
        for cplx in layout:
            res.append(lax.complex(out[i], out[i + 1]) if cplx else out[i])
            i += 2 if cplx else 1
        return res

    return fn


# ---------------------------------------------------------------- convolution


def conv_general_dilated(params):
    """(a + ib) * (c + id) = (ac - bd) + i(ad + bc), four real convolutions; a real operand
    takes two."""
    p = dict(params)
    pet = p.get("preferred_element_type")
    if pet is not None and np.issubdtype(np.dtype(pet), np.complexfloating):
        p["preferred_element_type"] = np.finfo(np.dtype(pet)).dtype

    def conv(a, b):
        return lax.conv_general_dilated_p.bind(a, b, **p)

    def fn(lhs, rhs):
        (a, b), (c, d) = _parts(lhs), _parts(rhs)
        if b is None:
            return lax.complex(conv(a, c), conv(a, d))
        if d is None:
            return lax.complex(conv(a, c), conv(b, c))
        return lax.complex(conv(a, c) - conv(b, d), conv(a, d) + conv(b, c))

    return fn


# ---------------------------------------------------------------- linear algebra
#
# Substitution and Cholesky on complex matrices, row by row (unrolled up to
# _UNROLL rows, a fori_loop beyond), with the complex dot products, divisions and updates
# the C++ side translates; LAPACK (what JAX calls on the CPU) computes the same recurrences
# blocked, so results agree to rounding.


def _rows(n: int, body, carry, reverse: bool = False):
    """carry = body(i, carry) for i in 0..n-1 (n-1..0 when reversed)."""
    if n <= _UNROLL:
        for i in range(n - 1, -1, -1) if reverse else range(n):
            carry = body(i, carry)
        return carry
    if reverse:
        return lax.fori_loop(0, n, lambda k, c: body(n - 1 - k, c), carry)
    return lax.fori_loop(0, n, body, carry)


def _swap(x):
    return lax.transpose(x, tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2))


def _triangle(a, lower: bool, unit: bool):
    """`a` with the other triangle zeroed (and a unit diagonal when `unit`)."""
    n = a.shape[-1]
    r = lax.broadcasted_iota(np.int32, (n, n), 0)
    c = lax.broadcasted_iota(np.int32, (n, n), 1)
    keep = (r >= c) if lower else (r <= c)
    zero = lax.full(a.shape, 0, a.dtype)
    a = lax.select(lax.broadcast(keep, a.shape[:-2]), a, zero)
    if unit:
        a = lax.select(lax.broadcast(r == c, a.shape[:-2]), lax.full(a.shape, 1, a.dtype), a)
    return a


def _substitute(a, b, lower: bool):
    """x with a x = b, a triangular (lower or upper, the other triangle zero): b (..., n, k)."""
    n = a.shape[-1]
    x = lax.full(b.shape, 0, b.dtype)

    def row(i, x):
        ai = lax.dynamic_slice_in_dim(a, i, 1, axis=a.ndim - 2)  # (..., 1, n)
        s = lax.dot_general(ai, x, (((ai.ndim - 1,), (x.ndim - 2,)), (tuple(range(x.ndim - 2)),) * 2))
        bi = lax.dynamic_slice_in_dim(b, i, 1, axis=b.ndim - 2)
        aii = lax.dynamic_slice_in_dim(ai, i, 1, axis=ai.ndim - 1)  # (..., 1, 1)
        xi = (bi - s) / aii
        return lax.dynamic_update_slice_in_dim(x, xi, i, axis=x.ndim - 2)

    return _rows(n, row, x, reverse=not lower)


def triangular_solve(params):
    """op(a) x = b (left_side) or x op(a) = b, op transposing and/or conjugating a; only a's
    `lower` (or upper) triangle is read."""
    left, lower = params["left_side"], params["lower"]
    trans, conj, unit = params["transpose_a"], params["conjugate_a"], params["unit_diagonal"]

    def fn(a, b):
        a = _triangle(a, lower, unit)
        if conj:
            a = lax.conj(a)
        low = lower
        if trans:
            a, low = _swap(a), not low
        if not left:  # x A = b  <=>  A^T x^T = b^T
            return _swap(_substitute(_swap(a), _swap(b), not low))
        return _substitute(a, b, low)

    return fn


def cholesky(params):
    """Lower Cholesky factor of a Hermitian positive definite matrix from its lower triangle,
    column by column, the strict upper triangle a's (as the real translator and LAPACK's
    potrf); all NaN where a pivot is not positive (as JAX returns a failed factorization)."""

    def fn(a):
        n = a.shape[-1]
        rows = lax.broadcasted_iota(np.int32, (n, 1), 0)
        batch = a.shape[:-2]
        part = np.finfo(np.dtype(a.dtype)).dtype
        l0 = lax.full(a.shape, 0, a.dtype)
        ok0 = lax.full(batch, True, np.bool_)

        def column(j, carry):
            l, ok = carry
            lj = lax.conj(lax.dynamic_slice_in_dim(l, j, 1, axis=l.ndim - 2))  # (..., 1, n): conj(L[j, :])
            s = lax.dot_general(l, lj, (((l.ndim - 1,), (lj.ndim - 1,)), (tuple(range(l.ndim - 2)),) * 2))
            v = lax.dynamic_slice_in_dim(a, j, 1, axis=a.ndim - 1) - s  # (..., n, 1)
            d = lax.real(lax.dynamic_slice_in_dim(v, j, 1, axis=v.ndim - 2))  # (..., 1, 1)
            ljj = lax.sqrt(d)
            col = v / lax.complex(ljj, lax.full(ljj.shape, 0, part))
            col = lax.select(lax.broadcast(rows > j, batch), col, lax.full(col.shape, 0, a.dtype))
            col = lax.select(
                lax.broadcast(rows == j, batch),
                lax.broadcast_in_dim(lax.complex(ljj, lax.full(ljj.shape, 0, part)), col.shape, tuple(range(col.ndim))),
                col,
            )
            ok = ok & (lax.reshape(d, batch) > 0)
            return lax.dynamic_update_slice_in_dim(l, col, j, axis=l.ndim - 1), ok

        l, ok = _rows(n, column, (l0, ok0))
        # the strict upper triangle is a's, as LAPACK's potrf leaves it (JAX masks it after)
        r = lax.broadcasted_iota(np.int32, (n, n), 0)
        c = lax.broadcasted_iota(np.int32, (n, n), 1)
        l = lax.select(lax.broadcast(c > r, batch), a, l)
        nan = lax.full(a.shape, complex(np.nan, np.nan), a.dtype)
        return lax.select(lax.broadcast_in_dim(ok, a.shape, tuple(range(len(batch)))), l, nan)

    return fn
