"""Real models converted once with dynamic inputs and run at three sizes each, compared with
JAX at every size (README "Dynamic shapes"): BERT, DistilBERT, GPT-2 and Llama with
[B, S], a GPT-2 decode step on a KV cache of dynamic length, ViT and ResNet with B dynamic.
(An LSTM over a dynamic number of steps and a conv net with dynamic H and W:
tests/test_symbolic.py.)"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import export

import ovjax
from harness import MODEL_TOL, compile_cpu, op_counts

from ._check import compare
from .test_transformers import _bert, _build, _distilbert, _gpt2, _gpt2_step, _llama, _tokens, _vit

transformers = pytest.importorskip("transformers")
pytest.importorskip("transformers.models.bert.modeling_flax_bert", reason="this transformers has no Flax models (5.x)")

RNG = np.random.default_rng(0)


def run_sizes(model, fn, make_args, sizes, where):
    compiled = compile_cpu(model)
    jitted = jax.jit(fn)
    for size in sizes:
        args = make_args(*size)
        got = list(compiled([np.asarray(a) for a in jax.tree_util.tree_leaves(args)]).values())
        compare(got, jitted(*args), MODEL_TOL, f"{where} at {size}")


def tokens_and_mask(b, s, seed=0):
    mask = np.ones((b, s), np.int32)
    mask[0, s // 2 + 1 :] = 0  # padding in the first row
    return _tokens(100, (b, s), seed), mask


def token_specs(limit=None):
    b, s = export.symbolic_shape("B, S", constraints=[f"S <= {limit}"] if limit else [])
    return (jax.ShapeDtypeStruct((b, s), jnp.int32), jax.ShapeDtypeStruct((b, s), jnp.int32))


TEXT_SIZES = [(1, 3), (2, 8), (3, 17)]


def test_bert_dynamic_batch_and_sequence():
    model, params = _bert()

    def fn(input_ids, attention_mask):
        out = model(input_ids, attention_mask=attention_mask, params=params)
        return out.last_hidden_state, out.pooler_output

    m = ovjax.convert_model(fn, example_input=tokens_and_mask(2, 8), input=[("B", "S"), ("B", "S")])
    assert str(m.inputs[0].get_partial_shape()) == "[1..,1..]"
    # each layer's attention fuses (its head mask of ones is dropped), and the attention
    # mask's literals are no Broadcasts to the run-time shape
    ops = op_counts(m)
    assert ops["ScaledDotProductAttention"] == 2 and ops["Softmax"] == 0, ops
    assert all(o.get_type_name() != "Broadcast" or o.get_output_element_type(0).is_integral() for o in m.get_ops())
    run_sizes(m, fn, tokens_and_mask, TEXT_SIZES, "FlaxBertModel")


def test_distilbert_dynamic_batch_and_sequence():
    fn, _ = _distilbert((2, 8))
    m = ovjax.convert_model(fn, example_input=token_specs())  # symbolic_shape in example_input
    run_sizes(m, fn, tokens_and_mask, TEXT_SIZES, "FlaxDistilBertModel")


def test_gpt2_dynamic_batch_and_sequence():
    model, params = _gpt2()

    def fn(input_ids, attention_mask):
        return model(input_ids, attention_mask=attention_mask, params=params).logits

    # the sequence is bounded by the position table (JAX needs S <= 32 to slice the causal mask)
    m = ovjax.convert_model(fn, example_input=token_specs(32))
    assert str(m.inputs[0].get_partial_shape()) == "[1..,1..32]"
    run_sizes(m, fn, tokens_and_mask, [*TEXT_SIZES, (1, 32)], "FlaxGPT2LMHeadModel")


def test_gpt2_decode_step_on_a_kv_cache_of_dynamic_length():
    model, params = _gpt2()
    step = _gpt2_step(model, params)
    b, length = export.symbolic_shape("B, L", constraints=["L <= 32"])
    struct = jax.eval_shape(lambda: model.init_cache(2, 12))

    def symbolic(s):  # keys and values [B, L, heads, head dim]; the cache index a scalar
        return jax.ShapeDtypeStruct((b, length) + s.shape[2:] if len(s.shape) == 4 else s.shape, s.dtype)

    spec = (
        jax.ShapeDtypeStruct((b, 1), jnp.int32),
        jax.ShapeDtypeStruct((b, length), jnp.int32),
        jax.ShapeDtypeStruct((b, 1), jnp.int32),
        jax.tree_util.tree_map(symbolic, struct),
    )
    m = ovjax.convert_model(step, example_input=spec)

    def args(nb, nl, pos):
        cache = jax.tree_util.tree_map(
            lambda s: (
                RNG.standard_normal((nb, nl) + s.shape[2:]).astype(np.float32)
                if len(s.shape) == 4
                else np.full(s.shape, pos, s.dtype)
            ),
            struct,
        )
        mask = np.zeros((nb, nl), np.int32)
        mask[:, : pos + 1] = 1
        return _tokens(100, (nb, 1), nb), mask, np.full((nb, 1), pos, np.int32), cache

    run_sizes(m, step, args, [(1, 12, 5), (3, 20, 0), (2, 32, 31)], "FlaxGPT2LMHeadModel decode step")


def test_llama_dynamic_batch_and_sequence():
    model, params = _llama()

    def fn(input_ids, attention_mask):
        return model(input_ids, attention_mask=attention_mask, params=params).logits

    m = ovjax.convert_model(fn, example_input=token_specs(64))
    run_sizes(m, fn, tokens_and_mask, TEXT_SIZES, "FlaxLlamaForCausalLM")


def images(b):
    return (RNG.uniform(-1, 1, (b, 3, 32, 32)).astype(np.float32),)


def test_vit_dynamic_batch():
    model, params = _vit()

    def fn(pixel_values):
        out = model(pixel_values, params=params)
        return out.last_hidden_state, out.pooler_output

    m = ovjax.convert_model(fn, example_input=images(2), input=[("B", 3, 32, 32)])
    assert str(m.inputs[0].get_partial_shape()) == "[1..,3,32,32]"
    run_sizes(m, fn, images, [(1,), (3,), (5,)], "FlaxViTModel")


def test_resnet_dynamic_batch():
    from transformers import FlaxResNetModel, ResNetConfig

    cfg = ResNetConfig(embedding_size=8, hidden_sizes=[8, 16], depths=[1, 1], layer_type="basic")
    model, params = _build(FlaxResNetModel, cfg, (2, 32, 32, 3))

    def fn(pixel_values):
        return model(pixel_values, params=params, train=False).pooler_output

    m = ovjax.convert_model(fn, example_input=images(2), input=[(-1, 3, 32, 32)])
    assert str(m.inputs[0].get_partial_shape()) == "[1..,3,32,32]"
    run_sizes(m, fn, images, [(1,), (3,), (5,)], "FlaxResNetModel")
