"""Symbolic (dynamic) dimensions, Python side: what the writer puts in a format 1.2 file
(docs/format.md, "DIMS (7)"), and how ovjax.convert_model's input= and example_input
ask for symbolic dimensions.

The files are read back with tests/rawfile.py's small parser (no C++ involved): the
header flag and minor, the DIMS section's symbols (names, bounds, origins) and
expressions, variables' dimension words (-2 - i) and `dim` parameter values (tag 12). A
static model is still written as format 1.1, byte for byte.
"""

from __future__ import annotations

import struct

import jax
import jax.numpy as jnp
import numpy as np
import openvino as ov
import pytest
from jax import export

import ovjax
from ovjax import format as F
from ovjax.convert import to_frontend_input, trace
from ovjax.serialize import GraphWriter
from rawfile import Dim, Raw, dims, eval_dim, graphs, header, sections, strings

f32 = jnp.float32


def write(fn, *structs, **options) -> bytes:
    """The file bytes of `fn` traced on `structs` (jax.ShapeDtypeStructs)."""
    cj = jax.make_jaxpr(fn)(*structs)
    w = GraphWriter(ovjax._options.split(options or None, to_frontend=False)[0])
    w.graph(cj.jaxpr, cj.consts)
    return w.graph_bytes(external=False)


def sds(shape, dtype=f32):
    return jax.ShapeDtypeStruct(shape, dtype)


def symbol_names(b: bytes) -> list[str]:
    return [s[0] for s in dims(b)[0]]


def expr_value(b: bytes, i: int, **env) -> int:
    syms, exprs = dims(b)
    return eval_dim(exprs, [s[0] for s in syms], i, env)


def dim_value(b: bytes, word_or_dim, **env) -> int:
    """A dimension word (>= 0 static, <= -2 symbolic) or a Dim parameter's value."""
    if isinstance(word_or_dim, Dim):
        return expr_value(b, word_or_dim.index, **env)
    if word_or_dim >= 0:
        return word_or_dim
    assert word_or_dim <= -2
    return expr_value(b, -2 - word_or_dim, **env)


def eqns(b: bytes, prim: str, graph: int = 0) -> list[dict]:
    return [params for p, params, _, _ in graphs(b)[graph]["eqns"] if p == prim]


ENVS = [dict(B=1, S=1), dict(B=5, S=7), dict(B=12, S=3), dict(B=64, S=512)]


# ---------------------------------------------------------------- static files: format 1.1 as before

ADD_ONE = lambda x: x + 1.0  # noqa: E731 - one line: its equation's source line is this one


def test_static_file_is_format_1_1_byte_for_byte():
    """A model without symbolic dimensions is exactly what the 1.1 writer wrote: built
    here word by word per docs/format.md 1.1 (minor 1, flags 0, no DIMS section)."""
    cj = jax.make_jaxpr(ADD_ONE)(np.ones(3, np.float32))
    w = GraphWriter()
    w.graph(cj.jaxpr, cj.consts)
    got = w.graph_bytes(external=False)

    r = Raw()
    code = ADD_ONE.__code__
    source = f"{code.co_filename}:{code.co_firstlineno} (<lambda>)"
    one = struct.unpack("<q", struct.pack("<d", 1.0))[0]
    eq = r.eqn("add", [Raw.v(0), [F.ATOM_LITERAL, F.DTYPES["float32"], one]], [1], source=source)
    r.graph(Raw.graph_words([Raw.var("float32", 3), Raw.var("float32", 3)], [0], [], [Raw.v(1)], [eq]))
    want = r.bytes(minor=1, extra_sections=[(F.SEC_IONAMES, struct.pack("<2q", 0, 0))])
    assert got == want
    assert header(got) == (1, 1, 0)


def test_static_model_with_calls_and_consts_has_no_symbolic_trace():
    W = jnp.arange(12.0, dtype=f32).reshape(3, 4)

    def fn(x):
        y = jax.jit(lambda a: jnp.tanh(a).reshape(4, 3))(x @ W)
        return jax.lax.scan(lambda c, r: (c + r, c * 2), jnp.zeros(3), y)

    b = ovjax.serialize(fn, np.ones((3, 3), np.float32))
    assert header(b) == (1, F.MINOR, 0) and F.MINOR == 1
    assert F.SEC_DIMS not in sections(b)
    for g in graphs(b):
        assert all(d >= 0 for _, ds in g["vars"] for d in ds)

        def no_dim(v):
            assert not isinstance(v, Dim)
            if isinstance(v, tuple):
                for x in v:
                    no_dim(x)

        for _, params, _, _ in g["eqns"]:
            for v in params.values():
                no_dim(v)


