"""A Flax nnx decoder served by OpenVINO GenAI: export with ovjax, generate with LLMPipeline.

    pip install ".[genai,models]" && python examples/genai_nnx.py   # models: transformers (the tokenizer) and flax

Builds a small decoder out of flax.nnx modules (nnx.Embed; 2 blocks of nnx.RMSNorm,
nnx.MultiHeadAttention with 4 query heads sharing 2 key/value heads, nnx.RMSNorm and an
nnx.Linear MLP; a final nnx.RMSNorm and an nnx.Linear output projection) with random
weights, positions given by rotary embeddings (RoPE, on the queries and keys; no learned
position embeddings), and a byte-level BPE tokenizer trained here on a few
sentences (no model hub). The step function GenAI needs is the model's own ``__call__``
on a growing key/value cache: each block's attention is its nnx.MultiHeadAttention run by
``ovjax.genai.attend``, and the step takes the model's parameters as the nnx State that
``nnx.split`` gives (``nnx.merge`` puts the model back together inside the step).
``ovjax.genai.export`` writes the directory, ``LLMPipeline.generate`` streams the output.
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
from flax import nnx

import ovjax.genai

CORPUS = [
    "OpenVINO runs the models JAX trained.",
    "A language model predicts the next token from the ones before it.",
    "The quick brown fox jumps over the lazy dog.",
    "Tokens go in, logits come out, and the cache grows by one token a step.",
]


def tokenizer(corpus=CORPUS, vocab_size=300):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(
        list(corpus) * 10,
        trainers.BpeTrainer(
            vocab_size=vocab_size,
            special_tokens=["<unk>", "<|endoftext|>"],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        ),
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<|endoftext|>", eos_token="<|endoftext|>", unk_token="<unk>"
    )


def rotary(position_ids, head_dim: int, base: float = 10000.0):
    """RoPE at ``position_ids`` [B, S]: a function rotating queries or keys [B, S, H, head_dim]
    (the two halves of each head as the real and imaginary parts, as Llama has them)."""
    inv = 1.0 / base ** (jnp.arange(0, head_dim, 2, dtype=jnp.float32) / head_dim)
    angles = position_ids.astype(jnp.float32)[..., None, None] * inv  # [B, S, 1, head_dim / 2]
    sin, cos = jnp.sin(angles), jnp.cos(angles)

    def rotate(x):
        x1, x2 = jnp.split(x, 2, axis=-1)
        return jnp.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1).astype(x.dtype)

    return rotate


class Block(nnx.Module):
    def __init__(self, width: int, heads: int, kv_heads: int, hidden: int, *, rngs: nnx.Rngs):
        self.attn_norm = nnx.RMSNorm(width, rngs=rngs)
        self.attn = nnx.MultiHeadAttention(heads, width, num_kv_heads=kv_heads, use_bias=False, decode=False, rngs=rngs)
        self.mlp_norm = nnx.RMSNorm(width, rngs=rngs)
        self.up = nnx.Linear(width, hidden, rngs=rngs)
        self.down = nnx.Linear(hidden, width, rngs=rngs)

    def __call__(self, x, attention_mask, rotate, past):
        a, present = ovjax.genai.attend(self.attn, self.attn_norm(x), past, attention_mask, rotary=rotate)
        x = x + a
        return x + self.down(jax.nn.gelu(self.up(self.mlp_norm(x)))), present


class Decoder(nnx.Module):
    """Token embedding, pre-norm blocks of attention and MLP, final norm, output projection.
    ``__call__`` is GenAI's step (ovjax.genai's module docstring): (logits, present)."""

    def __init__(self, vocab: int, width=64, heads=4, kv_heads=2, layers=2, hidden=256, *, rngs: nnx.Rngs):
        self.kv_heads, self.head_dim = kv_heads, width // heads
        self.embed = nnx.Embed(vocab, width, embedding_init=nnx.initializers.normal(1.0), rngs=rngs)
        self.blocks = nnx.List([Block(width, heads, kv_heads, hidden, rngs=rngs) for _ in range(layers)])
        self.norm = nnx.RMSNorm(width, rngs=rngs)
        self.lm_head = nnx.Linear(width, vocab, use_bias=False, rngs=rngs)

    def __call__(self, input_ids, attention_mask, position_ids, past):
        x = self.embed(input_ids)
        rotate = rotary(position_ids, self.head_dim)
        present = []
        for block, kv in zip(self.blocks, past):
            x, kv = block(x, attention_mask, rotate, kv)
            present.append(kv)
        return self.lm_head(self.norm(x)), present

    def config(self, tok) -> dict:
        """What ovjax.genai.export needs beyond the step: the cache's shape and special tokens."""
        return {
            "num_layers": len(self.blocks),
            "num_kv_heads": self.kv_heads,
            "head_dim": self.head_dim,
            "eos_token_id": tok.eos_token_id,
            "bos_token_id": tok.bos_token_id,
            "max_length": 256,
        }


