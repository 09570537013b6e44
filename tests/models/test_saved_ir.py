"""Saved IR round trip: ov.save_model (f16 weights by default) and ov.Core().read_model of
the converted models (the transformers, ResNet, a flax linen conv net, Haiku and Equinox
MLPs) give the same outputs within f16's error, keep the fused operations
(ScaledDotProductAttention, MVN, Gelu, Softmax, Convolution) and ovjax's rt_info."""

from __future__ import annotations

import collections

import jax
import numpy as np
import openvino as ov
import pytest

import ovjax
from harness import compile_cpu, rand

from .test_weight_compression import MODELS

FUSED = ("ScaledDotProductAttention", "MVN", "Gelu", "Softmax", "Convolution")


def fused_counts(model: ov.Model) -> collections.Counter:
    return collections.Counter(op.get_type_name() for op in model.get_ops() if op.get_type_name() in FUSED)


def _resnet():
    from .test_transformers import _build
    from transformers import FlaxResNetModel, ResNetConfig

    cfg = ResNetConfig(embedding_size=16, hidden_sizes=[16, 32], depths=[1, 1], layer_type="basic")
    model, params = _build(FlaxResNetModel, cfg, (2, 32, 32, 3))
    return (lambda px: model(px, params=params, train=False).last_hidden_state), (rand((2, 3, 32, 32), low=-1, high=1),)


def _linen_convnet():
    from .test_flax_linen import ConvNet, _init

    x = rand((2, 16, 16, 3))
    m = ConvNet()
    v = _init(m, x)
    return (lambda x: m.apply(v, x)), (x,)


def _haiku_mlp():
    hk = pytest.importorskip("haiku")
    from .test_haiku_equinox_keras import _haiku

    x = rand((4, 16))
    return _haiku(lambda x, is_training: hk.nets.MLP([32, 32, 8], activation=jax.nn.gelu)(x), x), (x,)


def _equinox_mlp():
    eqx = pytest.importorskip("equinox")
    from .test_haiku_equinox_keras import _eqx_random

    mlp = _eqx_random(eqx.filter_eval_shape(eqx.nn.MLP, 16, 8, 32, 2, key=jax.random.PRNGKey(0)))
    return (lambda x: jax.vmap(mlp)(x)), (rand((4, 16)),)


ALL = {
    **MODELS,
    "resnet": _resnet,
    "linen-convnet": _linen_convnet,
    "haiku-mlp": _haiku_mlp,
    "equinox-mlp": _equinox_mlp,
}


@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("name", list(ALL))
def test_save_and_read_model(name, compress, tmp_path):
    fn, args = ALL[name]()
    model = ovjax.convert_model(fn, example_input=args)
    path = str(tmp_path / "m.xml")
    ov.save_model(model, path, compress_to_fp16=compress)
    back = ov.Core().read_model(path)
    assert back.get_rt_info(["ovjax", "version"]).astype(str) == ovjax.__version__
    assert back.get_rt_info(["ovjax", "equations"]).astype(str) == model.get_rt_info(["ovjax", "equations"]).astype(str)
    assert fused_counts(back) == fused_counts(model), fused_counts(back)
    assert fused_counts(model) or name in ("haiku-mlp", "equinox-mlp")  # MLPs: nothing to fuse
    want = np.asarray(jax.jit(fn)(*args))
    got = compile_cpu(back)(list(args))[0]
    err = np.abs(got - want).max() / max(np.abs(want).max(), 1e-6)
    assert err < (5e-3 if compress else 1e-5), f"{name}: max error {err:.3g} of the largest output"
