"""Phase 1, hostile: a scripted list covering every kind of hostile case runs first (cheap
and important first, so that a small ``--hostile`` runs these), then random ones by weight,
each followed by a canary that must get exactly the right verdict and reward."""

from __future__ import annotations

import asyncio
import time
from functools import partial

from . import cases_answers as answers
from . import cases_bounds as bounds
from . import cases_text as text
from . import cases_timing as timing
from . import cases_wire as wire
from .common import Case, log
from .problems import CANARIES
from .session import Soak

SCRIPTED = [  # (name, case, its arguments after the session and the rng)
    ("poison logic (literal)", text.poison, "logic", True),
    ("poison NUL, Solve first (literal)", text.poison, "nul_solve_first", True),
    ("poison NUL, Verify first", text.poison, "nul_verify_first"),
    ("poison NUL, Solve first", text.poison, "nul_solve_first"),
    ("canary twin", text.canary_twin),
    ("mutation", text.mutate),
    ("reward map nan", answers.rewards, "nan"),
    ("reward map inf", answers.rewards, "inf"),
    ("reward map custom", answers.rewards, "custom"),
    ("reward map with a 100,000-char verdict", answers.rewards, "bogus_100k"),
    ("empty group", wire.groups, "empty"),
    ("malformed bytes", wire.malformed),
    ("'Answer: 1 0/2'", answers.spaced_digits),
    ("& chain", bounds.chain, "and"),
    ("two callers, short first", timing.two_callers, True),
    ("50 ms deadline", timing.slow_deadline),
    ("fuzz", text.fuzz),
    *[(f"completion {name}", answers.completion, j)
      for j, (name, _, _) in enumerate(answers.hostile_completions("29"))],
    *[(f"limit {w}", bounds.limits, w)
      for w in ("premise_chars", "premise_chars_over", "premises", "premises_over",
                "names_over", "digits", "digits_over", "query_1mb", "text_1mb")],
    *[(f"chain {w}", bounds.chain, w)
      for w in ("or", "iff_short", "iff", "implies", "imp_premises", "lin_sum", "lin_chain")],
    ("two callers, long first", timing.two_callers, False),
    ("deep nesting", bounds.deep),
    ("group of 4096", wire.groups, "4096"),
    ("group of 4097", wire.groups, "4097"),
    ("batch with an empty group", wire.groups, "batch_empty"),
    ("batch of 500", wire.batch, 500),
    ("batch of 4,096 x 16", wire.batch_many, "4096x16"),
    ("batch of 20,000", wire.batch_many, "20000x1"),
    ("id of 1,025 chars", wire.long_id),
    ("stream", wire.stream),
    ("100 MB message", wire.huge_message),
]

RANDOM = [  # (weight, name, case): drawn once the scripted list is done
    (30, "mutation", text.mutate), (10, "canary twin", text.canary_twin),
    (6, "poison", text.poison), (14, "fuzz", text.fuzz),
    (10, "completion", answers.completion), (4, "rewards", answers.rewards),
    (10, "malformed", wire.malformed), (4, "limits", bounds.limits),
    (3, "chain", bounds.chain), (4, "deep", bounds.deep),
    (2, "groups", wire.groups), (1, "batch", wire.batch),
    (1, "stream", wire.stream), (1, "slow deadline", timing.slow_deadline),
    (1, "big batch", wire.batch_many), (1, "long id", wire.long_id),
    (1, "two callers", timing.two_callers),
    (1, "spaced digits", answers.spaced_digits)]


def scripted(soak: Soak) -> list[tuple[str, Case]]:
    """Every kind of case once, ready to run."""
    return [(name, partial(case, soak, soak.rng, *args)) for name, case, *args in SCRIPTED]


def random_case(soak: Soak) -> tuple[str, Case]:
    _, name, case = soak.rng.choices(RANDOM, weights=[w for w, _, _ in RANDOM])[0]
    return name, partial(case, soak, soak.rng)


async def phase_hostile(soak: Soak) -> None:
    soak.phase = "hostile"
    st = soak.st
    args = soak.args
    t0 = time.monotonic()
    t_end = min(t0 + args.hostile_seconds, soak.t_end_total - 2 * args.seconds - 10)
    for _ in range(len(CANARIES) * 3):  # baseline: every canary right before any hostility
        await soak.canary()
    script = scripted(soak)
    last_log = t0
    while st.cases < args.hostile and time.monotonic() < t_end:
        name, case = script[st.cases] if st.cases < len(script) else random_case(soak)
        st.cases += 1
        where = f"hostile case #{st.cases} ({name})"
        soak.in_flight(where)
        try:
            await asyncio.wait_for(case(), 120)
        except asyncio.TimeoutError:
            soak.finding("hang", "the case took over 120 s", f"{where}, --seed {args.seed}")
        soak.in_flight(f"canary after {where}")
        if not soak.check_alive(f"{where}, --seed {args.seed}"):
            await soak.connect()
        await soak.canary()
        if time.monotonic() - last_log > 3:
            last_log = time.monotonic()
            log(f"[hostile] {st.cases}/{args.hostile} cases, {st.calls} calls, "
                f"{soak.defect_count()} defects, {last_log - t0:.0f} s")
    soak.in_flight("(idle)")
    st.seconds = time.monotonic() - t0
