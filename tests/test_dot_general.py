"""dot_general -> OpenVINO MatMul: every batch/contracting layout, dtypes,
preferred_element_type, and the shape of the converted graph for the common cases."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from harness import check, check_jit, compute_ops, op_types, rand


def dg(dims, preferred=None):
    return lambda a, b: lax.dot_general(a, b, dims, preferred_element_type=preferred)


def matmul_flags(model):
    return [
        (n.get_attributes()["transpose_a"], n.get_attributes()["transpose_b"])
        for n in model.get_ordered_ops()
        if n.get_type_name() == "MatMul"
    ]


# (id, lhs shape, rhs shape, ((lhs_contract, rhs_contract), (lhs_batch, rhs_batch)))
LAYOUTS = [
    ("matmul", (3, 4), (4, 5), (((1,), (0,)), ((), ()))),
    ("dense_rank3", (2, 3, 4), (4, 5), (((2,), (0,)), ((), ()))),
    ("dense_rank4", (2, 2, 3, 4), (4, 5), (((3,), (0,)), ((), ()))),
    ("lhs_T", (4, 3), (4, 5), (((0,), (0,)), ((), ()))),
    ("rhs_T", (3, 4), (5, 4), (((1,), (1,)), ((), ()))),
    ("both_T", (4, 3), (5, 4), (((0,), (1,)), ((), ()))),
    ("dense_rank3_rhs_T", (2, 3, 4), (5, 4), (((2,), (1,)), ((), ()))),
    ("matvec", (3, 4), (4,), (((1,), (0,)), ((), ()))),
    ("matvec_T", (4, 3), (4,), (((0,), (0,)), ((), ()))),
    ("vecmat", (4,), (4, 5), (((0,), (0,)), ((), ()))),
    ("vecmat_T", (4,), (5, 4), (((0,), (1,)), ((), ()))),
    ("vecvec", (4,), (4,), (((0,), (0,)), ((), ()))),
    ("vec_rank3_KN", (4,), (2, 4, 5), (((0,), (1,)), ((), ()))),
    ("vec_rank3_NK", (4,), (2, 5, 4), (((0,), (2,)), ((), ()))),
    ("vec_rank3_first", (4,), (4, 2, 5), (((0,), (0,)), ((), ()))),
    ("rank3_matvec", (2, 3, 4), (4,), (((2,), (0,)), ((), ()))),
    ("outer_vec", (3,), (4,), (((), ()), ((), ()))),
    ("outer_mat", (2, 3), (4,), (((), ()), ((), ()))),
    ("contract_middle", (2, 4, 3), (4, 5), (((1,), (0,)), ((), ()))),
    ("rhs_rank3", (3, 4), (4, 5, 6), (((1,), (0,)), ((), ()))),
    ("rhs_rank3_middle", (3, 4), (5, 4, 6), (((1,), (1,)), ((), ()))),
    ("lhs_small_rhs_big_T", (3, 4), (2, 5, 4), (((1,), (2,)), ((), ()))),
    ("multi_contract", (3, 4, 5), (5, 4, 6), (((1, 2), (1, 0)), ((), ()))),
    ("multi_contract_swapped", (3, 4, 5), (4, 5, 6), (((2, 1), (1, 0)), ((), ()))),
    ("full_contract", (3, 4), (3, 4), (((0, 1), (0, 1)), ((), ()))),
    ("bmm", (2, 3, 4), (2, 4, 5), (((2,), (1,)), ((0,), (0,)))),
    ("bmm_lhs_T", (2, 4, 3), (2, 4, 5), (((1,), (1,)), ((0,), (0,)))),
    ("bmm_rhs_T", (2, 3, 4), (2, 5, 4), (((2,), (2,)), ((0,), (0,)))),
    ("attention_qk", (2, 3, 4, 5), (2, 3, 6, 5), (((3,), (3,)), ((0, 1), (0, 1)))),
    ("attention_av", (2, 3, 4, 6), (2, 3, 6, 5), (((3,), (2,)), ((0, 1), (0, 1)))),
    ("batch_not_leading", (3, 2, 4), (4, 2, 5), (((2,), (0,)), ((1,), (1,)))),
    ("batch_last", (3, 4, 2), (4, 5, 2), (((1,), (0,)), ((2,), (2,)))),
    ("batch_orders_differ", (2, 3, 4), (3, 4, 2, 5), (((2,), (1,)), ((0, 1), (2, 0)))),
    ("batch_vec", (2, 4), (2, 4, 5), (((1,), (1,)), ((0,), (0,)))),
    ("batch_vecvec", (2, 4), (2, 4), (((1,), (1,)), ((0,), (0,)))),
    ("batch_no_contract", (2, 3), (2, 4), (((), ()), ((0,), (0,)))),
    ("batch_only", (2, 3), (3, 2), (((), ()), ((0, 1), (1, 0)))),
    ("head_mask", (2, 3, 4, 5), (3,), (((), ()), ((1,), (0,)))),
    ("batch_outer_orders", (3, 2, 4), (5, 2, 3), (((), ()), ((0, 1), (2, 1)))),
    ("batch_multi_free", (2, 3, 5, 4), (2, 4, 6, 7), (((3,), (1,)), ((0,), (0,)))),
    ("everything", (3, 4, 6, 5, 2), (5, 6, 2, 4, 7), (((1, 3), (3, 0)), ((2, 4), (1, 2)))),
    ("size_one_dims", (1, 3, 1), (1, 1, 5), (((2,), (1,)), ((0,), (0,)))),
]


@pytest.mark.parametrize("name,ls,rs,dims", LAYOUTS, ids=[c[0] for c in LAYOUTS])
def test_layouts_float32(name, ls, rs, dims):
    check(dg(dims), rand(ls, seed=1), rand(rs, seed=2), prims={"dot_general"})


LOW_PRECISION_LAYOUTS = {
    "dense_rank3",
    "both_T",
    "matvec",
    "vecvec",
    "vec_rank3_NK",
    "outer_mat",
    "multi_contract_swapped",
    "full_contract",
    "bmm_rhs_T",
    "attention_qk",
    "batch_not_leading",
    "batch_orders_differ",
    "batch_only",
    "head_mask",
    "everything",
}


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_layouts_low_precision(dtype):
    # one model with an output per layout (XLA's CPU compiler is slow on f16/bf16
    # dots, so a subset that still covers every lowering path)
    layouts = [c for c in LAYOUTS if c[0] in LOW_PRECISION_LAYOUTS]
    assert len(layouts) == len(LOW_PRECISION_LAYOUTS)
    args = []
    for _, ls, rs, _ in layouts:
        args += [rand(ls, dtype, seed=1), rand(rs, dtype, seed=2)]

    def all_layouts(*xs):
        return tuple(lax.dot_general(xs[2 * i], xs[2 * i + 1], c[3]) for i, c in enumerate(layouts))

    check_jit(all_layouts, *args, prims={"dot_general"})


def test_scalar_operand():
    # a rank-0 operand (outer product with a scalar); the scalar is made inside the
    # function because the harness feeds arrays of rank >= 1
    check(
        lambda a, b: lax.dot_general(a.reshape(()), b, (((), ()), ((), ()))),
        rand((1,), seed=1),
        rand((4, 2), seed=2),
        prims={"dot_general"},
    )


INT_LAYOUTS = [
    c
    for c in LAYOUTS
    if c[0]
    in (
        "matmul",
        "dense_rank3",
        "rhs_T",
        "matvec",
        "vecvec",
        "outer_mat",
        "batch_outer_orders",
        "multi_contract",
        "bmm_lhs_T",
        "attention_qk",
        "batch_orders_differ",
    )
]


@pytest.mark.parametrize("name,ls,rs,dims", INT_LAYOUTS, ids=[c[0] for c in INT_LAYOUTS])
def test_layouts_int8_to_int32(name, ls, rs, dims):
    fn = dg(dims, preferred=jnp.int32)
    closed = jax.make_jaxpr(fn)(rand(ls, "int8"), rand(rs, "int8"))
    assert closed.jaxpr.outvars[0].aval.dtype == jnp.int32
    check(fn, rand(ls, "int8", seed=1), rand(rs, "int8", seed=2), prims={"dot_general"})


@pytest.mark.parametrize("name,ls,rs,dims", INT_LAYOUTS, ids=[c[0] for c in INT_LAYOUTS])
def test_layouts_int32(name, ls, rs, dims):
    check(
        dg(dims),
        rand(ls, "int32", seed=1, low=-1000, high=1000),
        rand(rs, "int32", seed=2, low=-1000, high=1000),
        prims={"dot_general"},
    )


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16"])
def test_narrow_int_result_wraps(dtype):
    # int8 x int8 -> int8 wraps around like XLA (sums of products of +-100 overflow int8)
    a, b = rand((3, 40), dtype, seed=1), rand((40, 5), dtype, seed=2)
    check(lambda x, y: jnp.matmul(x, y), a, b, prims={"dot_general"})


@pytest.mark.parametrize("out", ["int32", "int8"])
def test_int8_long_contraction_exact(out):
    # Partial sums far above 2^24 with an odd total: plain f32 accumulation (how the
    # CPU plugin runs integer MatMul) would round them; the K-chunked lowering is exact.
    k = 3000
    a = np.full((4, k), 127, np.int8)
    a[1, ::3] = -128
    b = np.full((k, 3), 127, np.int8)
    b[::7] = -125
    b[0] = 126
    b[1, 1] = -127
    want = a.astype(np.int64) @ b.astype(np.int64)
    assert np.abs(want).max() > 2**25 and (want % 2 == 1).any()
    check(dg((((1,), (0,)), ((), ())), preferred=jnp.dtype(out)), a, b, prims={"dot_general"})
    # with the weights a constant of the model (closed over)
    bc = jnp.asarray(b)
    check(
        lambda x: lax.dot_general(x, bc, (((1,), (0,)), ((), ())), preferred_element_type=jnp.dtype(out)),
        a,
        prims={"dot_general"},
    )
    # the same through a batched, transposed layout
    check(dg((((2,), (2,)), ((0,), (0,))), preferred=jnp.dtype(out)), a[None], b.T[None], prims={"dot_general"})


def test_bool():
    a, b = rand((3, 6), "bool", seed=1), rand((6, 4), "bool", seed=2)
    a[0] = False  # a row with no matches
    check(lambda x, y: jnp.matmul(x, y), a, b, prims={"dot_general"})
    check(
        dg((((2,), (2,)), ((0,), (0,)))),
        rand((2, 3, 5), "bool", seed=3),
        rand((2, 4, 5), "bool", seed=4),
        prims={"dot_general"},
    )


@pytest.mark.parametrize(
    "dtype,preferred",
    [("bfloat16", "float32"), ("float16", "float32"), ("int8", "int32"), ("int16", "int32"), ("uint8", "int32")],
)
@pytest.mark.parametrize("which", ["dense", "bmm_T"])
def test_preferred_element_type(dtype, preferred, which):
    if which == "dense":
        dims, ls, rs = (((2,), (0,)), ((), ())), (2, 3, 16), (16, 5)
    else:
        dims, ls, rs = (((1,), (2,)), ((0,), (0,))), (2, 16, 3), (2, 5, 16)
    fn = dg(dims, preferred=jnp.dtype(preferred))
    a, b = rand(ls, dtype, seed=1), rand(rs, dtype, seed=2)
    assert jax.eval_shape(fn, a, b).dtype == jnp.dtype(preferred)
    check(fn, a, b, prims={"dot_general"})


def test_int64_x64():
    with jax.enable_x64(True):
        a = rand((3, 4, 5), "int64", seed=1, low=-1000, high=1000)
        b = rand((5, 6), "int64", seed=2, low=-1000, high=1000)
        assert jax.eval_shape(lambda x, y: jnp.matmul(x, y), a, b).dtype == jnp.int64
        check(lambda x, y: jnp.matmul(x, y), a, b, prims={"dot_general"})
        check(
            dg((((1,), (0,)), ((0,), (2,)))),
            a,
            rand((4, 2, 3), "int64", seed=3, low=-1000, high=1000),
            prims={"dot_general"},
        )


@pytest.mark.parametrize(
    "ls,rs,dims",
    [
        ((0, 4), (4, 5), (((1,), (0,)), ((), ()))),
        ((3, 0), (0, 5), (((1,), (0,)), ((), ()))),
        ((2, 3, 0), (2, 0, 4), (((2,), (1,)), ((0,), (0,)))),
    ],
)
def test_empty(ls, rs, dims):
    check(dg(dims), rand(ls, seed=1), rand(rs, seed=2), prims={"dot_general"})


def test_long_reduction_f16_bf16():
    # K=512: JAX (XLA CPU) and OpenVINO both accumulate in f32 and round once.
    for dt in ("float16", "bfloat16"):
        check(
            lambda x, y: jnp.matmul(x, y),
            rand((4, 512), dt, seed=1, low=-1, high=1),
            rand((512, 6), dt, seed=2, low=-1, high=1),
            prims={"dot_general"},
        )


# ---- the numpy / einsum / autodiff surface ------------------------------------------


@pytest.mark.parametrize(
    "spec,ls,rs",
    [
        ("ij,jk->ik", (3, 4), (4, 5)),
        ("bij,bjk->bik", (2, 3, 4), (2, 4, 5)),
        ("bhqd,bhkd->bhqk", (2, 2, 3, 4), (2, 2, 5, 4)),
        ("bqhd,bkhd->bhqk", (2, 3, 2, 4), (2, 5, 2, 4)),
        ("ij,kj->ki", (3, 4), (5, 4)),
        ("abc,cba->b", (2, 3, 4), (4, 3, 2)),
        ("i,i->", (5,), (5,)),
        ("i,j->ij", (3,), (4,)),
        ("btd,de->bte", (2, 3, 4), (4, 6)),
    ],
)
def test_einsum(spec, ls, rs):
    check(lambda a, b: jnp.einsum(spec, a, b), rand(ls, seed=1), rand(rs, seed=2), prims={"dot_general"})


def test_tensordot_and_closure_weights():
    w = rand((4, 5), seed=3)
    check(lambda a: jnp.tanh(jnp.matmul(a, w) + 1.0), rand((2, 3, 4), seed=1), prims={"dot_general"})
    check(
        lambda a, b: jnp.tensordot(a, b, axes=([1, 2], [0, 1])),
        rand((2, 3, 4), seed=1),
        rand((3, 4, 5), seed=2),
        prims={"dot_general"},
    )


def test_grad_of_dense():
    # the backward pass contracts over the batch axes of x and y (transposed dot_generals)
    def loss(w, x):
        return jnp.sum(jnp.tanh(x @ w) ** 2)

    check(jax.grad(loss, argnums=(0, 1)), rand((4, 5), seed=1), rand((2, 3, 4), seed=2), prims={"dot_general"})


# ---- graph shape: what the CPU plugin gets to fuse ---------------------------------


def test_dense_is_single_matmul():
    m = check(dg((((2,), (0,)), ((), ()))), rand((2, 3, 4)), rand((4, 5)), prims={"dot_general"})
    assert compute_ops(m) == ["MatMul"]
    assert matmul_flags(m) == [(False, False)]
    # the MatMul reads the parameters directly
    mm = [n for n in m.get_ordered_ops() if n.get_type_name() == "MatMul"][0]
    assert [i.get_node().get_type_name() for i in mm.input_values()] == ["Parameter", "Parameter"]


@pytest.mark.parametrize(
    "ls,rs,dims,flags",
    [
        ((3, 4), (5, 4), (((1,), (1,)), ((), ())), (False, True)),
        ((2, 3, 4), (5, 4), (((2,), (1,)), ((), ())), (False, True)),
        ((4, 3), (4, 5), (((0,), (0,)), ((), ())), (True, False)),
        ((4, 3), (5, 4), (((0,), (1,)), ((), ())), (True, True)),
        ((2, 3, 4), (2, 4, 5), (((2,), (1,)), ((0,), (0,))), (False, False)),
        ((2, 4, 3), (2, 4, 5), (((1,), (1,)), ((0,), (0,))), (True, False)),
        ((2, 3, 4, 5), (2, 3, 6, 5), (((3,), (3,)), ((0, 1), (0, 1))), (False, True)),
        ((3, 4), (4,), (((1,), (0,)), ((), ())), (False, False)),
    ],
)
def test_flags_instead_of_transposes(ls, rs, dims, flags):
    m = check(dg(dims), rand(ls, seed=1), rand(rs, seed=2), prims={"dot_general"})
    assert compute_ops(m) == ["MatMul"], op_types(m)
    assert matmul_flags(m) == [flags]


def test_no_contraction_is_a_multiply():
    # einsum "...hqk,h->...hqk" (flax BERT's head mask): a broadcasting Multiply in the
    # operand's own layout and the Transpose to JAX's order, which the einsum's transpose
    # back cancels (the Unsqueeze lays the mask out against it); no MatMul with K = 1
    def head_mask(w, h):
        return jnp.einsum("...hqk,h->...hqk", w, h)

    m = check(head_mask, rand((2, 3, 4, 4), seed=1), rand((3,), seed=2), prims={"dot_general"})
    assert compute_ops(m) == ["Unsqueeze", "Multiply"], op_types(m)


def test_general_case_uses_static_reshapes():
    m = check(dg(LAYOUTS[-2][3]), rand(LAYOUTS[-2][1], seed=1), rand(LAYOUTS[-2][2], seed=2), prims={"dot_general"})
    types = op_types(m)
    assert "ShapeOf" not in types and "Einsum" not in types
    assert types.count("MatMul") == 1


@pytest.mark.parametrize("fusions", ["1", "0"])
def test_one_constant_weight_in_two_layouts(monkeypatch, fusions):
    """x @ W and y @ W^T with one constant W (a gradient's pair): the CPU plugin computes the
    second with the first's layout (tests/upstream/cpu_shared_weight_two_layouts.py), so
    each layout gets its own Constant (frontend/cpu_workarounds.cpp), with fusions or not."""
    monkeypatch.setenv("OVJAX_FUSIONS", fusions)
    w = rand((4, 4), seed=7)
    for sliced in (False, True):  # W itself, and a slice of a constant (folded first)
        wc = jnp.asarray(np.concatenate([w, w], axis=1)) if sliced else jnp.asarray(w)

        def fn(x, y, wc=wc):
            ww = wc[:, :4]
            return x @ ww, y @ ww.T, (x + y) @ ww

        m = check(fn, rand((3, 4), seed=1), rand((3, 4), seed=2), prims={"dot_general"})
        weights = {
            n.input_value(1).get_node().get_friendly_name()
            for n in m.get_ordered_ops()
            if n.get_type_name() == "MatMul"
        }
        assert len(weights) >= 2, weights
