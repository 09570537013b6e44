"""Inference speed: ovjax-converted models on OpenVINO CPU against jax.jit on CPU, OpenVINO's
built-in JAX frontend and jax2onnx + OpenVINO's ONNX frontend, measured in the same run.

    python benchmarks/inference.py                  # every model
    python benchmarks/inference.py -k bert          # models whose name contains "bert"
    python benchmarks/inference.py --quick          # fewer iterations

For each model: latency of single requests (the routes take turns in 9 rounds; each route's
result is the median over rounds of its per-round median, see `interleaved`) of
  jax.jit          XLA on CPU, f32
  ovjax f32        ov.Core().compile_model(ovjax model, CPU, INFERENCE_PRECISION_HINT=f32)
  ovjax default    the CPU plugin's default precision (bf16 on CPUs with AVX512-BF16/AMX, else f32)
  ovjax dyn f32    the transformers converted with dynamic batch and sequence (DYNAMIC), f32
  ovjax int8       nncf.compress_weights(model, INT8_ASYM) (int8 weights, per channel), at the
                   CPU plugin's default precision, as OpenVINO users deploy compressed models
  builtin f32      `ov.convert_model(jaxpr)` through OpenVINO's own JAX frontend (hook disabled)
  jax2onnx f32     jax2onnx.to_onnx(fn) -> ov.convert_model(onnx) (when jax2onnx is installed)
and throughput of ovjax f32 (PERFORMANCE_HINT=THROUGHPUT, async queue), the model's FLOPs
(XLA's count) and the rate ovjax f32 reaches as a share of the machine's f32 matmul roofline
(the best rate measured on large MatMuls, `matmul_roofline`). Ratios are
jax.jit latency / method latency (higher is faster than jax.jit); each method's max abs
error against jax.jit's outputs is printed next to it. "-" means that route does not
convert (the reason is printed below the table).

All weights are random (no downloads); configs are small enough for a 2-core machine,
plus a DistilBERT-base-sized encoder (6 x 768, sequence 128, about 11 GFLOP).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import traceback

os.environ.setdefault("CI", "true")  # no telemetry forks in ov.convert_model

import jax
import jax.numpy as jnp
import numpy as np
import openvino as ov

import ovjax

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))


def random_like(shapes, seed=0):
    from models._check import random_like as rl

    return rl(shapes, seed)


# ---------------------------------------------------------------- models
# Each builder returns (fn, args): fn is a pure JAX function of array args.


def m_mlp():
    import flax.linen as nn

    class MLP(nn.Module):
        @nn.compact
        def __call__(self, x):
            for _ in range(4):
                x = nn.gelu(nn.Dense(256)(x))
            return nn.Dense(10)(x)

    x = np.random.default_rng(0).standard_normal((8, 128)).astype(np.float32)
    m = MLP()
    params = random_like(jax.eval_shape(m.init, jax.random.key(0), x))
    return (lambda x: m.apply(params, x)), (x,)


def m_convnet():
    import flax.linen as nn

    class CNN(nn.Module):
        @nn.compact
        def __call__(self, x):
            for f in (32, 64, 64):
                x = nn.relu(nn.BatchNorm(use_running_average=True)(nn.Conv(f, (3, 3))(x)))
                x = nn.max_pool(x, (2, 2), (2, 2))
            return nn.Dense(10)(x.reshape(x.shape[0], -1))

    x = np.random.default_rng(0).standard_normal((4, 32, 32, 3)).astype(np.float32)
    m = CNN()
    params = random_like(jax.eval_shape(m.init, jax.random.key(0), x))
    return (lambda x: m.apply(params, x)), (x,)


def _hf(cls, config, input_shape):
    model = cls(config, input_shape=input_shape, _do_init=False)
    shapes = jax.eval_shape(lambda: model.init_weights(jax.random.PRNGKey(0), input_shape))
    return model, random_like(shapes)


def _bert(hidden, layers, heads, seq, batch=1):
    from transformers import BertConfig, FlaxBertModel

    cfg = BertConfig(
        vocab_size=1000,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=4 * hidden,
        max_position_embeddings=max(512, seq),
    )
    model, params = _hf(FlaxBertModel, cfg, (batch, seq))
    ids = np.random.default_rng(0).integers(0, 1000, (batch, seq)).astype(np.int32)
    mask = np.ones((batch, seq), np.int32)

    def fn(ids, mask):
        return model(ids, attention_mask=mask, params=params).last_hidden_state

    return fn, (ids, mask)


def m_bert_small():
    return _bert(128, 2, 2, 64)


def m_distilbert_base():
    return _bert(768, 6, 12, 128)


def m_gpt2():
    from transformers import FlaxGPT2LMHeadModel, GPT2Config

    cfg = GPT2Config(vocab_size=1000, n_embd=256, n_layer=4, n_head=4, n_positions=128)
    model, params = _hf(FlaxGPT2LMHeadModel, cfg, (1, 64))
    ids = np.random.default_rng(0).integers(0, 1000, (1, 64)).astype(np.int32)
    return (lambda ids: model(ids, params=params).logits), (ids,)


def m_vit():
    from transformers import FlaxViTModel, ViTConfig

    cfg = ViTConfig(
        hidden_size=192, num_hidden_layers=4, num_attention_heads=3, intermediate_size=768, image_size=64, patch_size=8
    )
    model, params = _hf(FlaxViTModel, cfg, (1, 64, 64, 3))
    x = np.random.default_rng(0).standard_normal((1, 3, 64, 64)).astype(np.float32)
    return (lambda x: model(x, params=params).last_hidden_state), (x,)


def m_resnet():
    from transformers import FlaxResNetModel, ResNetConfig

    cfg = ResNetConfig(embedding_size=32, hidden_sizes=[32, 64, 128, 256], depths=[1, 1, 1, 1])
    model, params = _hf(FlaxResNetModel, cfg, (1, 64, 64, 3))
    x = np.random.default_rng(0).standard_normal((1, 3, 64, 64)).astype(np.float32)
    return (lambda x: model(x, params=params).pooler_output), (x,)


def m_lstm_scan():
    import flax.linen as nn

    class Seq(nn.Module):
        @nn.compact
        def __call__(self, x):
            return nn.RNN(nn.LSTMCell(128))(x)

    x = np.random.default_rng(0).standard_normal((4, 64, 64)).astype(np.float32)
    m = Seq()
    params = random_like(jax.eval_shape(m.init, jax.random.key(0), x))
    return (lambda x: m.apply(params, x)), (x,)


def m_while_newton():
    """A data-dependent while loop: Newton iterations for sqrt until convergence."""

    def fn(a):
        def cond(c):
            x, i = c
            return (jnp.max(jnp.abs(x * x - a)) > 1e-4) & (i < 100)

        def body(c):
            x, i = c
            return (0.5 * (x + a / x), i + 1)

        return jax.lax.while_loop(cond, body, (a, 0))[0]

    a = np.random.default_rng(0).uniform(1, 100, (256, 256)).astype(np.float32)
    return fn, (a,)


def m_gpt2_greedy():
    """GPT-2 greedy decoding of 16 tokens as a lax.fori_loop over full forward passes."""
    from transformers import FlaxGPT2LMHeadModel, GPT2Config

    cfg = GPT2Config(vocab_size=500, n_embd=128, n_layer=2, n_head=4, n_positions=64)
    model, params = _hf(FlaxGPT2LMHeadModel, cfg, (1, 32))
    prompt = np.random.default_rng(0).integers(0, 500, (1, 32)).astype(np.int32)
    n_new = 16

    def fn(ids):
        L = ids.shape[1]
        buf = jnp.concatenate([ids, jnp.zeros((1, n_new), jnp.int32)], axis=1)
        mask0 = jnp.concatenate([jnp.ones((1, L), jnp.int32), jnp.zeros((1, n_new), jnp.int32)], axis=1)

        def body(i, c):
            buf, mask = c
            logits = model(buf, attention_mask=mask, params=params).logits
            nxt = jnp.argmax(jax.lax.dynamic_index_in_dim(logits, L + i - 1, axis=1, keepdims=False), -1)
            buf = jax.lax.dynamic_update_slice(buf, nxt[:, None].astype(jnp.int32), (0, L + i))
            mask = jax.lax.dynamic_update_slice(mask, jnp.ones((1, 1), jnp.int32), (0, L + i))
            return buf, mask

        return jax.lax.fori_loop(0, n_new, body, (buf, mask0))[0]

    return fn, (prompt,)


MODELS = {
    "mlp": m_mlp,
    "convnet": m_convnet,
    "bert-small": m_bert_small,
    "gpt2-small": m_gpt2,
    "vit-small": m_vit,
    "resnet-small": m_resnet,
    "lstm-scan": m_lstm_scan,
    "while-newton": m_while_newton,
    "gpt2-greedy-loop": m_gpt2_greedy,
    "distilbert-base": m_distilbert_base,
}

# The transformers' dynamic-shape conversions (README "Dynamic shapes"): one model for
# every batch and sequence length (every batch for the ViT), timed beside the static one
# at the traced size ("ovjax dyn f32"; target: within 10% of "ovjax f32"). Other sizes
# against jax.jit: benchmarks/dynamic.py.
DYNAMIC = {
    "bert-small": [("B", "S"), ("B", "S")],
    "gpt2-small": [ov.PartialShape("[?,1..128]")],  # S within the position table (its causal mask's size)
    "vit-small": [("B", 3, 64, 64)],
    "distilbert-base": [("B", "S"), ("B", "S")],
}

# ---------------------------------------------------------------- timing


def interleaved(runs, rounds, round_seconds):
    """Median latency of each of `runs` (label -> callable), measured in `rounds` rounds that
    take turns: each round times every route for about `round_seconds`, and a route's result is
    the median over rounds of its per-round median. On a small shared machine, load from
    elsewhere (or another runtime's worker threads still spinning) then hits every route alike
    instead of whichever happened to run at that moment."""
    per = {}
    for label, run in runs.items():
        run()  # warm-up
        run()
        t = time.perf_counter()
        run()
        one = max(time.perf_counter() - t, 1e-6)
        per[label] = max(3, min(50, int(round_seconds / one)))
    medians = {label: [] for label in runs}
    for _ in range(rounds):
        for label, run in runs.items():
            times = []
            for _ in range(per[label]):
                t = time.perf_counter()
                run()
                times.append(time.perf_counter() - t)
            medians[label].append(statistics.median(times))
    return {label: statistics.median(m) for label, m in medians.items()}


def ov_request(model, args, config):
    compiled = ov.Core().compile_model(model, "CPU", {"PERFORMANCE_HINT": "LATENCY", **config})
    req = compiled.create_infer_request()
    for i, a in enumerate(args):
        req.set_input_tensor(i, ov.Tensor(np.ascontiguousarray(a)))
    req.infer()
    out = [req.get_output_tensor(i).data.copy() for i in range(len(compiled.outputs))]
    return req.infer, out


def ov_throughput(model, args, config, seconds):
    compiled = ov.Core().compile_model(model, "CPU", {"PERFORMANCE_HINT": "THROUGHPUT", **config})
    n_req = compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")
    queue = ov.AsyncInferQueue(compiled, n_req)
    inputs = [np.ascontiguousarray(a) for a in args]
    for _ in range(n_req):
        queue.start_async(inputs)
    queue.wait_all()
    done = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for _ in range(n_req):
            queue.start_async(inputs)
        queue.wait_all()
        done += n_req
    return done / (time.perf_counter() - t0)


def matmul_roofline(rounds):
    """The machine's f32 matmul rate in GFLOP/s, measured: the best of OpenVINO's CPU plugin
    (a MatMul with constant weights, as converted Dense layers are) and jax.jit, on a large
    square product and on a DistilBERT-base feed-forward product, all threads."""
    best = {}
    for m, k, n in ((2048, 2048, 2048), (128, 768, 3072)):
        rng = np.random.default_rng(0)
        x = rng.standard_normal((m, k)).astype(np.float32)
        w = rng.standard_normal((k, n)).astype(np.float32)
        param = ov.opset13.parameter([m, k], ov.Type.f32)
        model = ov.Model([ov.opset13.matmul(param, ov.opset13.constant(w), False, False)], [param])
        run_ov, _ = ov_request(model, (x,), {"INFERENCE_PRECISION_HINT": "f32"})
        jitted = jax.jit(lambda x: x @ w)
        lat = interleaved({"ov": run_ov, "jit": lambda: jax.block_until_ready(jitted(x))}, rounds, 0.3)
        for label, t in lat.items():
            best[f"{label} {m}x{k}x{n}"] = 2 * m * k * n / t / 1e9
    return max(best.values()), best


def model_flops(fn, args):
    """FLOPs of one call as XLA counts them (a matmul is 2*M*N*K)."""
    cost = jax.jit(fn).lower(*args).compile().cost_analysis()
    if isinstance(cost, list):
        cost = cost[0]
    return float(cost.get("flops", 0.0))


def max_err(got, want):
    worst = 0.0
    for g, w in zip(got, want):
        g = np.asarray(g, np.float64)
        w = np.asarray(w, np.float64)
        if g.shape != w.shape:
            return float("inf")
        if g.size:
            worst = max(worst, float(np.max(np.abs(g - w))))
    return worst


def builtin_model(closed):
    with ovjax._hook.disabled():
        return ov.convert_model(closed)


def jax2onnx_model(fn, args):
    import jax2onnx

    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model.onnx")
        jax2onnx.to_onnx(
            fn, [jax.ShapeDtypeStruct(a.shape, a.dtype) for a in args], return_mode="file", output_path=path
        )
        return ov.Core().read_model(path)


def bench(name, builder, rounds, round_seconds, tput_seconds):
    fn, args = builder()
    row = {"model": name}
    notes = []
    jitted = jax.jit(fn)
    want = [np.asarray(w) for w in jax.tree_util.tree_leaves(jitted(*args))]
    runs = {"jit": lambda: jax.block_until_ready(jitted(*args))}
    errors = {}
    closed = jax.make_jaxpr(fn)(*args)
    model = ovjax.convert_model(closed)
    for label, config in (("ovjax f32", {"INFERENCE_PRECISION_HINT": "f32"}), ("ovjax default", {})):
        runs[label], out = ov_request(model, args, config)
        errors[label] = max_err(out, want)
    row["ovjax int8"] = None
    try:
        import nncf

        int8 = nncf.compress_weights(model.clone(), mode=nncf.CompressWeightsMode.INT8_ASYM)
        runs["ovjax int8"], out = ov_request(int8, args, {})
        errors["ovjax int8"] = max_err(out, want)
    except Exception as e:  # noqa: BLE001 - nncf missing, or nothing to compress
        notes.append(f"{name} / ovjax int8: {type(e).__name__}: {str(e).strip().splitlines()[-1][:200]}")
    row["ovjax dyn f32"] = None
    if name in DYNAMIC:
        dyn = ovjax.convert_model(fn, example_input=args, input=DYNAMIC[name])
        runs["ovjax dyn f32"], out = ov_request(dyn, args, {"INFERENCE_PRECISION_HINT": "f32"})
        errors["ovjax dyn f32"] = max_err(out, want)
    for label, make in (
        ("builtin f32", lambda: builtin_model(closed)),
        ("jax2onnx f32", lambda: jax2onnx_model(fn, args)),
    ):
        try:
            runs[label], out = ov_request(make(), args, {"INFERENCE_PRECISION_HINT": "f32"})
            errors[label] = max_err(out, want)
        except Exception as e:  # noqa: BLE001 - the route does not convert this model
            row[label] = None
            first = str(e).strip().splitlines()
            notes.append(f"{name} / {label}: {type(e).__name__}: {first[-1] if first else ''}"[:240])
    lat = interleaved(runs, rounds, round_seconds)
    row["jit"] = lat.pop("jit")
    for label, t in lat.items():
        row[label] = (t, errors[label])
    row["tput"] = ov_throughput(model, args, {"INFERENCE_PRECISION_HINT": "f32"}, tput_seconds)
    row["gflop"] = model_flops(fn, args) / 1e9
    return row, notes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", default=None)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    rounds, round_seconds, tput = (3, 0.05, 1.0) if a.quick else (9, 0.15, 3.0)
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores; openvino {ov.get_version()}, "
        f"jax {jax.__version__}, ovjax {ovjax.__version__}"
    )
    core = ov.Core()
    print(f"# CPU default inference precision: {core.get_property('CPU', 'INFERENCE_PRECISION_HINT')}")
    roof, parts = matmul_roofline(rounds)
    print(
        f"# f32 matmul roofline (best measured): {roof:.1f} GFLOP/s  ("
        + ", ".join(f"{k}: {v:.1f}" for k, v in parts.items())
        + ")"
    )
    cols = ["ovjax f32", "ovjax default", "ovjax int8", "ovjax dyn f32", "builtin f32", "jax2onnx f32"]
    print(
        f"{'model':18} {'jax.jit ms':>10} | "
        + " | ".join(f"{c:>24}" for c in cols)
        + f" | {'ovjax f32 tput/s':>16}"
        + f" | {'GFLOP':>7} {'f32 % roof':>10}"
    )
    print("-" * 150)
    all_notes = []
    for name, builder in MODELS.items():
        if a.k and a.k not in name:
            continue
        try:
            row, notes = bench(name, builder, rounds, round_seconds, tput)
        except Exception:  # noqa: BLE001
            print(f"{name:18} failed:\n{traceback.format_exc()}")
            continue
        all_notes += notes
        cells = []
        for c in cols:
            v = row[c]
            cells.append(f"{'-':>24}" if v is None else f"{v[0] * 1e3:8.2f}ms {row['jit'] / v[0]:5.2f}x e{v[1]:.1e}")
        f32 = row["ovjax f32"][0]
        dyn = row["ovjax dyn f32"]
        print(
            f"{name:18} {row['jit'] * 1e3:10.2f} | "
            + " | ".join(cells)
            + f" | {row['tput']:16.1f}"
            + f" | {row['gflop']:7.3f} {100 * row['gflop'] / f32 / roof:9.0f}%"
            + (f" | dyn/static f32 {dyn[0] / f32:.2f}" if dyn else ""),
            flush=True,
        )
    if all_notes:
        print("\nroutes that did not convert:")
        for n in all_notes:
            print("  " + n)


if __name__ == "__main__":
    main()
