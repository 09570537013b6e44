"""JAX's own harness catalogue through ovjax (see tests/catalogue.py).

CI runs a deterministic sample covering every primitive group and every dtype;
`pytest -m slow tests/test_catalogue.py` runs every harness. Each harness must reproduce
its recorded outcome in docs/harness_results.json (written by `python tests/catalogue.py`),
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
    """Every harness of the running JAX's catalogue has a recorded result; a record of a
    harness that only some releases have names them ("jax"), this one included exactly when
    it has the harness."""
    names = {h.fullname for h in HARNESSES}
    missing = sorted(names - set(RECORDED))
    assert not missing, f"{len(missing)} harnesses have no recorded result: rerun tests/catalogue.py ({missing[:5]})"
    here = catalogue.RELEASE
    wrong = sorted(k for k, r in RECORDED.items() if "jax" in r and (here in r["jax"]) != (k in names))
    assert not wrong, f"records whose 'jax' releases disagree with jax {here}'s catalogue: {wrong[:5]}"
    absent = sorted(k for k, r in RECORDED.items() if k not in names and "jax" not in r)
    assert not absent, f"records of harnesses jax {here} lacks, not tagged with the releases that have them: {absent[:5]}"


def test_recorded_results_meet_the_targets():
    """At least 95% of all harnesses of primitives in the table pass, and every float32
    and int32 one, over the full recorded run."""
    table = catalogue.table_status()
    assert RECORDED, "no recorded results"
    ours = {k: r for k, r in RECORDED.items() if table.get(r["group"]) == "op"}
    passed = sum(r["status"] == "pass" for r in ours.values())
    assert passed >= 0.95 * len(ours), f"{passed}/{len(ours)} harnesses of translated primitives pass"
    core = {k: r for k, r in ours.items() if r["dtype"] in ("float32", "int32")}
    failing = sorted(k for k, r in core.items() if r["status"] != "pass" and k not in IMPOSSIBLE)
    assert not failing, f"float32/int32 harnesses that do not pass: {failing}"


# float32/int32 harnesses that cannot pass on OpenVINO, with the reason (README, note).
IMPOSSIBLE = {
    "top_k_sort_inf_nan_inshape_float32_5_k_5": "orders a -NaN input below -inf, as XLA's total order does; "
    "no OpenVINO operation exposes the sign bit of a NaN, so every NaN sorts as +NaN",
}
