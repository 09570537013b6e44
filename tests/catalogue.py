"""Run JAX's own harness catalogue (jax/_src/internal_test_util/test_harnesses.py)
through ovjax: trace each harness, convert, compile on OpenVINO CPU at f32 precision,
run on the harness's own inputs and compare with JAX's output.

    python tests/catalogue.py                 # every harness; writes docs/harness_results_jax<release>.json
    python tests/catalogue.py --sample        # the deterministic CI sample only
    python tests/catalogue.py -k scatter_add  # harnesses whose full name contains a string
    python tests/catalogue.py --failures      # print each non-passing harness with its error
    python tests/catalogue.py -k fft --update # rerun some harnesses, merge into the recorded results

`tests/test_catalogue.py` runs the sample in CI (every harness with `-m slow`) and checks
each outcome against the recorded results, which `docs/gen_primitives.py` turns into the
per-primitive, per-dtype pass counts of docs/primitives.md.

The catalogue differs a little between JAX releases (harnesses added and dropped, and
JAX's own results change), so each tested release has its own record,
`docs/harness_results_jax<major.minor>.json`, written by a full run under that release
and checked by the tests under that release.
"""

from __future__ import annotations

import argparse
import os
import collections
import contextlib
import json
import sys
import time
import warnings
import zlib
from pathlib import Path

import jax
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("CI", "true")  # no telemetry forks in ov.convert_model

# tolerances per dtype (CATALOGUE_TOL; integers and bools are compared exactly) and per
# harness group (CATALOGUE_GROUP_TOL)
from harness import (  # noqa: E402
    CATALOGUE_GROUP_TOL,
    CATALOGUE_TOL,
    as_complex,
    assert_eig,
    assert_eigh,
    assert_svd,
    run_ov,
)

X64_DTYPES = {"float64", "int64", "uint64", "complex128"}


def release_name(version: str | None = None) -> str:
    """ "major.minor" of a JAX version (the running one by default)."""
    from ovjax import _jax_compat

    return ".".join(map(str, _jax_compat.release(version or jax.__version__)[:2]))


def supported_releases() -> list[str]:
    """The releases whose catalogues the recorded results cover (ovjax's tested ones)."""
    from ovjax import _jax_compat

    return sorted({release_name(v) for v in _jax_compat.TESTED_RELEASES}, key=lambda r: tuple(map(int, r.split("."))))


RELEASE = release_name()


def results_file(release: str | None = None) -> Path:
    """The recorded results of a release's catalogue (the running release by default; a
    release newer than the tested ones is checked against the newest tested one's)."""
    release = release or RELEASE
    tested = supported_releases()
    if release not in tested:
        release = tested[-1]
    return ROOT / f"docs/harness_results_jax{release}.json"


RESULTS = results_file()


def all_harnesses():
    """Every harness JAX itself implements on CPU, in catalogue order."""
    from jax._src.internal_test_util import test_harnesses as th

    return [h for h in th.all_harnesses if h.filter("cpu")]


def dtype_name(h) -> str:
    return np.dtype(h.dtype).name


# Harness groups named otherwise than the primitive they exercise.
GROUP_PRIMITIVE = {
    "reduce_window_add": "reduce_window_sum",
    "reduce_window_mul": "reduce_window",  # lax.reduce_window with a mul body
    "scatter_add": "scatter-add",
    "scatter_mul": "scatter-mul",
    "scatter_min": "scatter-min",
    "scatter_max": "scatter-max",
    "random_uniform": "random_bits",
    "random_randint": "random_bits",
    "random_categorical": "random_bits",
}


def table_status(groups=None) -> dict[str, str]:
    """harness group -> "op" | "unsupported" | "absent": the table's status of the
    primitive the group exercises (the running release's groups by default)."""
    sys.path.insert(0, str(ROOT / "docs"))
    import gen_primitives

    prims = {p: ("op" if fn else "unsupported") for _, p, fn, _ in gen_primitives.parse_table()}
    if groups is None:
        groups = {h.group_name for h in all_harnesses()}
    return {g: prims.get(GROUP_PRIMITIVE.get(g, g), "absent") for g in groups}


