"""The test pattern for translators: trace with JAX, convert with ovjax, compile on
OpenVINO's CPU plugin at f32 precision, run on the same inputs, compare with JAX.

    check(lambda x: lax.cumsum(x, axis=1), rand((3, 4), "float32"), prims={"cumsum"})

`prims` are primitive names that must appear in the traced jaxpr (sub-jaxprs
included), so a test cannot silently stop exercising the translator it is named for.
"""

from __future__ import annotations

import collections
import functools
import re
import zlib

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import openvino as ov
import pytest

import ovjax

# ---------------------------------------------------------------- tolerances: (rtol, atol)

# assert_close's default, per dtype; integers and bools are compared exactly.
FLOAT_TOL = {
    "float64": (1e-6, 1e-6),
    "float32": (2e-5, 2e-5),
    "float16": (2e-3, 2e-3),
    "bfloat16": (1.6e-2, 1.6e-2),
}

# JAX's harness catalogue (tests/catalogue.py), per dtype. float64 runs as float32 on
# OpenVINO's CPU plugin, so it gets float32's tolerance.
CATALOGUE_TOL = {
    "float64": (1e-5, 1e-5),
    "float32": (1e-5, 1e-5),
    "float16": (1e-2, 1e-2),
    "bfloat16": (2e-2, 2e-2),
}

# The catalogue's looser tolerances per harness group (of float32/float64 and complex
# outputs), where OpenVINO has no exact op and ovjax composes an approximation
# (documented in docs/primitives.md), or where JAX's own harness tests loosen it too.
CATALOGUE_GROUP_TOL = {
    "lgamma": (1e-4, 1e-4),
    "digamma": (1e-4, 1e-4),
    "igamma": (1e-4, 1e-4),
    "igammac": (1e-4, 1e-4),
    "regularized_incomplete_beta": (1e-4, 1e-4),
    "bessel_i0e": (1e-4, 1e-4),
    "bessel_i1e": (1e-4, 1e-4),
    "erf_inv": (1e-4, 1e-4),
    "random_gamma": (1e-4, 1e-4),
    "cumlogsumexp": (1e-4, 1e-4),
    "triangular_solve": (1e-3, 1e-3),
    "cholesky": (1e-3, 1e-3),
    "fft": (1e-4, 1e-3),
    "tan": (1e-4, 1e-5),
    "pow": (1e-4, 1e-5),
    "conv_general_dilated": (1e-4, 1e-4),
    "dot_general": (1e-4, 1e-4),
    # R of a 200x100 complex QR (entries up to 60): Householder sums of 200 terms round
    # differently from LAPACK's blocked ones, 1.3e-5 at worst (symbolic run, B=7)
    "qr": (5e-5, 5e-5),
}

# Eigen- and singular vectors (tests/catalogue.py's eigh/svd groups, tests/test_decompositions.py),
# which are unique only up to phases, checked by invariants: |A V - V diag(w)| and
# |U S V^H - A| relative to |A| (Frobenius), and max |X^H X - I| of the vectors. Per real
# part type; float64 runs as float32 on OpenVINO's CPU plugin. Measured on the catalogue's
# shapes (up to 50x50): 2e-6 and 8e-7 (LAPACK's own: ~1e-6).
DECOMPOSITION_TOL = {"float32": 1e-5, "float64": 1e-5}

# Linear algebra (tests/test_linalg.py): substitutions and factorizations, per dtype.
LINALG_TOL = {"float32": (1e-4, 1e-4), "float16": (1e-2, 1e-2), "bfloat16": (3e-2, 3e-2)}

# Rows of NaN/inf and ordinary values (tests/test_nonfinite.py) per dtype, None being
# FLOAT_TOL's: through products (dot_general, convolution) ...
HALF_PRODUCT_TOL = {"float32": None, "float16": (1e-2, 1e-2), "bfloat16": (5e-2, 5e-2)}
# ... and through chains of functions (softmax, norms, jnp composites).
HALF_CHAIN_TOL = {"float32": None, "float16": (5e-3, 5e-3), "bfloat16": (3e-2, 3e-2)}

# Fused patterns (tests/test_fusions.py) on float32: OpenVINO's Softmax, MVN, Gelu, ...
FUSION_TOL = (1e-5, 1e-5)

