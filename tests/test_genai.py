"""ovjax.genai.export: a JAX decoder's step function to a directory OpenVINO GenAI's
LLMPipeline runs, with its stateful backend and with paged attention (continuous
batching). A two-layer decoder with random weights and a BPE tokenizer trained here (no
downloads); greedy tokens compared with JAX's own decoding."""

from __future__ import annotations

import collections
import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import openvino as ov
import pytest

import openvino_genai as og  # ovjax[genai], part of the test extras
import ovjax.genai

V, D, H, L = 96, 32, 4, 2
DH = D // H
CONFIG = {"num_layers": L, "num_kv_heads": H, "head_dim": DH, "eos_token_id": 2, "bos_token_id": 1, "max_length": 128}
TEXT = ["hello world", "the quick brown fox", "jumps over the lazy dog", "a stitch in time saves nine"]


def _params(seed=0):
    r = np.random.default_rng(seed)
    w = lambda *s: jnp.asarray((r.standard_normal(s) / np.sqrt(s[0]) * 2).astype(np.float32))  # noqa: E731
    return {
        "embed": jnp.asarray(r.standard_normal((V, D)).astype(np.float32)),
        "pos": jnp.asarray(r.standard_normal((128, D)).astype(np.float32) * 0.5),
        "layers": [{k: w(D, D) for k in ("q", "k", "v", "o")} for _ in range(L)],
    }


def step(params, input_ids, attention_mask, position_ids, past):
    """A decoder step: token and position embeddings, L layers of causal attention over
    the cache and the new tokens, tied output embedding."""
    x = params["embed"][input_ids] + params["pos"][position_ids]
    b, s = input_ids.shape
    present = []
    for lp, (pk, pv) in zip(params["layers"], past):
        split = lambda t: t.reshape(b, s, H, DH).transpose(0, 2, 1, 3)  # noqa: E731
        q, k, v = split(x @ lp["q"]), split(x @ lp["k"]), split(x @ lp["v"])
        k, v = jnp.concatenate([pk, k], axis=2), jnp.concatenate([pv, v], axis=2)
        present.append((k, v))
        t = k.shape[2]
        scores = jnp.einsum("bhqd,bhkd->bhqk", q, k) / np.sqrt(DH)
        causal = jnp.arange(t)[None, :] <= jnp.arange(s)[:, None] + (t - s)
        allowed = causal[None, None] & (attention_mask[:, None, None, :] > 0)
        att = jax.nn.softmax(jnp.where(allowed, scores, -1e9), axis=-1)
        x = x + jnp.einsum("bhqk,bhkd->bhqd", att, v).transpose(0, 2, 1, 3).reshape(b, s, D) @ lp["o"]
    x = x / jnp.sqrt(jnp.mean(x * x, axis=-1, keepdims=True) + 1e-6)
    return x @ params["embed"].T, present


def _tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=V,
        special_tokens=["<unk>", "<s>", "</s>"],
        initial_alphabet=sorted(set("".join(TEXT))),
        min_frequency=1,
    )
    tok.train_from_iterator(TEXT * 20, trainer)
    assert tok.get_vocab_size() <= V
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("genai"))
    params = _params()
    model = ovjax.genai.export(step, params, out, tokenizer=_tokenizer(), config=CONFIG)
    return out, params, model


def jax_greedy(params, prompt: list[int], n: int, step_fn=step, cfg=ovjax.genai.Config.of(CONFIG)) -> list[int]:
    """JAX's own greedy decoding with `step_fn`, one token a step on a growing cache."""
    past = tuple((jnp.zeros((1, cfg.num_kv_heads, 0, cfg.head_dim)),) * 2 for _ in range(cfg.num_layers))
    cur, total, out = np.array([prompt], np.int32), len(prompt), []
    for _ in range(n):
        s = cur.shape[1]
        pos = jnp.arange(total - s, total, dtype=jnp.int32)[None]
        logits, present = step_fn(params, jnp.asarray(cur), jnp.ones((1, total), jnp.int32), pos, past)
        past = tuple(tuple(kv) for kv in present)
        out.append(int(jnp.argmax(logits[0, -1])))
        cur, total = np.array([[out[-1]]], np.int32), total + 1
    return out


BACKENDS = ["stateful", "paged"]
F32 = {"INFERENCE_PRECISION_HINT": "f32", "KV_CACHE_PRECISION": "f32"}


def scheduler_config():
    """Paged attention's scheduler with a 1 GB cache (its default takes far more)."""
    scheduler = og.SchedulerConfig()
    scheduler.cache_size = 1  # GB
    return scheduler


