"""A JAX GPT-2 served by OpenVINO GenAI: export with ovjax, generate with LLMPipeline.

    pip install ".[genai,models]" && python examples/genai_gpt2.py   # models: transformers 4.57 and flax

Builds a small GPT-2 (transformers' FlaxGPT2LMHeadModel, 4 layers of width 128) with
random weights and a byte-level BPE tokenizer trained here on a few sentences (no model
hub), exports both with `ovjax.genai.export`, and streams `LLMPipeline.generate`'s output.
Random weights make random text; the tokens are checked against JAX's own greedy
decoding of the same model, and the script exits non-zero if they differ.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

import jax
import jax.numpy as jnp
import numpy as np

import ovjax.genai

CORPUS = [
    "OpenVINO runs the models JAX trained.",
    "A language model predicts the next token from the ones before it.",
    "The quick brown fox jumps over the lazy dog.",
    "Tokens go in, logits come out, and the cache grows by one token a step.",
]


def tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(
        CORPUS * 10,
        trainers.BpeTrainer(
            vocab_size=300,
            special_tokens=["<unk>", "<|endoftext|>"],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        ),
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<|endoftext|>", eos_token="<|endoftext|>", unk_token="<unk>"
    )


def gpt2(vocab: int):
    from transformers import FlaxGPT2LMHeadModel, GPT2Config

    config = GPT2Config(
        vocab_size=vocab, n_embd=128, n_layer=4, n_head=4, n_positions=256, bos_token_id=1, eos_token_id=1
    )
    model = FlaxGPT2LMHeadModel(config, input_shape=(1, 8), seed=0)
    r = np.random.default_rng(0)

    def init(path, a):  # weights large enough for the text to vary
        name = str(path[-1].key)
        x = r.standard_normal(a.shape) * (0.5 if a.ndim > 1 else 0.05) + (1.0 if name == "scale" else 0.0)
        return jnp.asarray(x.astype(np.float32))

    model.params = jax.tree_util.tree_map_with_path(init, model.params)
    return model


def jax_greedy(model, prompt: list[int], n: int) -> list[int]:
    step, params, cfg = ovjax.genai.adapt(model)
    past = tuple((jnp.zeros((1, cfg.num_kv_heads, 0, cfg.head_dim)),) * 2 for _ in range(cfg.num_layers))
    cur, total, out = np.array([prompt], np.int32), len(prompt), []
    for _ in range(n):
        pos = jnp.arange(total - cur.shape[1], total, dtype=jnp.int32)[None]
        logits, cache = step(params, jnp.asarray(cur), jnp.ones((1, total), jnp.int32), pos, past)
        past = tuple(tuple(kv) for kv in cache)
        out.append(int(jnp.argmax(logits[0, -1])))
        cur, total = np.array([[out[-1]]], np.int32), total + 1
    return out


def main() -> int:
    import openvino_genai as og

    tok = tokenizer()
    model = gpt2(len(tok))
    out_dir = os.path.join(tempfile.mkdtemp(), "gpt2-genai")
    t = time.perf_counter()
    ovjax.genai.export(model, out_dir, tokenizer=tok)
    print(f"exported to {out_dir} in {time.perf_counter() - t:.1f} s: {sorted(os.listdir(out_dir))}")

    pipe = og.LLMPipeline(out_dir, "CPU", INFERENCE_PRECISION_HINT="f32", KV_CACHE_PRECISION="f32")
    config = og.GenerationConfig()
    config.max_new_tokens, config.ignore_eos = 24, True
    prompt = "The quick brown fox"
    print(f"\n{prompt}", end="", flush=True)
    pipe.generate(prompt, config, lambda text: print(text, end="", flush=True) and False)  # streamed
    print()

    ids = pipe.get_tokenizer().encode(prompt)
    got = [int(t) for t in pipe.generate(ids, config).tokens[0]]
    want = jax_greedy(model, [int(t) for t in np.asarray(ids.input_ids.data)[0]], config.max_new_tokens)
    same = got == want
    print(f"\nLLMPipeline's greedy tokens {'are' if same else 'are NOT'} JAX's: {got}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
