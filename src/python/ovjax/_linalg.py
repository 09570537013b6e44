"""Matrix decompositions written in JAX, for the serializer to expand ``qr``, ``eigh`` and
``svd`` into (``_expand.EXPANSIONS``).

On CPU JAX lowers these primitives to LAPACK custom calls (geqrf/orgqr, syevd, gesdd),
which have no OpenVINO equivalent. JAX's pure-JAX eigh for TPU
(``jax._src.tpu.linalg.eigh``: QDWH spectral divide and conquer) is Jacobi below 256 (its
base case is the TPU's Jacobi kernel) and converts with ovjax above that once its base case
is ours; benchmarks/decompositions.py measured it 2.1-3.2x slower than the Jacobi here at
n = 32 to 128, at the same accuracy. The functions here are built only from primitives
ovjax translates (elementwise ops, dot, gather, dynamic_slice, sort, fori_loop and
while_loop, which become OpenVINO Loops):

* ``qr``: Householder QR with LAPACK's conventions (xLARFG: ``beta = -sign(re alpha) *
  norm``, ``tau = (beta - alpha) / beta``, identity reflector when the column below the
  diagonal is zero; xORGQR: Q applied backwards to the identity), so Q and R equal
  LAPACK's up to rounding, R's diagonal signs included.
* ``eigh``: cyclic two-sided Jacobi in parallel (round-robin) order: each step rotates
  n/2 disjoint (p, q) pairs at once, kept in "top half / bottom half" position so a step
  is a few elementwise ops on the two halves, followed by one fixed permutation (the
  round-robin move) of rows and columns. A sweep is n-1 steps, after which the order is
  the original one again; sweeps run in a while loop until the off-diagonal norm is
  below eps times the Frobenius norm (or stops decreasing, or 30 sweeps). Eigenvalues
  ascending, eigenvectors permuted with them.
* ``svd``: one-sided (Hestenes) Jacobi on the columns in the same parallel order,
  preconditioned by a Householder QR when the matrix is not square (Jacobi runs on the
  square R; a wide matrix is transposed first). Singular values descending; U's columns
  are the normalised columns, re-orthonormalised (and completed where singular values
  are zero, and to a square U for full_matrices) by a Householder QR.

Each function works on one matrix and is vmapped over leading batch dimensions. Small
sizes unroll their loops in Python (at most ``UNROLL`` columns / pairs); larger ones use
``lax.fori_loop``.

Notes (written against what ovjax's translators took when this was written):

* Complex loop carries travel as (real, imag) pairs (``_pack``; a loop body does not close
  over complex arrays, hence ``_loop``'s consts), permutations gather the two parts
  separately (``_take``), and columns and elements are picked and replaced by masks
  (``_pick``, ``where``), also because JAX's vmap turns dynamic_slice into gather. The
  translators now take complex carries, gathers and updates too; these forms work either
  way.
* float64 sort keys are refused (OpenVINO's CPU plugin computes float64 as float32):
  eigen/singular values are ordered by their float32 rounding (``_sort_key``).
* ``_over_batch`` flattens the static batch dimensions into one and keeps symbolic ones
  apart. Loop bodies once rejected symbolic products (B*6) as dimensions, and the plugin's
  Einsum got the complex dot_general over three batch axes and a symbolic one wrong; both
  are fixed (shapes.cpp gives a body the sizes it reads, complex.cpp uses four real
  Einsums), and qr of a (B*6, 20, 20) batch converts and runs.
"""

from __future__ import annotations

import numpy as np

# Loops over at most this many columns (QR) or of at most this many steps per sweep
# (Jacobi) are unrolled in the trace; longer ones become lax.fori_loop (an OpenVINO Loop).
UNROLL = 16

MAX_SWEEPS = 30


def _jnp():
    import jax.numpy as jnp

    return jnp


def _is_complex(dtype) -> bool:
    return np.issubdtype(np.dtype(dtype), np.complexfloating)


