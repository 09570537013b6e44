"""Flax linen models with random weights: convert, run on OpenVINO CPU, compare with JAX."""

import jax
import numpy as np
import pytest

from harness import rand

from ._check import check_model, init_linen

nn = pytest.importorskip("flax.linen")


class ConvNet(nn.Module):
    @nn.compact
    def __call__(self, x, train: bool = False):
        x = nn.Conv(8, (3, 3))(x)
        x = nn.BatchNorm(use_running_average=not train)(x)
        x = nn.relu(x)
        x = nn.Conv(16, (3, 3), strides=(2, 2), padding="VALID")(x)
        x = nn.GroupNorm(num_groups=4)(x)
        x = nn.gelu(x)
        x = nn.avg_pool(x, (2, 2), strides=(2, 2))
        x = x.reshape(x.shape[0], -1)
        x = nn.Dropout(0.5, deterministic=not train)(x)
        x = nn.Dense(32)(x)
        x = nn.LayerNorm()(x)
        return nn.Dense(10)(x)


_init = init_linen  # random weights and non-trivial BatchNorm running statistics


def test_convnet_dense_conv_batchnorm_groupnorm_layernorm_dropout_deterministic():
    x = rand((2, 16, 16, 3))
    m = ConvNet()
    v = _init(m, x)
    want = jax.jit(m.apply)(v, x)
    check_model(m.bind(v), x, want, where="linen ConvNet")
    check_model(m, x, want, params=v, call_kwargs={"train": False}, where="linen ConvNet unbound")


def test_dropout_with_rng_is_bit_identical():
    class Drop(nn.Module):
        @nn.compact
        def __call__(self, x):
            h = nn.Dense(64)(x)
            h = nn.Dropout(0.3, deterministic=False)(h)
            return nn.Dense(8)(h), h

    x = rand((4, 16))
    m = Drop()
    v = _init(m, x)

    def fn(x, key):
        return m.apply(v, x, rngs={"dropout": key})

    key = jax.random.PRNGKey(42)
    want = jax.jit(fn)(x, key)
    got = check_model(fn, (x, np.asarray(key)), want, where="linen Dropout rng")
    # the mask itself is identical: the zeros are exactly where JAX put them
    np.testing.assert_array_equal(got[1] == 0, np.asarray(want[1]) == 0)


def test_embed_and_multi_head_attention():
    class Encoder(nn.Module):
        @nn.compact
        def __call__(self, tokens):
            h = nn.Embed(50, 32)(tokens)
            mask = nn.make_causal_mask(tokens)
            a = nn.MultiHeadDotProductAttention(num_heads=4, qkv_features=32)(h, h, mask=mask)
            h = nn.LayerNorm()(h + a)
            return nn.Dense(50)(h)

    tokens = np.random.default_rng(0).integers(0, 50, (2, 8)).astype(np.int32)
    m = Encoder()
    v = _init(m, tokens)
    check_model(m.bind(v), tokens, jax.jit(m.apply)(v, tokens), where="linen Embed+MHA")


def test_scanned_layers():
    class Block(nn.Module):
        @nn.compact
        def __call__(self, h, _):
            h = h + nn.Dense(32)(nn.LayerNorm()(h))
            return h, None

    class Stack(nn.Module):
        @nn.compact
        def __call__(self, x):
            ScanBlock = nn.scan(Block, variable_axes={"params": 0}, split_rngs={"params": True}, length=3)
            h, _ = ScanBlock()(x, None)
            return h

    x = rand((2, 5, 32))
    m = Stack()
    v = _init(m, x)
    check_model(m.bind(v), x, jax.jit(m.apply)(v, x), where="linen nn.scan")


def _rnn(cell):
    class Seq(nn.Module):
        @nn.compact
        def __call__(self, x):
            return nn.RNN(getattr(nn, cell)(features=16))(x)

    x = rand((2, 7, 8), low=-1, high=1)
    m = Seq()
    return m, _init(m, x), x


@pytest.mark.parametrize("cell", ["LSTMCell", "GRUCell"])
def test_rnn(cell):
    m, v, x = _rnn(cell)
    check_model(m.bind(v), x, jax.jit(m.apply)(v, x), where=f"linen RNN {cell}")


def test_remat():
    class MLP(nn.Module):
        @nn.compact
        def __call__(self, x):
            for _ in range(2):
                x = nn.remat(nn.Dense)(32)(x)
                x = nn.tanh(x)
            return x

    x = rand((3, 16))
    m = MLP()
    v = _init(m, x)
    check_model(m.bind(v), x, jax.jit(m.apply)(v, x), where="linen remat")
