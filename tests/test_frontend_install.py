"""`ovjax frontend install` (src/python/ovjax/_frontend_install.py): OpenVINO's own tools
open .ovjax files afterwards, each run as a subprocess that never imports ovjax, and
`ovjax frontend uninstall` takes it back. The openvino package's libs directory is shared
by every environment that uses it (the CI's py311 leg sees the system's openvino): the test
holds a lock for the time the link exists, and removes it whatever happens."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import subprocess
import sys
import tempfile

import jax.numpy as jnp
import numpy as np
import openvino as ov
import pytest

import ovjax
from harness import assert_close

W = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)


def forward(x):
    return jnp.tanh(x @ W)


def run(*args, **kw):
    env = {**os.environ, "CI": "true"}
    return subprocess.run(list(args), capture_output=True, text=True, env=env, timeout=300, **kw)


@contextlib.contextmanager
def frontend_installed():
    from ovjax import _frontend_install as fi

    libs = fi.target_path().parent
    if not os.access(libs, os.W_OK):
        pytest.skip(f"{libs} is not writable here")
    lock_path = os.path.join(tempfile.gettempdir(), f"ovjax-frontend-{hashlib.sha1(bytes(libs)).hexdigest()[:12]}.lock")
    with open(lock_path, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        was = fi.installed() is not None
        try:
            r = run(sys.executable, "-m", "ovjax.cli", "frontend", "install")
            assert r.returncode == 0, r.stderr
            assert fi.installed() == fi.target_path()
            yield fi
        finally:
            if not was:
                fi.uninstall()


NO_OVJAX = (
    "import sys, numpy as np, openvino as ov\n"
    "m = ov.Core().read_model(sys.argv[1])\n"
    "assert 'ovjax' not in sys.modules\n"
    "x = np.load(sys.argv[2])\n"
    "np.save(sys.argv[3], ov.Core().compile_model(m, 'CPU', {'INFERENCE_PRECISION_HINT': 'f32'})([x])[0])\n"
)


def test_read_model_ovc_and_benchmark_app_open_ovjax_files(tmp_path):
    x = np.random.default_rng(1).standard_normal((2, 3)).astype(np.float32)
    path = str(tmp_path / "m.ovjax")
    ovjax.save(forward, path, example_input=x)
    np.save(tmp_path / "x.npy", x)
    with frontend_installed() as fi:
        r = run(sys.executable, "-c", NO_OVJAX, path, str(tmp_path / "x.npy"), str(tmp_path / "y.npy"))
        assert r.returncode == 0, r.stderr
        assert_close(np.load(tmp_path / "y.npy"), forward(x))
        # ovc and benchmark_app, as their console scripts run them
        r = run(sys.executable, "-m", "openvino.tools.ovc", path, "--output_model", str(tmp_path / "ovc.xml"))
        assert r.returncode == 0, r.stdout + r.stderr
        got = ov.Core().compile_model(str(tmp_path / "ovc.xml"), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})([x])[0]
        assert_close(got, forward(x), tol=(1e-3, 1e-3))  # ovc stores f16 weights
        code = (
            "import sys; from openvino.tools.benchmark.main import main; sys.argv = sys.argv[:1] + sys.argv[1:]; main()"
        )
        r = run(sys.executable, "-c", code, "-m", path, "-d", "CPU", "-t", "1", "-hint", "latency")
        assert r.returncode == 0 and "Throughput" in r.stdout, r.stdout[-2000:] + r.stderr[-2000:]
        # pip knows the link: `pip uninstall ovjax` removes it with the package
        rec = fi._record()
        if rec is not None and str(fi.target_path()).startswith(str(rec[1])):
            r = run(sys.executable, "-m", "pip", "show", "-f", "ovjax")
            assert os.path.relpath(fi.target_path(), rec[1]) in r.stdout, r.stdout
        r = run(sys.executable, "-m", "ovjax.cli", "frontend", "uninstall")
        assert r.returncode == 0 and "removed" in r.stdout, r.stderr
        assert fi.installed() is None
        r = run(sys.executable, "-c", NO_OVJAX, path, str(tmp_path / "x.npy"), str(tmp_path / "y.npy"))
        assert (
            r.returncode != 0 and "Available frontends" in r.stderr and "ovjax" not in r.stderr.split("Available")[-1]
        )
