"""The result of a soak run: the summary dict (the JSON line), the printed report (a table
per phase, status codes by kind, latency, RSS, worker restarts, defects and warnings with
their reproducers), and JSON without NaN or infinities."""

from __future__ import annotations

import math
from collections import Counter

from .common import DEFECT_KINDS
from .session import Soak


def pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def _mb_summary(mb: list[float]) -> dict:
    return {"start": round(mb[0], 1), "end": round(mb[-1], 1), "max": round(max(mb), 1),
            "growth": round(mb[-1] - mb[0], 1)}


def summarize(soak: Soak, args, total_s: float) -> dict:
    counts = Counter(f.kind for f in soak.findings)
    phases = {}
    for name, st in soak.stats.items():
        if name == "setup":
            continue
        kinds = Counter(f.kind for f in soak.findings if f.phase == name)
        ph = {"seconds": round(st.seconds, 1), "cases": st.cases, "calls": st.calls,
              "canaries": st.canaries, "health_max_ms": round(st.health_max_s * 1e3, 1),
              "defects": {k: kinds.get(k, 0) for k in DEFECT_KINDS},
              "warnings": kinds.get("warning", 0),
              "codes": {k: dict(v) for k, v in sorted(st.codes.items())}}
        if name != "hostile":
            lat = {rpc: {"n": len(v), "p50_ms": round(pct(v, .5) * 1e3, 2),
                         "p99_ms": round(pct(v, .99) * 1e3, 2)}
                   for rpc, v in st.latency.items() if v}
            ph.update(latency=lat, completions=st.completions,
                      completions_per_s=round(st.completions / max(st.seconds, 1e-9), 1))
            if st.rss:
                ph["rss_mb"] = {"server": _mb_summary([r[1] for r in st.rss]),
                                "workers": _mb_summary([r[2] for r in st.rss])}
            ph.update(st.extra)
        phases[name] = ph
    defects = {k: counts.get(k, 0) for k in DEFECT_KINDS}
    failed = any(defects.values()) or (args.strict and counts.get("warning", 0))
    return {"ok": not failed, "seconds": round(total_s, 1), "seed": args.seed,
            "workers": args.workers, "max_solve_seconds": args.max_solve_seconds,
            "server_starts": soak.server.starts, "defects": defects,
            "warnings": counts.get("warning", 0), "phases": phases,
            "findings": [f.__dict__ for f in soak.findings[:200]],
            "oracle_notes": soak.oracle.notes[:20]}


def print_report(summary: dict, soak: Soak) -> None:
    out = []
    w = out.append
    w("")
    w(f"honest soak: {summary['seconds']} s, seed {summary['seed']}, {summary['workers']} "
      f"workers, max solve {summary['max_solve_seconds']:g} s, server started "
      f"{summary['server_starts']}x")
    w(f"{'phase':<8} {'s':>6} {'cases':>6} {'calls':>7} {'canary':>7} {'crash':>6} {'hang':>5} "
      f"{'wrong':>6} {'intern':>7} {'badst':>6} {'warn':>5} {'health max':>11}")
    for name, ph in summary["phases"].items():
        d = ph["defects"]
        w(f"{name:<8} {ph['seconds']:>6} {ph['cases']:>6} {ph['calls']:>7} {ph['canaries']:>7} "
          f"{d['crash']:>6} {d['hang']:>5} {d['wrong_reward']:>6} {d['internal']:>7} "
          f"{d['bad_status']:>6} {ph['warnings']:>5} {ph['health_max_ms']:>8.0f} ms")
    for name, ph in summary["phases"].items():
        w(f"\nstatus codes by kind ({name}):")
        for kind, codes in ph["codes"].items():
            w(f"  {kind:<22} " + "  ".join(f"{c} {n}" for c, n in sorted(codes.items())))
        if "latency" in ph:
            w(f"  {ph['completions']:,} completions, {ph['completions_per_s']:,.0f}/s; " +
              "; ".join(f"{rpc} n={v['n']} p50 {v['p50_ms']} ms p99 {v['p99_ms']} ms"
                        for rpc, v in sorted(ph["latency"].items())))
        if "rss_mb" in ph:
            for who, r in ph["rss_mb"].items():
                w(f"  RSS {who:<8} start {r['start']:.0f} MB, end {r['end']:.0f} MB, max "
                  f"{r['max']:.0f} MB, growth {r['growth']:+.1f} MB")
        if ph.get("kills") or "worker_restarts" in ph:
            w(f"  workers SIGKILLed: {ph.get('kills', 0)}; worker restarts: "
              f"{ph.get('worker_restarts')} (from {ph.get('restarts_from')})"
              + (f"; workers alive after: {ph['workers_alive_after']}"
                 if "workers_alive_after" in ph else ""))
    defects = [f for f in soak.findings if f.kind != "warning"]
    warnings = [f for f in soak.findings if f.kind == "warning"]
    for title, fs in (("DEFECTS", defects), ("WARNINGS", warnings)):
        if not fs:
            continue
        w(f"\n{title} ({len(fs)}):")
        per_key, printed = Counter(), 0
        for f in fs:  # at most two alike, sixty in all
            key = (f.kind, f.phase, f.what[:40])
            per_key[key] += 1
            if per_key[key] <= 2 and printed < 60:
                w("  " + f.line())
                printed += 1
        if printed < len(fs):
            w(f"  ... and {len(fs) - printed} more like those (the first 200 are in the JSON)")
    if soak.oracle.notes:
        w("\nnotes from the in-process oracle: " + "; ".join(soak.oracle.notes[:5]))
    d = summary["defects"]
    w(f"\nresult: {'PASS' if summary['ok'] else 'FAIL'} — {d['crash']} crashes, {d['hang']} "
      f"hangs, {d['wrong_reward']} wrong rewards, {d['internal']} INTERNAL/UNKNOWN, "
      f"{d['bad_status']} other bad statuses, {summary['warnings']} warnings")
    print("\n".join(out), flush=True)


def finite(x):
    """``x`` with NaN and infinities as None (JSON has neither)."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [finite(v) for v in x]
    return x
