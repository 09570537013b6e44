"""Files that lie about an equation's result avals must not convert.

An .ovjax file declares every variable's dtype and shape, and files come from anywhere.
Each translator computes its results from its operands and parameters (JAX's rules), and
the translate session compares them with the declared avals: a file that declares a
wrong result aval (a permuted shape, a shape with a 0, another rank, another dtype) gives
an error naming the equation and the difference, never a model that computes something
else. One small real JAX function per translator family; `lie` rewrites its jaxpr so that
the equation of interest declares the wrong aval, and the lie is serialized as any jaxpr.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax
from jax.core import ShapedArray
from jax._src.lax.fft import FftType, fft_p
from jax.extend.random import threefry2x32_p

import ovjax
from ovjax._jax_compat import ClosedJaxpr, Literal, Var
from harness import assert_prims, rand


def lie(closed, prim: str, out: int, shape, dtype) -> ClosedJaxpr:
    """`closed` with result `out` of its first top-level `prim` equation declared as
    ShapedArray(shape, dtype) (the new variable replaces the old one everywhere)."""
    j = closed.jaxpr
    eqns = list(j.eqns)
    k = next(i for i, e in enumerate(eqns) if e.primitive.name == prim)
    old = eqns[k].outvars[out]
    new = Var(ShapedArray(tuple(shape), np.dtype(dtype)))
    swap = lambda a: new if not isinstance(a, Literal) and a is old else a  # noqa: E731
    eqns[k] = eqns[k].replace(outvars=[swap(v) for v in eqns[k].outvars])
    eqns[k + 1 :] = [e.replace(invars=[swap(a) for a in e.invars]) for e in eqns[k + 1 :]]
    return ClosedJaxpr(j.replace(eqns=eqns, outvars=[swap(a) for a in j.outvars]), closed.consts)


def x34(*shape, dtype="float32", seed=0):
    return rand(shape or (3, 4), dtype, seed=seed)


def cplx(*shape):
    return (rand(shape, seed=1) + 1j * rand(shape, seed=2)).astype(np.complex64)


def spd(n):
    a = rand((2, n, n), seed=3)
    return a @ a.transpose(0, 2, 1) + n * np.eye(n, dtype=np.float32)


# family/case -> (fn, args, primitive, result index), the primitive a top-level equation (jnp
# functions that JAX wraps in a jit are called through lax or the primitive). Every result
# has rank >= 2 and reversing its dimensions gives a different shape.
CASES = {
    "elementwise-sin": (jnp.sin, (x34(),), "sin", 0),
    "elementwise-convert": (lambda x: x.astype(jnp.int32), (x34(),), "convert_element_type", 0),
    "elementwise-select_n": (
        lambda p, x, y: lax.select(p, x, y),
        (x34(dtype="bool"), x34(seed=1), x34(seed=2)),
        "select_n",
        0,
    ),
    "elementwise_more-atan2": (jnp.arctan2, (x34(), x34(seed=1)), "atan2", 0),
    "elementwise_more-clz": (lax.clz, (x34(dtype="int32"),), "clz", 0),
    "shape-reshape": (lambda x: x.reshape(3, 4), (x34(12),), "reshape", 0),
    "shape-squeeze": (lambda x: lax.squeeze(x, (1,)), (x34(3, 1, 4),), "squeeze", 0),
    "shape-broadcast_in_dim": (lambda x: jnp.broadcast_to(x, (3, 4)), (x34(4),), "broadcast_in_dim", 0),
    "shape-iota": (lambda: lax.broadcasted_iota(jnp.int32, (3, 4), 1), (), "iota", 0),
    "shape-transpose": (lambda x: x.T, (x34(4, 3),), "transpose", 0),
    "shape-slice": (lambda x: x[1:4, ::2], (x34(5, 8),), "slice", 0),
    "shape-pad": (lambda x: lax.pad(x, 0.0, ((1, 0, 0), (0, 1, 1))), (x34(2, 2),), "pad", 0),
    "shape-concatenate": (lambda x, y: jnp.concatenate([x, y], 1), (x34(3, 1), x34(3, 3)), "concatenate", 0),
    "reduce-reduce_sum": (lambda x: jnp.sum(x, axis=2), (x34(3, 4, 5),), "reduce_sum", 0),
    "reduce-reduce_max": (lambda x: jnp.max(x, axis=0), (x34(5, 3, 4),), "reduce_max", 0),
    "reduce-argmax": (lambda x: jnp.argmax(x, axis=2), (x34(3, 4, 5),), "argmax", 0),
    "windows-reduce_window_max": (
        lambda x: lax.reduce_window(x, -jnp.inf, lax.max, (2, 2), (1, 1), "VALID"),
        (x34(4, 5),),
        "reduce_window_max",
        0,
    ),
    "windows-reduce_window_sum": (
        lambda x: lax.reduce_window(x, 0.0, lax.add, (2, 3), (1, 1), "VALID"),
        (x34(4, 6),),
        "reduce_window_sum",
        0,
    ),
    "cumulative-cumsum": (lambda x: lax.cumsum(x, axis=1), (x34(),), "cumsum", 0),
    "cumulative-cummax": (lambda x: lax.cummax(x, axis=0), (x34(),), "cummax", 0),
    "gather-gather": (lambda x, i: x[i], (x34(6, 4), np.array([0, 5, 2], np.int32)), "gather", 0),
    "gather-scatter_add": (lambda x, i: x.at[i].add(1.0), (x34(3, 4), np.array([0, 2], np.int32)), "scatter-add", 0),
    "gather-dynamic_slice": (
        lambda x, i: lax.dynamic_slice(x, (i, 1), (3, 4)),
        (x34(5, 6), np.int32(1)),
        "dynamic_slice",
        0,
    ),
    "gather-dynamic_update_slice": (
        lambda x, u, i: lax.dynamic_update_slice(x, u, (i, 0)),
        (x34(3, 4), x34(1, 4), np.int32(1)),
        "dynamic_update_slice",
        0,
    ),
    "dot_general-matmul": (lambda a, b: a @ b, (x34(3, 5), x34(5, 4)), "dot_general", 0),
    "dot_general-batched": (
        lambda a, b: jnp.einsum("bij,bjk->bik", a, b),
        (x34(2, 3, 5), x34(2, 5, 4)),
        "dot_general",
        0,
    ),
    "conv-conv": (
        lambda x, w: lax.conv(x, w, (1, 1), "VALID"),
        (x34(1, 2, 5, 6), x34(3, 2, 2, 2)),
        "conv_general_dilated",
        0,
    ),
    "sort-sort": (lambda x: lax.sort(x, dimension=1), (x34(),), "sort", 0),
    "sort-top_k_values": (lambda x: lax.top_k(x, 4)[0], (x34(3, 6),), "top_k", 0),
    "sort-top_k_indices": (lambda x: lax.top_k(x, 4)[1], (x34(3, 6),), "top_k", 1),
    "random-random_bits": (lambda: jax.random.bits(jax.random.key(0), (3, 4)), (), "random_bits", 0),
    "random-threefry2x32": (
        lambda k, a, b: threefry2x32_p.bind(k[0], k[1], a, b),
        (np.array([1, 2], np.uint32), x34(dtype="uint32"), x34(dtype="uint32", seed=1)),
        "threefry2x32",
        1,
    ),
    "complex-complex": (lax.complex, (x34(), x34(seed=1)), "complex", 0),
    "complex-mul": (lambda a, b: a * b, (cplx(3, 4), cplx(3, 4)), "mul", 0),
    "complex-fft": (lambda x: fft_p.bind(x, fft_type=FftType.FFT, fft_lengths=(4,)), (cplx(3, 4),), "fft", 0),
    "complex-rfft": (lambda x: fft_p.bind(x, fft_type=FftType.RFFT, fft_lengths=(6,)), (x34(3, 6),), "fft", 0),
    "complex-real": (jnp.real, (cplx(3, 4),), "real", 0),
    "linalg-cholesky": (lax.linalg.cholesky, (spd(3),), "cholesky", 0),
    "linalg-triangular_solve": (
        lambda a, b: lax.linalg.triangular_solve(a, b, left_side=True, lower=True),
        (spd(3)[0], x34(3, 4)),
        "triangular_solve",
        0,
    ),
    "control_flow-cond": (lambda p, x: lax.cond(p, jnp.sin, jnp.cos, x), (np.bool_(True), x34()), "cond", 0),
    "control_flow-while": (
        lambda x: lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, c[1] * 2.0), (0, x)),
        (x34(),),
        "while",
        1,
    ),
    "control_flow-scan": (lambda xs: lax.scan(lambda c, x: (c + x, c * x), jnp.zeros(3), xs), (x34(4, 3),), "scan", 1),
    "call-jit": (lambda x: jax.jit(lambda a: jnp.tanh(a) * 2.0)(x), (x34(),), "jit", 0),
    "special-lgamma": (lax.lgamma, (x34(),), "lgamma", 0),
    "special-digamma": (lax.digamma, (x34(),), "digamma", 0),
}

# Another dtype per dtype: what a lying file declares instead (complex64 -> complex128: a
# complex value is an f32 tensor with a trailing (real, imag) axis, so that is f32 vs f64).
OTHER_DTYPE = {"float32": "float16", "int32": "float32", "uint32": "int32", "complex64": "complex128", "bool": "int8"}

LIES = ["permuted", "zero", "rank", "dtype"]


def lied_aval(kind: str, shape: tuple, dtype):
    if kind == "permuted":
        return shape[::-1], dtype
    if kind == "zero":
        return shape[:-1] + (0,), dtype
    if kind == "rank":
        return shape + (1,), dtype
    return shape, np.dtype(OTHER_DTYPE[np.dtype(dtype).name])


def ov_shape(shape, dtype) -> str:
    """How the session prints a value's OpenVINO shape (complex: a trailing (real, imag) axis)."""
    dims = tuple(shape) + ((2,) if np.issubdtype(dtype, np.complexfloating) else ())
    return "[" + ",".join(str(d) for d in dims) + "]"