# Real models a few layers deep on float32 (tests/models): OpenVINO and XLA sum in
# different orders (matmul blocking, softmax/normalisation reductions), so errors grow
# with depth.
MODEL_TOL = (1e-4, 1e-4)

FLOATS = ["float32", "float16", "bfloat16"]
INTS = ["int8", "int16", "int32", "int64", "uint8", "uint32"]
# every integer type of up to 32 bits (no x64 needed)
INTS32 = ["int8", "int16", "int32", "uint8", "uint16", "uint32"]
# data-movement primitives (shape, indexing, gather): a few of every kind of element
MOVE_DTYPES = ["float32", "float16", "bfloat16", "int8", "int32", "uint8", "bool"]


@functools.lru_cache(maxsize=None)
def core() -> ov.Core:
    return ov.Core()


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def rand(shape, dtype="float32", seed: int = 0, low=None, high=None) -> np.ndarray:
    """Random test data of a JAX dtype (int64 only where x64 is enabled is the caller's business)."""
    r = rng(seed + zlib.crc32(repr((tuple(shape), str(dtype))).encode()) % 1000)
    dt = np.dtype(getattr(ml_dtypes, dtype, None) or dtype) if dtype == "bfloat16" else np.dtype(dtype)
    if dt == np.bool_:
        return r.random(shape) > 0.5
    if np.issubdtype(dt, np.integer):
        info = np.iinfo(dt)
        lo = max(info.min, -100 if low is None else low)
        hi = min(info.max, 100 if high is None else high)
        return r.integers(lo, hi + 1, size=shape).astype(dt)
    lo = -3.0 if low is None else low
    hi = 3.0 if high is None else high
    return (r.random(shape) * (hi - lo) + lo).astype(np.float32).astype(dt)


def crand(shape, dtype, seed=0, low=-3.0, high=3.0) -> np.ndarray:
    """rand() of a real or complex dtype (complex64: independent real and imaginary parts)."""
    re = rand(shape, "float32", seed=seed, low=low, high=high)
    if dtype == "complex64":
        return (re + 1j * rand(shape, "float32", seed=seed + 100, low=low, high=high)).astype(np.complex64)
    return re.astype(np.dtype(dtype))


def np_dtype(name: str) -> np.dtype:
    """The NumPy dtype of a JAX dtype name (bfloat16 is ml_dtypes')."""
    return np.dtype(ml_dtypes.bfloat16) if name == "bfloat16" else np.dtype(name)


def arr(values, dtype) -> np.ndarray:
    """An array of `dtype` from Python values (floats go through float32 so -0.0, inf and nan survive)."""
    dt = np_dtype(dtype)
    if np.issubdtype(dt, np.integer) or dt == np.bool_:
        return np.array(values).astype(dt)
    with np.errstate(over="ignore"):  # beyond float16's range is inf, on purpose
        return np.asarray(values, dtype=np.float32).astype(dt)


def full_range(shape, dtype, seed=0) -> np.ndarray:
    """Integers over the whole range of `dtype` (so add/mul/neg overflow and wrap)."""
    info = np.iinfo(np_dtype(dtype))
    return rand(shape, dtype, seed=seed, low=int(info.min), high=int(info.max))


def primitives_of(jaxpr) -> set[str]:
    """Names of every primitive in a (Closed)Jaxpr, sub-jaxprs included."""
    inner = getattr(jaxpr, "jaxpr", jaxpr)
    names = set()
    for eqn in inner.eqns:
        names.add(eqn.primitive.name)
        for p in eqn.params.values():
            for sub in p if isinstance(p, (tuple, list)) else (p,):
                if hasattr(sub, "eqns") or hasattr(getattr(sub, "jaxpr", None), "eqns"):
                    names |= primitives_of(sub)
    return names


def assert_prims(jaxpr, *, prims, where: str = "") -> set[str]:
    """Asserts that every primitive named in `prims` is in the (Closed)Jaxpr, sub-jaxprs
    included, by the name the installed JAX gives it or the one ovjax writes
    (_jax_compat.RENAMED: closed_call for JAX 0.12's eval_jaxpr); returns the names found.
    Tests name the primitives they exercise this way (prims= of check() and the other
    helpers here), and docs/gen_primitives.py lists, for each primitive, the test files
    that do."""
    from ovjax import _jax_compat

    found = primitives_of(jaxpr)
    found |= {_jax_compat.RENAMED.get(n, n) for n in found}
    missing = set(prims) - found
    assert not missing, (
        f"{where + ': ' if where else ''}primitives {sorted(missing)} not in the traced jaxpr (found {sorted(found)})"
    )
    return found


