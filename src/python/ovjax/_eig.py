"""The nonsymmetric eigensolver ``eig`` and the Schur decomposition ``schur`` written in
JAX, for the serializer to expand the ``eig`` and ``schur`` primitives into
(``_expand.EXPANSIONS``); JAX's CPU lowerings are LAPACK geev and gees, which have no
OpenVINO equivalent.

Algorithm, in complex arithmetic (a real matrix is converted to complex first, as JAX's
results for it are complex):

* Schur form by the shifted QR algorithm on the full matrix (no Hessenberg reduction: the
  sizes this is meant for are small, and the iteration converges the same way). Each
  iteration factors B = A[:m, :m] - mu I of the active leading block (the identity outside
  it) with ``_linalg``'s Householder QR and replaces A by Q^H A Q, accumulating Z <- Z Q.
  mu is the Wilkinson shift (the eigenvalue of the active block's trailing 2x2 closer to
  its last diagonal element), an exceptional shift every 10th iteration without
  deflation. When the active block's last row left of the diagonal is below eps |A|_F it
  is zeroed and the block shrinks by one. A while loop runs until the block is 1x1, at
  most 30 * max(10, n) iterations (LAPACK's limit).
* Eigenvalues: the diagonal of the triangular T (A = Z T Z^H), in that order.
* Right eigenvectors: back substitution (T - w_k I) x = 0, x_k = 1, x_j = 0 for j > k,
  for all k at once (one row per step), a denominator below eps |T| replaced by that (as
  LAPACK's xTREVC perturbs them); vr = Z X. Left eigenvectors: forward substitution for
  u^T T = w_k u^T; vl = Z conj(U)^T, so that vl^H A = diag(w) vl^H.
* Each vector normalized as LAPACK's geev does: unit 2-norm, its largest-magnitude
  component (the first of equal ones) real and positive.

``schur`` of a complex matrix is that Schur form. Of a real one it is LAPACK gees' real
form, A = Z T Z^T with T quasi-upper-triangular (``_real_schur``, LAPACK's dlahqr in real
arithmetic on the matrix scaled by max |a|):

* Hessenberg reduction first (``_linalg``'s gehrd, Q formed as orghr does): the implicit
  double shift keeps that form, and a derogatory matrix (repeated complex pairs, e.g.
  [[0, -I], [I, 0]]) falls apart into its nonderogatory blocks there, where no real
  double shift could separate them on the full matrix.
* Each iteration works on the active block, rows and columns l..m-1 (m: the rows not yet
  deflated; l: the last row above m whose subdiagonal entry T[l, l-1] is at most eps
  |A|_F, which is zeroed, else 0). One row: deflated. Two rows: brought into LAPACK's standard form
  (dlanv2: a rotation making the 2x2 block upper triangular when its eigenvalues are
  real, else its diagonal equal with b c < 0), applied to all of T and Z, and deflated.
  More: one Francis double-shift sweep on it, the bulge started from the first column of
  (B - r1)(B - r2) and chased down by 3-row Householder reflectors (``_linalg._reflector``)
  applied to all of T's rows and columns and to Z; the shifts r1, r2 are the eigenvalues
  of the block's trailing 2x2 (the one nearer its last diagonal element twice when they
  are real), dlahqr's exceptional shifts every 10th sweep without a deflation. A while
  loop runs until nothing is active; after 30 * max(10, n) iterations (LAPACK's limit,
  where gees fails) the last row is deflated by force.
* The tolerance is float32's eps for float64 too: OpenVINO's CPU plugin computes float64
  in float32, and a float64 one would never be met.

Works on one matrix, vmapped over batch dimensions by ``_linalg._over_batch``.
"""

from __future__ import annotations

import numpy as np

from ._linalg import (
    _abs2,
    _diag,
    _eps,
    _form_q,
    _hessenberg_single,
    _householder,
    _is_complex,
    _jnp,
    _loop,
    _over_batch,
    _pick,
    _reflector,
    _while,
)

# iterations without deflation after which one exceptional shift is taken
EXCEPTIONAL = 10


