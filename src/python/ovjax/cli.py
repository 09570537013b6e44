"""The `ovjax` command: convert JAX models and .ovjax files to OpenVINO IR, inspect files.

    ovjax convert m.ovjax -o m.xml [--no-compress-to-fp16]
    ovjax convert pkg.module:fn --example-input 1x128:int32 1x128:int32 -o m.xml
    ovjax info m.ovjax
    ovjax frontend install            (OpenVINO's own tools then open .ovjax files)
    ovjax frontend uninstall | status
    ovjax m.ovjax -o m.xml            (the older spelling of `ovjax convert`)

Exit codes: 0 done, 2 bad command line, 3 no such file (or module / attribute), 4 not an
.ovjax file or a damaged one, 5 the model does not convert.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import struct
import sys

EXIT_OK, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_BAD_FILE, EXIT_CONVERSION = 0, 2, 3, 4, 5


def _message(e: Exception) -> str:
    """An exception's text without OpenVINO's "Exception from <source file>:<line>:" lines."""
    lines = [
        ln for ln in str(e).strip().splitlines() if not re.match(r"^(Check .* failed at|Exception from) .*:\d+:?$", ln)
    ]
    return "\n".join(lines).strip()


class CliError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


def _check_file(path: str) -> None:
    """A path that exists, is a file and starts with the .ovjax magic bytes."""
    from .format import MAGIC

    if not os.path.exists(path):
        raise CliError(EXIT_NOT_FOUND, f"no file {path!r}")
    if not os.path.isfile(path):
        raise CliError(EXIT_NOT_FOUND, f"{path!r} is not a file")
    with open(path, "rb") as f:
        head = f.read(len(MAGIC))
    if head != MAGIC:
        raise CliError(EXIT_BAD_FILE, f"{path!r} is not an .ovjax file (it starts with {head!r}, not {MAGIC!r})")


_SPEC = re.compile(r"^(?P<shape>[^:]*)(?::(?P<dtype>[A-Za-z0-9_]+))?$")


def _load(path: str):
    """(frontend, input model) of an .ovjax file the reader accepts: every field is checked
    when the file is opened, so a damaged file is exit 4 here and a conversion error later
    is the model's (exit 5)."""
    from . import _library

    _check_file(path)
    fe = _library.frontend()
    try:
        return fe, fe.load(path)
    except Exception as e:
        raise CliError(EXIT_BAD_FILE, f"{path}: {_message(e)}") from e


def parse_example(spec: str):
    """'2x3:float32' (or '2,3', '[]' for a scalar; float32 when no type) -> (zeros array,
    input shape with symbol names kept: 'Bx3' is a dynamic B, traced at size 2)."""
    import numpy as np

    m = _SPEC.match(spec.strip())
    if not m:
        raise CliError(EXIT_USAGE, f"--example-input {spec!r}: expected SHAPE[:DTYPE], e.g. 1x128:int32")
    text = m.group("shape").strip().strip("[]()")
    dims = [d for d in re.split(r"[x,\s]+", text) if d] if text else []
    shape, concrete = [], []
    for d in dims:
        if d.isdigit():
            shape.append(int(d))
            concrete.append(int(d))
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*|\?|-1", d):
            shape.append(d if d not in ("?", "-1") else -1)
            concrete.append(2)
        else:
            raise CliError(EXIT_USAGE, f"--example-input {spec!r}: {d!r} is not a size or a dimension name")
    dtype = m.group("dtype") or "float32"
    try:
        if dtype == "bfloat16":
            import ml_dtypes

            np_dtype = np.dtype(ml_dtypes.bfloat16)
        else:
            np_dtype = np.dtype(dtype)
    except TypeError:
        raise CliError(EXIT_USAGE, f"--example-input {spec!r}: unknown element type {dtype!r}") from None
    return np.zeros(concrete, np_dtype), tuple(shape)


def _import_object(ref: str):
    """'pkg.module:attr.sub' -> the object."""
    module_name, _, attr = ref.partition(":")
    if not module_name or not attr:
        raise CliError(EXIT_USAGE, f"{ref!r}: expected an .ovjax file or MODULE:OBJECT (e.g. mypkg.models:forward)")
    sys.path.insert(0, os.getcwd())  # as `python -m` would find a module of the current directory
    try:
        obj = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        raise CliError(EXIT_NOT_FOUND, f"cannot import {module_name!r}: {e}") from e
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise CliError(EXIT_NOT_FOUND, f"{module_name!r} has no {attr!r} (no attribute {part!r})")
        obj = getattr(obj, part)
    return obj


def convert(a) -> int:
    import openvino as ov

    import ovjax

    is_file = a.model.endswith(".ovjax") or os.path.exists(a.model) or ":" not in a.model
    if is_file:
        fe, im = _load(a.model)
        if a.example_input:
            raise CliError(
                EXIT_USAGE, "--example-input applies to MODULE:OBJECT, not to an .ovjax file (traced already)"
            )
        default_out = os.path.splitext(a.model)[0] + ".xml"
    else:
        source = _import_object(a.model)
        if not a.example_input:
            raise CliError(EXIT_USAGE, f"converting {a.model!r} needs --example-input (one SHAPE[:DTYPE] per argument)")
        default_out = a.model.partition(":")[2].replace(".", "_") + ".xml"
    out = a.output or default_out
    try:
        if is_file:
            m = fe.convert(im)
        else:
            parsed = [parse_example(s) for s in a.example_input]
            args = tuple(p[0] for p in parsed)
            symbolic = any(isinstance(d, str) or d == -1 for p in parsed for d in p[1])
            m = ovjax.convert_model(source, example_input=args, input=[p[1] for p in parsed] if symbolic else None)
    except CliError:
        raise
    except Exception as e:  # the reader's and the translators' messages name what was wrong
        raise CliError(EXIT_CONVERSION, f"{a.model}: {_message(e)}") from e
    ov.save_model(m, out, compress_to_fp16=a.compress_to_fp16)
    print(f"{a.model}: {len(m.inputs)} inputs, {len(m.outputs)} outputs, {len(m.get_ops())} operations")
    print(f"wrote {out} (weights {'compressed to f16' if a.compress_to_fp16 else 'as they are'})")
    return EXIT_OK