def pipeline(out, backend, precision=F32):
    """LLMPipeline with one backend, explicitly (on x86 its default is paged attention, with a
    silent fall back to the stateful model when the conversion fails); `precision` {} for
    the CPU plugin's defaults."""
    if backend == "stateful":
        return og.LLMPipeline(out, "CPU", ATTENTION_BACKEND="SDPA", **precision)
    return og.LLMPipeline(out, "CPU", scheduler_config=scheduler_config(), ATTENTION_BACKEND="PA", **precision)


def greedy_against_jax(pipe, params, text: str, n: int = 12) -> tuple[list[int], int]:
    """The pipeline's n greedy tokens for `text`, and how many of them, from the first, are
    JAX's own greedy tokens with `params`."""
    cfg = og.GenerationConfig()
    cfg.max_new_tokens, cfg.ignore_eos = n, True
    ids = pipe.get_tokenizer().encode(text)
    got = [int(t) for t in pipe.generate(ids, cfg).tokens[0]]
    want = jax_greedy(params, [int(t) for t in np.asarray(ids.input_ids.data)[0]], n)
    return got, next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), len(want))


def run_example(name: str) -> None:
    """examples/<name> as a user runs it: it exits 0 and says its greedy tokens are JAX's."""
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p = subprocess.run(
        [sys.executable, os.path.join(root, "examples", name)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "CI": "true"},
    )
    assert p.returncode == 0 and "greedy tokens are JAX's" in p.stdout, p.stdout[-2000:] + p.stderr[-3000:]


def test_export_writes_genais_contract(exported):
    out, _, model = exported
    for f in (
        "openvino_model.xml",
        "openvino_model.bin",
        "openvino_tokenizer.xml",
        "openvino_detokenizer.xml",
        "config.json",
        "generation_config.json",
        "tokenizer.json",
    ):
        assert os.path.exists(os.path.join(out, f)), f
    m = ov.Core().read_model(os.path.join(out, "openvino_model.xml"))
    assert [(i.get_any_name(), i.get_element_type()) for i in m.inputs] == [
        ("input_ids", ov.Type.i64),
        ("attention_mask", ov.Type.i64),
        ("position_ids", ov.Type.i64),
        ("beam_idx", ov.Type.i32),
    ]
    assert [o.get_any_name() for o in m.outputs] == ["logits"]
    assert str(m.output(0).get_partial_shape()) == f"[?,?,{V}]"
    reads = sorted(op.get_friendly_name() for op in m.get_ops() if op.get_type_name() == "ReadValue")
    assert len(reads) == 2 * L and len(m.get_sinks()) == 2 * L, reads
    gathers = [
        op
        for op in m.get_ops()
        if op.get_type_name() == "Gather" and op.input_value(0).get_node().get_type_name() == "ReadValue"
    ]
    assert len(gathers) == 2 * L, "each cache read is reordered by beam_idx"
    sdpa = [op for op in m.get_ops() if op.get_type_name() == "ScaledDotProductAttention"]
    assert len(sdpa) == L, "each layer's attention is ScaledDotProductAttention"
    with open(os.path.join(out, "generation_config.json")) as f:
        assert json.load(f) == {"bos_token_id": 1, "eos_token_id": 2}
    with open(os.path.join(out, "config.json")) as f:
        written = json.load(f)
    assert (written["vocab_size"], written["num_hidden_layers"], written["num_key_value_heads"]) == (V, L, H)


@pytest.mark.parametrize("backend", BACKENDS)
def test_llm_pipeline_greedy_is_jaxs(exported, backend):
    out, params, _ = exported
    pipe = pipeline(out, backend)
    cfg = og.GenerationConfig()
    cfg.max_new_tokens, cfg.ignore_eos = 12, True
    for text in ("hello world", "the lazy dog jumps"):
        ids = pipe.get_tokenizer().encode(text)
        prompt = [int(t) for t in np.asarray(ids.input_ids.data)[0]]
        got = [int(t) for t in pipe.generate(ids, cfg).tokens[0]]
        want = jax_greedy(params, prompt, 12)
        assert len(set(want)) > 3, f"a degenerate test model: {want}"
        assert got == want, (text, prompt)
    # text in, text out
    assert isinstance(pipe.generate("hello", max_new_tokens=4), str)


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_prompts_of_different_lengths_in_one_call(exported, backend):
    """A batch of two prompts (the stateful backend pads the shorter one and masks it; paged
    attention schedules them as two sequences): each gets the greedy tokens JAX gives it
    alone."""
    out, params, _ = exported
    pipe = pipeline(out, backend)
    cfg = og.GenerationConfig()
    cfg.max_new_tokens, cfg.ignore_eos = 8, True
    texts = ["hello world", "the quick brown fox jumps over"]
    got = pipe.generate(texts, cfg)
    tok = pipe.get_tokenizer()
    for text, answer in zip(texts, got.texts):
        prompt = [int(t) for t in np.asarray(tok.encode(text).input_ids.data)[0]]
        want = tok.decode(jax_greedy(params, prompt, 8))
        assert answer == want, (text, answer, want)


