"""Conversion speed: ovjax against OpenVINO's built-in JAX frontend, on the same ClosedJaxprs.

    python benchmarks/conversion.py            # quick (well under a minute)
    python benchmarks/conversion.py --full     # every size through both frontends, bigger transformer

Models:
  dense N     a chain of N layers tanh(x @ W + b) (N = 10, 100, 300, 1000), weights as jaxpr consts
  transformer a stack of Flax linen pre-LayerNorm blocks (MultiHeadDotProductAttention + MLP),
              random weights, traced with jax.make_jaxpr(lambda x: module.apply(params, x))

Methods, all starting from the same ClosedJaxpr:
  builtin     `with ovjax._hook.disabled(): ov.convert_model(jaxpr)` (OpenVINO's JAX frontend)
  ov+ovjax    `ov.convert_model(jaxpr)` with ovjax's hook (ovjax frontend + OpenVINO's post-conversion
              steps; the hook skips the MOC cleanup pass unless OVJAX_MOC_PASSES=1)
  ovjax       `ovjax.convert_model(jaxpr)` (ovjax frontend only, no MOC passes)

Where the time goes is reported from the same steps run one by one:
  ovjax:   serialize (GraphWriter: jaxpr -> .ovjax bytes + shared weight buffers),
           load (FrontEnd.load: parse the format), translate (FrontEnd.convert_partially:
           primitives -> OpenVINO ops), normalize (FrontEnd.convert on the result:
           validate_nodes_and_infer_types), MOC passes (what ov.convert_model runs after
           other frontends: apply_moc_transformations, compress_quantize_weights,
           fused-names cleanup; timed on ovjax's model although the hook skips
           apply_moc_transformations by default), and ov.convert_model's own overhead
           (argument handling, telemetry) = ov+ovjax - serialize - load - translate -
           normalize - MOC.
  builtin: decoder (JaxprPythonDecoder), load, convert (FrontEnd.convert), MOC passes.
Each time is the best of up to --repeats runs (fewer when one run exceeds --repeat-budget).

OpenVINO's telemetry (section "telemetry", on by default, --telemetry-rounds 0 leaves it
out): a chain of --telemetry-layers tanh(x @ W + 1) layers (3 equations each; 3,000 by
default), converted from the same ClosedJaxpr by
  make_jaxpr           jax.make_jaxpr of the function (the yardstick: ovjax should cost at most half)
  ovjax.convert_model  ovjax's own path
  ov.convert_model     through the hook, which runs ovjax's path directly
  via OpenVINO wrapper the same ovjax conversion inside OpenVINO's convert_model wrapper (argument
                       parsing, telemetry, its pipeline with the MOC pass left out): what the hook
                       did before it bypassed the wrapper
each with telemetry off (CI=true) and on (as users have it by default), all routes taking
turns, --telemetry-rounds rounds; medians. The rest of the benchmark runs with telemetry
off unless --with-telemetry.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import platform
import sys
import time
import traceback
from dataclasses import dataclass, field

import numpy as np


# ---------------------------------------------------------------- models


def dense_chain(n: int, width: int, batch: int = 1, seed: int = 0):
    import jax.numpy as jnp

    r = np.random.default_rng(seed)
    ws = [jnp.asarray((r.standard_normal((width, width)) / np.sqrt(width)).astype(np.float32)) for _ in range(n)]
    bs = [jnp.asarray(r.standard_normal((width,)).astype(np.float32) * 0.1) for _ in range(n)]

    def fn(x):
        for w, b in zip(ws, bs):
            x = jnp.tanh(x @ w + b)
        return x

    return fn, (r.standard_normal((batch, width)).astype(np.float32),)


def transformer(blocks: int, d_model: int, heads: int, mlp: int, seq: int, batch: int = 1, seed: int = 0):
    import jax
    import flax.linen as nn

    class Block(nn.Module):
        @nn.compact
        def __call__(self, x):
            y = nn.LayerNorm()(x)
            y = nn.MultiHeadDotProductAttention(num_heads=heads, qkv_features=d_model, deterministic=True)(y)
            x = x + y
            y = nn.LayerNorm()(x)
            y = nn.Dense(mlp)(y)
            y = nn.gelu(y)
            y = nn.Dense(d_model)(y)
            return x + y

    class Stack(nn.Module):
        @nn.compact
        def __call__(self, x):
            for _ in range(blocks):
                x = Block()(x)
            return nn.LayerNorm()(x)

    r = np.random.default_rng(seed)
    x = r.standard_normal((batch, seq, d_model)).astype(np.float32)
    module = Stack()
    # Random weights of the right shapes without running (and compiling) module.init.
    shapes = jax.eval_shape(module.init, jax.random.PRNGKey(seed), x)
    params = jax.tree_util.tree_map(
        lambda s: jax.numpy.asarray(
            (
                r.standard_normal(s.shape) / np.sqrt(s.shape[0] if s.ndim > 1 else 1) * 0.1
                + (1.0 if s.ndim == 1 else 0.0)
            ).astype(s.dtype)
        ),
        shapes,
    )

    def fn(x):
        return module.apply(params, x)

    return fn, (x,)


# ---------------------------------------------------------------- timing


CLOCK = time.perf_counter  # --clock cpu: time.process_time (robust on a loaded machine)


def _no_gc():
    """The cyclic GC off while timing (as timeit does); collected between models instead."""
    from ovjax.convert import _gc_paused

    return _gc_paused()


def best_of(fn, repeats: int, budget: float):
    """(best seconds, result of the last run); stops early once `budget` seconds are spent."""
    best = float("inf")
    spent = 0.0
    result = None
    for i in range(max(1, repeats)):
        result = None
        with _no_gc():
            t = CLOCK()
            result = fn()
            dt = CLOCK() - t
        best = min(best, dt)
        spent += dt
        if spent > budget:
            break
    return best, result


def count_eqns(jaxpr) -> int:
    """Equations of a (Closed)Jaxpr, those of sub-jaxprs (pjit, custom_jvp, ...) included."""
    inner = getattr(jaxpr, "jaxpr", jaxpr)
    n = 0
    for eqn in inner.eqns:
        n += 1
        for p in eqn.params.values():
            for sub in p if isinstance(p, (tuple, list)) else (p,):
                if hasattr(sub, "eqns") or hasattr(getattr(sub, "jaxpr", None), "eqns"):
                    n += count_eqns(sub)
    return n


def moc_passes(model) -> None:
    """The transformations ov.convert_model applies after other frontends (openvino.tools.ovc
    moc_emit_ir; for ovjax models the hook leaves out apply_moc_transformations by default)."""
    from openvino._offline_transformations import apply_moc_transformations, compress_quantize_weights_transformation
    from openvino.tools.ovc.moc_frontend.offline_transformations import apply_fused_names_cleanup

    apply_moc_transformations(model, cf=False, smart_reshape=True)
    compress_quantize_weights_transformation(model)
    apply_fused_names_cleanup(model)


def timed_after(setup, fn, repeats: int, budget: float) -> float:
    """Best time of fn(setup()) over up to `repeats` runs, not counting setup()."""
    best = float("inf")
    spent = 0.0
    for _ in range(max(1, repeats)):
        x = setup()
        with _no_gc():
            t = CLOCK()
            fn(x)
            dt = CLOCK() - t
        del x
        best = min(best, dt)
        spent += dt
        if spent > budget:
            break
    return best


@dataclass
class Row:
    name: str
    eqns: int = 0
    consts_mb: float = 0.0
    t: dict = field(default_factory=dict)  # step -> seconds
    ops: dict = field(default_factory=dict)  # method -> op count of the converted model
    errors: dict = field(default_factory=dict)  # method -> message
    skipped: dict = field(default_factory=dict)  # method -> reason
    check: dict = field(default_factory=dict)  # method -> max |OpenVINO CPU - JAX|


def _err(e: BaseException) -> str:
    msg = str(e).strip().splitlines()
    text = " ".join(m.strip() for m in msg if m.strip())
    return f"{type(e).__name__}: {text[:400]}"


def bench(name: str, make, args, builtin_reason: str | None) -> Row:
    import jax
    import openvino as ov
    from openvino.frontend import FrontEndManager

    import ovjax
    from ovjax import _hook, _library
    from ovjax.convert import to_frontend_input, trace

    row = Row(name)
    fn, example = make()
    # A fresh function object each time, so that JAX's tracing cache does not answer.
    row.t["make_jaxpr"], closed = best_of(
        lambda: jax.make_jaxpr(lambda *a: fn(*a))(*example), args.repeats, args.repeat_budget
    )
    row.eqns = count_eqns(closed)
    row.consts_mb = sum(np.asarray(c).nbytes for c in closed.consts) / 2**20
    reps, budget = args.repeats, args.repeat_budget

    # ---- end to end
    def run(method, f):
        try:
            row.t[method], m = best_of(f, reps, budget)
            row.ops[method] = len(m.get_ops())
        except Exception as e:  # a primitive not supported yet, ...
            row.errors[method] = _err(e)
            if args.verbose:
                traceback.print_exc()

    run("ovjax", lambda: ovjax.convert_model(closed))
    run("ov+ovjax", lambda: ov.convert_model(closed))

    def builtin_convert():
        with _hook.disabled():
            return ov.convert_model(closed)

    if builtin_reason:
        row.skipped["builtin"] = builtin_reason
    else:
        run("builtin", builtin_convert)

    # ---- ovjax, step by step
    if "ovjax" not in row.errors:
        traced = trace(closed)
        fe = _library.frontend()
        row.t["ovjax.serialize"], data = best_of(lambda: to_frontend_input(traced, True), reps, budget)
        row.t["ovjax.load"], im = best_of(lambda: fe.load(data, True), reps, budget)
        row.t["ovjax.translate"], _ = best_of(lambda: fe.convert_partially(im), reps, budget)

        row.t["ovjax.normalize"] = timed_after(lambda: fe.convert_partially(im), fe.convert, reps, budget)
        row.t["ovjax.moc"] = timed_after(lambda: ovjax.convert_model(closed), moc_passes, reps, budget)
        del data, im

    # ---- correctness of what was timed
    if args.check:
        want = np.asarray(fn(*example), dtype=np.float64)
        for method, convert in (("ovjax", lambda: ovjax.convert_model(closed)), ("builtin", builtin_convert)):
            if method in row.t:
                try:
                    compiled = ov.Core().compile_model(convert(), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
                    got = np.asarray(compiled(list(example))[0], dtype=np.float64)
                    row.check[method] = float(np.max(np.abs(got - want))) if got.shape == want.shape else float("inf")
                except Exception as e:
                    row.errors[f"{method} check"] = _err(e)

    # ---- builtin, step by step (costs as much again as the end-to-end run)
    bt = row.t.get("builtin")
    if bt is not None and not args.full and bt > args.breakdown_budget:
        row.skipped["builtin steps"] = (
            f"ov.convert_model took {bt:.1f}s > --breakdown-budget {args.breakdown_budget:.0f}s (use --full)"
        )
    elif bt is not None:
        try:
            from openvino.frontend.jax.jaxpr_decoder import JaxprPythonDecoder

            fe = FrontEndManager().load_by_framework("jax")
            row.t["builtin.decoder"], dec = best_of(lambda: JaxprPythonDecoder(closed), 1, budget)
            row.t["builtin.load"], im = best_of(lambda: fe.load(dec), 1, budget)
            row.t["builtin.convert"], m = best_of(lambda: fe.convert(im), 1, budget)
            with _no_gc():
                t = CLOCK()
                moc_passes(m)
                row.t["builtin.moc"] = CLOCK() - t
            del dec, im, m
        except Exception as e:
            row.errors["builtin steps"] = _err(e)
    gc.collect()
    return row


# ---------------------------------------------------------------- report


def fmt_s(x) -> str:
    if x is None:
        return "-"
    if x < 1e-3:
        return f"{x * 1e6:.0f}us"
    if x < 1:
        return f"{x * 1e3:.1f}ms"
    return f"{x:.2f}s"


def fmt_ratio(a, b) -> str:
    if a is None or b is None or b <= 0:
        return "-"
    return f"{a / b:.1f}x"


def table(headers, rows) -> str:
    cols = list(zip(headers, *rows)) if rows else [(h,) for h in headers]
    widths = [max(len(str(c)) for c in col) for col in cols]
    lines = ["  ".join(str(h).rjust(w) if i else str(h).ljust(w) for i, (h, w) in enumerate(zip(headers, widths)))]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths))))
    return "\n".join(lines)


OVJAX_STEPS = ("ovjax.serialize", "ovjax.load", "ovjax.translate", "ovjax.normalize")


def report(rows: list[Row]) -> None:
    def cell(r: Row, method: str) -> str:
        if method in r.errors:
            return "error"
        if method in r.skipped:
            return "skipped"
        return fmt_s(r.t.get(method))

    print("\n== end to end, from the ClosedJaxpr (ratio = builtin time / ovjax time)")
    print(
        table(
            [
                "model",
                "eqns",
                "consts",
                "make_jaxpr",
                "builtin",
                "ov+ovjax",
                "ovjax",
                "builtin/ov+ovjax",
                "builtin/ovjax",
                "ops builtin/ov+ovjax",
            ],
            [
                [
                    r.name,
                    r.eqns,
                    f"{r.consts_mb:.1f}MB",
                    fmt_s(r.t.get("make_jaxpr")),
                    cell(r, "builtin"),
                    cell(r, "ov+ovjax"),
                    cell(r, "ovjax"),
                    fmt_ratio(r.t.get("builtin"), r.t.get("ov+ovjax")),
                    fmt_ratio(r.t.get("builtin"), r.t.get("ovjax")),
                    f"{r.ops.get('builtin', '-')}/{r.ops.get('ov+ovjax', '-')}",
                ]
                for r in rows
            ],
        )
    )

    print("\n== where ovjax's time goes (ov.convert_model = serialize + load + translate + normalize + MOC + overhead)")
    out = []
    for r in rows:
        if "ovjax.serialize" not in r.t:
            continue
        steps = [r.t[k] for k in OVJAX_STEPS]
        fe_sum = sum(steps)
        hook = r.t.get("ov+ovjax")
        overhead = hook - fe_sum - r.t["ovjax.moc"] if hook is not None else None
        per_eqn = fe_sum / max(r.eqns, 1)
        out.append(
            [
                r.name,
                fmt_s(r.t["make_jaxpr"]),
                *map(fmt_s, steps),
                fmt_s(fe_sum),
                fmt_s(per_eqn),
                fmt_s(r.t["ovjax.moc"]),
                "-" if overhead is None else ("~0" if overhead <= 0 else fmt_s(overhead)),
            ]
        )
    print(
        table(
            [
                "model",
                "(trace)",
                "serialize",
                "load",
                "translate",
                "normalize",
                "ovjax sum",
                "per eqn",
                "MOC passes",
                "ov overhead",
            ],
            out,
        )
    )

    out = []
    for r in rows:
        if "builtin.convert" not in r.t:
            continue
        steps = [r.t[k] for k in ("builtin.decoder", "builtin.load", "builtin.convert", "builtin.moc")]
        ovjax_fe = OVJAX_STEPS[0] in r.t and sum(r.t[k] for k in OVJAX_STEPS) or None
        out.append(
            [r.name, *map(fmt_s, steps), fmt_s(sum(steps[:3]) / max(r.eqns, 1)), fmt_ratio(sum(steps[:3]), ovjax_fe)]
        )
    if out:
        print("\n== where the built-in frontend's time goes (single runs)")
        print(table(["model", "decoder", "load", "convert", "MOC passes", "per eqn", "frontend vs ovjax"], out))

    if any(r.check for r in rows):
        print("\n== --check: max |OpenVINO CPU result - JAX result|")
        print(
            table(
                ["model", "builtin", "ovjax"],
                [[r.name, *(f"{r.check[m]:.2e}" if m in r.check else "-" for m in ("builtin", "ovjax"))] for r in rows],
            )
        )

    notes = [(r.name, m, e) for r in rows for m, e in r.errors.items()]
    notes += [(r.name, m, "skipped: " + e) for r in rows for m, e in r.skipped.items()]
    if notes:
        print("\nnotes:")
        for name, m, e in notes:
            print(f"  {name} [{m}]: {e}")


def tanh_chain(layers: int, width: int = 16, seed: int = 0):
    import jax.numpy as jnp

    r = np.random.default_rng(seed)
    ws = [jnp.asarray((r.standard_normal((width, width)) / 4).astype(np.float32)) for _ in range(layers)]

    def fn(x):
        for w in ws:
            x = jnp.tanh(x @ w + 1.0)
        return x

    return fn, (np.ones((1, width), np.float32),)


@contextlib.contextmanager
def through_openvinos_wrapper(frontend_input):
    """ov.convert_model as it ran before the hook bypassed OpenVINO's wrapper: OpenVINO's
    own _convert (arguments, telemetry, frontend pipeline), with the model claimed as
    framework ovjax (already serialized: `frontend_input`) and the MOC pass left out, as
    the hook did then."""
    from openvino.tools.ovc import convert as cv
    from openvino.tools.ovc import convert_impl as ci

    from ovjax import _hook

    saved = cv._convert, ci.check_model_object, ci.moc_emit_ir

    def check_model_object(argv):
        argv["input_model"] = frontend_input()
        return "ovjax"

    def moc_emit_ir(model, argv):
        _hook.moc_passes(model, False)
        del argv.feManager
        return model

    cv._convert, ci.check_model_object, ci.moc_emit_ir = _hook._originals["_convert"], check_model_object, moc_emit_ir
    try:
        yield
    finally:
        cv._convert, ci.check_model_object, ci.moc_emit_ir = saved


def rss_mb() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


TELEMETRY_ROUTES = ("make_jaxpr", "ovjax.convert_model", "ov.convert_model", "via OpenVINO wrapper")


def telemetry_child(layers: int, inner: int) -> None:
    """One process's share of the telemetry section: OpenVINO decides telemetry once per
    process (its Telemetry object is a singleton, made at the first conversion), so each
    setting gets processes of its own. Prints the routes' times as JSON."""
    import json

    import jax
    import openvino as ov

    import ovjax
    from ovjax.convert import to_frontend_input, trace

    fn, example = tanh_chain(layers)
    closed = jax.make_jaxpr(fn)(*example)
    traced = trace(closed)
    jax.jit(fn)(*example)  # as a user who ran the model in JAX first: JAX's threads exist

    def via_wrapper():
        with through_openvinos_wrapper(lambda: to_frontend_input(traced, True)):
            return ov.convert_model(closed)

    routes = {
        "make_jaxpr": lambda: jax.make_jaxpr(lambda *a: fn(*a))(*example),
        "ovjax.convert_model": lambda: ovjax.convert_model(closed),
        "ov.convert_model": lambda: ov.convert_model(closed),
        "via OpenVINO wrapper": via_wrapper,
    }
    for f in routes.values():
        f()  # warm up
    times: dict = {name: [] for name in routes}
    for _ in range(inner):
        for name, f in routes.items():
            t = CLOCK()
            f()
            times[name].append(CLOCK() - t)
    print(json.dumps({"times": times, "eqns": count_eqns(closed.jaxpr), "rss_mb": rss_mb()}))


