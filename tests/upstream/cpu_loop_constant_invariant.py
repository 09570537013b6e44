"""OpenVINO CPU plugin: compile_model fails on a Loop whose invariant input is a Constant
when the body also reads the current iteration. Built with openvino.opset13 only (no
ovjax, no JAX).

    python tests/upstream/cpu_loop_constant_invariant.py

A Loop of 5 iterations carrying c: f32[3], c = c * xs[i] + 1 with xs: f32[5, 3] an
invariant input and i the body's current-iteration Parameter. Four variants: xs a model
Parameter or a Constant, the row index i or a constant 0. Each is compiled on CPU and run;
the result is compared with numpy.

Seen with OpenVINO 2026.4.1 on an x86-64 Intel Xeon (AVX512-BF16, AMX), through ovjax
(jax.grad of a scan converted as a Loop, whose reverse scan reads a folded constant of
ones): with xs a Constant and the iteration read, compile_model raises
"vector::_M_range_check: __n (which is 2) >= this->size() (which is 2)"; the other three
compile and compute the right values. ovjax moves constant invariant inputs into the
body (frontend/cpu_workarounds.cpp, constant_loop_inputs_inside). Exits with status 1
while the bug reproduces.
"""

from __future__ import annotations

import sys

import numpy as np


def build(const_xs: bool, read_iteration: bool, xs_value: np.ndarray):
    import openvino as ov
    import openvino.opset13 as ops

    c0 = ops.parameter([3], np.float32, name="c")
    xs = ops.constant(xs_value) if const_xs else ops.parameter([5, 3], np.float32, name="xs")
    px, pc = ops.parameter([5, 3], np.float32), ops.parameter([3], np.float32)
    pi = ops.parameter([], np.int64)
    row = ops.gather(px, pi if read_iteration else ops.constant(np.int64(0)), ops.constant(np.int64(0)))
    nc = ops.add(ops.multiply(pc, row), ops.constant(np.float32(1)))
    body = ov.Model([nc, ops.constant(True)], [px, pc, pi] if read_iteration else [px, pc])
    loop = ops.loop(ops.constant(np.int64(5)), ops.constant(True))
    loop.set_function(body)
    loop.set_special_body_ports([2 if read_iteration else -1, 1])
    loop.set_invariant_input(px, xs.output(0))
    loop.set_merged_input(pc, c0.output(0), nc.output(0))
    return ov.Model([loop.get_iter_value(nc.output(0), -1)], [c0] if const_xs else [c0, xs])


def main() -> int:
    import openvino as ov

    rng = np.random.default_rng(0)
    xs_value = rng.uniform(0.5, 1.0, (5, 3)).astype(np.float32)
    c = rng.standard_normal(3).astype(np.float32)
    bad = 0
    for const_xs in (False, True):
        for read_iteration in (True, False):
            want = c.copy()
            for i in range(5):
                want = want * xs_value[i if read_iteration else 0] + 1
            name = f"xs {'Constant' if const_xs else 'Parameter'}, {'xs[i]' if read_iteration else 'xs[0]'}"
            try:
                compiled = ov.Core().compile_model(build(const_xs, read_iteration, xs_value), "CPU")
                got = compiled([c] if const_xs else [c, xs_value])[0]
                print(f"{name}: compiled, max error {float(np.abs(got - want).max()):.3g}")
            except RuntimeError as e:
                print(f"{name}: compile_model failed: {str(e).strip().splitlines()[-1]}")
                bad += 1
    print("reproduces" if bad else "does not reproduce")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
