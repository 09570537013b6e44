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

OP = re.compile(r"^OVJAX_OP(?:_COMPLEX)?\(([\w-]+),\s*(\w+)\)")
# OVJAX_OP_COMPLEX rows: the translator also handles complex operands and results.
COMPLEX = re.compile(r"^OVJAX_OP_COMPLEX\(([\w-]+),")
UNSUP = re.compile(r'^OVJAX_UNSUPPORTED\(([\w-]+),\s*"((?:[^"\\]|\\.)*)"\)')
EXPANDED = re.compile(r'^OVJAX_EXPANDED\(([\w-]+),\s*"((?:[^"\\]|\\.)*)"\)')
# The translator column of an OVJAX_EXPANDED row: the Python serializer replaces the
# primitive by JAX's own implementation (src/python/ovjax/_expand.py).
EXPANDED_FN = "<expanded>"
SECTION = re.compile(r"^// ---- (.*)$")


def parse_table():
    """[(section, primitive, translator or EXPANDED_FN or None, reason / how or None)]"""
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
        elif m := EXPANDED.match(line):
            rows.append((section, m.group(1), EXPANDED_FN, m.group(2)))
    return rows


def complex_aware() -> set[str]:
    """Primitives whose translator handles complex values (OVJAX_OP_COMPLEX rows)."""
    return {m.group(1) for line in TABLE.read_text().splitlines() if (m := COMPLEX.match(line.strip()))}


def tests_mentioning(prim: str) -> list[str]:
    pat = re.compile(r"""["']%s["']""" % re.escape(prim))
    return sorted(p.name for p in TESTS.glob("test_*.py") if pat.search(p.read_text()))


def render() -> str:
    rows = parse_table()
    cplx = complex_aware()
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
        f"{len(cplx)} translators also handle complex values (\"complex too\"; complex64 is a float32 tensor "
        "with a trailing (real, imag) axis of 2, see docs/format.md); any other primitive with a complex "
        "operand or result is reported as an error.",
        "",
        "| primitive | family | status | tests |",
        "|---|---|---|---|",
    ]
    for section, prim, fn, reason in rows:
        if fn == EXPANDED_FN:
            status = f"translated (expanded by the serializer: {reason})"
        else:
            status = ("translated, complex too" if prim in cplx else "translated") if fn else f"unsupported: {reason}"
        tests = ", ".join(f"`{t}`" for t in tests_mentioning(prim)) or "—"
        out.append(f"| `{prim}` | {section} | {status} | {tests} |")
    out += APPROXIMATIONS
    out += render_harness_results()
    return "\n".join(out) + "\n"


# Primitives OpenVINO has no operation for, composed from other operations: which ones
# approximate and how closely (measured against JAX on float32).
APPROXIMATIONS = [
    "",
    "## Approximations",
    "",
    "Where OpenVINO has no operation, translators compose one. These approximate the "
    "function with the same algorithm XLA uses, evaluated in float32 (errors measured "
    "against JAX over 340,000 float32 points, x in [-50, 50] incl. negative non-integers, "
    "up to 1e30, +-inf and NaN):",
    "",
    "| primitive | method | measured error vs JAX |",
    "|---|---|---|",
    "| `lgamma` | Lanczos approximation with reflection (XLA's) | 3.1e-6 absolute where \\|y\\| < 1, 2.5e-6 relative elsewhere; poles and +-inf give +inf |",
    "| `digamma` | XLA's Lanczos-based series | 1.5e-6 absolute / 1.3e-6 relative; poles NaN as JAX, +-0 JAX's own value (NaN up to 0.10, -inf from 0.12) |",
    "| `bessel_i1e` | Cephes Chebyshev series (XLA's) | 4.5e-8 absolute |",
    "| `erf_inv` | Giles' single-precision polynomial (XLA's) | within the harness tolerance (1e-4) |",
    "| `erfc` | 1 - erf for \\|x\\| < 1, Cephes' erfcf tails (XLA's) | within 1e-5 relative on the harnesses |",
    "| `cumlogsumexp` | log-depth scan of max + log1p(exp(-\\|a-b\\|)) | within 1e-4 |",
    "| `cholesky`, `triangular_solve` | row-by-row substitution (unrolled, or a Loop beyond 16 rows) | within 1e-3 on the harnesses (condition numbers up to 1e5) |",
    "",
    "Exact (the same function as JAX, or bit-exact): `igamma`, `igammac`, `igamma_grad_a`, "
    "`regularized_incomplete_beta`, `bessel_i0e`, `random_gamma`, `lu`, `custom_linear_solve` "
    "and `tridiagonal_solve` are expanded into JAX's own implementations; `bitcast_convert_type`, "
    "`reduce_precision`, `nextafter` and half-precision `cumsum` are bit-exact.",
]