def _real_dtype(dtype):
    return np.finfo(np.dtype(dtype)).dtype


def _conj(x):
    jnp = _jnp()
    return jnp.conj(x) if _is_complex(x.dtype) else x


def _abs2(x):
    jnp = _jnp()
    if _is_complex(x.dtype):
        return jnp.real(x) ** 2 + jnp.imag(x) ** 2
    return x * x


def _pack(carry):
    """Complex leaves of a loop carry as (real, imag) pairs on a trailing axis: ovjax's
    Loop carries real tensors only (complex values live inside the body)."""
    import jax
    from jax import lax

    jnp = _jnp()
    leaves, tree = jax.tree_util.tree_flatten(carry)
    kinds = [x.dtype if _is_complex(x.dtype) else None for x in leaves]
    packed = [jnp.stack([jnp.real(x), jnp.imag(x)], -1) if k is not None else x for x, k in zip(leaves, kinds)]

    def unpack(p):
        ls = jax.tree_util.tree_leaves(p)
        return jax.tree_util.tree_unflatten(
            tree, [lax.complex(x[..., 0], x[..., 1]).astype(k) if k is not None else x for x, k in zip(ls, kinds)]
        )

    return packed, unpack


def _loop(n: int, body, init, consts=()):
    """body(i, carry, *consts) for i in range(n): unrolled up to UNROLL iterations, a
    fori_loop beyond. The body must not close over complex arrays (pass them in consts:
    they ride in the carry, packed)."""
    from jax import lax

    if n <= UNROLL:
        carry = init
        for i in range(n):
            carry = body(i, carry, *consts)
        return carry
    packed, unpack = _pack((init, tuple(consts)))

    def step(i, p):
        carry, cs = unpack(p)
        return _pack((body(i, carry, *cs), cs))[0]

    return unpack(lax.fori_loop(0, n, step, packed))[0]


def _while(cond, body, init):
    """lax.while_loop with complex carries packed (see _pack)."""
    from jax import lax

    packed, unpack = _pack(init)
    out = lax.while_loop(lambda p: cond(unpack(p)), lambda p: _pack(body(unpack(p)))[0], packed)
    return unpack(out)


def _diag(x):
    """The diagonal of a matrix (a masked sum: ovjax gathers real values only)."""
    from jax import lax

    jnp = _jnp()
    m, n = x.shape
    if n > m:
        x, n = x[:, :m], m
    eye = lax.broadcasted_iota(np.int32, (m, n), 0) == lax.broadcasted_iota(np.int32, (m, n), 1)
    return jnp.sum(jnp.where(eye, x, jnp.zeros((), x.dtype)), axis=0)


def _diag_matrix(d, dtype):
    from jax import lax

    jnp = _jnp()
    n = d.shape[0]
    eye = lax.broadcasted_iota(np.int32, (n, n), 0) == lax.broadcasted_iota(np.int32, (n, n), 1)
    return jnp.where(eye, d.astype(dtype)[None, :], jnp.zeros((), dtype))


def _pick(x, j, axis):
    """x's index j (a traced or static scalar) along axis, as a masked sum: under vmap
    JAX turns dynamic_slice into gather, which ovjax translates for real values only."""
    from jax import lax

    jnp = _jnp()
    at = lax.broadcasted_iota(np.int32, x.shape, axis) == j
    return jnp.sum(jnp.where(at, x, jnp.zeros((), x.dtype)), axis=axis)


def _take(x, idx, axis):
    """jnp.take, complex values as two real gathers."""
    from jax import lax

    jnp = _jnp()
    if _is_complex(x.dtype):
        return lax.complex(jnp.take(jnp.real(x), idx, axis=axis), jnp.take(jnp.imag(x), idx, axis=axis))
    return jnp.take(x, idx, axis=axis)


