"""OpenVINO CPU plugin: one constant MatMul weight used in two layouts computes the second
product with the first one's layout. Built with openvino.opset13 only (no ovjax, no JAX).

    python tests/upstream/cpu_shared_weight_two_layouts.py

x, y: f32[3, 3] Parameters, W: a [3, 3] Constant; results MatMul(x, W) and
MatMul(y, W, transpose_b=True) (x @ W and y @ W^T, as the gradient of a Dense layer or an
RNN cell has them). The script compiles that model on CPU (INFERENCE_PRECISION_HINT f32)
and compares both results with numpy, then the same model with two Constant nodes of
equal values in separate buffers.

Seen with OpenVINO 2026.4.1 on an x86-64 AMD EPYC (AVX512-BF16), through ovjax (jax.vmap of
jax.grad of an RNN scan): the second product is wrong (max error ~2.4 here) whichever
comes first; with separate buffers both are right. Two Constant nodes viewing one buffer
were right in this small model but not in the RNN gradient's. ovjax gives each further
layout its own copy of the constant (frontend/cpu_workarounds.cpp,
separate_shared_matmul_weights). Exits with status 1 while the bug reproduces.
"""

from __future__ import annotations

import sys

import numpy as np


def main() -> int:
    import openvino as ov
    import openvino.opset13 as ops

    rng = np.random.default_rng(0)
    w = rng.standard_normal((3, 3)).astype(np.float32)
    xa, ya = (rng.standard_normal((3, 3)).astype(np.float32) for _ in range(2))
    bad = 0
    for name, (w1, w2) in {
        "one Constant": (ops.constant(w),) * 2,
        "two buffers": (ops.constant(w), ops.constant(w.copy())),
    }.items():
        x = ops.parameter([3, 3], np.float32, name="x")
        y = ops.parameter([3, 3], np.float32, name="y")
        model = ov.Model([ops.matmul(x, w1, False, False), ops.matmul(y, w2, False, True)], [x, y])
        r = ov.Core().compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})([xa, ya])
        errs = float(np.abs(r[0] - xa @ w).max()), float(np.abs(r[1] - ya @ w.T).max())
        print(f"{name}: x @ W max error {errs[0]:.3g}, y @ W^T max error {errs[1]:.3g}")
        bad += name == "one Constant" and max(errs) > 1e-5
    print("reproduces" if bad else "does not reproduce")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
