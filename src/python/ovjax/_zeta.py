"""The Hurwitz zeta function and polygamma, for serialization-time expansion of ``zeta``
and ``polygamma`` (``_expand.EXPANSIONS``).

JAX lowers both to CHLO operations that XLA decomposes (stablehlo's
ChloDecompositionPatterns, after Cephes): zeta(x, q) as the sum of the first ten terms
(q + k)^-x plus a 12-term Euler-Maclaurin correction evaluated by Horner's rule, with its
domain and pole cases; polygamma(n, x) as digamma(x) for n = 0 and
(-1)^(n+1) n! zeta(n + 1, x) for natural n > 0, NaN otherwise; float16/bfloat16 computed
in float32. The functions here are those decompositions written in JAX. The series and the
Horner steps run in loops (``lax.fori_loop``, an OpenVINO Loop): written out straight, the
CPU plugin fuses the whole expression into one kernel that fails to compile (it runs out of
vector registers).
"""

from __future__ import annotations

import numpy as np
from jax import lax
import jax.numpy as jnp

# Cephes' Euler-Maclaurin coefficients (2k)! / B_2k, as XLA lists them.
_COEFFS = np.array(
    [
        -7.1661652561756670113e18,
        1.8152105401943546773e17,
        -4.5979787224074726105e15,
        1.1646782814350067249e14,
        -2.950130727918164224e12,
        7.47242496e10,
        -1.8924375803183791606e9,
        47900160.0,
        -1209600.0,
        30240.0,
        -720.0,
        12.0,
    ]
)


def _upcast(fn):
    """fn computed in float32 for narrower float operands, as XLA's decomposition does."""

    def wrapped(*args):
        dt = np.dtype(args[0].dtype)
        if dt.itemsize < 4:
            return fn(*(a.astype(np.float32) for a in args)).astype(dt)
        return fn(*args)

    return wrapped


def _zeta(x, q):
    x, q = jnp.broadcast_arrays(x, q)
    dt = np.dtype(x.dtype)
    neg_x = -x
    initial = lax.pow(q, neg_x)

    def term(_, c):
        a, s = c
        a = a + 1
        return a, s + lax.pow(a, neg_x)

    a, initial = lax.fori_loop(0, 9, term, (q, initial))
    a = a + 1
    neg_power = lax.pow(a, neg_x)
    s = initial + neg_power * a / (x - 1)
    a_inv_sq = 1 / (a * a)
    inv = (1 / _COEFFS).astype(dt)

    def horner(i, h):
        i_f = i.astype(dt)
        factor = (x - (22 - 2 * i_f)) * (x - (21 - 2 * i_f))
        return factor * (a_inv_sq * (h + jnp.asarray(inv)[i]))

    h = lax.fori_loop(0, 11, horner, jnp.zeros_like(x))
    s = s + neg_power * (0.5 + x / a * (inv[11] + h))
    # the ten terms alone where the correction is below their sum's resolution
    tiny = np.array(np.finfo(dt).smallest_subnormal, dt)
    out = jnp.where(jnp.abs(neg_power) < jnp.abs(initial) * tiny, initial, s)
    nan, inf = np.array(np.nan, dt), np.array(np.inf, dt)
    # x = +inf: XLA's correction term is inf * 0 there, NaN (the plugin's pow differs at inf)
    out = jnp.where(x == inf, nan, out)
    out = jnp.where(x < 1, nan, out)  # not defined for x < 1
    q_le_zero = q <= 0
    out = jnp.where(q_le_zero & (x != jnp.floor(x)), nan, out)  # q <= 0 needs an integer x
    at_pole = q_le_zero & (q == jnp.floor(q))  # integer q <= 0: +inf for even integer x
    x_even_int = (x == jnp.floor(x)) & (lax.rem(x, np.array(2, dt)) == 0)
    out = jnp.where(at_pole, jnp.where(x_even_int, inf, nan), out)
    return jnp.where(x == 1, inf, out)  # the harmonic series


zeta = _upcast(_zeta)


@_upcast
def polygamma(n, x):
    n, x = jnp.broadcast_arrays(n, x)
    dt = np.dtype(x.dtype)
    sign = 2 * lax.rem(n, np.array(2, dt)) - 1
    n1 = n + 1
    result = sign * jnp.exp(lax.lgamma(n1)) * _zeta(n1, x)
    result = jnp.where(n == 0, lax.digamma(x), result)
    natural = (n == jnp.floor(n)) & (n >= 0)
    return jnp.where(natural, result, np.array(np.nan, dt))
