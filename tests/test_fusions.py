"""Fusions (src/cpp/frontend/fusions.cpp): JAX's spelled-out softmax, layer norms, gelu
and attention become OpenVINO's Softmax, MVN, Gelu and ScaledDotProductAttention, and
the results still match JAX. The compiled model's runtime graph is inspected to check
that the CPU plugin got the fused form."""

from __future__ import annotations

import collections

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import ovjax
from harness import FUSION_TOL, check_jit, check_symbolic, compile_cpu, op_counts, rand


def runtime_counts(model):
    rt = compile_cpu(model).get_runtime_model()
    return collections.Counter(op.get_rt_info()["layerType"].astype(str) for op in rt.get_ops())


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax(axis):
    x = rand((4, 6, 8), low=-10, high=10)
    m = check_jit(lambda x: jax.nn.softmax(x, axis=axis), x, tol=FUSION_TOL)
    ops = op_counts(m)
    assert ops["Softmax"] == 1 and ops["Exp"] == 0 and ops["ReduceMax"] == 0, ops


def test_softmax_stays_softmax_only_when_it_is_one():
    """exp(x - max) / sum over another axis is not a softmax: no rewrite."""
    x = rand((4, 6))

    def not_softmax(x):
        e = jnp.exp(x - jnp.max(x, axis=1, keepdims=True))
        return e / jnp.sum(e, axis=0, keepdims=True)

    ops = op_counts(check_jit(not_softmax, x, tol=FUSION_TOL))
    assert ops["Softmax"] == 0, ops


@pytest.mark.parametrize("approximate", [True, False])
def test_gelu(approximate):
    x = rand((3, 50), low=-6, high=6)
    ops = op_counts(check_jit(lambda x: jax.nn.gelu(x, approximate=approximate) * 2.0, x, tol=FUSION_TOL))
    assert ops["Gelu"] == 1 and ops["Tanh"] == 0 and ops["Erf"] == 0, ops


def test_flax_layer_norm_and_variants():
    x = rand((2, 5, 32), low=-4, high=4)
    ln = nn.LayerNorm()
    params = ln.init(jax.random.key(0), x)
    params = jax.tree_util.tree_map(lambda p: p + rand(p.shape, seed=3) * 0.1, params)
    ops = op_counts(check_jit(lambda x: ln.apply(params, x), x, tol=(1e-4, 1e-4)))
    assert ops["MVN"] == 1 and ops["Sqrt"] == 0, ops

    def centred(x):  # haiku/equinox style: mean((x - mean)^2), divide by sqrt
        mean = jnp.mean(x, axis=-1, keepdims=True)
        var = jnp.mean(jnp.square(x - mean), axis=-1, keepdims=True)
        return (x - mean) * jax.lax.rsqrt(var + 1e-5) * 1.5 + 0.25

    ops = op_counts(check_jit(centred, x, tol=(1e-4, 1e-4)))
    assert ops["MVN"] == 1, ops

    gn = nn.GroupNorm(num_groups=4)
    gparams = gn.init(jax.random.key(1), x)
    check_jit(lambda x: gn.apply(gparams, x), x, tol=(1e-4, 1e-4))


@pytest.mark.parametrize("masked", [False, True])
def test_attention_reaches_sdpa(masked):
    x = rand((2, 16, 64))
    mha = nn.MultiHeadDotProductAttention(num_heads=4, qkv_features=64)
    mask = nn.make_causal_mask(jnp.ones((2, 16))) if masked else None
    params = mha.init(jax.random.key(0), x, x)
    m = check_jit(lambda x: mha.apply(params, x, x, mask=mask), x, tol=(1e-4, 1e-4))
    ops = op_counts(m)
    if not masked:
        assert ops["ScaledDotProductAttention"] == 1 and ops["Softmax"] == 0, ops
    rt = runtime_counts(m)
    assert rt["Softmax"] == 0, f"softmax left unfused in the CPU plugin's graph: {rt}"