@pytest.mark.parametrize("backend", BACKENDS)
def test_beam_search_and_sampling(exported, backend):
    out, _, _ = exported
    pipe = pipeline(out, backend)
    beams = og.GenerationConfig()
    beams.max_new_tokens, beams.num_beams, beams.num_return_sequences, beams.ignore_eos = 6, 4, 4, True
    beams.num_beam_groups = 1
    r = pipe.generate(["hello world"], beams)
    assert len(r.texts) == 4 and len(set(r.texts)) > 1, r.texts
    sampling = og.GenerationConfig()
    sampling.max_new_tokens, sampling.do_sample, sampling.num_return_sequences, sampling.ignore_eos = 6, True, 2, True
    sampling.rng_seed, sampling.temperature = 7, 1.5
    first = pipe.generate(["the quick brown fox"], sampling).texts
    assert len(first) == 2
    assert pipe.generate(["the quick brown fox"], sampling).texts == first, "a fixed seed samples the same"


@pytest.mark.parametrize("backend", BACKENDS)
def test_default_precision_generates(exported, backend, capsys):
    """At the CPU plugin's defaults (bf16 compute on CPUs with AVX512-BF16, a u8 KV cache)
    the model generates; how many greedy tokens stay JAX's f32 ones is printed (this tiny
    random model's logits are close together, so rounding moves them early)."""
    out, params, _ = exported
    got, same = greedy_against_jax(pipeline(out, backend, precision={}), params, "the quick brown fox")
    precision = ov.Core().get_property("CPU", "INFERENCE_PRECISION_HINT").get_type_name()
    with capsys.disabled():
        print(f"\n{backend}, default precision ({precision}): the first {same} of 12 greedy tokens are JAX's f32 ones")
    assert len(got) == 12 and all(0 <= t < V for t in got)


def test_paged_attention_is_what_runs(exported):
    """The paged backend really is paged: GenAI's conversion (SDPAToPagedAttention) turns
    each layer's attention into PagedAttentionExtension, and ContinuousBatchingPipeline,
    which has no stateful fall back, gives JAX's greedy tokens."""
    from openvino._offline_transformations import paged_attention_transformation

    out, params, _ = exported
    m = ov.Core().read_model(os.path.join(out, "openvino_model.xml"))
    paged_attention_transformation(m, False, False)
    ops = collections.Counter(op.get_type_name() for op in m.get_ops())
    assert ops["PagedAttentionExtension"] == L and ops["ScaledDotProductAttention"] == 0, ops
    assert ops["ReadValue"] == 0, "the cache is the pipeline's blocks, not state"
    cb = og.ContinuousBatchingPipeline(out, scheduler_config(), "CPU", F32)
    tok = cb.get_tokenizer()
    cfg = og.GenerationConfig()
    cfg.max_new_tokens, cfg.ignore_eos = 12, True
    prompts = ["hello world", "jumps over the lazy dog"]
    results = cb.generate([tok.encode(t).input_ids for t in prompts], [cfg, cfg])
    for text, r in zip(prompts, results):
        prompt = [int(t) for t in np.asarray(tok.encode(text).input_ids.data)[0]]
        assert [int(t) for t in r.m_generation_ids[0]] == jax_greedy(params, prompt, 12), text


def test_reset_state_gives_a_fresh_models_logits(exported):
    out, _, _ = exported
    compiled = ov.Core().compile_model(
        os.path.join(out, "openvino_model.xml"), "CPU", {"INFERENCE_PRECISION_HINT": "f32"}
    )
    req = compiled.create_infer_request()

    def run(ids, total):
        s = ids.shape[1]
        pos = np.arange(total - s, total, dtype=np.int64)[None]
        return req.infer(
            {
                "input_ids": ids,
                "attention_mask": np.ones((1, total), np.int64),
                "position_ids": pos,
                "beam_idx": np.zeros(1, np.int32),
            }
        )[0].copy()

    prompt = np.array([[5, 9, 13]], np.int64)
    first = run(prompt, 3)
    second = run(np.array([[21]], np.int64), 4)
    req.reset_state()
    np.testing.assert_array_equal(run(prompt, 3), first)
    np.testing.assert_array_equal(run(np.array([[21]], np.int64), 4), second)
    fresh = compiled.create_infer_request()
    req2 = fresh.infer(
        {
            "input_ids": prompt,
            "attention_mask": np.ones((1, 3), np.int64),
            "position_ids": np.arange(3, dtype=np.int64)[None],
            "beam_idx": np.zeros(1, np.int32),
        }
    )[0]
    np.testing.assert_array_equal(req2, first)


