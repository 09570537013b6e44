import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

# OpenVINO's telemetry forks a process for each ov.convert_model call unless it runs
# under CI; forking a multithreaded JAX process is slow and warned against.
os.environ.setdefault("CI", "true")


def pytest_collection_modifyitems(config, items):
    """Tests marked slow run only when asked for (`pytest -m slow`)."""
    if "slow" in (config.getoption("-m") or ""):
        return
    keep = [i for i in items if "slow" not in i.keywords]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if "slow" in i.keywords])
        items[:] = keep


# ---------------------------------------------------------------- every converted model compiles
#
# A converted model must never crash (or fail) OpenVINO's compile_model: the CPU plugin
# has crashed on graphs ovjax emitted (tests/upstream/). Every model a test converts
# through ovjax.convert_model, ov.convert_model or an ovjax FrontEnd's convert() is
# compiled on the CPU plugin when the test ends, unless the test compiled it already.

import weakref  # noqa: E402

_converted: list = []  # weak references to the models converted by the running test
_compiled: "weakref.WeakSet" = weakref.WeakSet()


def _record(model):
    try:
        _converted.append(weakref.ref(model))
    except TypeError:
        pass
    return model


def _install_compile_check():
    import functools

    import openvino as ov

    import ovjax
    import ovjax.convert as ovconv
    from ovjax import _library

    def recording(fn):
        @functools.wraps(fn)
        def wrapper(*a, **k):
            return _record(fn(*a, **k))

        wrapper._ovjax_recording = True
        return wrapper

    if getattr(ovconv.convert_model, "_ovjax_recording", False):
        return
    ovconv.convert_model = recording(ovconv.convert_model)
    ovjax.convert_model = ovconv.convert_model
    ov.convert_model = recording(ov.convert_model)

    class _FrontEnd:
        """An ovjax FrontEnd whose full conversions are recorded (partial ones are not:
        they may hold FrameworkNodes)."""

        def __init__(self, fe):
            self._fe = fe

        def __getattr__(self, name):
            return getattr(self._fe, name)

        def convert(self, *a):
            r = self._fe.convert(*a)
            return r if r is None else _record(r)

    base = _library.frontend
    _library.frontend = functools.wraps(base)(lambda: _FrontEnd(base()))

    compile_model = ov.Core.compile_model

    def compile_and_mark(self, model, *a, **k):
        if isinstance(model, ov.Model):
            _compiled.add(model)
        return compile_model(self, model, *a, **k)

    ov.Core.compile_model = compile_and_mark


def pytest_configure(config):
    _install_compile_check()


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _compile_every_converted_model():
    import openvino as ov

    _converted.clear()
    yield
    pending = {id(m): m for r in _converted if (m := r()) is not None and m not in _compiled}.values()
    _converted.clear()
    if not pending:
        return
    core = ov.Core()
    for m in pending:
        if any(op.get_type_name() == "FrameworkNode" for op in m.get_ops()):
            continue
        core.compile_model(m, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