# Modules that define JAX primitives: all of jax.lax (incl. linalg, fft, special, control
# flow, windowed reductions, collectives), the PRNG, call-like and effect primitives.
PRIMITIVE_MODULES = [
    "jax._src.core",
    "jax._src.pjit",
    "jax._src.custom_derivatives",
    "jax._src.ad_checkpoint",
    "jax._src.ad_util",
    "jax._src.callback",
    "jax._src.debugging",
    "jax._src.dispatch",
    "jax._src.random",
    "jax._src.custom_batching",
    "jax._src.state.primitives",
]


@functools.lru_cache(maxsize=None)
def jax_primitives() -> dict[str, str]:
    """name -> defining module, for every Primitive object in jax.lax's and the other
    primitive-defining modules of the installed JAX; a primitive the release renamed by
    the name ovjax writes (_jax_compat.RENAMED)."""
    import importlib
    import pkgutil

    import jax
    import jax._src.lax as lax_pkg
    import jax._src.lax.control_flow as cf_pkg
    import jax.random  # noqa: F401
    from jax._src import core

    mods = [f"jax._src.lax.{m.name}" for m in pkgutil.iter_modules(lax_pkg.__path__)]
    mods += [f"jax._src.lax.control_flow.{m.name}" for m in pkgutil.iter_modules(cf_pkg.__path__)]
    prims = {}
    for name in mods + PRIMITIVE_MODULES:
        try:
            mod = importlib.import_module(name)
        except ImportError:  # optional backends (e.g. GPU-only modules)
            continue
        for v in vars(mod).values():
            if isinstance(v, core.Primitive):
                prims.setdefault(v.name, name)
    for v in vars(jax.lax).values():
        if isinstance(v, core.Primitive):
            prims.setdefault(v.name, "jax.lax")
    from ovjax import _jax_compat

    return {_jax_compat.RENAMED.get(n, n): m for n, m in prims.items()}


def needs_primitives(*names: str):
    """Skip mark for a test of primitives the installed JAX does not have (those added by
    a newer release than it): the test runs wherever JAX has them all."""
    missing = [n for n in names if n not in jax_primitives()]
    what = ", ".join(missing)
    return pytest.mark.skipif(
        bool(missing),
        reason=f"primitive{'s' if len(missing) > 1 else ''} {what} "
        f"{'do' if len(missing) > 1 else 'does'} not exist in jax {jax.__version__}",
    )


def op_types(model: ov.Model) -> list[str]:
    """The model's operation types in topological order (Parameters, Constants and Results included)."""
    return [op.get_type_name() for op in model.get_ordered_ops()]


def compute_ops(model: ov.Model) -> list[str]:
    """op_types() without Parameters, Constants and Results."""
    return [t for t in op_types(model) if t not in ("Parameter", "Constant", "Result")]


def op_counts(model: ov.Model) -> collections.Counter:
    """How many operations of each type the model has."""
    return collections.Counter(op_types(model))


def loop_trip_counts(model: ov.Model) -> list[int]:
    """The trip counts of the model's top-level Loops."""
    return [
        int(op.input_value(0).get_node().get_data()) for op in model.get_ordered_ops() if op.get_type_name() == "Loop"
    ]


def compile_cpu(model: ov.Model) -> ov.CompiledModel:
    return core().compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})


def run_ov(model: ov.Model, args) -> list[np.ndarray]:
    compiled = compile_cpu(model)
    flat = [np.asarray(a) for a in jax.tree_util.tree_leaves(args)]
    req = compiled.create_infer_request()
    for i, a in enumerate(flat):
        req.set_input_tensor(i, to_tensor(a))
    req.infer()
    return [from_tensor(req.get_output_tensor(i)) for i in range(len(compiled.outputs))]


def to_tensor(a: np.ndarray) -> ov.Tensor:
    a = np.require(np.asarray(a), requirements="C")  # keeps 0-d arrays 0-d
    if np.iscomplexobj(a):  # complex inputs are (real, imag) float pairs: shape + (2,)
        a = np.ascontiguousarray(a.reshape(-1).view(np.float32 if a.dtype == np.complex64 else np.float64)).reshape(
            a.shape + (2,)
        )
    if a.dtype == ml_dtypes.bfloat16:
        t = ov.Tensor(ov.Type.bf16, ov.Shape(list(a.shape)))
        t.data.view(np.uint16)[...] = a.view(np.uint16)
        return t
    return ov.Tensor(a)


