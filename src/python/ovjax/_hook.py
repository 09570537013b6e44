"""Route ``openvino.convert_model`` through ovjax for JAX objects and .ovjax files.

OpenVINO's ``convert_impl`` looks up ``check_model_object`` and ``FrontEndManager``
as module globals at call time. ovjax wraps both: every manager it creates knows the
ovjax frontend, and JAX objects (jaxprs, Flax modules) are claimed as framework
``ovjax`` and replaced by their serialized in-memory form before OpenVINO's pipeline
sees them. ``example_input`` (which OpenVINO hands only to its PyTorch frontend) is
taken from the call's own arguments. If OpenVINO's internals change, the hook warns
once and stays off; ``ovjax.convert_model`` keeps working. OVJAX_DISABLE_HOOK=1 turns
it off.
"""

from __future__ import annotations

import os
import warnings

import contextlib

_installed = False
_originals: dict = {}


def install() -> bool:
    global _installed
    if _installed:
        return True
    if os.environ.get("OVJAX_DISABLE_HOOK", "") not in ("", "0"):
        return False
    try:
        from openvino.tools.ovc import convert_impl as ci

        orig_check = ci.check_model_object
        orig_fem = ci.FrontEndManager
        if getattr(orig_check, "_ovjax", False):
            _installed = True
            return True
    except Exception as e:  # pragma: no cover - depends on OpenVINO internals
        warnings.warn(f"ovjax: cannot hook openvino.convert_model ({e}); use ovjax.convert_model instead")
        return False

    from . import _library
    from .convert import is_jax_model, to_frontend_input, trace

    def check_model_object(argv):
        model = argv["input_model"]
        if is_jax_model(model):
            traced = trace(model, argv.get("example_input"), input=None)
            argv["input_model"] = to_frontend_input(traced, bool(argv.get("share_weights", True)))
            argv["example_input"] = None
            return "ovjax"
        return orig_check(argv)

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

    _originals["check_model_object"] = orig_check
    _originals["FrontEndManager"] = orig_fem
    ci.check_model_object = check_model_object
    ci.FrontEndManager = FrontEndManager
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