def _over_batch(fn, a):
    """fn (on one matrix) vmapped over a's leading dimensions, the static ones after the
    last symbolic one flattened into one (fewer vmapped axes; see the module's notes)."""
    import jax

    batch = tuple(a.shape[:-2])
    sym = [i for i, d in enumerate(batch) if not isinstance(d, (int, np.integer))]
    keep = batch[: sym[-1] + 1] if sym else ()
    n = 1
    for d in batch[len(keep) :]:
        n *= int(d)
    flat = keep + (n,) if len(keep) < len(batch) else keep
    f = fn
    for _ in flat:
        f = jax.vmap(f)
    out = f(a.reshape(flat + tuple(a.shape[-2:])))
    return jax.tree_util.tree_map(lambda x: x.reshape(batch + tuple(x.shape[len(flat) :])), out)


# ---------------------------------------------------------------------------- QR


def _reflector(col, k, rows):
    """LAPACK xLARFG on ``col``'s entries from row k: (v, tau, beta) with v unit at row k and
    zero above, H = I - tau v v^H, H^H col[k:] = (beta, 0, ...) (beta real, -sign(re
    alpha) * norm); the identity (tau 0, beta = alpha) where there is nothing to zero."""
    from jax import lax

    jnp = _jnp()
    dtype = col.dtype
    cplx = _is_complex(dtype)
    rdtype = _real_dtype(dtype)
    alpha = _pick(col, k, 0)
    below = rows > k
    x = jnp.where(below, col, jnp.zeros((), dtype))
    xnorm2 = jnp.sum(_abs2(x))
    alphr = jnp.real(alpha) if cplx else alpha
    alphi = jnp.imag(alpha) if cplx else jnp.zeros((), rdtype)
    norm = jnp.sqrt(alphr * alphr + alphi * alphi + xnorm2)
    beta = jnp.where(alphr >= 0, -norm, norm)
    trivial = (xnorm2 == 0) & (alphi == 0)
    safe_beta = jnp.where(trivial, jnp.ones((), rdtype), beta)
    if cplx:
        tau = lax.complex((safe_beta - alphr) / safe_beta, -alphi / safe_beta)
    else:
        tau = (safe_beta - alpha) / safe_beta
    tau = jnp.where(trivial, jnp.zeros((), dtype), tau)
    denom = jnp.where(trivial, jnp.ones((), dtype), alpha - beta.astype(dtype))
    v = jnp.where(below, x / denom, jnp.zeros((), dtype))
    v = jnp.where(rows == k, jnp.ones((), dtype), v)
    return v, tau, jnp.where(trivial, alpha, beta.astype(dtype))


def _householder(a):
    """LAPACK xGEQR2 on one m x n matrix: (R (m x n, upper triangular), V (m x k, the
    reflectors' vectors, unit at their diagonal), taus (k,))."""
    from jax import lax

    jnp = _jnp()
    m, n = a.shape
    k = min(m, n)
    dtype = a.dtype
    rows = lax.broadcasted_iota(np.int32, (m,), 0)
    cols = lax.broadcasted_iota(np.int32, (n,), 0)

    def step(j, carry):
        r, vs, taus = carry
        col = _pick(r, j, 1)
        below = rows > j
        v, tau, diag = _reflector(col, j, rows)
        # R <- H^H R on the columns right of j; column j becomes (R[:j, j], beta, 0...)
        w = _conj(v) @ r
        upd = r - _conj(tau) * v[:, None] * w[None, :]
        r = jnp.where(cols[None, :] > j, upd, r)
        newcol = jnp.where(below, jnp.zeros((), dtype), jnp.where(rows == j, diag, col))
        r = jnp.where(cols[None, :] == j, newcol[:, None], r)
        at = lax.broadcasted_iota(np.int32, (k,), 0) == j
        vs = jnp.where(at[None, :], v[:, None], vs)
        taus = jnp.where(at, tau, taus)
        return r, vs, taus

    init = (a, jnp.zeros((m, k), dtype), jnp.zeros((k,), dtype))
    return _loop(k, step, init)


