"""Convert a real model with ovjax, run it on OpenVINO CPU (f32) and compare with JAX."""

from __future__ import annotations

import jax
import numpy as np

import ovjax
from harness import MODEL_TOL, run_ov


def compare(got, want, tol=MODEL_TOL, where="") -> float:
    """Assert every output leaf is close; returns the largest absolute error."""
    want = [np.asarray(w) for w in jax.tree_util.tree_leaves(want)]
    assert len(got) == len(want), f"{where}: {len(got)} outputs, JAX has {len(want)}"
    rtol, atol = tol
    worst = 0.0
    for i, (g, w) in enumerate(zip(got, want)):
        assert g.shape == w.shape, f"{where} output {i}: shape {g.shape} != JAX {w.shape}"
        if np.issubdtype(w.dtype, np.floating):
            g64, w64 = np.asarray(g, np.float64), np.asarray(w, np.float64)
            if g64.size:
                worst = max(worst, float(np.max(np.abs(g64 - w64))))
            assert np.isfinite(w64).all(), f"{where} output {i}: JAX's reference is not finite (bad test weights)"
            np.testing.assert_allclose(g64, w64, rtol=rtol, atol=atol, err_msg=f"{where} output {i}")
        else:
            np.testing.assert_array_equal(g.astype(w.dtype), w, err_msg=f"{where} output {i}")
    print(f"{where}: max abs error {worst:.3g}")
    return worst


def check_model(model, example_input, want, *, tol=MODEL_TOL, where="", **convert_kwargs) -> list:
    """Convert `model` traced on `example_input` (a tuple of positional args, or one
    array), run it on OpenVINO CPU with the same inputs and compare with `want`. Returns OpenVINO's outputs."""
    ov_model = ovjax.convert_model(model, example_input=example_input, **convert_kwargs)
    args = example_input if isinstance(example_input, tuple) else (example_input,)
    if isinstance(example_input, dict):
        args = {k: v for k, v in example_input.items() if not isinstance(v, (bool, str, type(None)))}
    flat = jax.tree_util.tree_leaves(args)
    assert len(flat) == len(ov_model.inputs), f"{len(flat)} input leaves, model has {len(ov_model.inputs)} inputs"
    got = run_ov(ov_model, flat)
    compare(got, want, tol, where or type(model).__name__)
    return got


def check_function(fn, args, where, tol=MODEL_TOL) -> list:
    """check_model() of a function of positional `args`, against JAX's jitted `fn`."""
    want = jax.jit(fn)(*args)
    return check_model(fn, tuple(args), want, tol=tol, where=where)


def random_like(shapes, seed: int = 0):
    """Random weights in the structure of `shapes` (e.g. jax.eval_shape(model.init, ...)).

    Initialising through the model's own (jitted) init compiles a threefry-heavy XLA
    program, which takes tens of seconds for a small conv net on a busy 2-core machine;
    numpy is instant. Kernels get fan-in scaled normals, scales/variances values around
    one, biases/means small values.
    """
    r = np.random.default_rng(seed)
    paths, tree = jax.tree_util.tree_flatten_with_path(shapes)
    out = []
    for path, leaf in paths:
        name = jax.tree_util.keystr(path).lower()
        shape = tuple(leaf.shape)
        if jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key):  # typed PRNG keys (nnx.Rngs)
            data = r.integers(0, 2**32, shape + (2,), dtype=np.uint32)
            out.append(jax.random.wrap_key_data(data))
            continue
        dtype = np.dtype(leaf.dtype)
        if not np.issubdtype(dtype, np.floating):
            out.append(np.zeros(shape, dtype))
        elif any(k in name for k in ("scale", "var", "gamma")) or (len(shape) == 1 and "weight" in name):
            out.append(r.uniform(0.5, 1.5, shape).astype(dtype))
        elif len(shape) >= 2:
            fan_in = int(np.prod(shape[:-1])) or 1
            out.append((r.standard_normal(shape) / np.sqrt(fan_in)).astype(dtype))
        else:
            out.append(r.uniform(-0.2, 0.2, shape).astype(dtype))
    return jax.tree_util.tree_unflatten(tree, out)


def init_linen(module, *args, **kwargs):
    """Random variables for a linen module without running its init."""
    shapes = jax.eval_shape(lambda: module.init(jax.random.PRNGKey(0), *args, **kwargs))
    return random_like(shapes)


def init_nnx(ctor):
    """An nnx module built by `ctor()` with random weights, without running its init."""
    from flax import nnx

    abstract = nnx.eval_shape(ctor)
    graphdef, state = nnx.split(abstract)
    # jax arrays, as nnx modules normally hold: an nnx call updates numpy-backed
    # state (RngCount) in place
    return nnx.merge(graphdef, jax.tree_util.tree_map(jax.numpy.asarray, random_like(state)))


def call_nnx(module, *args):
    """JAX's reference output of an nnx module, leaving the module (and its RNG
    counters) untouched."""
    from flax import nnx

    graphdef, state = nnx.split(module)
    return jax.jit(lambda s, *a: nnx.merge(graphdef, s)(*a))(state, *args)
