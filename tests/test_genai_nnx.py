"""A Flax nnx decoder through OpenVINO GenAI: ovjax.genai.attend runs an
nnx.MultiHeadAttention on GenAI's growing cache, and the decoder of examples/genai_nnx.py
(RoPE, grouped-query attention, random weights, a BPE tokenizer trained here) exported
with ovjax.genai.export gives JAX's greedy tokens in LLMPipeline's stateful and paged
backends and in ContinuousBatchingPipeline."""

from __future__ import annotations

import importlib.util
import os

import jax.numpy as jnp
import numpy as np
import openvino as ov
import pytest
from flax import nnx

import openvino_genai as og  # ovjax[genai], part of the test extras
import ovjax.genai
from test_genai import F32, pipeline, run_example, scheduler_config

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_spec = importlib.util.spec_from_file_location("genai_nnx", os.path.join(_ROOT, "examples", "genai_nnx.py"))
example = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(example)

TEXTS = ["the quick brown fox", "a language model predicts the next"]  # of different lengths
N = 12


def _close(got, want):
    want = np.asarray(want)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-5 * np.abs(want).max())


# ---------------------------------------------------------------- attend


@pytest.mark.parametrize(
    "kwargs",
    [
        {},  # 4 heads, biases, qkv_features = in_features
        {"num_kv_heads": 2, "qkv_features": 48, "out_features": 24, "use_bias": False, "normalize_qk": True},
    ],
    ids=["mha", "gqa-qk-norm"],
)
@pytest.mark.parametrize("rope", [False, True])
def test_attend_is_the_module(kwargs, rope):
    """attend on an empty cache, and on a cache of 5 tokens with the other 4 as the step,
    gives what the nnx module itself computes over the whole sequence with a causal mask
    (with RoPE: the same module with an attention_fn that rotates q and k first); a row
    padded on the left is masked by attention_mask."""
    b, t, width, heads = 2, 9, 32, 4
    mha = nnx.MultiHeadAttention(heads, width, decode=False, rngs=nnx.Rngs(1), **kwargs)
    r = np.random.default_rng(0)
    x = jnp.asarray(r.standard_normal((b, t, width)).astype(np.float32))
    for path, p in nnx.iter_graph(mha):  # non-zero biases and norm scales
        if isinstance(p, nnx.Param) and path[-1] in ("bias", "scale"):
            p[...] = jnp.asarray(r.standard_normal(p[...].shape).astype(np.float32) * 0.5 + (path[-1] == "scale"))
    mask = np.ones((b, t), np.int32)
    mask[1, :2] = 0
    positions = jnp.asarray(np.maximum(np.cumsum(mask, axis=1) - 1, 0))
    rot = (lambda pos: example.rotary(pos, mha.head_dim)) if rope else (lambda pos: None)

    ref = mha
    if rope:  # the module's own attention, on queries and keys rotated at all t positions

        def rope_attention(q, k, v, **kw):
            return nnx.dot_product_attention(rot(positions)(q), rot(positions)(k), v, **kw)

        ref = nnx.MultiHeadAttention(
            heads, width, decode=False, attention_fn=rope_attention, rngs=nnx.Rngs(2), **kwargs
        )
        nnx.update(ref, nnx.state(mha))
    full_mask = nnx.combine_masks(nnx.make_causal_mask(jnp.ones((b, t))), nnx.make_attention_mask(mask, mask))
    want = ref(x, mask=full_mask, decode=False)

    kv = mha.num_kv_heads
    empty = (jnp.zeros((b, kv, 0, mha.head_dim)),) * 2
    got, (k, v) = ovjax.genai.attend(mha, x, empty, jnp.asarray(mask), rotary=rot(positions))
    assert k.shape == v.shape == (b, kv, t, mha.head_dim)
    _close(got[0], want[0])
    _close(got[1, 2:], want[1, 2:])  # the padded row's queries after its padding

    first, past = ovjax.genai.attend(mha, x[:, :5], empty, jnp.asarray(mask[:, :5]), rotary=rot(positions[:, :5]))
    rest, grown = ovjax.genai.attend(mha, x[:, 5:], past, jnp.asarray(mask), rotary=rot(positions[:, 5:]))
    _close(jnp.concatenate([first, rest], axis=1)[0], want[0])
    _close(rest[1], want[1, 5:])
    _close(grown[0], k)
    _close(grown[1], v)


