"""conv_general_dilated -> OpenVINO Convolution / GroupConvolution: padding (SAME,
VALID, explicit, negative), strides, input/kernel dilation, feature and batch groups,
dimension numbers (NCHW, Flax's NHWC/HWIO, unusual permutations), 1D/2D/3D, dtypes,
preferred_element_type, Flax modules and gradients."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from harness import check, check_jit, compute_ops, rand

CONV = {"conv_general_dilated"}


def conv(**kw):
    return lambda x, w: lax.conv_general_dilated(x, w, **kw)


# ---- parameter variants (NCHW / OIHW) ------------------------------------------------

# (id, lhs shape, rhs shape, kwargs)
VARIANTS = [
    ("valid", (2, 4, 7, 6), (6, 4, 3, 2), dict(window_strides=(1, 1), padding="VALID")),
    ("same", (2, 4, 7, 6), (6, 4, 3, 2), dict(window_strides=(1, 1), padding="SAME")),
    ("same_stride2", (2, 4, 7, 6), (6, 4, 3, 2), dict(window_strides=(2, 2), padding="SAME")),
    ("same_lower", (2, 4, 7, 6), (6, 4, 3, 2), dict(window_strides=(1, 2), padding="SAME_LOWER")),
    ("explicit", (2, 4, 7, 6), (6, 4, 3, 2), dict(window_strides=(1, 2), padding=((1, 2), (0, 1)))),
    ("negative", (2, 4, 7, 6), (6, 4, 3, 2), dict(window_strides=(1, 1), padding=((-1, 2), (1, -1)))),
    ("negative_both", (2, 4, 7, 6), (6, 4, 3, 2), dict(window_strides=(2, 1), padding=((-2, -1), (0, -1)))),
    ("strides_3_2", (2, 4, 7, 6), (6, 4, 3, 2), dict(window_strides=(3, 2), padding="VALID")),
    ("rhs_dilation", (2, 4, 7, 6), (6, 4, 3, 2), dict(window_strides=(1, 1), padding="VALID", rhs_dilation=(2, 2))),
    ("rhs_dilation_same", (2, 4, 7, 6), (6, 4, 3, 2), dict(window_strides=(1, 1), padding="SAME", rhs_dilation=(2, 1))),
    (
        "lhs_dilation",
        (2, 4, 7, 6),
        (6, 4, 3, 2),
        dict(window_strides=(1, 1), padding=((2, 2), (1, 1)), lhs_dilation=(2, 2)),
    ),
    (
        "lhs_dilation_stride_negative",
        (2, 4, 7, 6),
        (6, 4, 3, 2),
        dict(window_strides=(2, 1), padding=((-1, 1), (1, -1)), lhs_dilation=(2, 3)),
    ),
    (
        "lhs_and_rhs_dilation",
        (2, 4, 7, 6),
        (6, 4, 3, 2),
        dict(window_strides=(1, 1), padding=((1, 1), (2, 0)), lhs_dilation=(2, 1), rhs_dilation=(1, 2)),
    ),
    ("groups2", (2, 4, 7, 6), (6, 2, 3, 2), dict(window_strides=(1, 1), padding="SAME", feature_group_count=2)),
    (
        "groups2_strided_negative",
        (2, 4, 7, 6),
        (6, 2, 3, 2),
        dict(window_strides=(2, 1), padding=((-1, 1), (1, 0)), rhs_dilation=(1, 2), feature_group_count=2),
    ),
    ("depthwise", (2, 4, 7, 6), (4, 1, 3, 2), dict(window_strides=(1, 1), padding="SAME", feature_group_count=4)),
    (
        "depthwise_multiplier",
        (2, 4, 7, 6),
        (8, 1, 3, 2),
        dict(window_strides=(2, 2), padding="VALID", feature_group_count=4),
    ),
    (
        "groups_lhs_dilation",
        (2, 4, 7, 6),
        (6, 2, 3, 2),
        dict(window_strides=(1, 1), padding=((2, 2), (1, 1)), lhs_dilation=(2, 2), feature_group_count=2),
    ),
    ("batch_groups2", (4, 4, 7, 6), (6, 4, 3, 2), dict(window_strides=(1, 1), padding="VALID", batch_group_count=2)),
    (
        "batch_groups2_strided_padded",
        (4, 4, 7, 6),
        (6, 4, 3, 2),
        dict(window_strides=(2, 1), padding=((1, 0), (0, 1)), rhs_dilation=(1, 2), batch_group_count=2),
    ),
    ("batch_groups4", (4, 3, 5, 5), (8, 3, 2, 2), dict(window_strides=(1, 1), padding="SAME", batch_group_count=4)),
    ("one_by_one", (2, 4, 7, 6), (6, 4, 1, 1), dict(window_strides=(2, 2), padding="VALID")),
    ("full_window", (2, 4, 7, 6), (6, 4, 7, 6), dict(window_strides=(1, 1), padding="VALID")),
    ("kernel_larger_than_input", (2, 4, 2, 2), (6, 4, 3, 3), dict(window_strides=(1, 1), padding="SAME")),
]


@pytest.mark.parametrize("name,xs,ws,kw", VARIANTS, ids=[v[0] for v in VARIANTS])
def test_variants_float32(name, xs, ws, kw):
    check(conv(**kw), rand(xs, seed=1), rand(ws, seed=2), prims=CONV)


# XLA's CPU compiler is slow on f16/bf16 convolutions: a subset covering every lowering path
LOW_PRECISION_VARIANTS = {
    "same_stride2",
    "explicit",
    "negative_both",
    "rhs_dilation_same",
    "lhs_dilation_stride_negative",
    "groups2_strided_negative",
    "depthwise_multiplier",
    "batch_groups2_strided_padded",
    "full_window",
}


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_variants_low_precision(dtype):
    variants = [v for v in VARIANTS if v[0] in LOW_PRECISION_VARIANTS]
    assert len(variants) == len(LOW_PRECISION_VARIANTS)
    args = []
    for _, xs, ws, _ in variants:
        args += [rand(xs, dtype, seed=1), rand(ws, dtype, seed=2)]

    def all_variants(*a):
        return tuple(lax.conv_general_dilated(a[2 * i], a[2 * i + 1], **v[3]) for i, v in enumerate(variants))

    check_jit(all_variants, *args, prims=CONV)


def test_empty():
    # a VALID window that does not fit: JAX's result has a zero-sized spatial dimension
    check(conv(window_strides=(1, 1), padding="VALID"), rand((2, 4, 2, 6)), rand((6, 4, 3, 2)), prims=CONV)
    # no input features: every output is a sum over nothing
    check(conv(window_strides=(1, 1), padding="SAME"), rand((2, 0, 5, 6)), rand((6, 0, 3, 2)), prims=CONV)


# ---- dimension numbers ------------------------------------------------------------

SIZES = {"N": 2, "C": 4, "O": 6, "I": 4, "H": 7, "W": 6, "D": 5}
KERNEL = {"H": 3, "W": 2, "D": 2}


def shapes_for(lhs, rhs):
    return tuple(SIZES[c] for c in lhs), tuple(KERNEL.get(c, SIZES.get(c)) for c in rhs)


DIMENSION_NUMBERS = [
    ("NCHW", "OIHW", "NCHW"),
    ("NHWC", "HWIO", "NHWC"),  # Flax
    ("NHWC", "OIHW", "NCHW"),
    ("NCHW", "HWIO", "NHWC"),
    ("CHWN", "IHWO", "WNCH"),
    ("NWHC", "HWOI", "CNHW"),  # spatial axes in a different order in lhs and rhs
    ("HWCN", "WOIH", "HNWC"),
]
DN_KW = dict(window_strides=(2, 1), padding=((1, 0), (2, 1)), rhs_dilation=(1, 2))


@pytest.mark.parametrize("dn", DIMENSION_NUMBERS, ids=["-".join(d) for d in DIMENSION_NUMBERS])
def test_dimension_numbers_float32(dn):
    xs, ws = shapes_for(dn[0], dn[1])
    check(conv(dimension_numbers=dn, **DN_KW), rand(xs, seed=1), rand(ws, seed=2), prims=CONV)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_dimension_numbers_low_precision(dtype):
    args = []
    for dn in DIMENSION_NUMBERS:
        xs, ws = shapes_for(dn[0], dn[1])
        args += [rand(xs, dtype, seed=1), rand(ws, dtype, seed=2)]

    def all_dns(*a):
        return tuple(
            lax.conv_general_dilated(a[2 * i], a[2 * i + 1], dimension_numbers=dn, **DN_KW)
            for i, dn in enumerate(DIMENSION_NUMBERS)
        )

    check_jit(all_dns, *args, prims=CONV)


def test_dimension_numbers_record_with_groups():
    # an explicit ConvDimensionNumbers record (axis indices), with lhs dilation and groups
    dn = lax.ConvDimensionNumbers(lhs_spec=(3, 0, 2, 1), rhs_spec=(1, 3, 0, 2), out_spec=(2, 1, 3, 0))
    x = rand((5, 7, 6, 2), seed=1)  # N=2 at axis 3, C=5 at 0, spatial (6, 7) at axes (2, 1)
    w = rand((3, 6, 2, 5), seed=2)  # O=6 at axis 1, I=5 at 3, kernel (3, 2) at axes (0, 2)
    check(
        conv(window_strides=(1, 2), padding=((1, 1), (0, 2)), lhs_dilation=(1, 2), dimension_numbers=dn),
        x,
        w,
        prims=CONV,
    )
    wg = rand((3, 10, 2, 1), seed=3)  # depthwise, multiplier 2: O=10, I=1
    check(conv(window_strides=(2, 1), padding="SAME", dimension_numbers=dn, feature_group_count=5), x, wg, prims=CONV)


# ---- 1D and 3D -----------------------------------------------------------------------

ND_CASES = [
    (
        "1d_flax",
        (2, 9, 3),
        (3, 3, 4),
        dict(window_strides=(2,), padding="SAME", dimension_numbers=("NWC", "WIO", "NWC")),
    ),
    ("1d_ncw_lhs_dilation", (2, 3, 9), (4, 3, 3), dict(window_strides=(1,), padding=((2, 1),), lhs_dilation=(2,))),
    (
        "1d_depthwise_negative",
        (2, 9, 3),
        (3, 1, 3),
        dict(window_strides=(1,), padding=((-1, 1),), feature_group_count=3, dimension_numbers=("NWC", "WIO", "NWC")),
    ),
    ("1d_batch_groups", (4, 3, 9), (4, 3, 3), dict(window_strides=(1,), padding="VALID", batch_group_count=2)),
    (
        "3d_flax",
        (2, 5, 6, 4, 3),
        (2, 3, 2, 3, 4),
        dict(window_strides=(1, 2, 1), padding="SAME", dimension_numbers=("NDHWC", "DHWIO", "NDHWC")),
    ),
    (
        "3d_ncdhw_groups",
        (2, 4, 5, 6, 4),
        (6, 2, 2, 3, 2),
        dict(
            window_strides=(1, 1, 2), padding=((0, 1), (-1, 1), (1, 0)), rhs_dilation=(1, 1, 2), feature_group_count=2
        ),
    ),
    (
        "3d_lhs_dilation",
        (1, 2, 3, 4, 3),
        (3, 2, 2, 2, 2),
        dict(window_strides=(1, 1, 1), padding=((1, 1), (1, 1), (0, 0)), lhs_dilation=(2, 1, 2)),
    ),
]


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_1d_3d(dtype):
    args = []
    for _, xs, ws, _ in ND_CASES:
        args += [rand(xs, dtype, seed=1), rand(ws, dtype, seed=2)]

    def all_cases(*a):
        return tuple(lax.conv_general_dilated(a[2 * i], a[2 * i + 1], **c[3]) for i, c in enumerate(ND_CASES))

    check_jit(all_cases, *args, prims=CONV)


# ---- dtypes --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype,preferred", [("bfloat16", "float32"), ("float16", "float32"), ("int8", "int32")])
def test_preferred_element_type(dtype, preferred):
    fn = conv(
        window_strides=(1, 1),
        padding="SAME",
        dimension_numbers=("NHWC", "HWIO", "NHWC"),
        preferred_element_type=jnp.dtype(preferred),
    )
    x, w = rand((2, 6, 5, 4), dtype, seed=1), rand((3, 3, 4, 6), dtype, seed=2)
    assert jax.eval_shape(fn, x, w).dtype == jnp.dtype(preferred)
    check(fn, x, w, prims=CONV)


@pytest.mark.parametrize("dtype", ["int32", "int8", "int16"])
def test_integer(dtype):
    # int8/int16 results wrap around like XLA's
    kw = dict(window_strides=(2, 1), padding=((1, 1), (-1, 1)), feature_group_count=2)
    check(conv(**kw), rand((2, 4, 7, 6), dtype, seed=1), rand((6, 2, 3, 2), dtype, seed=2), prims=CONV)


@pytest.mark.parametrize("groups", [1, 2])
def test_int8_long_reduction_exact(groups):
    # 256 input features x 3x3 kernel: sums far above 2^24 with odd values, which the
    # CPU plugin's f32 arithmetic for integer convolutions would round; the lowering
    # splits the input features into exactly summable chunks.
    c = 256 * groups
    x = np.full((1, c, 4, 3), 127, np.int8)
    x[0, ::5] = -128
    w = np.full((2 * groups, 256, 3, 3), 127, np.int8)
    w[:, ::5] = -125
    w[0, 0, 0, 0] = 126
    w[1, 1, 1, 1] = -127
    fn = conv(window_strides=(1, 1), padding="VALID", feature_group_count=groups, preferred_element_type=jnp.int32)
    check_jit(fn, x, w, prims=CONV)
    want = np.asarray(jax.jit(fn)(x, w))
    assert np.abs(want).max() > 2**25 and (want % 4 != 0).any()  # not representable in f32
    if groups == 1:  # with the kernel a constant of the model (closed over)
        wc = jnp.asarray(w)
        check_jit(lambda x: fn(x, wc), x, prims=CONV)


# ---- Flax, conv_transpose, gradients --------------------------------------------------


@pytest.mark.parametrize(
    "module",
    [
        nn.Conv(features=6, kernel_size=(3, 3), strides=(2, 1), padding="SAME"),
        nn.Conv(features=6, kernel_size=(3, 2), padding="VALID", kernel_dilation=(1, 2), feature_group_count=2),
        nn.Conv(features=4, kernel_size=(3, 3), padding=((1, 0), (2, -1)), use_bias=False),
        nn.ConvTranspose(features=3, kernel_size=(3, 3), strides=(2, 2), padding="SAME"),
    ],
    ids=["conv_same_stride", "conv_grouped_dilated", "conv_explicit_padding", "conv_transpose"],
)
def test_flax_modules(module):
    x = rand((2, 7, 6, 4), seed=1)
    # random parameters of the module's shapes (module.init would run its initializers eagerly)
    shapes = jax.eval_shape(module.init, jax.random.PRNGKey(0), x)
    leaves, tree = jax.tree_util.tree_flatten(shapes)
    params = jax.tree_util.tree_unflatten(tree, [rand(l.shape, seed=i) for i, l in enumerate(leaves)])
    check_jit(lambda p, x: module.apply(p, x), params, x, prims=CONV)


def test_conv_transpose():
    fn = lambda x, w: lax.conv_transpose(
        x, w, strides=(2, 2), padding="SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
    )
    check(fn, rand((2, 4, 5, 3), seed=1), rand((3, 3, 3, 5), seed=2), prims=CONV)


def has_batch_groups(closed):
    return any(
        e.primitive.name == "conv_general_dilated" and e.params["batch_group_count"] > 1 for e in closed.jaxpr.eqns
    )


@pytest.mark.parametrize("groups", [1, 2])
def test_gradients(groups):
    # d/dx: lhs-dilated convolution with a reversed kernel; d/dw of a grouped conv uses
    # batch_group_count
    def loss(x, w):
        y = lax.conv_general_dilated(
            x, w, (2, 2), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"), feature_group_count=groups
        )
        return jnp.sum(jnp.tanh(y) ** 2)

    x, w = rand((2, 7, 6, 4), seed=1), rand((3, 2, 4 // groups, 6), seed=2)
    grad = jax.grad(loss, argnums=(0, 1))
    if groups > 1:
        assert has_batch_groups(jax.make_jaxpr(grad)(x, w))
    check_jit(grad, x, w, prims=CONV)


# ---- graph shape ----------------------------------------------------------------------


def test_nchw_is_a_single_convolution():
    m = check(
        conv(window_strides=(2, 1), padding="SAME", rhs_dilation=(1, 2)),
        rand((2, 4, 7, 6)),
        rand((6, 4, 3, 2)),
        prims=CONV,
    )
    assert compute_ops(m) == ["Convolution"]


def test_nhwc_transposes_only():
    m = check(
        conv(window_strides=(1, 1), padding="SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")),
        rand((2, 7, 6, 4)),
        rand((3, 2, 4, 6)),
        prims=CONV,
    )
    assert sorted(compute_ops(m)) == ["Convolution", "Transpose", "Transpose", "Transpose"]


def test_groups_are_group_convolution():
    m = check(
        conv(window_strides=(1, 1), padding="SAME", feature_group_count=4),
        rand((2, 4, 7, 6)),
        rand((8, 1, 3, 2)),
        prims=CONV,
    )
    assert compute_ops(m) == ["Reshape", "GroupConvolution"]
    m = check(
        conv(window_strides=(1, 1), padding="VALID", batch_group_count=2),
        rand((4, 4, 7, 6)),
        rand((6, 4, 3, 2)),
        prims=CONV,
    )
    assert compute_ops(m).count("GroupConvolution") == 1 and "Concat" not in compute_ops(m)
