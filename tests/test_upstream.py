"""The OpenVINO reproducers in tests/upstream, run in subprocesses (they crash by design).

They document OpenVINO bugs that ovjax works around; the outcome is informative: a fixed
bug shows up as a skip telling that the workaround may no longer be needed, and a crash
never takes pytest down.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

UPSTREAM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "upstream")


def test_cpu_matmul_scalar_reshape():
    script = os.path.join(UPSTREAM, "cpu_matmul_scalar_reshape.py")
    p = subprocess.run([sys.executable, script], capture_output=True, text=True, timeout=900)
    print(p.stdout)
    lines = p.stdout.splitlines()
    # the forms ovjax emits instead must compile and compute 14 (sum of x * x, x = 0..3)
    for variant in ("squeeze_scalar", "vector_dot"):
        assert any(line.startswith(f"{variant}: compiled, result 14.0") for line in lines), p.stdout + p.stderr
    if p.returncode == 0:
        pytest.skip(
            "OpenVINO no longer crashes on a MatMul Reshaped to rank 0: "
            "ops/utils.cpp reshape()'s Squeeze may no longer be needed\n" + p.stdout
        )
    assert p.returncode == 1, p.stdout + p.stderr


def test_cpu_shared_weight_two_layouts():
    script = os.path.join(UPSTREAM, "cpu_shared_weight_two_layouts.py")
    p = subprocess.run([sys.executable, script], capture_output=True, text=True, timeout=900)
    print(p.stdout)
    # the form ovjax emits instead (a buffer per layout) must compute both products right
    assert "two buffers: x @ W max error 0, y @ W^T max error 0" in p.stdout, p.stdout + p.stderr
    if p.returncode == 0:
        pytest.skip(
            "OpenVINO computes one constant in two MatMul layouts right now: "
            "cpu_workarounds.cpp separate_shared_matmul_weights may no longer be needed\n" + p.stdout
        )
    assert p.returncode == 1, p.stdout + p.stderr


def test_cpu_loop_constant_invariant():
    script = os.path.join(UPSTREAM, "cpu_loop_constant_invariant.py")
    p = subprocess.run([sys.executable, script], capture_output=True, text=True, timeout=900)
    print(p.stdout)
    # the forms ovjax emits (the constant inside the body, or a non-constant input) compile and compute right
    for variant in ("xs Parameter, xs[i]", "xs Parameter, xs[0]", "xs Constant, xs[0]"):
        assert f"{variant}: compiled, max error 0\n" in p.stdout, p.stdout + p.stderr
    if p.returncode == 0:
        pytest.skip(
            "OpenVINO compiles a Loop with a Constant invariant input now: "
            "cpu_workarounds.cpp constant_loop_inputs_inside may no longer be needed\n" + p.stdout
        )
    assert p.returncode == 1, p.stdout + p.stderr


def test_cpu_loop_unread_carry():
    script = os.path.join(UPSTREAM, "cpu_loop_unread_carry.py")
    p = subprocess.run([sys.executable, script], capture_output=True, text=True, timeout=900)
    print(p.stdout)
    # a carry the body reads is right whatever the trip count
    assert p.stdout.count("the carry read right") == 4, p.stdout + p.stderr
    if p.returncode == 0:
        pytest.skip(
            "OpenVINO returns an unread carry's initial value after zero iterations now: "
            "control_flow.cpp translate_while's Select may no longer be needed\n" + p.stdout
        )
    assert p.returncode == 1, p.stdout + p.stderr