def test_genai_example_runs():
    """examples/genai_gpt2.py: export, streamed generation, tokens checked against JAX."""
    run_example("genai_gpt2.py")


def test_step_function_errors(tmp_path):
    params = _params()
    tok = _tokenizer()

    def logits_only(params, ids, mask, pos, past):
        return step(params, ids, mask, pos, past)[0]

    with pytest.raises(ValueError, match=r"must return \(logits, present\)"):
        ovjax.genai.export(logits_only, params, str(tmp_path), tokenizer=tok, config=CONFIG)

    def cache_not_grown(params, ids, mask, pos, past):
        logits, _ = step(params, ids, mask, pos, past)
        return logits, past

    with pytest.raises(ValueError, match=r"present\[0\] has P positions where the cache must grow"):
        ovjax.genai.export(cache_not_grown, params, str(tmp_path), tokenizer=tok, config=CONFIG)

    def written_for_four_tokens(params, ids, mask, pos, past):
        return step(params, ids.reshape(ids.shape[0], 4), mask, pos, past)

    with pytest.raises(ValueError, match=r"does not trace with a symbolic batch B, sequence length S.*\(B, 4, 32\)"):
        ovjax.genai.export(written_for_four_tokens, params, str(tmp_path), tokenizer=tok, config=CONFIG)

    def four_rows_of_logits(params, ids, mask, pos, past):
        logits, present = step(params, ids, mask, pos, past)
        return logits[:, :4], present  # right for prompts of up to 4 tokens only

    with pytest.raises(ValueError, match=r"logits must be \[B, S, vocabulary\].*\(B, min\(S, 4\), 96\)"):
        ovjax.genai.export(four_rows_of_logits, params, str(tmp_path), tokenizer=tok, config=CONFIG)
    with pytest.raises(ValueError, match=r"present must be 3 \(key, value\) pairs"):
        ovjax.genai.export(step, params, str(tmp_path), tokenizer=tok, config={**CONFIG, "num_layers": 3})
    with pytest.raises(ValueError, match=r"does not give num_kv_heads, head_dim"):
        ovjax.genai.export(step, params, str(tmp_path), tokenizer=tok, config={"num_layers": L, "eos_token_id": 2})
    with pytest.raises(ValueError, match=r"weights= takes None, 'int8' or 'int4'"):
        ovjax.genai.export(step, params, str(tmp_path), tokenizer=tok, config=CONFIG, weights="int3")


@pytest.mark.parametrize("weights", ["int8", "int4"])
def test_compressed_weights(weights, tmp_path):
    """weights="int8" / "int4": NNCF compresses the MatMul and embedding weights; the model
    still loads in LLMPipeline and generates (how many greedy tokens stay JAX's f32 ones is
    printed)."""
    params = _params()
    model = ovjax.genai.export(step, params, str(tmp_path), tokenizer=_tokenizer(), config=CONFIG, weights=weights)
    narrow = [
        op
        for op in model.get_ops()
        if op.get_type_name() == "Constant"
        and op.get_output_element_type(0) in (ov.Type.u8, ov.Type.i8, ov.Type.u4, ov.Type.i4)
    ]
    assert len(narrow) >= 4 * L, f"{len(narrow)} compressed constants"
    got, same = greedy_against_jax(pipeline(str(tmp_path), "stateful"), params, "hello world")
    print(f"{weights}: the first {same} of 12 greedy tokens are JAX's f32 ones")
    assert len(got) == 12


# ---------------------------------------------------------------- transformers models