def _complex_dtype(dtype):
    dtype = np.dtype(dtype)
    if _is_complex(dtype):
        return dtype
    return np.dtype(np.complex128) if dtype == np.float64 else np.dtype(np.complex64)


def _csqrt(z):
    """Principal complex square root from real operations."""
    from jax import lax

    jnp = _jnp()
    x, y = jnp.real(z), jnp.imag(z)
    r = jnp.sqrt(x * x + y * y)
    re = jnp.sqrt(jnp.maximum((r + x) * 0.5, 0))
    im = jnp.sqrt(jnp.maximum((r - x) * 0.5, 0))
    im = jnp.where(y < 0, -im, im)
    return lax.complex(re, im)


def _schur(a):
    """(T, Z): A = Z T Z^H, T upper triangular, Z unitary."""
    from jax import lax

    jnp = _jnp()
    n = a.shape[0]
    dtype = a.dtype
    rdtype = np.finfo(dtype).dtype
    idx = lax.broadcasted_iota(np.int32, (n,), 0)
    rows = lax.broadcasted_iota(np.int32, (n, n), 0)
    cols = lax.broadcasted_iota(np.int32, (n, n), 1)
    eye = jnp.eye(n, dtype=dtype)
    anorm = jnp.sqrt(jnp.sum(_abs2(a)))
    tol = _eps(rdtype) * anorm
    max_iter = 30 * max(10, n)

    def cond(carry):
        _, _, m, _, it = carry
        return (m > 1) & (it < max_iter)

    def body(carry):
        t, z, m, since, it = carry
        last = _pick(t, m - 1, 0)  # row m-1
        left = jnp.where(idx < m - 1, last, jnp.zeros((), dtype))
        deflate = jnp.sqrt(jnp.sum(_abs2(left))) <= tol

        # --- a QR step on the active block (applied only when not deflating)
        prev = _pick(t, m - 2, 0)
        a11 = _pick(prev, m - 2, 0)
        a12 = _pick(prev, m - 1, 0)
        a21 = _pick(last, m - 2, 0)
        a22 = _pick(last, m - 1, 0)
        p = (a11 - a22) * 0.5
        bc = a12 * a21
        disc = _csqrt(p * p + bc)
        d1, d2 = p + disc, p - disc
        den = jnp.where(_abs2(d1) >= _abs2(d2), d1, d2)
        zero_den = _abs2(den) == 0
        mu = a22 - jnp.where(zero_den, jnp.zeros((), dtype), bc / jnp.where(zero_den, jnp.ones((), dtype), den))
        exc = (since > 0) & (since % EXCEPTIONAL == 0)
        rown = jnp.sqrt(jnp.sum(_abs2(left)))
        mu_exc = a22 + (0.75 * rown).astype(dtype) * jnp.asarray(1 + 0.5j, dtype)
        mu = jnp.where(exc, mu_exc, mu)
        active = (rows < m) & (cols < m)
        b = jnp.where(active, t - mu * eye, eye)
        _, vs, taus = _householder(b)
        q = _form_q(vs, taus, n)
        qh = jnp.conj(q.T)
        t_new = qh @ t @ q
        z_new = z @ q
        # --- deflation: zero the row's left part and shrink the block
        t_def = jnp.where((rows == m - 1) & (cols < m - 1), jnp.zeros((), dtype), t)
        t = jnp.where(deflate, t_def, t_new)
        z = jnp.where(deflate, z, z_new)
        m = jnp.where(deflate, m - 1, m)
        since = jnp.where(deflate, 0, since + 1)
        return t, z, m, since, it + 1

    init = (a, eye, jnp.asarray(n, np.int32), jnp.asarray(0, np.int32), jnp.asarray(0, np.int32))
    t, z, _, _, _ = _while(cond, body, init)
    return jnp.triu(t), z


def _smin(w, tnorm, rdtype):
    jnp = _jnp()
    return jnp.maximum(_eps(rdtype) * tnorm, np.finfo(rdtype).tiny)


def _safe_den(d, smin):
    jnp = _jnp()
    small = jnp.sqrt(_abs2(d)) < smin
    return jnp.where(small, smin.astype(d.dtype), d)


