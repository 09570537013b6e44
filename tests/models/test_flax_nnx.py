"""Flax nnx models with random weights, converted from the module objects directly."""

import numpy as np
import pytest

from harness import rand

from ._check import call_nnx, check_model, init_nnx

nnx = pytest.importorskip("flax.nnx")


class ConvNet(nnx.Module):
    def __init__(self, rngs):
        self.conv1 = nnx.Conv(3, 8, (3, 3), rngs=rngs)
        self.bn = nnx.BatchNorm(8, use_running_average=True, rngs=rngs)
        self.conv2 = nnx.Conv(8, 16, (3, 3), strides=(2, 2), padding="VALID", rngs=rngs)
        self.gn = nnx.GroupNorm(16, num_groups=4, rngs=rngs)
        self.drop = nnx.Dropout(0.5, deterministic=True, rngs=rngs)
        self.fc1 = nnx.Linear(16 * 3 * 3, 32, rngs=rngs)
        self.ln = nnx.LayerNorm(32, rngs=rngs)
        self.fc2 = nnx.Linear(32, 10, rngs=rngs)

    def __call__(self, x):
        x = nnx.relu(self.bn(self.conv1(x)))
        x = nnx.gelu(self.gn(self.conv2(x)))
        x = nnx.avg_pool(x, (2, 2), strides=(2, 2))
        x = self.drop(x.reshape(x.shape[0], -1))
        return self.fc2(self.ln(self.fc1(x)))


def test_convnet_deterministic():
    m = init_nnx(lambda: ConvNet(nnx.Rngs(0)))
    x = rand((2, 16, 16, 3))
    check_model(m, x, call_nnx(m, x), where="nnx ConvNet")


def test_dropout_mask_is_identical():
    class Drop(nnx.Module):
        def __init__(self, rngs):
            self.drop = nnx.Dropout(0.3, rngs=rngs)

        def __call__(self, x):
            return self.drop(x)

    # nnx.Dropout draws from the typed PRNG key (and counter) the module carries
    m = init_nnx(lambda: Drop(nnx.Rngs(dropout=3)))
    x = rand((4, 64), low=1.0, high=2.0)
    want = call_nnx(m, x)
    got = check_model(m, x, want, where="nnx Dropout mask")
    np.testing.assert_array_equal(got[0] == 0, np.asarray(want) == 0)


def test_embed_and_multi_head_attention():
    class Encoder(nnx.Module):
        def __init__(self, rngs):
            self.embed = nnx.Embed(50, 32, rngs=rngs)
            self.attn = nnx.MultiHeadAttention(num_heads=4, in_features=32, qkv_features=32, decode=False, rngs=rngs)
            self.ln = nnx.LayerNorm(32, rngs=rngs)
            self.out = nnx.Linear(32, 50, rngs=rngs)

        def __call__(self, tokens):
            h = self.embed(tokens)
            a = self.attn(h, mask=nnx.make_causal_mask(tokens))
            return self.out(self.ln(h + a))

    m = init_nnx(lambda: Encoder(nnx.Rngs(0)))
    tokens = np.random.default_rng(0).integers(0, 50, (2, 8)).astype(np.int32)
    check_model(m, tokens, call_nnx(m, tokens), where="nnx Embed+MHA")


def test_scanned_layers_and_remat():
    class Block(nnx.Module):
        def __init__(self, rngs):
            self.ln = nnx.LayerNorm(32, rngs=rngs)
            self.fc = nnx.Linear(32, 32, rngs=rngs)

        def __call__(self, h):
            return h + self.fc(self.ln(h))

    class Stack(nnx.Module):
        def __init__(self, rngs):
            @nnx.split_rngs(splits=3)
            @nnx.vmap(in_axes=(0,), out_axes=0)
            def make(rngs):
                return Block(rngs)

            self.blocks = make(rngs)
            self.head = nnx.Linear(32, 4, rngs=rngs)

        def __call__(self, x):
            @nnx.scan(in_axes=(nnx.Carry, 0), out_axes=nnx.Carry)
            def step(h, block):
                return block(h)

            h = step(x, self.blocks)
            return nnx.remat(lambda head, h: head(h))(self.head, h)

    m = init_nnx(lambda: Stack(nnx.Rngs(0)))
    x = rand((2, 5, 32))
    check_model(m, x, call_nnx(m, x), where="nnx scan+remat")


def _rnn(cell):
    class Seq(nnx.Module):
        def __init__(self, rngs):
            self.rnn = nnx.RNN(getattr(nnx, cell)(8, 16, rngs=rngs))

        def __call__(self, x):
            return self.rnn(x)

    return init_nnx(lambda: Seq(nnx.Rngs(0))), rand((2, 7, 8), low=-1, high=1)


@pytest.mark.parametrize("cell", ["LSTMCell", "GRUCell"])
def test_rnn(cell):
    m, x = _rnn(cell)
    check_model(m, x, call_nnx(m, x), where=f"nnx RNN {cell}")
