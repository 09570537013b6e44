"""`ovjax frontend install`: make OpenVINO discover the ovjax frontend by itself.

OpenVINO loads the frontends it finds next to its own library, named
``libopenvino_<name>_frontend.so.<suffix>`` with the suffix of its ``libopenvino.so``
(``openvino/libs/libopenvino_pytorch_frontend.so.2641`` for 2026.4.1; the
``OV_FRONTEND_PATH`` variable is gone). Installing puts a symbolic link of that name to
ovjax's own library there (a copy where links are not possible) and lists it in ovjax's
pip RECORD, so that ``pip uninstall ovjax`` removes it with the package; ``uninstall``
removes it now. Nothing else in the openvino package changes.
"""

from __future__ import annotations

import glob
import os
import shutil
from pathlib import Path

from . import _library


def _libs_dir() -> Path:
    import openvino

    return Path(openvino.__file__).resolve().parent / "libs"


def target_path() -> Path:
    """Where OpenVINO looks for a frontend called ovjax."""
    libs = _libs_dir()
    cores = sorted(glob.glob(str(libs / "libopenvino.so.*")))
    if not cores:
        raise RuntimeError(f"ovjax: no libopenvino.so.* in {libs}: not an openvino wheel this command knows")
    suffix = Path(cores[0]).name[len("libopenvino.so") :]
    return libs / f"libopenvino_ovjax_frontend.so{suffix}"


def installed() -> Path | None:
    t = target_path()
    return t if t.exists() or t.is_symlink() else None


def _record():
    """(RECORD path, site-packages root) of the pip-installed ovjax, or None (a source
    tree on PYTHONPATH has none)."""
    try:
        from importlib import metadata

        dist = metadata.distribution("ovjax")
    except Exception:
        return None
    for f in dist.files or []:
        if f.name == "RECORD":
            return Path(dist.locate_file(f)), Path(dist.locate_file(""))
    return None


def _record_entry(target: Path, root: Path) -> str:
    return os.path.relpath(target, root).replace(os.sep, "/") + ",,"


def install() -> tuple[Path, str]:
    target = target_path()
    source = Path(_library.library_path()).resolve()
    if not os.access(target.parent, os.W_OK):
        raise PermissionError(f"ovjax: cannot write to {target.parent} (the openvino package's libs directory)")
    if target.is_symlink() or target.exists():
        target.unlink()
    try:
        target.symlink_to(source)
    except OSError:
        shutil.copy2(source, target)
    rec = _record()
    if rec is None:
        return target, (
            "ovjax is not pip-installed here (no RECORD): `ovjax frontend uninstall` removes the link; "
            "pip cannot know of it."
        )
    record, root = rec
    entry = _record_entry(target, root)
    lines = record.read_text().splitlines()
    if entry not in lines:
        record.write_text("\n".join([*lines, entry]) + "\n")
    note = f"listed in {record}: `pip uninstall ovjax` removes it with the package"
    if entry.startswith("../"):
        note += (
            f" only if pip may write outside {root} (openvino is installed in another environment); run "
            "`ovjax frontend uninstall` first to be sure"
        )
    return target, note + "; `ovjax frontend uninstall` removes it now."


def uninstall() -> Path | None:
    target = target_path()
    removed = None
    if target.is_symlink() or target.exists():
        target.unlink()
        removed = target
    rec = _record()
    if rec is not None:
        record, root = rec
        entry = _record_entry(target, root)
        lines = record.read_text().splitlines()
        if entry in lines:
            record.write_text("\n".join(ln for ln in lines if ln != entry) + "\n")
    return removed
