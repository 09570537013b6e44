"""Time to first inference: what a user waits for from a JAX function to its first result.

    python benchmarks/first_inference.py [-k bert] [--rounds 3]

For every model of benchmarks/inference.py and the 1,000-layer dense chain of
benchmarks/conversion.py, each measurement runs in a fresh process (no warm caches) and
times, after the model is built (random weights):
  jax.jit          jax.jit(fn)(*args) once: trace + XLA compile + run
  ovjax            ov.convert_model(fn, example_input=args) (through ovjax's hook) +
                   compile_model on CPU (default precision) + one inference, with
                   OpenVINO's telemetry off (CI=true, as the other benchmarks run)
  ovjax telemetry  the same with telemetry as users have it by default (CI unset: OpenVINO's
                   convert_model wrapper forks the process to send its events)
The routes take turns in each round; each figure is the median over rounds.
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


def build(name):
    sys.path.insert(0, HERE)
    if name == "dense-chain-1000":
        from conversion import dense_chain

        return dense_chain(1000, 128)
    from inference import MODELS

    return MODELS[name]()


def child(name: str, route: str) -> None:
    import jax
    import numpy as np

    fn, args = build(name)
    if route == "jit":
        t = time.perf_counter()
        jax.block_until_ready(jax.jit(fn)(*args))
    else:
        import openvino as ov

        import ovjax  # noqa: F401 - the hook

        t = time.perf_counter()
        model = ov.convert_model(fn, example_input=args)
        compiled = ov.Core().compile_model(model, "CPU")
        compiled([np.asarray(a) for a in jax.tree_util.tree_leaves(args)])
    print(json.dumps({"seconds": time.perf_counter() - t}))


def measure(name: str, route: str) -> float:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if route != "ovjax telemetry":
        env["CI"] = "true"
    r = subprocess.run(
        [sys.executable, __file__, "--child", name, "jit" if route == "jax.jit" else "ov"],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip().splitlines()[-1] if r.stderr.strip() else f"exit {r.returncode}")
    return json.loads(r.stdout.strip().splitlines()[-1])["seconds"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", default=None)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--child", nargs=2, metavar=("MODEL", "ROUTE"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(*a.child)
        return 0
    sys.path.insert(0, HERE)
    os.environ.setdefault("CI", "true")
    from inference import MODELS

    names = [*MODELS, "dense-chain-1000"]
    routes = ["jax.jit", "ovjax", "ovjax telemetry"]
    print(
        f"{'model':18} | {'jax.jit s':>9} | {'ovjax s':>8} {'jit/ovjax':>9} | {'ovjax telemetry s':>17} {'jit/it':>7}"
    )
    for name in names:
        if a.k and a.k not in name:
            continue
        times = {r: [] for r in routes}
        try:
            for _ in range(a.rounds):
                for r in routes:
                    times[r].append(measure(name, r))
        except Exception as e:  # noqa: BLE001
            print(f"{name:18} | failed: {e}")
            continue
        m = {r: statistics.median(v) for r, v in times.items()}
        print(
            f"{name:18} | {m['jax.jit']:9.2f} | {m['ovjax']:8.2f} {m['jax.jit'] / m['ovjax']:9.2f} | "
            f"{m['ovjax telemetry']:17.2f} {m['jax.jit'] / m['ovjax telemetry']:7.2f}",
            flush=True,
        )
    print(f"medians of {a.rounds} rounds, one fresh process per measurement")
    return 0


if __name__ == "__main__":
    sys.exit(main())