@pytest.mark.parametrize("head_mask", ["ones", "one_head_off"])
def test_head_mask_of_ones_leaves_attention_to_fuse(head_mask):
    # flax BERT multiplies the attention weights by a head mask, jnp.ones cast and sliced per
    # layer (einsum "...hqk,h->...hqk"): a product by ones is dropped, and the attention
    # fuses; a mask with a zero stays a product (and the numbers are JAX's either way)
    q, k, v = rand((2, 16, 4, 8), seed=1), rand((2, 16, 4, 8), seed=2), rand((2, 16, 4, 8), seed=3)

    def attention(q, k, v):
        mask = jnp.ones((2, 4)) if head_mask == "ones" else jnp.ones((2, 4)).at[1, 2].set(0.0)
        per_layer = mask.astype(jnp.int32)[1].astype(jnp.float32)
        w = jax.nn.softmax(jnp.einsum("bqhd,bkhd->bhqk", q / np.sqrt(8.0), k), axis=-1)
        w = jnp.einsum("...hqk,h->...hqk", w, per_layer)
        return jnp.einsum("bhqk,bkhd->bqhd", w, v)

    ops = op_counts(check_jit(attention, q, k, v, tol=(1e-4, 1e-4)))
    if head_mask == "ones":
        assert ops["ScaledDotProductAttention"] == 1 and ops["Softmax"] == 0, ops
    else:
        assert ops["ScaledDotProductAttention"] == 0 and ops["Softmax"] == 1, ops


def test_splat_broadcasts_are_read_as_scalars():
    # jnp.where(mask, 0, -inf) / jnp.full over a symbolic shape: the Broadcasts of the
    # literals (run at every inference on dynamic shapes) become scalar operands
    def bias(x, mask):
        return x + jnp.where(mask > 0, 0.0, -jnp.inf) + jnp.full(x.shape, 2.0)

    x, mask = rand((5,), seed=1), np.array([1, 0, 1, 1, 0], np.int32)
    m = check_jit(bias, x, mask)
    assert op_counts(m)["Broadcast"] == 0, op_counts(m)
    sym = check_symbolic(bias, x, mask)
    assert op_counts(sym)["ShapeOf"] == 0, op_counts(sym)  # no shape read at run time


def test_small_constant_subgraphs_are_folded():
    # values computed from constants only become Constants (IsNaN of a constant too, which
    # OpenVINO cannot evaluate); large ones and an f16 weight's widening Convert stay
    small = np.linspace(-2, 2, 8, dtype=np.float32)
    big = rand((300, 300))
    w16 = rand((8, 8)).astype(np.float16)

    def fn(x, x16):
        mask = jnp.ones((2, 8)).astype(jnp.int32)[1].astype(jnp.float32)  # convert's NaN guard on a constant
        wide = jnp.dot(x16, w16, preferred_element_type=jnp.float32)  # w16 converted in the graph
        return x * mask + jnp.sin(small), jnp.sin(big).sum() + x, wide

    m = check_jit(fn, rand((8,)), rand((8,), seed=2).astype(np.float16))
    ops = op_counts(m)
    assert ops["IsNaN"] == 0 and ops["Sin"] == 1, ops  # sin(big) stays (90,000 elements)
    converts = [o for o in m.get_ops() if o.get_type_name() == "Convert"]
    assert any(o.get_input_element_type(0).get_type_name() == "f16" for o in converts), ops


class Block(nn.Module):
    """A pre-norm transformer block on [batch, sequence, 64] (also test_symbolic's)."""

    @nn.compact
    def __call__(self, x):
        h = nn.LayerNorm()(x)
        x = x + nn.MultiHeadDotProductAttention(num_heads=4, qkv_features=64)(h, h)
        h = nn.LayerNorm()(x)
        return x + nn.Dense(64)(nn.gelu(nn.Dense(128)(h)))


