"""Generate docs/primitives.md from the primitive table (src/cpp/ops/primitives.def).

    python docs/gen_primitives.py          # rewrite docs/primitives.md
    python docs/gen_primitives.py --check  # exit 1 if it is out of date (tests do this)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "src/cpp/ops/primitives.def"
DOC = ROOT / "docs/primitives.md"
TESTS = ROOT / "tests"

OP = re.compile(r"^OVJAX_OP\(([\w-]+),\s*(\w+)\)")
UNSUP = re.compile(r'^OVJAX_UNSUPPORTED\(([\w-]+),\s*"((?:[^"\\]|\\.)*)"\)')
SECTION = re.compile(r"^// ---- (.*)$")


def parse_table():
    """[(section, primitive, translator or None, reason or None)]"""
    rows = []
    section = ""
    for line in TABLE.read_text().splitlines():
        line = line.strip()
        if m := SECTION.match(line):
            section = m.group(1)
        elif m := OP.match(line):
            rows.append((section, m.group(1), m.group(2), None))
        elif m := UNSUP.match(line):
            rows.append((section, m.group(1), None, m.group(2)))
    return rows


def tests_mentioning(prim: str) -> list[str]:
    pat = re.compile(r"""["']%s["']""" % re.escape(prim))
    return sorted(p.name for p in TESTS.glob("test_*.py") if pat.search(p.read_text()))


def render() -> str:
    rows = parse_table()
    n_ok = sum(1 for r in rows if r[2])
    out = [
        "# Supported JAX primitives",
        "",
        "Generated from `src/cpp/ops/primitives.def` by `docs/gen_primitives.py`; "
        "`tests/test_coverage.py` fails when this page drifts from the table.",
        "",
        f"{n_ok} primitives are translated; {len(rows) - n_ok} are known and reported as unsupported. "
        "Any other primitive is reported as unsupported too, together with every other one in the model.",
        "",
        "| primitive | family | status | tests |",
        "|---|---|---|---|",
    ]
    for section, prim, fn, reason in rows:
        status = "translated" if fn else f"unsupported: {reason}"
        tests = ", ".join(f"`{t}`" for t in tests_mentioning(prim)) or "—"
        out.append(f"| `{prim}` | {section} | {status} | {tests} |")
    return "\n".join(out) + "\n"


def main() -> int:
    text = render()
    if "--check" in sys.argv:
        if not DOC.exists() or DOC.read_text() != text:
            print("docs/primitives.md is out of date: run python docs/gen_primitives.py")
            return 1
        return 0
    DOC.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