def _hf_model(name):
    from transformers import (
        FlaxGPT2LMHeadModel,
        FlaxLlamaForCausalLM,
        FlaxMistralForCausalLM,
        GPT2Config,
        MistralConfig,
    )

    from models.test_transformers import _llama_config

    if name == "gpt2":
        model = FlaxGPT2LMHeadModel(
            GPT2Config(vocab_size=100, n_embd=32, n_layer=2, n_head=4, n_positions=64), input_shape=(1, 8)
        )
    elif name == "mistral":  # Llama's layers with a sliding window of 3 (plus each query's own position)
        llama = {k: v for k, v in _llama_config(bos_token_id=1, eos_token_id=2).to_dict().items() if k != "model_type"}
        config = MistralConfig(**llama, sliding_window=3)
        model = FlaxMistralForCausalLM(config, input_shape=(1, 8))
    else:  # grouped-query attention
        model = FlaxLlamaForCausalLM(_llama_config(bos_token_id=1, eos_token_id=2), input_shape=(1, 8))
    shapes = model.params  # a model holding its params, as users have it
    r = np.random.default_rng(3)
    # random weights of a size that makes greedy decoding vary; norms' scales near 1, biases near 0

    def init(path, a):
        is_scale = str(path[-1].key) in ("scale", "weight")
        x = r.standard_normal(a.shape) * (0.3 if len(a.shape) > 1 else 0.1) + (1.0 if is_scale else 0.0)
        return jnp.asarray(x.astype(np.float32))

    model.params = jax.tree_util.tree_map_with_path(init, shapes)
    return model


@pytest.mark.parametrize("name", ["gpt2", "llama", "mistral"])
def test_adapter_is_the_transformers_model(name):
    """The adapter's step, with an empty cache and with a cache of five tokens, gives the
    logits of the transformers model's own forward pass over the whole sequence."""
    model = _hf_model(name)
    step_fn, params, cfg = ovjax.genai.adapt(model)
    ids = np.random.default_rng(1).integers(0, 100, (2, 7)).astype(np.int32)
    mask = np.ones((2, 7), np.int32)
    want = np.asarray(model(ids, attention_mask=mask, params=params).logits)
    empty = tuple((jnp.zeros((2, cfg.num_kv_heads, 0, cfg.head_dim)),) * 2 for _ in range(cfg.num_layers))
    pos = jnp.broadcast_to(jnp.arange(7, dtype=jnp.int32), (2, 7))
    got, _ = step_fn(params, ids, mask, pos, empty)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())
    _, cache = step_fn(params, ids[:, :5], mask[:, :5], pos[:, :5], empty)
    got, _ = step_fn(params, ids[:, 5:], mask, pos[:, 5:], tuple(tuple(kv) for kv in cache))
    np.testing.assert_allclose(got, want[:, 5:], rtol=1e-4, atol=1e-4 * np.abs(want).max())


@pytest.mark.parametrize("name", ["gpt2", "llama", "mistral"])
def test_export_of_a_transformers_model(name, tmp_path):
    """ovjax.genai.export(model, out_dir, tokenizer=tok): LLMPipeline, stateful and paged,
    gives the greedy tokens of JAX decoding with the same model."""
    model = _hf_model(name)
    ovjax.genai.export(model, str(tmp_path), tokenizer=_tokenizer())
    with open(os.path.join(tmp_path, "config.json")) as f:
        assert json.load(f)["model_type"] == name
    step_fn, params, cfg = ovjax.genai.adapt(model)
    gen = og.GenerationConfig()
    gen.max_new_tokens, gen.ignore_eos = 12, True
    for backend in BACKENDS:
        pipe = pipeline(str(tmp_path), backend)
        ids = pipe.get_tokenizer().encode("the quick brown fox")
        prompt = [int(t) for t in np.asarray(ids.input_ids.data)[0]]
        got = [int(t) for t in pipe.generate(ids, gen).tokens[0]]
        want = jax_greedy(params, prompt, 12, step_fn, cfg)
        assert len(set(want)) > 3, f"a degenerate test model: {want}"
        assert got == want, backend
        two = pipe.generate(["the quick brown fox", "hello"], gen).texts
        tok = pipe.get_tokenizer()
        for text, answer in zip(["the quick brown fox", "hello"], two):
            prompt = [int(t) for t in np.asarray(tok.encode(text).input_ids.data)[0]]
            assert answer == tok.decode(jax_greedy(params, prompt, 12, step_fn, cfg)), (backend, text)


def test_no_adapter_is_a_clear_error(tmp_path):
    class FlaxSomethingElse:
        pass

    with pytest.raises(
        ValueError,
        match=r"no adapter for FlaxSomethingElse; adapters exist for FlaxGPT2LMHeadModel, FlaxLlamaForCausalLM, "
        r"FlaxMistralForCausalLM",
    ):
        ovjax.genai.export(FlaxSomethingElse(), str(tmp_path), tokenizer=_tokenizer())
