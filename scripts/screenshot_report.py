"""Render an ``honest audit`` report in headless Chromium and save a screenshot.

    .venv/bin/python scripts/screenshot_report.py --sample             # docs/audit-report.png
    .venv/bin/python scripts/screenshot_report.py --report runs/audit --out shot.png

``--sample`` first builds the README's sample run: 300 GraphLA + 300 GraphLI items
(seed 1, depth 1-8), two synthetic models (``clients/audit/sample.py``), audited into
``--report`` (default ``runs/audit-sample``). Needs Chromium (Debian: ``apt-get install
-y chromium``); it runs without a sandbox when run as root, with networking, sync and
component updates off, in a throw-away profile.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("no Chromium found: apt-get install -y chromium")


def screenshot(html: Path, out: Path, size: str = "1280,2000", timeout: float = 120) -> None:
    """Render ``html`` (a local file) and write a PNG screenshot to ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        cmd = [chromium(), "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}",
               f"--screenshot={out.resolve()}", f"--window-size={size}",
               html.resolve().as_uri()]
        if os.geteuid() == 0:
            cmd.insert(2, "--no-sandbox")
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0 or not out.exists():
        raise SystemExit(f"chromium failed ({proc.returncode}): {proc.stderr[-2000:]}")


def build_sample(report: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from clients.audit.sample import synthetic_outputs
    from verifier import tasks
    items = []
    for task in ("graphla", "graphli"):
        items += tasks.get(task).generate(tasks.config(task, depth="1-8"), 300, seed=1)
    report.mkdir(parents=True, exist_ok=True)
    outputs = report / "outputs.jsonl"
    with open(outputs, "w", encoding="utf-8") as f:
        for row in synthetic_outputs(items, seed=0):
            f.write(json.dumps(row) + "\n")
    def shown(p: Path) -> str:  # the report names its input: keep the path short
        try:
            return str(p.resolve().relative_to(ROOT))
        except ValueError:
            return str(p)

    subprocess.run([sys.executable, "-m", "honest_cli", "audit", shown(outputs), "--report",
                    shown(report), "--by", "meta.perturbation", "--no-progress"],
                   cwd=ROOT, check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--report", default=str(ROOT / "runs" / "audit-sample"),
                    help="directory holding report.html")
    ap.add_argument("--out", default=str(ROOT / "docs" / "audit-report.png"))
    ap.add_argument("--sample", action="store_true", help="build the sample run first")
    ap.add_argument("--window-size", default="1280,2000")
    args = ap.parse_args()
    report = Path(args.report)
    if args.sample:
        build_sample(report)
    html = report / "report.html"
    if not html.exists():
        raise SystemExit(f"no {html}: run honest audit first (or pass --sample)")
    screenshot(html, Path(args.out), args.window_size)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