OV_TYPE = {
    "float32": "f32",
    "float16": "f16",
    "float64": "f64",
    "int32": "i32",
    "int8": "i8",
    "uint32": "u32",
    "bool": "boolean",
    "complex64": "f32",
    "complex128": "f64",
}


@pytest.mark.parametrize("kind", LIES)
@pytest.mark.parametrize("case", list(CASES))
def test_lying_result_aval_is_rejected(case, kind):
    fn, args, prim, out = CASES[case]
    closed = jax.make_jaxpr(fn)(*args)
    assert_prims(closed, prims={prim})
    eqn = next(e for e in closed.jaxpr.eqns if e.primitive.name == prim)
    true = eqn.outvars[out].aval
    shape, dtype = lied_aval(kind, tuple(true.shape), true.dtype)
    assert len(true.shape) >= 2 and true.shape[::-1] != true.shape, "a case's result must not be symmetric"
    with pytest.raises(Exception) as ei:
        ovjax.convert_model(lie(closed, prim, out, shape, dtype))
    msg = str(ei.value)
    assert f"'{prim}'" in msg, msg
    if kind == "dtype":
        want = f"output {out} has element type {OV_TYPE[true.dtype.name]} but JAX says {OV_TYPE[dtype.name]}"
    else:
        want = f"output {out} has shape {ov_shape(true.shape, true.dtype)} but JAX says {ov_shape(shape, dtype)}"
    assert want in msg, msg


