"""dynamic_slice and dynamic_update_slice (src/cpp/ops/indexing.cpp).

Start indices are traced inputs, so one converted model is run on many start
vectors: in range, on the last valid start, negative and past the end (JAX clamps
each start into [0, dim - size]).
"""

from __future__ import annotations

import functools

import jax
import numpy as np
import pytest
from jax import lax

import harness
from harness import MOVE_DTYPES, rand


def starts(args) -> str:
    """An argument set by its start indices (its scalars), for failure messages."""
    return "starts " + str([np.asarray(a).tolist() for a in args if np.ndim(a) == 0])


# JAX's reference jitted: traced indices get JAX's run-time clamping (no trace-time bounds
# checks); XLA without LLVM optimisation, since compile time dominates for these
# data-movement ops
check_many = functools.partial(harness.check_many, unoptimised=True, describe=starts)


def start_sets(shape, sizes):
    """Start vectors for an operand `shape` and window `sizes`: in range, the last valid
    start, one past it, far past the end, -1 and far below zero, and mixtures."""
    hi = [d - s for d, s in zip(shape, sizes)]
    r = len(shape)
    sets = [
        [0] * r,
        [h // 2 for h in hi],
        hi,
        [h + 1 for h in hi],
        [100] * r,
        [-1] * r,
        [-100] * r,
        [(-100, 100, 1, -1)[k % 4] for k in range(r)],
        [(h + 3, -2, h, 0)[k % 4] for k, h in enumerate(hi)],
    ]
    return sets


# (operand shape, window / update shape): size-1 windows, whole axes, partial axes
CASES = {
    1: ((7,), (3,)),
    2: ((5, 6), (2, 6)),
    3: ((3, 4, 5), (1, 3, 2)),
    4: ((2, 3, 4, 5), (1, 3, 2, 4)),
}


def as_index(v, dtype):
    return np.array(v).astype(dtype)


@pytest.mark.parametrize("dtype", MOVE_DTYPES)
@pytest.mark.parametrize("rank", [1, 2, 3, 4])
def test_dynamic_slice(dtype, rank):
    shape, sizes = CASES[rank]
    x = rand(shape, dtype)

    def fn(x, *idx):
        return lax.dynamic_slice(x, idx, sizes, allow_negative_indices=False)

    sets = [(x, *[as_index(v, "int32") for v in s]) for s in start_sets(shape, sizes)]
    check_many(fn, sets, prims={"dynamic_slice"})


@pytest.mark.parametrize("dtype", MOVE_DTYPES)
@pytest.mark.parametrize("rank", [1, 2, 3, 4])
def test_dynamic_update_slice(dtype, rank):
    shape, ushape = CASES[rank]
    x = rand(shape, dtype)
    u = rand(ushape, dtype, seed=1)

    def fn(x, u, *idx):
        return lax.dynamic_update_slice(x, u, idx, allow_negative_indices=False)

    sets = [(x, u, *[as_index(v, "int32") for v in s]) for s in start_sets(shape, ushape)]
    check_many(fn, sets, prims={"dynamic_update_slice"})


@pytest.mark.parametrize("negative", [False, True], ids=["raw", "wrapped"])
def test_negative_index_wrapping(negative):
    # lax.dynamic_slice's default wraps negative starts (i + dim) before the primitive clamps
    shape, sizes = (6, 7), (2, 3)
    x = rand(shape, "float32")
    u = rand(sizes, "float32", seed=1)
    sets = [(np.int32(i), np.int32(j)) for i, j in [(-1, -3), (-6, -7), (-7, -9), (-2, 4), (3, -1)]]
    check_many(
        lambda x, i, j: lax.dynamic_slice(x, (i, j), sizes, allow_negative_indices=negative),
        [(x, *s) for s in sets],
        prims={"dynamic_slice"},
    )
    check_many(
        lambda x, u, i, j: lax.dynamic_update_slice(x, u, (i, j), allow_negative_indices=negative),
        [(x, u, *s) for s in sets],
        prims={"dynamic_update_slice"},
    )


def index_sets(index_dtype, values):
    return [tuple(as_index(v, index_dtype) for v in s) for s in values]


def check_both(x, u, sizes, sets, wrap):
    check_many(
        lambda x, *i: lax.dynamic_slice(x, i, sizes, allow_negative_indices=wrap),
        [(x, *s) for s in sets],
        prims={"dynamic_slice"},
    )
    check_many(
        lambda x, u, *i: lax.dynamic_update_slice(x, u, i, allow_negative_indices=wrap),
        [(x, u, *s) for s in sets],
        prims={"dynamic_update_slice"},
    )


@pytest.mark.parametrize("index_dtype", ["int8", "int16", "int32", "uint8", "uint32"])
def test_index_dtypes(index_dtype):
    shape, sizes = (5, 6, 4), (2, 3, 4)
    x = rand(shape, "float32")
    u = rand(sizes, "float32", seed=1)
    info = np.iinfo(index_dtype)
    values = [(0, 0, 0), (1, 2, 3), (3, 3, 0), (4, 7, 1), (-1, -3, 2), (-100, 50, -7)]
    limits = [(info.max, info.max, info.max), (info.min, info.min, info.min), (info.max, 1, info.min)]
    # the primitive alone: every value, the type's limits included
    check_both(x, u, sizes, index_sets(index_dtype, values + limits), wrap=False)
    if info.min < 0:  # (unsigned starts are never wrapped)
        check_both(x, u, sizes, index_sets(index_dtype, values), wrap=True)


@pytest.mark.parametrize("index_dtype", ["int8", "int16", "int32"])
def test_wrapped_index_at_type_limits(index_dtype):
    # lax.dynamic_slice's negative-index wrapping computes `i + dim` in the index type
    # (overflowing at the type's maximum) and selects `i` back when i >= 0: the
    # elementwise lt/add/select_n translators have to keep that exact.
    shape, sizes = (5, 6, 4), (2, 3, 4)
    x = rand(shape, "float32")
    u = rand(sizes, "float32", seed=1)
    info = np.iinfo(index_dtype)
    limits = [(info.max, info.max, info.max), (info.min, info.min, info.min), (info.max, 1, info.min)]
    check_both(x, u, sizes, index_sets(index_dtype, limits), wrap=True)


@pytest.mark.parametrize("index_dtype", ["int64", "uint64"])
def test_index_dtypes_x64(index_dtype):
    shape, sizes = (5, 6), (2, 3)
    with jax.enable_x64(True):
        x = rand(shape, "float32")
        u = rand(sizes, "float32", seed=1)
        values = [(0, 0), (1, 2), (3, 3), (4, 7), (-1, -2), (-100, 100)]
        if index_dtype == "int64":
            # beyond int32: OpenVINO's CPU plugin computes i64 in i32, indexing.cpp must not wrap them
            values += [
                (-(2**40), 2**40),
                (2**31, -(2**31) - 1),
                (2**32 + 1, 2**33 + 2),
                (2**62, 5),
                (-(2**63), 2**63 - 1),
            ]
        else:
            values = [v for v in values if min(v) >= 0] + [(2**32 + 1, 2**63 + 5), (2**64 - 1, 2**31)]
        sets = [tuple(np.array(v, dtype=index_dtype) for v in s) for s in values]
        assert all(s[0].dtype == np.dtype(index_dtype) for s in sets)
        # the primitive itself (no wrapping arithmetic in front of it)
        check_many(
            lambda x, i, j: lax.dynamic_slice(x, (i, j), sizes, allow_negative_indices=False),
            [(x, *s) for s in sets],
            prims={"dynamic_slice"},
        )
        check_many(
            lambda x, u, i, j: lax.dynamic_update_slice(x, u, (i, j), allow_negative_indices=False),
            [(x, u, *s) for s in sets],
            prims={"dynamic_update_slice"},
        )
        # with JAX's negative-index wrapping (i64 arithmetic before the primitive), values in int32 range
        small = [s for s in sets if all(-(2**31) <= int(v) < 2**31 for v in s)]
        check_many(
            lambda x, i, j: lax.dynamic_slice(x, (i, j), sizes), [(x, *s) for s in small], prims={"dynamic_slice"}
        )
        check_many(
            lambda x, u, i, j: lax.dynamic_update_slice(x, u, (i, j)),
            [(x, u, *s) for s in small],
            prims={"dynamic_update_slice"},
        )


def test_whole_and_empty_windows():
    x = rand((4, 5), "float32")
    sets = [(x, np.int32(i), np.int32(j)) for i, j in [(0, 0), (2, -3), (9, 9)]]
    # window is the whole operand: starts are irrelevant
    check_many(lambda x, i, j: lax.dynamic_slice(x, (i, j), (4, 5)), sets, prims={"dynamic_slice"})
    # zero-size windows
    check_many(lambda x, i, j: lax.dynamic_slice(x, (i, j), (0, 3)), sets, prims={"dynamic_slice"})
    check_many(lambda x, i, j: lax.dynamic_slice(x, (i, j), (2, 0)), sets, prims={"dynamic_slice"})
    # update covering everything, an empty update, a size-1 update
    for ushape in [(4, 5), (0, 5), (2, 0), (1, 1)]:
        u = rand(ushape, "float32", seed=2)
        check_many(
            lambda x, u, i, j: lax.dynamic_update_slice(x, u, (i, j)),
            [(x, u, i, j) for (x, i, j) in sets],
            prims={"dynamic_update_slice"},
        )
    # rank 0: no start indices at all
    s = np.float32(2.5)
    check_many(lambda s: lax.dynamic_slice(s, (), ()), [(s,)], prims={"dynamic_slice"})
    check_many(lambda s, t: lax.dynamic_update_slice(s, t, ()), [(s, np.float32(-1.0))], prims={"dynamic_update_slice"})


def test_literal_and_mixed_starts():
    # some starts are literals in the jaxpr, others traced
    x = rand((6, 5, 4), "int32")
    u = rand((2, 5, 2), "int32", seed=3)
    sets = [(np.int32(v),) for v in [0, 2, 4, 5, -1, 77]]
    check_many(
        lambda x, i: lax.dynamic_slice(x, (i, 1, 3), (3, 4, 1)), [(x, *s) for s in sets], prims={"dynamic_slice"}
    )
    check_many(
        lambda x, u, i: lax.dynamic_update_slice(x, u, (2, 0, i)),
        [(x, u, *s) for s in sets],
        prims={"dynamic_update_slice"},
    )
    # all starts literal
    check_many(lambda x: lax.dynamic_slice(x, (5, 1, -9), (2, 2, 2)), [(x,)], prims={"dynamic_slice"})
    check_many(lambda x, u: lax.dynamic_update_slice(x, u, (9, 0, 1)), [(x, u)], prims={"dynamic_update_slice"})


# ---- user-level patterns


def test_getitem_traced_index():
    x = rand((5, 6), "float32")
    sets = [(x, np.int32(i)) for i in [0, 3, 4, -1, -5, 7, -9]]
    check_many(lambda x, i: x[i], sets, prims={"dynamic_slice"})
    y = rand((3, 4, 5), "bfloat16")
    sets = [(y, np.int32(i), np.int32(j)) for i, j in [(0, 0), (2, 3), (-1, -4), (5, 9)]]
    check_many(lambda y, i, j: y[i, j], sets, prims={"dynamic_slice"})
    check_many(lambda y, i, j: y[i, :, j], sets, prims={"dynamic_slice"})


def test_dynamic_slice_in_dim():
    x = rand((10, 4), "float16")
    sets = [(x, np.int32(i)) for i in [0, 3, 7, 8, -2, 20]]
    # x[i:i+3] with a traced i
    check_many(lambda x, i: lax.dynamic_slice_in_dim(x, i, 3), sets, prims={"dynamic_slice"})
    check_many(lambda x, i: lax.dynamic_slice_in_dim(x.T, i, 3, axis=1), sets, prims={"dynamic_slice"})
    check_many(lambda x, i: lax.dynamic_index_in_dim(x, i, keepdims=False), sets, prims={"dynamic_slice"})


def test_dynamic_update_slice_traced():
    x = rand((6, 7), "float32")
    u = rand((2, 3), "float32", seed=4)
    sets = [(x, u, np.int32(i), np.int32(j)) for i, j in [(0, 0), (1, 2), (4, 4), (5, 6), (-1, -1), (-10, 10)]]
    check_many(lambda x, u, i, j: lax.dynamic_update_slice(x, u, (i, j)), sets, prims={"dynamic_update_slice"})
    # under jit, and followed by arithmetic on the result
    f = jax.jit(lambda x, u, i, j: lax.dynamic_update_slice(x * 2, u + 1, (i, j)) - x)
    check_many(f, sets, prims={"dynamic_update_slice"})


def test_kv_cache_update():
    # cache [batch, heads, time, dim] written one step at a time, then read back up to t
    cache = rand((2, 3, 8, 4), "float32")
    step = rand((2, 3, 1, 4), "float32", seed=5)

    def fn(cache, step, t):
        cache = lax.dynamic_update_index_in_dim(cache, step, t, axis=2)
        window = lax.dynamic_slice_in_dim(cache, t - 2, 3, axis=2)
        return cache, window

    sets = [(cache, step, np.int32(t)) for t in [0, 1, 5, 7, 8, -1]]
    check_many(fn, sets, prims={"dynamic_slice", "dynamic_update_slice"})