def _form_q(vs, taus, cols: int):
    """LAPACK xORG2R: the first ``cols`` columns of H_0 H_1 ... H_{k-1}, H_j = I - tau_j v_j v_j^H."""

    jnp = _jnp()
    m, k = vs.shape
    q = jnp.eye(m, cols, dtype=vs.dtype)

    def step(i, q, vs, taus):
        j = k - 1 - i
        v = _pick(vs, j, 1)
        tau = _pick(taus, j, 0)
        w = _conj(v) @ q
        return q - tau * v[:, None] * w[None, :]

    return _loop(k, step, q, (vs, taus))


def _qr_single(a, full_matrices: bool):
    jnp = _jnp()
    m, n = a.shape
    k = min(m, n)
    r, vs, taus = _householder(a)
    qcols = m if full_matrices else k
    q = _form_q(vs, taus, qcols)
    r = jnp.triu(r if full_matrices else r[:k, :])
    return q, r


def qr(a, *, full_matrices: bool):
    """Q, R of ``a`` (..., m, n) as LAPACK's geqrf + orgqr compute them."""

    return _over_batch(lambda x: _qr_single(x, full_matrices), a)


def _geqrf_single(a):
    jnp = _jnp()
    m, n = a.shape
    r, vs, taus = _householder(a)
    below = jnp.zeros((m, n), a.dtype).at[:, : vs.shape[1]].set(vs)
    return jnp.triu(r) + jnp.tril(below, -1), taus


def geqrf(a):
    """LAPACK's geqrf of ``a`` (..., m, n): R in the upper triangle, the reflectors' vectors
    below the diagonal (their unit diagonal implied), and the taus."""
    return _over_batch(_geqrf_single, a)


def _householder_product_single(a, taus):
    jnp = _jnp()
    m, n = a.shape
    k = taus.shape[0]
    vs = jnp.tril(a[:, :k], -1) + jnp.eye(m, k, dtype=a.dtype)
    return _form_q(vs, taus, n)


def householder_product(a, taus):
    """LAPACK's orgqr: the first n columns of H_0 ... H_{k-1} from geqrf's packed reflectors
    ``a`` (..., m, n) and ``taus`` (..., k)."""
    from jax import numpy as jnp

    if a.ndim == 2:
        return _householder_product_single(a, taus)
    batch = a.shape[:-2]
    flat = int(np.prod(batch, dtype=np.int64)) if all(isinstance(d, int) for d in batch) else -1
    if flat < 0:  # a symbolic batch: one vmap per batch axis
        import jax

        f = _householder_product_single
        for _ in batch:
            f = jax.vmap(f)
        return f(a, taus)
    import jax

    out = jax.vmap(_householder_product_single)(
        a.reshape((flat,) + a.shape[-2:]), taus.reshape((flat,) + taus.shape[-1:])
    )
    return jnp.reshape(out, batch + out.shape[1:])


def _hessenberg_single(a):
    """LAPACK xGEHD2: A = Q H Q^H with H upper Hessenberg; H in the upper Hessenberg part,
    reflector j's vector (unit at row j + 1) below the subdiagonal of column j, taus
    (n - 1,)."""
    from jax import lax

    jnp = _jnp()
    n = a.shape[-1]
    dtype = a.dtype
    if n < 2:
        return a, jnp.zeros((max(n - 1, 0),), dtype)
    rows = lax.broadcasted_iota(np.int32, (n,), 0)

    def step(j, carry):
        h, taus = carry
        col = _pick(h, j, 1)
        below = rows > j + 1
        v, tau, diag = _reflector(col, j + 1, rows)
        # H <- (I - tau v v^H)^H H (I - tau v v^H): from the left on columns > j, then from
        # the right on all rows
        w = _conj(v) @ h
        left = h - _conj(tau) * v[:, None] * w[None, :]
        h = jnp.where(rows[None, :] > j, left, h)
        u = h @ v
        h = h - tau * u[:, None] * _conj(v)[None, :]
        newcol = jnp.where(below, v, jnp.where(rows == j + 1, diag, col))
        h = jnp.where(rows[None, :] == j, newcol[:, None], h)
        taus = jnp.where(lax.broadcasted_iota(np.int32, (n - 1,), 0) == j, tau, taus)
        return h, taus

    # n - 1 reflectors: the last one only makes a complex last subdiagonal entry real
    # (tau = 0 for a real one), as xGEHD2 does
    return _loop(n - 1, step, (a, jnp.zeros((n - 1,), dtype)))


