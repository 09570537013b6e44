"""Control flow (src/cpp/ops/control_flow.cpp): cond (If, or Select for small
side-effect-free branches), while (Loop until the condition fails) and scan (Loop
over the leading axis of xs, stacking ys)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import ovjax
from harness import (
    assert_close,
    check,
    check_many,
    compile_cpu,
    from_tensor,
    loop_trip_counts,
    op_types,
    primitives_of,
    rand,
    to_tensor,
)


W = np.linspace(-1.0, 1.0, 6, dtype=np.float32)


# ---------------------------------------------------------------- cond


@pytest.mark.parametrize("path", ["select", "if"])
def test_cond_bool_predicate_both_lowerings(path):
    # small elementwise branches become Select; a cumsum (not side-effect-free enough
    # to be listed as cheap) keeps the If
    heavy = (lambda a: jnp.cumsum(a)) if path == "if" else (lambda a: a)

    def fn(x, y):
        return lax.cond(
            x.sum() > y.sum(),
            lambda a, b: (heavy(a) * W + b, jnp.tanh(b)),  # closes over the constant W
            lambda a, b: (a - b, b * 2.0),
            x,
            y,
        )

    x, y = rand((6,), seed=1), rand((6,), seed=2)
    model = check_many(fn, [(x, y), (y, x)], prims={"cond"})
    assert ("If" in op_types(model)) == (path == "if"), op_types(model)
    assert ("Select" in op_types(model)) == (path == "select")


@pytest.mark.parametrize("path", ["select", "if"])
def test_cond_integer_predicate_pytrees_and_passthrough(path):
    def fn(p, tree):
        def yes(t):
            r = {"s": t["a"] * t["b"][0] + 1.0, "m": t["b"][1] & (t["a"] > 0), "a": t["a"]}
            if path == "if":
                r["s"] = jnp.cumsum(r["s"], axis=0)
            return r

        def no(t):
            return {"s": jnp.float32(7.0) * jnp.ones_like(t["a"]), "m": ~t["b"][1], "a": -t["a"]}

        return lax.cond(p, yes, no, tree)

    tree = {"a": rand((4, 3), seed=3), "b": (rand((4, 3), seed=4), rand((4, 3), "bool", seed=5))}
    model = check_many(fn, [(np.int32(v), tree) for v in (0, 5, -3)], prims={"cond"})
    assert ("If" in op_types(model)) == (path == "if")


def test_cond_int32_outputs_use_if():
    # the CPU plugin would select 32-bit integers through f32: large values stay exact with If
    def fn(x, k):
        return lax.cond(k > 0, lambda a: a + 1, lambda a: a * 2, x)

    x = np.array([2**30 + 1, -(2**31) + 3, 123456789, 0], np.int32)
    model = check_many(fn, [(x, np.int32(1)), (x, np.int32(0))], prims={"cond"})
    assert "If" in op_types(model)


@pytest.mark.parametrize("path", ["select", "if"])
@pytest.mark.parametrize("n", [3, 4])
def test_switch_out_of_range_indices(path, n):
    fns = [lambda a: a * 2.0, lambda a: a - 1.0, jnp.sin, lambda a: jnp.exp(-a * a)][:n]
    if path == "if":
        fns = [lambda a, f=f: jnp.cumsum(f(a)) for f in fns]

    def fn(i, x):
        return lax.switch(i, fns, x)

    x = rand((5,), seed=6)
    model = check_many(fn, [(np.int32(i), x) for i in (-7, -1, 0, 1, 2, 3, 4, 100)], prims={"cond"})
    assert ("If" in op_types(model)) == (path == "if")


def test_raw_cond_index_out_of_range_runs_the_last_branch():
    # the primitive itself (no clamp from lax.switch) follows XLA: out of range -> last branch
    from jax._src.lax.control_flow.conditionals import cond_p

    # the branches are ClosedJaxprs with their own consts (the same array in two of them)
    x = rand((4,), seed=7)
    w = np.float32([0.5, -1.0, 2.0, 3.0])
    fns = (lambda a: jnp.cumsum(a) * w, lambda a: jnp.cumsum(a) * 2.0, lambda a: -jnp.cumsum(a) + w)
    branches = tuple(jax.make_jaxpr(f)(x) for f in fns)
    assert len(branches[0].consts) == 1 and len(branches[2].consts) == 1

    def fn(i, a):
        return cond_p.bind(i, a, branches=branches)[0] + w  # w at the top level too

    model = ovjax.convert_model(jax.make_jaxpr(fn)(np.int32(0), x))
    req = compile_cpu(model).create_infer_request()
    cs = np.cumsum(x)
    for i, want in [(0, cs * w), (1, 2 * cs), (2, w - cs), (3, w - cs), (-1, w - cs), (2**31 - 1, w - cs)]:
        req.set_input_tensor(0, to_tensor(np.int32(i)))
        req.set_input_tensor(1, to_tensor(x))
        req.infer()
        assert_close(from_tensor(req.get_output_tensor(0)), (want + w).astype(np.float32), where=f"index {i}")


def test_cond_nested_literal_operands_and_no_operands():
    def fn(x, k):
        inner = lambda a: lax.cond(a.sum() > 0, lambda b: b * W, lambda b: b + 3.0, a)  # noqa: E731
        y = lax.cond(k > 1, inner, lambda a: a - 1.0, x)
        z = lax.cond(k > 2, lambda: jnp.float32(1.5), lambda: jnp.float32(-2.5))
        return y * z, lax.cond(k > 0, lambda a, s: a * s, lambda a, s: a / s, x, 4.0)

    x = rand((6,), seed=8)
    check_many(fn, [(x, np.int32(k)) for k in (0, 1, 2, 3)] + [(-x, np.int32(2))], prims={"cond"})


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("path", ["select", "if"])
def test_cond_low_precision(dtype, path):
    def fn(x):
        extra = jnp.cumsum if path == "if" else (lambda a: a)
        return lax.cond(x[0] > 0, lambda a: extra(a * a) + 1, lambda a: jnp.tanh(a), x)

    x = rand((8,), dtype, seed=9)
    model = check_many(fn, [(x,), (-x,)], prims={"cond"})
    assert ("If" in op_types(model)) == (path == "if")


# ---------------------------------------------------------------- while


def test_while_counter_and_float_carry():
    def fn(x, n):
        def body(c):
            i, v = c
            return i + 1, v * 0.5 + W

        return lax.while_loop(lambda c: c[0] < n, body, (jnp.int32(0), x))

    x = rand((6,), seed=10)
    check_many(fn, [(x, np.int32(n)) for n in (5, 0, -2, 1)], prims={"while"})


def test_while_newton_until_convergence():
    def newton_sqrt(a):
        def cond(c):
            x, i = c
            return (jnp.max(jnp.abs(x * x - a)) > 1e-5 * jnp.max(a)) & (i < 100)

        def body(c):
            x, i = c
            return 0.5 * (x + a / x), i + 1

        return lax.while_loop(cond, body, (jnp.maximum(a, 1.0), jnp.int32(0)))

    a = rand((7,), seed=11, low=0.1, high=50.0)
    model = check(newton_sqrt, a, prims={"while"})
    assert "Loop" in op_types(model)


def test_while_consts_in_cond_and_body():
    def fn(x, limit, step):
        # limit is closed over by the condition, step and W by the body
        return lax.while_loop(lambda v: v.sum() < limit.sum(), lambda v: v + step * jnp.abs(W), x)

    x = rand((6,), seed=12)
    cj = jax.make_jaxpr(fn)(x, x, np.float32(0.5))
    (eq,) = [e for e in cj.jaxpr.eqns if e.primitive.name == "while"]
    assert eq.params["cond_nconsts"] >= 1 and eq.params["body_nconsts"] >= 2, eq.params
    check(fn, x, rand((6,), seed=13, low=1.0, high=4.0), np.float32(0.5), prims={"while"})


def test_while_nested_loops_with_cond_inside():
    def collatz_steps(n):
        def body(c):
            m, k = c
            m = lax.cond(m % 2 == 0, lambda v: v // 2, lambda v: 3 * v + 1, m)
            return m, k + 1

        return lax.while_loop(lambda c: c[0] != 1, body, (n, jnp.int32(0)))[1]

    def fn(ns):
        # outer loop over the elements, an inner loop per element
        def outer(c):
            i, total, longest = c
            k = collatz_steps(lax.dynamic_index_in_dim(ns, i, keepdims=False))
            return i + 1, total + k * (i + 1), jnp.maximum(longest, k)

        return lax.while_loop(lambda c: c[0] < ns.shape[0], outer, (jnp.int32(0), jnp.int32(0), jnp.int32(0)))

    ns = np.array([1, 6, 7, 27, 97, 871], np.int32)
    check(fn, ns, prims={"while", "cond", "dynamic_slice"})


def test_swapped_and_forwarded_carries():
    # CPU plugin quirk: a back-edge result that is another carry's Parameter (also through
    # no-op reshapes) reads it after it was overwritten; the translator copies such values
    def fn(a, b, k, p):
        w = lax.while_loop(
            lambda v: v[0] < 5,
            lambda v: (v[0] + 1, v[2].reshape(2, 3).reshape(6), v[1] * 1.0, v[4], v[3], v[5] + v[0]),
            (0, a, b, p, ~p, k),
        )
        s = lax.scan(lambda c, _: ((c[1], c[0], c[2] * 2.0), c[0]), (a, b, a), None, length=3)
        i = lax.cond(k > 2, lambda x, y: (jnp.cumsum(y), y, x), lambda x, y: (x, x, y), a, b)
        return w, s, i

    a, b = rand((6,), seed=40), rand((6,), seed=41)
    check(fn, a, b, np.int32(3), np.bool_(True), prims={"while", "scan", "cond"})


def test_nested_loop_closing_over_folded_constants():
    """A fori_loop (a Loop) inside a while_loop closing over iota masks: folded to Constants,
    they are the inner Loop's invariant inputs once the outer Loop's constants move into its
    body, which the CPU plugin fails to compile ("vector::_M_range_check",
    tests/upstream/cpu_loop_constant_invariant.py) unless they move into the inner body too."""
    n = 20

    def fn(t):
        rows = lax.broadcasted_iota(np.int32, (n, n), 0)
        cols = lax.broadcasted_iota(np.int32, (n, n), 1)
        idx = lax.broadcasted_iota(np.int32, (n,), 0)

        def inner(k, c):
            t, m = c
            return jnp.where((cols == k) & (rows > k), t * 0.5, t) + (idx[:, None] == m), m

        def body(c):
            t, m = c
            return lax.fori_loop(0, n - 1, inner, (t, m))[0], m - 1

        return lax.while_loop(lambda c: c[1] > 0, body, (t, jnp.int32(3)))[0]

    check(fn, rand((n, n), seed=52), prims={"while", "scan"})


@pytest.mark.parametrize("n", [0, 1, 3])
def test_while_carry_the_body_never_reads(n):
    """A carry the body writes but never reads (JAX's QDWH subspace iteration has one):
    after zero iterations it is its initial value. The CPU plugin's Loop returned stale
    memory for it (tests/upstream/cpu_loop_unread_carry.py); with n a run-time value the
    same compiled model runs 0, 1 and 3 iterations."""

    def body(c):
        a, _, j = c
        return a * 2.0, a + 1.0, j + 1

    a, y = rand((2, 3), seed=50), rand((2, 3), seed=51)
    check(lambda a, y, n: lax.while_loop(lambda c: c[2] < n, body, (a, y, 0))[:2], a, y, np.int32(n), prims={"while"})
    # the same with a condition that is constant: false before the first iteration (the loop
    # never runs; OpenVINO's Loop does not validate with a constant-false condition) or not
    check(lambda a, y: lax.while_loop(lambda c: c[2] < n, body, (a, y, 0))[:2], a, y, prims={"while"})


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_while_low_precision_carry(dtype):
    def fn(x):
        return lax.while_loop(lambda c: c[1] < 4, lambda c: (c[0] * 0.75 + 0.25, c[1] + 1), (x, 0))

    check(fn, rand((5,), dtype, seed=14), prims={"while"})


# ---------------------------------------------------------------- scan


@pytest.fixture(params=["loop", "loop-2-steps", "unrolled"])
def scan_mode(request, monkeypatch):
    """Scans run through every translation: an OpenVINO Loop with one step per iteration,
    with two steps per iteration (for even lengths; odd ones take one) and the unrolled
    body."""
    monkeypatch.setenv("OVJAX_SCAN_UNROLL", "1000000" if request.param == "unrolled" else "0")
    monkeypatch.setenv("OVJAX_SCAN_STEPS", "2" if request.param == "loop-2-steps" else "1")
    return request.param


@pytest.mark.usefixtures("scan_mode")
def test_scan_cumulative_sum_and_int_carry():
    def fn(xs, ks):
        def step(c, x):
            s, n = c
            s = s + x[0]
            n = n * 3 + x[1]  # int32 carry, wrapping like XLA
            return (s, n), (s, n)

        return lax.scan(step, (jnp.float32(0.0), jnp.int32(1)), (xs, ks))

    check(fn, rand((9,), seed=15), rand((9,), "int32", seed=16), prims={"scan"})


@pytest.mark.usefixtures("scan_mode")
def test_scan_rnn_cell():
    B, D, H, T = 2, 3, 4, 5
    Wh = rand((H, H), seed=17, low=-0.5, high=0.5)
    Ux = rand((D, H), seed=18, low=-0.5, high=0.5)

    def rnn(h0, xs):
        def cell(h, x):
            h = jnp.tanh(h @ Wh + x @ Ux)
            return h, h

        return lax.scan(cell, h0, xs)

    check(rnn, rand((B, H), seed=19), rand((T, B, D), seed=20), prims={"scan", "tanh", "dot_general"})


@pytest.mark.usefixtures("scan_mode")
@pytest.mark.parametrize("reverse", [False, True])
def test_scan_lstm_gates_from_precomputed_inputs(reverse):
    """An LSTM over per-gate input projections computed before the scan (scanned xs added to a
    MatMul of the carry). Fed as Loop sliced inputs, the CPU plugin got this wrong from the
    second step on; the Loop now Gathers each step's xs (control_flow.cpp translate_scan)."""
    B, D, H, T = 4, 8, 16, 20
    W = [rand((D, H), seed=40 + k, low=-0.5, high=0.5) for k in range(4)]
    U = [rand((H, H), seed=50 + k, low=-0.5, high=0.5) for k in range(4)]

    def lstm(x):
        xw = [x @ w for w in W]

        def cell(carry, xt):
            c, h = carry
            i = jax.nn.sigmoid(xt[0] + h @ U[0])
            f = jax.nn.sigmoid(xt[1] + h @ U[1])
            g = jnp.tanh(xt[2] + h @ U[2])
            o = jax.nn.sigmoid(xt[3] + h @ U[3])
            c = f * c + i * g
            h = o * jnp.tanh(c)
            return (c, h), h

        return lax.scan(cell, (jnp.zeros((B, H)), jnp.zeros((B, H))), xw, reverse=reverse)

    check(lstm, rand((T, B, D), seed=60), prims={"scan", "dot_general"})


def test_gradient_of_a_scan_as_loops(monkeypatch):
    """jax.grad of a scan converted as Loops: the reverse scan reads a broadcast of ones,
    which normalize folds into a Constant; that constant goes inside the Loop's body (the
    CPU plugin fails to compile a Loop with a Constant invariant input that also reads the
    iteration, tests/upstream/cpu_loop_constant_invariant.py). Static, and vmapped over a
    symbolic batch (check's symbolic leg), compared with JAX."""
    monkeypatch.setenv("OVJAX_SCAN_UNROLL", "0")

    def f(c, xs):
        def body(c, x):
            c = jnp.tanh(c * x + 1.0)
            return c, c * 2.0

        c, ys = lax.scan(body, c, xs)
        return c.sum() + ys.sum()

    model = check(jax.grad(f), rand((3,), seed=80), rand((5, 3), seed=81), prims={"scan"})
    loops = [op for op in model.get_ordered_ops() if op.get_type_name() == "Loop"]
    assert len(loops) == 2, op_types(model)
    for loop in loops:
        for d in loop.get_input_descriptions():
            if type(d).__name__ == "InvariantInputDescription":
                assert loop.input_value(d.input_index).get_node().get_type_name() != "Constant", loop
    assert any(
        op.get_type_name() == "Constant" and list(op.get_output_shape(0)) == [5, 3]
        for op in loops[1].get_function().get_ops()
    ), "the ones read by the reverse scan are a Constant inside its body"


@pytest.mark.parametrize("reverse", [False, True])
def test_scan_input_work_is_hoisted(monkeypatch, reverse):
    """The carry-independent work of a scan body on its xs (here x_t @ W, an output that only
    reads xs, and a weight the carry update needs) runs before the loop for all steps at once
    (ovjax/_hoist.py): one big product outside the Loop, the carry's product inside."""
    monkeypatch.setenv("OVJAX_SCAN_UNROLL", "0")
    B, D, H, T = 3, 5, 6, 40
    W = rand((D, H), seed=70, low=-0.5, high=0.5)
    U = rand((H, H), seed=71, low=-0.5, high=0.5)

    def rnn(h0, xs):
        def cell(h, x):
            xw = x @ W
            h = jnp.tanh(h @ U + xw)
            return h, (h, jnp.sin(xw) * 2.0)

        return lax.scan(cell, h0, xs, reverse=reverse)

    args = (rand((B, H), seed=72), rand((T, B, D), seed=73))
    model = check(rnn, *args, prims={"scan", "dot_general"})
    top = [op.get_type_name() for op in model.get_ordered_ops()]
    assert top.count("MatMul") == 1 and top.count("Loop") == 1, top
    monkeypatch.setenv("OVJAX_SCAN_HOIST", "0")
    model = check(rnn, *args, prims={"scan", "dot_general"})
    assert "MatMul" not in [op.get_type_name() for op in model.get_ordered_ops()]


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("length,steps", [(64, 4), (34, 2), (33, 1)])
def test_long_scan_takes_several_steps_per_loop_iteration(monkeypatch, reverse, length, steps):
    """A scan too long to unroll runs 4 (or 2) steps per Loop iteration when that divides
    its length (fewer iterations, each with its fixed cost on the CPU plugin); carries, ys
    in order, reverse scans."""
    monkeypatch.delenv("OVJAX_SCAN_UNROLL", raising=False)
    monkeypatch.delenv("OVJAX_SCAN_STEPS", raising=False)
    W = rand((4, 4), seed=80, low=-0.5, high=0.5)

    def fn(h0, xs):
        def step(c, x):
            h, n = c
            h = jnp.tanh(h @ W + x)
            return (h, n + 1), (h * 2.0, n)

        return lax.scan(step, (h0, jnp.int32(0)), xs, reverse=reverse)

    model = check(fn, rand((2, 4), seed=81), rand((length, 2, 4), seed=82), prims={"scan"})
    assert loop_trip_counts(model) == [length // steps]


def test_scan_unroll_parameter_sets_the_steps_per_iteration(monkeypatch):
    monkeypatch.delenv("OVJAX_SCAN_UNROLL", raising=False)
    monkeypatch.delenv("OVJAX_SCAN_STEPS", raising=False)

    def fn(x, xs):
        return lax.scan(lambda c, x: (c * 0.9 + jnp.sin(x), c), x, xs, unroll=8)

    model = check(fn, rand((3,), seed=83), rand((40, 3), seed=84), prims={"scan"})
    assert loop_trip_counts(model) == [5]


@pytest.mark.usefixtures("scan_mode")
def test_scan_reverse_several_carries_and_outputs():
    def fn(a, b, xs, ys):
        def step(c, inp):
            p, q = c
            x, y = inp
            p2 = p * 0.9 + x
            q2 = q + jnp.sum(y) * jnp.sum(p2)
            return (p2, q2), (p2 * 2.0, q2, y[::-1])

        return lax.scan(step, (a, b), (xs, ys), reverse=True)

    check(fn, rand((3,), seed=21), np.float32(0.5), rand((6, 3), seed=22), rand((6, 2), seed=23), prims={"scan"})


@pytest.mark.usefixtures("scan_mode")
@pytest.mark.parametrize("unroll", [1, 3])
def test_scan_length_without_xs(unroll):
    def fn(x):
        return lax.scan(lambda c, _: (c * 1.5 - W, jnp.sin(c)), x, None, length=7, unroll=unroll)

    check(fn, rand((6,), seed=24), prims={"scan"})


@pytest.mark.usefixtures("scan_mode")
def test_scan_inside_jit_and_empty_scan():
    @jax.jit
    def cumprod(xs):
        return lax.scan(lambda c, x: (c * x, c * x), jnp.ones(xs.shape[1:], xs.dtype), xs)

    def fn(xs, e):
        c, ys = cumprod(xs)
        c0, ys0 = lax.scan(lambda c, x: (c + x, c * 2.0), c, e)  # length 0
        return c, ys, c0, ys0

    check(fn, rand((5, 2), seed=25, low=0.5, high=1.5), np.zeros((0, 2), np.float32), prims={"scan", "jit"})


@pytest.mark.usefixtures("scan_mode")
def test_scan_with_cond_and_while_inside():
    def fn(h, xs, n):
        def step(c, x):
            c = lax.cond(x.sum() > 0, lambda a: jnp.cumsum(a) * 0.5, lambda a: a - x, c)
            k = lax.while_loop(lambda v: v[0] < n, lambda v: (v[0] + 1, v[1] * 0.9 + x), (0, c))[1]
            return jnp.tanh(k), (k, x.sum() > 0)

        return lax.scan(step, h, xs)

    check(fn, rand((3,), seed=32), rand((5, 3), seed=33), np.int32(3), prims={"scan", "cond", "while"})


@pytest.mark.usefixtures("scan_mode")
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_scan_low_precision(dtype):
    def fn(h, xs):
        return lax.scan(lambda c, x: (jnp.tanh(c + x), c * x), h, xs, reverse=True)

    check(fn, rand((4,), dtype, seed=26), rand((5, 4), dtype, seed=27), prims={"scan"})


# ---------------------------------------------------------------- fori_loop


@pytest.mark.usefixtures("scan_mode")
def test_fori_loop_static_bounds_is_a_scan():
    def fn(x):
        return lax.fori_loop(2, 9, lambda i, c: c * 0.8 + jnp.float32(i) * W, x)

    cj = jax.make_jaxpr(fn)(rand((6,)))
    assert "while" not in primitives_of(cj)
    check(fn, rand((6,), seed=28), prims={"scan"})


def test_fori_loop_traced_bounds_is_a_while():
    def fn(x, lo, hi):
        return lax.fori_loop(lo, hi, lambda i, c: (c[0] + i * c[1], c[1] ^ i), (x, jnp.int32(1)))

    cj = jax.make_jaxpr(fn)(np.int32(0), np.int32(0), np.int32(0))
    assert "scan" not in primitives_of(cj)
    check_many(
        fn,
        [(np.int32(3), np.int32(lo), np.int32(hi)) for lo, hi in ((0, 10), (4, 4), (5, 2), (-3, 6))],
        prims={"while"},
    )


# ---------------------------------------------------------------- flax


def test_flax_scanned_layers():
    import flax.linen as nn

    class Cell(nn.Module):
        @nn.compact
        def __call__(self, h, x):
            h = jnp.tanh(nn.Dense(4)(h) + nn.Dense(4, use_bias=False)(x))
            return h, nn.Dense(2)(h)

    Scanned = nn.scan(Cell, variable_broadcast="params", split_rngs={"params": False}, in_axes=1, out_axes=1)
    h0, xs = rand((2, 4), seed=29), rand((2, 6, 3), seed=30)
    # the parameters' structure from eval_shape (no slow eager init), filled with test data
    shapes = jax.eval_shape(Scanned().init, jax.random.PRNGKey(0), h0, xs)
    leaves, tree = jax.tree_util.tree_flatten(shapes)
    params = jax.tree_util.tree_unflatten(
        tree, [rand(l.shape, seed=31 + i, low=-1.0, high=1.0) for i, l in enumerate(leaves)]
    )
    check(lambda h, x: Scanned().apply(params, h, x), h0, xs, prims={"scan"})


def test_vmapped_grad_of_an_rnn_scan():
    w = jnp.asarray(np.linspace(-1.0, 1.0, 12, dtype=np.float32).reshape(3, 4))

    def loss(x):
        def cell(h, xt):
            h = jnp.tanh(h @ w[:, :3] + xt)
            return h, h * 2.0

        return lax.scan(cell, jnp.zeros(3), x)[1].sum()

    # found by the symbolic-batch variant of test_jax_compat's scans: the forward and the
    # reverse scan use w[:, :3] as a MatMul weight in two layouts, which the CPU plugin
    # computed wrong (errors ~2; tests/upstream/cpu_shared_weight_two_layouts.py)
    x = rand((5, 3))
    xb = np.stack([np.roll(x.reshape(-1), i).reshape(x.shape) for i in range(3)])
    check(jax.vmap(jax.grad(loss)), xb, prims={"scan"})
