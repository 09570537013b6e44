"""The primitive table, its generated doc and its tests stay in step."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs"))

import gen_primitives  # noqa: E402
from harness import jax_primitives  # noqa: E402


def test_primitives_doc_is_current():
    r = subprocess.run(
        [sys.executable, str(ROOT / "docs/gen_primitives.py"), "--check"], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_every_translated_primitive_has_a_numeric_test():
    """Each OVJAX_OP primitive is checked by a test file: declared in a prims= argument, a
    check_cases() case name or needs_primitives() (gen_primitives.tests_checking)."""
    untested = [p for _, p, fn, _ in gen_primitives.parse_table() if fn and not gen_primitives.tests_checking(p)]
    assert not untested, f"primitives no test checks: {untested}"


def test_table_has_no_duplicates():
    names = [p for _, p, _, _ in gen_primitives.parse_table()]
    assert len(names) == len(set(names))


def test_complex_aware_primitives():
    """OVJAX_OP_COMPLEX and OVJAX_OP_REAL_COMPLEX rows are translated rows, each named by tests/test_complex.py,
    and the doc marks exactly them."""
    cplx = gen_primitives.complex_aware()
    translated = {p for _, p, fn, _ in gen_primitives.parse_table() if fn and fn != gen_primitives.EXPANDED_FN}
    assert cplx and cplx <= translated
    text = (ROOT / "tests/test_complex.py").read_text()
    # call-like and identity primitives are exercised through jit / stop_gradient / copy;
    # expand_dims (not emitted by lax.expand_dims) is the same reshape as squeeze
    passthrough = {
        "expand_dims",
        "add_any",
        "copy_p",
        "device_put",
        "optimization_barrier",
        "pjit",
        "closed_call",
        "core_call",
        "custom_jvp_call",
        "custom_vjp_call",
        "custom_vjp_call_jaxpr",
        "remat",
        "remat2",
        "checkpoint",
    }
    unnamed = sorted(p for p in cplx - passthrough if f'"{p}' not in text)
    assert not unnamed, f"complex-aware primitives with no complex test: {unnamed}"
    doc = (ROOT / "docs/primitives.md").read_text()
    marked = {line.split("`")[1] for line in doc.splitlines() if "translated, complex too" in line}
    assert marked == cplx


def test_expanded_primitives_match_the_serializer():
    """OVJAX_EXPANDED rows are exactly the primitives src/python/ovjax/_expand.py expands."""
    from ovjax import _expand

    table = {p for _, p, fn, _ in gen_primitives.parse_table() if fn == gen_primitives.EXPANDED_FN}
    assert table == set(_expand.EXPANSIONS)


def test_complex_expanded_primitives_match_the_serializer():
    """OVJAX_OP_COMPLEX_EXPANDED rows are exactly the primitives whose complex operands
    src/python/ovjax/_expand.py expands, each named by tests/test_complex_math.py or
    tests/test_complex_ops.py."""
    from ovjax import _expand

    table = gen_primitives.complex_expanded()
    assert set(table) == set(_expand.COMPLEX_EXPANSIONS)
    text = (ROOT / "tests/test_complex_math.py").read_text() + (ROOT / "tests/test_complex_ops.py").read_text()
    assert not [p for p in table if f'"{p}"' not in text]


def test_every_jax_primitive_is_in_the_table():
    """Each primitive of jax.lax (and the call-like, control-flow, PRNG and effect
    primitives) is translated or listed as unsupported with a reason."""
    prims = jax_primitives()
    assert len(prims) > 200, f"found only {len(prims)} primitives: the module list is stale"
    table = {p for _, p, _, _ in gen_primitives.parse_table()}
    missing = sorted(f"{n} ({m})" for n, m in prims.items() if n not in table)
    assert not missing, f"{len(missing)} JAX primitives are neither translated nor listed unsupported: {missing}"
