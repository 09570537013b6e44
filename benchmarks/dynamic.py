"""Dynamic shapes: one converted model with symbolic batch and sequence (README "Dynamic
shapes") against a static model converted for one size and against jax.jit at each size,
measured in the same run.

    python benchmarks/dynamic.py            # every part
    python benchmarks/dynamic.py --quick    # fewer rounds

1. Latency per transformer (single requests; routes interleaved in rounds, each route's
   result the median over rounds of its per-round median, as benchmarks/inference.py):
   - at the traced size: the dynamic model / the static model, at f32 and at the CPU
     plugin's default precision (target: within 10%);
   - at other sizes: jax.jit / the dynamic model (jax.jit compiles per shape; target: >= 1).
2. Compile time: compile_model of one dynamic model against converting and compiling one
   static model per size for ten sizes (what a server does without dynamic shapes).
3. Conversion time of a symbolic jaxpr of about 3,000 equations against jax.make_jaxpr's
   time for it, each round tracing a fresh function (target: below make_jaxpr's).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("CI", "true")

import jax
import jax.numpy as jnp
import numpy as np
import openvino as ov
from jax import export

import ovjax

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

from ab import cpu_flags  # noqa: E402
from inference import _hf, interleaved  # noqa: E402

F32 = {"INFERENCE_PRECISION_HINT": "f32"}


def bert(seq_limit=512):
    from transformers import BertConfig, FlaxBertModel

    cfg = BertConfig(
        vocab_size=1000,
        hidden_size=128,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=512,
        max_position_embeddings=seq_limit,
    )
    model, params = _hf(FlaxBertModel, cfg, (1, 64))

    def fn(ids, mask):
        return model(ids, attention_mask=mask, params=params).last_hidden_state

    return fn, seq_limit


def gpt2():
    from transformers import FlaxGPT2LMHeadModel, GPT2Config

    cfg = GPT2Config(vocab_size=1000, n_embd=256, n_layer=4, n_head=4, n_positions=128)
    model, params = _hf(FlaxGPT2LMHeadModel, cfg, (1, 64))

    def fn(ids, mask):
        return model(ids, attention_mask=mask, params=params).logits

    return fn, 128


MODELS = {"bert-small": bert, "gpt2": gpt2}
TRACED = (1, 64)  # (batch, sequence) of the static model
OTHER = [(1, 16), (1, 128), (4, 32)]


def tokens(b, s, seed=0):
    return np.random.default_rng(seed).integers(0, 1000, (b, s)).astype(np.int32), np.ones((b, s), np.int32)


def request(compiled, args):
    req = compiled.create_infer_request()
    for i, a in enumerate(args):
        req.set_input_tensor(i, ov.Tensor(np.ascontiguousarray(a)))
    req.infer()
    return req.infer, [req.get_output_tensor(i).data.copy() for i in range(len(compiled.outputs))]


def latency(rounds, round_seconds):
    core = ov.Core()
    print("\n## 1. Latency (ms; ratios > 1: the first route is slower)")
    print(
        f"{'model':11} {'size':>8} | {'static f32':>10} {'dyn f32':>8} {'dyn/stat':>8} | "
        f"{'static def':>10} {'dyn def':>8} {'dyn/stat':>8} | {'jax.jit':>8} {'jit/dyn f32':>11} {'max err':>8}"
    )
    for name, build in MODELS.items():
        fn, limit = build()
        b, s = export.symbolic_shape("B, S", constraints=[f"S <= {limit}"])
        spec = (jax.ShapeDtypeStruct((b, s), jnp.int32),) * 2
        dyn = ovjax.convert_model(fn, example_input=spec)
        static = ovjax.convert_model(fn, example_input=tokens(*TRACED))
        compiled = {
            ("dyn", "f32"): core.compile_model(dyn, "CPU", F32),
            ("dyn", "def"): core.compile_model(dyn, "CPU"),
            ("static", "f32"): core.compile_model(static, "CPU", F32),
            ("static", "def"): core.compile_model(static, "CPU"),
        }
        jitted = jax.jit(fn)
        for size in [TRACED, *OTHER]:
            args = tokens(*size)
            want = np.asarray(jitted(*args))
            runs, err = {}, 0.0
            for (kind, prec), c in compiled.items():
                if kind == "static" and size != TRACED:
                    continue
                runs[f"{kind} {prec}"], out = request(c, args)
                if prec == "f32":
                    err = max(err, float(np.abs(out[0] - want).max()))
            runs["jit"] = lambda args=args: jax.block_until_ready(jitted(*args))
            lat = interleaved(runs, rounds, round_seconds)
            ms = {k: v * 1e3 for k, v in lat.items()}
            if size == TRACED:
                stat = (
                    f"{ms['static f32']:10.2f} {ms['dyn f32']:8.2f} {ms['dyn f32'] / ms['static f32']:8.2f} | "
                    f"{ms['static def']:10.2f} {ms['dyn def']:8.2f} {ms['dyn def'] / ms['static def']:8.2f}"
                )
            else:
                stat = f"{'-':>10} {ms['dyn f32']:8.2f} {'-':>8} | {'-':>10} {ms['dyn def']:8.2f} {'-':>8}"
            print(
                f"{name:11} {size[0]}x{size[1]:<5} | {stat} | {ms['jit']:8.2f} {ms['jit'] / ms['dyn f32']:11.2f} "
                f"{err:8.1e}",
                flush=True,
            )


def compile_times(rounds):
    core = ov.Core()
    print("\n## 2. Compile time: one dynamic model against one static model per size (ten sizes), s")
    fn, limit = bert()
    sizes = [(1, s) for s in (8, 16, 24, 32, 48, 64, 96, 128, 192, 256)]
    b, s = export.symbolic_shape("B, S", constraints=[f"S <= {limit}"])
    spec = (jax.ShapeDtypeStruct((b, s), jnp.int32),) * 2
    dyn_t, static_t = [], []
    for _ in range(rounds):  # interleaved: dynamic, then the ten static ones
        t = time.perf_counter()
        core.compile_model(ovjax.convert_model(fn, example_input=spec), "CPU", F32)
        dyn_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        for size in sizes:
            core.compile_model(ovjax.convert_model(fn, example_input=tokens(*size)), "CPU", F32)
        static_t.append(time.perf_counter() - t)
    d, st = statistics.median(dyn_t), statistics.median(static_t)
    print(
        f"bert-small: convert + compile one dynamic model {d:.2f} s; ten static models {st:.2f} s "
        f"({st / d:.1f}x the dynamic one); medians of {rounds} rounds"
    )


def chain(x, ws):
    for i, w in enumerate(ws):
        x = jnp.tanh(x @ w) + x * 0.5 if i % 2 else jax.nn.relu(x @ w) - x
    return x


def conversion_time(rounds):
    print("\n## 3. Conversion of a symbolic jaxpr against jax.make_jaxpr, ms")
    rng = np.random.default_rng(0)
    ws = [rng.standard_normal((64, 64)).astype(np.float32) * 0.1 for _ in range(860)]
    (b,) = export.symbolic_shape("B")
    spec = jax.ShapeDtypeStruct((b, 64), jnp.float32)
    closed = jax.make_jaxpr(chain)(spec, ws)
    n = len(closed.jaxpr.eqns)
    trace, convert = [], []
    for _ in range(rounds):
        # a fresh function each time: jax.make_jaxpr caches the trace of one it has seen
        t = time.perf_counter()
        jax.make_jaxpr(lambda x, w: chain(x, w))(spec, ws)
        trace.append(time.perf_counter() - t)
        t = time.perf_counter()
        ovjax.convert_model(closed)
        convert.append(time.perf_counter() - t)
    tr, cv = statistics.median(trace) * 1e3, statistics.median(convert) * 1e3
    print(
        f"{n} equations, input [B, 64]: jax.make_jaxpr {tr:.1f} ms, ovjax.convert_model {cv:.1f} ms "
        f"({cv / tr:.2f}x make_jaxpr); medians of {rounds} interleaved rounds"
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--part", type=int, choices=(1, 2, 3), help="only this part")
    a = ap.parse_args()
    rounds, round_seconds = (3, 0.05) if a.quick else (9, 0.15)
    core = ov.Core()
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, flags: {cpu_flags()}; "
        f"openvino {ov.get_version()}, jax {jax.__version__}, ovjax {ovjax.__version__}"
    )
    print(f"# CPU default inference precision: {core.get_property('CPU', 'INFERENCE_PRECISION_HINT')}")
    if a.part in (None, 1):
        latency(rounds, round_seconds)
    if a.part in (None, 2):
        compile_times(3 if a.quick else 5)
    if a.part in (None, 3):
        conversion_time(5 if a.quick else 11)


if __name__ == "__main__":
    main()