def _right_vectors(t, w, smin):
    """X upper triangular with (T - w_k I) X[:, k] = 0, X[k, k] = 1."""
    from jax import lax

    jnp = _jnp()
    n = t.shape[0]
    dtype = t.dtype
    cols = lax.broadcasted_iota(np.int32, (n,), 0)

    def step(s, x, t, w):
        i = n - 1 - s
        row = _pick(t, i, 0)
        tii = _pick(row, i, 0)
        row = jnp.where(cols > i, row, jnp.zeros((), dtype))
        acc = row @ x  # over k
        xi = -acc / _safe_den(tii - w, smin)
        xi = jnp.where(cols > i, xi, jnp.where(cols == i, jnp.ones((), dtype), jnp.zeros((), dtype)))
        return jnp.where((lax.broadcasted_iota(np.int32, (n, n), 0) == i), xi[None, :], x)

    return _loop(n, step, jnp.zeros((n, n), dtype), (t, w))


def _left_vectors(t, w, smin):
    """U with (row k) u^T (T - w_k I) = 0, u_k = 1, u_j = 0 for j < k: the left vectors of
    the upper triangular T, as rows (the transposed twin of _right_vectors)."""
    from jax import lax

    jnp = _jnp()
    n = t.shape[0]
    dtype = t.dtype
    ks = lax.broadcasted_iota(np.int32, (n,), 0)

    def step(i, u, t, w):
        col = _pick(t, i, 1)
        tii = _pick(col, i, 0)
        col = jnp.where(ks < i, col, jnp.zeros((), dtype))
        acc = u @ col  # over k: sum_j U[k, j] T[j, i]
        ui = -acc / _safe_den(tii - w, smin)
        ui = jnp.where(ks < i, ui, jnp.where(ks == i, jnp.ones((), dtype), jnp.zeros((), dtype)))
        return jnp.where(lax.broadcasted_iota(np.int32, (n, n), 1) == i, ui[:, None], u)

    return _loop(n, step, jnp.zeros((n, n), dtype), (t, w))


def _normalize(v):
    """LAPACK geev's normalization of each column: unit 2-norm, largest component real."""
    from jax import lax

    jnp = _jnp()
    n = v.shape[0]
    rdtype = np.finfo(v.dtype).dtype
    mag = _abs2(v)
    nrm = jnp.sqrt(jnp.sum(mag, axis=0))
    nrm = jnp.where(nrm > 0, nrm, jnp.ones((), rdtype))
    big = jnp.argmax(mag, axis=0).astype(np.int32)
    at = lax.broadcasted_iota(np.int32, (n, n), 0) == big[None, :]
    top = jnp.sum(jnp.where(at, v, jnp.zeros((), v.dtype)), axis=0)
    topabs = jnp.sqrt(_abs2(top))
    phase = jnp.where(topabs > 0, jnp.conj(top) / jnp.where(topabs > 0, topabs, 1).astype(v.dtype), 1)
    return v * (phase / nrm.astype(v.dtype))[None, :]


def _eig_single(a, left: bool, right: bool):
    jnp = _jnp()
    n = a.shape[0]
    dtype = _complex_dtype(a.dtype)
    rdtype = np.finfo(dtype).dtype
    a = a.astype(dtype)
    outs = []
    if n <= 1:
        outs.append(_diag(a) if n else jnp.zeros((0,), dtype))
        eye = jnp.eye(n, dtype=dtype)
        return outs + [eye] * (int(left) + int(right))
    scale = jnp.max(jnp.sqrt(_abs2(a)))
    scale = jnp.where((scale > 0) & jnp.isfinite(scale), scale, jnp.ones((), rdtype))
    t, z = _schur(a / scale.astype(dtype))
    w = _diag(t)
    outs.append(w * scale.astype(dtype))
    if left or right:
        tnorm = jnp.sqrt(jnp.sum(_abs2(t)))
        smin = _smin(w, tnorm, rdtype)
    if left:
        u = _left_vectors(t, w, smin)
        outs.append(_normalize(z @ jnp.conj(u.T)))
    if right:
        x = _right_vectors(t, w, smin)
        outs.append(_normalize(z @ x))
    return outs


