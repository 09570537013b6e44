"""`ovjax` command line: inspect or convert .ovjax files."""

from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="ovjax", description="Convert an .ovjax file to OpenVINO IR")
    p.add_argument("model", help="path of an .ovjax file")
    p.add_argument("-o", "--output", help="write OpenVINO IR (.xml) here")
    a = p.parse_args(argv)
    import openvino as ov

    import ovjax  # noqa: F401 - registers the frontend

    m = ov.convert_model(a.model)
    print(f"{a.model}: {len(m.inputs)} inputs, {len(m.outputs)} outputs, {len(m.get_ops())} operations")
    if a.output:
        ov.save_model(m, a.output)
        print(f"wrote {a.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
