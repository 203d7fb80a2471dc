"""Regenerate the Python stubs of proto/honest/v1/verifier.proto (committed to the repo).

    .venv/bin/python scripts/gen_proto.py            # write proto/honest/v1/*_pb2*.py(i)
    .venv/bin/python scripts/gen_proto.py --out DIR  # write elsewhere (the test compares)

Uses grpcio-tools pinned in pyproject.toml, so the output is reproducible.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROTO = "honest/v1/verifier.proto"


def generate(out: Path) -> None:
    from grpc_tools import protoc
    import grpc_tools

    include = Path(grpc_tools.__file__).parent / "_proto"
    out.mkdir(parents=True, exist_ok=True)
    rc = protoc.main(["protoc", f"-I{ROOT / 'proto'}", f"-I{include}", f"--python_out={out}",
                      f"--pyi_out={out}", f"--grpc_python_out={out}", str(ROOT / "proto" / PROTO)])
    if rc != 0:
        raise SystemExit(f"protoc failed with exit code {rc}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "proto")
    generate(ap.parse_args().out)
    sys.exit(0)
