"""PRNG primitives (src/cpp/ops/random.cpp; shifts and bitcasts: bits.cpp) against JAX on OpenVINO CPU, bit for bit.

Typed keys (key<fry>[S]) are u32 tensors of shape S + (2,) in OpenVINO (their key
data; rbg/unsafe_rbg keys: S + (4,)); raw keys are uint32[2] arrays. Random bits, keys,
integers and the uniform floats built from the bits must be identical to JAX; only
results of transcendental transforms (normal's erf_inv) get the harness float tolerance.
Also here: rng_bit_generator (XLA's RngBitGenerator) and mulhi (src/cpp/ops/bits.cpp).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest
from jax import lax

import ovjax
import harness
from harness import FLOAT_TOL, assert_prims, primitives_of

KEY = jax.random.key(1234)
RAW = jax.random.PRNGKey(987654321)
# a constant key whose data has words >= 2^31 (u32 constants that large saturate on the CPU plugin)
BIG = jax.random.wrap_key_data(np.array([0x9E3779B9, 0xF00DBEEF], np.uint32))


def is_key(a) -> bool:
    return jnp.issubdtype(getattr(a, "dtype", np.float32), jax.dtypes.prng_key)


def host(a) -> np.ndarray:
    """A model input as OpenVINO sees it: typed keys as their key data."""
    return np.asarray(jax.random.key_data(a)) if is_key(a) else np.asarray(a)


def plain(out):
    """JAX outputs with typed keys replaced by their key data."""
    return jax.tree_util.tree_map(lambda o: jax.random.key_data(o) if is_key(o) else o, out)


def check_cases(cases: dict, *args, inexact=()):
    """harness.check_cases with typed keys as key data; outputs must equal JAX's
    exactly, except cases named in `inexact` (float tolerance)."""

    def compare(g, w, where):
        name = where.split("[")[0]
        assert g.shape == w.shape and g.dtype == w.dtype, f"{g.dtype}{g.shape} != JAX {w.dtype}{w.shape}"
        if name in inexact:
            rtol, atol = FLOAT_TOL[w.dtype.name]
            assert np.allclose(g, w, rtol=rtol, atol=atol), f"max error {np.max(np.abs(g - w))}"
        elif not np.array_equal(g, w, equal_nan=w.dtype.kind == "f"):
            bad = np.flatnonzero(g.ravel() != w.ravel())
            raise AssertionError(f"{bad.size} of {w.size} differ, e.g. {g.ravel()[bad[:3]]} != {w.ravel()[bad[:3]]}")

    plain_cases = {n: (lambda f: lambda *a: plain(f(*a)))(f) for n, f in cases.items()}
    return harness.check_cases(plain_cases, *args, compare=compare, ov_args=[host(a) for a in args])


def test_samplers_key_input():
    """Keys (typed and raw) as model inputs: bits of every width, floats, booleans,
    integers, keys, in several shapes."""
    cases = {
        "random_bits": lambda k, r: jax.random.bits(k, ()),
        "random_bits:u32_3d": lambda k, r: jax.random.bits(k, (2, 3, 33)),
        "random_bits:u8": lambda k, r: jax.random.bits(k, (9, 3), jnp.uint8),
        "random_bits:u16": lambda k, r: jax.random.bits(k, (11,), jnp.uint16),
        "random_bits:uniform": lambda k, r: jax.random.uniform(k, (6, 4), minval=-2.5, maxval=7.0),
        "random_bits:normal": lambda k, r: jax.random.normal(k, (3, 50)),
        "random_bits:bernoulli": lambda k, r: jax.random.bernoulli(k, 0.3, (10, 10)),
        "random_bits:randint": lambda k, r: jax.random.randint(k, (40,), -7, 1000),
        "random_split": lambda k, r: jax.random.split(k, (2, 3)),
        "random_fold_in": lambda k, r: jax.random.fold_in(k, 2711844646),
        "random_bits:raw_uniform": lambda k, r: jax.random.uniform(r, (1,)),
        "random_bits:raw_normal": lambda k, r: jax.random.normal(r, (7,)),
        "random_split:raw": lambda k, r: [jax.random.bits(s, (3,)) for s in jax.random.split(r, 2)],
        "random_fold_in:raw": lambda k, r: jax.random.fold_in(r, 17),
    }
    check_cases(cases, KEY, RAW, inexact={"random_bits:normal", "random_bits:raw_normal"})


def test_key_arrays_and_data():
    """Batched keys (vmap), fold_in with data inputs, key_data/wrap round trips."""
    keys = jax.random.split(KEY, 4)
    data = np.array([0, 1, 2**31, 2**32 - 1], np.uint32)
    check_cases(
        {
            "random_bits:vmap": lambda k, d: jax.vmap(lambda kk: jax.random.uniform(kk, (3,)))(k),
            "random_split:vmap": lambda k, d: jax.vmap(lambda kk: jax.random.split(kk, 3))(k),
            "random_fold_in:vmap": lambda k, d: jax.vmap(jax.random.fold_in)(k, d),
            "random_fold_in:data": lambda k, d: jax.random.fold_in(k[1], d[2]),
            "random_unwrap": lambda k, d: jax.random.key_data(k),
            "random_wrap": lambda k, d: jax.random.bits(
                jax.random.wrap_key_data(jax.random.key_data(k[0]) ^ d[1]), (4,)
            ),
        },
        keys,
        data,
    )


def test_seed():
    seeds = np.array([0, 1, -1, 2**31 - 1, -(2**31), 123456789], np.int32)
    cases = {f"random_seed:{i}": (lambda s, i=i: jax.random.key(s[i])) for i in range(len(seeds))}
    cases["random_seed"] = lambda s: jax.random.PRNGKey(s[2])
    cases["random_seed:uint32"] = lambda s: jax.random.key(s[2].astype(jnp.uint32))
    cases["random_seed:int8"] = lambda s: jax.random.key(s[2].astype(jnp.int8))
    cases["random_seed:normal"] = lambda s: jax.random.normal(jax.random.key(s[5]), (8,))
    check_cases(cases, seeds, inexact={"random_seed:normal"})


def test_key_constants():
    """Keys closed over by the model become weight constants (key data in the buffer)."""
    big_raw = np.asarray(jax.random.key_data(BIG))
    closed = check_cases(
        {
            "random_bits:typed": lambda x: x + jax.random.uniform(KEY, x.shape),
            "random_bits:big": lambda x: x + jax.random.uniform(BIG, x.shape),
            "random_bits:raw_big": lambda x: x + jax.random.uniform(jnp.asarray(big_raw), x.shape),
            "random_split:const": lambda x: jax.random.split(BIG, 3),
            "random_unwrap:const": lambda x: jax.random.key_data(BIG),
            "random_fold_in:const": lambda x: jax.random.fold_in(jax.random.split(BIG, 2)[1], 5),
        },
        np.zeros((3, 4), np.float32),
    )
    assert any(is_key(c) for c in closed.consts), "no key constant in the traced model"


def test_key_var_records():
    """The serializer writes key variables with the trailing key-data dimension."""
    from ovjax import format as F
    from ovjax.serialize import _physical_shape

    closed = jax.make_jaxpr(lambda k: jax.random.split(k, (2, 3)))(KEY)
    assert F.DTYPES["key"] == 17
    assert _physical_shape(closed.jaxpr.invars[0].aval) == (2,)
    assert _physical_shape(closed.jaxpr.outvars[0].aval) == (2, 3, 2)
    model = ovjax.convert_model(closed)
    assert list(model.inputs[0].get_shape()) == [2]
    assert str(model.inputs[0].get_element_type()) == "<Type: 'uint32_t'>"
    assert list(model.outputs[0].get_shape()) == [2, 3, 2]


def test_threefry_primitives():
    """threefry2x32 and iota_2x32_shape as they appear when called directly."""
    from jax._src.random import prng
    from jax._src.random import threefry2x32 as tf

    u = np.random.default_rng(5).integers(0, 2**32, size=(4, 2, 9), dtype=np.uint64).astype(np.uint32)
    u[:, 0, :3] = [0, 2**31, 2**32 - 1]
    check_cases(
        {
            "threefry2x32": lambda a: tf.threefry2x32_p.bind(a[0], a[1], a[2], a[3]),
            "threefry2x32:scalar_key": lambda a: tf.threefry2x32_p.bind(a[0, 0, 0], a[1, 0, 0], a[2], a[3]),
            "iota_2x32_shape": lambda a: prng.iota_2x32_shape((3, 5)),
        },
        u,
    )


def test_shifts_and_bitcast():
    """The shifts and the int -> float bitcast that jax.random's samplers trace to."""
    r = np.random.default_rng(3)
    x32 = r.integers(0, 2**32, size=64, dtype=np.uint64).astype(np.uint32)
    d = np.arange(64, dtype=np.uint32) % 40  # amounts >= 32 included
    x8 = r.integers(0, 256, size=64).astype(np.uint8)
    d8 = (np.arange(64) % 12).astype(np.uint8)
    special = np.array(
        [
            0,
            0x80000000,
            0x3F800000,
            0x7F800000,
            0xFF800000,
            0x7FC00000,
            0x7F7FFFFF,
            0x00800000,
            0x3EAAAAAB,
            0xC2F6E979,
            1,
            0x807FFFFF,
            0x7F800001,
        ],  # subnormals, a NaN payload
        np.uint32,
    )
    cases = {
        "shift_right_logical": lambda x, d, x8, d8, s: lax.shift_right_logical(x, d),
        "shift_right_logical:i32": lambda x, d, x8, d8, s: lax.shift_right_logical(
            x.view(jnp.int32), d.view(jnp.int32)
        ),
        "shift_right_logical:const": lambda x, d, x8, d8, s: lax.shift_right_logical(x, np.uint32(9)),
        "shift_right_logical:u8": lambda x, d, x8, d8, s: lax.shift_right_logical(x8, d8),
        "shift_right_logical:i8": lambda x, d, x8, d8, s: lax.shift_right_logical(x8.view(jnp.int8), d8.view(jnp.int8)),
        "shift_left": lambda x, d, x8, d8, s: lax.shift_left(x, d),
        "shift_left:const": lambda x, d, x8, d8, s: lax.shift_left(x, np.uint32(13)),
        "shift_left:i8": lambda x, d, x8, d8, s: lax.shift_left(x8.view(jnp.int8), d8.view(jnp.int8)),
        "shift_right_arithmetic": lambda x, d, x8, d8, s: lax.shift_right_arithmetic(
            x.view(jnp.int32), d.view(jnp.int32)
        ),
        "shift_right_arithmetic:u32": lambda x, d, x8, d8, s: lax.shift_right_arithmetic(x, d),
        "shift_right_arithmetic:const": lambda x, d, x8, d8, s: lax.shift_right_arithmetic(
            x.view(jnp.int32), np.int32(40)
        ),
        "shift_right_arithmetic:u8": lambda x, d, x8, d8, s: lax.shift_right_arithmetic(x8, d8),
        "bitcast_convert_type": lambda x, d, x8, d8, s: lax.bitcast_convert_type(s, jnp.float32),
        "bitcast_convert_type:i32": lambda x, d, x8, d8, s: lax.bitcast_convert_type(x.view(jnp.int32), jnp.float32),
    }
    check_cases(cases, x32, d, x8, d8, special)


