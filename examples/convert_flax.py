"""Convert a real Flax model with ovjax, run it on OpenVINO's CPU plugin, compare with JAX.

    pip install ".[flax]" && python examples/convert_flax.py

The model is a small hybrid image classifier built from stock Flax layers (Conv,
BatchNorm, max_pool, a Transformer encoder with MultiHeadDotProductAttention,
LayerNorm, Dense, GELU) with random weights. Exits non-zero if OpenVINO's numbers
differ from JAX's beyond float32 tolerance.
"""

from __future__ import annotations

import sys
import time

import flax.linen as nn
import jax
import numpy as np
import openvino as ov

import ovjax


class EncoderBlock(nn.Module):
    dim: int
    heads: int

    @nn.compact
    def __call__(self, x):
        y = nn.LayerNorm()(x)
        y = nn.MultiHeadDotProductAttention(num_heads=self.heads)(y, y)
        x = x + y
        y = nn.LayerNorm()(x)
        y = nn.Dense(4 * self.dim)(y)
        y = nn.gelu(y)
        return x + nn.Dense(self.dim)(y)


class HybridClassifier(nn.Module):
    classes: int = 10
    dim: int = 64

    @nn.compact
    def __call__(self, images, training: bool = False):
        x = nn.Conv(32, (3, 3))(images)
        x = nn.BatchNorm(use_running_average=not training)(x)
        x = nn.relu(x)
        x = nn.max_pool(x, (2, 2), strides=(2, 2))
        x = nn.Conv(self.dim, (3, 3), strides=(2, 2))(x)
        b, h, w, c = x.shape
        x = x.reshape(b, h * w, c)
        for _ in range(2):
            x = EncoderBlock(self.dim, heads=4)(x)
        x = nn.LayerNorm()(x).mean(axis=1)
        return nn.Dense(self.classes)(x)


def main() -> int:
    model = HybridClassifier()
    images = jax.random.normal(jax.random.PRNGKey(1), (2, 32, 32, 3))
    variables = model.init(jax.random.PRNGKey(0), images)

    t0 = time.perf_counter()
    ov_model = ovjax.convert_model(model, example_input=images, params=variables, call_kwargs={"training": False})
    t1 = time.perf_counter()
    compiled = ov.Core().compile_model(ov_model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})

    test_images = np.asarray(jax.random.normal(jax.random.PRNGKey(2), (2, 32, 32, 3)))
    got = compiled(test_images)[0]
    want = np.asarray(model.apply(variables, test_images, training=False))
    diff = float(np.max(np.abs(got - want)))
    scale = float(np.max(np.abs(want)))
    n_eqns = len(jax.make_jaxpr(lambda x: model.apply(variables, x))(images).jaxpr.eqns)
    print(f"model: {type(model).__name__}, {sum(x.size for x in jax.tree_util.tree_leaves(variables))} weights")
    print(
        f"converted in {1000 * (t1 - t0):.0f} ms ({len(ov_model.get_ordered_ops())} OpenVINO ops, "
        f"{n_eqns} top-level jaxpr equations)"
    )
    print(
        f"inputs: {[i.get_any_name() for i in ov_model.inputs]}, outputs: {[o.get_any_name() for o in ov_model.outputs]}"
    )
    print(f"max |OpenVINO - JAX| = {diff:.3g} (max |JAX| = {scale:.3g})")
    ok = diff <= 1e-4 * max(1.0, scale)
    print("OK: OpenVINO matches JAX" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
