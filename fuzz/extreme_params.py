"""Write files whose integer parameters take extreme values: a deterministic sweep that
complements the fuzzers' random search for overflowing shape arithmetic.

    PYTHONPATH=src/python python fuzz/extreme_params.py build/fuzz-extremes
    build/fuzz/fuzz/fuzz_convert build/fuzz-extremes/*.ovjax    # sanitized replay

For every seed of fuzz/make_corpus.py and every integer inside a parameter of one of its
top-level equations (an int, or an int inside nested tuples: sizes, strides, dilations,
paddings, axes, lengths, counts), one file per extreme value replaces that integer alone.
Every file must be converted or rejected with a clean error: under AddressSanitizer and
UndefinedBehaviorSanitizer, any report is a bug (docs/fuzzing.md).
"""

from __future__ import annotations

import argparse
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import jax  # noqa: E402
import numpy as np  # noqa: E402
from jax.extend.core import ClosedJaxpr  # noqa: E402

import make_corpus  # noqa: E402
import ovjax  # noqa: E402

EXTREMES = (2**63 - 1, -(2**63), 2**62, -(2**62), 2**32 + 1, 2**31 - 1, -1, 0)


def int_paths(value, path=()):
    """Paths (tuple indices) of the ints inside a param value (bools excluded)."""
    if isinstance(value, (bool, np.bool_)):
        return
    if isinstance(value, (int, np.integer)):
        yield path
    elif isinstance(value, tuple):
        for i, v in enumerate(value):
            yield from int_paths(v, path + (i,))


def replace(value, path, new):
    if not path:
        return new
    items = list(value)
    items[path[0]] = replace(items[path[0]], path[1:], new)
    return tuple(items)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    # The serializer trusts its jaxpr: a count such as scan's num_consts at 2^62 makes it
    # build a list that long. An address-space limit turns that into a MemoryError (the
    # case is skipped) instead of a machine out of memory.
    resource.setrlimit(resource.RLIMIT_AS, (8 << 30, resource.getrlimit(resource.RLIMIT_AS)[1]))
    written = skipped = 0
    for name, fn, xs in make_corpus.seeds():
        try:
            cj = jax.make_jaxpr(fn)(*xs)
        except Exception:  # noqa: BLE001 - a seed some JAX release cannot trace
            continue
        j = cj.jaxpr
        for k, e in enumerate(j.eqns):
            for pname, pval in e.params.items():
                for path in int_paths(pval):
                    for x in EXTREMES:
                        eqns = list(j.eqns)
                        eqns[k] = e.replace(params={**e.params, pname: replace(pval, path, x)})
                        try:
                            data = ovjax.serialize(ClosedJaxpr(j.replace(eqns=eqns), cj.consts))
                        except Exception:  # noqa: BLE001 - the serializer refuses it: nothing to replay
                            skipped += 1
                            continue
                        where = "_".join(map(str, path)) or "v"
                        (args.out / f"{name}-{k}-{e.primitive.name}-{pname}-{where}-{x}.ovjax").write_bytes(data)
                        written += 1
    print(f"extreme_params: {written} files in {args.out} ({skipped} refused by the serializer)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