def test_transformer_block_fusions_and_runtime_graph():
    x = rand((2, 16, 64))
    blk = Block()
    params = blk.init(jax.random.key(0), x)
    m = check_jit(lambda x: blk.apply(params, x), x, tol=(1e-4, 1e-4))
    ops = op_counts(m)
    assert ops["MVN"] == 2 and ops["Gelu"] == 1 and ops["ScaledDotProductAttention"] == 1, ops
    rt = runtime_counts(m)
    assert rt["MVN"] == 2 and rt["FullyConnected"] == 6, rt  # matmuls with constant weights


def test_fusions_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("OVJAX_FUSIONS", "0")
    x = rand((4, 8))
    ops = op_counts(check_jit(lambda x: jax.nn.softmax(x), x, tol=FUSION_TOL))
    assert ops["Softmax"] == 0 and ops["Exp"] == 1, ops


def test_dense_weights_stay_constant_matmul_inputs_for_weight_compression():
    """NNCF finds every Dense layer's weight (a Constant feeding MatMul) and compresses it."""
    nncf = pytest.importorskip("nncf")

    class MLP(nn.Module):
        @nn.compact
        def __call__(self, x):
            x = nn.relu(nn.Dense(256)(x))
            h = nn.DenseGeneral((4, 16))(x)  # a 3-d kernel: reshaped for MatMul, still a Constant
            return nn.Dense(64)(h.reshape(x.shape[0], 64))

    m = MLP()
    x = rand((4, 128))
    params = m.init(jax.random.key(0), x)
    model = ovjax.convert_model(lambda x: m.apply(params, x), example_input=x)
    for op in model.get_ops():
        if op.get_type_name() == "MatMul":
            assert op.input_value(1).get_node().get_type_name() == "Constant", op
    compressed = nncf.compress_weights(model, mode=nncf.CompressWeightsMode.INT8_ASYM)
    u8 = [
        op
        for op in compressed.get_ops()
        if op.get_type_name() == "Constant" and op.get_output_element_type(0).get_type_name() == "u8"
    ]
    assert len(u8) >= 3 * 2, f"weights not compressed: {len(u8)} u8 constants"  # weight + zero point per layer
    got = compile_cpu(compressed)(x)[0]
    np.testing.assert_allclose(got, np.asarray(m.apply(params, x)), atol=0.05)


def test_parallel_matmuls_join():
    """Products of one value with several small constant weights (an LSTM's gates) become one
    MatMul and a VariadicSplit; weights [K, N] and (contracting their last axis) [N, K]."""
    x = rand((4, 16))
    w = [rand((16, n), seed=i) for i, n in enumerate((8, 8, 24))]
    v = [rand((n, 16), seed=10 + i) for i, n in enumerate((5, 7))]

    def fn(x):
        outs = [jnp.tanh(x @ wi) for wi in w]
        outs += [jnp.einsum("bk,nk->bn", x, vi) for vi in v]
        return outs

    ops = op_counts(check_jit(fn, x, tol=FUSION_TOL))
    assert ops["MatMul"] == 2 and ops["VariadicSplit"] == 2, ops


@pytest.mark.parametrize("biases", ["all", "one_missing", "one_per_row"])
def test_parallel_dense_biases_join(biases):
    """q, k and v projections with their biases: the biases are joined too, one Add before the
    split; unless one product has no bias of its own along the last axis (then each part
    keeps its add)."""
    x = rand((2, 6, 16))
    w = [rand((16, 8), seed=i) for i in range(3)]
    b = [rand((8,), seed=5 + i) for i in range(3)]
    row_bias = rand((6, 8), seed=9)

    def fn(x):
        q = x @ w[0] + (row_bias if biases == "one_per_row" else b[0])
        k = x @ w[1] if biases == "one_missing" else x @ w[1] + b[1]
        return q * 0.5, k, x @ w[2] + b[2]

    m = check_jit(fn, x, tol=FUSION_TOL)
    ops = op_counts(m)
    assert ops["MatMul"] == 1 and ops["VariadicSplit"] == 1, ops
    split = next(o for o in m.get_ops() if o.get_type_name() == "VariadicSplit")
    joined = split.input_value(0).get_node().get_type_name() == "Add"
    assert joined == (biases == "all"), ops


