"""Phases 2 and 3, load and faults: ``--clients`` concurrent callers send Verify,
VerifyGroup and VerifyBatch on cached and fresh problems with known answers, with canaries
alongside and the RSS of the server and its workers sampled every second; in the faults
phase ``--kills`` solver workers are SIGKILLed on the way, and the pool must be back to full
strength afterwards."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time

from .common import CALL_TIMEOUT_S, log, pb
from .oracle import completions_of, grades_of, known, optional, right_and_wrong
from .problems import fresh_problem, known_group, structured
from .session import Soak


def load_request(soak: Soak, rng: random.Random) -> tuple[str, str, object, object, int]:
    """(kind, rpc, request, wants, completions) from a mix of cached and fresh problems."""
    r = rng.random()
    if r < 0.55:  # a generated item (cached after its first use)
        item = rng.choice(soak.items)
        dom, prem, q, ans = item["domain"], item["premises"], item["query"], item["answer"]
        kind = "cached"
    else:
        dom, prem, q, ans = fresh_problem(rng, soak.next_uid())
        kind = "fresh"
    comps = right_and_wrong(ans, dom)
    p = structured(dom, prem, q)
    which = rng.random()
    if which < 0.3:
        c, v, rw = rng.choice(comps)
        return kind, "Verify", pb.VerifyRequest(problem=p, completion=c), \
            known([(v, rw)], expected=ans), 1
    if which < 0.85:
        comps = comps * 2
        return kind, "VerifyGroup", pb.VerifyGroupRequest(
            problem=p, completions=completions_of(comps)), \
            known(grades_of(comps), expected=ans), len(comps)
    groups, wants, n = [], [], 0
    for _ in range(16):  # (hostile reward maps are phase 1's business)
        g, w, _ = known_group(rng, soak.next_uid, ("parse", "empty", "domain"))
        groups.append(g)
        wants.append(w)
        n += len(g.completions)
    return "mixed", "VerifyBatch", pb.VerifyBatchRequest(groups=groups), wants, n


async def phase_load(soak: Soak, name: str, seconds: float, kills: int) -> None:
    """``seconds`` of load (``kills`` workers SIGKILLed evenly spread over them)."""
    soak.phase = name
    st = soak.st
    args, server = soak.args, soak.server
    soak.in_flight(f"{name} phase")
    t0 = time.monotonic()
    t_end = min(t0 + seconds, soak.t_end_total - 5)
    restarts0 = server.restarts()
    rss0 = server.rss_mb()
    st.rss.append((0.0, *rss0))
    killed: list[int] = []
    pids_seen: set[int] = {w.pid for w in server.workers()}

    async def client(k: int) -> None:
        rng = random.Random(args.seed * 1_000 + k + len(name))
        while time.monotonic() < t_end:
            kind, rpc, req, wants, n = load_request(soak, rng)
            out = await soak.call(f"{rpc} {kind}", f"load request ({kind})", rpc, req,
                                  CALL_TIMEOUT_S, wants, stub=k)
            if out.code == "OK":
                st.completions += n

    async def canaries() -> None:
        while time.monotonic() < t_end:
            await soak.canary(stub=soak.canary_i)
            await asyncio.sleep(0.25)

    async def sampler() -> None:
        last_log = t0
        while time.monotonic() < t_end:
            await asyncio.sleep(1.0)
            srv, wk = server.rss_mb()
            st.rss.append((time.monotonic() - t0, srv, wk))
            pids_seen.update(w.pid for w in server.workers())
            if not server.alive():
                return
            if time.monotonic() - last_log > 3:
                last_log = time.monotonic()
                log(f"[{name}] {last_log - t0:.0f}/{seconds:g} s: {st.completions:,} "
                    f"completions, {st.calls:,} calls, server {srv:.0f} MB, workers "
                    f"{wk:.0f} MB, {len(killed)} kills, {soak.defect_count()} defects")

    async def killer() -> None:
        for j in range(kills):
            at = t0 + (j + 1) * seconds / (kills + 1)
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            ws = server.workers()
            if not ws or time.monotonic() >= t_end:
                return
            w = soak.rng.choice(ws)
            try:
                os.kill(w.pid, signal.SIGKILL)  # a child of the server this script started
                killed.append(w.pid)
                soak.in_flight(f"{name} phase, just after SIGKILL of worker {w.pid}")
            except ProcessLookupError:
                pass

    tasks = [client(k) for k in range(args.clients)] + [canaries(), sampler()]
    if kills:
        tasks.append(killer())
    await asyncio.gather(*tasks)
    st.seconds = time.monotonic() - t0
    if not soak.check_alive(f"{name} phase, --seed {args.seed}"):
        await soak.connect()
    if kills:  # let the pool notice every dead worker, then count them back
        await asyncio.gather(*(soak.send_problem(
            "after faults", *fresh_problem(soak.rng, soak.next_uid())[:3], [""],
            optional(codes=frozenset()), rpc="Solve") for _ in range(4 * args.workers)))
        t_w = time.monotonic() + 20
        while len(server.workers()) < args.workers and time.monotonic() < t_w:
            await asyncio.sleep(0.2)
        alive = len(server.workers())
        if alive < args.workers:
            soak.finding("warning", f"{alive} of {args.workers} solver workers alive "
                         f"20 s after the last kill", f"{name} phase")
        st.extra["workers_alive_after"] = alive
    restarts1 = server.restarts()
    pids_seen.update(w.pid for w in server.workers())
    from_prometheus = None not in (restarts0, restarts1)
    st.extra.update({
        "kills": len(killed),
        "worker_restarts": (restarts1 - restarts0) if from_prometheus
        else len(pids_seen) - args.workers,
        "restarts_from": "prometheus" if from_prometheus else "pids"})