def hessenberg(a):
    """LAPACK's gehrd of ``a`` (..., n, n): (packed H and reflectors, taus (..., n - 1))."""
    return _over_batch(_hessenberg_single, a)


def _tridiagonal_single(a):
    """LAPACK xSYTRD / xHETRD with lower=True: the Householder reduction of the Hermitian
    matrix a's lower triangle holds (the same reflectors as hessenberg's), packed as LAPACK
    leaves it: T's diagonal d and subdiagonal e (real) on a's diagonal and subdiagonal, the
    reflectors below, a's strict upper triangle untouched; taus (n - 1,)."""
    jnp = _jnp()
    h, taus = _hessenberg_single(_hermitian(a, True))
    n = a.shape[-1]
    rows, cols = np.arange(n)[:, None], np.arange(n)[None, :]
    packed = jnp.where(rows >= cols, h, a)
    d = jnp.real(jnp.diagonal(h))
    e = jnp.real(jnp.diagonal(h, -1))
    return packed, d, e, taus


def _tridiagonal_upper_single(a):
    """LAPACK xSYTRD / xHETRD with lower=False, from the upper triangle: the same reduction
    on the index-reversed matrix P A P (whose lower triangle is A's upper one), reversed
    back. LAPACK's upper variant runs its reflectors from the last column to the first, and
    H(i) annihilates A[:i, i + 1] from the pivot A[i, i + 1]: under the reversal that is the
    lower variant's step n - 2 - i exactly, so d, e, the taus and the packed reflectors
    (above the superdiagonal, A's strict lower triangle untouched) are the lower variant's,
    reversed."""
    packed, d, e, taus = _tridiagonal_single(a[..., ::-1, ::-1])
    return packed[..., ::-1, ::-1], d[..., ::-1], e[..., ::-1], taus[..., ::-1]


def tridiagonal(a, *, lower: bool):
    """LAPACK's sytrd/hetrd of ``a`` (..., n, n): (packed, d, e, taus)."""
    return _over_batch(_tridiagonal_single if lower else _tridiagonal_upper_single, a)


# ---------------------------------------------------------------------- Jacobi


def _rotation(app, aqq, apq):
    """The Jacobi rotation of the Hermitian 2x2 blocks [[app, apq], [conj(apq), aqq]] (app,
    aqq real): (c real, s) such that W = [[c, s], [-conj(s), c]] makes W^H [[...]] W
    diagonal."""
    jnp = _jnp()
    rdtype = app.dtype
    babs = jnp.sqrt(_abs2(apq))
    d = aqq - app
    sgn = jnp.where(d >= 0, jnp.ones((), rdtype), -jnp.ones((), rdtype))
    den = jnp.abs(d) + jnp.sqrt(d * d + 4 * babs * babs)
    den = jnp.where(den == 0, jnp.ones((), rdtype), den)
    t = 2 * babs * sgn / den
    c = 1 / jnp.sqrt(1 + t * t)
    sr = t * c
    safe = jnp.where(babs == 0, jnp.ones((), rdtype), babs)
    e = jnp.where(babs == 0, jnp.ones((), apq.dtype), apq / safe.astype(apq.dtype))
    s = sr.astype(apq.dtype) * e
    return c, s


