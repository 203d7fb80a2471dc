"""benchmarks/soak.py (its code is in benchmarks/soaklib/): it runs as a script from any
directory, and end to end with tiny settings it starts its own server, runs all three phases,
stops by itself, and finds no wrong reward and no crash (loopback only, ~20 s)."""

import json
import subprocess
import sys

import pytest

from service_helpers import ROOT


def test_soak_script_runs_from_another_directory(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "soak.py"), "--help"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "--hostile-seconds" in r.stdout and "--max-total-seconds" in r.stdout


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_soak_script_finds_no_wrong_reward_and_no_crash(tmp_path):
    out = tmp_path / "soak.json"
    r = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "soak.py"), "--seconds", "2",
         "--hostile", "14", "--workers", "1", "--clients", "4", "--channels", "2",
         "--kills", "1", "--max-solve-seconds", "2", "--max-total-seconds", "40",
         "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=100)
    assert out.exists(), r.stdout[-3000:] + r.stderr[-3000:]
    summary = json.loads(out.read_text())
    assert set(summary["phases"]) == {"hostile", "load", "faults"}
    assert summary["phases"]["hostile"]["cases"] == 14
    assert summary["phases"]["faults"]["kills"] == 1
    wrong = [f for f in summary["findings"] if f["kind"] in ("wrong_reward", "crash")]
    assert summary["defects"]["wrong_reward"] == 0 and summary["defects"]["crash"] == 0, wrong
    assert r.stdout.strip().splitlines()[-1] == out.read_text().strip()  # the JSON line
