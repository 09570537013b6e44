"""OpenVINO CPU plugin: a Loop's merged (carried) input whose body Parameter is never read
comes out as uninitialised memory, not its initial value, when the Loop runs zero
iterations. Built with openvino.opset13 only (no ovjax, no JAX).

    python tests/upstream/cpu_loop_unread_carry.py

A while-style Loop (trip count -1, execution condition `n > 0` from a model Parameter)
carrying a: f32[2, 3], y: f32[2, 3] and j: i32, with a <- a * 2, y <- a + 1, j <- j + 1 and
the condition j < n: the body writes y and never reads it. With n = 0 the Loop must return
its initial values. Run for n = 0, 1, 3; the result is compared with numpy.

Seen with OpenVINO 2026.4.1 on an x86-64 Intel Xeon (AVX512-BF16, AMX), through ovjax (JAX's
QDWH eigendecomposition, whose subspace iteration's while loop writes a carry it never
reads, converted as such a Loop; the eigenvalues came out as NaN or garbage): y's output
after zero iterations is whatever the memory held (varies run to run); a carry the body
reads is right. ovjax selects the initial value of an unread carry when the loop does not
start (ops/control_flow.cpp, translate_while). Exits with status 1 while the bug
reproduces.
"""

from __future__ import annotations

import sys

import numpy as np


def build():
    import openvino as ov
    import openvino.opset13 as ops

    a0 = ops.parameter([2, 3], np.float32, name="a")
    y0 = ops.parameter([2, 3], np.float32, name="y")
    n = ops.parameter([], np.int32, name="n")
    pa, py, pj, pn = (
        ops.parameter([2, 3], np.float32),
        ops.parameter([2, 3], np.float32),
        ops.parameter([], np.int32),
        ops.parameter([], np.int32),
    )
    na = ops.multiply(pa, ops.constant(np.float32(2)))
    ny = ops.add(pa, ops.constant(np.float32(1)))
    nj = ops.add(pj, ops.constant(np.int32(1)))
    go = ops.less(nj, pn)
    body = ov.Model([na, ny, nj, go], [pa, py, pj, pn])
    loop = ops.loop(ops.constant(np.int64(-1)), ops.greater(n, ops.constant(np.int32(0))))
    loop.set_function(body)
    loop.set_special_body_ports([-1, 3])
    loop.set_merged_input(pa, a0.output(0), na.output(0))
    loop.set_merged_input(py, y0.output(0), ny.output(0))
    loop.set_merged_input(pj, ops.constant(np.int32(0)).output(0), nj.output(0))
    loop.set_invariant_input(pn, n.output(0))
    outs = [loop.get_iter_value(na.output(0), -1), loop.get_iter_value(ny.output(0), -1)]
    return ov.Model(outs, [a0, y0, n])


def main() -> int:
    import openvino as ov

    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    y = -np.ones((2, 3), np.float32)
    compiled = ov.Core().compile_model(build(), "CPU")
    bad = 0
    for n in (0, 1, 3, 0):
        want_a, want_y = a.copy(), y.copy()
        for _ in range(n):
            want_a, want_y = want_a * 2, want_a + 1
        got_a, got_y = (np.asarray(v) for v in compiled([a, y, np.int32(n)]).values())
        ok_a, ok_y = np.array_equal(got_a, want_a), np.array_equal(got_y, want_y)
        print(
            f"n = {n}: the carry read {'right' if ok_a else 'WRONG'}; the unread carry {'right' if ok_y else 'WRONG'}: {got_y.ravel()}"
        )
        bad += not (ok_a and ok_y)
    print("reproduces" if bad else "does not reproduce")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
