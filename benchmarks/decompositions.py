"""Matrix decompositions on OpenVINO CPU: eigh by ovjax's Jacobi expansion against JAX's own
pure-JAX QDWH route converted by ovjax, and qr / eigh / svd against jax.jit (LAPACK).

    python benchmarks/decompositions.py                  # sizes 32, 64, 128; 7 rounds
    python benchmarks/decompositions.py --sizes 16,48 --rounds 5

Routes, per size n (a random symmetric f32 matrix for eigh, a random n x n one for qr and
svd; the same matrix for every route):
- `eigh jacobi`: `jnp.linalg.eigh` converted by ovjax (the eigh primitive expands into the
  parallel Jacobi sweeps of src/python/ovjax/_linalg.py, in a while loop);
- `eigh qdwh`: `jax._src.tpu.linalg.eigh.eigh` (the QDWH spectral divide and conquer JAX
  runs on TPU) converted by ovjax, recursing down to blocks of n / 4 that take the Jacobi
  route (JAX's own base case is Jacobi, below 256 it is the whole algorithm);
- `qr`, `svd`: `jnp.linalg.qr` and `jnp.linalg.svd` converted by ovjax;
- `jax.jit`: the same functions jitted by JAX on its CPU backend (LAPACK).

Each OpenVINO model is compiled twice, at f32 (INFERENCE_PRECISION_HINT) and at the
plugin's default precision (bf16 where the CPU has AVX512-BF16). The routes take turns,
one call each per round, for `--rounds` rounds (after one warm-up call); reported are the
median times, their ratios to jax.jit, and the accuracy of each result: the residual
|A V - V diag(w)| / |A| (|Q R - A| / |A|, |U S V^T - A| / |A|), the orthogonality
|V^T V - I| and the largest eigenvalue error against float64 LAPACK, relative to |A|. The
machines here are shared and noisy (30% run to run): compare ratios from one run only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ab import cpu_flags  # noqa: E402


def routes(n: int):
    import jax.numpy as jnp
    from jax._src.tpu.linalg import eigh as tpu_eigh

    rng = np.random.default_rng(n)
    g = rng.standard_normal((n, n)).astype(np.float32)
    sym = (g + g.T) / 2
    return [
        ("eigh jacobi", lambda a: jnp.linalg.eigh(a), sym),
        ("eigh qdwh", lambda a: tpu_eigh.eigh(a, termination_size=max(n // 4, 8)), sym),
        ("qr", lambda a: jnp.linalg.qr(a), g),
        ("svd", lambda a: jnp.linalg.svd(a), g),
    ]


def accuracy(name: str, a: np.ndarray, outs) -> str:
    a64 = a.astype(np.float64)
    norm = np.linalg.norm(a64)
    o = [np.asarray(x, np.float64) for x in outs]
    if name.startswith("eigh"):
        w, v = o  # (eigenvalues, eigenvectors), as jnp.linalg.eigh returns them
        resid = np.linalg.norm(a64 @ v - v * w[None, :]) / norm
        orth = np.linalg.norm(v.T @ v - np.eye(len(w)))
        werr = np.max(np.abs(np.sort(w) - np.linalg.eigvalsh(a64))) / norm
        return f"resid {resid:.1e}, orth {orth:.1e}, eigenvalues {werr:.1e}"
    if name == "qr":
        q, r = o
        return (
            f"resid {np.linalg.norm(q @ r - a64) / norm:.1e}, orth {np.linalg.norm(q.T @ q - np.eye(q.shape[1])):.1e}"
        )
    u, s, vt = o
    resid = np.linalg.norm((u * s[None, :]) @ vt - a64) / norm
    serr = np.max(np.abs(s - np.linalg.svd(a64, compute_uv=False))) / norm
    return f"resid {resid:.1e}, orth {np.linalg.norm(u.T @ u - np.eye(len(s))):.1e}, values {serr:.1e}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="32,64,128")
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()

    import jax
    import openvino as ov

    import ovjax

    core = ov.Core()
    print(f"# {os.cpu_count()} cores, flags: {cpu_flags()}; openvino {ov.__version__}, jax {jax.__version__}")
    print(f"# medians of {args.rounds} rounds, routes interleaved; ratio = time / jax.jit's")
    print(
        "| n | route | jax.jit | ovjax f32 | f32 / jit | ovjax default | default / jit | accuracy f32 | accuracy default |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for n in (int(s) for s in args.sizes.split(",")):
        calls = {}
        for name, fn, a in routes(n):
            model = ovjax.convert_model(fn, example_input=(a,))
            jitted = jax.jit(fn)
            f32 = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
            default = core.compile_model(model, "CPU")
            calls[name] = {
                "jit": lambda j=jitted, a=a: jax.block_until_ready(j(a)),
                "f32": lambda c=f32, a=a: list(c([a]).values()),
                "default": lambda c=default, a=a: list(c([a]).values()),
            }
            calls[name]["a"] = a
        times = {(name, route): [] for name in calls for route in ("jit", "f32", "default")}
        results = {}
        for name, c in calls.items():  # warm-up
            for route in ("jit", "f32", "default"):
                results[(name, route)] = c[route]()
        for _ in range(args.rounds):
            for name, c in calls.items():
                for route in ("jit", "f32", "default"):
                    t = time.perf_counter()
                    c[route]()
                    times[(name, route)].append(time.perf_counter() - t)
        for name, c in calls.items():
            med = {route: statistics.median(times[(name, route)]) for route in ("jit", "f32", "default")}
            print(
                f"| {n} | {name} | {med['jit'] * 1e3:.2f} ms | {med['f32'] * 1e3:.1f} ms | {med['f32'] / med['jit']:.0f}x "
                f"| {med['default'] * 1e3:.1f} ms | {med['default'] / med['jit']:.0f}x "
                f"| {accuracy(name, c['a'], results[(name, 'f32')])} | {accuracy(name, c['a'], results[(name, 'default')])} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
