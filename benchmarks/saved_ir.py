"""Saved IR with and without OpenVINO's MOC cleanup pass (issue 16): the ov.convert_model
hook skips OpenVINO's generic MOC pass for ovjax models (OVJAX_MOC_PASSES=1 runs it). For
the transformers of tests/models (random weights), this converts each model both ways
through ov.convert_model, saves the IR (ov.save_model, f16 weights as by default), and
compares the files' sizes and the time to compile each saved IR on the CPU plugin (a fresh
read_model + compile_model per measurement, the two routes taking turns, medians).

    python benchmarks/saved_ir.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time

os.environ.setdefault("CI", "true")  # no telemetry fork per ov.convert_model call

import openvino as ov

import ovjax

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

from tests.models.test_weight_compression import MODELS  # noqa: E402


def convert(fn, args, moc: bool) -> tuple[ov.Model, float]:
    old = os.environ.pop("OVJAX_MOC_PASSES", None)
    if moc:
        os.environ["OVJAX_MOC_PASSES"] = "1"
    try:
        t = time.perf_counter()
        m = ov.convert_model(fn, example_input=args)
        return m, time.perf_counter() - t
    finally:
        os.environ.pop("OVJAX_MOC_PASSES", None)
        if old is not None:
            os.environ["OVJAX_MOC_PASSES"] = old


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    a = ap.parse_args()
    print(f"# {platform.machine()}, {os.cpu_count()} cores; openvino {ov.get_version()}, ovjax {ovjax.__version__}")
    print(
        f"{'model':8} | {'IR bytes (xml+bin)':>22} {'moc/ovjax':>9} | {'nodes':>11} | "
        f"{'compile ms':>17} {'moc/ovjax':>9} | {'convert ms':>15}"
    )
    with tempfile.TemporaryDirectory() as d:
        for name, make in MODELS.items():
            fn, args = make()
            sizes, nodes, conv, paths = {}, {}, {}, {}
            for route in ("ovjax", "moc"):
                m, conv[route] = convert(fn, args, route == "moc")
                paths[route] = os.path.join(d, f"{name}-{route}.xml")
                ov.save_model(m, paths[route])
                sizes[route] = os.path.getsize(paths[route]) + os.path.getsize(paths[route][:-4] + ".bin")
                nodes[route] = len(m.get_ops())
            times = {"ovjax": [], "moc": []}
            for _ in range(a.rounds):
                for route in ("ovjax", "moc"):
                    t = time.perf_counter()
                    ov.Core().compile_model(ov.Core().read_model(paths[route]), "CPU")
                    times[route].append(time.perf_counter() - t)
            c = {r: statistics.median(v) * 1e3 for r, v in times.items()}
            print(
                f"{name:8} | {sizes['ovjax']:>10,} {sizes['moc']:>11,} {sizes['moc'] / sizes['ovjax']:9.3f} | "
                f"{nodes['ovjax']:>5} {nodes['moc']:>5} | {c['ovjax']:8.1f} {c['moc']:8.1f} {c['moc'] / c['ovjax']:9.2f} | "
                f"{conv['ovjax'] * 1e3:7.1f} {conv['moc'] * 1e3:7.1f}",
                flush=True,
            )
    print(f"compile times: medians of {a.rounds} interleaved rounds; convert: one call each")
    return 0


if __name__ == "__main__":
    sys.exit(main())