def from_tensor(t: ov.Tensor) -> np.ndarray:
    if t.element_type == ov.Type.bf16:
        return t.data.view(np.uint16).copy().view(ml_dtypes.bfloat16)
    return t.data.copy()


def as_complex(got: np.ndarray, want) -> np.ndarray:
    """A complex result as JAX has it: ovjax models return complex values as (real, imag)
    float pairs, a trailing axis of 2."""
    want = np.asarray(want)
    if np.iscomplexobj(want) and not np.iscomplexobj(got) and got.shape == want.shape + (2,):
        return (got[..., 0] + 1j * got[..., 1].astype(np.float64)).astype(want.dtype)
    return got


def assert_close(got: np.ndarray, want, where: str = "", tol=None) -> None:
    want = np.asarray(want)
    got = as_complex(got, want)
    if np.iscomplexobj(want):  # real and imaginary parts at the part type's tolerance
        part = "float32" if want.dtype == np.complex64 else "float64"
        rtol, atol = tol or FLOAT_TOL[part]
        np.testing.assert_allclose(
            got.astype(np.complex128), want.astype(np.complex128), rtol=rtol, atol=atol, equal_nan=True, err_msg=where
        )
        return
    name = np.dtype(want.dtype).name
    assert got.shape == want.shape, f"{where}: shape {got.shape} != JAX {want.shape}"
    if name in FLOAT_TOL:
        rtol, atol = tol or FLOAT_TOL[name]
        g = np.asarray(got, dtype=np.float64)
        w = np.asarray(want, dtype=np.float64)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, equal_nan=True, err_msg=where)
    else:
        got_c = got.astype(want.dtype) if got.dtype != want.dtype else got
        assert got.dtype.itemsize == want.dtype.itemsize or name == "bool", (
            f"{where}: dtype {got.dtype} vs {want.dtype}"
        )
        np.testing.assert_array_equal(got_c, want, err_msg=where)


# ---------------------------------------------------------------- decompositions


def _adjoint(x):
    return np.conj(np.swapaxes(x, -1, -2))


def _within(value, bound, what, where):
    worst = np.max(value, initial=0.0)
    assert np.all(np.isfinite(value)) and worst <= bound, f"{where}: {what} {worst} > {bound}"


def assert_unitary(x, tol, where="", what="vectors"):
    """max |X^H X - I| <= tol: X's columns orthonormal."""
    x = np.asarray(x, np.complex128)
    _within(np.abs(_adjoint(x) @ x - np.eye(x.shape[-1])), tol, f"{what} not orthonormal: max |X^H X - I|", where)


def assert_reconstructs(got, want, tol, where="", what="reconstruction"):
    """||got - want||_F <= tol * ||want||_F per matrix of the (batched) products."""
    got, want = np.asarray(got, np.complex128), np.asarray(want, np.complex128)
    err = np.linalg.norm(got - want, axis=(-2, -1))
    nrm = np.linalg.norm(want, axis=(-2, -1))
    _within(err / np.maximum(nrm, np.finfo(np.float64).tiny), tol, f"relative {what} error", where)


def assert_eigh(got, want, where="", tol=None, value_tol=None):
    """eigh's outputs (V, w), or (w, V), against JAX's: eigenvectors are unique only up to a phase each
    (and a basis of a repeated eigenvalue's space), so they are checked as JAX's own tests
    check them: w equals JAX's (assert_close at value_tol), A V = V diag(w) relative to
    |A| and V^H V = I within tol (DECOMPOSITION_TOL of the dtype), A = V0 diag(w0) V0^H
    rebuilt from JAX's own factors."""
    want = [np.asarray(w) for w in want]
    iv = 0 if want[0].ndim > want[1].ndim else 1  # (V, w) of eigh_p, (w, V) of jnp.linalg.eigh
    (v0, w0) = want[iv], want[1 - iv]
    v, w = as_complex(np.asarray(got[iv]), v0), np.asarray(got[1 - iv])
    assert v.shape == v0.shape and w.shape == w0.shape, (
        f"{where}: shapes {v.shape}, {w.shape} != JAX {v0.shape}, {w0.shape}"
    )
    tol = tol or DECOMPOSITION_TOL[np.finfo(v0.dtype).dtype.name]
    assert_close(w, w0, where=f"{where}: eigenvalues", tol=value_tol)
    c = lambda x: np.asarray(x, np.complex128)  # noqa: E731
    a = (c(v0) * w0[..., None, :]) @ _adjoint(c(v0))
    assert_reconstructs(a @ c(v), c(v) * w[..., None, :], tol, where, "|A V - V diag(w)| / |A|")
    assert_unitary(v, tol, where, "eigenvectors")