def test_honest_cases_convert():
    """Without the lie every case converts (so each rejection above is the lie's)."""
    for case, (fn, args, prim, out) in CASES.items():
        ovjax.convert_model(jax.make_jaxpr(fn)(*args))


def test_lying_subgraph_input_is_rejected():
    """A sub-graph whose declared input differs from what its caller passes: its
    equations would read the declared aval as their operand's."""
    x = x34()
    closed = jax.make_jaxpr(lambda a: jax.jit(lambda v: jnp.sum(v, axis=1))(a))(x)
    eqn = closed.jaxpr.eqns[0]
    inner = eqn.params["jaxpr"]
    old = inner.jaxpr.invars[0]
    new = Var(ShapedArray((4, 3), old.aval.dtype))
    # the sum over axis 1 of the declared [4, 3] would be a [4]: declared so, only the
    # input's lie is left
    sum_out = Var(ShapedArray((4,), old.aval.dtype))
    body = [e.replace(invars=[new if a is old else a for a in e.invars], outvars=[sum_out]) for e in inner.jaxpr.eqns]
    assert [e.primitive.name for e in body] == ["reduce_sum"]
    lied_inner = ClosedJaxpr(inner.jaxpr.replace(invars=[new], eqns=body, outvars=[sum_out]), inner.consts)
    outer_out = Var(ShapedArray((4,), old.aval.dtype))
    outer = closed.jaxpr.replace(
        eqns=[eqn.replace(params={**eqn.params, "jaxpr": lied_inner}, outvars=[outer_out])], outvars=[outer_out]
    )
    with pytest.raises(Exception) as ei:
        ovjax.convert_model(ClosedJaxpr(outer, closed.consts))
    msg = str(ei.value)
    assert "'jit'" in msg and "input 0 is f32[3,4] but the sub-graph declares f32[4,3]" in msg, msg