def sample(harnesses, per_group: int = 3):
    """A deterministic CI sample that covers every primitive group and every dtype:
    up to `per_group` harnesses of each group, each of a different dtype (float32 and
    int32 first, then the group's other dtypes in a fixed hash order), plus one harness
    of any dtype no group contributed yet."""
    by_group = collections.defaultdict(list)
    for h in harnesses:
        by_group[h.group_name].append(h)
    first = {"float32": 0, "int32": 1}
    picked, dtypes_seen = [], set()
    for g in sorted(by_group):
        hs = sorted(by_group[g], key=lambda h: (first.get(dtype_name(h), 2), zlib.crc32(h.fullname.encode())))
        used = set()
        for h in hs:
            if len(used) == per_group:
                break
            if dtype_name(h) not in used:
                used.add(dtype_name(h))
                picked.append(h)
        dtypes_seen |= used
    for h in sorted(harnesses, key=lambda h: zlib.crc32(h.fullname.encode())):
        if dtype_name(h) not in dtypes_seen:
            dtypes_seen.add(dtype_name(h))
            picked.append(h)
    return picked


@contextlib.contextmanager
def _x64(enabled: bool):
    if enabled:
        with jax.enable_x64(True):
            yield
    else:
        yield


def _compare(got, want, tol, where):
    want = np.asarray(want)
    got = as_complex(np.asarray(got), want)
    if np.iscomplexobj(want):  # compare (real, imag) at the part type's tolerance
        want = np.stack([want.real, want.imag], -1)
        got = np.stack([got.real, got.imag], -1) if np.iscomplexobj(got) else got
    if got.shape != want.shape:
        raise AssertionError(f"{where}: shape {got.shape} != JAX {want.shape}")
    name = want.dtype.name
    if name in CATALOGUE_TOL:
        rtol, atol = tol or CATALOGUE_TOL[name]
        g = got.astype(np.float64)
        w = want.astype(np.float64)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, equal_nan=True, err_msg=where)
    else:
        np.testing.assert_array_equal(got.astype(want.dtype), want, err_msg=where)


def _unstable_sort_ties(h) -> bool:
    """A sort with is_stable=False and operands beyond its keys: the order of equal keys
    is unspecified (XLA's std::sort-like order), so the non-key outputs may be any
    permutation within runs of equal keys."""
    p = h.params
    return h.group_name == "sort" and p.get("is_stable") is False and p.get("num_arrays", 1) > p.get("num_keys", 1)


def _compare_unstable_sort(h, got, want):
    """Keys must equal JAX's; along the sort axis, the multiset of (key..., value...)
    tuples of each slice must equal JAX's (so values stay attached to their keys)."""
    nk = h.params.get("num_keys", 1)
    axis = h.params.get("dimension", -1)
    for i in range(nk):
        _compare(got[i], want[i], None, f"key output {i}")
    g = np.stack([np.moveaxis(np.asarray(x).astype(np.float64), axis, -1) for x in got], -1)
    w = np.stack([np.moveaxis(np.asarray(x).astype(np.float64), axis, -1) for x in want], -1)
    g = g.reshape(-1, g.shape[-2], g.shape[-1])
    w = w.reshape(-1, w.shape[-2], w.shape[-1])
    for r in range(g.shape[0]):
        if sorted(map(tuple, g[r])) != sorted(map(tuple, w[r])):
            raise AssertionError(f"slice {r}: the (key, value) pairs differ from JAX's")


def _compare_decomposition(h, got, want, where: str) -> bool:
    """eigh and svd with vectors: eigen- and singular vectors are unique only up to a phase
    each (and a basis of a repeated value's space), so they are checked by the invariants
    JAX's own tests check (harness.assert_eigh / assert_svd: the values equal JAX's at the
    group's tolerance, A V = V diag(w) or U S V^H = A relative to |A|, vectors orthonormal,
    at DECOMPOSITION_TOL). Returns whether it handled the harness."""
    if h.group_name not in ("eigh", "svd") or len(want) < 2:
        return False
    tol = CATALOGUE_GROUP_TOL.get(h.group_name) or CATALOGUE_TOL[np.finfo(np.asarray(want[0]).dtype).dtype.name]
    (assert_eigh if h.group_name == "eigh" else assert_svd)(got, want, where.rstrip(": "), value_tol=tol)
    return True


def _compare_approx_top_k(got, want, operand, where: str) -> None:
    """approx_top_k: XLA's CPU fallback for it is an unstable sort, so which of several equal
    values' indices it returns (and in which order) is unspecified. The values must equal
    JAX's; each index must be distinct in its row and address an operand element equal to
    its value."""
    _compare(got[0], want[0], None, f"{where}values")
    vals, idx = np.asarray(got[0]), np.asarray(got[1]).astype(np.int64)
    x = np.asarray(operand)
    assert idx.min(initial=0) >= 0 and idx.max(initial=0) < x.shape[-1], f"{where}indices out of range"
    picked = np.take_along_axis(x, idx, axis=-1)
    same = (picked == vals) | (np.isnan(picked.astype(np.float64)) & np.isnan(vals.astype(np.float64)))
    assert same.all(), f"{where}{(~same).sum()} indices address other values than theirs"
    rows = idx.reshape(-1, idx.shape[-1])
    assert all(len(set(r)) == len(r) for r in rows), f"{where}an index repeats in a row"