def assert_svd(got, want, where="", tol=None, value_tol=None):
    """svd's outputs (s, U, V^H), or (U, s, V^H), against JAX's, as assert_eigh: s equals JAX's, U S V^H
    equals JAX's U0 S0 V0^H relative to its norm, U and V orthonormal."""
    want = [np.asarray(w) for w in want]
    i = [w.ndim for w in want].index(min(w.ndim for w in want))  # (s, U, V^H) of svd_p, (U, s, V^H) of the APIs
    iu, iv = [j for j in range(3) if j != i]
    (s0, u0, vt0) = want[i], want[iu], want[iv]
    s = np.asarray(got[i])
    u, vt = as_complex(np.asarray(got[iu]), u0), as_complex(np.asarray(got[iv]), vt0)
    assert (s.shape, u.shape, vt.shape) == (s0.shape, u0.shape, vt0.shape), (
        f"{where}: shapes {s.shape}, {u.shape}, {vt.shape} != JAX {s0.shape}, {u0.shape}, {vt0.shape}"
    )
    tol = tol or DECOMPOSITION_TOL[np.finfo(u0.dtype).dtype.name]
    assert_close(s, s0, where=f"{where}: singular values", tol=value_tol)
    k = s0.shape[-1]
    c = lambda x: np.asarray(x, np.complex128)  # noqa: E731
    a = (c(u0[..., :k]) * s0[..., None, :]) @ c(vt0[..., :k, :])
    assert_reconstructs((c(u[..., :k]) * s[..., None, :]) @ c(vt[..., :k, :]), a, tol, where, "|U S V^H - A| / |A|")
    assert_unitary(u, tol, where, "U")
    assert_unitary(_adjoint(vt), tol, where, "V")


# eig's eigenvalues against JAX's (as multisets), |difference| / |A|_F per dtype: measured
# at most 5e-7 on random float32 / complex64 matrices up to 20x20 (OpenVINO computes
# float64 in float32, so float64 shares float32's bound).
EIG_VALUE_TOL = {"float32": 1e-5, "float64": 1e-5}


def _match_eigenvalues(w, w0):
    """max over ours of |w_i - nearest unused of JAX's w0| (one matrix): the greatest
    distance when each of ours is paired with the nearest of JAX's not yet paired."""
    free = list(range(len(w0)))
    worst = 0.0
    for x in w:
        d = [abs(complex(x) - complex(w0[j])) for j in free]
        j = int(np.argmin(d))
        worst = max(worst, d[j])
        free.pop(j)
    return worst


