"""The reader and the frontend on files with symbolic dimensions (docs/format.md, DIMS):
what a valid file becomes (input dimensions with bounds and shared symbols, one model
for every size) and every malformed DIMS section or symbolic dimension rejected with a
message naming it, by the sanitized standalone reader and by both conversion routes."""

from __future__ import annotations

import struct

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import export

import ovjax
from ovjax import format as F

from harness import assert_close, compile_cpu
from rawfile import put, sections
from test_reader_security import rejected


def _symbolic_bytes() -> bytes:
    b, s = export.symbolic_shape("B, S", constraints=["S <= 512"])

    def f(x, y):
        return (x.reshape(-1) * 2.0).sum() + y.sum()

    cj = jax.make_jaxpr(f)(jax.ShapeDtypeStruct((b, 2 * s), jnp.float32), jax.ShapeDtypeStruct((b,), jnp.float32))
    return ovjax.serialize(cj)


@pytest.fixture(scope="module")
def sym_bytes() -> bytes:
    return _symbolic_bytes()


def dims_words(data: bytes) -> tuple[int, list[int]]:
    """(offset, words) of the DIMS section."""
    _, off, size = sections(data)[F.SEC_DIMS]
    return off, list(struct.unpack_from(f"<{size // 8}q", data, off))


def test_valid_file_has_bounds_and_shared_symbols(sym_bytes):
    assert struct.unpack_from("<H", sym_bytes, 10)[0] == 2
    assert struct.unpack_from("<Q", sym_bytes, 40)[0] == F.FLAG_SYMBOLIC
    m = ovjax.convert_model(sym_bytes)
    x, y = m.inputs
    assert str(x.get_partial_shape()) == "[1..,2..1024]"
    assert str(y.get_partial_shape()) == "[1..]"
    bx, by = x.get_partial_shape()[0], y.get_partial_shape()[0]
    # B in both inputs is one dimension: the same ov::Symbol
    assert bx.has_symbol() and by.has_symbol() and bx.get_symbol() == by.get_symbol()
    assert not x.get_partial_shape()[1].get_symbol() == bx.get_symbol()
    compiled = compile_cpu(m)
    rng = np.random.default_rng(0)
    for nb, ns in ((1, 1), (3, 5), (7, 512)):
        xa = rng.standard_normal((nb, 2 * ns), np.float32)
        ya = rng.standard_normal((nb,), np.float32)
        got = compiled([xa, ya])[0]
        assert_close(got, np.asarray((xa.reshape(-1) * 2.0).sum() + ya.sum(), np.float32), tol=(1e-4, 1e-4))


def test_static_files_are_written_as_1_1():
    b = ovjax.serialize(lambda x: x * 2.0, (np.ones((2, 3), np.float32),))
    assert struct.unpack_from("<HH", b, 8) == (1, 1)
    assert struct.unpack_from("<Q", b, 40)[0] == 0
    assert F.SEC_DIMS not in sections(b)


def _word(data: bytes, index: int, value: int) -> bytes:
    off, _ = dims_words(data)
    return put(data, off + 8 * index, "<q", value)


# Word positions in the fixture's DIMS section: [n_sym=2, (name, lo, hi, input, axis) x 2,
# n_expr, (op, a, b) x n_expr]; symbol 1 is S (upper 512, origin input 0 axis 1: 2*S).
SYM1 = 1 + 5
EXPR0 = 1 + 10 + 1


@pytest.mark.parametrize(
    "index, value, expect",
    [
        (0, 0, "symbol count 0"),
        (0, 1 << 40, "symbol count"),
        (SYM1 + 0, 1 << 30, "name string index out of range"),
        (SYM1 + 1, -1, "lower bound -1"),
        (SYM1 + 2, 0, "upper bound 0"),
        (SYM1 + 2, (1 << 62) + 1, "upper bound"),
        (SYM1 + 3, 5, "origin is input 5"),
        (SYM1 + 4, 9, "origin is axis 9"),
        (SYM1 + 4, 0, "not k*S + c"),  # axis 0 of input 0 is B, not an expression in S
        (1 + 10, 1 << 30, "expression count"),
        (EXPR0 + 0, 8, "unknown op 8"),
        (EXPR0 + 0, -1, "unknown op -1"),
        (EXPR0 + 1, 7, "names symbol 7"),
        (EXPR0 + 2, 1, "second operand of a constant or symbol must be 0"),
        (EXPR0 + 3 * 3 + 1, 3, "are not earlier expressions"),  # expr 3 = mul(2, 1) -> mul(3, 1)
        (EXPR0 + 3 * 2 + 1, (1 << 62) + 1, "out of range"),  # the constant 2
    ],
)
def test_malformed_dims_section(tmp_path, sym_bytes, index, value, expect):
    rejected(_word(sym_bytes, index, value), tmp_path, expect)


