"""Route ``openvino.convert_model`` through ovjax for JAX objects and .ovjax files.

``ov.convert_model`` is OpenVINO's wrapper: it parses the arguments, sends telemetry,
picks a frontend and runs its pipeline. For what ovjax claims (jaxprs, Flax, Equinox and
Haiku modules, jax.jit functions and their traces, .ovjax files, and a plain callable
given with ``example_input`` that no other frontend takes) the hook replaces the
wrapper's ``_convert`` step with ovjax's own conversion (``_convert_directly``), the
same as ``ovjax.convert_model``, with every documented ``ov.convert_model`` argument
(input, output, example_input, extension, verbose, share_weights; dynamo warns as it does
for any non-PyTorch model). Everything else goes to OpenVINO untouched.

Why not through the wrapper (measured in benchmarks/conversion.py, README "Conversion
time"): with OpenVINO's telemetry on, as users have it by default, the wrapper forks the
process for each telemetry event, seven times per call. In a process running JAX that
costs about 100 ms per conversion, more the bigger the process, prints JAX's warning
that fork() in a multithreaded process "will likely lead to a deadlock", and risks that
deadlock. So ovjax conversions send no OpenVINO telemetry: the user's telemetry setting
is not changed, and OpenVINO's own tools and frontends report as before.

OpenVINO's ``FrontEndManager`` is wrapped too, so that a manager OpenVINO creates knows
the ovjax frontend and sends .ovjax files (recognised by their magic bytes) to it. If
OpenVINO's internals change, the hook warns once and stays off; ``ovjax.convert_model``
keeps working. OVJAX_DISABLE_HOOK=1 turns it off.
"""

from __future__ import annotations

import contextlib
import os
import warnings

from . import _options

_installed = False
_originals: dict = {}
# the top-level modules of the frameworks whose objects OpenVINO's own frontends take
_OTHER_FRAMEWORKS = frozenset({"torch", "tensorflow", "tf_keras", "paddle"})


def install() -> bool:
    global _installed
    if _installed:
        return True
    if _options.env_flag("OVJAX_DISABLE_HOOK", False):
        return False
    try:
        from openvino.tools.ovc import convert as cv
        from openvino.tools.ovc import convert_impl as ci

        orig_convert = cv._convert
        orig_fem = ci.FrontEndManager
        orig_check = ci.check_model_object
        if getattr(orig_convert, "_ovjax", False):
            _installed = True
            return True
    except Exception as e:  # pragma: no cover - depends on OpenVINO internals
        warnings.warn(f"ovjax: cannot hook openvino.convert_model ({e}); use ovjax.convert_model instead")
        return False

    from . import _library
    from .convert import is_jax_model

    def claims(args) -> bool:
        model = _single(args.get("input_model"))
        if is_jax_model(model) or _is_ovjax_file(model):
            return True
        # a plain callable given with example_input that OpenVINO's own frontends reject
        # as an unknown model type (a torch module or a tf.function is theirs: not asked
        # here, so that OpenVINO examines those once)
        if not callable(model) or args.get("example_input") is None or isinstance(model, (str, bytes, os.PathLike)):
            return False
        if type(model).__module__.split(".")[0] in _OTHER_FRAMEWORKS:
            return False
        try:
            orig_check(dict(args))
        except Exception as e:
            return "Unknown model type" in str(e)
        return False

    def _convert(cli_parser, args, python_api_used):
        if python_api_used and claims(args):
            return _convert_directly(args), None
        return orig_convert(cli_parser, args, python_api_used)

    _convert._ovjax = True  # type: ignore[attr-defined]

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

    _originals["_convert"] = orig_convert
    _originals["FrontEndManager"] = orig_fem
    cv._convert = _convert
    ci.FrontEndManager = FrontEndManager
    _installed = True
    return True


def _single(model):
    """ov.convert_model's input_model: a list or tuple of one model is that model."""
    if isinstance(model, (list, tuple)) and len(model) == 1:
        return model[0]
    return model


def _convert_directly(args):
    """``ov.convert_model(**args)`` for a model ovjax claims, without OpenVINO's wrapper:
    ovjax.convert_model with the documented arguments, then what the wrapper's pipeline
    does after a frontend (fused-names cleanup, and its MOC passes only when
    OVJAX_MOC_PASSES=1; see moc_passes) and the rt_info it records."""
    import time

    from . import convert

    t0 = time.perf_counter()
    if args.get("dynamo"):
        warnings.warn(
            "dynamo=True is only supported for PyTorch models, but the provided model is a JAX model. "
            "The dynamo parameter will be ignored.",
            stacklevel=4,
        )
    model = convert.convert_model(
        _single(args["input_model"]),
        example_input=args.get("example_input"),
        input=args.get("input"),
        output=args.get("output"),
        share_weights=bool(args.get("share_weights", True)),
        extension=args.get("extension"),
    )
    moc_passes(model, args.get("extension") is not None)
    _record_conversion(model, args)
    if args.get("verbose"):
        print(f"[ SUCCESS ] ovjax: converted in {time.perf_counter() - t0:.2f} seconds.")
    return model


def moc_passes(model, extended: bool) -> None:
    """What OpenVINO's pipeline applies to a frontend's model. Its generic MOC cleanup
    pass (apply_moc_transformations) runs only with OVJAX_MOC_PASSES=1: ovjax emits
    graphs whose static shapes and constants are already resolved, the pass would be
    most of the conversion time on large jaxprs (benchmarks/README.md), and
    compile_model runs the plugin's own pipeline either way (README, "Saved IR")."""
    from openvino._offline_transformations import apply_moc_transformations, compress_quantize_weights_transformation
    from openvino.tools.ovc.moc_frontend.offline_transformations import apply_fused_names_cleanup

    moc = _options.env_flag("OVJAX_MOC_PASSES", False)
    if moc:
        apply_moc_transformations(model, cf=False, smart_reshape=True)
    # ovjax's translators make no FakeQuantize and no fused-names rt_info: only the MOC
    # pass or a ConversionExtension can (looking costs 7 ms on 5,000 operations)
    if moc or extended:
        if any(op.get_type_name() == "FakeQuantize" for op in model.get_ops()):
            compress_quantize_weights_transformation(model)
        apply_fused_names_cleanup(model)


def _record_conversion(model, args) -> None:
    """The rt_info OpenVINO's wrapper writes: the runtime version, and the arguments
    given that are not their defaults, when they are plain values."""
    import numbers

    import openvino as ov

    model.set_rt_info(ov.get_version(), "Runtime_version")
    defaults = {"verbose": False, "share_weights": True, "dynamo": False}
    for key in ("input", "output", "verbose", "share_weights", "dynamo"):
        value = args.get(key)
        if value is None or (key in defaults and value == defaults[key]):
            continue
        if isinstance(value, (str, bool, numbers.Number)):
            model.set_rt_info(str(value), ["conversion_parameters", key])


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

    from openvino.tools.ovc import convert as cv

    cv._convert = _originals["_convert"]
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