def assert_eig(a, got, want, *, left, right, where="", tol=None, value_tol=None):
    """eig's outputs [w, vl if left, vr if right] for the (batched) matrices `a`, against
    JAX's: the eigenvalues' order (and so the vectors') is unspecified, so the eigenvalues
    must equal JAX's as multisets (each of ours paired with the nearest unpaired of JAX's,
    within value_tol * |A|_F, EIG_VALUE_TOL of the dtype) and the vectors must satisfy
    their equations for OUR eigenvalues in our order: |A vr - vr diag(w)| / |A| and
    |vl^H A - diag(w) vl^H| / |A| per matrix within tol (DECOMPOSITION_TOL), every column of
    unit 2-norm with a largest-magnitude component real (LAPACK geev's normalization)."""
    want = [np.asarray(x) for x in want]
    assert len(got) == len(want) == 1 + int(left) + int(right), f"{where}: {len(got)} outputs, JAX {len(want)}"
    got = [as_complex(np.asarray(g), w) for g, w in zip(got, want)]
    for i, (g, w) in enumerate(zip(got, want)):
        assert g.shape == w.shape, f"{where}: output {i} shape {g.shape} != JAX {w.shape}"
    a = np.asarray(a)
    name = np.finfo(want[0].dtype).dtype.name
    tol = tol or DECOMPOSITION_TOL[name]
    value_tol = value_tol or EIG_VALUE_TOL[name]
    c = lambda x: np.asarray(x, np.complex128)  # noqa: E731
    a, w, w0 = c(a), c(got[0]), c(want[0])
    n = a.shape[-1]
    anorm = np.maximum(np.linalg.norm(a.reshape(a.shape[:-2] + (-1,)), axis=-1), np.finfo(np.float64).tiny)
    assert np.all(np.isfinite(w)), f"{where}: eigenvalues not finite"
    for b in np.ndindex(*a.shape[:-2]):
        err = _match_eigenvalues(w[b], w0[b]) / anorm[b]
        assert err <= value_tol, f"{where}: eigenvalues differ from JAX's (as multisets) by {err} * |A| > {value_tol}"
    vecs = []
    if left:
        vl = c(got[1])
        vecs.append(("left", vl))
        r = np.linalg.norm(_adjoint(vl) @ a - w[..., :, None] * _adjoint(vl), axis=(-2, -1)) / anorm
        _within(r, tol, "relative |vl^H A - diag(w) vl^H| / |A|", where)
    if right:
        vr = c(got[-1])
        vecs.append(("right", vr))
        r = np.linalg.norm(a @ vr - vr * w[..., None, :], axis=(-2, -1)) / anorm
        _within(r, tol, "relative |A vr - vr diag(w)| / |A|", where)
    for what, v in vecs:
        if n == 0:
            continue
        _within(np.abs(np.linalg.norm(v, axis=-2) - 1), tol, f"{what} eigenvector norms: max |norm - 1|", where)
        mag = np.abs(v)
        top = mag >= mag.max(axis=-2, keepdims=True) - tol
        real = top & (np.abs(v.imag) <= tol)
        assert real.any(axis=-2).all(), f"{where}: a {what} eigenvector's largest component is not real"


# ---------------------------------------------------------------- symbolic dimensions

# Primitives whose translators do not handle symbolic dimensions yet. A symbolic check of a
# function using one of them must fail with a clear error naming a symbolic dimension
# (never a wrong model); every other symbolic check must convert and compute JAX's numbers.
SYMBOLIC_PENDING: frozenset[str] = frozenset(
    {
        # partly: integer convolutions and batch groups over symbolic dimensions
        "conv_general_dilated",
    }
)

# check()'s symbolic variant is on unless a test opts out (symbolic=False: its function
# cannot be batched by jax.vmap, e.g. it takes Python scalars or PRNG key data).
SYMBOLIC_SIZES = (1, 3)


def _batched(a: np.ndarray, n: int) -> np.ndarray:
    """n versions of `a` stacked on a new leading axis: a's values rolled by i (same values,
    in other places: no new domain errors), so the batch elements differ. An array of rank 3
    or more (a stack of matrices or images) is rolled along its first axis, so that each
    matrix keeps its structure (a well-conditioned triangle stays one)."""
    a = np.asarray(a)
    if a.ndim >= 3:
        return np.stack([np.roll(a, i, axis=0) for i in range(n)])
    return np.stack([np.roll(a.reshape(-1), i).reshape(a.shape) for i in range(n)])