def test_attend_errors():
    x = jnp.zeros((1, 3, 16))
    past = (jnp.zeros((1, 4, 0, 4)),) * 2
    mask = jnp.ones((1, 3), jnp.int32)
    rngs = nnx.Rngs(0)
    with pytest.raises(ValueError, match=r"mha must be a flax.nnx.MultiHeadAttention, got Linear"):
        ovjax.genai.attend(nnx.Linear(16, 16, rngs=rngs), x, past, mask)
    cases = [
        ({"decode": True}, r"has decode=True \(its own preallocated cache"),
        (
            {"attention_fn": lambda q, k, v, **kw: nnx.dot_product_attention(q, k, v, **kw)},
            r"has attention_fn=<lambda> \(attend runs dot_product_attention; pass rotary embeddings as rotary=\)",
        ),
        ({"dropout_rate": 0.1}, r"has dropout_rate=0.1 without deterministic=True"),
        ({"in_kv_features": 8}, r"in_kv_features=8 != in_features=16 \(not self-attention\)"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message):
            ovjax.genai.attend(nnx.MultiHeadAttention(4, 16, rngs=rngs, **kwargs), x, past, mask)
    # dropout switched off for inference is fine
    ovjax.genai.attend(nnx.MultiHeadAttention(4, 16, dropout_rate=0.1, deterministic=True, rngs=rngs), x, past, mask)
    with pytest.raises(
        ValueError, match=r"the past key has shape \(1, 2, 0, 4\); the module's cache is \[B, 4, P, 4\]"
    ):
        ovjax.genai.attend(nnx.MultiHeadAttention(4, 16, rngs=rngs), x, (jnp.zeros((1, 2, 0, 4)),) * 2, mask)


# ---------------------------------------------------------------- the decoder through GenAI


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("genai_nnx"))
    tok = example.tokenizer()
    model = example.Decoder(len(tok), width=32, heads=4, kv_heads=2, layers=2, hidden=64, rngs=nnx.Rngs(0))
    step, params = example.step_of(model)
    assert isinstance(params, nnx.State)
    ov_model = ovjax.genai.export(step, params, out, tokenizer=tok, config=model.config(tok))
    return out, model, ov_model


_GREEDY: dict = {}


def _greedy(model, prompt: tuple[int, ...]) -> list[int]:
    """JAX's greedy tokens (examples/genai_nnx.py's jax_greedy), once a prompt."""
    key = (id(model), prompt)
    if key not in _GREEDY:
        _GREEDY[key] = example.jax_greedy(model, list(prompt), N)
        assert len(set(_GREEDY[key])) > 3, f"a degenerate test model: {_GREEDY[key]}"
    return _GREEDY[key]


def _prompt(tok, text) -> tuple[int, ...]:
    return tuple(int(t) for t in np.asarray(tok.encode(text).input_ids.data)[0])


def _generation_config():
    cfg = og.GenerationConfig()
    cfg.max_new_tokens, cfg.ignore_eos = N, True
    return cfg


def test_one_sdpa_per_layer(exported):
    """The attention of every layer is one ScaledDotProductAttention: what GenAI's
    paged-attention backend replaces with PagedAttention."""
    out, model, ov_model = exported
    for m in (ov_model, ov.Core().read_model(os.path.join(out, "openvino_model.xml"))):
        assert sum(op.get_type_name() == "ScaledDotProductAttention" for op in m.get_ops()) == len(model.blocks)


@pytest.mark.parametrize("backend", ["stateful", "paged"])
def test_llm_pipeline_greedy_is_jaxs(exported, backend):
    """One prompt, then two prompts of different lengths in one call (GenAI pads the
    shorter one on the left and masks it): each gets the greedy tokens JAX gives it alone."""
    out, model, _ = exported
    pipe = pipeline(out, backend)
    tok = pipe.get_tokenizer()
    got = [int(t) for t in pipe.generate(tok.encode(TEXTS[0]), _generation_config()).tokens[0]]
    assert got == _greedy(model, _prompt(tok, TEXTS[0]))
    both = tok.encode(TEXTS)
    assert (np.asarray(both.attention_mask.data) == 0).any(), "the prompts are of different lengths"
    got = pipe.generate(both, _generation_config()).tokens
    assert [[int(t) for t in g] for g in got] == [_greedy(model, _prompt(tok, t)) for t in TEXTS]


def test_continuous_batching_is_paged_and_jaxs(exported):
    """ContinuousBatchingPipeline runs the paged model only (LLMPipeline falls back to the
    stateful one silently where the paged one cannot be made): JAX's greedy tokens for
    each of two prompts scheduled together."""
    out, model, _ = exported
    cb = og.ContinuousBatchingPipeline(out, scheduler_config(), "CPU", F32)
    tok = og.Tokenizer(out)
    ids = [tok.encode(t).input_ids for t in TEXTS]
    results = cb.generate(ids, [_generation_config()] * len(ids))
    for text, r in zip(TEXTS, results):
        assert [int(t) for t in r.m_generation_ids[0]] == _greedy(model, _prompt(tok, text))


def test_genai_nnx_example_runs():
    """examples/genai_nnx.py: export, streamed generation, tokens checked against JAX."""
    run_example("genai_nnx.py")