def test_flax_dropout():
    """flax nn.Dropout in training mode with the dropout key as a model input."""
    import flax.linen as nn

    class Net(nn.Module):
        @nn.compact
        def __call__(self, x):
            return nn.Dropout(0.3, deterministic=False)(x), nn.Dropout(0.5, deterministic=False)(x * 2.0)

    net = Net()
    x = np.random.default_rng(0).standard_normal((4, 33)).astype(np.float32)
    variables = net.init(jax.random.key(0), x)
    check_cases(
        {
            "random_fold_in:dropout": lambda x, k: net.apply(variables, x, rngs={"dropout": k}),
            "random_bits:dropout_raw": lambda x, k: net.apply(variables, x, rngs={"dropout": jax.random.key_data(k)}),
        },
        x,
        jax.random.key(7),
    )


# ---------------------------------------------------------------- rng_bit_generator

ALGORITHMS = {
    "threefry": lax.RandomAlgorithm.RNG_THREE_FRY,
    "philox": lax.RandomAlgorithm.RNG_PHILOX,
    "default": lax.RandomAlgorithm.RNG_DEFAULT,
}
# scalar, a 1-element half, odd and even extents (the threefry halving dimension: first even
# one, else the largest), a size-1 trailing dimension, a block count not a multiple of 4,
# empty outputs
RBG_SHAPES = [(), (1,), (2,), (5,), (5, 7), (7, 4), (3, 4, 5), (7, 3, 1), (3, 9, 5), (100, 100), (0,), (3, 0)]
# keys whose counters carry from word 2 into word 3, wrap around 2^64 (threefry's 64-bit
# counter, Philox's 128-bit one carrying into words 0/1), words >= 2^31
RBG_KEYS = np.array(
    [
        [1, 2, 3, 4],
        [0xFFFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF],
        [0x9E3779B9, 0xF00DBEEF, 0xFFFFFFF0, 0x7FFFFFFF],
        [0, 0, 0, 0],
    ],
    np.uint32,
)


