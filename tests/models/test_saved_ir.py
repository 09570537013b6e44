"""Saved IR round trip: ov.save_model (f16 weights by default) and ov.Core().read_model of
the converted transformers give the same outputs within f16's error, keep the fused
operations (ScaledDotProductAttention, MVN, Gelu, Softmax) and ovjax's rt_info."""

from __future__ import annotations

import collections

import jax
import numpy as np
import openvino as ov
import pytest

import ovjax
from harness import compile_cpu

from .test_weight_compression import MODELS

FUSED = ("ScaledDotProductAttention", "MVN", "Gelu", "Softmax", "Convolution")


def fused_counts(model: ov.Model) -> collections.Counter:
    return collections.Counter(op.get_type_name() for op in model.get_ops() if op.get_type_name() in FUSED)


@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("name", list(MODELS))
def test_save_and_read_model(name, compress, tmp_path):
    fn, args = MODELS[name]()
    model = ovjax.convert_model(fn, example_input=args)
    path = str(tmp_path / "m.xml")
    ov.save_model(model, path, compress_to_fp16=compress)
    back = ov.Core().read_model(path)
    assert back.get_rt_info(["ovjax", "version"]).astype(str) == ovjax.__version__
    assert back.get_rt_info(["ovjax", "equations"]).astype(str) == model.get_rt_info(["ovjax", "equations"]).astype(str)
    assert fused_counts(back) == fused_counts(model) and fused_counts(model), fused_counts(back)
    want = np.asarray(jax.jit(fn)(*args))
    got = compile_cpu(back)(list(args))[0]
    err = np.abs(got - want).max() / max(np.abs(want).max(), 1e-6)
    assert err < (5e-3 if compress else 1e-5), f"{name}: max error {err:.3g} of the largest output"
