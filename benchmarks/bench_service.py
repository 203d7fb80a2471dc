"""Throughput and latency of the verifier service, driven from a separate client process.

    .venv/bin/python benchmarks/bench_service.py [--seconds 4] [--designs single,reuseport]
    .venv/bin/python benchmarks/bench_service.py --designs single --baseline /tmp/base
        # before/after a change in one run: /tmp/base is a checkout of the commit before it

Server designs (each started as subprocesses on loopback):
- ``empty``: a server that does no work at all (benchmarks/empty_server.py): the ceiling
  that gRPC and this client reach on this machine, for calibration;
- ``single``: one asyncio gRPC front end + 2 solver worker processes;
- ``reuseport``: 2 pre-forked front ends sharing the port (SO_REUSEPORT), 1 worker each;
- ``baseline`` (with ``--baseline DIR``): the ``single`` server of another checkout.
The client process uses grpc.aio with 8 channels (separate connections, so SO_REUSEPORT
can balance) and prints completions/s and p50/p99 latency for
- ``Verify`` one completion per call, closed loop at several concurrencies;
- ``VerifyGroup`` G=8, and ``VerifyBatch`` (32 groups of 8 per call), on cached problems;
- cold problems (never seen before) vs cached;
- ``Verify`` p99 in an open loop at half the measured saturation rate;
next to the naive in-process baseline (SymPy ``solve`` of the whole system per
completion) measured in the same run. Targets (issue 3, 2 cores, client on the same
cores): ≥ 20,000 completions/s with groups/batches of cached problems of depth ≤ 8;
single Verify p99 ≤ 5 ms at half saturation.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
G = 8
BATCH_GROUPS = 32


def make_problems(n: int, seed: int) -> list[dict]:
    from verifier.tasks import graphla, graphli
    la = graphla.GraphLAConfig(depth="2-8")
    li = graphli.GraphLIConfig(depth="2-8")
    out = []
    for i in range(n):
        it = (graphla if i % 2 == 0 else graphli).generate_item(la if i % 2 == 0 else li,
                                                                seed, i)
        out.append(it)
    return out


def start_server(tmp: str, design: str, port: int, baseline: Path | None = None
                 ) -> subprocess.Popen:
    """Start one design; ``baseline`` (design ``baseline``) is another checkout of the
    project whose ``single`` server is measured in the same run, e.g. before a change."""
    pf = Path(tmp) / f"{design}.port"
    cwd, env = ROOT, None
    if design == "empty":
        cmd = [sys.executable, str(ROOT / "benchmarks" / "empty_server.py"), str(port), str(pf)]
    else:
        args = ["--workers", "2"] if design in ("single", "baseline") else \
            ["--replicas", "2", "--workers", "1"]
        module = "honest_cli"
        if design == "baseline":
            cwd = baseline
            env = dict(os.environ, PYTHONPATH=f"{baseline}{os.pathsep}{baseline / 'proto'}")
            if not (baseline / "honest_cli").is_dir():  # checkouts before the dispatcher
                module = "verifier.cli"
        cmd = [sys.executable, "-m", module, "serve", "--port", str(port),
               "--port-file", str(pf), *args]
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    t_end = time.monotonic() + 120
    while not pf.exists():
        if proc.poll() is not None or time.monotonic() > t_end:
            raise SystemExit(f"server ({design}) did not start")
        time.sleep(0.1)
    time.sleep(0.5 if design in ("single", "baseline") else 4.0)  # replicas start in parallel
    return proc


# ---------------------------------------------------------------- client process

def client_main(address: str, problems: list[dict], seconds: float, out_q) -> None:
    import grpc

    from honest.v1 import verifier_pb2 as pb
    from honest.v1 import verifier_pb2_grpc as pb_grpc
    from clients.wire import problem_msg

    msgs = [problem_msg(p) for p in problems]
    answers = [p["trajectory"] for p in problems]

    async def main():
        chans = [grpc.aio.insecure_channel(address, options=[("grpc.use_local_subchannel_pool",
                                                               1)]) for _ in range(8)]
        stubs = [pb_grpc.VerifierStub(c) for c in chans]
        for s in stubs:  # warm: every problem solved once (cached afterwards)
            pass
        await asyncio.gather(*(stubs[0].Solve(pb.SolveRequest(problem=m), timeout=60)
                               for m in msgs))
        results = {}

        async def closed_loop(name, make_call, per_call, conc):
            lat = []
            n = 0
            t_end = time.perf_counter() + seconds

            async def worker(k):
                nonlocal n
                i = k
                while time.perf_counter() < t_end:
                    t0 = time.perf_counter()
                    await make_call(stubs[k % len(stubs)], i)
                    lat.append(time.perf_counter() - t0)
                    n += 1
                    i += conc
            t0 = time.perf_counter()
            await asyncio.gather(*(worker(k) for k in range(conc)))
            el = time.perf_counter() - t0
            lat.sort()
            results[name] = {"completions_per_s": n * per_call / el, "calls_per_s": n / el,
                             "p50_ms": lat[len(lat) // 2] * 1e3,
                             "p99_ms": lat[int(len(lat) * 0.99)] * 1e3}

        def verify(stub, i):
            j = i % len(msgs)
            return stub.Verify(pb.VerifyRequest(problem=msgs[j], completion=answers[j]),
                               timeout=30)

        def group(stub, i):
            j = i % len(msgs)
            return stub.VerifyGroup(pb.VerifyGroupRequest(problem=msgs[j],
                                                          completions=[answers[j]] * G),
                                    timeout=30)

        def batch(stub, i):
            gs = [pb.VerifyGroupRequest(problem=msgs[(i * BATCH_GROUPS + k) % len(msgs)],
                                        completions=[answers[(i * BATCH_GROUPS + k)
                                                             % len(msgs)]] * G)
                  for k in range(BATCH_GROUPS)]
            return stub.VerifyBatch(pb.VerifyBatchRequest(groups=gs), timeout=30)

        for conc in (1, 8, 32):
            await closed_loop(f"Verify c={conc}", verify, 1, conc)
        for conc in (8, 32):
            await closed_loop(f"VerifyGroup G=8 c={conc}", group, G, conc)
        for conc in (2, 8):
            await closed_loop(f"VerifyBatch 32x8 c={conc}", batch, G * BATCH_GROUPS, conc)

        # cold problems: every call a problem the server has never seen
        from verifier.tasks import graphla
        cold = [problem_msg(it) for it in
                (graphla.generate_item(graphla.GraphLAConfig(depth="2-8"), 4242, i)
                 for i in range(600))]
        cold_i = iter(range(10**9))

        def cold_group(stub, i):
            j = next(cold_i) % len(cold)
            return stub.VerifyGroup(pb.VerifyGroupRequest(
                problem=cold[j], completions=["Answer: 1"] * G, id=str(j)), timeout=30)
        await closed_loop("VerifyGroup G=8 cold c=8", cold_group, G, 8)

        # open loop at half the saturated single-Verify rate
        sat = max(results[k]["calls_per_s"] for k in results if k.startswith("Verify c="))
        rate = sat / 2
        lat = []
        tasks = []
        t0 = time.perf_counter()
        k = 0
        while time.perf_counter() - t0 < seconds:
            target = t0 + k / rate
            delay = target - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)

            async def one(i=k):
                s = time.perf_counter()
                await verify(stubs[i % len(stubs)], i)
                lat.append(time.perf_counter() - s)
            tasks.append(asyncio.ensure_future(one()))
            k += 1
        await asyncio.gather(*tasks)
        lat.sort()
        results["Verify open loop @ half saturation"] = {
            "calls_per_s": rate, "completions_per_s": rate,
            "p50_ms": lat[len(lat) // 2] * 1e3, "p99_ms": lat[int(len(lat) * 0.99)] * 1e3}
        for c in chans:
            await c.close()
        return results

    out_q.put(asyncio.run(main()))


def naive_baseline(problems: list[dict], seconds: float) -> float:
    """Completions/s of SymPy ``solve`` on the whole system per completion (linear items)."""
    import sympy

    from verifier.grading import grade
    from verifier.lang.linear import parse_linear_equation
    from verifier.solution import Solution
    from fractions import Fraction
    n = 0
    t_end = time.perf_counter() + seconds
    t0 = time.perf_counter()
    lin = [p for p in problems if p["domain"] == "linear"]
    while time.perf_counter() < t_end:
        p = lin[n % len(lin)]
        syms = {}
        eqs = []
        for text in p["premises"]:
            eq = parse_linear_equation(text)
            eqs.append(sympy.Eq(sum((c * syms.setdefault(v, sympy.Symbol(v))
                                     for v, c in eq.coeffs), 0), eq.rhs))
        t = syms.setdefault(p["query"], sympy.Symbol(p["query"]))
        sol = sympy.solve(eqs, list(syms), dict=True)
        v = sol[0].get(t, t) if sol else t
        if v.free_symbols:
            s = Solution("linear", "undetermined", "Unknown")
        else:
            q = Fraction(int(v.p), int(v.q))
            s = Solution("linear", "determined", str(q), q)
        grade(s, p["trajectory"])
        n += 1
    return n / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--designs", default="empty,single,reuseport",
                    help="empty = a no-work server: the gRPC ceiling, for calibration")
    ap.add_argument("--problems", type=int, default=400)
    ap.add_argument("--baseline", type=Path,
                    help="another checkout of this project (e.g. `git worktree add /tmp/base "
                         "main`): adds design 'baseline', its single server, to this run")
    args = ap.parse_args()
    designs = args.designs.split(",")
    if args.baseline is not None:
        if not (args.baseline / "verifier").is_dir():
            raise SystemExit(f"--baseline {args.baseline} is not a checkout of this project")
        designs += [] if "baseline" in designs else ["baseline"]
    problems = make_problems(args.problems, 7)
    base = naive_baseline(problems, args.seconds)
    print(f"naive in-process baseline (SymPy solve per completion): {base:,.0f} completions/s")
    ctx = mp.get_context("spawn")
    from service_port import free_port  # noqa: E402  (local helper)
    report = {}
    with tempfile.TemporaryDirectory() as tmp:
        for design in designs:
            port = free_port()
            proc = start_server(tmp, design, port, args.baseline)
            try:
                q = ctx.Queue()
                cp = ctx.Process(target=client_main, args=(f"127.0.0.1:{port}", problems,
                                                           args.seconds, q))
                cp.start()
                res = q.get(timeout=900)
                cp.join()
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(60)
            report[design] = res
            print(f"\n== design: {design} ==")
            print(f"{'workload':40} {'compl/s':>10} {'calls/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
                  f"{'vs naive':>9}")
            for name, r in res.items():
                print(f"{name:40} {r['completions_per_s']:>10,.0f} {r['calls_per_s']:>9,.0f} "
                      f"{r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} "
                      f"{r['completions_per_s'] / base:>8.0f}x")
    print("\n" + json.dumps({"naive_completions_per_s": base, **report}, indent=1)
          if os.environ.get("BENCH_JSON") else "")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
