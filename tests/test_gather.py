"""gather and the scatter family (src/cpp/ops/gather.cpp).

Indices are traced inputs, so out-of-bounds and negative values reach the converted
model at run time; each mode (clip, fill / drop, promise_in_bounds) is compared with
JAX, duplicates included for the combining scatters.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import ovjax
from harness import MOVE_DTYPES, assert_close, check, check_symbolic, compile_cpu, op_counts, rand


def idx(*values):
    return np.array(values, dtype=np.int32)


# ---- gather: numpy-style indexing -------------------------------------------------


@pytest.mark.parametrize("dtype", MOVE_DTYPES)
def test_dtypes(dtype):
    """Per dtype, in one model: x[i] with negative indices, jnp.take in fill mode (fill_value
    None: NaN for floats, min for signed, max for unsigned, True for bool), .at[i].set, and
    for numbers .at[i].add/mul/min/max with duplicate indices (one through a negative index)."""
    x = rand((6, 3), dtype, low=-3, high=3)
    u = rand((5, 3), dtype, seed=1, low=-3, high=3)
    numeric = dtype != "bool"

    def f(x, i, j, k, u):
        out = [x[i], jnp.take(x, j, axis=0, mode="fill"), x.at[k].set(u[:4])]
        if numeric:
            out += [x.at[i].add(u), x.at[i].mul(u), x.at[i].min(u), x.at[i].max(u)]
        return out

    prims = {"gather", "scatter"} | ({"scatter-add", "scatter-mul", "scatter-min", "scatter-max"} if numeric else set())
    check(f, x, idx(1, 4, 1, -1, 1), idx(1, 6, -1, 5, -7), idx(5, 0, -2, 2), u, prims=prims)


def test_take_columns():
    check(lambda x, i: x[:, i], rand((3, 6, 2)), idx(5, 0, -2, 3), prims={"gather"})


def test_two_index_arrays():
    check(lambda x, i, j: x[i, j], rand((4, 5, 3)), idx(0, 3, -1), idx(4, 0, 2), prims={"gather"})


def test_index_arrays_around_slice():
    # advanced indices separated by a slice: the broadcast index axes go first
    check(lambda x, i, j: x[i, :, j], rand((4, 3, 5)), idx(0, 3, 1, 2), idx(4, 0, 2, 1), prims={"gather"})


def test_index_array_2d_and_scalar_mix():
    i = np.array([[0, 2], [1, -1]], np.int32)
    check(lambda x, i: x[1, i, 1:3], rand((3, 4, 5)), i, prims={"gather"})


@pytest.mark.parametrize("mode", ["clip", "fill"])
def test_jnp_take_modes(mode):
    x = rand((4, 5, 3))
    f = lambda x, i: [jnp.take(x, i, axis=axis, mode=mode) for axis in range(3)]  # noqa: E731
    check(f, x, idx(0, 2, -1, 7, -9, 100, 2), prims={"gather"})


def test_at_get_modes():
    def f(x, y, i, j):
        return [
            x.at[i].get(mode="fill", fill_value=-7.5),
            y.at[j].get(mode="fill", fill_value=3),
            x.at[i].get(mode="clip"),
            x.at[:, j].get(mode="promise_in_bounds"),
        ]

    check(f, rand((5, 2)), rand((5,), "int32"), idx(0, 5, -6, 4, 90), idx(0, 1, -1, 0), prims={"gather"})


def test_take_along_axis():
    x = rand((3, 5, 4))
    i = rand((3, 2, 4), "int32", low=-5, high=4)
    i0 = rand((2, 5, 4), "int32", low=0, high=2)
    f = lambda x, i, i0: [jnp.take_along_axis(x, i, axis=1), jnp.take_along_axis(x, i0, axis=0, mode="clip")]  # noqa: E731
    check(f, x, i, i0, prims={"gather"})


def test_multi_axis_windows_fill():
    # a raw lax.gather with windows larger than one on indexed axes
    dnums = lax.GatherDimensionNumbers(offset_dims=(1, 2), collapsed_slice_dims=(), start_index_map=(0, 1))
    x = rand((6, 7))
    starts = np.array([[0, 0], [4, 5], [5, 5], [-1, 2], [2, 6], [3, 1]], np.int32)
    for mode in ["clip", "fill"]:
        check(
            lambda x, s: lax.gather(x, s, dnums, slice_sizes=(2, 2), mode=mode, fill_value=-1.0),
            x,
            starts,
            prims={"gather"},
        )


def test_whole_slice_gather():
    # no axis needs an index: every slice is the whole operand (fill masks start != 0)
    dnums = lax.GatherDimensionNumbers(offset_dims=(1, 2), collapsed_slice_dims=(), start_index_map=(1,))
    x = rand((2, 3))
    for mode in ["clip", "fill"]:
        check(
            lambda x, s: lax.gather(x, s, dnums, slice_sizes=(2, 3), mode=mode),
            x,
            idx(0, 1, -1, 0)[:, None],
            prims={"gather"},
        )


def test_kept_unit_slice_axis():
    # a size-1 slice axis kept as an offset axis (not collapsed)
    dnums = lax.GatherDimensionNumbers(offset_dims=(0, 2), collapsed_slice_dims=(), start_index_map=(1,))
    check(
        lambda x, s: lax.gather(x, s, dnums, slice_sizes=(3, 1), mode="clip"),
        rand((3, 5)),
        idx(0, 4, 9, -2)[:, None],
        prims={"gather"},
    )


def test_vmap_gather_batching_dims():
    x = rand((4, 6, 3))
    i = rand((4, 2), "int32", low=-6, high=5)
    f = jax.vmap(lambda x, i: x[i])
    closed = jax.make_jaxpr(f)(x, i)
    assert "operand_batching_dims=(0,)" in str(closed)
    check(f, x, i, prims={"gather"})
    g = jax.vmap(lambda x, i: jnp.take(x, i, axis=1, mode="fill"), in_axes=(2, 0), out_axes=1)
    check(g, x, rand((3, 5), "int32", low=-1, high=6), prims={"gather"})
    h = jax.vmap(jax.vmap(lambda x, i: x[i]))  # two batching axes
    check(h, rand((2, 3, 6)), rand((2, 3, 4), "int32", low=-6, high=5), prims={"gather"})


def test_embedding_lookup():
    import flax.linen as nn

    model = nn.Embed(num_embeddings=11, features=6)
    ids = np.array([[0, 3, 10], [7, 7, 1]], np.int32)
    params = model.init(jax.random.PRNGKey(0), ids)
    check(lambda p, ids: model.apply(p, ids), params, ids, prims={"gather"})


@pytest.mark.parametrize("mode", ["clip", "fill", None])
def test_symbolic_take_reads_indices_before_jax_normalises_them(mode):
    # jnp.take normalises negative indices (where(i < 0, i + n, i)) before its gather; on
    # symbolic sizes the gather reads i itself (Gather-8 takes -n <= i < 0 as n + i), so the
    # normalisation is not computed at run time. Indices in and out of [-n, n) on each side.
    table = rand((7, 3))
    i = idx(0, 6, -1, -7, -8, 7, 100, -100, 3)
    m = check_symbolic(lambda i: jnp.take(table, i, axis=0, mode=mode), i)
    ops = op_counts(m)
    assert ops["Gather"] == 1 and ops["Convert"] == 0 and ops["Multiply"] == 0, ops


def test_symbolic_take_of_a_broadcast_index_array():
    # position ids (arange broadcast over the batch) and a filled index array: on symbolic
    # sizes the rows are gathered once from the array before its broadcast, then broadcast
    # (here the batch axis is vmap's symbolic B); negative and out-of-bounds values included
    table = rand((9, 4))

    def f(x):
        pos = jnp.broadcast_to(jnp.arange(5) - 2, x.shape)
        far = jnp.full_like(x, 11)
        return jnp.take(table, pos, axis=0), jnp.take(table, far, axis=0), jnp.take(table, far, axis=0, mode="clip")

    sym = check_symbolic(f, idx(0, 1, 2, 3, 4))
    gathers = [o for o in sym.get_ops() if o.get_type_name() == "Gather"]
    assert gathers and all(o.get_output_partial_shape(0).is_static for o in gathers), [
        o.get_output_partial_shape(0) for o in gathers
    ]


@pytest.mark.parametrize("limit", [16, 17])
def test_symbolic_position_ids_need_no_bounds_check(limit):
    # take(table, broadcast(arange(S))) with S <= 16 rows: every index is in bounds by the
    # bound of S, so the take is a plain Gather (no clamp, no fill); with S <= 17 the check
    # stays, and position 16 reads the fill value (NaN), as in JAX
    table = rand((16, 4))

    def f(ids):
        return jnp.take(table, jnp.broadcast_to(jnp.arange(ids.shape[1]), ids.shape), axis=0)

    b, s = jax.export.symbolic_shape("B, S", constraints=[f"S <= {limit}"])
    m = ovjax.convert_model(f, example_input=(jax.ShapeDtypeStruct((b, s), jnp.int32),))
    ops = op_counts(m)
    checked = ops["Select"] + ops["Less"] + ops["Greater"] + ops["Minimum"]
    assert (checked == 0) == (limit == 16), ops
    req = compile_cpu(m).create_infer_request()
    for size in [(1, 3), (2, limit)]:
        ids = np.zeros(size, np.int32)
        req.infer([ids])
        assert_close(req.get_output_tensor(0).data, f(ids), where=f"at {size}")


def test_int64_indices_saturate():
    # indices straight into lax.gather (jnp.take would first normalise them with i64
    # arithmetic, which the CPU plugin runs in i32)
    dnums = lax.GatherDimensionNumbers(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,))
    with jax.enable_x64(True):
        i = np.array([0, 2**40, -(2**40), 3, 2**31 + 1, -1, 2**32 + 1, 4], np.int64)[:, None]
        x = rand((4, 3))
        for mode in ["clip", "fill"]:
            check(lambda x, i: lax.gather(x, i, dnums, slice_sizes=(1, 3), mode=mode), x, i, prims={"gather"})


def test_uint8_indices():
    check(lambda x, i: x[i], rand((300, 2)), np.array([0, 255, 7], np.uint8), prims={"gather"})


# ---- scatter family ---------------------------------------------------------------


def test_at_subtract():
    x, u = rand((5,), "int32"), rand((4,), "int32", seed=1)
    check(lambda x, i, u: x.at[i].subtract(u), x, idx(0, 0, 3, 4), u, prims={"scatter-sub"})


def test_scatter_add_int_wraps():
    x = np.array([100, -100, 5], np.int8)
    u = np.array([100, 100, -100, -100], np.int8)
    check(lambda x, i, u: x.at[i].add(u), x, idx(0, 0, 1, 1), u, prims={"scatter-add"})
    big = np.array([2**24 + 1, -(2**30), 7], np.int32)
    check(
        lambda x, i, u: x.at[i].add(u), big, idx(0, 0, 1), np.array([2**24 + 3, 5, 1], np.int32), prims={"scatter-add"}
    )


@pytest.mark.parametrize("mode", ["drop", "clip", "promise_in_bounds"])
def test_scatter_out_of_bounds(mode):
    x, u = rand((5, 2)), rand((6, 2), seed=1)
    i = idx(0, 5, 9, -6, 4, -100)
    if mode == "promise_in_bounds":
        i = idx(0, 1, 2, 3, 4, 1)
    check(lambda x, i, u: x.at[i].add(u, mode=mode), x, i, u, prims={"scatter-add"})
    if mode != "promise_in_bounds":
        check(lambda x, i, u: x.at[i].set(u[:1], mode=mode), x, idx(9), u, prims={"scatter"})


def test_scatter_columns_and_pairs():
    x = rand((3, 6, 4))
    check(lambda x, i, u: x.at[:, i].add(u), x, idx(5, 0, 5, -1), rand((3, 4, 4), seed=2), prims={"scatter-add"})
    check(
        lambda x, i, j, u: x.at[i, :, j].max(u),
        x,
        idx(0, 2, 2),
        idx(3, 1, 3),
        rand((3, 6), seed=3),
        prims={"scatter-max"},
    )
    # a scalar index, out of bounds; element updates addressed by an index and a constant
    check(lambda x, i: x.at[i].set(5.0), x, np.int32(7), prims={"scatter"})
    check(lambda x, i: x.at[i, 1].mul(2.0), x, idx(0, 0, 2, -1), prims={"scatter-mul"})


def test_scatter_windows_drop():
    # raw lax.scatter_add with 2x2 windows: windows reaching past an edge are dropped
    dnums = lax.ScatterDimensionNumbers(
        update_window_dims=(1, 2), inserted_window_dims=(), scatter_dims_to_operand_dims=(0, 1)
    )
    x = rand((5, 6))
    starts = np.array([[0, 0], [3, 4], [4, 4], [-1, 2], [2, 5], [3, 4]], np.int32)
    u = rand((6, 2, 2), seed=4)
    for mode in ["clip", "fill"]:
        check(lambda x, s, u: lax.scatter_add(x, s, u, dnums, mode=mode), x, starts, u, prims={"scatter-add"})


def test_scatter_whole_operand_window():
    dnums = lax.ScatterDimensionNumbers(
        update_window_dims=(1,), inserted_window_dims=(), scatter_dims_to_operand_dims=(0,)
    )
    x, u = rand((4,)), rand((3, 4), seed=5)
    for mode in ["clip", "fill"]:
        check(
            lambda x, s, u: lax.scatter_add(x, s, u, dnums, mode=mode),
            x,
            idx(0, 1, 0)[:, None],
            u,
            prims={"scatter-add"},
        )


def test_vmap_scatter_batching_dims():
    x = rand((4, 6))
    i = rand((4, 3), "int32", low=-6, high=8)
    u = rand((4, 3), seed=6)
    f = jax.vmap(lambda x, i, u: x.at[i].add(u))
    assert "operand_batching_dims=(0,)" in str(jax.make_jaxpr(f)(x, i, u))
    check(f, x, i, u, prims={"scatter-add"})
    g = jax.vmap(lambda x, i, u: x.at[i].set(u), in_axes=(1, 0, 0), out_axes=1)
    check(g, rand((5, 3)), np.array([[0], [4], [2]], np.int32), rand((3, 1), seed=7), prims={"scatter"})
    h = jax.vmap(jax.vmap(lambda x, i, u: x.at[i].max(u)))  # two batching axes
    check(h, rand((2, 3, 6)), rand((2, 3, 4), "int32", low=-8, high=7), rand((2, 3, 4), seed=3), prims={"scatter-max"})


def test_gather_grad_is_scatter_add():
    f = jax.grad(lambda x, i: jnp.sum(jnp.sin(x[i])))
    check(f, rand((5, 3)), idx(0, 4, 0, 2, 0), prims={"gather", "scatter-add"})


def test_int64_scatter_indices_saturate():
    dnums = lax.ScatterDimensionNumbers(
        update_window_dims=(1,), inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,)
    )
    with jax.enable_x64(True):
        i = np.array([0, 2**40, -(2**40), 3, 2**32 + 1, -1], np.int64)[:, None]
        x, u = rand((4, 2)), rand((6, 2), seed=8)
        for mode in ["clip", "fill"]:
            check(lambda x, i, u: lax.scatter_add(x, i, u, dnums, mode=mode), x, i, u, prims={"scatter-add"})