def test_parallel_matmuls_in_an_lstm_scan(monkeypatch):
    """flax's LSTMCell in nn.RNN: the four gates' products of the carried state are one MatMul
    per step in the Loop body (one step per iteration here), and those of the inputs one MatMul
    before the loop (hoisted for all steps, ovjax/_hoist.py)."""
    monkeypatch.setenv("OVJAX_SCAN_STEPS", "1")
    import os
    import tempfile

    import openvino as ov
    from models._check import random_like

    x = rand((2, 20, 8))
    m = nn.RNN(nn.LSTMCell(16))
    params = random_like(jax.eval_shape(m.init, jax.random.key(0), x))
    model = check_jit(lambda x: m.apply(params, x), x, tol=FUSION_TOL)
    assert op_counts(model)["MatMul"] == 1 and op_counts(model)["Loop"] == 1, op_counts(model)
    # the Python API does not expose Loop bodies: read the body from the IR
    with tempfile.TemporaryDirectory() as d:
        ov.save_model(model, os.path.join(d, "m.xml"), compress_to_fp16=False)
        with open(os.path.join(d, "m.xml")) as f:
            text = f.read()
    body = text[text.index("<body>") : text.index("</body>")]
    assert body.count('type="MatMul"') == 1, body.count('type="MatMul"')


@pytest.mark.parametrize("batch", [1, 8, 64])
def test_rank2_dense_chain_runs_as_fully_connected(batch):
    """A [batch, features] chain of Dense layers (weights of 256 x 256 elements and more) and
    elementwise ops is computed as [1, batch, features] between two Reshapes, so the CPU
    plugin runs FullyConnected nodes rather than its MLP-sequence snippet (slower at small
    batches for such layers; see cpu_workarounds.cpp). A residual add of a value from outside
    the chain and an op that broadcasts the chain's value at its end are handled; output
    names survive."""
    x = rand((batch, 256))
    w = [rand((256, 320), seed=1) * 0.05, rand((320, 320), seed=2) * 0.05, rand((320, 256), seed=3) * 0.05]
    b = [rand((n,), seed=10 + i) for i, n in enumerate((320, 320, 256))]
    skip = rand((batch, 320), seed=20)

    def fn(x, skip):
        h = (x @ w[0] + b[0]) * 0.5
        h = (h @ w[1] + b[1]) + skip
        y = h @ w[2] - b[2]
        return y[:, None, :] * jnp.ones((1, 3, 1), jnp.float32)  # broadcasts: outside the chain

    model = check_jit(fn, x, skip, tol=FUSION_TOL)
    reshapes = [op for op in model.get_ops() if op.get_type_name() == "Reshape"]
    assert any(list(op.get_output_shape(0)) == [1, batch, 256] for op in reshapes), reshapes
    assert model.outputs[0].get_names() == {"output_0"} and list(model.outputs[0].shape) == [batch, 3, 256]
    rt = runtime_counts(model)
    assert rt["FullyConnected"] == 3, rt


@pytest.mark.parametrize("batch", [1, 8])
def test_small_rank2_dense_chain_stays_at_rank2(batch):
    """Dense layers with smaller weights (here 32 x 64 and 64 x 64) stay a rank-2 chain: the
    CPU plugin's MLP snippet measured faster for them than the lifted chain. Same numbers."""
    x = rand((batch, 32))
    w = [rand((32, 64), seed=1) * 0.2, rand((64, 64), seed=2) * 0.2]

    def fn(x):
        return jnp.tanh(x @ w[0] + 0.5) @ w[1]

    model = check_jit(fn, x, tol=FUSION_TOL)
    assert op_counts(model)["Reshape"] == 0, op_counts(model)


