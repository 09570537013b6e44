"""transformers 4.x Flax models from small configs with random weights (no downloads)."""

from unittest import mock

import jax
import numpy as np
import pytest

from harness import MODEL_TOL, rand

from ._check import check_function, check_model, random_like

transformers = pytest.importorskip("transformers")
pytest.importorskip("transformers.models.bert.modeling_flax_bert", reason="this transformers has no Flax models (5.x)")

# 2 layers, hidden 32: errors stay near f32 rounding; MODEL_TOL (1e-4) leaves room for
# the different summation orders of softmax/LayerNorm/matmul.
B, T = 2, 8


def _build(cls, config, input_shape):
    """A Flax model without running its init, plus random parameters of its shape."""
    model = cls(config, input_shape=input_shape, _do_init=False)
    shapes = jax.eval_shape(lambda: model.init_weights(jax.random.PRNGKey(0), input_shape))
    return model, random_like(shapes)


def _tokens(vocab, shape=(B, T), seed=0):
    return np.random.default_rng(seed).integers(0, vocab, shape).astype(np.int32)


def _mask(shape=(B, T)):
    m = np.ones(shape, np.int32)
    m[1, -3:] = 0  # padding in the second row
    return m


def _bert():
    from transformers import BertConfig, FlaxBertModel

    cfg = BertConfig(
        vocab_size=100,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=32,
    )
    return _build(FlaxBertModel, cfg, (B, T))


def test_bert():
    model, params = _bert()

    def fn(input_ids, attention_mask, token_type_ids):
        out = model(input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids, params=params)
        return {"last_hidden_state": out.last_hidden_state, "pooler_output": out.pooler_output}

    check_function(fn, (_tokens(100), _mask(), np.zeros((B, T), np.int32)), "FlaxBertModel")


def _gpt2(width=32):
    from transformers import FlaxGPT2LMHeadModel, GPT2Config

    cfg = GPT2Config(vocab_size=100, n_embd=width, n_layer=2, n_head=4, n_positions=32)
    return _build(FlaxGPT2LMHeadModel, cfg, (B, T))


def _gpt2_step(model, params):
    """One generation step with a KV cache: (ids, mask, positions, past) -> (logits, present)."""

    def step(input_ids, attention_mask, position_ids, past_key_values):
        out = model(
            input_ids,
            attention_mask=attention_mask,
            position_ids=position_ids,
            params=params,
            past_key_values=past_key_values,
        )
        return out.logits, out.past_key_values

    return step


def test_gpt2_lm_head():
    model, params = _gpt2()

    def fn(input_ids, attention_mask):
        return model(input_ids, attention_mask=attention_mask, params=params).logits

    check_function(fn, (_tokens(100), _mask()), "FlaxGPT2LMHeadModel")


def test_gpt2_kv_cache_prefill_and_decode():
    model, params = _gpt2()
    max_len, prompt = 12, 5
    # the cache's structure from eval_shape (init_cache would run the model's init)
    cache = jax.tree_util.tree_map(
        lambda s: np.zeros(s.shape, s.dtype), jax.eval_shape(lambda: model.init_cache(B, max_len))
    )

    step = _gpt2_step(model, params)
    ids = _tokens(100, (B, prompt))
    mask = np.zeros((B, max_len), np.int32)
    mask[:, :prompt] = 1
    pos = np.broadcast_to(np.arange(prompt, dtype=np.int32), (B, prompt)).copy()
    want = jax.jit(step)(ids, mask, pos, cache)
    check_model(step, (ids, mask, pos, cache), want, tol=MODEL_TOL, where="FlaxGPT2LMHeadModel prefill with cache")

    # one decoding step on the cache JAX filled
    past = jax.tree_util.tree_map(np.asarray, want[1])
    nxt = np.asarray(want[0][:, -1].argmax(-1), np.int32)[:, None]
    mask2 = mask.copy()
    mask2[:, prompt] = 1
    pos2 = np.full((B, 1), prompt, np.int32)
    want2 = jax.jit(step)(nxt, mask2, pos2, past)
    check_model(step, (nxt, mask2, pos2, past), want2, tol=MODEL_TOL, where="FlaxGPT2LMHeadModel decode step")


def _llama_config(**kw):
    """A two-layer Llama with grouped-query attention (4 heads, 2 key/value heads)."""
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=100,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=64,
        **kw,
    )


def _llama():
    from transformers import FlaxLlamaForCausalLM

    return _build(FlaxLlamaForCausalLM, _llama_config(), (2, 8))


def _vit():
    from transformers import FlaxViTModel, ViTConfig

    cfg = ViTConfig(
        image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64
    )
    return _build(FlaxViTModel, cfg, (B, 32, 32, 3))  # init takes NHWC, the call NCHW


def test_vit():
    model, params = _vit()

    def fn(pixel_values):
        out = model(pixel_values, params=params)
        return out.last_hidden_state, out.pooler_output

    check_function(fn, (rand((B, 3, 32, 32), low=-1, high=1),), "FlaxViTModel")


