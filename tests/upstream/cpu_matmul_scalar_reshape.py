"""OpenVINO CPU plugin: compile_model crashes (SIGSEGV) on a MatMul whose [1, 1] result is
Reshaped to rank 0. Built with openvino.opset13 only (no ovjax, no JAX).

    python tests/upstream/cpu_matmul_scalar_reshape.py            # every variant, one process each
    python tests/upstream/cpu_matmul_scalar_reshape.py VARIANT    # one variant in this process

Each variant builds x: f32[4] -> a = Reshape(x, [1, 4]), b = Reshape(x, [4, 1]) ->
MatMul(a, b): f32[1, 1] -> the variant's tail, compiles it for CPU (INFERENCE_PRECISION_HINT
f32) and runs it. Expected value: sum(x * x) = 14 for x = [0, 1, 2, 3].

Seen with OpenVINO 2026.4.1 (2026.4.1-22982-e213a147257) on an x86-64 AMD EPYC (AVX512-BF16):
  reshape_scalar       Reshape([1, 1] -> [])                     SIGSEGV in compile_model
  mul_reshape_scalar   Multiply by 2, then Reshape to []         SIGSEGV in compile_model
  const_rhs_reshape    constant [4, 1] rhs, Reshape to []        SIGSEGV in compile_model
  squeeze_scalar       Squeeze(axes [0, 1]) to []                compiles, 14
  reshape_vector       Reshape([1, 1] -> [1])                    compiles, [14]
  vector_dot           MatMul of x [4] and x [4] (rank 0)        compiles, 14
The summary exits with status 1 while some variant still crashes (the bug reproduces).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np


def build(variant: str):
    import openvino as ov
    import openvino.opset13 as ops

    def i64(*v):
        return ops.constant(np.array(v, np.int64))

    x = ops.parameter([4], np.float32, name="x")
    a = ops.reshape(x, i64(1, 4), False)
    b = ops.reshape(x, i64(4, 1), False)
    if variant == "const_rhs_reshape":
        b = ops.constant(np.arange(4, dtype=np.float32).reshape(4, 1))
    if variant == "vector_dot":
        y = ops.matmul(x, x, False, False)
        return ov.Model([y], [x])
    m = ops.matmul(a, b, False, False)  # f32[1, 1]
    if variant in ("reshape_scalar", "const_rhs_reshape"):
        y = ops.reshape(m, i64(), False)
    elif variant == "mul_reshape_scalar":
        y = ops.reshape(ops.multiply(m, ops.constant(np.float32(2.0))), i64(), False)
    elif variant == "squeeze_scalar":
        y = ops.squeeze(m, i64(0, 1))
    elif variant == "reshape_vector":
        y = ops.reshape(m, i64(1), False)
    else:
        raise SystemExit(f"unknown variant {variant!r}")
    return ov.Model([y], [x])


VARIANTS = [
    "reshape_scalar",
    "mul_reshape_scalar",
    "const_rhs_reshape",
    "squeeze_scalar",
    "reshape_vector",
    "vector_dot",
]


def run(variant: str) -> None:
    import openvino as ov

    compiled = ov.Core().compile_model(build(variant), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    out = compiled(np.arange(4, dtype=np.float32))[0]
    print(f"{variant}: compiled, result {out.tolist()} (shape {list(out.shape)})", flush=True)


def summary() -> int:
    import openvino as ov

    print(f"openvino {ov.get_version()}")
    crashed = []
    for v in VARIANTS:
        p = subprocess.run([sys.executable, __file__, v], capture_output=True, text=True, timeout=600)
        if p.returncode == 0:
            print(p.stdout.strip())
        else:
            crashed.append(v)
            how = f"signal {-p.returncode}" if p.returncode < 0 else f"exit status {p.returncode}"
            print(f"{v}: compile_model/run died ({how})")
    return 1 if crashed else 0


if __name__ == "__main__":
    if len(sys.argv) > 1:
        run(sys.argv[1])
    else:
        sys.exit(summary())