@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
def test_rng_bit_generator(algorithm):
    """XLA's RngBitGenerator bit for bit, new key included: every shape as uint32 (the
    keys in rotation), uint8 and uint16 (the low bits of the 32-bit words) on a few
    shapes; every key on one shape; a constant key; a generator fed its own new key.
    RNG_DEFAULT (Philox on CPU, see below) on fewer shapes."""
    alg = ALGORITHMS[algorithm]
    shapes = RBG_SHAPES if algorithm != "default" else [(), (5, 7), (3, 4, 5), (0,)]

    def rbg(k, shape, dtype=jnp.uint32):
        return lax.rng_bit_generator(k, shape, dtype=dtype, algorithm=alg)

    cases = {}
    for i, shape in enumerate(shapes):
        key = i % len(RBG_KEYS)
        cases[f"rng_bit_generator:{shape}_key{key}"] = lambda k, shape=shape, key=key: rbg(k[key], shape)
    for i, shape in enumerate([(), (7, 3, 1), (100, 100)]):
        for j, dtype in enumerate((jnp.uint8, jnp.uint16)):
            key = (i + j + 1) % len(RBG_KEYS)
            cases[f"rng_bit_generator:{shape}_{dtype.__name__}_key{key}"] = (
                lambda k, shape=shape, dtype=dtype, key=key: rbg(k[key], shape, dtype)
            )
    for key in range(len(RBG_KEYS) if algorithm != "default" else 0):
        cases[f"rng_bit_generator:(3, 5)_key{key}"] = lambda k, key=key: rbg(k[key], (3, 5))
    const = jnp.asarray(RBG_KEYS[1])
    cases["rng_bit_generator:const_key"] = lambda k: rbg(const, (5, 7))
    cases["rng_bit_generator:const_key_empty"] = lambda k: rbg(const, (0, 3))
    cases["rng_bit_generator:chained"] = lambda k: rbg(rbg(k[2], (6,))[0], (3, 3), jnp.uint8)
    check_cases(cases, RBG_KEYS)


