"""Small helpers shared by tests (not fixtures: plain functions)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_honest(*args, input_text=None, timeout=600, env=None):
    """Run the ``honest`` CLI in a subprocess; returns CompletedProcess."""
    e = dict(os.environ, PYTHONUNBUFFERED="1", **(env or {}))
    return subprocess.run([sys.executable, "-m", "honest_cli", *map(str, args)],
                          input=input_text, capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, env=e)


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
