"""A/B: two ovjax builds on the same models in one run, conversion and inference time.

    python benchmarks/ab.py --a base=/path/to/old/site-packages: --b new=src/python:build/dev/src/cpp/libopenvino_ovjax_frontend.so
    python benchmarks/ab.py --a base=: --b new=src/python:build/dev/...so -k bert,gpt2 --rounds 9

Each side is `label=PYTHONPATH:OVJAX_LIBRARY` (empty parts: the installed ovjax). One
worker process per side builds the models (random weights, same seeds) and converts
them with its ovjax; the driver then has the workers take turns, one at a time, for
`--rounds` rounds: per model, a conversion (`ovjax.convert_model` of the traced function,
and `ov.convert_model` of the saved .ovjax file) and then single-request inference on
OpenVINO CPU at f32 for `--seconds`. Reported: each side's median over rounds and the
ratio B / A (time; below 1 is faster), with the number of rounds it rests on. The
machines this runs on are shared and noisy (30% run to run): compare ratios from the
same run only. The CPU's flags are printed first.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

MODELS = ["mlp", "convnet", "bert_small", "gpt2", "vit", "resnet", "lstm_scan", "dense1000"]


# ---------------------------------------------------------------- worker


def _builders():
    sys.path.insert(0, HERE)
    import conversion
    import inference

    def dense1000():
        return conversion.dense_chain(1000, 128)

    b = {name: getattr(inference, "m_" + name) for name in MODELS if hasattr(inference, "m_" + name)}
    b["dense1000"] = dense1000
    return b


def worker() -> None:
    os.environ.setdefault("CI", "true")
    import tempfile

    import numpy as np
    import openvino as ov

    import ovjax

    builders = _builders()
    core = ov.Core()
    cache: dict = {}
    tmp = tempfile.mkdtemp()

    def model(name):
        if name not in cache:
            fn, args = builders[name]()
            path = os.path.join(tmp, name + ".ovjax")
            ovjax.save(fn, path, example_input=args)
            compiled = core.compile_model(
                ovjax.convert_model(fn, example_input=args), "CPU", {"INFERENCE_PRECISION_HINT": "f32"}
            )
            flat = [np.asarray(a) for a in __import__("jax").tree_util.tree_leaves(args)]
            cache[name] = (fn, args, path, compiled, flat)
        return cache[name]

    print(json.dumps({"ready": ovjax.__file__, "library": ovjax.library_path()}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        fn, args, path, compiled, flat = model(cmd["model"])
        if cmd["op"] == "convert":
            t0 = time.perf_counter()
            ovjax.convert_model(fn, example_input=args)
            t1 = time.perf_counter()
            ov.convert_model(path)
            t2 = time.perf_counter()
            out = {"convert_callable": t1 - t0, "convert_file": t2 - t1}
        else:
            req = compiled.create_infer_request()
            for i, a in enumerate(flat):
                req.set_input_tensor(i, ov.Tensor(np.ascontiguousarray(a)))
            times, end = [], time.perf_counter() + cmd["seconds"]
            while time.perf_counter() < end or len(times) < 3:
                t = time.perf_counter()
                req.infer()
                times.append(time.perf_counter() - t)
            out = {"infer": statistics.median(times)}
        print(json.dumps(out), flush=True)


# ---------------------------------------------------------------- driver


class Side:
    def __init__(self, spec: str):
        self.label, _, rest = spec.partition("=")
        pythonpath, _, library = rest.partition(":")
        env = dict(os.environ)
        for k in ("PYTHONPATH", "OVJAX_LIBRARY"):
            env.pop(k, None)
        if pythonpath:
            env["PYTHONPATH"] = os.path.abspath(pythonpath)
        if library:
            env["OVJAX_LIBRARY"] = os.path.abspath(library)
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        ready = json.loads(self.proc.stdout.readline())
        print(f"{self.label}: ovjax {ready['ready']}, library {ready['library']}")

    def ask(self, **cmd):
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.label}: the worker died")
        return json.loads(line)


def cpu_flags() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("flags"):
                flags = line.split(":", 1)[1].split()
                keep = [f for f in flags if f.startswith(("avx", "amx")) or f in ("fma", "f16c")]
                return " ".join(sorted(keep))
    except OSError:
        pass
    return "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--a", required=False, help="label=PYTHONPATH:OVJAX_LIBRARY of the baseline")
    ap.add_argument("--b", required=False, help="label=PYTHONPATH:OVJAX_LIBRARY of the candidate")
    ap.add_argument("-k", default=None, help="comma-separated model names (default: all)")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--seconds", type=float, default=1.0, help="inference time per side per round per model")
    args = ap.parse_args()
    if args.worker:
        return worker()
    models = args.k.split(",") if args.k else MODELS
    print("CPU flags:", cpu_flags())
    a, b = Side(args.a), Side(args.b)
    res = {s.label: {m: {} for m in models} for s in (a, b)}
    for r in range(args.rounds):
        for m in models:
            order = (a, b) if r % 2 == 0 else (b, a)
            for s in order:
                for k, v in s.ask(op="convert", model=m).items():
                    res[s.label][m].setdefault(k, []).append(v)
            for s in order:
                for k, v in s.ask(op="infer", model=m, seconds=args.seconds).items():
                    res[s.label][m].setdefault(k, []).append(v)
        print(f"round {r + 1}/{args.rounds} done", flush=True)
    print(f"\nmedians over {args.rounds} interleaved rounds; ratio = {b.label} / {a.label} (below 1: {b.label} faster)")
    print(f"{'model':<12} {'measure':<17} {a.label:>12} {b.label:>12} {'ratio':>7}")
    for m in models:
        for k in ("convert_callable", "convert_file", "infer"):
            x, y = statistics.median(res[a.label][m][k]), statistics.median(res[b.label][m][k])
            print(f"{m:<12} {k:<17} {x * 1e3:>10.3f}ms {y * 1e3:>10.3f}ms {y / x:>7.3f}")


if __name__ == "__main__":
    main()