def eig(a, *, compute_left_eigenvectors: bool = True, compute_right_eigenvectors: bool = True):
    """[w, vl?, vr?] of ``a`` (..., n, n) as LAPACK geev returns them (complex), up to the
    order of the eigenvalues."""
    left, right = bool(compute_left_eigenvectors), bool(compute_right_eigenvectors)
    return list(_over_batch(lambda x: _eig_single(x, left, right), a))


def _sign(x):
    """Fortran's SIGN(1, x): 1 for x >= 0, else -1."""
    jnp = _jnp()
    return jnp.where(x >= 0, jnp.ones((), x.dtype), -jnp.ones((), x.dtype))


def _standardize(a, b, c, d, eps):
    """LAPACK dlanv2 (without its underflow scaling: the matrix is scaled to max |a| = 1):
    the standard form (a', b', c', d') of the 2x2 [[a, b], [c, d]] and the rotation (cs, sn)
    with [[a, b], [c, d]] = R [[a', b'], [c', d']] R^T, R = [[cs, -sn], [sn, cs]]: c' = 0
    for real eigenvalues, else a' = d' and b' c' < 0."""
    jnp = _jnp()
    one, zero = jnp.ones((), a.dtype), jnp.zeros((), a.dtype)
    nz = lambda x: jnp.where(x == 0, one, x)  # noqa: E731  (a denominator of an unused branch)
    # real eigenvalues: a' and d' directly, the rotation from (z, c)
    temp = a - d
    p = 0.5 * temp
    bcmax = jnp.maximum(jnp.abs(b), jnp.abs(c))
    bcmis = jnp.minimum(jnp.abs(b), jnp.abs(c)) * _sign(b) * _sign(c)
    scale = nz(jnp.maximum(jnp.abs(p), bcmax))
    zz = (p / scale) * p + (bcmax / scale) * bcmis
    real = zz >= 4 * eps
    zr = nz(p + _sign(p) * jnp.sqrt(scale) * jnp.sqrt(jnp.maximum(zz, 0)))
    tau = nz(jnp.sqrt(c * c + zr * zr))
    r_out = (d + zr, b - c, zero, d - (bcmax / zr) * bcmis, zr / tau, c / tau)
    # complex (or nearly equal real) eigenvalues: a rotation making the diagonal equal
    sigma = b + c
    tau = nz(jnp.sqrt(sigma * sigma + temp * temp))
    cs = jnp.sqrt(0.5 * (1 + jnp.abs(sigma) / tau))
    sn = -(p / (tau * cs)) * _sign(sigma)
    aa, bb, cc, dd = a * cs + b * sn, -a * sn + b * cs, c * cs + d * sn, -c * sn + d * cs
    b2, c2 = bb * cs + dd * sn, -aa * sn + cc * cs
    mid = 0.5 * ((aa * cs + cc * sn) + (-bb * sn + dd * cs))
    # ... whose b', c' of equal signs mean real eigenvalues after all: triangularize
    sab, sac = jnp.sqrt(jnp.abs(b2)), jnp.sqrt(jnp.abs(c2))
    pp = _sign(c2) * sab * sac
    tau1 = 1 / jnp.sqrt(nz(jnp.abs(b2 + c2)))
    cs1, sn1 = sab * tau1, sac * tau1
    tri = (mid + pp, b2 - c2, zero, mid - pp, cs * cs1 - sn * sn1, cs * sn1 + sn * cs1)
    swap2 = (mid, -c2, zero, mid, -sn, cs)  # b' = 0: swap rows and columns
    cplx = (mid, b2, c2, mid, cs, sn)
    same = (c2 != 0) & (b2 != 0) & (_sign(b2) == _sign(c2))
    swapped = (c2 != 0) & (b2 == 0)
    c_out = [jnp.where(same, x, jnp.where(swapped, y, w)) for x, y, w in zip(tri, swap2, cplx)]
    general = [jnp.where(real, x, y) for x, y in zip(r_out, c_out)]
    # already standard (c = 0, or a = d and b c < 0): unchanged; b = 0: a swap
    keep = (c == 0) | ((temp == 0) & (_sign(b) != _sign(c)))
    swap = (d, -c, zero, a, zero, one)
    ident = (a, b, c, d, one, zero)
    return [jnp.where(keep, x, jnp.where(b == 0, y, g)) for x, y, g in zip(ident, swap, general)]


