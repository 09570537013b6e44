"""ovjax.genai.export of Google DeepMind's ``gemma`` library's Gemma 3 models: the adapter's
step against gemma's own forward pass, and LLMPipeline (stateful and paged attention)
against JAX's greedy decoding. Tiny models built from Gemma 3's config with random
weights, local sliding-window layers whose window (4) is shorter than the sequences, and a
BPE tokenizer trained here (no downloads)."""

from __future__ import annotations

import collections
import dataclasses
import json
import os
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

# gemma installs on Python >= 3.12 only (on 3.11 its import fails: kauldron.checkpoints
# has no AbstractPartialLoader); the test extras install it there (pyproject.toml,
# gemma-tests), so on 3.12+ a failing import fails these tests instead of skipping them
if sys.version_info < (3, 12):
    pytest.skip("gemma imports on Python 3.12+ only", allow_module_level=True)
from gemma import gm  # noqa: E402

import openvino as ov  # noqa: E402
import openvino_genai as og  # noqa: E402

import ovjax.genai  # noqa: E402
from test_genai import BACKENDS, V, _tokenizer, jax_greedy, pipeline  # noqa: E402

WINDOW = 4
LOCAL, GLOBAL = gm.nn.AttentionType.LOCAL_SLIDING, gm.nn.AttentionType.GLOBAL


def _config(**kw):
    """Gemma 3 1B's config made tiny: two local layers and a global one."""
    tiny = dict(
        num_embed=V,
        embed_dim=64,
        hidden_dim=128,
        num_heads=4,
        head_dim=16,
        num_kv_heads=2,
        attention_types=(LOCAL, LOCAL, GLOBAL),
        sliding_window_size=WINDOW,
    )
    return dataclasses.replace(gm.nn.Gemma3_1B.config, **{**tiny, **kw})


VARIANTS = {
    # grouped-query attention, the larger Gemma 3 models' global rotary scaling
    "gqa": dict(global_scale_factor=8.0),
    # one key/value head, as Gemma 3 1B has
    "mqa": dict(num_kv_heads=1),
    # as many key/value heads as queries (gemma's fused qkv_einsum), the other gating
    # layout and a final logit soft-cap (Gemma 2's, None in Gemma 3)
    "mha": dict(num_kv_heads=4, transpose_gating_einsum=False, final_logit_softcap=30.0),
}


def _model(seed=4, **kw):
    """A gemma Transformer and its params (model.init's tree, its shapes from jax.eval_shape,
    which skips compiling init; random values of a size that makes greedy decoding vary:
    small embeddings, which gemma scales by sqrt(embed_dim), and norm scales around 0,
    which gemma's RMSNorm adds to 1)."""
    model = gm.nn.Transformer(config=_config(**kw), dtype=jnp.float32)
    shapes = jax.eval_shape(model.init, jax.random.key(0), jnp.ones((1, 4), jnp.int32))["params"]
    r = np.random.default_rng(seed)

    def init(path, a):
        name = path[-1].key
        std = 0.05 if name == "input_embedding" else 1.0 if name == "scale" else 0.3
        return jnp.asarray((r.standard_normal(a.shape) * std).astype(np.float32))

    return model, jax.tree_util.tree_map_with_path(init, shapes)


def _logits(model, params, ids, **kw):
    return np.asarray(model.apply({"params": params}, jnp.asarray(ids), **kw).logits)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_adapter_is_gemmas_model(variant):
    """The adapter's step, with an empty cache and with a cache of five tokens, gives the
    logits of gemma's own forward pass over the whole 9-token sequence, whose sliding
    window of 4 matters; and so for a left-padded batch (gemma numbers the positions and
    the window by the non-padding tokens)."""
    model, params = _model(**VARIANTS[variant])
    step, p, cfg = ovjax.genai.adapt(model, params)
    assert cfg.sliding_windows == (WINDOW, WINDOW, None) and cfg.model_type == "gemma3"
    ids = np.random.default_rng(1).integers(1, V, (2, 9)).astype(np.int32)  # 0 is gemma's padding
    want = _logits(model, params, ids)
    wide = dataclasses.replace(model, config=dataclasses.replace(model.config, sliding_window_size=100))
    assert np.abs(_logits(wide, params, ids) - want).max() > 0.1 * np.abs(want).max(), "the window must matter"
    tol = dict(rtol=1e-4, atol=1e-4 * np.abs(want).max())
    mask = np.ones((2, 9), np.int32)
    pos = np.broadcast_to(np.arange(9, dtype=np.int32), (2, 9))
    empty = tuple((jnp.zeros((2, cfg.num_kv_heads, 0, cfg.head_dim)),) * 2 for _ in range(cfg.num_layers))
    got, _ = step(p, ids, mask, pos, empty)
    np.testing.assert_allclose(got, want, **tol)
    _, cache = step(p, ids[:, :5], mask[:, :5], pos[:, :5], empty)
    got, _ = step(p, ids[:, 5:], mask, pos[:, 5:], tuple(tuple(kv) for kv in cache))
    np.testing.assert_allclose(got, want[:, 5:], **tol)

    # the second sequence padded on the left by three, as GenAI's stateful batches are
    padded = ids.copy()
    padded[1, :3] = 0
    want = _logits(model, params, padded)
    mask = (padded != 0).astype(np.int32)
    pos = np.maximum(np.cumsum(mask, axis=1) - 1, 0).astype(np.int32)
    got, _ = step(p, padded, mask, pos, empty)
    np.testing.assert_allclose(np.asarray(got)[mask > 0], want[mask > 0], **tol)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("gemma"))
    model, params = _model()
    ovjax.genai.export(model, params, out, tokenizer=_tokenizer())
    return out, model, params


