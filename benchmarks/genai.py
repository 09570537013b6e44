"""Language models served by OpenVINO GenAI against JAX's own generation (issue 15).

    python benchmarks/genai.py [--rounds 3] [-k gpt2]

Models (transformers Flax, random weights, no downloads):
  gpt2-small  FlaxGPT2LMHeadModel, 12 layers x 768, 12 heads, vocabulary 50257 (124M parameters)
  llama-100m  FlaxLlamaForCausalLM, 12 layers x 768, 12 heads (4 key/value heads), MLP 2048,
              vocabulary 32000 (about 100M parameters)
Batch 1, a prompt of 128 random token ids, 64 new tokens, greedy (end of sequence ignored).

Routes, each in a fresh process (peak RSS is the process's), taking turns in each round:
  jax          the model's own generate (transformers' Flax greedy search, jax.jit-compiled,
               its preallocated KV cache); time to first token = generate with 1 new token,
               decode = the 63 further tokens of generate with 64, both after a warm-up call
  genai f32    ovjax.genai.export, LLMPipeline(..., "CPU", INFERENCE_PRECISION_HINT=f32,
               KV_CACHE_PRECISION=f32): GenAI's perf_metrics (TTFT, TPOT) after a warm-up on
               another prompt (paged attention caches prefixes);
               its default backend (paged attention on x86)
  genai f32 stateful  the same with ATTENTION_BACKEND=SDPA (the stateful model)
  genai default  the CPU plugin's defaults (bf16 compute and a u8 cache where AVX512-BF16 is)
  genai int8   weights="int8" (NNCF), f32 compute
Targets: decode tokens/s at f32 at least JAX's; int8 at least 2x JAX's f32; time to first
token no worse than JAX's. The CPU's flags are printed; figures are medians over rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ab import cpu_flags  # noqa: E402

PROMPT, NEW = 128, 64
ROUTES = ("jax", "genai f32", "genai f32 stateful", "genai default", "genai int8")


def build(name: str):
    import jax
    import jax.numpy as jnp
    import numpy as np

    if name == "gpt2-small":
        from transformers import FlaxGPT2LMHeadModel, GPT2Config

        cfg = GPT2Config(n_embd=768, n_layer=12, n_head=12, n_positions=1024, vocab_size=50257)
        cls = FlaxGPT2LMHeadModel
    else:
        from transformers import FlaxLlamaForCausalLM, LlamaConfig

        cfg = LlamaConfig(
            vocab_size=32000,
            hidden_size=768,
            intermediate_size=2048,
            num_hidden_layers=12,
            num_attention_heads=12,
            num_key_value_heads=4,
            max_position_embeddings=1024,
            bos_token_id=1,
            eos_token_id=2,
        )
        cls = FlaxLlamaForCausalLM
    model = cls(cfg, input_shape=(1, 8), seed=0)  # a model holding its params, as users have it
    r = np.random.default_rng(0)

    def init(path, a):
        scale = str(path[-1].key) in ("scale", "weight")
        x = r.standard_normal(a.shape).astype(np.float32) * (0.02 if len(a.shape) > 1 else 0.0) + (
            1.0 if scale else 0.0
        )
        return jnp.asarray(x)

    model.params = jax.tree_util.tree_map_with_path(init, model.params)
    # 64 new tokens whatever comes: an end-of-sequence id the model cannot produce
    model.generation_config.eos_token_id = model.config.eos_token_id = cfg.vocab_size
    return model


def tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.train_from_iterator(
        ["a tokenizer for a benchmark"] * 10,
        trainers.BpeTrainer(vocab_size=300, special_tokens=["<unk>", "<s>", "</s>"]),
    )
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>")


def prompt_ids(vocab: int, seed: int = 1):
    import numpy as np

    return np.random.default_rng(seed).integers(3, vocab, (1, PROMPT)).astype(np.int64)


def child(name: str, route: str, export_dir: str) -> dict:
    import numpy as np

    if route == "jax":
        import functools

        import jax

        model = build(name)
        ids = prompt_ids(model.config.vocab_size).astype(np.int32)
        jitted = {
            n: jax.jit(functools.partial(model.generate, max_new_tokens=n, do_sample=False, pad_token_id=0))
            for n in (1, NEW)
        }

        def gen(n):
            return jax.block_until_ready(jitted[n](ids).sequences)

        gen(1), gen(NEW)  # compile both
        t = time.perf_counter()
        gen(1)
        ttft = time.perf_counter() - t
        t = time.perf_counter()
        gen(NEW)
        total = time.perf_counter() - t
        decode = max(total - ttft, 1e-9) / (NEW - 1)
    else:
        import openvino_genai as og

        props = {
            "genai f32": {"INFERENCE_PRECISION_HINT": "f32", "KV_CACHE_PRECISION": "f32"},
            "genai f32 stateful": {
                "INFERENCE_PRECISION_HINT": "f32",
                "KV_CACHE_PRECISION": "f32",
                "ATTENTION_BACKEND": "SDPA",
            },
            "genai default": {},
            "genai int8": {"INFERENCE_PRECISION_HINT": "f32", "KV_CACHE_PRECISION": "f32"},
        }[route]
        path = os.path.join(export_dir, "int8" if route == "genai int8" else "plain")
        pipe = og.LLMPipeline(path, "CPU", **props)
        cfg = og.GenerationConfig()
        cfg.max_new_tokens, cfg.ignore_eos = NEW, True
        with open(os.path.join(path, "config.json")) as f:
            vocab = json.load(f)["vocab_size"]
        ones = ov_tensor(np.ones((1, PROMPT), np.int64))
        # the warm-up on another prompt: paged attention caches prefixes, and the same
        # prompt again would skip its prefill
        pipe.generate(og.TokenizedInputs(ov_tensor(prompt_ids(vocab, seed=2)), ones), cfg)
        m = pipe.generate(og.TokenizedInputs(ov_tensor(prompt_ids(vocab)), ones), cfg).perf_metrics
        ttft = m.get_ttft().mean / 1e3
        decode = m.get_tpot().mean / 1e3
    return {
        "ttft": ttft,
        "decode_tps": 1.0 / decode,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def ov_tensor(a):
    import openvino as ov

    return ov.Tensor(a)


def export_models(name: str, out: str) -> None:
    import ovjax.genai

    model = build(name)
    tok = tokenizer()
    for sub, weights in (("plain", None), ("int8", "int8")):
        ovjax.genai.export(model, os.path.join(out, sub), tokenizer=tok, weights=weights)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("-k", default="", help="only models whose name contains this")
    p.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    p.add_argument("--export", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    os.environ.setdefault("CI", "true")
    if args.child:
        print(json.dumps(child(*args.child)))
        return 0
    if args.export:
        export_models(*args.export)
        return 0
    import openvino as ov

    print(
        f"# {os.cpu_count()} cores, flags: {cpu_flags()}; openvino {ov.__version__}; "
        f"CPU default inference precision {ov.Core().get_property('CPU', 'INFERENCE_PRECISION_HINT')}"
    )
    for name in ("gpt2-small", "llama-100m"):
        if args.k not in name:
            continue
        with tempfile.TemporaryDirectory() as d:
            t = time.perf_counter()
            subprocess.run([sys.executable, __file__, "--export", name, d], check=True)
            print(
                f"\n## {name}: exported in {time.perf_counter() - t:.0f} s; batch 1, prompt {PROMPT}, {NEW} new tokens, "
                f"medians of {args.rounds} rounds",
                flush=True,
            )
            res = {r: [] for r in ROUTES}
            for _ in range(args.rounds):
                for route in ROUTES:
                    out = subprocess.run(
                        [sys.executable, __file__, "--child", name, route, d], capture_output=True, text=True
                    )
                    if out.returncode != 0:
                        print(f"{route}: failed\n{out.stderr[-2000:]}")
                        continue
                    res[route].append(json.loads(out.stdout.strip().splitlines()[-1]))
            med = {r: {k: statistics.median(x[k] for x in v) for k in v[0]} for r, v in res.items() if v}
            jax_tps = med["jax"]["decode_tps"] if "jax" in med else float("nan")
            print(f"{'route':19} {'TTFT ms':>8} {'decode tok/s':>12} {'/ jax':>6} {'peak RSS MB':>11}")
            for r, m in med.items():
                print(
                    f"{r:19} {m['ttft'] * 1e3:8.1f} {m['decode_tps']:12.1f} {m['decode_tps'] / jax_tps:6.2f} {m['rss_mb']:11.0f}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