def _real_schur(a, eps):
    """(T, Z): A = Z T Z^T for a real A, T quasi-upper-triangular with its 2x2 blocks in
    LAPACK's standard form, by dlahqr's double-shift QR on the Hessenberg form (see the
    module's notes)."""
    from jax import lax

    jnp = _jnp()
    n = a.shape[0]
    dtype = a.dtype
    idx = lax.broadcasted_iota(np.int32, (n,), 0)
    rows = lax.broadcasted_iota(np.int32, (n, n), 0)
    cols = lax.broadcasted_iota(np.int32, (n, n), 1)
    zero = jnp.zeros((), dtype)
    tol = eps * jnp.sqrt(jnp.sum(a * a))
    max_iter = 30 * max(10, n)
    packed, taus = _hessenberg_single(a)
    vs = jnp.where(rows > cols + 1, packed, jnp.where(rows == cols + 1, jnp.ones((), dtype), zero))[:, : n - 1]
    z0 = _form_q(vs, taus, n)
    t0 = jnp.where(rows > cols + 1, zero, packed)

    def at(x, i, j):
        return _pick(_pick(x, i, 0), j, 0)

    def chase(k, carry, l, m, x0):
        """Step k of the double-shift bulge chase on rows and columns l..m-1: the reflector
        of rows k..min(k+2, m-1) zeroing x0 (k = l) or the bulge below T[k, k-1]."""
        t, z = carry
        on = (k >= l) & (k <= m - 2)
        col = jnp.where(k == l, x0, _pick(t, k - 1, 1))
        col = jnp.where((idx >= k) & (idx <= k + 2) & (idx < m), col, zero)
        v, tau, beta = _reflector(col, k, idx)
        tau = jnp.where(on, tau, zero)
        t = t - tau * v[:, None] * (v @ t)[None, :]
        t = t - tau * (t @ v)[:, None] * v[None, :]
        z = z - tau * (z @ v)[:, None] * v[None, :]
        # column k-1 exactly (beta, 0, 0) below the diagonal
        fix = on & (k > l) & (idx[None, :] == k - 1)
        below = (idx[:, None] > k) & (idx[:, None] <= k + 2)
        t = jnp.where(fix & below, zero, jnp.where(fix & (idx[:, None] == k), beta, t))
        return t, z

    def body(carry):
        t, z, m, since, it = carry
        # the active block l..m-1: l the last row < m whose T[l, l-1] <= tol (zeroed), else 0
        sub = _diag(t[1:, :])  # T[k + 1, k]
        small = (idx[1:] < m) & (jnp.abs(sub) <= tol)
        l = jnp.max(jnp.where(small, idx[1:], 0))
        l = jnp.where(it >= max_iter, m - 1, l)  # LAPACK would fail here; T stays quasi-triangular
        t = jnp.where((rows == l) & (cols == l - 1), zero, t)
        # two rows: the 2x2 block's standard form, by a rotation G of rows and columns m-2, m-1
        a11, a12, a21, a22 = (at(t, i, j) for i, j in ((m - 2, m - 2), (m - 2, m - 1), (m - 1, m - 2), (m - 1, m - 1)))
        sa, sb, sc, sd, cs, sn = _standardize(a11, a12, a21, a22, eps)
        r1, r2, c1, c2 = rows == m - 2, rows == m - 1, cols == m - 2, cols == m - 1
        eye = jnp.eye(n, dtype=dtype)
        g = jnp.where((r1 & c1) | (r2 & c2), cs, jnp.where(r1 & c2, -sn, jnp.where(r2 & c1, sn, eye)))
        t2 = g.T @ t @ g
        block = jnp.where(r1 & c1, sa, jnp.where(r1 & c2, sb, jnp.where(r2 & c1, sc, sd)))
        t2 = jnp.where((r1 | r2) & (cols >= m - 2) & (cols < m), block, t2)
        # three or more: a double-shift sweep; the shifts the trailing 2x2's eigenvalues (s
        # their sum, p their product), both the one nearer a22 when they are real; every
        # 10th sweep without deflation exceptional ones, from the top and the bottom in turn
        # (dlahqr's: h11 = h22 = h + 3/4 w, h12 h21 = -0.4375 w^2)
        hd = 0.5 * (a11 - a22)
        disc = hd * hd + a12 * a21
        near = a22 + hd - _sign(hd) * jnp.sqrt(jnp.maximum(disc, 0))
        s = jnp.where(disc >= 0, 2 * near, a11 + a22)
        p = jnp.where(disc >= 0, near * near, a11 * a22 - a12 * a21)
        kdefl = since + 1  # this sweep's number since the last deflation (dlahqr's KDEFL)
        bottom = kdefl % (2 * EXCEPTIONAL) == 0
        w_top = jnp.abs(at(t, l + 1, l)) + jnp.abs(at(t, l + 2, l + 1))
        w = jnp.where(bottom, jnp.abs(a21) + jnp.abs(at(t, m - 2, m - 3)), w_top)
        h = jnp.where(bottom, a22, at(t, l, l)) + 0.75 * w
        exc = kdefl % EXCEPTIONAL == 0
        s = jnp.where(exc, 2 * h, s)
        p = jnp.where(exc, h * h + 0.4375 * w * w, p)
        # the first column of (B - r1 I)(B - r2 I) = B^2 - s B + p I, B the active block
        win = (idx >= l) & (idx < m)
        bl = jnp.where(win, _pick(t, l, 1), zero)
        x0 = jnp.where(win, t @ bl, zero) - s * bl + p * (idx == l)
        t3, z3 = _loop(n - 1, chase, (t, z), (l, m, x0))
        size = m - l
        t = jnp.where(size == 1, t, jnp.where(size == 2, t2, t3))
        z = jnp.where(size == 1, z, jnp.where(size == 2, z @ g, z3))
        m = jnp.where(size <= 2, l, m)
        since = jnp.where(size <= 2, 0, kdefl)
        return t, z, m, since, it + 1

    init = (t0, z0, jnp.asarray(n, np.int32), jnp.asarray(0, np.int32), jnp.asarray(0, np.int32))
    t, z, _, _, _ = _while(lambda c: c[2] > 0, body, init)
    return t, z