def telemetry_section(layers: int, rounds: int, inner: int, clock: str) -> None:
    import json
    import statistics
    import subprocess

    times: dict = {(r, t): [] for r in TELEMETRY_ROUTES for t in ("off", "on")}
    info: dict = {}
    for _ in range(rounds):
        for telemetry in ("off", "on"):
            env = {k: v for k, v in os.environ.items() if k != "CI"}
            if telemetry == "off":
                env["CI"] = "true"
            cmd = [sys.executable, __file__, "--telemetry-child", str(inner), "--telemetry-layers", str(layers)]
            out = subprocess.run(cmd + ["--clock", clock], env=env, capture_output=True, text=True, timeout=600)
            if out.returncode != 0:
                print(f"\n== OpenVINO's telemetry: a child process failed:\n{out.stderr[-2000:]}")
                return
            info = json.loads(out.stdout.strip().splitlines()[-1])
            for name, ts in info["times"].items():
                times[(name, telemetry)] += ts
    med = {k: statistics.median(v) for k, v in times.items()}
    n = len(times[(TELEMETRY_ROUTES[0], "off")])
    print(
        f"\n== OpenVINO's telemetry: a {info['eqns']}-equation chain ({layers} x tanh(x @ W + 1), width 16), "
        f"after a jax.jit call; medians of {n} runs per cell ({rounds} processes per setting, taking turns, "
        f"{inner} rounds of the routes in each); process RSS {info['rss_mb']:.0f} MB"
    )
    out = []
    for name in TELEMETRY_ROUTES:
        cells = [name]
        for telemetry in ("off", "on"):
            m = med[(name, telemetry)]
            cells += [fmt_s(m), f"{m / med[('make_jaxpr', telemetry)]:.2f}x"]
        out.append(cells)
    print(table(["route", "telemetry off", "/ make_jaxpr", "telemetry on", "/ make_jaxpr"], out))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--full", action="store_true", help="run the built-in frontend at every size and a bigger transformer stack"
    )
    p.add_argument("--sizes", default="10,100,300,1000", help="dense chain lengths N (default 10,100,300,1000)")
    p.add_argument("--width", type=int, default=128, help="dense layer width (default 128)")
    p.add_argument(
        "--builtin-max-n",
        type=int,
        default=300,
        help="largest N run through the built-in frontend without --full (default 300)",
    )
    p.add_argument(
        "--builtin-budget",
        type=float,
        default=30.0,
        help="without --full, skip the built-in frontend at larger sizes once one conversion "
        "took longer than this many seconds (default 30)",
    )
    p.add_argument("--blocks", type=int, default=None, help="transformer blocks (default 4, --full 12)")
    p.add_argument("--d-model", type=int, default=256)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--seq", type=int, default=64)
    p.add_argument("--repeats", type=int, default=3, help="best of this many runs per measurement (default 3)")
    p.add_argument(
        "--repeat-budget",
        type=float,
        default=2.0,
        help="stop repeating a measurement once it has taken this many seconds (default 2)",
    )
    p.add_argument(
        "--breakdown-budget",
        type=float,
        default=5.0,
        help="without --full, time the built-in frontend step by step only when its ov.convert_model "
        "took at most this many seconds (default 5)",
    )
    p.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall: time.perf_counter (default); cpu: this process's CPU time (time.process_time), "
        "steadier when other jobs load the machine",
    )
    p.add_argument(
        "--with-telemetry",
        action="store_true",
        help="leave OpenVINO's telemetry on; by default this process sets CI=true, which turns it off "
        "(ov.convert_model otherwise forks a process per event to send it, for either frontend)",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="also run the converted models on CPU and print their largest difference from JAX",
    )
    p.add_argument(
        "--telemetry-rounds",
        type=int,
        default=3,
        help="processes per telemetry setting in the telemetry section (default 3; 0 leaves it out)",
    )
    p.add_argument("--telemetry-inner", type=int, default=5, help="rounds of the routes in each (default 5)")
    p.add_argument("--telemetry-child", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--telemetry-layers", type=int, default=1000, help="layers of its chain (default 1000)")
    p.add_argument("--no-transformer", action="store_true")
    p.add_argument("--no-dense", action="store_true")
    p.add_argument("-v", "--verbose", action="store_true", help="print tracebacks of failed conversions")
    args = p.parse_args(argv)
    blocks = args.blocks or (12 if args.full else 4)
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter

    if args.telemetry_child:
        telemetry_child(args.telemetry_layers, args.telemetry_child)
        return 0
    t_start = time.perf_counter()
    if not args.with_telemetry:
        os.environ["CI"] = "true"  # openvino_telemetry sends nothing in CI (ovc uses disable_in_ci=True)
    import jax
    import openvino as ov

    import ovjax
    from ovjax import _hook

    print(
        f"python {platform.python_version()}, jax {jax.__version__}, openvino {ov.__version__}, "
        f"ovjax {ovjax.__version__} ({ovjax.library_path()}), {os.cpu_count()} CPUs, {args.clock} clock, "
        f"OpenVINO telemetry {'on' if args.with_telemetry else 'off'}"
    )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    if load > 0.75 * (os.cpu_count() or 1) and args.clock == "wall":
        print(
            f"warning: load average {load:.1f} on {os.cpu_count()} CPUs: wall times are inflated; "
            "--clock cpu is steadier"
        )

    print(f"... imports ({time.perf_counter() - t_start:.1f}s)", file=sys.stderr, flush=True)
    # Warm up every path (imports, library loading, first-call caches) on a tiny model.
    small, ex = dense_chain(2, 8)
    c = jax.make_jaxpr(small)(*ex)
    ovjax.convert_model(c)
    ov.convert_model(c)
    with _hook.disabled():
        ov.convert_model(c)
    gc.collect()
    gc.freeze()  # the libraries' objects: later collections only walk what the benchmark makes

    rows: list[Row] = []
    slow_builtin = None
    if not args.no_dense:
        for n in [int(s) for s in args.sizes.split(",") if s]:
            reason = None
            if not args.full:
                if n > args.builtin_max_n:
                    reason = f"N > {args.builtin_max_n} (use --full or --builtin-max-n)"
                elif slow_builtin is not None:
                    reason = f"a smaller model took {slow_builtin:.1f}s > --builtin-budget {args.builtin_budget:.0f}s"
            name = f"dense N={n}"
            t0 = time.perf_counter()
            row = bench(name, lambda: dense_chain(n, args.width), args, reason)
            print(f"... {name} ({time.perf_counter() - t0:.1f}s)", file=sys.stderr, flush=True)
            rows.append(row)
            bt = row.t.get("builtin")
            if bt is not None and bt > args.builtin_budget:
                slow_builtin = bt
    if not args.no_transformer:
        name = f"transformer x{blocks}"
        t0 = time.perf_counter()
        rows.append(
            bench(name, lambda: transformer(blocks, args.d_model, args.heads, 4 * args.d_model, args.seq), args, None)
        )
        print(f"... {name} ({time.perf_counter() - t0:.1f}s)", file=sys.stderr, flush=True)

    print(
        f"\ndense: width {args.width}, batch 1; transformer: d_model {args.d_model}, {args.heads} heads, "
        f"mlp {4 * args.d_model}, seq {args.seq}, batch 1; {args.clock} clock, best of up to {args.repeats}"
    )
    report(rows)
    if args.telemetry_rounds > 0:
        telemetry_section(args.telemetry_layers, args.telemetry_rounds, args.telemetry_inner, args.clock)
    print(f"\ntotal {time.perf_counter() - t_start:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