def _round_robin(n2: int) -> np.ndarray:
    """The positions a round-robin step moves to the front: pairs are (i, h + i) of the
    tops and bottoms; position 0 stays, the others move one place around the circle, so
    n2 - 1 steps meet every pair once and restore the order."""
    h = n2 // 2
    if h == 1:
        return np.arange(2)
    tops = [0, h] + list(range(1, h - 1))
    bottoms = list(range(h + 1, n2)) + [h - 1]
    return np.asarray(tops + bottoms, np.int32)


def _rotate_cols(x, c, s, h):
    """x G: G the block rotation of columns (i, h + i) by (c_i, s_i)."""
    jnp = _jnp()
    xt, xb = x[:, :h], x[:, h:]
    cc = c.astype(x.dtype)[None, :]
    ss = s.astype(x.dtype)[None, :]
    return jnp.concatenate([xt * cc - xb * _conj(ss), xt * ss + xb * cc], axis=1)


def _rotate_rows(x, c, s, h):
    """G^H x."""
    jnp = _jnp()
    xt, xb = x[:h, :], x[h:, :]
    cc = c.astype(x.dtype)[:, None]
    ss = s.astype(x.dtype)[:, None]
    return jnp.concatenate([xt * cc - xb * ss, xt * _conj(ss) + xb * cc], axis=0)


def _sweeps(state, sweep, measure, eps):
    """Runs sweep(state) in a while loop while measure(state) = (relative off-diagonal
    size, a norm that decreases with every rotation in exact arithmetic) is above eps,
    the norm still decreases (not at rounding level yet), and fewer than MAX_SWEEPS ran."""
    jnp = _jnp()
    rel0, mono0 = measure(state)
    rdtype = rel0.dtype

    def cond(carry):
        _, rel, mono, prev, i = carry
        return (rel > eps) & (mono < prev) & (i < MAX_SWEEPS)

    def body(carry):
        st, _, mono, _, i = carry
        st = sweep(st)
        rel, new = measure(st)
        return st, rel, new, mono, i + 1

    init = (state, rel0, mono0, jnp.asarray(np.inf, rdtype), jnp.asarray(0, np.int32))
    return _while(cond, body, init)[0]


def _sort_key(x):
    """float64 values sort by their float32 rounding: ovjax sorts float64 keys on
    OpenVINO's CPU plugin, which computes them in float32 anyway, only that way."""
    return x.astype(np.float32) if x.dtype == np.float64 else x


def _eps(dtype) -> float:
    return float(np.finfo(np.dtype(dtype)).eps)


def _polish(v):
    """One Newton-Schulz step towards the nearest unitary matrix, V + V (I - V^H V) / 2:
    the rotations' rounding leaves V's columns orthogonal to ~n*eps; this takes that to
    rounding level (measured on 50x50 float32: 6e-6 -> 1e-6) at the cost of two products."""
    g = _conj(v.T) @ v
    return v + 0.5 * (v - v @ g)


def _hermitian(a, lower: bool):
    """The Hermitian matrix whose lower (upper) triangle ``a`` holds; the diagonal's real part."""
    jnp = _jnp()
    t = jnp.tril(a, -1) if lower else jnp.triu(a, 1)
    d = jnp.real(_diag(a)) if _is_complex(a.dtype) else _diag(a)
    return t + _conj(t.T) + _diag_matrix(d, a.dtype)