def test_real_value_declared_complex_is_rejected():
    """A complex value is an f32 tensor with a trailing (real, imag) axis: a real f32[3, 4, 2]
    declared as complex64[3, 4] has the same OpenVINO type and shape, and would make the
    equations that read it compute complex arithmetic. The session knows which results JAX's
    dtype rules make complex."""
    closed = jax.make_jaxpr(lambda x: x.reshape(3, 4, 2) * 2.0)(x34(24))
    with pytest.raises(Exception) as ei:
        ovjax.convert_model(lie(closed, "reshape", 0, (3, 4), np.complex64))
    msg = str(ei.value)
    assert "'reshape'" in msg and "output 0 is real but JAX says complex64" in msg, msg


def test_complex_value_declared_real_is_rejected():
    closed = jax.make_jaxpr(lambda x, y: lax.complex(x, y) * 2.0)(x34(), x34(seed=1))
    with pytest.raises(Exception) as ei:
        ovjax.convert_model(lie(closed, "complex", 0, (3, 4, 2), np.float32))
    msg = str(ei.value)
    assert "'complex'" in msg and "output 0 is complex but JAX says float32" in msg, msg


def test_real_input_to_a_complex_subgraph_input_is_rejected():
    """A call passing a real f32[3, 4, 2] where its sub-graph declares a complex64[3, 4] input."""
    closed = jax.make_jaxpr(lambda a: jax.jit(lambda v: v * v)(a))(cplx(3, 4))
    old = closed.jaxpr.invars[0]
    new = Var(ShapedArray((3, 4, 2), np.float32))
    eqns = [e.replace(invars=[new if a is old else a for a in e.invars]) for e in closed.jaxpr.eqns]
    lied = ClosedJaxpr(closed.jaxpr.replace(invars=[new], eqns=eqns), closed.consts)
    with pytest.raises(Exception) as ei:
        ovjax.convert_model(lied)
    msg = str(ei.value)
    assert "'jit'" in msg and "input 0 is real but the sub-graph declares complex64" in msg, msg
