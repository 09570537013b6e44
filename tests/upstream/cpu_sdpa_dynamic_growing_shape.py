"""OpenVINO CPU plugin: ScaledDotProductAttention with dynamic shapes gives wrong results
when a longer sequence follows a shorter one in the same compiled model. Built with
openvino.opset13 only (no ovjax, no JAX).

    python tests/upstream/cpu_sdpa_dynamic_growing_shape.py

q, k, v: f32[?, 4, ?, 16] Parameters -> ScaledDotProductAttention(q, k, v, scale 1) ->
the result. The script runs sequence lengths 1, 7, 40, 1, 40 on one compiled model
(INFERENCE_PRECISION_HINT f32) and compares each with numpy's softmax(q k^T) v.

Seen with OpenVINO 2026.4.1 on an x86-64 AMD EPYC (AVX512-BF16), through ovjax (flax
MultiHeadDotProductAttention with dynamic batch and sequence): lengths 1 and 7 right, 40
after them wrong by ~30; 40 first (or 16, 17, 40 in that order) right. Exits with status 1
while some length is wrong (the bug reproduces). Only with a scalar (or no) mask: the same
model with a mask tensor of shape [1, 1, 1, S] (broadcast from k's shape) or [B, 1, S, S]
is right at every length in any order, and so is the scalar one with
CPU_RUNTIME_CACHE_CAPACITY 0 (a stale cached kernel, it seems). ovjax's attention fusion on
dynamic shapes therefore gives ScaledDotProductAttention a [1, ..., 1, S] mask tensor
where the attention has none (frontend/fusions.cpp).
"""

from __future__ import annotations

import sys

import numpy as np


def main() -> int:
    import openvino as ov
    import openvino.opset13 as ops

    shape = ov.PartialShape([-1, 4, -1, 16])
    q, k, v = (ops.parameter(shape, np.float32, name=n) for n in "qkv")
    scale = ops.constant(np.float32(1.0))
    mask = ops.constant(np.float32(0.0))
    y = ops.scaled_dot_product_attention(q, k, v, mask, scale, causal=False)
    model = ov.Model([y], [q, k, v])
    compiled = ov.Core().compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    rng = np.random.default_rng(0)
    bad = 0
    for b, s in ((1, 1), (3, 7), (2, 40), (1, 1), (2, 40)):
        qa, ka, va = (rng.standard_normal((b, 4, s, 16)).astype(np.float32) for _ in range(3))
        w = qa @ ka.swapaxes(-1, -2)
        w = np.exp(w - w.max(-1, keepdims=True))
        want = (w / w.sum(-1, keepdims=True)) @ va
        err = float(np.abs(compiled([qa, ka, va])[0] - want).max())
        bad += err > 1e-4
        print(f"batch {b} length {s}: max error {err:.3g}")
    print("reproduces" if bad else "does not reproduce")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