def test_transposed_weights_are_matmul_flags():
    """x @ W.T and W.T @ y with W a constant too big to fold (300 x 260): each MatMul reads
    a Constant, no Transpose node (what NNCF and the plugin's FullyConnected conversion
    need); x @ W.T reads W itself with transpose_b set. Numbers as JAX's, static and
    symbolic."""
    w1, w2, w3 = (jnp.asarray(rand((300, 260), seed=s) * 0.1) for s in (11, 14, 15))  # W.T a JAX transpose
    x, y = rand((4, 260), seed=12), rand((300, 5), seed=13)

    def fn(x, y):  # (one weight in two layouts is copied per layout: cpu_workarounds.hpp)
        return x @ w1.T, w2.T @ y, jnp.tanh(x) @ jnp.swapaxes(w3, 0, 1)

    model = check_jit(fn, x, y, tol=(1e-4, 1e-4))
    mms = [op for op in model.get_ops() if op.get_type_name() == "MatMul"]
    assert len(mms) == 3 and op_counts(model)["Transpose"] == 0, op_counts(model)
    for mm in mms:
        weight = [v for v in mm.input_values() if v.get_node().get_type_name() == "Constant"]
        assert len(weight) == 1, mm
        if list(mm.get_output_shape(0)) == [4, 300]:  # x @ W.T: W itself, transpose_b
            assert list(weight[0].get_shape()) == [300, 260] and mm.get_transpose_b(), mm


@pytest.mark.parametrize("shape", [(8, 512), (2, 16, 512)])
def test_dense_activation_stays_out_of_the_fully_connected_node(shape):
    """Dense + bias + activation: a Reshape between the MatMul and the bias add keeps the CPU
    plugin from fusing the activation into its FullyConnected node (which would move the
    product from MLAS to a slower kernel on AVX2 CPUs, see cpu_workarounds.cpp): the runtime
    graph has the activation in its own node. Output names and shapes survive. (Weights of
    128 x 128 elements and more: smaller products are left as they are, the next test.)"""
    x = rand(shape)
    w1, w2, w3 = rand((512, 512), seed=1) * 0.05, rand((512, 512), seed=2) * 0.05, rand((512, 640), seed=5) * 0.05
    b1, b2, b3 = rand((512,), seed=3), rand((512,), seed=4), rand((640,), seed=6)
    w4, b4 = rand((640, 512), seed=7) * 0.05, rand((512,), seed=8)

    def fn(x):
        y = jax.nn.gelu(x @ w1 + b1) @ w2 + b2
        z = jnp.tanh(y @ w3 + b3)
        return y, z, jax.nn.silu(z @ w4 + b4)  # silu: a sigmoid and a product of the add

    model = check_jit(fn, x, tol=(1e-4, 1e-4))  # three chained products, K = 512..640
    assert [list(o.shape) for o in model.outputs] == [list(shape), list(shape[:-1]) + [640], list(shape)]
    assert [o.get_names() for o in model.outputs] == [{"output_0"}, {"output_1"}, {"output_2"}]
    ops = op_counts(model)
    assert ops["Gelu"] == 1 and ops["Tanh"] == 1 and ops["Sigmoid"] == 1, ops
    mm_inputs = [
        op.input_value(0).get_node().get_type_name()
        for op in model.get_ops()
        if op.get_type_name() == "Add"
        and op.input_value(0).get_node().get_type_name() == "Reshape"
        and op.input_value(0).get_node().input_value(0).get_node().get_type_name() == "MatMul"
    ]
    assert len(mm_inputs) == 3, "each activation's bias add reads a Reshape of its MatMul"
    rt = runtime_counts(model)
    assert rt["FullyConnected"] == 4 and rt["Subgraph"] + rt["Gelu"] >= 3, rt


@pytest.mark.parametrize("shape", [(8, 64), (2, 16, 64)])
def test_small_dense_activation_is_left_as_translated(shape):
    """A Dense + bias + activation with a weight under 128 x 128 elements keeps its product,
    bias and activation together (no Reshapes: see cpu_workarounds.cpp), and computes the
    same."""
    x = rand(shape)
    w, b = rand((64, 128), seed=1) * 0.2, rand((128,), seed=3)

    def fn(x):
        return jax.nn.gelu(x @ w + b)

    model = check_jit(fn, x, tol=(1e-4, 1e-4))
    ops = op_counts(model)
    assert ops["Reshape"] == 0 and ops["MatMul"] == 1 and ops["Gelu"] == 1, ops


