"""Shape primitives (src/cpp/ops/shape.cpp): broadcast_in_dim, reshape, squeeze,
expand_dims (JAX emits broadcast_in_dim), transpose, rev, concatenate, slice, pad, iota.

These only move data, so results must equal JAX's bit for bit. To keep the file
fast, the cases of one primitive and dtype are converted as one model with one
output per case; each case still asserts that its primitive is in its own jaxpr.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest
from jax import lax

import ovjax
from harness import (
    MOVE_DTYPES,
    assert_close,
    assert_prims,
    compile_cpu,
    from_tensor,
    primitives_of,
    rand,
    run_ov,
    to_tensor,
    unoptimised_jit,
)


def assert_exact(got, want, where):
    assert_close(got, want, where=where)  # shapes and dtypes
    want = np.asarray(want)
    if want.dtype.kind == "f" or want.dtype == ml_dtypes.bfloat16:
        got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    np.testing.assert_array_equal(got, want, err_msg=where)


def check_exact(cases, *, prims):
    """cases: (name, fn, args). Each case's jaxpr must contain `prims`; all cases are
    converted together as one model and compared exactly with JAX."""
    for name, fn, args in cases:
        assert_prims(jax.make_jaxpr(fn)(*args), prims=prims, where=name)
    counts = [len(args) for _, _, args in cases]

    labels = []

    def combined(*flat):
        outs, k = [], 0
        labels.clear()
        for (name, fn, _), n in zip(cases, counts):
            leaves = jax.tree_util.tree_leaves(fn(*flat[k : k + n]))
            outs += leaves
            labels.extend(name if len(leaves) == 1 else f"{name}[{j}]" for j in range(len(leaves)))
            k += n
        return outs

    flat = [a for _, _, args in cases for a in args]
    closed = jax.make_jaxpr(combined)(*flat)
    compiled = compile_cpu(ovjax.convert_model(closed))
    want = unoptimised_jit(combined, *flat)(*flat)
    req = compiled.create_infer_request()
    for i, a in enumerate(flat):
        req.set_input_tensor(i, to_tensor(a))
    req.infer()
    assert len(compiled.outputs) == len(labels)
    for i, name in enumerate(labels):
        assert_exact(from_tensor(req.get_output_tensor(i)), want[i], where=name)


def scalar(dtype, seed=7):
    return rand((), dtype, seed=seed)


@pytest.mark.parametrize("dtype", MOVE_DTYPES)
def test_broadcast_in_dim(dtype):
    specs = [
        ((3,), (2, 3), (1,)),
        ((3,), (3, 2), (0,)),
        ((1, 3), (4, 3), (0, 1)),  # size-1 axis broadcast
        ((3, 1), (2, 3, 5), (1, 2)),
        ((1, 1), (2, 3), (0, 1)),
        ((), (2, 3, 4), ()),  # scalar -> nd
        ((), (1,), ()),
        ((2, 1, 3), (2, 5, 4, 3), (0, 1, 3)),
        ((2, 3), (3, 2), (1, 0)),  # broadcast_dimensions out of order: a transpose
        ((2, 3), (3, 4, 2), (2, 0)),
        ((2, 1, 4), (4, 3, 5, 2), (3, 1, 0)),  # out of order plus size-1 broadcast
        ((2, 3, 4), (4, 2, 3), (1, 2, 0)),
        ((0, 3), (2, 0, 3), (1, 2)),  # empty
    ]
    cases = [
        (f"{s}->{o} dims={d}", (lambda x, o=o, d=d: lax.broadcast_in_dim(x, o, d)), [rand(s, dtype, seed=k)])
        for k, (s, o, d) in enumerate(specs)
    ]
    cases.append(("jnp.broadcast_to", lambda x: jnp.broadcast_to(x, (3, 2, 4)), [rand((2, 1), dtype)]))
    check_exact(cases, prims={"broadcast_in_dim"})


@pytest.mark.parametrize("dtype", MOVE_DTYPES)
def test_reshape(dtype):
    x = rand((2, 3, 4), dtype)
    cases = [(f"->{s}", (lambda x, s=s: x.reshape(s)), [x]) for s in [(6, 4), (24,), (4, 3, 2), (1, 24, 1), (2, 1, 12)]]
    # `dimensions`: transpose first, then reshape (JAX still emits it from lax.reshape)
    cases += [
        (f"dims={d}->{s}", (lambda x, s=s, d=d: lax.reshape(x, s, dimensions=d)), [x])
        for s, d in [((4, 6), (2, 0, 1)), ((24,), (1, 2, 0)), ((3, 2, 4), (1, 0, 2)), ((4, 3, 2), (2, 1, 0))]
    ]
    cases.append(("to scalar", lambda y: y.reshape(()), [rand((1, 1), dtype)]))
    cases.append(("from scalar", lambda y: y.reshape((1, 1, 1)), [scalar(dtype)]))
    cases.append(("empty", lambda y: y.reshape((3, 0, 2)), [rand((0, 6), dtype)]))
    check_exact(cases, prims={"reshape"})
    jaxpr = jax.make_jaxpr(lambda x: lax.reshape(x, (4, 6), dimensions=(2, 0, 1)))(x)
    assert any(e.primitive.name == "reshape" and e.params.get("dimensions") is not None for e in jaxpr.eqns)


@pytest.mark.parametrize("dtype", MOVE_DTYPES)
def test_squeeze(dtype):
    x = rand((1, 3, 1, 4), dtype)
    cases = [
        ("(0, 2)", lambda x: lax.squeeze(x, (0, 2)), [x]),
        ("(2,)", lambda x: lax.squeeze(x, (2,)), [x]),
        ("(-4,)", lambda x: lax.squeeze(x, (-4,)), [x]),
        ("jnp all", lambda x: jnp.squeeze(x), [x]),
        ("to scalar", lambda y: jnp.squeeze(y), [rand((1, 1, 1), dtype)]),
        ("empty", lambda y: lax.squeeze(y, (1,)), [rand((0, 1, 2), dtype)]),
    ]
    check_exact(cases, prims={"squeeze"})


@pytest.mark.parametrize("dtype", MOVE_DTYPES)
def test_expand_dims(dtype):
    # there is no expand_dims primitive in JAX: jnp/lax.expand_dims emit broadcast_in_dim
    x = rand((3, 4), dtype)
    cases = [
        ("(0,)", lambda x: jnp.expand_dims(x, 0), [x]),
        ("(0, 2)", lambda x: jnp.expand_dims(x, (0, 2)), [x]),
        ("(-1,)", lambda x: jnp.expand_dims(x, -1), [x]),
        ("lax (1, 3)", lambda x: lax.expand_dims(x, (1, 3)), [x]),
        ("scalar", lambda s: jnp.expand_dims(s, (0, 1)), [scalar(dtype)]),
        ("x[None, :, None]", lambda x: x[None, :, None], [x]),
    ]
    check_exact(cases, prims={"broadcast_in_dim"})
    assert "expand_dims" not in primitives_of(jax.make_jaxpr(lambda x: jnp.expand_dims(x, (0, 2)))(x))


def expand_dims_primitive():
    """A stand-in for the `expand_dims` primitive of older JAX releases (the table
    matches primitives by name): inserts size-1 axes at `dimensions`."""
    from jax.extend.core import Primitive

    p = Primitive("expand_dims")
    p.def_impl(lambda x, *, dimensions: np.expand_dims(np.asarray(x), dimensions))
    p.def_abstract_eval(
        lambda aval, *, dimensions: jax.core.ShapedArray(
            np.expand_dims(np.empty(aval.shape), dimensions).shape, aval.dtype
        )
    )
    return p


@pytest.mark.parametrize("dtype", ["float32", "int8", "bool"])
def test_expand_dims_primitive_of_older_jax(dtype):
    prim = expand_dims_primitive()
    x = rand((3, 4), dtype)
    for dims in [(0,), (0, 2), (1, 3), (2,)]:
        fn = lambda a, dims=dims: prim.bind(a, dimensions=dims)  # noqa: E731
        closed = jax.make_jaxpr(fn)(x)
        assert_prims(closed, prims={"expand_dims"})
        (got,) = run_ov(ovjax.convert_model(closed), (x,))
        want = np.expand_dims(x, dims)
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", MOVE_DTYPES)
def test_transpose(dtype):
    cases = [
        ("2d", lambda x: lax.transpose(x, (1, 0)), [rand((2, 3), dtype)]),
        ("3d (2,0,1)", lambda x: lax.transpose(x, (2, 0, 1)), [rand((2, 3, 4), dtype)]),
        ("3d (1,2,0)", lambda x: lax.transpose(x, (1, 2, 0)), [rand((2, 3, 4), dtype)]),
        ("4d", lambda x: lax.transpose(x, (3, 1, 0, 2)), [rand((2, 3, 4, 5), dtype)]),
        ("x.T", lambda x: x.T, [rand((3, 1, 2), dtype)]),
        ("empty", lambda x: x.T, [rand((0, 3), dtype)]),
    ]
    check_exact(cases, prims={"transpose"})


@pytest.mark.parametrize("dtype", MOVE_DTYPES)
def test_rev(dtype):
    cases = [
        ("1d", lambda x: lax.rev(x, (0,)), [rand((5,), dtype)]),
        ("2d (1,)", lambda x: lax.rev(x, (1,)), [rand((3, 4), dtype)]),
        ("2d (0,1)", lambda x: lax.rev(x, (0, 1)), [rand((3, 4), dtype)]),
        ("3d (0,2)", lambda x: lax.rev(x, (0, 2)), [rand((2, 3, 4), dtype)]),
        ("no dims", lambda x: lax.rev(x, ()), [rand((2, 3), dtype)]),
        ("jnp.flip", lambda x: jnp.flip(x), [rand((2, 1, 3), dtype)]),
    ]
    check_exact(cases, prims={"rev"})


@pytest.mark.parametrize("dtype", MOVE_DTYPES)
def test_concatenate(dtype):
    r = lambda s, k: rand(s, dtype, seed=k)  # noqa: E731
    cases = [
        ("axis 0", lambda a, b: lax.concatenate([a, b], 0), [r((2, 3), 0), r((4, 3), 1)]),
        ("axis 1, three", lambda a, b, c: lax.concatenate([a, b, c], 1), [r((2, 1), 0), r((2, 4), 1), r((2, 3), 2)]),
        ("3d axis 2", lambda a, b: lax.concatenate([a, b], 2), [r((2, 3, 1), 0), r((2, 3, 2), 1)]),
        ("same input twice", lambda a: jnp.concatenate([a, a, a]), [r((4,), 3)]),
        ("empty piece", lambda a, b, c: lax.concatenate([a, b, c], 1), [r((2, 1), 0), r((2, 0), 1), r((2, 3), 2)]),
        ("empty first", lambda a, b: lax.concatenate([a, b], 0), [r((0, 3), 0), r((2, 3), 1)]),
        (
            "all but one empty",
            lambda a, b, c: lax.concatenate([a, b, c], 0),
            [r((0, 2), 0), r((3, 2), 1), r((0, 2), 2)],
        ),
        ("all empty", lambda a, b: lax.concatenate([a, b], 0), [r((0, 3), 0), r((0, 3), 1)]),
        ("empty on another axis", lambda a, b: lax.concatenate([a, b], 1), [r((0, 3), 0), r((0, 2), 1)]),
    ]
    check_exact(cases, prims={"concatenate"})


@pytest.mark.parametrize("dtype", MOVE_DTYPES)
def test_slice(dtype):
    x = rand((7, 8), dtype)
    cases = [
        ("plain", lambda x: lax.slice(x, (1, 2), (6, 8)), [x]),
        ("strides", lambda x: lax.slice(x, (1, 2), (6, 8), (2, 3)), [x]),
        ("strides not dividing", lambda x: lax.slice(x, (0, 1), (7, 7), (3, 4)), [x]),
        ("x[::2, 1::3]", lambda x: x[::2, 1::3], [x]),
        ("x[1:-1]", lambda x: x[1:-1], [x]),
        ("x[-1:]", lambda x: x[-1:], [x]),
        ("3d", lambda y: lax.slice(y, (0, 1, 0), (2, 3, 5), (1, 1, 2)), [rand((2, 3, 5), dtype)]),
        ("empty", lambda x: lax.slice(x, (3, 0), (3, 8)), [x]),
    ]
    check_exact(cases, prims={"slice"})


PAD_CONFIGS = {
    "lo hi": [(1, 2, 0), (0, 3, 0)],
    "negative lo hi": [(-1, 0, 0), (0, -2, 0)],
    "interior": [(0, 0, 1), (0, 0, 2)],
    "interior + pad": [(2, 1, 1), (1, 0, 3)],
    "interior + crop": [(-1, 2, 1), (2, -3, 2)],
    "crop into interior": [(-3, -2, 2), (-1, -1, 1)],
    "crop to padding only": [(-1, -1, 3), (0, 0, 0)],
    "negative lo, positive hi": [(-2, 3, 0), (1, -4, 0)],
    "only one axis": [(0, 0, 0), (3, -1, 0)],
}


@pytest.mark.parametrize("dtype", MOVE_DTYPES)
def test_pad(dtype):
    x = rand((4, 5), dtype)
    v = scalar(dtype)
    lit = np.asarray(v).dtype.type(1)  # a literal pad value in the jaxpr
    cases = [(name, (lambda x, v, c=cfg: lax.pad(x, v, c)), [x, v]) for name, cfg in PAD_CONFIGS.items()]
    cases += [
        ("literal value", lambda x: lax.pad(x, lit, [(1, -1, 1), (0, 2, 0)]), [x]),
        ("1d", lambda y, v: lax.pad(y, v, [(-1, 2, 2)]), [rand((3,), dtype), v]),
        ("1d single element", lambda y, v: lax.pad(y, v, [(1, 1, 5)]), [rand((1,), dtype), v]),
        ("3d", lambda y, v: lax.pad(y, v, [(1, 0, 1), (0, 0, 0), (-1, 1, 2)]), [rand((2, 3, 2), dtype), v]),
        ("empty operand", lambda y, v: lax.pad(y, v, [(1, 1, 0), (0, 1, 2)]), [rand((0, 3), dtype), v]),
        ("empty result", lambda x, v: lax.pad(x, v, [(-2, -2, 0), (0, 0, 0)]), [x, v]),
        ("jnp.pad", lambda x: jnp.pad(x, ((1, 2), (0, 1))), [x]),
    ]
    check_exact(cases, prims={"pad"})


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "uint8", "float32", "float16", "bfloat16"])
def test_iota(dtype):
    dt = jnp.dtype(dtype)
    cases = [
        ("iota 7", lambda: lax.iota(dt, 7), []),
        ("iota 1", lambda: lax.iota(dt, 1), []),
        # wraps in 8-bit ints; rounds to nearest even in float16 (> 2048) / bfloat16 (> 256)
        ("iota 3000", lambda: lax.iota(dt, 3000), []),
        ("jnp.arange", lambda: jnp.arange(12, dtype=dt), []),
    ]
    cases += [
        (f"broadcasted {shape} dim {d}", (lambda shape=shape, d=d: lax.broadcasted_iota(dt, shape, d)), [])
        for shape, d in [((2, 3, 4), 0), ((2, 3, 4), 1), ((2, 3, 4), 2), ((5, 1), 0), ((1, 6), 1), ((3, 0), 0)]
    ]
    check_exact(cases, prims={"iota"})


def test_iota_x64():
    with jax.enable_x64(True):
        cases = [
            (f"{dt} {shape} dim {d}", (lambda dt=dt, shape=shape, d=d: lax.broadcasted_iota(dt, shape, d)), [])
            for dt in [jnp.int64, jnp.uint32, jnp.float64]
            for shape, d in [((70000,), 0), ((3, 4), 1)]
        ]
        check_exact(cases, prims={"iota"})


@pytest.mark.parametrize("dtype", MOVE_DTYPES)
def test_split_stack_unstack_tile(dtype):
    """jnp.split/stack/unstack/tile bind the split, stack, unstack and tile primitives."""
    x = rand((4, 6), dtype)
    y = rand((4, 6), dtype, seed=3)
    e = rand((0, 3), dtype)
    check_exact(
        [
            ("split axis 1", lambda x: lax.split(x, (1, 2, 3), axis=1), (x,)),
            ("split with empty piece", lambda x: lax.split(x, (0, 4), axis=0), (x,)),
            ("jnp.split", lambda x: jnp.split(x, [1, 3], axis=0), (x,)),
        ],
        prims={"split"},
    )
    check_exact(
        [
            ("stack axis 0", lambda a, b: jnp.stack([a, b, a]), (x, y)),
            ("stack axis 2", lambda a, b: jnp.stack([a, b], axis=2), (x, y)),
            ("stack one", lambda a: jnp.stack([a], axis=1), (x,)),
            ("stack empty", lambda a: jnp.stack([a, a], axis=1), (e,)),
        ],
        prims={"stack"},
    )
    check_exact(
        [
            ("unstack axis 0", lambda a: jnp.unstack(a), (x,)),
            ("unstack axis 1", lambda a: jnp.unstack(a, axis=1), (x,)),
        ],
        prims={"unstack"},
    )
    check_exact(
        [
            ("tile 2d", lambda a: jnp.tile(a, (2, 3)), (x,)),
            ("tile adds axes", lambda a: jnp.tile(a, (2, 1, 2)), (x,)),
            ("tile of scalar", lambda a: jnp.tile(a[0, 0], 3), (x,)),
        ],
        prims={"tile"},
    )


def test_empty_and_zeros():
    """lax.empty's contents are unspecified in JAX; XLA (and ovjax) give zeros."""
    x = rand((2, 3))
    check_exact(
        [
            ("empty", lambda a: a + lax.empty((2, 3), jnp.float32), (x,)),
        ],
        prims={"empty"},
    )
