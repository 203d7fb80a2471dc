"""Hostile cases on deadlines: a 50 ms deadline on a problem that takes seconds, and one
slow problem from two callers with different deadlines (the one that waits must get its
answer, not the other's cancellation). Their outcome depends on timing: not exactly
reproducible."""

from __future__ import annotations

import asyncio
import random

from .checks import check_wants
from .common import CALL_TIMEOUT_S, DOCUMENTED, HANG_SLACK_S, pb
from .oracle import CORRECT, known, optional
from .problems import dense_problem, structured
from .session import Soak


async def slow_deadline(soak: Soak, rng: random.Random) -> None:
    """A 50 ms deadline on a problem that takes seconds."""
    prem, q, ans = dense_problem(soak.slower_n, rng)
    await soak.send_problem("slow", "linear", prem, q, [f"Answer: {ans}"],
                            optional([CORRECT], {"DEADLINE_EXCEEDED"}),
                            timeout=0.05, label=f"dense {soak.slower_n}x{soak.slower_n} "
                                                "system, 50 ms deadline:")


async def two_callers(soak: Soak, rng: random.Random, short_first: bool | None = None) -> None:
    """One slow problem from two callers: one gives up early, the other must get its
    answer (not the first one's cancellation)."""
    if short_first is None:
        short_first = rng.random() < 0.5
    prem, q, ans = dense_problem(soak.slow_n, rng)
    p = structured("linear", prem, q)
    req = pb.VerifyRequest(problem=p, completion=f"Answer: {ans}")
    what = (f"dense {soak.slow_n}x{soak.slow_n} system sent by two callers, deadlines "
            f"0.3 s and 30 s, {'short' if short_first else 'long'} one first")
    first_t = 0.3 if short_first else CALL_TIMEOUT_S
    second_t = CALL_TIMEOUT_S if short_first else 0.3
    short_want = optional([CORRECT], {"DEADLINE_EXCEEDED"})
    first = asyncio.ensure_future(soak.call(
        "two_callers", what + " [first]", "Verify", req, first_t,
        short_want if short_first else None, stub=0))
    await asyncio.sleep(0.05)
    second = await soak.call("two_callers", what + " [second]", "Verify", req, second_t,
                             None if short_first else short_want, stub=1)
    first = await first
    long_out = second if short_first else first
    short_out = first if short_first else second
    if short_out.code == "OK":
        soak.finding("warning", f"the slow problem took only {short_out.seconds:.2f} s: "
                     "this case proved nothing (calibration off?)", what)
    if long_out.code == "OK":
        soak.emit(check_wants("Verify", long_out, [known([CORRECT])]), what)
    elif long_out.code in DOCUMENTED:  # the others are counted already
        budget = soak.args.max_solve_seconds
        if long_out.seconds < 0.8 * budget:
            soak.finding("wrong_reward", f"the caller with a {CALL_TIMEOUT_S:g} s deadline "
                         f"got {long_out.code} after {long_out.seconds:.2f} s: it inherited "
                         "the other caller's deadline or cancellation", what)
        elif long_out.seconds > budget + HANG_SLACK_S:
            soak.finding("hang", f"the caller with a {CALL_TIMEOUT_S:g} s deadline got "
                         f"{long_out.code} only after {long_out.seconds:.1f} s, past the "
                         f"server's {budget:g} s solve budget: nothing answered it once "
                         "the other caller left", what)
        else:
            soak.finding("warning", f"the slow problem ran past the server's budget "
                         f"({long_out.code} after {long_out.seconds:.1f} s)", what)