def _compare_eig(h, got, want, operand, where: str) -> None:
    """eig: the order of the eigenvalues (LAPACK geev's) is not reproducible, so they are
    compared with JAX's as multisets and the eigenvectors by their equations for our
    eigenvalues in our order (harness.assert_eig)."""
    p = h.params
    left = bool(p.get("compute_left_eigenvectors", True))
    right = bool(p.get("compute_right_eigenvectors", True))
    assert_eig(operand, got, want, left=left, right=right, where=where.rstrip(": "))


def _compare_outputs(h, got, want, where: str, args=None) -> None:
    """Every output against JAX's, at the tolerance of its dtype and the harness group (an
    unstable sort's ties in any order, eigen- and singular vectors by their invariants)."""
    if _unstable_sort_ties(h):
        _compare_unstable_sort(h, got, want)
        return
    if h.group_name == "approx_top_k" and args is not None:
        _compare_approx_top_k(got, want, args[0], where)
        return
    if h.group_name == "eig" and args is not None:
        _compare_eig(h, got, want, args[0], where)
        return
    if _compare_decomposition(h, got, want, where):
        return
    for i, (g, w) in enumerate(zip(got, want)):
        # by the compared output's dtype (some harnesses named for bfloat16 compute in float32)
        tol = (
            CATALOGUE_GROUP_TOL.get(h.group_name)
            if w.dtype.name in ("float32", "float64", "complex64", "complex128")
            else None
        )
        _compare(g, w, tol, f"{where}output {i}")


def run(h) -> tuple[str, str]:
    """("pass" | "fail" | "unsupported" | "error" | "jax_error", detail)."""
    import ovjax

    x64 = dtype_name(h) in X64_DTYPES
    with _x64(x64), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            args = h.dyn_args_maker(np.random.RandomState(0))
            closed = jax.make_jaxpr(h.dyn_fun)(*args)
            want = [np.asarray(w) for w in jax.tree_util.tree_leaves(jax.jit(h.dyn_fun)(*args))]
        except Exception as e:  # noqa: BLE001 - JAX itself rejects the harness
            return "jax_error", f"{type(e).__name__}: {e}"[:300]
        try:
            model = ovjax.convert_model(closed)
        except Exception as e:  # noqa: BLE001
            msg = str(e)
            status = "unsupported" if "not supported by ovjax" in msg or "unsupported" in msg.lower() else "error"
            return status, f"{type(e).__name__}: {msg}"[:600]
        try:
            # the inputs as JAX canonicalized them (Python ints and int64 arrays become
            # int32 without x64, for instance)
            leaves = jax.tree_util.tree_leaves(args)
            ov_args = [np.asarray(a).astype(v.aval.dtype) for a, v in zip(leaves, closed.jaxpr.invars)]
            got = run_ov(model, ov_args)
            if len(got) != len(want):
                return "fail", f"{len(got)} outputs, JAX has {len(want)}"
            _compare_outputs(h, got, want, "", ov_args)
        except AssertionError as e:
            return "fail", str(e)[:600]
        except Exception as e:  # noqa: BLE001
            return "error", f"{type(e).__name__}: {e}"[:600]
    return "pass", ""


SYMBOLIC_SIZES = (1, 3, 7)


def symbolic_results_file(release: str | None = None) -> Path:
    """The recorded results of the symbolic (vmapped) catalogue of a release."""
    return results_file(release).with_name(results_file(release).name.replace("harness_results", "harness_symbolic"))


def _stacked(a: np.ndarray, n: int) -> np.ndarray:
    """n versions of `a` on a new leading axis: a's values rolled by i (same values, other
    places), so that batch elements differ."""
    a = np.asarray(a)
    return np.stack([np.roll(a.reshape(-1), i).reshape(a.shape) for i in range(n)])


