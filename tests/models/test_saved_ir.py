"""Saved IR round trip: ov.save_model (f16 weights by default) and ov.Core().read_model of
the real models of tests/models (BERT, DistilBERT, GPT-2, Llama, ViT, CLIP text and
vision, the T5 and Whisper encoders, ResNet; flax linen and nnx conv nets and LSTMs, a
Keras CNN, Haiku and Equinox MLPs) give the same outputs within f16's error, keep the
fused operations (ScaledDotProductAttention, MVN, Gelu, Softmax, Convolution; an LSTM's
Loop) and ovjax's rt_info."""

from __future__ import annotations

import collections

import jax
import numpy as np
import openvino as ov
import pytest

import ovjax
from harness import compile_cpu, rand

from ._check import call_nnx
from .test_weight_compression import MODELS

FUSED = ("ScaledDotProductAttention", "MVN", "Gelu", "Softmax", "Convolution", "Loop")


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


def _nnx_convnet():
    from flax import nnx

    from ._check import init_nnx
    from .test_flax_nnx import ConvNet

    return init_nnx(lambda: ConvNet(nnx.Rngs(0))), (rand((2, 16, 16, 3)),)


LOOP = {"scan_unroll": 0}  # the scan as an OpenVINO Loop, its body saved as a nested graph


def _nnx_lstm():
    from .test_flax_nnx import _rnn

    m, x = _rnn("LSTMCell")
    return m, (x,), LOOP


def _linen_lstm():
    from .test_flax_linen import _rnn

    m, v, x = _rnn("LSTMCell")
    return (lambda x: m.apply(v, x)), (x,), LOOP


def _keras_cnn():
    from .test_haiku_equinox_keras import _keras_cnn

    return _keras_cnn()


def _transformers(name):
    def build():
        from . import test_transformers

        return getattr(test_transformers, name)()

    return build


ALL = {
    **MODELS,
    "distilbert": _transformers("_distilbert"),
    "clip-text": _transformers("_clip_text"),
    "clip-vision": _transformers("_clip_vision"),
    "t5-encoder": _transformers("_t5_encoder"),
    "whisper-encoder": _transformers("_whisper_encoder"),
    "resnet": _resnet,
    "linen-convnet": _linen_convnet,
    "nnx-convnet": _nnx_convnet,
    "linen-lstm": _linen_lstm,
    "nnx-lstm": _nnx_lstm,
    "keras-cnn": _keras_cnn,
    "haiku-mlp": _haiku_mlp,
    "equinox-mlp": _equinox_mlp,
}


def _is_nnx(m) -> bool:
    from flax import nnx

    return isinstance(m, nnx.Module)


@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("name", list(ALL))
def test_save_and_read_model(name, compress, tmp_path):
    fn, args, *options = ALL[name]()  # some with conversion options
    model = ovjax.convert_model(fn, example_input=args, options=options[0] if options else None)
    path = str(tmp_path / "m.xml")
    ov.save_model(model, path, compress_to_fp16=compress)
    back = ov.Core().read_model(path)
    assert back.get_rt_info(["ovjax", "version"]).astype(str) == ovjax.__version__
    assert back.get_rt_info(["ovjax", "equations"]).astype(str) == model.get_rt_info(["ovjax", "equations"]).astype(str)
    assert fused_counts(back) == fused_counts(model), fused_counts(back)
    assert fused_counts(model) or name in ("haiku-mlp", "equinox-mlp")  # MLPs: nothing to fuse
    want = call_nnx(fn, *args) if _is_nnx(fn) else jax.jit(fn)(*args)  # an nnx module is converted as it is
    wants = [np.asarray(w) for w in jax.tree_util.tree_leaves(want)]
    result = compile_cpu(back)(list(args))
    assert len(result) == len(wants)
    for i, want in enumerate(wants):
        got = result[i]
        err = np.abs(got - want).max() / max(np.abs(want).max(), 1e-6)
        assert err < (5e-3 if compress else 1e-5), f"{name} output {i}: max error {err:.3g} of the largest output"
