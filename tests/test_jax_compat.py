"""The JAX compatibility layer (src/python/ovjax/_jax_compat.py): the parameters the
serializer writes are the same form whatever JAX release traced the model, read from
what each release's parameters mean; a shape it does not know is a clear error.

These tests run under every supported release (CI runs the suite under JAX 0.10 and
0.12): each checks the normalised form against the jaxpr's own structure, not against
one release's spelling.
"""

from __future__ import annotations

import enum
import importlib
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import openvino as ov
import pytest
from jax import lax

import ovjax
from harness import check, rand
from ovjax import _jax_compat as C

serialize_mod = importlib.import_module("ovjax.serialize")


def eqns_of(jaxpr, name: str) -> list:
    """Every equation of primitive `name` in a jaxpr, sub-jaxprs included."""
    found = []
    for e in getattr(jaxpr, "jaxpr", jaxpr).eqns:
        if e.primitive.name == name:
            found.append(e)
        for p in e.params.values():
            for sub in p if isinstance(p, (tuple, list)) else (p,):
                if C.is_jaxpr(sub):
                    found += eqns_of(sub, name)
    return found


def scans():
    """Scans of every grouping JAX makes: consts, carries and xs; no consts; no xs; the
    ones autodiff builds (residuals as consts or xs, forwarded outputs)."""
    w = jnp.asarray(np.linspace(-1.0, 1.0, 12, dtype=np.float32).reshape(3, 4))
    x = rand((5, 3))

    def rnn(x):
        def cell(h, xt):
            h = jnp.tanh(h @ w[:, :3] + xt)
            return h, h * 2.0

        return lax.scan(cell, jnp.zeros(3), x)

    def counter(x):
        return lax.scan(lambda c, _: ((c[0] + 1, c[1] * 2.0), c[1]), (0, x[0]), None, length=4)

    def loss(x):
        return rnn(x)[1].sum() + counter(x)[0][1].sum()

    return {
        "rnn": (rnn, x),
        "counter": (counter, x),
        "grad": (jax.grad(loss), x),
        "fori": (lambda x: lax.fori_loop(0, 3, lambda i, c: c @ w[:, :3], x[0]), x),
    }


@pytest.mark.parametrize("case", ["rnn", "counter", "grad", "fori"])
def test_scan_counts_agree_with_the_body(case):
    fn, x = scans()[case]
    closed = jax.make_jaxpr(fn)(x)
    eqns = eqns_of(closed, "scan")
    assert eqns, closed
    for e in eqns:
        p = C.eqn_params(e)
        assert set(p) == {"reverse", "length", "jaxpr", "num_consts", "num_carry", "unroll"}, p
        nc, nk = p["num_consts"], p["num_carry"]
        body, _ = C.sub_jaxpr(p["jaxpr"])
        ins = [v.aval for v in e.invars]
        outs = [v.aval for v in e.outvars]
        # the body takes consts, carries, one step of the xs and gives carries, one step of the ys
        assert [a.shape for a in body.in_avals] == [a.shape for a in ins[: nc + nk]] + [
            a.shape[1:] for a in ins[nc + nk :]
        ]
        assert [a.shape for a in body.out_avals] == [a.shape for a in outs[:nk]] + [a.shape[1:] for a in outs[nk:]]
        assert [a.shape for a in body.out_avals[:nk]] == [a.shape for a in ins[nc : nc + nk]]
        assert all(a.shape[:1] == (p["length"],) for a in ins[nc + nk :] + outs[nk:])
        assert isinstance(p["unroll"], int) and p["unroll"] >= 1
    # (grad's vmapped form converts to wrong numbers, static or symbolic:
    # test_control_flow.py::test_vmapped_grad_of_an_rnn_scan records the bug)
    check(fn, x, prims={"scan"}, symbolic=case != "grad")


def test_scan_of_an_unknown_shape_is_a_clear_error():
    closed = jax.make_jaxpr(scans()["rnn"][0])(rand((5, 3)))
    (e,) = eqns_of(closed, "scan")
    bare = {k: v for k, v in e.params.items() if k not in ("num_consts", "num_carry", "ft_in", "ft_out")}
    with pytest.raises(
        C.ParamsError, match=rf"primitive 'scan': parameter 'num_consts' is missing .* JAX {jax.__version__}"
    ):
        C.eqn_params(e.replace(params=bare))
    odd = {**bare, "ft_in": 3, "ft_out": 3}
    with pytest.raises(
        C.ParamsError, match=rf"primitive 'scan': parameter 'ft_in' is a int, not a FlatTree in JAX {jax.__version__}"
    ):
        C.eqn_params(e.replace(params=odd))
    # and through the converter: the same message
    with pytest.raises(C.ParamsError, match="primitive 'scan'"):
        ovjax.convert_model(closed.replace(jaxpr=closed.jaxpr.replace(eqns=[e.replace(params=bare)])))