def check_symbolic(fn, *args, sizes=SYMBOLIC_SIZES, tol=None, prims=(), compare=None):
    """fn vmapped over a new leading axis of symbolic size B: traced once, converted once,
    compiled once, then run at each batch size in `sizes` and compared with JAX's jitted
    vmap at that size. (What JAX's shape-polymorphism tests do for its exporters.)
    compare(got, want, where) compares all outputs at once instead of assert_close."""
    leaves, tree = jax.tree_util.tree_flatten(args)
    (b,) = jax.export.symbolic_shape("B")
    specs = [jax.ShapeDtypeStruct((b,) + np.shape(a), np.asarray(a).dtype) for a in leaves]
    vf = jax.vmap(fn)
    try:
        closed = jax.make_jaxpr(lambda *xs: vf(*jax.tree_util.tree_unflatten(tree, xs)))(*specs)
    except NotImplementedError as e:  # JAX cannot batch it (no batching rule): no symbolic form
        assert "Batching rule" in str(e) or "batching" in str(e).lower(), e
        return None
    if prims:
        assert_prims(closed, prims=prims, where="symbolic")
    try:
        model = ovjax.convert_model(closed)
    except Exception as e:
        # accepted only when every equation that failed is of a pending primitive (also one
        # the serializer expanded into, which the jaxpr does not show) and names the dimension
        msg = str(e)
        failing = set(re.findall(r"'([A-Za-z0-9_-]+)'[^\n]*symbolic dimension", msg))
        lines = [ln for ln in msg.splitlines() if ln.strip().startswith("equation ")]
        if not failing or any("symbolic dimension" not in ln for ln in lines):
            raise
        if not failing <= SYMBOLIC_PENDING:
            raise
        return None
    req = compile_cpu(model).create_infer_request()
    jitted = jax.jit(lambda *xs: vf(*jax.tree_util.tree_unflatten(tree, xs)))
    for n in sizes:
        batched = [_batched(a, n) for a in leaves]
        try:
            want = jax.tree_util.tree_leaves(jitted(*batched))
        except TypeError as e:  # JAX cannot compile its own vmap of it (0.12's dce_sink): no reference
            assert "lowering" in str(e), e
            return model
        for i, a in enumerate(batched):
            req.set_input_tensor(i, to_tensor(a))
        req.infer()
        assert len(req.model_outputs) == len(want), f"{len(req.model_outputs)} outputs, JAX has {len(want)}"
        if compare is not None:
            compare([from_tensor(req.get_output_tensor(i)) for i in range(len(want))], want, f"symbolic B={n}")
            continue
        for i, w in enumerate(want):
            assert_close(from_tensor(req.get_output_tensor(i)), w, where=f"symbolic B={n}: output {i}", tol=tol)
    return model


def check(fn, *args, prims=(), tol=None, jit_reference=False, symbolic=True):
    """Convert `fn` traced on `args` and compare OpenVINO CPU results with JAX's.

    jit_reference computes JAX's result under jax.jit (one XLA compilation instead of
    one per equation, much faster for many-output functions); the converted jaxpr is
    the plain one either way.
    """
    closed = jax.make_jaxpr(fn)(*args)
    assert_prims(closed, prims=prims)
    model = ovjax.convert_model(closed)
    ref = jax.jit(fn) if jit_reference else fn
    want = jax.tree_util.tree_leaves(ref(*jax.tree_util.tree_map(jnp.asarray, args)))
    got = run_ov(model, args)
    assert len(got) == len(want), f"{len(got)} outputs, JAX has {len(want)}"
    for i, (g, w) in enumerate(zip(got, want)):
        assert_close(g, w, where=f"output {i}", tol=tol)
    if symbolic:
        check_symbolic(fn, *args, tol=tol)
    return model


def check_invariants(fn, *args, compare, prims=(), symbolic=True):
    """check() for functions whose results JAX does not define uniquely (eigenvectors,
    singular vectors): compare(got, want, where) gets all outputs of OpenVINO and of JAX's
    jitted fn at once (assert_eigh, assert_svd), for the static conversion and for the
    symbolic one (check_symbolic)."""
    closed = jax.make_jaxpr(fn)(*args)
    assert_prims(closed, prims=prims)
    model = ovjax.convert_model(closed)
    want = [np.asarray(w) for w in jax.tree_util.tree_leaves(jax.jit(fn)(*args))]
    got = run_ov(model, args)
    assert len(got) == len(want), f"{len(got)} outputs, JAX has {len(want)}"
    compare(got, want, "static")
    if symbolic:
        check_symbolic(fn, *args, compare=compare)
    return model


def check_jit(fn, *args, prims=(), tol=None, symbolic=True):
    """check() with JAX's reference under jax.jit (one XLA compilation instead of one per
    equation: functions with many outputs, f16/bf16, flax modules)."""
    return check(fn, *args, prims=prims, tol=tol, jit_reference=True, symbolic=symbolic)


def unoptimised_jit(fn, *args):
    """JAX's `fn` compiled for arguments like `args` by XLA without LLVM optimisation: for
    data-movement ops, whose compile time dominates otherwise."""
    return jax.jit(fn).lower(*args).compile({"xla_backend_optimization_level": 0})