def _port(p) -> str:
    names = p.get_names()
    name = sorted(names)[0] if names else "?"
    return f"{name} {p.get_element_type().get_type_name()}{p.get_partial_shape()}"


def info(a) -> int:
    fe, im = _load(a.file)
    try:
        m = fe.convert_partially(im)
    except Exception as e:
        raise CliError(EXIT_BAD_FILE, f"{a.file}: {_message(e)}") from e

    def rt(key, default="?"):
        return m.get_rt_info(["ovjax", key]).astype(str) if m.has_rt_info(["ovjax", key]) else default

    with open(a.file, "rb") as f:
        head = f.read(12)
    major, minor = struct.unpack_from("<HH", head, 8)
    size = os.path.getsize(a.file)
    print(f"file:        {a.file} ({size:,} bytes), format {major}.{minor}")
    print(f"written by:  ovjax {rt('writer_version')}, jax {rt('jax_version')}")
    print(f"inputs:      {len(m.inputs)}")
    for p in m.inputs:
        print(f"  {_port(p)}")
    print(f"outputs:     {len(m.outputs)}")
    for p in m.outputs:
        print(f"  {_port(p)}")
    hist = [item.rsplit(":", 1) for item in rt("primitives", "").split(",") if item]
    print(f"equations:   {rt('equations')} ({len(hist)} primitives)")
    width = max((len(name) for name, _ in hist), default=0)
    for name, n in hist:
        print(f"  {name:<{width}} {int(n):>7}")
    unsupported = {}
    for op in m.get_ordered_ops():
        if op.get_type_name() == "FrameworkNode":
            prim = re.sub(r"_\d+$", "", op.get_friendly_name().rsplit("/", 1)[-1])
            src = op.get_rt_info()["ovjax_source"].astype(str) if "ovjax_source" in op.get_rt_info() else "?"
            unsupported.setdefault(prim, []).append(src)
    if unsupported:
        print(f"unsupported: {sum(len(v) for v in unsupported.values())} equations")
        for prim, srcs in sorted(unsupported.items()):
            print(f"  {prim} x{len(srcs)}: {', '.join(sorted(set(srcs))[:3])}")
    else:
        print("unsupported: none")
    print(f"weights:     {int(rt('weight_bytes', '0')):,} bytes")
    return EXIT_OK


def frontend(a) -> int:
    from . import _frontend_install as fi

    if a.action == "install":
        target, note = fi.install()
        print(f"installed the ovjax frontend as {target}")
        print("OpenVINO's Core.read_model, ovc and benchmark_app now open .ovjax files without `import ovjax`.")
        print(note)
    elif a.action == "uninstall":
        removed = fi.uninstall()
        print(f"removed {removed}" if removed else "the ovjax frontend was not installed in OpenVINO")
    else:
        target = fi.installed()
        print(f"installed: {target}" if target else f"not installed (would be {fi.target_path()})")
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ovjax", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("convert", help="convert an .ovjax file, or a JAX function or module by import path, to IR")
    c.add_argument("model", help="an .ovjax file, or MODULE:OBJECT (a function, jitted function or module)")
    c.add_argument("-o", "--output", help="the IR's .xml path (default: next to the file, or OBJECT.xml)")
    c.add_argument(
        "--example-input",
        nargs="+",
        metavar="SHAPE[:DTYPE]",
        help="one per positional argument of MODULE:OBJECT: 2x3:float32, 1x128:int32, Bx128:int32 "
        "(a name is a dynamic dimension), [] for a scalar",
    )
    fp16 = c.add_mutually_exclusive_group()
    fp16.add_argument(
        "--compress-to-fp16",
        dest="compress_to_fp16",
        action="store_true",
        default=True,
        help="store f32 weights as f16 in the IR (ov.save_model's default)",
    )
    fp16.add_argument("--no-compress-to-fp16", dest="compress_to_fp16", action="store_false")
    i = sub.add_parser("info", help="what an .ovjax file holds")
    i.add_argument("file")
    f = sub.add_parser(
        "frontend",
        help="make OpenVINO's own tools (Core.read_model, ovc, benchmark_app) open .ovjax files",
        description="install: a link to ovjax's frontend library in the openvino package's libs directory, "
        "where OpenVINO discovers frontends (recorded in ovjax's pip RECORD, so `pip uninstall ovjax` removes "
        "it too); uninstall: remove it; status: say whether it is there.",
    )
    f.add_argument("action", choices=("install", "uninstall", "status"))
    return p


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] not in ("convert", "info", "frontend", "-h", "--help"):
        argv = ["convert", *argv]  # `ovjax m.ovjax -o m.xml`, as before the subcommands
    a = _parser().parse_args(argv)
    try:
        return {"convert": convert, "info": info, "frontend": frontend}[a.command](a)
    except CliError as e:
        print(f"ovjax: {e}", file=sys.stderr)
        return e.code


if __name__ == "__main__":
    sys.exit(main())