def run_symbolic(h) -> tuple[str, str]:
    """The harness vmapped over a new leading axis of symbolic size B (what JAX's own
    shape-polymorphism tests do for its exporters): traced once, converted once, run at
    B = 1, 3 and 7 and compared with JAX's jitted vmap at each size. "jax_error" when JAX
    cannot batch or trace it symbolically."""
    import ovjax
    from jax import export

    x64 = dtype_name(h) in X64_DTYPES
    with _x64(x64), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            args = h.dyn_args_maker(np.random.RandomState(0))
            leaves, tree = jax.tree_util.tree_flatten(args)
            leaves = [np.asarray(a) for a in leaves]
            vf = jax.vmap(lambda *xs: h.dyn_fun(*jax.tree_util.tree_unflatten(tree, xs)))
            (b,) = export.symbolic_shape("B")
            specs = [jax.ShapeDtypeStruct((b,) + a.shape, a.dtype) for a in leaves]
            closed = jax.make_jaxpr(vf)(*specs)
            jitted = jax.jit(vf)
            batches = {n: [_stacked(a, n) for a in leaves] for n in SYMBOLIC_SIZES}
            wants = {n: [np.asarray(w) for w in jax.tree_util.tree_leaves(jitted(*batches[n]))] for n in batches}
        except Exception as e:  # noqa: BLE001 - JAX itself cannot batch or trace it symbolically
            return "jax_error", f"{type(e).__name__}: {e}"[:300]
        try:
            model = ovjax.convert_model(closed)
        except Exception as e:  # noqa: BLE001
            msg = str(e)
            status = "unsupported" if "unsupported" in msg.lower() or "symbolic dimension" in msg else "error"
            return status, f"{type(e).__name__}: {msg}"[:600]
        try:
            from harness import compile_cpu, from_tensor, to_tensor

            req = compile_cpu(model).create_infer_request()
            for n, batched in batches.items():
                for i, (a, v) in enumerate(zip(batched, closed.jaxpr.invars)):
                    req.set_input_tensor(i, to_tensor(a.astype(v.aval.dtype)))
                req.infer()
                want = wants[n]
                if len(req.model_outputs) != len(want):
                    return "fail", f"{len(req.model_outputs)} outputs, JAX has {len(want)}"
                got = [from_tensor(req.get_output_tensor(i)) for i in range(len(want))]
                if _unstable_sort_ties(h):  # per batch element, as the static run compares
                    for k in range(n):
                        _compare_unstable_sort(h, [g[k] for g in got], [w[k] for w in want])
                    continue
                _compare_outputs(h, got, want, f"B={n}: ", batches[n])
        except AssertionError as e:
            return "fail", str(e)[:600]
        except Exception as e:  # noqa: BLE001
            return "error", f"{type(e).__name__}: {e}"[:600]
    return "pass", ""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", action="store_true")
    ap.add_argument("-k", default=None)
    ap.add_argument("--failures", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument(
        "--symbolic",
        action="store_true",
        help="each harness vmapped over a symbolic batch axis, converted once, run at B = 1, 3, 7 "
        "(results in docs/harness_symbolic_jax<release>.json)",
    )
    ap.add_argument(
        "--update", action="store_true", help="merge the results of a -k/--sample run into the recorded file"
    )
    a = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT / "tests"))
    hs = all_harnesses()
    if a.sample:
        hs = sample(hs)
    if a.k:
        hs = [h for h in hs if a.k in h.fullname]
    results = {}
    t0 = time.time()
    target = symbolic_results_file() if a.symbolic else RESULTS
    for i, h in enumerate(hs):
        status, detail = run_symbolic(h) if a.symbolic else run(h)
        results[h.fullname] = {"group": h.group_name, "dtype": dtype_name(h), "status": status}
        if a.failures and status != "pass":
            print(f"[{status}] {h.fullname}: {detail}\n", flush=True)
        if (i + 1) % 200 == 0:
            print(f"... {i + 1}/{len(hs)} in {time.time() - t0:.0f}s", file=sys.stderr, flush=True)
    counts = collections.Counter(r["status"] for r in results.values())
    print(f"{len(results)} harnesses in {time.time() - t0:.0f}s: {dict(counts)}")
    if a.update:
        recorded = json.loads(target.read_text()) if target.exists() else {}
        target.write_text(json.dumps({**recorded, **results}, indent=0, sort_keys=True) + "\n")
        print(f"updated {len(results)} results in {target.relative_to(ROOT)} (jax {jax.__version__})")
    elif not (a.sample or a.k or a.no_write):
        target.write_text(json.dumps(results, indent=0, sort_keys=True) + "\n")
        print(f"wrote {target.relative_to(ROOT)} (jax {jax.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
