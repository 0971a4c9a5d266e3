"""Generate the Python gRPC code from ``proto/`` into this package (``make proto``).

protoc writes imports from the proto path (``from kepu.v1 import ...``); mapping the
virtual path ``libs/common/api`` onto ``proto/`` makes them importable package paths
instead, with no sys.path tricks and no post-processing.
"""
from __future__ import annotations

import sys
from pathlib import Path

from grpc_tools import protoc

from libs.common.settings import REPO_ROOT

VIRTUAL = "libs/common/api"


def proto_files() -> list[str]:
    return sorted(str(p.relative_to(REPO_ROOT / "proto")) for p in (REPO_ROOT / "proto").rglob("*.proto"))


def generate(out_dir: Path = REPO_ROOT) -> None:
    import grpc_tools

    include = Path(grpc_tools.__file__).parent / "_proto"
    args = ["protoc", f"-I{VIRTUAL}={REPO_ROOT / 'proto'}", f"-I{include}",
            f"--python_out={out_dir}", f"--grpc_python_out={out_dir}", f"--pyi_out={out_dir}",
            *[f"{VIRTUAL}/{name}" for name in proto_files()]]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed; see the message above")
    for pkg in {(out_dir / VIRTUAL / name).parent for name in proto_files()}:
        while pkg != out_dir / VIRTUAL:
            (pkg / "__init__.py").touch()
            pkg = pkg.parent


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO_ROOT)
