"""The primitive table, its generated doc and its tests stay in step."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs"))

import gen_primitives  # noqa: E402


def test_primitives_doc_is_current():
    r = subprocess.run([sys.executable, str(ROOT / "docs/gen_primitives.py"), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_every_translated_primitive_has_a_numeric_test():
    """Each OVJAX_OP primitive is named (as prims={...} or a quoted name) by a test file."""
    untested = [p for _, p, fn, _ in gen_primitives.parse_table() if fn and not gen_primitives.tests_mentioning(p)]
    assert not untested, f"primitives with no test naming them: {untested}"


def test_table_has_no_duplicates():
    names = [p for _, p, _, _ in gen_primitives.parse_table()]
    assert len(names) == len(set(names))