def _eigh_single(a, lower: bool, sort: bool):
    jnp = _jnp()
    n = a.shape[0]
    dtype = a.dtype
    rdtype = _real_dtype(dtype)
    if n == 0:
        return jnp.zeros((0, 0), dtype), jnp.zeros((0,), rdtype)
    x = _hermitian(a, lower)
    if n == 1:
        return jnp.ones((1, 1), dtype), jnp.real(x[0]) if _is_complex(dtype) else x[0]
    scale = jnp.max(jnp.abs(x))
    scale = jnp.where((scale > 0) & jnp.isfinite(scale), scale, jnp.ones((), rdtype))
    x = x / scale.astype(dtype)
    n2 = n + (n % 2)
    h = n2 // 2
    if n2 != n:  # an uncoupled zero row/column, dropped at the end
        x = jnp.pad(x, ((0, 1), (0, 1)))
    perm = jnp.asarray(_round_robin(n2))
    eye = jnp.eye(n2, dtype=bool)

    def step(_, st):
        x, v = st
        d = _diag(x)
        app = jnp.real(d[:h]) if _is_complex(dtype) else d[:h]
        aqq = jnp.real(d[h:]) if _is_complex(dtype) else d[h:]
        apq = _diag(x[:h, h:])
        c, s = _rotation(app, aqq, apq)
        x = _rotate_rows(_rotate_cols(x, c, s, h), c, s, h)
        v = _rotate_cols(v, c, s, h)
        x = _take(_take(x, perm, axis=0), perm, axis=1)
        v = _take(v, perm, axis=1)
        return x, v

    def sweep(st):
        return _loop(n2 - 1, step, st)

    def measure(st):
        x, _ = st
        m = _abs2(x)
        total = jnp.sum(m)
        off = jnp.sum(jnp.where(eye, jnp.zeros((), rdtype), m))
        rel = jnp.sqrt(off / jnp.where(total > 0, total, jnp.ones((), rdtype)))
        return rel, rel

    x0 = x[:n, :n]
    x, v = _sweeps((x, jnp.eye(n2, dtype=dtype)), sweep, measure, _eps(dtype))
    v = _polish(v[:n, :n])
    # eigenvalues as Rayleigh quotients of the eigenvectors on the matrix itself: the
    # rotated diagonal carries the rounding of every rotation (measured on 50x50 float32:
    # 9e-5 off LAPACK's, the Rayleigh quotients 5e-6)
    w = jnp.sum(_conj(v) * (x0 @ v), axis=0) / jnp.sum(_abs2(v), axis=0).astype(dtype)
    w = (jnp.real(w) if _is_complex(dtype) else w) * scale
    if sort:
        order = jnp.argsort(_sort_key(w))
        w = w[order]
        v = _take(v, order, axis=1)
    return v, w


def eigh(a, *, lower: bool, sort_eigenvalues: bool = True):
    """(V, w) of the Hermitian matrix held in ``a``'s lower (upper) triangle: A V = V diag(w)."""

    return _over_batch(lambda x: _eigh_single(x, lower, sort_eigenvalues), a)


def _jacobi_columns(b):
    """One-sided Jacobi on the square n x n ``b``: (B V with orthogonal columns, V)."""
    jnp = _jnp()
    n = b.shape[1]
    dtype = b.dtype
    rdtype = _real_dtype(dtype)
    n2 = n + (n % 2)
    h = n2 // 2
    if n2 != n:  # a zero column, dropped at the end
        b = jnp.pad(b, ((0, 0), (0, 1)))
    perm = jnp.asarray(_round_robin(n2))
    eye = jnp.eye(n2, dtype=bool)

    def step(_, st):
        b, v = st
        bt, bb = b[:, :h], b[:, h:]
        app = jnp.sum(_abs2(bt), axis=0)
        aqq = jnp.sum(_abs2(bb), axis=0)
        apq = jnp.sum(_conj(bt) * bb, axis=0)
        c, s = _rotation(app, aqq, apq)
        b = _take(_rotate_cols(b, c, s, h), perm, axis=1)
        v = _take(_rotate_cols(v, c, s, h), perm, axis=1)
        return b, v

    def sweep(st):
        return _loop(n2 - 1, step, st)

    def measure(st):
        b, _ = st
        g = _conj(b.T) @ b
        dg = jnp.real(_diag(g)) if _is_complex(dtype) else _diag(g)
        total = jnp.sum(dg)
        floor = _eps(dtype) * total
        rel = jnp.sqrt(_abs2(g)) / (jnp.sqrt(dg[:, None] * dg[None, :]) + floor + jnp.finfo(rdtype).tiny)
        off = jnp.sum(jnp.where(eye, jnp.zeros((), rdtype), _abs2(g)))
        scale = jnp.where(total > 0, total, jnp.ones((), rdtype))
        return jnp.max(jnp.where(eye, jnp.zeros((), rdtype), rel)), jnp.sqrt(off) / scale

    b, v = _sweeps((b, jnp.eye(n2, dtype=dtype)), sweep, measure, _eps(dtype))
    return b[:, :n], _polish(v[:n, :n])


