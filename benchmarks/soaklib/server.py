"""The server under test: ``honest serve`` (``python -m honest_cli serve``) started on
loopback in its own process group, its solver workers, their memory, and a stop that kills
the whole group."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil

from service_port import free_port  # benchmarks/ (soak.py puts it on sys.path)

from .common import ROOT, log


def _unless_gone(default, read):
    """``read()``, or ``default`` if the process it asks about is gone or out of reach."""
    try:
        return read()
    except psutil.Error:
        return default


class Server:
    """``honest serve`` in its own process group (it and its solver workers)."""

    def __init__(self, tmp: Path, workers: int, max_solve_s: float):
        self.tmp, self.n_workers, self.max_solve_s = tmp, workers, max_solve_s
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        self.port_file = self.tmp / f"serve{self.starts}.port"
        self.log_path = self.tmp / f"serve{self.starts}.log"
        self.metrics_port = free_port()
        cmd = [sys.executable, "-m", "honest_cli", "serve", "--host", "127.0.0.1",
               "--port", "0", "--port-file", str(self.port_file),
               "--workers", str(self.n_workers), "--max-solve-seconds", str(self.max_solve_s),
               "--metrics-port", str(self.metrics_port), "--grace", "1"]
        env = dict(os.environ, PYTHONUNBUFFERED="1",
                   PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "proto"),
                                               os.environ.get("PYTHONPATH", "")]))
        with open(self.log_path, "w") as out:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=env,
                                         start_new_session=True)
        t_end = time.monotonic() + 120
        while not self.port_file.exists():
            if self.proc.poll() is not None or time.monotonic() > t_end:
                self.stop()
                raise SystemExit("honest serve did not start:\n" + self.log_tail())
            time.sleep(0.05)
        lines = self.port_file.read_text().split("\n")
        self.port = int(lines[0])
        for line in lines[1:]:  # newer servers also write "metrics <port>"
            if line.startswith("metrics "):
                self.metrics_port = int(line.split()[1])
        self.address = f"127.0.0.1:{self.port}"
        log(f"soak: honest serve pid {self.proc.pid} on {self.address}, "
            f"{self.n_workers} workers, log {self.log_path}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def workers(self) -> list[psutil.Process]:
        kids = _unless_gone([], lambda: psutil.Process(self.proc.pid).children(recursive=True))
        return [k for k in kids
                if "verifier.service.workers" in " ".join(_unless_gone((), k.cmdline))]

    def rss_mb(self) -> tuple[float, float]:
        """(server RSS, sum of its workers' RSS), MB."""
        server = _unless_gone(float("nan"),
                              lambda: psutil.Process(self.proc.pid).memory_info().rss / 2**20)
        total = 0.0
        for w in self.workers():
            total += _unless_gone(0.0, lambda: w.memory_info().rss / 2**20)
        return server, total

    def restarts(self) -> float | None:
        """``honest_worker_restarts`` from the Prometheus endpoint; None if unreadable."""
        try:
            body = urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics",
                                          timeout=3).read().decode()
        except OSError:
            return None
        m = re.search(r"^honest_worker_restarts_total\s+(\S+)", body, re.M)
        return float(m.group(1)) if m else None

    def log_tail(self, n: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM, a short drain, then SIGKILL to the whole group (workers included)."""
        if self.proc is None:
            return
        pgid = self.proc.pid  # start_new_session: the group is ours alone
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
