"""Generate the Python gRPC code from ``proto/`` into this package (``make proto``).

protoc writes imports from the proto path (``from kepu.v1 import resources_pb2``), which a
client generated from ``proto/`` alone wants. Here the code lives in ``libs.common.api``, so
those imports are rewritten to that package: one textual change, checked by the freshness test.
"""
from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc

from libs.common.settings import REPO_ROOT

PACKAGE = "libs.common.api"
PACKAGE_DIR = Path(*PACKAGE.split("."))
_IMPORT = re.compile(r"^from kepu\.", re.MULTILINE)


def proto_files() -> list[str]:
    return sorted(str(p.relative_to(REPO_ROOT / "proto")) for p in (REPO_ROOT / "proto").rglob("*.proto"))


def run_protoc(out_dir: Path) -> None:
    """protoc over every file of ``proto/``, as any client would run it."""
    import grpc_tools

    include = Path(grpc_tools.__file__).parent / "_proto"
    args = ["protoc", f"-I{REPO_ROOT / 'proto'}", f"-I{include}", f"--python_out={out_dir}",
            f"--grpc_python_out={out_dir}", f"--pyi_out={out_dir}", *proto_files()]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed; see the message above")


def generate(out_root: Path = REPO_ROOT) -> None:
    target = out_root / PACKAGE_DIR
    with tempfile.TemporaryDirectory() as tmp:
        run_protoc(Path(tmp))
        for made in sorted(Path(tmp).rglob("*.py*")):
            dest = target / made.relative_to(tmp)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(_IMPORT.sub(f"from {PACKAGE}.kepu.", made.read_text()))
    for name in proto_files():
        pkg = (target / name).parent
        while pkg != target:
            (pkg / "__init__.py").touch()
            pkg = pkg.parent


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO_ROOT)
