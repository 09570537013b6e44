"""Transpose sinking (src/cpp/frontend/layout.cpp): NHWC conv nets keep OpenVINO's NCHW
layout from the first convolution to the head, and every rewrite keeps JAX's numbers.

Each test converts, checks the graph (how many Transposes are left and where), compiles on
CPU, runs and compares with JAX."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from harness import check_jit, rand
from models._check import random_like


def random_params(module, x):
    return random_like(jax.eval_shape(module.init, jax.random.key(0), x))


def transposes(model):
    """(input type, permutation) of every Transpose of data (not of constant weights)."""
    out = []
    for op in model.get_ordered_ops():
        if op.get_type_name() == "Transpose" and op.input_value(0).get_node().get_type_name() != "Constant":
            perm = tuple(op.input_value(1).get_node().get_vector().tolist())
            out.append((op.input_value(0).get_node().get_type_name(), perm))
    return out


class CNN(nn.Module):
    """Conv, batch norm, relu, max pool blocks with a residual add, global mean pool, Dense head."""

    @nn.compact
    def __call__(self, x):
        x = nn.relu(nn.BatchNorm(use_running_average=True)(nn.Conv(16, (3, 3))(x)))
        x = nn.max_pool(x, (3, 3), (2, 2), "SAME")
        y = nn.relu(nn.BatchNorm(use_running_average=True)(nn.Conv(16, (3, 3))(x)))
        y = nn.BatchNorm(use_running_average=True)(nn.Conv(16, (3, 3))(y))
        x = nn.relu(x + y)
        x = nn.avg_pool(x, (2, 2), (2, 2))
        x = jnp.mean(x, axis=(1, 2))
        return nn.Dense(10)(x)


def test_conv_net_runs_nchw_between_convolutions():
    x = rand((2, 16, 16, 3))
    m = CNN()
    params = random_params(m, x)
    model = check_jit(lambda x: m.apply(params, x), x, tol=(2e-5, 2e-5))
    # one Transpose of data is left: the NHWC input into the first convolution
    assert transposes(model) == [("Parameter", (0, 3, 1, 2))], transposes(model)
    # batch norm scales are folded to per-channel constants in NCHW ([1, C, 1, 1])
    per_channel = [
        tuple(i.get_shape())
        for op in model.get_ordered_ops()
        if op.get_type_name() in ("Multiply", "Add")
        for i in op.inputs()
        if i.get_source_output().get_node().get_type_name() == "Constant" and int(np.prod(i.get_shape())) == 16
    ]
    assert per_channel and all(s == (1, 16, 1, 1) for s in per_channel), per_channel


def test_flatten_keeps_its_transpose():
    """A reshape (flatten) of NHWC data needs NHWC order: the transpose stays before it."""

    class Flat(nn.Module):
        @nn.compact
        def __call__(self, x):
            x = nn.relu(nn.Conv(8, (3, 3))(x))
            return nn.Dense(4)(x.reshape(x.shape[0], -1))

    x = rand((2, 8, 8, 3))
    m = Flat()
    params = random_params(m, x)
    model = check_jit(lambda x: m.apply(params, x), x)
    assert [p for _, p in transposes(model)] == [(0, 3, 1, 2), (0, 2, 3, 1)], transposes(model)


@pytest.mark.parametrize("keepdims", [True, False])
@pytest.mark.parametrize("axes", [(1,), (1, 2), (0, 3), (3,)])
def test_reductions_after_a_transpose(axes, keepdims):
    """Reductions over a transposed value reduce the source axes; the result's own layout is
    put back with the remaining permutation."""
    x = rand((2, 5, 6, 4))

    def fn(x):
        y = lax.transpose(x, (0, 2, 3, 1)) * 2.0 + 1.0
        return (
            jnp.sum(y, axis=axes, keepdims=keepdims),
            jnp.max(y, axis=axes, keepdims=keepdims),
            jnp.any(y > 2.0, axis=axes, keepdims=keepdims),
        )

    model = check_jit(fn, x)
    assert all(src != "Parameter" for src, _ in transposes(model)), transposes(model)


def test_concat_and_broadcast_constants():
    """Concat of transposed values with constant padding, elementwise ops with constants of lower
    rank (numpy broadcasting), a Select, comparisons, converts and a value used twice."""
    x = rand((2, 3, 4, 5))
    bias = rand((5,), seed=1)
    scale = rand((4, 1), seed=2)

    def fn(x):
        y = lax.transpose(x, (0, 2, 3, 1))  # [2, 4, 5, 3]
        y = jnp.concatenate([jnp.zeros((2, 4, 5, 1)), y, jnp.full((2, 4, 5, 2), 7.0)], axis=3)
        z = jnp.where(y > 0.5, y * scale[..., None], -y) + bias[None, None, :, None]
        w = z.astype(jnp.int32).astype(jnp.float32) - z
        return z, w, lax.transpose(z, (0, 3, 1, 2))

    check_jit(fn, x)


def test_transposes_with_different_permutations_are_not_mixed():
    """An add of two values transposed differently keeps them apart (numbers checked)."""
    x = rand((3, 4, 5))
    y = rand((5, 3, 4), seed=1)

    def fn(x, y):
        return lax.transpose(x, (2, 0, 1)) + y, lax.transpose(x, (1, 2, 0)).sum(axis=0)

    check_jit(fn, x, y)


def test_nan_and_infinities_pass_through():
    x = rand((1, 6, 6, 2))
    x[0, 1, 1, 0] = np.nan
    x[0, 2, 2, 1] = np.inf
    x[0, 3, 3, 0] = -np.inf

    def fn(x):
        k = jnp.ones((3, 3, 2, 4), jnp.float32) * 0.1
        y = lax.conv_general_dilated(x, k, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))
        y = jnp.maximum(y, 0.0)
        return nn.max_pool(y, (2, 2), (2, 2)), jnp.max(y, axis=(1, 2))

    check_jit(fn, x)


def test_fusions_off_keeps_the_transposes(monkeypatch):
    monkeypatch.setenv("OVJAX_FUSIONS", "0")
    x = rand((2, 16, 16, 3))
    m = CNN()
    params = random_params(m, x)
    model = check_jit(lambda x: m.apply(params, x), x, tol=(2e-5, 2e-5))
    assert len(transposes(model)) > 4
