"""Locate libopenvino_ovjax_frontend.so and check it matches the running OpenVINO."""

from __future__ import annotations

from pathlib import Path

from ._options import env as _env

__version__ = "0.1.0"

LIBRARY_NAME = "libopenvino_ovjax_frontend.so"
_PKG = Path(__file__).resolve().parent


def _built_for() -> str | None:
    try:
        from ._build_info import OPENVINO_VERSION
    except ImportError:
        return None
    return OPENVINO_VERSION


def library_path() -> str:
    """Path of the frontend library (OVJAX_LIBRARY overrides, for development builds)."""
    env = _env("OVJAX_LIBRARY")
    if env:
        return env
    import sys

    pkg = sys.modules.get(__package__)
    dirs = [Path(d) for d in getattr(pkg, "__path__", [])] or [_PKG]
    for d in dirs:
        p = d / LIBRARY_NAME
        if p.exists():
            return str(p)
    raise ImportError(
        f"ovjax: {LIBRARY_NAME} is missing from {', '.join(map(str, dirs))}; the package was not built. "
        "Install it with `pip install .` from the source tree."
    )


def check_openvino_version() -> None:
    import openvino

    running = openvino.__version__.split("-")[0]
    built = _built_for()
    if built and running != built:
        raise ImportError(
            f"ovjax was built against OpenVINO {built} but OpenVINO {running} is installed. "
            f"The frontend library links to that exact release's libopenvino.so; install "
            f"openvino=={built} or rebuild ovjax against {running} (pip install --force-reinstall ovjax from source)."
        )


def register(manager) -> None:
    """Register the ovjax frontend with an openvino.frontend.FrontEndManager."""
    manager.register_front_end("ovjax", library_path())


def frontend():
    """A fresh ovjax FrontEnd (each has its own extensions)."""
    from openvino.frontend import FrontEndManager

    m = FrontEndManager()
    register(m)
    fe = m.load_by_framework("ovjax")
    if fe is None:
        raise RuntimeError("ovjax: OpenVINO could not load the ovjax frontend library " + library_path())
    return fe
