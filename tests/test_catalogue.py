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


def _param(h):
    marks = [] if h.fullname in SAMPLE else [pytest.mark.slow]
    return pytest.param(h, id=h.fullname, marks=marks)


@pytest.mark.parametrize("h", [_param(h) for h in HARNESSES])
def test_harness(h):
    want = RECORDED.get(h.fullname, {}).get("status")
    assert want is not None, f"{h.fullname} has no recorded result: run python tests/catalogue.py"
    status, detail = catalogue.run(h)
    assert status == want, f"{h.fullname}: {status} (recorded: {want}) {detail}"


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
