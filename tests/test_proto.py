"""The committed protocol stubs match what the pinned grpcio-tools generates from the .proto."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GENERATED = ["verifier_pb2.py", "verifier_pb2.pyi", "verifier_pb2_grpc.py"]


@pytest.mark.skipif(importlib.util.find_spec("grpc_tools") is None,
                    reason="grpcio-tools (dev extra) not installed")
def test_committed_stubs_match_regenerated(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_proto.py"), "--out",
                    str(tmp_path)], check=True)
    for name in GENERATED:
        fresh = (tmp_path / "honest" / "v1" / name).read_text()
        committed = (ROOT / "proto" / "honest" / "v1" / name).read_text()
        assert fresh == committed, f"{name} is stale: run scripts/gen_proto.py and commit"


def test_every_rpc_and_field_is_commented():
    text = (ROOT / "proto" / "honest" / "v1" / "verifier.proto").read_text().splitlines()
    for i, line in enumerate(text):
        s = line.strip()
        if s.startswith("rpc "):
            assert text[i - 1].strip().startswith("//"), f"uncommented rpc: {s}"
