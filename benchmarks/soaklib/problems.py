"""Problems whose answers are known without asking the server: the canaries, small fresh
problems and slow dense systems with answers by construction, groups of known grades (or
known to be bad), and the protobuf ``Problem`` they are sent as."""

from __future__ import annotations

import math
import random
import time
from typing import Callable

from .common import DOMAIN, pb, short
from .oracle import Want, completions_of, grades_of, known, rejected, right_and_wrong

CANARIES = [  # (name, domain, premises, query, [(completion, verdict, reward)])
    ("linear determined", "linear", ["a = 2", "b = a + 1"], "b",
     [("Answer: 3", "correct", 1.0), ("Answer: 4", "wrong_answer", 0.0)]),
    ("linear undetermined", "linear", ["a + b = 3"], "a",
     [("Answer: Unknown", "correct", 1.0), ("Answer: 1", "unwarranted_answer", 0.0)]),
    ("logic entailed", "logic", ["c or d", "not c"], "d",
     [("Answer: True", "correct", 1.0), ("Answer: Unknown", "wrong_abstention", 0.0)]),
    ("logic undetermined", "logic", ["c or d"], "d",
     [("Answer: Unknown", "correct", 1.0), ("Answer: True", "unwarranted_answer", 0.0)]),
]


def structured(domain, premises, query) -> pb.Problem:
    return pb.Problem(structured=pb.StructuredProblem(
        domain=DOMAIN.get(domain, domain if isinstance(domain, int) else 0),
        premises=list(premises), query=query))


def describe(domain, premises, query, completions=None) -> str:
    s = f"{domain} premises={short(list(premises), 110)} query={short(query, 40)}"
    if completions is not None:
        s += f" completions={short(list(completions), 90)}"
    return s


def fresh_problem(rng: random.Random, uid: int) -> tuple[str, list[str], str, str]:
    """A small never-seen problem (unique names) and its answer, by construction."""
    kind = rng.randrange(4)
    n = rng.randint(2, 6)
    if kind == 0:  # linear chain, determined
        vals = [rng.randint(-20, 20)]
        prem = [f"f{uid}_0 = {vals[0]}"]
        for j in range(1, n):
            c = rng.randint(-5, 5)
            vals.append(vals[-1] + c)
            prem.append(f"f{uid}_{j} = f{uid}_{j - 1} + {c}" if c >= 0 else
                        f"f{uid}_{j} + {-c} = f{uid}_{j - 1}")
        return "linear", prem, f"f{uid}_{n - 1}", str(vals[-1])
    if kind == 1:  # linear chain without its root: undetermined
        prem = [f"f{uid}_{j} = 2*f{uid}_{j - 1} - {j}" for j in range(1, n)]
        return "linear", prem, f"f{uid}_{n - 1}", "Unknown"
    if kind == 2:  # implication chain from a fact: entailed (or its negation)
        neg = rng.random() < 0.5
        prem = [f"g{uid}_0"] + [f"g{uid}_{j - 1} -> g{uid}_{j}" for j in range(1, n)]
        if neg:
            prem.append(f"g{uid}_{n - 1} -> ~h{uid}")
            return "logic", prem, f"h{uid}", "False"
        return "logic", prem, f"g{uid}_{n - 1}", "True"
    prem = [f"g{uid}_{j - 1} -> g{uid}_{j}" for j in range(1, n)]  # no fact: undetermined
    return "logic", prem, f"g{uid}_{n - 1}", "Unknown"


def dense_problem(n: int, rng: random.Random) -> tuple[list[str], str, str]:
    """n equations in n unknowns with 6-digit coefficients and an integer solution: slow to
    solve exactly (seconds around n = 100) and its answer known by construction."""
    xs = [rng.randint(-9, 9) for _ in range(n)]
    tag = rng.randrange(10**6)
    rows = []
    for _ in range(n):
        coefs = [rng.randint(1, 10**6) for _ in range(n)]
        rhs = sum(c * x for c, x in zip(coefs, xs))
        rows.append(" + ".join(f"{c}*d{tag}_{j}" for j, c in enumerate(coefs)) + f" = {rhs}")
    return rows, f"d{tag}_0", str(xs[0])


def calibrate_dense(target_s: float) -> int:
    """n for which the core solves :func:`dense_problem` in about ``target_s`` here."""
    from verifier.problem import Problem, solve
    solve(Problem.make("linear", *dense_problem(10, random.Random(0))[:2]))  # warm imports
    rows, q, _ = dense_problem(60, random.Random(0))
    t0 = time.perf_counter()
    solve(Problem.make("linear", rows, q))
    t60 = max(1e-3, time.perf_counter() - t0)
    return max(30, min(220, int(60 * (target_s / t60) ** (1 / 3.5))))  # time ~ n^3.5


def known_group(rng: random.Random, next_uid: Callable[[], int],
                bad_kinds=("parse", "empty", "nan", "domain")
                ) -> tuple[pb.VerifyGroupRequest, Want, str]:
    """A fresh or canary problem with completions of known grades (or a bad group);
    ``next_uid`` numbers the names of fresh problems."""
    r = rng.random()
    if r < 0.1:  # bad groups the batch must isolate
        bad = rng.choice(bad_kinds)
        k = next_uid()
        if bad == "parse":
            g = pb.VerifyGroupRequest(problem=structured("linear", [f"b{k} = = 1"], f"b{k}"),
                                      completions=["Answer: 1"])
        elif bad == "empty":
            g = pb.VerifyGroupRequest(problem=structured("linear", [f"b{k} = 1"], f"b{k}"))
        elif bad == "nan":
            g = pb.VerifyGroupRequest(problem=structured("linear", [f"b{k} = 1"], f"b{k}"),
                                      completions=["Answer: 1"],
                                      rewards=pb.RewardMap(rewards={"correct": math.nan}))
        else:
            g = pb.VerifyGroupRequest(problem=structured(9, [f"b{k}"], f"b{k}"),
                                      completions=["Answer: True"])
        # answering a problem that does not parse is a wrong reward; the rest, warnings
        severity = "wrong_reward" if bad in ("parse", "domain") else "warning"
        return g, rejected(f"the group is bad ({bad})", forbidden_is=severity), f"bad:{bad}"
    if r < 0.5:
        name, dom, prem, q, cs = CANARIES[rng.randrange(len(CANARIES))]
        comps = list(cs)
    else:
        dom, prem, q, ans = fresh_problem(rng, next_uid())
        comps = right_and_wrong(ans, dom)
    rng.shuffle(comps)
    g = pb.VerifyGroupRequest(problem=structured(dom, prem, q), completions=completions_of(comps))
    return g, known(grades_of(comps)), describe(dom, prem, q)
