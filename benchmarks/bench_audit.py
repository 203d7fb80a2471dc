"""Throughput of ``honest audit`` against ``honest check``, measured in the same run.

    .venv/bin/python benchmarks/bench_audit.py [--items 1000] [--workers 2]

Input: ``--items`` generated problems (half GraphLA, half GraphLI, depth 2-8) and two
synthetic models (``clients/audit/sample.py``), so 2 × items output lines, 2 lines per
problem. Every path reads the same JSONL file and serialises one JSON line per input line
(as the commands do); the audit also tallies the summary. Printed as items/s and as a
ratio to the baseline of the same kind:

- service: baseline = one ``Verify`` call per line (what ``honest check --server
  --jsonl`` does); audit = one ``VerifyBatch`` per 1,024 lines, lines sharing a problem
  in one group (``--no-steps``), then the same with the step audit, which runs in this
  (client) process. The server (``honest serve --workers N``, a subprocess on loopback)
  is measured cold (its first pass: every problem new) and warm (problems cached);
- in process: baseline = ``LocalChecker`` per line (one solve per line, as
  ``honest check --jsonl``); audit = one solve per distinct problem, then the same with
  the step audit.

The HTML report (3 PNGs) is timed once at the end.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def make_outputs(path: Path, n_items: int) -> int:
    from clients.audit.sample import synthetic_outputs
    from verifier import tasks
    items = []
    for task in ("graphla", "graphli"):
        items += tasks.get(task).generate(tasks.config(task, depth="2-8"), n_items // 2, seed=5)
    rows = synthetic_outputs(items, seed=0)
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    return len(rows)


def start_server(tmp: Path, workers: int) -> tuple[subprocess.Popen, str]:
    from service_port import free_port
    port, pf = free_port(), tmp / "port"
    proc = subprocess.Popen([sys.executable, "-m", "honest_cli", "serve", "--port", str(port),
                             "--port-file", str(pf), "--workers", str(workers)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t_end = time.monotonic() + 120
    while not pf.exists():
        if proc.poll() is not None or time.monotonic() > t_end:
            raise SystemExit("the verifier service did not start")
        time.sleep(0.1)
    return proc, f"127.0.0.1:{port}"


def time_baseline(path: Path, checker) -> tuple[int, float]:
    """``honest check --jsonl``'s loop: one ``checker.check`` per line."""
    from clients.jsonl import read_jsonl as read_records
    from verifier.errors import HonestError
    t0 = time.perf_counter()
    n = 0
    for lineno, rec in read_records(str(path)):
        try:
            if isinstance(rec, HonestError):
                raise rec
            out = checker.check(rec, True)
        except HonestError as e:
            out = {"line": lineno, "error": e.to_dict()}
        json.dumps(out)
        n += 1
    return n, time.perf_counter() - t0


def time_audit(path: Path, grader, steps: bool, cache=None):
    from clients.audit.pipeline import AuditPass, ProblemCache
    from clients.jsonl import read_jsonl as read_records
    from clients.audit.summary import Summary
    audit = AuditPass(grader, steps=steps, cache=cache or ProblemCache())
    summary = Summary()
    t0 = time.perf_counter()
    n = 0
    for item, _ in audit.run(read_records(str(path))):
        json.dumps(item)
        summary.add(item)
        n += 1
    return n, time.perf_counter() - t0, summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=1000, help="problems (output lines: 2x)")
    ap.add_argument("--workers", type=int, default=2, help="solver workers of the service")
    args = ap.parse_args()
    from clients.audit.pipeline import LocalGrader, ProblemCache, RemoteGrader
    from clients.checking import LocalChecker, RemoteChecker

    rows: list[tuple[str, int, float, str]] = []  # (path, lines, seconds, baseline name)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_p = Path(tmp)
        path = tmp_p / "outputs.jsonl"
        lines = make_outputs(path, args.items)
        print(f"{lines} output lines over {args.items} problems", file=sys.stderr)
        proc, address = start_server(tmp_p, args.workers)
        try:
            remote = RemoteGrader(address)
            n, s, _ = time_audit(path, remote, steps=False)
            rows.append(("audit --server --no-steps, cold server", n, s, "service"))
            n, s = time_baseline(path, RemoteChecker(address))
            rows.append(("service baseline: 1 Verify per line (honest check --server)", n, s,
                         "service"))
            n, s, _ = time_audit(path, RemoteGrader(address), steps=False)
            rows.append(("audit --server --no-steps (VerifyBatch)", n, s, "service"))
            n, s, _ = time_audit(path, RemoteGrader(address), steps=True)
            rows.append(("audit --server, step audit in this process", n, s, "service"))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        n, s = time_baseline(path, LocalChecker())
        rows.append(("in-process baseline: LocalChecker per line (honest check)", n, s,
                     "local"))
        cache = ProblemCache()
        n, s, _ = time_audit(path, LocalGrader(cache=cache), steps=False, cache=cache)
        rows.append(("audit --no-steps, in process", n, s, "local"))
        cache = ProblemCache()
        n, s, summary = time_audit(path, LocalGrader(cache=cache), steps=True, cache=cache)
        rows.append(("audit, in process, with step audit", n, s, "local"))
        from clients.audit.report import Examples, write_report
        t0 = time.perf_counter()
        write_report(tmp_p, summary, Examples(3), str(path))
        report_s = time.perf_counter() - t0

    base = {kind: n / s for name, n, s, kind in rows if "baseline" in name}
    print(f"{'path':<62} {'lines':>6} {'s':>7} {'items/s':>9} {'x base':>7}")
    for name, n, s, kind in rows:
        rate = n / s
        print(f"{name:<62} {n:>6} {s:>7.2f} {rate:>9,.0f} {rate / base[kind]:>6.1f}x")
    print(f"report.html + 3 PNGs: {report_s:.2f} s")


if __name__ == "__main__":
    main()