# ---------------------------------------------------------------- header, symbols, origins


def test_header_flag_minor_and_symbol_table():
    B, S = export.symbolic_shape("B, S", constraints=["S <= 512"])
    b = write(lambda x, y: (x * 2, y + 1), sds((B, S)), sds((2 * S,)))
    assert header(b) == (1, F.MINOR_SYMBOLIC, F.FLAG_SYMBOLIC)
    assert F.SEC_DIMS in sections(b)
    syms, exprs = dims(b)
    # numbered in input order; bounds from JAX (>= 1 implicit, S <= 512); origin (input, axis)
    assert syms == [("B", 1, -1, 0, 0), ("S", 1, 512, 0, 1)]
    assert exprs[0] == (F.DIM_SYMBOL, 0, 0) and exprs[1] == (F.DIM_SYMBOL, 1, 0)
    g = graphs(b)[0]
    x, y = (g["vars"][i] for i in g["invars"])
    assert x == (F.DTYPES["float32"], [-2, -3])  # expressions 0 and 1
    (two_s,) = y[1]
    assert two_s <= -2 and exprs[-2 - two_s] == (F.DIM_MUL, 1, exprs.index((F.DIM_CONST, 2, 0)))


def test_origin_is_the_first_affine_input_dimension():
    """A symbol's origin is the first input dimension (in input order, then axis order)
    that is k*S + c with k >= 1; B*S is not one, 2*S + 1 and the bare B are."""
    B, S = export.symbolic_shape("B, S")
    b = write(lambda x, y, z: (x.sum(), y.sum(), z.sum()), sds((B * S,)), sds((3, 2 * S + 1)), sds((B, S)))
    syms = {s[0]: s[1:] for s in dims(b)[0]}
    assert syms["S"] == (1, -1, 1, 1)  # y axis 1: 2*S + 1
    assert syms["B"] == (1, -1, 2, 0)  # z axis 0
    g = graphs(b)[0]
    y = g["vars"][g["invars"][1]]
    for env in ENVS:
        assert dim_value(b, y[1][1], **env) == 2 * env["S"] + 1


def test_a_symbol_in_no_affine_input_dimension_is_refused():
    B, S = export.symbolic_shape("B, S")
    with pytest.raises(ValueError, match=r"ovjax: .*'S'.*each symbol must appear in some input dimension as k\*S \+ c"):
        write(lambda x, y: (x.sum(), y.sum()), sds((B * S,)), sds((B,)))


def test_bounds_from_ov_dimensions():
    def fn(x, y, z):
        return x.sum() + y.sum() + z.sum()

    ex = (np.ones((2, 3), np.float32),) * 3
    b = ovjax.serialize(fn, ex, input=[(ov.Dimension(1, 64), 3), (ov.Dimension(5, -1), 3), (ov.Dimension(), 3)])
    syms = dims(b)[0]
    assert [s[1:3] for s in syms] == [(1, 64), (5, -1), (1, -1)]
    assert [s[3:] for s in syms] == [(0, 0), (1, 0), (2, 0)]
    assert len(set(symbol_names(b))) == 3


# ---------------------------------------------------------------- expressions and dimension words