def _orthonormal(u, full: bool):
    """u (m x k, columns orthonormal or zero, zero ones last) made exactly orthonormal and
    completed by a Householder QR: Q's columns times the phases of R's diagonal (columns
    m x m when full, else m x k)."""
    jnp = _jnp()
    m, k = u.shape
    r, vs, taus = _householder(u)
    q = _form_q(vs, taus, m if full else k)
    d = _diag(r)
    ad = jnp.abs(d)
    ph = jnp.where(ad > 0, d / jnp.where(ad > 0, ad, 1).astype(d.dtype), jnp.ones((), d.dtype))
    if full:
        ph = jnp.concatenate([ph, jnp.ones((m - k,), d.dtype)])
    return q * ph[None, :]


def _svd_square(b, compute_uv: bool):
    """s descending, U (orthonormal, n x n), V of the square ``b``."""
    jnp = _jnp()
    # b V for the polished V (see _polish): its column norms are the singular values to
    # ~eps * |b| (measured on 29x29 float32: 1e-6 off LAPACK's, the norms of the rotated
    # columns themselves 1e-5), so V is computed with compute_uv=False too
    _, v = _jacobi_columns(b)
    w = b @ v
    s = jnp.sqrt(jnp.sum(_abs2(w), axis=0))
    order = jnp.argsort(_sort_key(-s))
    s = s[order]
    if not compute_uv:
        return s, None, None
    w = _take(w, order, axis=1)
    v = _take(v, order, axis=1)
    tiny = s <= s[0] * _eps(b.dtype) * b.shape[0]
    safe = jnp.where(tiny, jnp.ones((), s.dtype), s)
    u = jnp.where(tiny[None, :], jnp.zeros((), b.dtype), w / safe.astype(b.dtype)[None, :])
    return s, u, v


def _svd_single(a, full_matrices: bool, compute_uv: bool):
    jnp = _jnp()
    m, n = a.shape
    dtype = a.dtype
    rdtype = _real_dtype(dtype)
    if m < n:
        out = _svd_single(_conj(a.T), full_matrices, compute_uv)
        if not compute_uv:
            return out
        s, u, vt = out
        return s, _conj(vt.T), _conj(u.T)
    k = n
    if k == 0:
        s = jnp.zeros((0,), rdtype)
        if not compute_uv:
            return (s,)
        return s, jnp.eye(m, m if full_matrices else 0, dtype=dtype), jnp.zeros((0, 0), dtype)
    # QR preconditioning (Drmac): Jacobi on the square R, which converges in fewer sweeps
    r, vs, taus = _householder(a)
    b = jnp.triu(r[:n, :])
    s, ub, v = _svd_square(b, compute_uv)
    if not compute_uv:
        return (s,)
    ub = _orthonormal(ub, False)
    vt = _conj(v.T)
    q = _form_q(vs, taus, m if full_matrices else n)
    u = q[:, :n] @ ub
    if full_matrices:
        u = jnp.concatenate([u, q[:, n:]], axis=1)
    return s, u, vt


def svd(a, *, full_matrices: bool, compute_uv: bool):
    """[s] or [s, U, V^H] of ``a`` (..., m, n), singular values descending (svd_p's outputs)."""

    return list(_over_batch(lambda x: tuple(_svd_single(x, full_matrices, compute_uv)), a))
