"""The soak session (``Soak``): the channels to the server, one checked call (status,
latency, hang, answer against what it must get), canaries, findings and per-phase
statistics; the hostile cases and the phases are written against it."""

from __future__ import annotations

import asyncio
import bisect
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace

import grpc

from .checks import Finding, Outcome, check_response, check_wants
from .common import CALL_TIMEOUT_S, DOCUMENTED, HANG_SLACK_S, HEALTH_TIMEOUT_S, \
    HUGE_MESSAGE_CHARS, log, pb, pb_grpc, short
from .oracle import Oracle, Want, completions_of, grades_of, known
from .probe import HealthProbe, unanswered_runs
from .problems import CANARIES, describe, structured
from .server import Server


@dataclass
class PhaseStats:
    calls: int = 0
    canaries: int = 0
    cases: int = 0
    completions: int = 0
    seconds: float = 0.0
    health_max_s: float = 0.0
    latency: dict = field(default_factory=lambda: defaultdict(list))  # rpc -> [s]
    codes: dict = field(default_factory=lambda: defaultdict(Counter))  # kind -> code -> n
    rss: list = field(default_factory=list)  # (t, server MB, workers MB)
    extra: dict = field(default_factory=dict)


class Soak:
    """One soak run's state: the server, probe and oracle, the channels, the seeded rng of
    the hostile cases, findings, per-phase statistics and a timeline of what was in flight."""

    def __init__(self, args, server: Server, probe: HealthProbe, oracle: Oracle):
        self.args, self.server, self.probe, self.oracle = args, server, probe, oracle
        self.rng = random.Random(args.seed)
        self.uid = 0
        self.findings: list[Finding] = []
        self.stats: dict[str, PhaseStats] = {}
        self.phase = "setup"
        self.timeline: list[tuple[float, str]] = []  # (time, what is in flight)
        self.canary_i = 0
        self.t_end_total = time.monotonic() + args.max_total_seconds
        self.channels: list = []
        self.slow_n = self.slower_n = 0
        self.items = []  # generated items for the load phases

    # ------------------------------------------------------------ bookkeeping
    def next_uid(self) -> int:
        self.uid += 1
        return self.uid

    @property
    def st(self) -> PhaseStats:
        return self.stats.setdefault(self.phase, PhaseStats())

    def finding(self, kind: str, what: str, repro: str) -> None:
        if self.phase == "hostile":  # which case, and what ran just before (solves left
            # running by earlier cases share the workers)
            recent = [w for _, w in self.timeline[-6:] if w.startswith("hostile case")]
            repro += f" [during {', after '.join(reversed(recent[-3:]))}; --seed " \
                     f"{self.args.seed}]"
        self.findings.append(Finding(kind, self.phase, what, repro))
        if kind != "warning":
            log(f"soak: DEFECT [{kind}] {what} | {repro[:160]}")

    def emit(self, bad: list[tuple[str, str]], repro: str) -> None:
        """One finding per kind per call (the first, with a count): a 4,096-group batch
        with one mistake everywhere stays one line."""
        seen = set()
        for kind, what in bad:
            if kind not in seen:
                n = sum(1 for k, _ in bad if k == kind)
                self.finding(kind, what + (f" [and {n - 1} more]" if n > 1 else ""), repro)
                seen.add(kind)

    def in_flight(self, what: str) -> None:
        self.timeline.append((time.monotonic(), what))

    def defect_count(self) -> int:
        return sum(1 for f in self.findings if f.kind != "warning")

    async def connect(self) -> None:
        for ch in self.channels:
            await ch.close()
        opts = [("grpc.max_send_message_length", 512 * 2**20),
                ("grpc.max_receive_message_length", 512 * 2**20),
                ("grpc.use_local_subchannel_pool", 1)]
        self.channels = [grpc.aio.insecure_channel(self.server.address, options=opts)
                         for _ in range(self.args.channels)]
        self.stubs = [pb_grpc.VerifierStub(c) for c in self.channels]
        self.connected_to = self.server.address
        for ch in self.channels:
            await asyncio.wait_for(ch.channel_ready(), 30)

    def check_alive(self, repro: str) -> bool:
        """False (after recording a crash and starting a fresh server) if the server died."""
        if self.server.alive():
            return True
        rc = self.server.proc.returncode
        self.finding("crash", f"the server process died (exit status {rc}); log tail: "
                     f"{self.server.log_tail(5)!r}", repro)
        if self.server.starts > 3:
            raise SystemExit("soak: the server died more than three times; giving up")
        self.server.start()
        self.probe.start(self.server.address)
        return False

    # ------------------------------------------------------------ one call
    async def call(self, kind: str, what: str, rpc: str, request, timeout: float = CALL_TIMEOUT_S,
                   wants: list[Want] | Want | None = None, stub: int = 0,
                   whole: Want | None = None) -> Outcome:
        """Send one request, record its status and latency, and check the answer.

        ``rpc``: a method of the Verifier service, ``raw:<path>`` (unary, ``request`` is
        bytes) or ``raw-stream:<path>`` (a list of bytes); ``wants``: one per item (a list
        for VerifyBatch and VerifyStream); ``whole``: what a batch or stream failing as a
        whole must be (default: the first item's want)."""
        st = self.st
        ch, s = self.channels[stub % len(self.channels)], self.stubs[stub % len(self.stubs)]
        t0 = time.monotonic()
        try:
            if rpc == "VerifyStream" or rpc.startswith("raw-stream:"):
                method = s.VerifyStream if rpc == "VerifyStream" else \
                    ch.stream_stream(rpc[11:])

                async def consume():
                    return [r async for r in method(iter(request), timeout=timeout)]
                coro = consume()
            elif rpc.startswith("raw:"):
                coro = ch.unary_unary(rpc[4:])(request, timeout=timeout)
            else:
                coro = getattr(s, rpc)(request, timeout=timeout)
            resp = await asyncio.wait_for(coro, timeout + HANG_SLACK_S)
            out = Outcome("OK", resp, "", time.monotonic() - t0)
        except grpc.aio.AioRpcError as e:
            out = Outcome(e.code().name, None, e.details() or "", time.monotonic() - t0)
        except asyncio.TimeoutError:
            out = Outcome("HANG", None, "", time.monotonic() - t0)
        except Exception as e:  # this client failed (e.g. refused to send): say so, go on
            self.finding("warning", f"client-side {type(e).__name__}: {short(str(e), 120)}",
                         f"{rpc} {what}")
            out = Outcome("CLIENT_ERROR", None, str(e), time.monotonic() - t0)
        st.calls += 1
        st.codes[kind][out.code] += 1
        st.latency[rpc.split(":")[0]].append(out.seconds)
        repro = f"{rpc} {what} (deadline {timeout:g} s)"
        if out.code == "HANG" or out.seconds > timeout + HANG_SLACK_S:
            self.finding("hang", f"no answer {out.seconds:.1f} s after the call started, past "
                         f"its {timeout:g} s deadline + {HANG_SLACK_S:g} s", repro)
        elif out.code in ("INTERNAL", "UNKNOWN"):
            self.finding("internal", f"{out.code}: {short(out.details, 160)}", repro)
        elif "metadata size exceeds" in out.details:  # gRPC dropped the server's status
            self.finding("bad_status", f"the error message was too big for gRPC metadata, so "
                         f"the caller got {out.code} ({short(out.details, 120)}) instead of "
                         "the server's status", repro)
        elif out.code not in DOCUMENTED | {"CLIENT_ERROR"} and self.server.alive():
            self.finding("bad_status", f"{out.code}: {short(out.details, 160)}", repro)
        if len(out.details) > HUGE_MESSAGE_CHARS:
            self.finding("warning", f"{out.code} message of {len(out.details):,} characters",
                         repro)
        bad = check_response(rpc, out.response) if out.code == "OK" else []
        if wants is not None:
            wants = wants if isinstance(wants, list) else [wants]
            if out.code != "OK" and whole is not None:
                wants = [whole]
            bad += check_wants(rpc, out, wants)
        self.emit(bad, repro)
        return out

    async def send_problem(self, kind: str, dom, prem, q, completions, want: Want | None = None,
                           rpc: str | None = None, rewards=None, timeout=CALL_TIMEOUT_S,
                           label: str = "") -> Outcome:
        """A structured problem over Verify (one completion), VerifyGroup or Solve; ``want``
        None: the oracle's."""
        if want is None:
            want = self.oracle.want(dom, prem, q, completions, rewards)
        rpc = rpc or ("Verify" if len(completions) == 1 else "VerifyGroup")
        p = structured(dom, prem, q)
        rm = pb.RewardMap(rewards=rewards) if rewards else None
        what = (label + " " if label else "") + describe(dom, prem, q, completions)
        if rpc == "Solve":
            req = pb.SolveRequest(problem=p)
            want = replace(want, grades=None, max_reward=None)
            what = (label + " " if label else "") + describe(dom, prem, q)
        elif rpc == "Verify":
            req = pb.VerifyRequest(problem=p, completion=completions[0], rewards=rm)
        else:
            req = pb.VerifyGroupRequest(problem=p, completions=list(completions), rewards=rm)
        if rewards:
            what += f" rewards={short(rewards, 80)}"
        return await self.call(kind, what, rpc, req, timeout, want)

    # ------------------------------------------------------------ canaries
    async def canary(self, stub: int = 0) -> None:
        """The next canary (a small problem with a known answer) over Verify with its right
        completion, then its wrong one, then both over VerifyGroup."""
        k = self.canary_i
        self.canary_i += 1
        name, dom, prem, q, cs = CANARIES[k % len(CANARIES)]
        mode = (k // len(CANARIES)) % 3
        self.st.canaries += 1
        p = structured(dom, prem, q)
        if mode < 2:
            c, v, r = cs[mode]
            await self.call("canary", f"canary '{name}': {describe(dom, prem, q, [c])}",
                            "Verify", pb.VerifyRequest(problem=p, completion=c), 20,
                            known([(v, r)]), stub)
        else:
            comps = completions_of(cs)
            await self.call("canary", f"canary '{name}': {describe(dom, prem, q, comps)}",
                            "VerifyGroup", pb.VerifyGroupRequest(problem=p, completions=comps),
                            20, known(grades_of(cs)), stub)

    # ------------------------------------------------------------ health
    def health_findings(self, phase_windows: dict[str, tuple[float, float]]) -> None:
        """Turn runs of unanswered health checks into hang findings, naming what was in
        flight; record the largest health latency per phase."""
        samples = sorted(self.probe.samples)
        times = [t for t, _ in self.timeline]

        def flight(a: float, b: float) -> str:
            i = max(0, bisect.bisect_right(times, a) - 1)
            j = bisect.bisect_right(times, b)
            names = list(dict.fromkeys(w for _, w in self.timeline[i:j]))
            return "; ".join(names[:4]) + (f" (+{len(names) - 4} more)" if len(names) > 4 else "")

        for phase, (a, b) in phase_windows.items():
            st = self.stats.setdefault(phase, PhaseStats())
            worst, runs = unanswered_runs(samples, a, b)
            st.health_max_s = max(st.health_max_s, worst)
            for start, end, frozen in runs:
                if frozen is None:
                    self.findings.append(Finding("hang", phase, "health checks unanswered "
                                                 "until the end of the phase",
                                                 f"in flight: {flight(start, end)}"))
                else:
                    self.findings.append(Finding(
                        "hang", phase, f"health check unanswered for {frozen:.1f} s "
                        f"(deadline {HEALTH_TIMEOUT_S:g} s)", f"in flight: {flight(start, end)}"))