def test_weight_compression_of_dense_layers_with_activations():
    """The Dense + activation form (rank-3 weights sharing the Constant's data) is still what
    NNCF compresses: every weight becomes u8, and the result stays close."""
    nncf = pytest.importorskip("nncf")
    x = rand((8, 512))
    w1, w2 = rand((512, 640), seed=1) * 0.05, rand((640, 64), seed=2) * 0.05
    b1 = rand((640,), seed=3)

    def fn(x):
        return jax.nn.gelu(x @ w1 + b1) @ w2

    model = check_jit(fn, x, tol=FUSION_TOL)
    compressed = nncf.compress_weights(model, mode=nncf.CompressWeightsMode.INT8_ASYM)
    u8 = [
        list(op.get_output_shape(0))
        for op in compressed.get_ops()
        if op.get_type_name() == "Constant" and op.get_output_element_type(0).get_type_name() == "u8"
    ]
    assert [1, 512, 640] in u8 and [640, 64] in u8, u8
    got, want = compile_cpu(compressed)(x)[0], np.asarray(fn(x))
    np.testing.assert_allclose(got, want, atol=0.02 * np.abs(want).max())  # int8 weight rounding


def test_single_rank2_matmul_is_left_alone():
    x = rand((8, 32))
    w = rand((32, 16), seed=1)
    ops = op_counts(check_jit(lambda x: jnp.tanh(x @ w), x, tol=FUSION_TOL))
    assert ops["Reshape"] == 0, ops


def test_large_parallel_matmuls_stay_apart():
    x = rand((2, 1024))
    w1, w2 = rand((1024, 1024), seed=1), rand((1024, 1024), seed=2)
    ops = op_counts(check_jit(lambda x: (x @ w1, x @ w2), x, tol=(1e-4, 1e-4)))
    assert ops["MatMul"] == 2 and ops["VariadicSplit"] == 0, ops


def test_int8_post_training_quantization_with_nncf():
    """nncf.quantize (8-bit post-training quantization with a calibration set) works on an
    ovjax conv net: FakeQuantize nodes go on the convolutions' and the Dense layer's inputs and
    constant weights, and the CPU plugin runs them in int8."""
    nncf = pytest.importorskip("nncf")

    class CNN(nn.Module):
        @nn.compact
        def __call__(self, x):
            x = nn.relu(nn.Conv(16, (3, 3))(x))
            x = nn.max_pool(x, (2, 2), (2, 2))
            x = nn.relu(nn.Conv(32, (3, 3))(x))
            return nn.Dense(10)(jnp.mean(x, axis=(1, 2)))

    from models._check import random_like

    m = CNN()
    x = rand((1, 16, 16, 3), low=0, high=1)
    params = random_like(jax.eval_shape(m.init, jax.random.key(0), x))
    model = ovjax.convert_model(lambda x: m.apply(params, x), example_input=x)
    calibration = [rand((1, 16, 16, 3), seed=s, low=0, high=1) for s in range(8)]
    quantized = nncf.quantize(model, nncf.Dataset(calibration), subset_size=len(calibration))
    assert op_counts(quantized)["FakeQuantize"] >= 3, op_counts(quantized)
    rt = compile_cpu(quantized).get_runtime_model()
    int8 = [
        op
        for op in rt.get_ops()
        if op.get_rt_info()["layerType"].astype(str) in ("Convolution", "FullyConnected")
        and op.get_rt_info()["runtimePrecision"].astype(str).lower() in ("i8", "u8")
    ]
    assert len(int8) >= 2, [
        (op.get_rt_info()["layerType"].astype(str), op.get_rt_info()["runtimePrecision"].astype(str))
        for op in rt.get_ops()
    ]
    want = np.asarray(m.apply(params, x))
    got = compile_cpu(quantized)(x)[0]
    assert np.max(np.abs(got - want)) <= 0.05 * np.max(np.abs(want)) + 1e-3, (got, want)
