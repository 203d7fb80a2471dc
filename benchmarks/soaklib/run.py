"""One whole soak run from parsed arguments: start the server and the health probe, arm the
watchdog, run the phases, stop everything (also on an exception, SIGINT or SIGTERM), print
the report and the JSON line, and return the exit status (0 pass, 1 fail)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

from .common import log
from .hostile import phase_hostile
from .load import phase_load
from .oracle import Oracle
from .probe import HealthProbe
from .problems import calibrate_dense
from .report import finite, print_report, summarize
from .server import Server
from .session import Soak


def watchdog(server: Server, probe: HealthProbe, seconds: float) -> None:
    """Last resort for the total bound: if the run is still going ``seconds`` from now
    (something this script waits on never returned), kill everything and exit 1."""
    def fire():
        time.sleep(seconds)
        log(f"soak: still running {seconds:.0f} s after the start; killing the server and "
            "exiting (a hang in this script or the server)")
        probe.stop()
        server.stop()
        os._exit(1)
    threading.Thread(target=fire, daemon=True, name="soak-watchdog").start()


async def run_phases(soak: Soak, args) -> dict[str, tuple[float, float]]:
    """The phases not skipped, in order, while time is left; their (start, end) times."""
    windows = {}
    await soak.connect()
    from verifier.tasks import graphla, graphli
    soak.items = [(graphla if i % 2 == 0 else graphli).generate_item(
        graphla.GraphLAConfig(depth="2-6") if i % 2 == 0 else graphli.GraphLIConfig(depth="2-6"),
        args.seed + 10_000, i) for i in range(64)]
    for name, run in (("hostile", lambda: phase_hostile(soak)),
                      ("load", lambda: phase_load(soak, "load", args.seconds, 0)),
                      ("faults", lambda: phase_load(soak, "faults", args.seconds, args.kills))):
        if name in args.skip:
            continue
        if time.monotonic() > soak.t_end_total - 5:
            log(f"soak: no time left for the {name} phase (--max-total-seconds)")
            break
        log(f"soak: phase {name}")
        if soak.connected_to != soak.server.address:  # restarted after a crash
            await soak.connect()
        t0 = time.monotonic()
        await run()
        windows[name] = (t0, time.monotonic())
        if name == "hostile" and not {"load", "faults"} <= args.skip:
            # solves the hostile cases left running end or are killed within the server's
            # budget: let that happen before load figures (restarts, RSS) are taken
            await asyncio.sleep(min(args.max_solve_seconds + 1, 10))
    for ch in soak.channels:
        await ch.close()
    return windows


def run(args) -> int:
    """The whole run for the arguments of ``benchmarks/soak.py``; the exit status."""
    t_start = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="honest-soak-"))
    server = Server(tmp, args.workers, args.max_solve_seconds)
    probe = HealthProbe()

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        server.start()
        probe.start(server.address)
        watchdog(server, probe, args.max_total_seconds + 90)
        oracle = Oracle()
        soak = Soak(args, server, probe, oracle)
        soak.slow_n = calibrate_dense(min(1.0, args.max_solve_seconds / 4))
        soak.slower_n = calibrate_dense(min(3.0, args.max_solve_seconds / 2))
        log(f"soak: slow problems: dense {soak.slow_n}x{soak.slow_n} and "
            f"{soak.slower_n}x{soak.slower_n} systems")
        windows = asyncio.run(run_phases(soak, args))
        time.sleep(0.5)  # the last health samples
        soak.health_findings(windows)
    finally:
        probe.stop()
        server.stop()
    summary = summarize(soak, args, time.monotonic() - t_start)
    print_report(summary, soak)
    line = json.dumps(finite(summary), separators=(",", ":"), allow_nan=False, default=str)
    print(line, flush=True)
    if args.json:
        Path(args.json).write_text(line + "\n")
    if summary["ok"]:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        log(f"soak: server logs kept in {tmp}")
    return 0 if summary["ok"] else 1