DTYPE_ORDER = ["float32", "float16", "bfloat16", "float64", "int8", "int16", "int32", "uint8", "uint16",
               "uint32", "bool", "complex64", "complex128"]


def _group_primitive() -> dict[str, str]:
    """tests/catalogue.py's GROUP_PRIMITIVE (harness group -> primitive), read without
    importing JAX."""
    import ast

    tree = ast.parse((ROOT / "tests/catalogue.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "GROUP_PRIMITIVE" for t in node.targets):
            return ast.literal_eval(node.value)
    raise RuntimeError("tests/catalogue.py has no GROUP_PRIMITIVE")


def harness_records() -> list[tuple[str, dict]]:
    """(release, results) of every recorded full catalogue run, oldest release first."""
    import json
    import re

    out = []
    for path in (ROOT / "docs").glob("harness_results_jax*.json"):
        release = re.fullmatch(r"harness_results_jax(.*)\.json", path.name).group(1)
        out.append((release, json.loads(path.read_text())))
    return sorted(out, key=lambda r: tuple(int(x) for x in r[0].split(".")))


def render_harness_results() -> list[str]:
    """Pass counts per harness group and dtype from the full catalogue runs."""
    records = harness_records()
    if not records:
        return []
    table = {p: bool(fn) for _, p, fn, _ in parse_table()}
    group_primitive = _group_primitive()
    lines = []
    for release, results in records:
        total = len(results)
        passed = sum(r["status"] == "pass" for r in results.values())
        ours = [r for r in results.values() if table.get(group_primitive.get(r["group"], r["group"]))]
        ours_passed = sum(r["status"] == "pass" for r in ours)
        lines.append(f"| {release} | {passed} of {total} ({100 * passed / total:.1f}%) | "
                     f"{ours_passed} of {len(ours)} ({100 * ours_passed / len(ours):.1f}%) |")
    release, results = records[-1]
    cells: dict = {}
    for r in results.values():
        c = cells.setdefault(r["group"], {}).setdefault(r["dtype"], [0, 0])
        c[0] += r["status"] == "pass"
        c[1] += 1
    dtypes = [d for d in DTYPE_ORDER if any(d in g for g in cells.values())]
    dtypes += sorted({d for g in cells.values() for d in g} - set(dtypes))
    out = [
        "",
        "## JAX's harness catalogue",
        "",
        "Every harness of `jax/_src/internal_test_util/test_harnesses.py` that JAX runs on CPU, converted with "
        "ovjax, run on OpenVINO CPU at f32 inference precision and compared with JAX (`tests/catalogue.py`), "
        "under each tested JAX release: the results are in `docs/harness_results_jax<release>.json`, and "
        "`tests/test_catalogue.py` checks each harness against the running release's record.",
        "",
        "| JAX | harnesses passing | of primitives the table translates |",
        "|---|---|---|",
        *lines,
    ]
    if len(records) > 1:
        old_release, old = records[0]
        added = sorted(set(results) - set(old))
        dropped = sorted(set(old) - set(results))
        changed = sorted(k for k in set(results) & set(old) if results[k]["status"] != old[k]["status"])
        out += ["", f"Between JAX {old_release} and {release}: {len(added)} harnesses added, {len(dropped)} dropped, "
                f"{len(changed)} with a different outcome."]
        for title, names, rec in (("added", added, results), ("dropped", dropped, old)):
            if names:
                out.append(f"{title.capitalize()}: " + ", ".join(f"`{k}` ({rec[k]['status']})" for k in names) + ".")
        if changed:
            out.append("Different outcome: " + ", ".join(
                f"`{k}` ({old[k]['status']} under {old_release}, {results[k]['status']} under {release})"
                for k in changed) + ".")
    out += [
        "",
        f"Per harness group (usually one primitive) and dtype under JAX {release}, passed/total:",
        "",
        "| group | " + " | ".join(dtypes) + " | all |",
        "|---|" + "---|" * (len(dtypes) + 1),
    ]
    for g in sorted(cells):
        row = cells[g]
        p = sum(v[0] for v in row.values())
        n = sum(v[1] for v in row.values())
        out.append(f"| `{g}` | " + " | ".join(f"{row[d][0]}/{row[d][1]}" if d in row else "" for d in dtypes)
                   + f" | {p}/{n} |")
    return out


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