def test_export_marks_the_sliding_windows(exported):
    """config.json and generation_config.json are gemma's; GenAI's paged-attention
    conversion finds each local layer's window (and none on the global layer)."""
    from openvino._offline_transformations import paged_attention_transformation

    out, _, _ = exported
    with open(os.path.join(out, "config.json")) as f:
        written = json.load(f)
    assert (written["model_type"], written["num_hidden_layers"], written["num_key_value_heads"]) == ("gemma3", 3, 2)
    with open(os.path.join(out, "generation_config.json")) as f:
        assert json.load(f) == {"bos_token_id": 2, "eos_token_id": 1, "pad_token_id": 0}
    m = ov.Core().read_model(os.path.join(out, "openvino_model.xml"))
    paged_attention_transformation(m, False, False)
    ops = collections.Counter(op.get_type_name() for op in m.get_ops())
    assert ops["PagedAttentionExtension"] == 3 and ops["ScaledDotProductAttention"] == 0, ops
    windows = []
    for op in m.get_ordered_ops():
        if op.get_type_name() == "PagedAttentionExtension":  # input 10: sliding_window, 0 for none
            constant = ov.Model([ov.opset13.result(op.input_value(10))], [])
            windows.append(int(ov.Core().compile_model(constant, "CPU")({})[0]))
    assert windows == [WINDOW, WINDOW, 0], windows


def test_llm_pipeline_greedy_is_jaxs(exported):
    """LLMPipeline, stateful and paged, gives the greedy tokens of JAX decoding with the
    adapter's step, for a prompt longer than the window (and tokens that the window
    changes: without it JAX decodes others), and for two prompts in one call."""
    out, model, params = exported
    step, p, cfg = ovjax.genai.adapt(model, params)
    wide = dataclasses.replace(model, config=dataclasses.replace(model.config, sliding_window_size=1000))
    wide_step, _, _ = ovjax.genai.adapt(wide, params)
    gen = og.GenerationConfig()
    gen.max_new_tokens, gen.ignore_eos = 12, True
    text = "the quick brown fox jumps over the lazy dog"
    for backend in BACKENDS:
        pipe = pipeline(out, backend)
        tok = pipe.get_tokenizer()
        ids = tok.encode(text)
        prompt = [int(t) for t in np.asarray(ids.input_ids.data)[0]]
        assert len(prompt) > 2 * WINDOW, prompt
        got = [int(t) for t in pipe.generate(ids, gen).tokens[0]]
        want = jax_greedy(p, prompt, 12, step, cfg)
        assert len(set(want)) > 3, f"a degenerate test model: {want}"
        assert want != jax_greedy(p, prompt, 12, wide_step, cfg), "the window must change the tokens"
        assert got == want, backend
        texts = [text, "hello"]
        for t, answer in zip(texts, pipe.generate(texts, gen).texts):
            prompt = [int(x) for x in np.asarray(tok.encode(t).input_ids.data)[0]]
            assert answer == tok.decode(jax_greedy(p, prompt, 12, step, cfg)), (backend, t)


def test_gemma_export_errors(tmp_path):
    model, params = _model()
    tok = _tokenizer()
    with pytest.raises(ValueError, match=r"a gemma Transformer holds no params: pass them"):
        ovjax.genai.export(model, str(tmp_path), tokenizer=tok)
    with pytest.raises(ValueError, match=r"a gemma model brings its own config"):
        ovjax.genai.export(model, params, str(tmp_path), tokenizer=tok, config={"num_layers": 3})
    soft = dataclasses.replace(model, config=dataclasses.replace(model.config, attn_logits_soft_cap=50.0))
    with pytest.raises(ValueError, match=r"does not take attn_logits_soft_cap=50.0"):
        ovjax.genai.adapt(soft, params)
    with pytest.raises(ValueError, match=r"no adapter for gemma's Gemma3n_E2B; the gemma adapter takes Gemma 3"):
        ovjax.genai.export(gm.nn.Gemma3n_E2B(), params, str(tmp_path), tokenizer=tok)
