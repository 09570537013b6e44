"""Complex numbers: complex64 values are float32 tensors with a trailing (real, imag) axis
of 2 in the OpenVINO model (inputs and outputs too). Numbers compared with JAX."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import harness
import ovjax
from harness import assert_prims, check, check_cases, rand, run_ov


def crand(shape, seed=0):
    return (rand(shape, "float32", seed) + 1j * rand(shape, "float32", seed + 1)).astype(np.complex64)


def test_complex_elementwise_and_structure():
    x, y = crand((3, 4)), crand((3, 4), 5)
    r = rand((3, 4), "float32", 9)
    w = crand((4, 5), 7)  # a complex constant (weights)
    i = np.int32(1)
    cases = {
        "real": lambda x, y, r, i: lax.real(x),
        "imag": lambda x, y, r, i: lax.imag(x),
        "complex": lambda x, y, r, i: lax.complex(r, r * 2),
        "conj": lambda x, y, r, i: lax.conj(x),
        "add": lambda x, y, r, i: x + y,
        "add:literal": lambda x, y, r, i: x + (1 + 2j),
        "sub": lambda x, y, r, i: x - y,
        "neg": lambda x, y, r, i: -x,
        "mul": lambda x, y, r, i: x * y,
        "mul:literal": lambda x, y, r, i: x * 1j,
        "div": lambda x, y, r, i: x / y,
        "abs": lambda x, y, r, i: jnp.abs(x),
        "exp": lambda x, y, r, i: jnp.exp(x),
        "eq": lambda x, y, r, i: jnp.concatenate([x[:2], y[2:]]) == x,
        "ne": lambda x, y, r, i: jnp.concatenate([x[:2], y[2:]]) != x,
        "convert_element_type": lambda x, y, r, i: r.astype(jnp.complex64),
        "convert_element_type:to_real": lambda x, y, r, i: lax.convert_element_type(x, jnp.float32),
        "convert_element_type:to_bool": lambda x, y, r, i: lax.convert_element_type(x * (r > 0), jnp.bool_),
        "integer_pow": lambda x, y, r, i: lax.integer_pow(x, 3),
        "integer_pow:negative": lambda x, y, r, i: lax.integer_pow(x, -2),
        "square": lambda x, y, r, i: lax.square(x),
        "broadcast_in_dim": lambda x, y, r, i: jnp.broadcast_to(x[:, None, :], (3, 2, 4)),
        "reshape": lambda x, y, r, i: x.reshape(2, 6),
        "transpose": lambda x, y, r, i: x.T,
        "squeeze": lambda x, y, r, i: lax.squeeze(x[:1], (0,)),
        "broadcast_in_dim:expand_dims": lambda x, y, r, i: lax.expand_dims(x, (1,)),
        "concatenate": lambda x, y, r, i: jnp.concatenate([x, y], axis=1),
        "slice": lambda x, y, r, i: x[1:3, ::2],
        "rev": lambda x, y, r, i: x[::-1, ::-1],
        "pad": lambda x, y, r, i: lax.pad(x, np.complex64(1 - 2j), ((1, 2, 1), (0, -1, 0))),
        "select_n": lambda x, y, r, i: jnp.where(r > 0, x, y),
        "dot_general": lambda x, y, r, i: x @ w,
        "dot_general:batched": lambda x, y, r, i: jnp.einsum("ij,ij->i", x, y),
        "dot_general:mixed": lambda x, y, r, i: lax.dot_general(r, w, (((1,), (0,)), ((), ()))),
        "reduce_sum": lambda x, y, r, i: jnp.sum(x, axis=0),
        "cumsum": lambda x, y, r, i: lax.cumsum(x, axis=1),
        "cumsum:reverse": lambda x, y, r, i: lax.cumsum(x, axis=0, reverse=True),
        "sign": lambda x, y, r, i: lax.sign(x * (r > -1)),
        "iota": lambda x, y, r, i: lax.iota(jnp.complex64, 5),
        "bitcast_convert_type": lambda x, y, r, i: lax.bitcast_convert_type(x, jnp.complex64),
        "stop_gradient": lambda x, y, r, i: lax.stop_gradient(x),
        "copy": lambda x, y, r, i: jnp.array(x, copy=True),
        "jit": lambda x, y, r, i: jax.jit(lambda a: a * a)(x),
    }
    check_cases(cases, x, y, r, i)
    # vmapped, a dynamic_slice is a gather, which takes no complex operand yet (static or
    # symbolic); the symbolic dynamic_slice of test_complex_with_a_symbolic_dimension covers
    # the translator's own symbolic path
    check_cases(
        {"dynamic_slice": lambda x, y, r, i: lax.dynamic_slice(x, (i, i + 5), (2, 2))}, x, y, r, i, symbolic=False
    )


@harness.needs_primitives("one_minus_square")
def test_complex_one_minus_square():
    x = crand((3, 4))
    x[0, :3] = [1 + 0j, -1 + 0j, complex(0.0, -0.0)]  # exact zeros, signed zeros
    check_cases({"one_minus_square": lambda x: lax.one_minus_square(x)}, x)


@pytest.mark.parametrize(
    "name,fn,shape,real_input",
    [
        ("fft", lambda x: jnp.fft.fft(x), (3, 8), False),
        ("fft:ifft", lambda x: jnp.fft.ifft(x), (3, 7), False),
        ("fft:fft2", lambda x: jnp.fft.fft2(x), (2, 5, 6), False),
        ("fft:ifftn", lambda x: jnp.fft.ifftn(x), (2, 3, 4), False),
        ("fft:rfft", lambda x: jnp.fft.rfft(x), (4, 10), True),
        ("fft:rfft2", lambda x: jnp.fft.rfft2(x), (3, 6, 7), True),
        ("fft:irfft", lambda x: jnp.fft.irfft(x), (4, 6), False),
        ("fft:irfft_n", lambda x: jnp.fft.irfft(x, n=9), (4, 5), False),
        ("fft:irfftn", lambda x: jnp.fft.irfftn(x, axes=(0, 1, 2)), (3, 4, 5), False),
    ],
)
def test_fft(name, fn, shape, real_input):
    x = rand(shape, "float32") if real_input else crand(shape)
    check_cases({name: fn}, x, tol=(1e-4, 1e-4))


def test_complex_io_layout():
    """Complex model inputs and outputs are float32 [..., 2] (real, imag)."""
    closed = jax.make_jaxpr(lambda x: x * 2)(crand((3,)))
    model = ovjax.convert_model(closed)
    assert model.inputs[0].get_element_type().to_dtype() == np.float32
    assert list(model.inputs[0].get_shape()) == [3, 2]
    assert list(model.outputs[0].get_shape()) == [3, 2]
    x = crand((3,))
    pairs = np.stack([x.real, x.imag], -1)
    (got,) = run_ov(model, [pairs])
    np.testing.assert_allclose(got[..., 0] + 1j * got[..., 1], x * 2, rtol=1e-6)


def test_complex_operand_of_a_non_complex_primitive_is_an_error():
    """A translator that does not handle complex values never sees them: a clear error
    naming the primitive, reported with the other failures."""
    # argmax of complex values: XLA orders them, JAX's CPU cannot run it (its comparison
    # rejects complex operands), so there is nothing to agree with
    closed = jax.make_jaxpr(lambda x: (jnp.argmax(x), jnp.argmax(x * 2)))(crand((4,)))
    with pytest.raises(Exception) as e:
        ovjax.convert_model(closed)
    msg = str(e.value)
    assert "2 equations failed" in msg
    assert "argmax: complex operands are not supported for this primitive" in msg


def test_complex128_runs_as_float_pairs():
    """complex128 values are float64 pairs (which OpenVINO's CPU plugin runs as float32)."""
    with jax.enable_x64(True):
        x = crand((3, 4)).astype(np.complex128)
        check_cases(
            {
                "mul:c128": lambda x: x * x + (0.5 - 1j),
                "fft:c128": lambda x: jnp.fft.fft(x),
                "real:c128": lambda x: lax.real(x) * 2,
            },
            x,
            tol=(1e-5, 1e-5),
        )


# ---------------------------------------------------------------- symbolic dimensions


def run_symbolic(fn, specs, make_args, sizes=(1, 3, 7), tol=(1e-4, 1e-4)):
    """fn traced once with a symbolic dimension B, converted and compiled once, then run at
    each size and compared with JAX's jitted fn at that size."""
    model = ovjax.convert_model(jax.make_jaxpr(fn)(*specs))
    assert any(p.get_partial_shape().is_dynamic for p in model.inputs)
    req = harness.compile_cpu(model).create_infer_request()
    jitted = jax.jit(fn)
    for n in sizes:
        args = make_args(n)
        for k, a in enumerate(args):
            req.set_input_tensor(k, harness.to_tensor(np.asarray(a)))
        req.infer()
        want = jax.tree_util.tree_leaves(jitted(*args))
        assert len(req.model_outputs) == len(want)
        for k, w in enumerate(want):
            harness.assert_close(harness.from_tensor(req.get_output_tensor(k)), w, where=f"B={n}: output {k}", tol=tol)


(B,) = jax.export.symbolic_shape("B")


def c64(*shape):
    return jax.ShapeDtypeStruct(shape, jnp.complex64)


def f32(*shape):
    return jax.ShapeDtypeStruct(shape, jnp.float32)


W = crand((4, 5), 7)


SYMBOLIC_CASES = [
    (
        "elementwise",
        lambda x, y, r: (
            lax.real(x),
            lax.imag(x),
            lax.conj(x),
            lax.conj(r),
            lax.complex(r, r * 2),
            lax.complex(r, np.float32(2)),
            jnp.abs(x),
            jnp.exp(x),
            lax.sign(x * (r > -1)),
            x * y,
            x / y,
            x == jnp.where(r > 0, x, y),
            x != jnp.where(r > 0, x, y),
            lax.integer_pow(x, 3),
            lax.integer_pow(x, -2),
            lax.square(x),
            r.astype(jnp.complex64),
            (r > 0).astype(jnp.complex64),
            lax.convert_element_type(x, jnp.float32),
            lax.convert_element_type(x * (r > 0), jnp.bool_),
        ),
        [c64(B, 3), c64(B, 3), f32(B, 3)],
        lambda n: (crand((n, 3)), crand((n, 3), 5), rand((n, 3), "float32", 9)),
    ),
    ("dot_general:free", lambda x: x @ W, [c64(B, 4)], lambda n: (crand((n, 4)),)),
    ("dot_general:contract", lambda x, y: x.T @ y, [c64(B, 3), c64(B, 5)], lambda n: (crand((n, 3)), crand((n, 5), 3))),
    (
        "dot_general:batch",
        lambda x, y: jnp.einsum("bij,bjk->bik", x, y),
        [c64(B, 2, 3), c64(B, 3, 4)],
        lambda n: (crand((n, 2, 3)), crand((n, 3, 4), 3)),
    ),
    (  # three batch axes beside the symbolic one: the plugin's Einsum of that was garbage
        "dot_general:three_batch_axes",
        jax.vmap(lambda a: a @ a),
        [c64(B, 2, 3, 4, 4)],
        lambda n: (crand((n, 2, 3, 4, 4)),),
    ),
    (
        "dot_general:mixed",
        lambda r: lax.dot_general(r, W, (((1,), (0,)), ((), ()))),
        [f32(B, 4)],
        lambda n: (rand((n, 4), "float32"),),
    ),
    ("fft", lambda x: jnp.fft.fft(x), [c64(B, 8)], lambda n: (crand((n, 8)),)),
    ("fft:fft2", lambda x: jnp.fft.ifft2(x), [c64(B, 5, 6)], lambda n: (crand((n, 5, 6)),)),
    ("fft:bluestein", lambda x: jnp.fft.fftn(x, axes=(1, 2)), [c64(B, 15, 100)], lambda n: (crand((n, 15, 100)),)),
    ("fft:rfft", lambda r: jnp.fft.rfft(r), [f32(B, 10)], lambda n: (rand((n, 10), "float32"),)),
    ("fft:irfft", lambda x: jnp.fft.irfft(x, n=9), [c64(B, 5)], lambda n: (crand((n, 5)),)),
    (
        "pad",
        lambda x: lax.pad(x, np.complex64(1 - 2j), ((0, 0, 0), (1, 2, 1), (0, -1, 0))),
        [c64(B, 3, 4)],
        lambda n: (crand((n, 3, 4)),),
    ),
    (
        "reduce_sum",
        lambda x: (jnp.sum(x, axis=0), jnp.sum(x, axis=1), jnp.sum(x), lax.cumsum(x, 0), lax.cumsum(x, 1, True)),
        [c64(B, 3)],
        lambda n: (crand((n, 3)),),
    ),
    (
        "iota",
        lambda x: (lax.broadcasted_iota(jnp.complex64, x.shape, 0), lax.broadcasted_iota(jnp.complex64, x.shape, 1)),
        [c64(B, 3)],
        lambda n: (crand((n, 3)),),
    ),
    (
        "dynamic_slice",
        lambda x, i: (lax.dynamic_slice(x, (i, 1), (x.shape[0] - 1, 2)), lax.dynamic_slice(x, (0, i), (x.shape[0], 2))),
        [c64(B, 3), jax.ShapeDtypeStruct((), jnp.int32)],
        lambda n: (crand((n, 3)), np.int32(n // 2)),
    ),
]


@pytest.mark.parametrize("name,fn,specs,make_args", SYMBOLIC_CASES, ids=[c[0] for c in SYMBOLIC_CASES])
def test_complex_with_a_symbolic_dimension(name, fn, specs, make_args):
    """Complex translators with a symbolic batch axis B: one conversion, JAX's numbers at
    each B (the axes they compute along are static)."""
    run_symbolic(fn, specs, make_args)


def test_complex_pad_of_a_symbolic_axis_names_the_dimension():
    closed = jax.make_jaxpr(lambda x: lax.pad(x, np.complex64(0), ((1, 0, 0), (1, 2, 1))))(c64(B, 3))
    with pytest.raises(Exception, match="pad does not support padding the symbolic dimension B"):
        ovjax.convert_model(closed)


# ---------------------------------------------------------------- lexicographic max / min

SPECIAL = np.array([-np.inf, -1.5, -0.0, 0.0, 1.5, np.inf, np.nan], np.float32)


def special_plane(dtype=np.complex64):
    """Every (re, im) of SPECIAL: 49 complex values, the axes, signed zeros, infinities, NaNs."""
    re, im = np.meshgrid(SPECIAL, SPECIAL, indexing="ij")
    z = np.empty(re.shape, dtype)
    z.real, z.imag = re, im  # (re + 1j * im would turn inf * 1j into NaN parts)
    return z.reshape(-1)


def same_bits(got_pairs, want):
    """got (real, imag) pairs equal to JAX's complex result, NaNs where JAX has them and the
    signs of zeros included."""
    want = np.asarray(want)
    for k, part in enumerate((want.real, want.imag)):
        g = got_pairs[..., k].astype(part.dtype)
        np.testing.assert_array_equal(np.isnan(g), np.isnan(part))
        ok = ~np.isnan(part)
        np.testing.assert_array_equal(g[ok], part[ok])
        np.testing.assert_array_equal(np.signbit(g[ok]), np.signbit(part[ok]))


@pytest.mark.parametrize("prim", [lax.max, lax.min], ids=["max", "min"])
def test_complex_max_min_are_lexicographic(prim):
    """lax.max / lax.min of complex values compare (re, im) lexicographically, as JAX lowers
    them: over every pair of special values (infinities, NaNs, signed zeros, equal real
    parts), exactly JAX's result; and with a broadcast operand."""
    z = special_plane()
    x, y = np.repeat(z, z.size), np.tile(z, z.size)  # all 2401 pairs
    model = ovjax.convert_model(jax.make_jaxpr(prim)(x, y))
    (got,) = run_ov(model, [x, y])
    same_bits(got, prim(x, y))
    a, b = crand((1, 20)), crand((20, 20), 3)
    b.real[::2] = np.broadcast_to(a.real, (10, 20))  # equal real parts: the imaginary ones decide
    for args in ((a, b), (b, a)):
        (got,) = run_ov(ovjax.convert_model(jax.make_jaxpr(prim)(*args)), list(args))
        same_bits(got, prim(*args))


def test_complex128_max_min():
    """complex128 (float64 pairs): the same, over the finite specials and NaNs (the CPU
    plugin runs float64 as float32 and turns an infinite float64 input into the largest
    float32, measured on 2026.4, so infinities are left out here)."""
    with jax.enable_x64(True):
        z = special_plane(np.complex128)
        z = z[np.isfinite(z.real) | np.isnan(z.real)]
        z = z[np.isfinite(z.imag) | np.isnan(z.imag)]
        x, y = np.repeat(z, z.size), np.tile(z, z.size)
        for prim in (lax.max, lax.min):
            (got,) = run_ov(ovjax.convert_model(jax.make_jaxpr(prim)(x, y)), [x, y])
            same_bits(got, prim(x, y))


def test_complex_values_in_control_flow():
    """ "scan", "while" and "cond" carry complex values (f32 pairs) through their bodies: a
    complex carry and stacked complex outputs, a complex while carry, complex branches."""
    z = crand((2, 3), 4)

    def fn(z):
        c, ys = lax.scan(lambda c, x: (c * x + 1j, (c.real + x, c)), z[0], z)
        w = lax.while_loop(lambda s: s[1] < 3, lambda s: (s[0] * (1 + 1j), s[1] + 1), (z, 0))[0]
        k = lax.cond(z[0, 0].real > 0, lambda v: v * 2j, lambda v: -v, z)
        return c, ys, w, k

    check(fn, z, prims=["scan", "while", "cond"], tol=(1e-6, 1e-6))


@pytest.mark.parametrize(
    "shape,axes", [((64, 15), (1,)), ((4, 1000), (1,)), ((3, 12, 100), (1, 2)), ((2, 14, 15, 17), (1, 2, 3))]
)
def test_fft_of_lengths_other_than_powers_of_two_is_accurate(shape, axes):
    """ "fft" over lengths that are not powers of two goes through Bluestein's algorithm (the
    CPU plugin's own DFT of such lengths is off by up to 1.5e-4 of the largest value at
    1000): forward and inverse within 5e-7 of the float64 transform, as JAX's."""
    x = crand(shape, 3)
    fn = lambda v: (jnp.fft.fftn(v, axes=axes), jnp.fft.ifftn(v, axes=axes))  # noqa: E731
    closed = jax.make_jaxpr(fn)(x)
    assert_prims(closed, prims=["fft"])
    got = run_ov(ovjax.convert_model(closed), [x])
    for g, exact in zip(
        got, (np.fft.fftn(x.astype(np.complex128), axes=axes), np.fft.ifftn(x.astype(np.complex128), axes=axes))
    ):
        g = g[..., 0] + 1j * g[..., 1].astype(np.float64)
        assert np.abs(g - exact).max() <= 5e-7 * np.abs(exact).max()
