"""Route ``openvino.convert_model`` through ovjax for JAX objects and .ovjax files.

OpenVINO's ``convert_impl`` looks up ``check_model_object`` and ``FrontEndManager``
as module globals at call time. ovjax wraps both: every manager it creates knows the
ovjax frontend, and JAX objects (jaxprs, Flax modules) are claimed as framework
``ovjax`` and replaced by their serialized in-memory form before OpenVINO's pipeline
sees them: jaxprs, Flax, Equinox and Haiku modules, jax.jit functions and their traces,
and a plain callable given with ``example_input`` that no other frontend takes.
``example_input`` (which OpenVINO hands only to its PyTorch frontend) is
taken from the call's own arguments. If OpenVINO's internals change, the hook warns
once and stays off; ``ovjax.convert_model`` keeps working. OVJAX_DISABLE_HOOK=1 turns
it off.
"""

from __future__ import annotations

import os
import warnings

import contextlib

from . import _options

_installed = False
_originals: dict = {}


def install() -> bool:
    global _installed
    if _installed:
        return True
    if _options.env_flag("OVJAX_DISABLE_HOOK", False):
        return False
    try:
        from openvino.tools.ovc import convert_impl as ci

        orig_check = ci.check_model_object
        orig_fem = ci.FrontEndManager
        orig_emit = ci.moc_emit_ir
        if getattr(orig_check, "_ovjax", False):
            _installed = True
            return True
    except Exception as e:  # pragma: no cover - depends on OpenVINO internals
        warnings.warn(f"ovjax: cannot hook openvino.convert_model ({e}); use ovjax.convert_model instead")
        return False

    from . import _library
    from .convert import has_fixed_shapes, is_jax_model, to_frontend_input, trace

    def plain_callable(argv, error: Exception) -> bool:
        """A callable given with example_input that OpenVINO's own frontends rejected as an
        unknown model type (a torch module or a tf.function is theirs, and checked first)."""
        model = argv["input_model"]
        return (
            callable(model)
            and argv.get("example_input") is not None
            and not isinstance(model, (str, bytes, os.PathLike))
            and "Unknown model type" in str(error)
        )

    def to_ovjax(argv) -> str:
        model = argv["input_model"]
        spec = argv.get("input")
        retrace = spec is not None and not has_fixed_shapes(model)
        traced = trace(model, argv.get("example_input"), input=spec if retrace else None)
        argv["input_model"] = to_frontend_input(traced, bool(argv.get("share_weights", True)))
        argv["example_input"] = None
        if retrace:
            # the trace has the input shapes and types: OpenVINO's own parsing of
            # input= does not know symbol names ("B") and would set them again
            argv["input"] = None
        return "ovjax"

    def check_model_object(argv):
        if is_jax_model(argv["input_model"]):
            return to_ovjax(argv)
        try:
            return orig_check(argv)  # once: its answer, or its error, decides
        except Exception as e:
            if plain_callable(argv, e):
                return to_ovjax(argv)
            raise

    check_model_object._ovjax = True  # type: ignore[attr-defined]

    class FrontEndManager(orig_fem):  # type: ignore[misc, valid-type]
        """OpenVINO's manager with the ovjax frontend registered; .ovjax files
        (recognised by their magic bytes) go straight to it."""

        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            try:
                _library.register(self)
            except Exception as e:  # pragma: no cover
                warnings.warn(f"ovjax: cannot register the ovjax frontend: {e}")

        def load_by_model(self, model, *a, **k):
            if _is_ovjax_file(model):
                return self.load_by_framework("ovjax")
            return super().load_by_model(model, *a, **k)

    def moc_emit_ir(model, argv):
        """OpenVINO's post-conversion step. For ovjax models its generic MOC cleanup
        pass (apply_moc_transformations) is skipped unless OVJAX_MOC_PASSES=1: ovjax
        emits static graphs whose shapes and constants are already resolved, the pass
        would be most of ov.convert_model's time on large jaxprs (benchmarks/README.md
        has the measurements), and compile_model runs the plugin's own pipeline either
        way. Preprocessing options and the remaining steps run as usual."""
        if getattr(argv, "framework", None) != "ovjax" or _options.env_flag("OVJAX_MOC_PASSES", False):
            return orig_emit(model, argv)
        from openvino._offline_transformations import compress_quantize_weights_transformation
        from openvino.tools.ovc.moc_frontend.offline_transformations import apply_fused_names_cleanup
        from openvino.tools.ovc.moc_frontend.preprocessing import apply_preprocessing

        if getattr(argv, "layout_values", None):  # the only option it acts on; a no-op build otherwise
            apply_preprocessing(ov_function=model, argv=argv)
        # ovjax emits no FakeQuantize; a ConversionExtension might.
        if any(op.get_type_name() == "FakeQuantize" for op in model.get_ops()):
            compress_quantize_weights_transformation(model)
        apply_fused_names_cleanup(model)
        if hasattr(argv, "feManager"):
            del argv.feManager
        return model

    _originals["check_model_object"] = orig_check
    _originals["FrontEndManager"] = orig_fem
    _originals["moc_emit_ir"] = orig_emit
    ci.check_model_object = check_model_object
    ci.FrontEndManager = FrontEndManager
    ci.moc_emit_ir = moc_emit_ir
    _installed = True
    return True


def _is_ovjax_file(model) -> bool:
    from .format import MAGIC

    if not isinstance(model, (str, os.PathLike)):
        return False
    try:
        with open(model, "rb") as f:
            return f.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def uninstall() -> None:
    """Restore OpenVINO's own convert_model behaviour."""
    global _installed
    if not _installed or not _originals:
        _installed = False
        return
    from openvino.tools.ovc import convert_impl as ci

    ci.check_model_object = _originals["check_model_object"]
    ci.FrontEndManager = _originals["FrontEndManager"]
    ci.moc_emit_ir = _originals["moc_emit_ir"]
    _installed = False


@contextlib.contextmanager
def disabled():
    """Within this block, ov.convert_model uses OpenVINO's built-in JAX frontend."""
    was = _installed
    uninstall()
    try:
        yield
    finally:
        if was:
            install()