def test_rng_bit_generator_default_is_philox():
    """What the translator assumes of this jaxlib: on CPU, RNG_DEFAULT is RNG_PHILOX (and
    not RNG_THREE_FRY)."""

    def run(key, shape, name):
        return jax.jit(lambda k: lax.rng_bit_generator(k, shape, algorithm=ALGORITHMS[name]))(key)

    for key in RBG_KEYS[:2]:
        for shape in [(), (3, 4, 5)]:
            default, philox, threefry = (run(key, shape, n) for n in ("default", "philox", "threefry"))
            assert all(np.array_equal(x, y) for x, y in zip(default, philox)), (key, shape)
            assert not np.array_equal(default[1], threefry[1]), (key, shape)


def test_rng_bit_generator_errors():
    """64-bit keys or bits are refused with a clear error (the CPU plugin runs 64-bit
    integers as 32-bit)."""
    key = RBG_KEYS[0]
    with jax.enable_x64(True):
        wide_bits = jax.make_jaxpr(lambda k: lax.rng_bit_generator(k, (3,), dtype=jnp.uint64))(key)
        wide_key = jax.make_jaxpr(lambda k: lax.rng_bit_generator(k, (3,)))(np.array([1, 2], np.uint64))
    with pytest.raises(Exception, match="rng_bit_generator of u64 is not supported"):
        ovjax.convert_model(wide_bits)
    with pytest.raises(Exception, match=r"rng_bit_generator supports a uint32\[4\] key, got u64\[2\]"):
        ovjax.convert_model(wide_key)