def test_duplicate_symbol_names(tmp_path, sym_bytes):
    _, w = dims_words(sym_bytes)
    rejected(_word(sym_bytes, SYM1, w[1]), tmp_path, "two symbols are named 'B'")


def test_flag_and_section_must_agree(tmp_path, sym_bytes):
    no_flag = put(sym_bytes, 40, "<Q", 0)
    rejected(no_flag, tmp_path, "a DIMS section in a file without the SYMBOLIC header flag")
    e, _, _ = sections(sym_bytes)[F.SEC_DIMS]
    no_section = put(sym_bytes, e, "<I", 99)  # the DIMS entry becomes an unknown (skipped) kind
    rejected(no_section, tmp_path, "the SYMBOLIC header flag is set but the file has no DIMS section")
    # a minor-1 file cannot set the flag
    rejected(put(sym_bytes, 10, "<H", 1), tmp_path, "header flags 1 name a feature this reader does not know")


def _graph0_var_dims(data: bytes) -> int:
    """Offset of variable 0's first dimension word in graph 0 (the input x: [B, 2*S])."""
    _, goff, _ = sections(data)[F.SEC_GRAPHS]
    g0 = goff + struct.unpack_from("<q", data, goff + 8)[0]
    return g0 + 8 * 3  # n_vars, dtype, rank, dims...


def test_symbolic_dimension_words_are_checked(tmp_path, sym_bytes):
    at = _graph0_var_dims(sym_bytes)
    assert struct.unpack_from("<q", sym_bytes, at)[0] <= -2  # B
    rejected(put(sym_bytes, at, "<q", -1), tmp_path, "negative dimension -1")
    rejected(put(sym_bytes, at, "<q", -2 - 1000), tmp_path, "an expression that does not exist")
    # the same word in a file without the flag: an ordinary negative dimension
    b = ovjax.serialize(lambda x: x * 2.0, (np.ones((2, 3), np.float32),))
    rejected(put(b, _graph0_var_dims(b), "<q", -2), tmp_path, "negative dimension -2")


def test_origin_is_checked_against_the_input(tmp_path, sym_bytes):
    # symbol B's origin moved to input 1 axis 0 (also B): still valid
    m = ovjax.convert_model(_word(sym_bytes, 1 + 3, 1))
    assert str(m.inputs[0].get_partial_shape()) == "[1..,2..1024]"


def test_dim_parameter_index_is_checked(tmp_path):
    (b,) = export.symbolic_shape("B")
    cj = jax.make_jaxpr(lambda x: jnp.broadcast_to(x[:, None], (x.shape[0], 3)))(
        jax.ShapeDtypeStruct((b,), jnp.float32)
    )
    data = ovjax.serialize(cj)
    # the broadcast_in_dim's shape holds (DIM e, INT 3): find the DIM tag followed by its index
    off, w = dims_words(data)
    n_expr = w[1 + 5 * w[0]]
    _, goff, gsize = sections(data)[F.SEC_GRAPHS]
    words = list(struct.unpack_from(f"<{gsize // 8}q", data, goff))
    hits = [i for i in range(len(words) - 3) if words[i] == F.V_DIM and words[i + 2] == F.V_INT and words[i + 3] == 3]
    assert hits, "no DIM parameter found"
    bad = put(data, goff + 8 * (hits[0] + 1), "<q", n_expr + 5)
    rejected(bad, tmp_path, "names no expression")


def test_a_translator_without_symbolic_support_names_the_dimension():
    (b,) = export.symbolic_shape("B")
    cj = jax.make_jaxpr(jnp.linalg.cholesky)(jax.ShapeDtypeStruct((b, b), jnp.float32))  # a symbolic matrix size
    with pytest.raises(Exception, match=r"symbolic dimension B \(operand 0, axis 0\)"):
        ovjax.convert_model(cj)