def test_expressions_of_every_op_and_dimension_words():
    B, S = export.symbolic_shape("B, S")

    def fn(x):
        n = x.shape[0]
        m = x.shape[1]
        return (
            x.reshape(n * m),  # B*S
            x[:, : m // 2],  # floordiv(S, 2)
            jnp.zeros((m % 3,)),  # mod(S, 3)
            jnp.zeros((jax.core.max_dim(n, m),)),  # max(B, S)
            jnp.zeros((jax.core.min_dim(n, 7),)),  # min(B, 7)
            jnp.broadcast_to(x[:1], (n - 1, m)),  # B - 1
        )

    b = write(fn, sds((B, S)))
    syms, exprs = dims(b)
    g = graphs(b)[0]
    out_dims = [g["vars"][a[1]][1] for a in g["outs"]]
    want = [
        lambda B, S: [B * S],
        lambda B, S: [B, S // 2],
        lambda B, S: [S % 3],
        lambda B, S: [max(B, S)],
        lambda B, S: [min(B, 7)],
        lambda B, S: [B - 1, S],
    ]
    for env in ENVS:
        for ds, w in zip(out_dims, want):
            assert [dim_value(b, d, **env) for d in ds] == w(**env)
    for ds in out_dims:
        assert all(d >= 0 or d <= -2 for d in ds) and all(-2 - d < len(exprs) for d in ds if d < 0)

    sym = {name: exprs.index((F.DIM_SYMBOL, i, 0)) for i, (name, *_) in enumerate(syms)}

    def const(c):
        return exprs.index((F.DIM_CONST, c, 0))

    def at(word):
        return exprs[-2 - word]

    assert at(out_dims[1][1]) == (F.DIM_FLOORDIV, sym["S"], const(2))
    assert at(out_dims[2][0]) == (F.DIM_MOD, sym["S"], const(3))
    assert at(out_dims[3][0]) in {(F.DIM_MAX, sym["B"], sym["S"]), (F.DIM_MAX, sym["S"], sym["B"])}
    assert at(out_dims[4][0]) == (F.DIM_MIN, sym["B"], const(7))
    assert at(out_dims[5][0]) == (F.DIM_ADD, sym["B"], const(-1))  # x - 1: add(x, const -1)
    assert at(out_dims[0][0]) in {(F.DIM_MUL, sym["B"], sym["S"]), (F.DIM_MUL, sym["S"], sym["B"])}
    # a static dimension of a symbolic shape stays a plain int, never a const expression
    assert out_dims[5][1] == -2 - sym["S"]
    assert g["vars"][g["invars"][0]][1] == [-2 - sym["B"], -2 - sym["S"]]


def test_subtraction_and_powers():
    """x - y is add(x, mul(y, const -1)); a power is repeated multiplication."""
    B, S = export.symbolic_shape("B, S")
    # as a value (dim_as_value's dim): JAX allows a dimension expression that may be negative there
    b = write(lambda x: jnp.float32(x.shape[0] * x.shape[0] * x.shape[0] - 2 * x.shape[1] + 1), sds((B, S)))
    syms, exprs = dims(b)
    (d,) = [p["dim"] for p in eqns(b, "dim_as_value")]
    for env in ENVS:
        assert dim_value(b, d, **env) == env["B"] ** 3 - 2 * env["S"] + 1
    assert (F.DIM_CONST, -2, 0) in exprs  # the coefficient of S
    b_i = exprs.index((F.DIM_SYMBOL, symbol_names(b).index("B"), 0))
    sq = exprs.index((F.DIM_MUL, b_i, b_i))
    assert (F.DIM_MUL, sq, b_i) in exprs


def test_dim_parameters():
    """Symbolic dims in parameters are `dim` values (tag 12); static ones stay ints."""
    B, S = export.symbolic_shape("B, S")

    def fn(x):
        return (
            x.reshape(x.shape[0] * x.shape[1]),
            jnp.arange(x.shape[0]),
            jnp.broadcast_to(x[:1], (x.shape[0] - 1, x.shape[1])),
            jnp.float32(x.shape[0]) * 2,
        )

    b = write(fn, sds((B, S)))
    (reshape,) = eqns(b, "reshape")
    (new_size,) = reshape["new_sizes"]
    (iota,) = eqns(b, "iota")
    bcast = [p for p in eqns(b, "broadcast_in_dim") if isinstance(p["shape"][0], Dim)]
    (dav,) = eqns(b, "dim_as_value")
    assert isinstance(new_size, Dim) and isinstance(iota["shape"][0], Dim) and isinstance(dav["dim"], Dim)
    assert isinstance(iota["dimension"], int)
    (bshape,) = [p["shape"] for p in bcast]
    assert isinstance(bshape[1], Dim)
    for env in ENVS:
        assert dim_value(b, new_size, **env) == env["B"] * env["S"]
        assert dim_value(b, iota["shape"][0], **env) == env["B"]
        assert [dim_value(b, d, **env) for d in bshape] == [env["B"] - 1, env["S"]]
        assert dim_value(b, dav["dim"], **env) == env["B"]


def test_static_entries_of_a_symbolic_parameter_stay_ints():
    (B,) = export.symbolic_shape("B")
    b = write(lambda x: x.reshape(x.shape[0], 2, 3), sds((B, 6)))
    (reshape,) = eqns(b, "reshape")
    assert isinstance(reshape["new_sizes"][0], Dim) and reshape["new_sizes"][1:] == (2, 3)


def test_shared_subexpressions_are_written_once():
    B, S = export.symbolic_shape("B, S")

    def fn(x, y):
        z = x.reshape(x.shape[0] * x.shape[1])  # B*S in a parameter and a variable
        w = jnp.zeros((x.shape[0] * x.shape[1] + 1,))  # B*S + 1: an add over the same node
        return z, w, y.reshape(-1)  # y: (B*S,) reshaped: the same expression again

    b = write(fn, sds((B, S)), sds((B, S)))
    syms, exprs = dims(b)
    assert len(set(exprs)) == len(exprs)  # each record once
    for i, (op, a, c) in enumerate(exprs):  # topological order
        if op >= F.DIM_ADD:
            assert a < i and c < i
    g = graphs(b)[0]
    z, w = (g["vars"][a[1]][1] for a in g["outs"][:2])
    bs = -2 - z[0]
    assert exprs[bs][0] == F.DIM_MUL
    assert eqns(b, "reshape")[0]["new_sizes"] == (Dim(bs),)
    assert exprs[-2 - w[0]] == (F.DIM_ADD, bs, exprs.index((F.DIM_CONST, 1, 0)))
    assert [x[0] for x in exprs].count(F.DIM_MUL) == 1


def test_subgraphs_share_the_file_expression_table():
    B, S = export.symbolic_shape("B, S")
    b = write(lambda x: jax.jit(lambda a: a.reshape(-1) * 2)(x), sds((B, S)))
    gs = graphs(b)
    assert len(gs) == 2
    (inner,) = gs[1]["eqns"][0][1]["new_sizes"]
    (outer_dim,) = gs[0]["vars"][gs[0]["outs"][0][1]][1]
    assert inner == Dim(-2 - outer_dim)
    assert len(symbol_names(b)) == 2


def test_complex_and_key_trailing_dims_stay_static():
    (B,) = export.symbolic_shape("B")
    b = write(
        lambda x: (x.astype(jnp.complex64), jax.random.split(jax.random.key(0), x.shape[0])),
        sds((B, 3)),
    )
    g = graphs(b)[0]
    c, k = (g["vars"][a[1]] for a in g["outs"])
    assert c[0] == F.DTYPES["complex64"] and c[1][1:] == [3, 2] and c[1][0] <= -2
    assert k[0] == F.DTYPES["key"] and k[1][1:] == [2] and k[1][0] <= -2


def test_scan_over_a_symbolic_axis():
    """A scan's length may be symbolic (a dim value); hoisting leaves such a scan as it is;
    unroll=True on a symbolic length is one step per iteration."""
    (B,) = export.symbolic_shape("B")
    W = np.ones((3, 4), np.float32)

    def rnn(xs, unroll):
        def step(h, x):
            h = jnp.tanh(x @ W + h)
            return h, h

        return jax.lax.scan(step, jnp.zeros((4,)), xs, unroll=unroll)

    for unroll in (1, True):
        b = write(lambda xs: rnn(xs, unroll), sds((B, 3)), scan_hoist=True)
        (scan,) = eqns(b, "scan")
        assert isinstance(scan["length"], Dim) and scan["unroll"] == 1
        for env in ENVS:
            assert dim_value(b, scan["length"], **env) == env["B"]
    # a static length with a symbolic batch: not hoisted either (no closed_call around it)
    b = write(lambda xs: jax.lax.scan(lambda c, x: (c + x @ W, c), jnp.zeros((B, 4)), xs), sds((5, B, 3)))
    assert len(eqns(b, "scan")) == 1 and not eqns(b, "closed_call")
    assert eqns(b, "scan")[0]["length"] == 5


def test_expanded_primitives_keep_symbolic_shapes():
    """Primitives ovjax writes as a call of JAX's own implementation (igamma, lu) trace
    that implementation at the symbolic shapes."""
    (B,) = export.symbolic_shape("B")
    b = write(lambda a, x: (jax.lax.igamma(x, x + 1), jnp.linalg.solve(a, x[:, :4, None])), sds((B, 4, 4)), sds((B, 5)))
    assert header(b)[2] == F.FLAG_SYMBOLIC
    calls = [params for g in graphs(b) for p, params, _, _ in g["eqns"] if p == "closed_call"]
    assert {c["ovjax_expanded_from"] for c in calls} >= {"igamma", "lu", "custom_linear_solve"}
    assert symbol_names(b) == ["B"]


# ---------------------------------------------------------------- input= and example_input


def fn2(x, y):
    return (x * 2).sum() + y.sum()


X = np.ones((2, 128), np.float32)


def same_file(specs, example=(X, X)):
    files = [ovjax.serialize(fn2, ex if ex is not None else example, input=s) for s, ex in specs]
    for f in files[1:]:
        assert f == files[0]
    return files[0]


def test_named_forms_are_one_symbolic_trace():
    (B,) = export.symbolic_shape("B")
    b = same_file(
        [
            ([("B", 128), ("B", 128)], None),
            ([["B", 128], ["B", 128]], None),
            ([("x", ["B", 128]), ("y", ("B", 128))], None),
            ([("B", ov.Dimension(128)), ("B", 128)], None),
            (None, (sds((B, 128)), sds((B, 128)))),
            ([("B", 128), None], (X, sds((B, 128)))),
        ]
    )
    assert symbol_names(b) == ["B"]
    g = graphs(b)[0]
    assert [g["vars"][i][1] for i in g["invars"]] == [[-2, 128], [-2, 128]]


def test_fresh_forms_are_one_symbolic_trace():
    b = same_file(
        [
            ([(-1, 128), (-1, 128)], None),
            ([ov.PartialShape("[?,128]"), ov.PartialShape("[-1,128]")], None),
            ([(ov.Dimension(), 128), (ov.Dimension(-1), 128)], None),
            ([("?", 128), [-1, 128]], None),
        ]
    )
    names = symbol_names(b)
    assert len(names) == 2 and names[0] != names[1]  # each -1 / ? a symbol of its own
    assert [s[3:] for s in dims(b)[0]] == [(0, 0), (1, 0)]


def test_bounded_forms_are_one_symbolic_trace():
    b = same_file(
        [
            ([(ov.Dimension(1, 64), 128), (ov.Dimension(2, 8), 128)], None),
            ([ov.PartialShape("[1..64,128]"), ov.PartialShape("[2..8,128]")], None),
        ]
    )
    assert [s[1:3] for s in dims(b)[0]] == [(1, 64), (2, 8)]


def test_one_shape_for_one_input_and_the_same_name_in_two():
    t = trace(lambda x: x.sum(), X, input=("B", 128))
    assert str(t.jaxpr.jaxpr.invars[0].aval.shape[0]) == "B"
    t = trace(fn2, (X, np.ones((7, 128), np.float32)), input=[("B", "S"), ("B", "S")])
    a, c = (v.aval.shape for v in t.jaxpr.jaxpr.invars)
    assert a == c and [str(d) for d in a] == ["B", "S"]  # example sizes of symbolic dims are ignored
    t = trace(fn2, (X, X), input=[(-1, 128), (-1, 128)])
    a, c = (v.aval.shape for v in t.jaxpr.jaxpr.invars)
    assert str(a[0]) != str(c[0])


def test_a_static_shape_next_to_symbolic_ones_replaces_its_example():
    """As without symbols, a static input= shape replaces the example's (any rank)."""
    t = trace(fn2, (X, X), input=[("B", 128), (3,)])
    a, c = (v.aval.shape for v in t.jaxpr.jaxpr.invars)
    assert str(a[0]) == "B" and c == (3,)


def test_fresh_names_do_not_collide_with_user_names():
    t = trace(fn2, (X, X), input=[("_d1_0", 128), (-1, 128)])
    a, c = (str(v.aval.shape[0]) for v in t.jaxpr.jaxpr.invars)
    assert a == "_d1_0" and c != a


def test_static_input_shapes_work_as_before():
    t = trace(fn2, (np.ones(3, np.float32), np.ones(3, np.float32)), input=[[2, 7], (2, 7)])
    assert [v.aval.shape for v in t.jaxpr.jaxpr.invars] == [(2, 7), (2, 7)]
    t = trace(fn2, (X, X), input=[ov.PartialShape([4, 128]), ov.Shape([4, 128])])
    assert [v.aval.shape for v in t.jaxpr.jaxpr.invars] == [(4, 128), (4, 128)]
    t = trace(fn2, (X, X), input=[("x", [3, 128], ov.Type.f16), ov.Type.f16])
    assert [(v.aval.shape, v.aval.dtype) for v in t.jaxpr.jaxpr.invars] == [
        ((3, 128), np.float16),
        ((2, 128), np.float16),
    ]
    assert header(ovjax.serialize(fn2, (X, X), input=[[3, 128], [3, 128]]))[1:] == (1, 0)


def test_user_constraints_are_kept():
    B, S = export.symbolic_shape("B, S", constraints=["S <= 512", "B >= 2"])
    b = ovjax.serialize(fn2, (sds((B, S)), sds((B, S))))
    assert dims(b)[0] == [("B", 2, -1, 0, 0), ("S", 1, 512, 0, 1)]
    # with bounds from input= on another symbol: one new scope with both
    b = ovjax.serialize(
        lambda x, y, z: x.sum() + y.sum() + z.sum(),
        (sds((B, S)), sds((B, S)), X),
        input=[None, None, (ov.Dimension(1, 9), 128)],
    )
    assert [s[:3] for s in dims(b)[0]] == [("B", 2, -1), ("S", 1, 512), ("_d2_0", 1, 9)]
    # bounds from input= on the example's own symbol narrow the user's
    b = ovjax.serialize(fn2, (sds((B, S)), sds((B, S))), input=[(ov.Dimension(1, 300), ov.Dimension(3, 600)), None])
    assert [s[:3] for s in dims(b)[0]] == [("B", 2, 300), ("S", 3, 512)]


def test_user_modulo_constraint_survives_a_new_scope():
    (B,) = export.symbolic_shape("B", constraints=["mod(B, 4) == 0"])

    def fn(x, y):
        return x.reshape(x.shape[0] // 4, 4).sum() + y.sum()

    b = ovjax.serialize(fn, (sds((B,)), X), input=[None, (ov.Dimension(1, 16), 128)])
    assert [s[:3] for s in dims(b)[0]][1] == ("_d1_0", 1, 16)


def test_closed_jaxpr_traced_with_symbolic_shapes_serializes_as_is():
    (B,) = export.symbolic_shape("B", constraints=["B <= 100"])
    cj = jax.make_jaxpr(fn2)(sds((B, 128)), sds((B, 128)))
    d = to_frontend_input(trace(cj))
    b = d["ovjax_graph"].data.tobytes()
    assert header(b)[2] == F.FLAG_SYMBOLIC
    assert dims(b)[0] == [("B", 1, 100, 0, 0)]


def test_ov_convert_model_hook_hands_symbolic_models_over():
    """ov.convert_model through the hook: a symbolic ClosedJaxpr keeps its symbol, a
    module is retraced with input= (symbol names OpenVINO's own parser does not know)."""
    import flax.linen as nn
    from openvino.tools.ovc import convert as cv

    if not getattr(cv._convert, "_ovjax", False):
        pytest.fail("the ov.convert_model hook is not installed")
    (B,) = export.symbolic_shape("B")
    cj = jax.make_jaxpr(fn2)(sds((B, 128)), sds((B, 128)))
    m = ov.convert_model(cj)
    assert [str(i.get_partial_shape()) for i in m.inputs] == ["[1..,128]", "[1..,128]"]
    assert m.input(0).get_partial_shape()[0].get_symbol() is m.input(1).get_partial_shape()[0].get_symbol()

    mod = nn.Dense(3)
    variables = mod.init(jax.random.PRNGKey(0), np.ones((2, 4), np.float32))
    m = ov.convert_model(mod.bind(variables), example_input=np.ones((2, 4), np.float32), input=[("N", 4)])
    assert str(m.input(0).get_partial_shape()) == "[1..,4]"
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    got = ov.compile_model(m, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})([x])[0]
    np.testing.assert_allclose(got, mod.apply(variables, x), rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- errors


def test_contradicting_bounds_of_one_dimension():
    with pytest.raises(ValueError, match=r"^ovjax: .*axis 0 for input 'x'.*contradict"):
        trace(fn2, (X, X), input=[(ov.Dimension(64, 1), 128), (-1, 128)])


def test_disjoint_bounds_of_one_name():
    (B,) = export.symbolic_shape("B")
    with pytest.raises(
        ValueError, match=r"^ovjax: the bounds of the symbolic dimension 'B' contradict.*1\.\.10.*20\.\.30"
    ):
        trace(fn2, (sds((B, 128)), sds((B, 128))), input=[(ov.Dimension(1, 10), 128), (ov.Dimension(20, 30), 128)])
    (B,) = export.symbolic_shape("B", constraints=["B <= 64"])
    with pytest.raises(ValueError, match=r"^ovjax: the bounds of the symbolic dimension 'B' contradict.*1\.\.64"):
        trace(fn2, (sds((B, 128)), X), input=[(ov.Dimension(100, 200), 128), None])


@pytest.mark.parametrize("shape", [(ov.Dimension(0, 64), 128), ov.PartialShape("[..64,128]")])
def test_lower_bound_zero(shape):
    with pytest.raises(ValueError, match=r"^ovjax: .*axis 0 for input 'x'.*lower bound 0.*at least 1"):
        trace(fn2, (X, X), input=[shape, (-1, 128)])


def test_rank_differs_from_the_example():
    with pytest.raises(ValueError, match=r"^ovjax: .*input 'y' a shape of rank 3.*has rank 2 \(shape \(2, 128\)\)"):
        trace(fn2, (X, X), input=[("B", 128), ("B", 128, 1)])


def test_a_symbol_fixed_to_a_number_elsewhere():
    (B,) = export.symbolic_shape("B")
    with pytest.raises(ValueError, match=r"^ovjax: input 'y' axis 0 is the symbolic dimension B .* fixes it to 4"):
        trace(fn2, (sds((B, 128)), sds((B, 128))), input=[None, (4, 128)])


def test_a_symbol_renamed_by_input_is_an_error():
    (B,) = export.symbolic_shape("B")
    with pytest.raises(
        ValueError, match=r"^ovjax: input 'x' axis 0 is the symbolic dimension B in example_input, but N"
    ):
        trace(fn2, (sds((B, 128)), X), input=[("N", 128), None])


def test_two_scopes_are_an_error():
    (B,) = export.symbolic_shape("B")
    (C,) = export.symbolic_shape("C")
    with pytest.raises(ValueError, match=r"^ovjax: .*mix two jax.export.SymbolicScope.*'x' axis 0.*'y' axis 0"):
        trace(fn2, (sds((B, 128)), sds((C, 128))))


def test_invalid_symbol_names():
    for bad in ("2B", "B+1", "mod", ""):
        with pytest.raises(ValueError, match=r"^ovjax: .* is not a symbol name"):
            trace(fn2, (X, X), input=[(bad, 128), (-1, 128)])


def test_a_model_that_branches_on_a_symbolic_dimension():
    def branches(x, y):
        if x.shape[1] > 64:  # JAX cannot decide this for a symbolic S
            return x.sum() + y.sum()
        return x.sum()

    with pytest.raises(ValueError, match=r"^ovjax: JAX cannot trace") as ei:
        trace(branches, (X, X), input=[("B", "S"), ("B", 128)])
    msg = str(ei.value)
    assert isinstance(ei.value.__cause__, jax.errors.InconclusiveDimensionOperation)
    assert "inconclusive" in msg  # JAX's own message
    assert "'x' axis 0 (B), 'x' axis 1 (S), 'y' axis 0 (B)" in msg
    assert "make 'x' axis 1 static" in msg.lower()


def test_a_model_that_needs_a_symbolic_dimension_as_an_int():
    def needs_int(x):
        return jnp.zeros(list(range(x.shape[0])))

    with pytest.raises(TypeError, match=r"^ovjax: JAX cannot trace") as ei:
        trace(needs_int, X, input=[("N", 128)])
    assert isinstance(ei.value.__cause__, TypeError) and "'x' axis 0" in str(ei.value)


def test_the_static_trace_errors_are_unchanged():
    def bad(x):
        raise TypeError("not about shapes")

    for spec in (None, [("B", 128)]):
        with pytest.raises(TypeError, match="^not about shapes") as ei:
            trace(bad, X, input=spec)
        assert type(ei.value) is TypeError and "ovjax" not in str(ei.value)


def test_strings_hold_the_symbol_names():
    (B,) = export.symbolic_shape("batch")
    b = write(lambda x: x + 1, sds((B, 3)))
    assert "batch" in strings(b) and symbol_names(b) == ["batch"]
