"""NNCF weight compression (nncf.compress_weights, what OpenVINO users shrink models with,
and how GenAI's int8/int4 LLMs are made) reaches every Dense, attention and embedding
weight of the transformers ovjax converts: each weight is a Constant that feeds its MatMul
or Gather directly (a transposed use is MatMul's transpose_b, not a Transpose node), and
the compressed model's outputs stay within int8's (int4's) usual error of JAX's."""

from __future__ import annotations

import jax
import numpy as np
import openvino as ov
import pytest

import ovjax
from harness import compile_cpu

from .test_transformers import _bert, _gpt2, _llama, _mask, _tokens, _vit

nncf = pytest.importorskip("nncf")
pytest.importorskip("transformers.models.bert.modeling_flax_bert", reason="this transformers has no Flax models (5.x)")


def _text(build, out):
    model, params = build()
    return (lambda ids, mask: getattr(model(ids, attention_mask=mask, params=params), out)), (_tokens(100), _mask())


def _image():
    model, params = _vit()
    x = np.random.default_rng(0).uniform(-1, 1, (2, 3, 32, 32)).astype(np.float32)
    return (lambda px: model(px, params=params).last_hidden_state), (x,)


MODELS = {
    "bert": lambda: _text(_bert, "last_hidden_state"),
    "gpt2": lambda: _text(_gpt2, "logits"),
    # weights above the size normalize folds (2^16 elements), as real models have them
    # (GPT-2's FlaxConv1D uses its kernel transposed)
    "gpt2-256": lambda: _text(lambda: _gpt2(256), "logits"),
    "llama": lambda: _text(_llama, "logits"),
    "vit": _image,
}


def from_inputs(out, seen=None) -> bool:
    """Whether a value depends on a model input (else it is folded when the model compiles)."""
    seen = set() if seen is None else seen
    node = out.get_node()
    if node.get_type_name() == "Parameter":
        return True
    if id(node) in seen:
        return False
    seen.add(id(node))
    return any(from_inputs(v, seen) for v in node.input_values())


def weights(model: ov.Model):
    """The float Constants (rank >= 2) read by a MatMul or a Gather whose other operand
    depends on the inputs (a product or lookup of constants is folded at compile time)."""
    found = []
    for op in model.get_ops():
        if op.get_type_name() != "Constant" or not op.get_output_element_type(0).is_real():
            continue
        if len(op.get_output_shape(0)) < 2:
            continue
        for t in op.output(0).get_target_inputs():
            user = t.get_node()
            if user.get_type_name() == "MatMul" and from_inputs(user.input_value(1 - t.get_index())):
                found.append(op)
            elif user.get_type_name() == "Gather" and t.get_index() == 0 and from_inputs(user.input_value(1)):
                found.append(op)
    return found


@pytest.mark.parametrize("mode", ["int8", "int4"])
@pytest.mark.parametrize("name", list(MODELS))
def test_every_weight_is_compressed(name, mode):
    fn, args = MODELS[name]()
    model = ovjax.convert_model(fn, example_input=args)
    found = weights(model)
    assert found, "no weights found"
    for w in found:  # read as they are: no Transpose or Convert in between
        assert all(t.get_node().get_type_name() in ("MatMul", "Gather") for t in w.output(0).get_target_inputs()), w
    names = {w.get_friendly_name() for w in found}
    # every constant operand of a MatMul, and every constant table a Gather reads with
    # indices from the inputs, is a Constant itself: none reaches its product through a
    # Transpose or Convert, which NNCF does not look through
    for op in model.get_ops():
        kind = op.get_type_name()
        ports = [0, 1] if kind == "MatMul" else [0] if kind == "Gather" else []
        for i in ports:
            other = op.input_value(1 - i) if kind == "MatMul" else op.input_value(1)
            if not from_inputs(op.input_value(i)) and from_inputs(other):
                src = op.input_value(i).get_node()
                assert src.get_type_name() == "Constant", f"{op.get_friendly_name()} reads a {src.get_type_name()}"
    if mode == "int8":
        compressed = nncf.compress_weights(model, mode=nncf.CompressWeightsMode.INT8_ASYM)
        tol = 0.05
    else:  # int4 for every layer it can, group size 16 for these small widths (the rest int8)
        compressed = nncf.compress_weights(model, mode=nncf.CompressWeightsMode.INT4_ASYM, ratio=1.0, group_size=16)
        tol = 0.25
    left = [
        op.get_friendly_name()
        for op in weights(compressed)
        if op.get_friendly_name() in names and op.get_output_element_type(0).is_real()
    ]
    assert not left, f"float weights left after {mode} compression: {left}"
    ints = [
        op
        for op in compressed.get_ops()
        if op.get_type_name() == "Constant"
        and op.get_output_element_type(0).get_type_name() in ("u8", "i8", "u4", "i4")
    ]
    assert len(ints) >= len(found), (len(ints), len(found))
    want = np.asarray(jax.jit(fn)(*args))
    got = compile_cpu(compressed)(list(args))[0]
    err = np.linalg.norm(got - want) / np.linalg.norm(want)
    assert err < tol, f"{name} {mode}: relative error {err:.3g}"