def schur(a, *, compute_schur_vectors: bool = True):
    """[T, Z?] of ``a`` (..., n, n), LAPACK gees' (jobvs='V', unsorted) Schur form A = Z T Z^H:
    for a complex A, T upper triangular and Z unitary, from eig's shifted QR iteration; for
    a real A, T real quasi-upper-triangular and Z orthogonal, from a Francis double-shift
    QR iteration (``_real_schur``), T's 2x2 diagonal blocks the complex-conjugate pairs in
    LAPACK's standard form (equal diagonals, off-diagonals of opposite signs). The
    diagonal's order is the iteration's (LAPACK's is its own); T and Z are unique up to
    that order and the columns' signs (phases), which is what tests compare."""
    jnp = _jnp()
    real = not _is_complex(a.dtype)
    eps = _eps(np.float32)  # for float64 too (the module's notes)

    def single(x):
        n = x.shape[-1]
        if n <= 1:
            return x, jnp.eye(n, dtype=x.dtype)
        rdtype = np.finfo(x.dtype).dtype
        scale = jnp.max(jnp.sqrt(_abs2(x)))  # as eig: the iteration on a / max|a|
        scale = jnp.where((scale > 0) & jnp.isfinite(scale), scale, jnp.ones((), rdtype)).astype(x.dtype)
        t, z = _real_schur(x / scale, eps) if real else _schur(x / scale)
        return t * scale, z

    t, z = _over_batch(single, a)
    return [t, z] if compute_schur_vectors else [t]
