"""The health probe: ``grpc.health.v1.Health/Check`` every 200 ms with a 1 s deadline from
a separate process (a frozen event loop in the server shows up there), and the runs of
unanswered checks found in its samples."""

from __future__ import annotations

import subprocess
import sys
import threading

from .common import HEALTH_TIMEOUT_S

_PROBE = r"""
import os, sys, time, grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
parent, address = os.getppid(), sys.argv[1]
interval, timeout = float(sys.argv[2]), float(sys.argv[3])
stub = health_pb2_grpc.HealthStub(grpc.insecure_channel(address))
while os.getppid() == parent:
    t0 = time.monotonic()
    try:
        stub.Check(health_pb2.HealthCheckRequest(), timeout=timeout)
        code = "OK"
    except grpc.RpcError as e:
        code = e.code().name
    print(f"{t0:.6f} {time.monotonic() - t0:.6f} {code}", flush=True)
    time.sleep(max(0.0, interval - (time.monotonic() - t0)))
"""


class HealthProbe:
    """Health checks every 200 ms from another process, so that nothing this script does
    (building a 100 MB request, solving an oracle problem) can delay them."""

    def __init__(self):
        self.samples: list[tuple[float, float, str]] = []  # (start, seconds, code)
        self.proc: subprocess.Popen | None = None

    def start(self, address: str) -> None:
        self.stop()
        self.proc = subprocess.Popen([sys.executable, "-c", _PROBE, address, "0.2",
                                      str(HEALTH_TIMEOUT_S)], stdout=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, text=True)
        threading.Thread(target=self._read, args=(self.proc,), daemon=True).start()

    def _read(self, proc) -> None:
        for line in proc.stdout:
            t0, dt, code = line.split()
            self.samples.append((float(t0), float(dt), code))

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


def unanswered_runs(samples: list[tuple[float, float, str]], a: float, b: float
                    ) -> tuple[float, list[tuple[float, float, float | None]]]:
    """In the window [a, b) of sorted ``samples``: the largest health latency (an answered
    check's, or a run of unanswered ones'), seconds, and each run of unanswered (late or
    DEADLINE_EXCEEDED) checks as (start, end, seconds unanswered); a run still going at
    ``b`` ends at ``b`` with None seconds."""
    worst, runs = 0.0, []
    run_start = None
    for t0, dt, code in samples:
        if not a <= t0 < b:
            continue
        late = code == "DEADLINE_EXCEEDED" or dt > HEALTH_TIMEOUT_S
        if late and run_start is None:
            run_start = t0
        if not late and run_start is not None:
            frozen = t0 + dt - run_start
            worst = max(worst, frozen)
            runs.append((run_start, t0, frozen))
            run_start = None
        if code == "OK":
            worst = max(worst, dt)
    if run_start is not None:
        runs.append((run_start, b, None))
    return worst, runs