def step_of(model: nnx.Module):
    """(step, params): the model's __call__ as a function of its parameters (the nnx State)."""
    graphdef, params = nnx.split(model)

    def step(params, input_ids, attention_mask, position_ids, past):
        return nnx.merge(graphdef, params)(input_ids, attention_mask, position_ids, past)

    return step, params


def jax_greedy(model: Decoder, prompt: list[int], n: int) -> list[int]:
    """JAX's own greedy decoding with the model, without a cache: each new token from the
    model run over the whole sequence so far (padded on the right to one jitted shape,
    which the causal mask keeps from the tokens before it)."""
    step, params = step_of(model)
    total = len(prompt) + n
    empty = tuple((jnp.zeros((1, model.kv_heads, 0, model.head_dim)),) * 2 for _ in model.blocks)

    @jax.jit
    def logits(params, ids):
        mask, pos = jnp.ones((1, total), jnp.int32), jnp.arange(total, dtype=jnp.int32)[None]
        return step(params, ids, mask, pos, empty)[0][0]

    ids = np.zeros((1, total), np.int32)
    ids[0, : len(prompt)] = prompt
    for i in range(len(prompt), total):
        ids[0, i] = int(jnp.argmax(logits(params, jnp.asarray(ids))[i - 1]))
    return [int(t) for t in ids[0, len(prompt) :]]


def main() -> int:
    import openvino_genai as og

    tok = tokenizer()
    model = Decoder(len(tok), rngs=nnx.Rngs(0))
    step, params = step_of(model)
    out_dir = os.path.join(tempfile.mkdtemp(), "nnx-genai")
    t = time.perf_counter()
    ovjax.genai.export(step, params, out_dir, tokenizer=tok, config=model.config(tok))
    print(f"exported to {out_dir} in {time.perf_counter() - t:.1f} s: {sorted(os.listdir(out_dir))}")

    pipe = og.LLMPipeline(
        out_dir, "CPU", ATTENTION_BACKEND="SDPA", INFERENCE_PRECISION_HINT="f32", KV_CACHE_PRECISION="f32"
    )
    prompt, n = "The quick brown fox", 24
    print(f"\n{prompt}", end="", flush=True)

    def stream(text: str) -> bool:
        print(text, end="", flush=True)
        return False  # go on

    pipe.generate(prompt, max_new_tokens=n, ignore_eos=True, streamer=stream)
    print()

    config = og.GenerationConfig()
    config.max_new_tokens, config.ignore_eos = n, True
    ids = pipe.get_tokenizer().encode(prompt)
    got = [int(t) for t in pipe.generate(ids, config).tokens[0]]
    want = jax_greedy(model, [int(t) for t in np.asarray(ids.input_ids.data)[0]], n)
    same = got == want
    print(f"\nLLMPipeline's greedy tokens {'are' if same else 'are NOT'} JAX's: {got}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