def test_resnet():
    from transformers import FlaxResNetModel, ResNetConfig

    cfg = ResNetConfig(embedding_size=16, hidden_sizes=[16, 32], depths=[1, 1], layer_type="basic")
    model, params = _build(FlaxResNetModel, cfg, (B, 32, 32, 3))  # init takes NHWC, the call NCHW

    def fn(pixel_values):
        out = model(pixel_values, params=params, train=False)
        return out.last_hidden_state, out.pooler_output

    check_function(fn, (rand((B, 3, 32, 32), low=-1, high=1),), "FlaxResNetModel")


def _clip_text():
    from transformers import CLIPTextConfig, FlaxCLIPTextModel

    tcfg = CLIPTextConfig(
        vocab_size=100,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=16,
    )
    text, tparams = _build(FlaxCLIPTextModel, tcfg, (B, T))

    def ftext(input_ids, attention_mask):
        out = text(input_ids, attention_mask=attention_mask, params=tparams)
        return out.last_hidden_state, out.pooler_output

    return ftext, (_tokens(100), _mask())


def _clip_vision():
    from transformers import CLIPVisionConfig, FlaxCLIPVisionModel

    vcfg = CLIPVisionConfig(
        image_size=32, patch_size=8, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4
    )
    vision, vparams = _build(FlaxCLIPVisionModel, vcfg, (B, 32, 32, 3))

    def fvision(pixel_values):
        out = vision(pixel_values, params=vparams)
        return out.last_hidden_state, out.pooler_output

    return fvision, (rand((B, 3, 32, 32), low=-1, high=1),)


def test_clip_text_and_vision():
    check_function(*_clip_text(), "FlaxCLIPTextModel")
    check_function(*_clip_vision(), "FlaxCLIPVisionModel")


def _t5_encoder():
    from transformers import FlaxT5EncoderModel, T5Config

    # transformers 4.x's T5 calls jnp.clip(x, a_max=...), keywords JAX 0.10 removed
    # (a library incompatibility, not a conversion one): map them to min/max while it runs.
    clip = jax.numpy.clip

    def clip_compat(x, min=None, max=None, *, a_min=None, a_max=None, **kw):
        return clip(x, min if a_min is None else a_min, max if a_max is None else a_max, **kw)

    cfg = T5Config(vocab_size=100, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4)
    with mock.patch.object(jax.numpy, "clip", clip_compat):
        model, params = _build(FlaxT5EncoderModel, cfg, (B, T))

    def fn(input_ids, attention_mask):
        with mock.patch.object(jax.numpy, "clip", clip_compat):
            return model(input_ids, attention_mask=attention_mask, params=params).last_hidden_state

    return fn, (_tokens(100), _mask())


def test_t5_encoder():
    check_function(*_t5_encoder(), "FlaxT5EncoderModel")


def _whisper_encoder():
    from transformers import FlaxWhisperModel, WhisperConfig

    cfg = WhisperConfig(
        vocab_size=100,
        d_model=32,
        encoder_layers=2,
        encoder_attention_heads=4,
        decoder_layers=1,
        decoder_attention_heads=4,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        num_mel_bins=16,
        max_source_positions=16,
        max_target_positions=16,
    )
    feats = rand((B, 16, 32), low=-1, high=1)  # (batch, mel bins, 2 * max_source_positions)
    model = FlaxWhisperModel(cfg, input_shape=feats.shape, _do_init=False)
    shapes = jax.eval_shape(lambda: model.init_weights(jax.random.PRNGKey(0), feats.shape))
    params = random_like(shapes)

    def fn(input_features):
        return model.encode(input_features, params=params).last_hidden_state

    return fn, (feats,)


def test_whisper_encoder():
    check_function(*_whisper_encoder(), "FlaxWhisperModel encoder")


def _distilbert(shape=(B, T)):
    from transformers import DistilBertConfig, FlaxDistilBertModel

    cfg = DistilBertConfig(vocab_size=100, dim=32, n_layers=2, n_heads=4, hidden_dim=64, max_position_embeddings=32)
    model, params = _build(FlaxDistilBertModel, cfg, shape)

    def fn(input_ids, attention_mask):
        return model(input_ids, attention_mask=attention_mask, params=params).last_hidden_state

    return fn, (_tokens(100, shape), _mask(shape))


@pytest.mark.slow
def test_bert_and_gpt2_larger_configs():
    """Deeper and wider (6 layers, hidden 256, 64 tokens): errors grow with depth."""
    from transformers import BertConfig, FlaxBertModel, FlaxGPT2LMHeadModel, GPT2Config

    b, t = 2, 64
    bert, bparams = _build(
        FlaxBertModel,
        BertConfig(
            vocab_size=1000, hidden_size=256, num_hidden_layers=6, num_attention_heads=8, intermediate_size=1024
        ),
        (b, t),
    )
    gpt2, gparams = _build(
        FlaxGPT2LMHeadModel, GPT2Config(vocab_size=1000, n_embd=256, n_layer=6, n_head=8, n_positions=128), (b, t)
    )
    ids, mask = _tokens(1000, (b, t)), _mask((b, t))
    check_function(
        lambda i, m: bert(i, attention_mask=m, params=bparams).last_hidden_state,
        (ids, mask),
        "FlaxBertModel 6x256",
        tol=(1e-3, 1e-3),
    )
    check_function(
        lambda i, m: gpt2(i, attention_mask=m, params=gparams).logits,
        (ids, mask),
        "FlaxGPT2LMHeadModel 6x256",
        tol=(1e-3, 1e-3),
    )
