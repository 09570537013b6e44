"""Replays the fuzzing regression corpus, tests/data/fuzz_regressions/ (docs/fuzzing.md).

Every file there once crashed the reader or the frontend, or is a hand-made file for a
past bug (fuzz/make_regressions.py). Each one goes through the standalone reader built
with AddressSanitizer + UBSan (tests/asan.py), which must open it cleanly or reject it
with an error, and through ov.convert_model in a separate process, which must convert it
or raise an exception: never a crash, a sanitizer report or a hang.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from asan import read_check

CORPUS = Path(__file__).resolve().parent / "data" / "fuzz_regressions"
FILES = sorted(CORPUS.glob("*.ovjax"))

# Converts each file named on the command line and prints one line per file, so that
# the parent can tell which file a crash happened on.
_CONVERT = r"""
import sys
import ovjax  # registers the frontend with ov.convert_model
import openvino as ov

for path in sys.argv[1:]:
    try:
        ov.convert_model(path)
        print("ok", path, flush=True)
    except Exception as e:  # a clean rejection
        print("error", path, type(e).__name__, str(e).replace("\n", " ")[:300], flush=True)
"""


def test_corpus_is_there():
    assert len(FILES) >= 10, f"regression corpus missing from {CORPUS}"
    for f in FILES:
        assert f.stat().st_size <= 128 * 1024, f"{f.name}: keep regression files small"


@pytest.fixture(scope="module")
def read_results() -> dict[str, tuple[int, str]]:
    """file name -> (exit code, output) of the sanitized reader."""
    rc, out = read_check(*FILES)  # one sanitized process reads them all
    lines = out.splitlines()
    if rc in (0, 1) and len(lines) == len(FILES) and len(FILES) > 1:
        return {f.name: (0 if ln.startswith(f"{f}: ok") else 1, ln) for f, ln in zip(FILES, lines)}
    # a crash (or a single file): each file on its own, to name the one that crashed
    return {f.name: read_check(f) for f in FILES}


@pytest.fixture(scope="module")
def convert_results() -> dict[str, tuple[str, str]]:
    """file name -> ("ok" | "error" | "crash", detail) of ov.convert_model in a subprocess."""
    results: dict[str, tuple[str, str]] = {}
    pending = [str(f) for f in FILES]
    env = dict(os.environ, CI="true")
    while pending:
        try:
            p = subprocess.run(
                [sys.executable, "-c", _CONVERT, *pending], capture_output=True, text=True, env=env, timeout=600
            )
            rc, stdout, stderr = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired as e:
            rc, stdout, stderr = "timeout", (e.stdout or b"").decode(errors="replace"), ""
        for line in stdout.splitlines():
            status, path, *rest = line.split(" ", 2)
            if path in pending:
                results[Path(path).name] = (status, " ".join(rest))
                pending.remove(path)
        if pending:
            if rc == 0:  # cannot happen: every file prints a line
                for path in pending:
                    results[Path(path).name] = ("crash", f"not reported: {stderr[-3000:]}")
                break
            # the process died on the first file it did not report
            results[Path(pending.pop(0)).name] = ("crash", f"exit {rc}: {stderr[-3000:]}")
    return results


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_sanitized_reader_is_clean(path, read_results):
    rc, out = read_results[path.name]
    assert rc in (0, 1), f"{path.name}: the sanitized reader crashed (exit {rc}):\n{out[-3000:]}"
    if rc == 1:
        assert "error: " in out, out


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_convert_model_is_clean(path, convert_results):
    status, detail = convert_results[path.name]
    assert status in ("ok", "error"), f"{path.name}: ov.convert_model {status}: {detail}"
