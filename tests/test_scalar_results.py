"""Results reduced or reshaped to a scalar, per translator family: converted, compiled on the
CPU plugin, run and compared with JAX.

OpenVINO's CPU plugin dies with SIGSEGV in compile_model on a MatMul whose [1, 1] result is
Reshaped to rank 0 (jnp.cov / jnp.corrcoef of a vector, (x[None, :] @ x[:, None]).squeeze();
tests/upstream/cpu_matmul_scalar_reshape.py), so ovjax's reshape() emits a Squeeze for
reshapes that only drop size-1 axes. Every case here runs in a worker subprocess: a crash
is that case's failure (the worker goes on with the rest in a new process), never a dead
pytest.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

HERE = os.path.dirname(os.path.abspath(__file__))


def vec(n=5, seed=0):
    r = np.random.default_rng(seed)
    return r.uniform(0.5, 2.5, n).astype(np.float32)


def cvec(n=4):
    return (vec(n, 1) + 1j * vec(n, 2)).astype(np.complex64)


# family-case -> (fn, args); every fn gives a rank-0 result from a size-1 one
CASES = {
    "elementwise-reshape": (lambda x: jnp.sin(x[:1]).reshape(()), (vec(),)),
    "elementwise-squeeze": (lambda x: (x[:1] * 2.0 + 1.0).squeeze(), (vec(),)),
    "shape-slice_reshape": (lambda x: x[2:3].reshape(()), (vec(),)),
    "shape-squeeze2": (lambda x: lax.squeeze(x[None, 1:2], (0, 1)), (vec(),)),
    "shape-transpose": (lambda x: x[None, :1].T.reshape(()), (vec(),)),
    "reduce-max": (lambda x: jnp.max(x[None, :], axis=1).reshape(()), (vec(),)),
    "reduce-argmax": (lambda x: jnp.argmax(x[None, :], axis=1).squeeze(), (vec(),)),
    "windows-pool": (
        lambda x: lax.reduce_window(x[None, :4], -jnp.inf, lax.max, (1, 4), (1, 1), "VALID").squeeze(),
        (vec(),),
    ),
    "cumulative-cumsum": (lambda x: jnp.cumsum(x[:1]).reshape(()), (vec(),)),
    "gather-take": (lambda x: x[jnp.array([3])].reshape(()), (vec(),)),
    "gather-dynamic_slice": (lambda x, i: lax.dynamic_slice(x, (i,), (1,)).reshape(()), (vec(), np.int32(2))),
    "dot_general-squeeze": (lambda x: (x[None, :] @ x[:, None]).squeeze(), (vec(),)),
    "dot_general-reshape": (lambda x: (x[None, :] @ x[:, None]).reshape(()), (vec(),)),
    "dot_general-scaled": (lambda x: ((x[None, :] @ x[:, None]) * 2.0).squeeze(), (vec(),)),
    "dot_general-weights": (lambda x: (x[None, :] @ jnp.arange(5.0, dtype=jnp.float32)[:, None]).squeeze(), (vec(),)),
    "dot_general-matvec": (lambda x: (x[None, :] @ x).reshape(()), (vec(),)),
    "dot_general-batched": (
        lambda x: jnp.einsum("bij,bjk->bik", x[None, None, :], x[None, :, None]).squeeze(),
        (vec(),),
    ),
    "dot_general-cov": (jnp.cov, (vec(),)),
    "dot_general-corrcoef": (jnp.corrcoef, (vec(),)),
    "conv-conv": (lambda x: lax.conv(x[None, None, :], x[None, None, :], (1,), "VALID").squeeze(), (vec(),)),
    "sort-sort": (lambda x: jnp.sort(x[1:2]).reshape(()), (vec(),)),
    "sort-top_k": (lambda x: lax.top_k(x, 1)[0].reshape(()), (vec(),)),
    "random-uniform": (lambda x: jax.random.uniform(jax.random.key(0), (1,)).reshape(()) + x[0], (vec(),)),
    "complex-dot": (lambda c: (c[None, :] @ c[:, None]).squeeze(), (cvec(),)),
    "complex-abs": (lambda c: jnp.abs(c[:1]).reshape(()), (cvec(),)),
    "linalg-cholesky": (lambda x: lax.linalg.cholesky(x[:1, None] * x[:1, None]).squeeze(), (vec(),)),
    "linalg-triangular_solve": (
        lambda x: lax.linalg.triangular_solve(x[None, :1], x[None, 1:2], left_side=True, lower=True).squeeze(),
        (vec(),),
    ),
    "control_flow-cond": (
        lambda p, x: lax.cond(p, lambda v: v[None, :] @ v[:, None], lambda v: v[None, :1] * 2.0, x).squeeze(),
        (np.bool_(True), vec()),
    ),
    "control_flow-while": (
        lambda x: lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, c[1] * 1.5), (0, x[:1]))[1].reshape(()),
        (vec(),),
    ),
    "control_flow-scan": (
        lambda x: lax.scan(lambda c, v: (c + v, v), jnp.zeros((1, 1)), x[:, None, None])[0].squeeze(),
        (vec(),),
    ),
    "call-jit": (lambda x: jax.jit(lambda a: a[None, :] @ a[:, None])(x).squeeze(), (vec(),)),
    "special-lgamma": (lambda x: lax.lgamma(x[:1]).reshape(()), (vec(),)),
}


def run_case(name: str) -> None:
    from harness import check

    fn, args = CASES[name]
    check(fn, *args, tol=(2e-5, 2e-5))


def _worker(names, out_path) -> None:
    """Run cases in order, recording each one's start and outcome (a crash leaves a start)."""
    with open(out_path, "a") as out:
        for name in names:
            out.write(json.dumps({"case": name, "status": "start"}) + "\n")
            out.flush()
            try:
                run_case(name)
                rec = {"case": name, "status": "ok"}
            except Exception as e:  # noqa: BLE001 - reported to the test
                rec = {"case": name, "status": "error", "message": f"{type(e).__name__}: {e}"}
            out.write(json.dumps(rec) + "\n")
            out.flush()


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    path = tmp_path_factory.mktemp("scalar") / "outcomes.jsonl"
    results: dict[str, tuple[str, str]] = {}
    pending = list(CASES)
    while pending:
        proc = subprocess.run(
            [sys.executable, os.path.abspath(__file__), str(path), *pending],
            cwd=HERE,
            capture_output=True,
            text=True,
            timeout=900,
        )
        started = None
        for line in path.read_text().splitlines():
            rec = json.loads(line)
            if rec["status"] == "start":
                started = rec["case"]
            else:
                results[rec["case"]] = (rec["status"], rec.get("message", ""))
                started = None
        if proc.returncode != 0:
            where = started or (pending[0] if pending else "?")
            results.setdefault(where, ("crash", f"worker exited with {proc.returncode}:\n{proc.stderr[-2000:]}"))
        pending = [n for n in pending if n not in results]
        path.write_text("")
    return results


@pytest.mark.parametrize("case", list(CASES))
def test_scalar_result_compiles_and_matches_jax(case, outcomes):
    status, message = outcomes[case]
    assert status == "ok", f"{case}: {status}\n{message}"


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    os.environ.setdefault("CI", "true")
    _worker(sys.argv[2:], sys.argv[1])
