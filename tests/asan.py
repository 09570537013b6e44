"""Build and run the standalone .ovjax reader under AddressSanitizer + UBSan."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "src/cpp/format/reader.cpp", ROOT / "src/cpp/tools/read_check.cpp"]
HEADERS = [ROOT / "src/cpp/format/format.hpp"]


def _binary() -> Path:
    h = hashlib.sha256()
    for p in SOURCES + HEADERS:
        h.update(p.read_bytes())
    out = ROOT / "build" / "asan" / f"read_check-{h.hexdigest()[:16]}"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        cxx = os.environ.get("CXX", "g++")
        cmd = [
            cxx,
            "-std=c++17",
            "-O1",
            "-g",
            "-fsanitize=address,undefined",
            "-fno-sanitize-recover=all",
            "-fno-omit-frame-pointer",
            "-I",
            str(ROOT / "src/cpp"),
            *map(str, SOURCES),
            "-o",
            str(out) + ".tmp",
        ]
        subprocess.run(cmd, check=True)
        os.replace(str(out) + ".tmp", out)
    return out


def read_check(*paths) -> tuple[int, str]:
    """Exit code and output of the sanitized reader on `paths` (one line per file if several)."""
    env = dict(
        os.environ,
        ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=99",
        UBSAN_OPTIONS="halt_on_error=1:exitcode=98",
    )
    p = subprocess.run([str(_binary()), *map(str, paths)], capture_output=True, text=True, env=env, timeout=60)
    out = (p.stdout + p.stderr).strip()
    return p.returncode, out
