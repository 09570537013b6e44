"""Write the fuzzers' seed corpus: small .ovjax files of a spread of JAX functions.

    python fuzz/make_corpus.py build/fuzz-corpus/seed            # format 1.1 files
    python fuzz/make_corpus.py --minor0 build/fuzz-corpus/seed10  # the same as 1.0 files

Each seed is one small function serialized with ovjax.serialize (elementwise maths,
reductions, convolutions, dot_general, gather/scatter, control flow, nested jit, PRNG
keys, complex numbers, custom_jvp, a tiny Flax model, ...): between them they use every
section kind, value tag and atom form of docs/format.md. Weights are kept tiny so the
fuzzers spend their time on structure, not on DATA bytes. --minor0 writes format 1.0
files (minor version 0, no checksum), which readers before 1.1 read.

Run with PYTHONPATH=src/python so that the checkout's serializer writes the files. No
frontend library is needed.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

jax.config.update("jax_enable_x64", False)


def f32(*shape):
    return np.linspace(-1.0, 1.0, int(np.prod(shape)) or 1, dtype=np.float32)[: int(np.prod(shape))].reshape(shape)


def i32(*shape):
    return (np.arange(int(np.prod(shape)), dtype=np.int32) % 3).reshape(shape)


W = f32(3, 4)


def seeds():
    """(name, function, example arguments)"""
    x, y = f32(2, 3), f32(2, 3) + 0.5
    yield "elementwise", lambda a, b: jnp.tanh(a) * b + jnp.exp(-a) / (1.0 + b * b) - jnp.sqrt(jnp.abs(b)), (x, y)
    yield "compare_select", lambda a, b: jnp.where(a > b, a, jnp.maximum(b, 0.25)), (x, y)
    yield "integer_bits", lambda a, b: (a << 1) ^ (b & 3) | jnp.right_shift(a, 1) + a % 2, (i32(4), i32(4) + 1)
    yield (
        "convert_types",
        lambda a: (a.astype(jnp.int8), a.astype(jnp.float16), a.astype(jnp.bfloat16), a.astype(bool)),
        (x,),
    )
    yield (
        "reductions",
        lambda a: (jnp.sum(a, axis=0), jnp.max(a, axis=1), jnp.prod(a), jnp.argmax(a, axis=1), jnp.mean(a)),
        (x,),
    )
    yield "cumulative", lambda a: (jnp.cumsum(a, axis=1), jnp.cumprod(a, axis=0), jax.lax.cummax(a, axis=1)), (x,)
    yield (
        "shapes",
        lambda a: (
            a.reshape(3, 2).T,
            jnp.broadcast_to(a[:, None, :], (2, 4, 3)),
            jnp.squeeze(a[None]),
            jnp.concatenate([a, a], axis=0),
            jnp.flip(a, 1),
        ),
        (x,),
    )
    yield (
        "slicing",
        lambda a, i: (
            a[1:, ::2],
            jax.lax.dynamic_slice(a, (i, 0), (1, 2)),
            jax.lax.dynamic_update_slice(a, jnp.ones((1, 2)), (i, 1)),
        ),
        (x, np.int32(1)),
    )
    yield (
        "pad_iota",
        lambda a: (
            jnp.pad(a, ((1, 0), (0, 2))),
            jax.lax.pad(a, 0.0, ((0, 1, 1), (1, 0, 0))),
            jnp.arange(6).reshape(2, 3) + a,
        ),
        (x,),
    )
    yield "dot_general", lambda a, b: (a @ b, jnp.einsum("bij,bjk->bik", a[None], b[None])), (f32(2, 3), f32(3, 4))
    yield "dense_consts", lambda a: jax.nn.relu(a @ W + 1.0), (f32(2, 3),)
    yield (
        "conv",
        lambda a, k: jax.lax.conv_general_dilated(a, k, (1, 1), "SAME", rhs_dilation=(1, 1)),
        (f32(1, 2, 5, 5), f32(3, 2, 3, 3)),
    )
    yield (
        "conv_transpose",
        lambda a, k: jax.lax.conv_transpose(a, k, (2, 2), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC")),
        (f32(1, 4, 4, 2), f32(2, 2, 2, 3)),
    )
    yield (
        "pooling",
        lambda a: (
            jax.lax.reduce_window(a, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID"),
            jax.lax.reduce_window(a, 0.0, jax.lax.add, (1, 1, 3, 3), (1, 1, 1, 1), "SAME"),
        ),
        (f32(1, 1, 4, 4),),
    )
    yield (
        "gather",
        lambda a, i: (a[i], jnp.take_along_axis(a[:3], i[:, None] % 3, axis=1), a.at[i].get(mode="clip")),
        (f32(4, 3), np.array([0, 2, 3], np.int32)),
    )
    yield (
        "scatter",
        lambda a, i, u: (a.at[i].set(u), a.at[i].add(u), a.at[i].max(u, mode="drop")),
        (f32(4, 3), np.array([0, 2], np.int32), f32(2, 3)),
    )
    yield "sort_topk", lambda a: (jnp.sort(a, axis=1), jnp.argsort(a[0]), jax.lax.top_k(a, 2)), (x,)
    yield "cond", lambda p, a: jax.lax.cond(p > 0, lambda v: v * 2.0, lambda v: v - 1.0, a), (np.int32(1), x)
    yield "switch", lambda i, a: jax.lax.switch(i, [jnp.sin, jnp.cos, lambda v: v * v], a), (np.int32(2), x)
    yield "while", lambda a: jax.lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, c[1] * 1.5), (0, a))[1], (x,)
    yield "fori", lambda a: jax.lax.fori_loop(0, 4, lambda i, v: v + i * v, a), (x,)

    def scan_fn(c, xs):
        def step(carry, v):
            carry = jnp.tanh(carry + v)
            return carry, carry * 2.0

        return jax.lax.scan(step, c, xs)

    yield "scan", scan_fn, (f32(3), f32(4, 3))
    yield (
        "scan_reverse",
        lambda c, xs: jax.lax.scan(lambda a, v: (a * v, a), c, xs, reverse=True, unroll=2),
        (f32(2), f32(5, 2)),
    )

    inner = jax.jit(lambda v: jnp.sin(v) * 2.0)
    middle = jax.jit(lambda v: inner(v) + inner(v * 0.5))
    yield "nested_jit", lambda a: jax.jit(lambda v: middle(v) - middle(-v))(a), (x,)
    yield "vmap", jax.vmap(lambda v, w: jnp.dot(v, w) + jnp.sum(v)), (f32(4, 3), f32(4, 3))
    yield "grad", jax.grad(lambda w, a: jnp.sum(jnp.tanh(a @ w) ** 2)), (f32(3, 2), f32(4, 3))

    yield (
        "prng_threefry",
        lambda k: (
            jax.random.normal(k, (2, 3)),
            jax.random.split(k, 3),
            jax.random.randint(jax.random.fold_in(k, 7), (4,), 0, 10),
        ),
        (jax.random.key(0),),
    )
    yield "prng_raw_key", lambda k: jax.random.uniform(k, (3,)), (jax.random.PRNGKey(3),)
    yield (
        "bernoulli_dropout",
        lambda k, a: jnp.where(jax.random.bernoulli(k, 0.5, a.shape), a, 0.0),
        (jax.random.key(1), x),
    )

    c = (f32(2, 3) + 1j * f32(2, 3)[::-1]).astype(np.complex64)
    yield "complex", lambda z: (z * jnp.conj(z) + 1j, jnp.abs(z), jnp.real(z) - jnp.imag(z), jnp.exp(z)), (c,)
    yield "fft", lambda a: jnp.fft.rfft(a, axis=-1), (f32(2, 8),)

    @jax.custom_jvp
    def softplus(v):
        return jnp.logaddexp(v, 0.0)

    @softplus.defjvp
    def _jvp(primals, tangents):
        (v,), (t,) = primals, tangents
        return softplus(v), t * jax.nn.sigmoid(v)

    yield "custom_jvp", lambda a: softplus(a) * 2.0, (x,)

    @jax.custom_vjp
    def clip_grad(v):
        return v

    clip_grad.defvjp(lambda v: (v, None), lambda _, g: (jnp.clip(g, -1, 1),))
    yield "custom_vjp", lambda a: clip_grad(a) + 1.0, (x,)
    yield (
        "nn_functions",
        lambda a: (jax.nn.softmax(a, axis=-1), jax.nn.gelu(a), jax.nn.log_softmax(a), jax.nn.silu(a)),
        (x,),
    )
    yield "layer_norm", lambda a: (a - a.mean(-1, keepdims=True)) / jnp.sqrt(a.var(-1, keepdims=True) + 1e-5), (x,)
    yield (
        "linalg",
        lambda a: (jnp.linalg.cholesky(a @ a.T + 3 * jnp.eye(3)), jnp.linalg.inv(a + 3 * jnp.eye(3))),
        (f32(3, 3),),
    )
    yield (
        "special",
        lambda a: (
            jax.scipy.special.erf(a),
            jax.lax.lgamma(a + 2.0),
            jax.lax.is_finite(a),
            jnp.round(a, 1),
            jnp.clip(a, -0.5, 0.5),
        ),
        (x,),
    )
    yield (
        "literals_many_dtypes",
        lambda a, b, u: (a + np.float32(2.5), b * np.int32(-3), u | np.uint8(3), jnp.logical_not(a > 0)),
        (x, i32(3), np.arange(3, dtype=np.uint8)),
    )
    yield "unused_and_dropped", lambda a, b: (a * 2.0, jnp.linalg.eigh(a @ a.T)[0]), (f32(2, 2), f32(2))
    yield "remat", jax.checkpoint(lambda a: jnp.sin(jnp.sin(a)) * a), (x,)

    # symbolic dimensions (format 1.2: a DIMS section, expressions in shapes and parameters)
    from jax import export

    b, s = export.symbolic_shape("B, S", constraints=["S <= 512"])
    sym = jax.ShapeDtypeStruct((b, 2 * s), np.float32)
    yield (
        "symbolic_shapes",
        lambda a: (
            a.reshape(-1, 2).sum(1) * jnp.arange(a.shape[0] * a.shape[1] // 2),
            a.shape[0] // 3 + a.shape[1] % 5,
        ),
        (sym,),
    )
    yield (
        "symbolic_matmul",
        lambda a, w: jax.nn.softmax(jnp.tanh(a @ w), axis=-1),
        (sym, jax.ShapeDtypeStruct((2 * s, 4), np.float32)),
    )

    try:
        import flax.linen as nn

        class Tiny(nn.Module):
            @nn.compact
            def __call__(self, v):
                v = nn.Conv(2, (3, 3))(v)
                v = nn.relu(v).reshape(v.shape[0], -1)
                v = nn.Dense(4)(v)
                return nn.LayerNorm()(v)

        m = Tiny()
        inp = f32(1, 4, 4, 1)
        params = m.init(jax.random.key(0), inp)
        yield "flax_tiny", lambda v: m.apply(params, v), (inp,)
    except ImportError:
        print("make_corpus: flax is not installed; no flax seed", file=sys.stderr)


def as_minor0(b: bytes) -> bytes:
    """A format 1.1 file as a 1.0 file: minor 0 and no checksum (zeros)."""
    m = bytearray(b)
    struct.pack_into("<H", m, 10, 0)  # minor
    struct.pack_into("<I", m, 48, 0)
    return bytes(m)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="corpus folder (created)")
    ap.add_argument("--minor0", action="store_true", help="write format 1.0 files (no checksum)")
    args = ap.parse_args()

    import ovjax

    args.out.mkdir(parents=True, exist_ok=True)
    n = failed = 0
    for i, (name, fn, example) in enumerate(seeds()):
        try:
            data = ovjax.serialize(fn, example)
        except Exception as e:  # noqa: BLE001 - a seed JAX cannot trace here is skipped, not fatal
            print(f"make_corpus: {name}: {type(e).__name__}: {str(e)[:200]}", file=sys.stderr)
            failed += 1
            continue
        if args.minor0:
            data = as_minor0(data)
        (args.out / f"{i:02d}_{name}.ovjax").write_bytes(data)
        n += 1
    print(f"make_corpus: {n} seeds in {args.out}" + (f" ({failed} failed)" if failed else ""))
    return 0 if n else 1


if __name__ == "__main__":
    sys.exit(main())
