"""JAX's own harness catalogue through ovjax (see tests/catalogue.py).

CI runs a deterministic sample covering every primitive group and every dtype;
`pytest -m slow tests/test_catalogue.py` runs every harness. Each harness must reproduce
its recorded outcome in docs/harness_results_jax<release>.json (written by `python tests/catalogue.py`),
so a regression fails, and so does an improvement that was not recorded (the coverage
doc is generated from that file).
"""

from __future__ import annotations

import json

import pytest

import catalogue

RECORDED = json.loads(catalogue.RESULTS.read_text()) if catalogue.RESULTS.exists() else {}
HARNESSES = catalogue.all_harnesses()
SAMPLE = {h.fullname for h in catalogue.sample(HARNESSES)}
# the symbolic-batch run (catalogue.py --symbolic): one harness per group in CI
SYMBOLIC_FILE = catalogue.symbolic_results_file()
SYMBOLIC_RECORDED = json.loads(SYMBOLIC_FILE.read_text()) if SYMBOLIC_FILE.exists() else {}
SYMBOLIC_SAMPLE = {h.fullname for h in catalogue.sample(HARNESSES, per_group=1)}


def _param(h):
    marks = [] if h.fullname in SAMPLE else [pytest.mark.slow]
    return pytest.param(h, id=h.fullname, marks=marks)


@pytest.mark.parametrize("h", [_param(h) for h in HARNESSES])
def test_harness(h):
    want = RECORDED.get(h.fullname, {}).get("status")
    assert want is not None, f"{h.fullname} has no recorded result: run python tests/catalogue.py"
    status, detail = catalogue.run(h)
    assert status == want, f"{h.fullname}: {status} (recorded: {want}) {detail}"


@pytest.mark.parametrize(
    "h",
    [
        pytest.param(h, id=h.fullname, marks=[] if h.fullname in SYMBOLIC_SAMPLE else [pytest.mark.slow])
        for h in HARNESSES
    ],
)
def test_harness_with_a_symbolic_batch(h):
    """The harness vmapped over a symbolic batch reproduces its recorded outcome in
    docs/harness_symbolic_jax<release>.json (so that record and docs/primitives.md stay true)."""
    want = SYMBOLIC_RECORDED.get(h.fullname, {}).get("status")
    assert want is not None, f"{h.fullname} has no recorded symbolic result: run python tests/catalogue.py --symbolic"
    status, detail = catalogue.run_symbolic(h)
    assert status == want, f"{h.fullname} with a symbolic batch: {status} (recorded: {want}) {detail}"


@pytest.mark.parametrize("release", catalogue.supported_releases())
def test_symbolic_record_is_within_two_points_of_static(release):
    """Issue 14's target, over each tested release's recorded runs: of the harnesses JAX can
    batch and trace symbolically, the share that passes with a symbolic batch is within 2
    points of the share that passes statically."""
    path = catalogue.symbolic_results_file(release)
    if not path.exists():
        pytest.fail(f"no {path.name}: run tests/catalogue.py --symbolic under jax {release}")
    sym = json.loads(path.read_text())
    static = json.loads(catalogue.results_file(release).read_text())
    batched = [k for k, r in sym.items() if r["status"] != "jax_error" and k in static]
    sp = sum(sym[k]["status"] == "pass" for k in batched) / len(batched)
    st = sum(static[k]["status"] == "pass" for k in batched) / len(batched)
    assert st - sp <= 0.02, f"jax {release}: {100 * sp:.1f}% pass with a symbolic batch, {100 * st:.1f}% statically"


def test_recorded_results_cover_this_release():
    """The running release's record has exactly the harnesses of its catalogue."""
    names = {h.fullname for h in HARNESSES}
    missing = sorted(names - set(RECORDED))
    assert not missing, f"{len(missing)} harnesses have no recorded result: rerun tests/catalogue.py ({missing[:5]})"
    extra = sorted(set(RECORDED) - names)
    assert not extra, f"{catalogue.RESULTS.name} records harnesses jax {catalogue.RELEASE} lacks: {extra[:5]}"


@pytest.mark.parametrize("release", catalogue.supported_releases())
def test_recorded_results_meet_the_targets(release):
    """Over each tested release's full recorded run: at least 98.2% of the harnesses of
    primitives the table translates pass, and every float32 and int32 one."""
    path = catalogue.results_file(release)
    if not path.exists():
        pytest.fail(f"no {path.name}: run tests/catalogue.py under jax {release}")
    recorded = json.loads(path.read_text())
    table = catalogue.table_status({r["group"] for r in recorded.values()})
    ours = {k: r for k, r in recorded.items() if table.get(r["group"]) == "op"}
    passed = sum(r["status"] == "pass" for r in ours.values())
    assert passed >= 0.982 * len(ours), f"jax {release}: {passed}/{len(ours)} harnesses of translated primitives pass"
    core = {k: r for k, r in ours.items() if r["dtype"] in ("float32", "int32")}
    failing = sorted(k for k, r in core.items() if r["status"] != "pass" and k not in IMPOSSIBLE)
    assert not failing, f"jax {release}: float32/int32 harnesses that do not pass: {failing}"


# float32/int32 harnesses that cannot pass on OpenVINO, with the reason (README, note).
IMPOSSIBLE = {
    "top_k_sort_inf_nan_inshape_float32_5_k_5": "orders a -NaN input below -inf, as XLA's total order does; "
    "no OpenVINO operation exposes the sign bit of a NaN, so every NaN sorts as +NaN",
}