# ---------------------------------------------------------------- rbg / unsafe_rbg keys

RBG_IMPLS = ["rbg", "unsafe_rbg"]


@pytest.mark.parametrize("impl", RBG_IMPLS)
def test_rbg_keys(impl):
    """jax.random with rbg and unsafe_rbg keys (key data uint32[4]): the serializer expands
    their random_* equations into the implementation's functions (rng_bit_generator,
    threefry2x32), bit-identical to JAX; keys as inputs, batched, vmapped and from seeds."""
    from jax._src.random import prng

    key = jax.random.key(2024, impl=impl)
    keys = jax.random.split(jax.random.key(7, impl=impl), 3)
    data = np.array([0, 17, 2**32 - 1], np.uint32)
    cases = {
        "random_bits:uniform": lambda k, ks, d: jax.random.uniform(k, (6, 4), minval=-2.5, maxval=7.0),
        "random_bits:normal": lambda k, ks, d: jax.random.normal(k, (3, 50)),
        "random_bits:bernoulli": lambda k, ks, d: jax.random.bernoulli(k, 0.3, (10, 10)),
        "random_bits:randint": lambda k, ks, d: jax.random.randint(k, (40,), -7, 1000),
        "random_bits": lambda k, ks, d: jax.random.bits(k, ()),
        "random_bits:u8": lambda k, ks, d: jax.random.bits(k, (9, 3), jnp.uint8),
        "random_bits:u16": lambda k, ks, d: jax.random.bits(k, (11,), jnp.uint16),
        "random_bits:vmap": lambda k, ks, d: jax.vmap(lambda kk: jax.random.uniform(kk, (5,)))(ks),
        "random_bits:batched": lambda k, ks, d: prng.random_bits(ks, 32, (2, 3)),
        "random_split": lambda k, ks, d: jax.random.split(k, (2, 3)),
        "random_split:bits": lambda k, ks, d: [jax.random.bits(s, (4,)) for s in jax.random.split(k, 3)],
        "random_split:batched": lambda k, ks, d: prng.random_split(ks, (4,)),
        "random_fold_in": lambda k, ks, d: jax.random.fold_in(k, 2711844646),
        "random_fold_in:data": lambda k, ks, d: jax.random.fold_in(k, d[2]),
        "random_fold_in:vmap": lambda k, ks, d: jax.vmap(jax.random.fold_in)(ks, d),
        "random_seed": lambda k, ks, d: jax.random.key(d[1].astype(jnp.int32), impl=impl),
        "random_seed:bits": lambda k, ks, d: jax.random.bits(jax.random.key(d[2].astype(jnp.int32), impl=impl), (3,)),
    }
    closed = check_cases(cases, key, keys, data, inexact={"random_bits:normal"})
    assert "rng_bit_generator" not in primitives_of(closed)  # expanded by the serializer, not in the trace


@pytest.mark.parametrize("impl", RBG_IMPLS)
def test_rbg_default_impl_and_constants(impl):
    """jax_default_prng_impl set to rbg/unsafe_rbg: keys made inside the model and keys
    closed over (constant key data of shape (4,)), flax-style dropout masks."""
    from jax._src import config

    from ovjax.serialize import _physical_shape

    with config.default_prng_impl(impl):
        key = jax.random.key(99)
        assert jax.random.key_data(key).shape == (4,)
        closed = jax.make_jaxpr(lambda k: jax.random.split(k, (2, 3)))(key)
        assert _physical_shape(closed.jaxpr.invars[0].aval) == (4,)
        assert _physical_shape(closed.jaxpr.outvars[0].aval) == (2, 3, 4)
        model = ovjax.convert_model(closed)
        assert list(model.inputs[0].get_shape()) == [4]
        assert list(model.outputs[0].get_shape()) == [2, 3, 4]
        x = np.random.default_rng(0).standard_normal((4, 33)).astype(np.float32)
        check_cases(
            {
                "random_bits:closed_key": lambda x, s: x + jax.random.uniform(key, x.shape),
                "random_bits:dropout": lambda x, s: jnp.where(
                    jax.random.bernoulli(jax.random.fold_in(jax.random.key(s), 3), 0.7, x.shape), x / 0.7, 0.0
                ),
                "random_seed": lambda x, s: jax.random.key(s),
            },
            x,
            np.int32(-5),
        )