def test_jit_inline_is_a_bool():
    closed = jax.make_jaxpr(lambda x: jax.jit(jnp.sin)(x) + jax.jit(jnp.cos, inline=True)(x))(rand((3,)))
    for e in eqns_of(closed, "jit") + eqns_of(closed, "pjit"):
        assert type(C.eqn_params(e)["inline"]) is bool
    assert C.inline_flag("jit", True) is True and C.inline_flag("jit", False) is False
    from jax._src import api

    inline = getattr(api, "Inline", None)  # JAX 0.12's enum
    if inline is not None:
        assert {m.name: C.inline_flag("jit", m) for m in inline} == {
            "JAX_EARLY": True,
            "JAX_LATE": True,
            "XLA_EARLY": False,
            "XLA_LATE": False,
            "AUTO": False,
        }

    class Odd(enum.Enum):
        SOMETIMES = "sometimes"

    with pytest.raises(C.ParamsError, match=r"primitive 'jit': parameter 'inline' is <Odd.SOMETIMES"):
        C.inline_flag("jit", Odd.SOMETIMES)


def test_sub_jaxprs_carry_their_consts():
    w = jnp.asarray(np.arange(4, dtype=np.float32))
    closed = jax.make_jaxpr(lambda x: x * w + 1.0)(rand((4,)))
    jaxpr, consts = C.sub_jaxpr(closed)
    assert len(consts) == len(jaxpr.constvars) == 1 and len(jaxpr.invars) == 1
    (k,) = consts
    np.testing.assert_array_equal(np.asarray(k), np.asarray(w))
    with pytest.raises(TypeError, match="expected a jaxpr"):
        C.sub_jaxpr(3)


def test_composite_and_top_k_params_are_one_form():
    x = rand((2, 6))
    closed = jax.make_jaxpr(lambda x: (lax.composite(lambda y: jnp.tanh(y) * 2, name="ovjax.t")(x), lax.top_k(x, 3)))(x)
    (c,) = eqns_of(closed, "composite")
    p = C.eqn_params(c)
    assert C.is_jaxpr(p["jaxpr"]) and "call_jaxpr" not in p
    (t,) = eqns_of(closed, "top_k")
    assert C.eqn_params(t)["is_stable"] is True


def test_digamma_at_zero_is_jaxs_own_value():
    for dtype in (np.float32, np.float16):
        want = float(np.asarray(jax.jit(lax.digamma)(np.zeros((), dtype))))
        got = C.digamma_at_zero(np.dtype(dtype))
        assert (np.isnan(got) and np.isnan(want)) or got == want


def test_every_written_equation_goes_through_the_layer(monkeypatch):
    seen = []
    real = serialize_mod._eqn_params

    def spy(eqn):
        p = real(eqn)
        seen.append((eqn.primitive.name, p))
        return p

    monkeypatch.setattr(serialize_mod, "_eqn_params", spy)
    fn, x = scans()["grad"]
    ovjax.serialize(lambda x: (fn(x), jax.jit(jnp.sin)(x)), x)
    names = {n for n, _ in seen}
    assert {"scan", "jit"} <= names, names
    for n, p in seen:
        if n == "scan":
            assert "ft_in" not in p and isinstance(p["num_consts"], int), p
        if n in ("jit", "pjit"):
            assert type(p["inline"]) is bool


def test_params_handed_back_to_jax_name_what_is_missing():
    closed = jax.make_jaxpr(lambda k: jax.random.gamma(k, 2.0, (3,)))(jax.random.key(0))
    (e,) = eqns_of(closed, "random_gamma")
    params = C.own_params(e.replace(params={}))
    with pytest.raises(
        C.ParamsError, match=rf"primitive 'random_gamma': parameter 'log_space' is missing .* JAX {jax.__version__}"
    ):
        params["log_space"]


def test_renamed_primitives_are_written_by_one_name():
    """A call of a closed jaxpr is `eval_jaxpr` in JAX 0.12's jaxprs and `closed_call` in
    0.10's: the file says `closed_call` either way (and converts, run against JAX)."""
    inner = jax.make_jaxpr(lambda a: jnp.sin(a) * 2.0)(np.ones(3, np.float32))
    fn = lambda a: C.bind_closed_call(inner, a)[0] + 1.0  # noqa: E731
    cj = jax.make_jaxpr(fn)(np.ones(3, np.float32))
    assert {e.primitive.name for e in cj.jaxpr.eqns} & {"closed_call", "eval_jaxpr"}
    data = ovjax.serialize(cj)
    assert b"closed_call" in data and b"eval_jaxpr" not in data
    x = np.linspace(-2, 2, 3, dtype=np.float32)
    got = ov.Core().compile_model(ovjax.convert_model(data), "CPU")([x])[0]
    np.testing.assert_allclose(got, np.asarray(fn(x)), rtol=1e-6, atol=1e-6)
    # the C++ table knows the written names only
    table = (Path(__file__).resolve().parent.parent / "src/cpp/ops/primitives.def").read_text()
    for old, new in C.RENAMED.items():
        assert f"({new}," in table and f"({old}," not in table, (old, new)