def check_many(fn, arg_sets, *, prims=(), tol=None, unoptimised=False, describe=None, symbolic=True):
    """check() of one conversion on several argument sets (of the same avals): `fn` traced
    on arg_sets[0] is converted and compiled once, then run on every set (one infer
    request) and compared with JAX's jitted `fn`. Returns the model.

    unoptimised: JAX's reference is unoptimised_jit(fn, *arg_sets[0]) (traced indices get
    JAX's run-time clamping, no trace-time bounds checks). describe(args) names an
    argument set in failure messages (default: "args <the arguments>").
    """
    closed = jax.make_jaxpr(fn)(*arg_sets[0])
    assert_prims(closed, prims=prims)
    model = ovjax.convert_model(closed)
    req = compile_cpu(model).create_infer_request()
    if unoptimised:
        ref = unoptimised_jit(fn, *arg_sets[0])
    else:
        jitted = jax.jit(fn)  # compiled once for all argument sets
        ref = lambda *a: jitted(*jax.tree_util.tree_map(jnp.asarray, a))  # noqa: E731
    for args in arg_sets:
        for i, a in enumerate(jax.tree_util.tree_leaves(args)):
            req.set_input_tensor(i, to_tensor(np.asarray(a)))
        req.infer()
        want = jax.tree_util.tree_leaves(ref(*args))
        assert len(req.model_outputs) == len(want), f"{len(req.model_outputs)} outputs, JAX has {len(want)}"
        where = describe(args) if describe else f"args {args}"
        for i, w in enumerate(want):
            assert_close(from_tensor(req.get_output_tensor(i)), w, where=f"{where}: output {i}", tol=tol)
    if symbolic and not unoptimised:  # (unoptimised: indices JAX clamps at run time; vmap checks them)
        check_symbolic(fn, *arg_sets[0], tol=tol)
    return model


def check_cases(cases: dict, *args, compare=None, tol=None, describe_inputs: bool = False, ov_args=None, symbolic=True):
    """Convert all `cases` (name -> fn(*args)) as one model and compare every output.

    A case named "prim" or "prim:detail" must contain primitive `prim` in its jaxpr.
    `compare(got, want, where)` defaults to assert_close with `tol`. JAX's reference is
    one jitted program for all cases. Every failing case is reported, not just the first.
    `ov_args` are the inputs as OpenVINO sees them, when they differ from JAX's `args`.
    Returns the converted ClosedJaxpr.
    """
    names = list(cases)
    for name in names:
        assert_prims(jax.make_jaxpr(cases[name])(*args), prims={name.split(":")[0]}, where=name)

    def fn(*a):
        return tuple(cases[n](*a) for n in names)

    closed = jax.make_jaxpr(fn)(*args)
    model = ovjax.convert_model(closed)
    want, labels = [], []
    for name, out in zip(names, jax.jit(fn)(*args)):
        leaves = jax.tree_util.tree_leaves(out)
        want += [np.asarray(w) for w in leaves]
        labels += [name] if len(leaves) == 1 else [f"{name}[{i}]" for i in range(len(leaves))]
    got = run_ov(model, args if ov_args is None else ov_args)
    assert len(got) == len(want)
    custom_compare = compare is not None
    if compare is None:

        def compare(g, w, where):
            assert_close(g, w, where=where, tol=tol)

    errors = []
    for name, g, w in zip(labels, got, want):
        try:
            compare(g, w, name)
        except AssertionError as e:
            inputs = f" (inputs {[np.asarray(a).tolist() for a in args]})" if describe_inputs else ""
            errors.append(f"{name}{inputs}:\n{e}")
    assert not errors, "\n\n".join(errors)
    if symbolic and ov_args is None and not custom_compare:
        check_symbolic(fn, *args, tol=tol)
    return closed


def check_elementwise(cases: dict, *args, signed_zeros: bool = False, tol=None, symbolic=True):
    """check_cases() for elementwise families, whose failures name their (small) inputs;
    with signed_zeros, float zeros must also carry JAX's sign."""

    def compare(g, w, where):
        assert_close(g, w, where=where, tol=tol)
        if signed_zeros and (np.issubdtype(w.dtype, np.floating) or w.dtype == ml_dtypes.bfloat16):
            wz = np.asarray(w, np.float32) == 0
            gs = np.signbit(np.asarray(g, np.float32))[wz]
            ws = np.signbit(np.asarray(w, np.float32))[wz]
            assert np.array_equal(gs, ws), f"{where}: signs of zeros {gs} != JAX {ws}"

    closed = check_cases(cases, *args, compare=compare, describe_inputs=True)
    names = list(cases)
    if symbolic:
        check_symbolic(lambda *a: tuple(cases[n](*a) for n in names), *args, tol=tol)
    return closed