# ---------------------------------------------------------------- mulhi

MULHI_DTYPES = ["int8", "int16", "int32", "uint8", "uint16", "uint32"]


def _mulhi_operands(dtype: str):
    """Every pair of edge values (0, +-1, the extremes and their neighbours, 2^(w/2)
    limb boundaries), then random full-range pairs."""
    info = np.iinfo(dtype)
    half = 1 << (info.bits // 2)
    edge = {0, 1, 2, 3, info.max, info.max - 1, info.max // 2, info.max // 2 + 1, half - 1, half, half + 1}
    if info.min < 0:
        edge |= {-1, -2, info.min, info.min + 1, -half, -half - 1}
    edge = np.array(sorted(v for v in edge if info.min <= v <= info.max), np.int64)
    r = np.random.default_rng(info.bits + (info.min < 0))
    rand = r.integers(info.min, info.max, size=(2, 20000), endpoint=True)
    a = np.concatenate([np.repeat(edge, edge.size), rand[0]]).astype(dtype)
    b = np.concatenate([np.tile(edge, edge.size), rand[1]]).astype(dtype)
    return a, b


@pytest.mark.parametrize("dtype", MULHI_DTYPES)
def test_mulhi(dtype):
    """lax.mulhi for every 8/16/32-bit integer type, bit-identical: all pairs of edge
    values plus 20000 random pairs; a scalar operand and a constant one."""
    a, b = _mulhi_operands(dtype)
    c = np.asarray(b[-7:])
    check_cases(
        {
            "mulhi": lambda a, b: lax.mulhi(a, b),
            "mulhi:swapped": lambda a, b: lax.mulhi(b, a),
            "mulhi:scalar": lambda a, b: lax.mulhi(a, b[3]),
            "mulhi:const": lambda a, b: lax.mulhi(a[-7:], c),
        },
        a,
        b,
    )


def test_mulhi_64bit_is_refused():
    with jax.enable_x64(True):
        for dt in (np.int64, np.uint64):
            closed = jax.make_jaxpr(lax.mulhi)(np.arange(3, dtype=dt), np.arange(3, dtype=dt))
            assert_prims(closed, prims={"mulhi"})
            with pytest.raises(Exception, match=r"mulhi of [iu]64 operands is not supported"):
                ovjax.convert_model(closed)


def test_key_arrays_through_structural_ops():
    """Key arrays through shape primitives and select_n (their key data dimension trails)."""
    check_cases(
        {
            "broadcast_in_dim": lambda k: jnp.broadcast_to(k, (2, 3)),
            "transpose": lambda k: jax.random.split(k, (2, 3)).T,
            "select_n": lambda k: jnp.where(
                jnp.array([True, False, True]), jax.random.split(k, 3), jax.random.split(k, 3)[::-1]
            ),
            "rev": lambda k: jax.random.split(k, 3)[::-1],
            "reshape": lambda k: jax.random.split(k, 6).reshape(2, 3),
            "concatenate": lambda k: jnp.concatenate([jax.random.split(k, 2), jax.random.split(k, 3)]),
            "slice": lambda k: jax.random.bits(jax.random.split(k, 4)[2], (3,)),
        },
        KEY,
    )


def test_bitcast_convert_type_all_pairs():
    """bitcast_convert_type between every 16- and 32-bit integer/float pair, bit-exact on
    every non-NaN pattern (all 2^16 for 16 bits: zeros, subnormals, infinities), and the
    width changes (a trailing axis, least significant part first)."""
    u16 = np.arange(2**16, dtype=np.uint32).astype(np.uint16)
    f16_ok = u16[~np.isnan(u16.view(np.float16))]
    bf16_ok = u16[~np.isnan(u16.view(ml_dtypes.bfloat16).astype(np.float32))]
    r = np.random.default_rng(5)
    u32 = r.integers(0, 2**32, size=4096, dtype=np.uint64).astype(np.uint32)
    u32 = np.concatenate(
        [
            u32,
            np.array(
                [0, 0x80000000, 1, 0x807FFFFF, 0x00800000, 0x7F7FFFFF, 0x7F800000, 0xFF800000, 0x3F800000, 0x34000000],
                np.uint32,
            ),
        ]
    )
    u32 = u32[~np.isnan(u32.view(np.float32))]
    u32 = u32[~np.isnan(u32.view(ml_dtypes.bfloat16).astype(np.float32)).reshape(-1, 2).any(axis=1)]  # halves too
    bc = lax.bitcast_convert_type
    cases = {
        "bitcast_convert_type:u16_f16_u16": lambda a, b, c: bc(bc(a, jnp.float16), jnp.uint16),
        "bitcast_convert_type:u16_f16_i16": lambda a, b, c: bc(bc(a, jnp.float16), jnp.int16),
        "bitcast_convert_type:u16_bf16_u16": lambda a, b, c: bc(bc(b, jnp.bfloat16), jnp.uint16),
        "bitcast_convert_type:i16_bf16_i16": lambda a, b, c: bc(bc(bc(b, jnp.int16), jnp.bfloat16), jnp.int16),
        "bitcast_convert_type:f16_bf16_f16": lambda a, b, c: bc(bc(bc(a, jnp.float16), jnp.bfloat16), jnp.float16),
        "bitcast_convert_type:u32_f32_i32": lambda a, b, c: bc(bc(c, jnp.float32), jnp.int32),
        "bitcast_convert_type:f32_u32": lambda a, b, c: bc(bc(c, jnp.float32), jnp.uint32),
        "bitcast_convert_type:f32_value": lambda a, b, c: bc(c, jnp.float32),
        "bitcast_convert_type:f32_u8": lambda a, b, c: bc(bc(c, jnp.float32), jnp.uint8),
        "bitcast_convert_type:u32_i8": lambda a, b, c: bc(c, jnp.int8),
        "bitcast_convert_type:f32_u16": lambda a, b, c: bc(bc(c, jnp.float32), jnp.uint16),
        "bitcast_convert_type:f32_bf16": lambda a, b, c: bc(bc(bc(c, jnp.float32), jnp.bfloat16), jnp.uint16),
        "bitcast_convert_type:u8_f32_u32": lambda a, b, c: bc(bc(bc(c, jnp.uint8), jnp.float32), jnp.uint32),
        "bitcast_convert_type:f16x2_i32": lambda a, b, c: bc(bc(a[:4096].reshape(2048, 2), jnp.float16), jnp.int32),
        "bitcast_convert_type:u16x2_f32": lambda a, b, c: bc(bc(bc(c, jnp.uint16), jnp.float32), jnp.int32),
    }
    check_cases(cases, f16_ok, bf16_ok, u32)


def test_bitcast_convert_type_nan_and_errors():
    """NaNs stay NaN (as the canonical quiet NaN: payloads and signs are not kept); 64-bit
    and bool bitcasts are refused with a clear error."""
    nan16 = np.array([0x7C01, 0x7E00, 0xFE00, 0x7FFF], np.uint16)
    nan32 = np.array([0x7FC00000, 0x7F800001, 0xFFC00000], np.uint32)
    cl = jax.make_jaxpr(
        lambda a, b: (
            lax.bitcast_convert_type(a, jnp.float16),
            lax.bitcast_convert_type(b, jnp.float32),
            lax.bitcast_convert_type(lax.bitcast_convert_type(b, jnp.float32), jnp.uint32),
        )
    )
    model = ovjax.convert_model(cl(nan16, nan32))
    h, f, bits = harness.run_ov(model, [nan16, nan32])
    assert np.isnan(h).all() and np.isnan(f).all()
    assert (bits == 0x7FC00000).all()
    with jax.enable_x64(True):
        cl = jax.make_jaxpr(lambda x: lax.bitcast_convert_type(x, jnp.int64))(np.zeros(3, np.float64))
    with pytest.raises(Exception, match="bitcast_convert_type is supported between .* not f64 -> i64"):
        ovjax.convert_model(cl)
