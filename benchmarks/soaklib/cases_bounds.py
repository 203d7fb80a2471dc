"""Hostile cases at the documented bounds of a problem: premises of 20,000 characters,
5,000 premises and names, 40 digits (each at and just over), 1 MB queries and texts, long
``&``/``|``/``<->``/``->`` chains, and nesting at, just over and far over depth 64."""

from __future__ import annotations

import random

from .common import BAD_INPUT, CALL_TIMEOUT_S, SLOW_CODES, pb
from .oracle import CORRECT, SOLVED_OR_SLOW, Want, known, optional, rejected
from .session import Soak


def _at_or_over(over: bool, why: str) -> Want:
    """The right answer (or too slow) at a bound; refused over it (``why``)."""
    return rejected(why, grades=[CORRECT]) if over else SOLVED_OR_SLOW


async def limits(soak: Soak, rng: random.Random, which: str | None = None) -> None:
    """Inputs at and just over the documented bounds."""
    k = soak.next_uid()
    which = which or rng.choice(["premise_chars", "premise_chars_over", "premises",
                                 "premises_over", "names_over", "digits", "digits_over",
                                 "query_1mb", "text_1mb", "text_400k"])
    if which.startswith("premise_chars"):
        size = 20_000 + (which.endswith("over"))
        m = (size - len(f"x{k} = 1") - 10) // 2
        s = f"x{k} = 1" + "+1" * m
        s += " " * (size - len(s))
        await soak.send_problem("limits", "linear", [s], f"x{k}", [f"Answer: {m + 1}"],
                                _at_or_over(size > 20_000,
                                            "the premise is over 20,000 characters"),
                                label=f"one premise of {size:,} chars:")
    elif which.startswith("premises"):
        n = 5_000 + which.endswith("over")
        prem = [f"v{k}_{j} = {j}" for j in range(n)]
        await soak.send_problem("limits", "linear", prem, f"v{k}_{n - 1}",
                                [f"Answer: {n - 1}"],
                                _at_or_over(n > 5_000, "there are over 5,000 premises"),
                                label=f"{n:,} premises:")
    elif which == "names_over":
        names = [f"n{k}_{j}" for j in range(5_001)]
        prem = ["+".join(names[i:i + 1_000]) + " = 1" for i in range(0, 5_001, 1_000)]
        await soak.send_problem("limits", "linear", prem, names[0], ["Answer: Unknown"],
                                _at_or_over(True, "there are 5,001 names"),
                                label="5,001 distinct names:")
    elif which.startswith("digits"):
        d = 40 + which.endswith("over")
        num = "9" * d
        await soak.send_problem("limits", "linear", [f"z{k} = {num}"], f"z{k}",
                                [f"Answer: {num}"], _at_or_over(d > 40, "a number has 41 digits"),
                                label=f"a {d}-digit number:")
    elif which == "query_1mb":
        q = rng.choice(["a" * 1_000_000, "(" * 1_000_000, "a & " * 250_000 + "a"])
        await soak.send_problem("limits", "logic", ["a"], q, ["Answer: True"],
                                rejected("the query is 1 MB"), label="1 MB query:")
    elif which in ("text_1mb", "text_400k"):
        n = 1_000_000 if which == "text_1mb" else 400_000
        text = ("Facts:\n- The price of a pie is 3 dollars.\n" * (n // 40))[:n - 60] + \
            "Question: How much does a pie cost?"
        await soak.call("limits", f"problem.text of {len(text):,} chars", "Verify",
                        pb.VerifyRequest(problem=pb.Problem(text=text),
                                         completion="Answer: 3"),
                        CALL_TIMEOUT_S, optional([CORRECT], BAD_INPUT | SLOW_CODES)
                        if n <= 400_000 else rejected("problem.text is over 400,000 chars"))


async def chain(soak: Soak, rng: random.Random, which: str | None = None) -> None:
    """Long operator chains (a balanced parser is fine; a recursive one overflows)."""
    k = soak.next_uid()
    which = which or rng.choice(["and", "or", "iff", "iff_short", "implies", "lin_sum",
                                 "lin_chain", "imp_premises"])
    if which in ("and", "or", "iff", "implies", "iff_short"):
        op = {"and": " & ", "or": " | ", "iff": " <-> ", "implies": " -> ",
              "iff_short": " <-> "}[which]
        atoms = []
        length = 0
        cap = 300 if which == "iff_short" else 19_800
        while length < cap:
            atoms.append(f"c{k}_{len(atoms)}")
            length += len(atoms[-1]) + len(op)
        formula = op.join(atoms)
        if which == "and":
            prem, q, ans = [formula], atoms[len(atoms) // 2], "True"
        elif which == "or":
            prem, q, ans = [formula], atoms[0], "Unknown"
        else:  # a formula entails itself, however long
            prem, q, ans = [formula], formula, "True"
        if which == "implies":  # right-associative: a chain is nesting, bounded at 64
            want = optional([CORRECT], SLOW_CODES | BAD_INPUT)
        else:  # an associative chain is not nesting: an answer, or too slow/big
            want = optional([CORRECT], SLOW_CODES)
        await soak.send_problem("chain", "logic", prem, q, [f"Answer: {ans}"], want,
                                label=f"{which} chain of {len(atoms)} atoms:")
    elif which == "imp_premises":
        n = 4_000
        prem = [f"e{k}_0"] + [f"e{k}_{j - 1} -> e{k}_{j}" for j in range(1, n)]
        await soak.send_problem("chain", "logic", prem, f"e{k}_{n - 1}", ["Answer: True"],
                                SOLVED_OR_SLOW, label=f"{n} chained implications:")
    elif which == "lin_sum":
        names = []
        while sum(len(x) + 3 for x in names) < 19_000:
            names.append(f"s{k}_{len(names)}")
        await soak.send_problem("chain", "linear", [" + ".join(names) + " = 1"], names[0],
                                ["Answer: Unknown"], SOLVED_OR_SLOW,
                                label=f"sum of {len(names)} unknowns:")
    else:
        n = 4_000
        prem = [f"l{k}_0 = 0"] + [f"l{k}_{j} = l{k}_{j - 1} + 1" for j in range(1, n)]
        await soak.send_problem("chain", "linear", prem, f"l{k}_{n - 1}",
                                [f"Answer: {n - 1}"], SOLVED_OR_SLOW,
                                label=f"chain of {n} linear definitions:")


async def deep(soak: Soak, rng: random.Random) -> None:
    """Deep nesting at, just over and far over the documented depth of 64."""
    k = soak.next_uid()
    d = rng.choice([30, 64, 65, 200, 9_000])
    form = rng.choice(["parens_logic", "parens_linear", "not", "tilde", "minus", "mixed"])
    a = f"h{k}"
    if form == "parens_logic":
        prem, q, dom, ans = ["(" * d + a + ")" * d], a, "logic", "True"
    elif form == "parens_linear":
        prem, q, dom, ans = ["(" * d + a + ")" * d + " = 5"], a, "linear", "5"
    elif form == "not":
        d += d % 2
        prem, q, dom, ans = ["not " * d + a], a, "logic", "True"
    elif form == "tilde":
        d += d % 2
        prem, q, dom, ans = ["~" * d + a], a, "logic", "True"
    elif form == "minus":
        d += d % 2
        prem, q, dom, ans = ["-" * d + a + " = 1"], a, "linear", "1"
    else:
        s = a
        for j in range(d):
            s = f"({s} {'&|'[j % 2]} {a}_{j})" if j % 2 == 0 else f"({a}_{j} | {s})"
        prem, q, dom, ans = [s, f"~{a}_0"], a, "logic", None
    grades = [CORRECT] if ans else None
    if d < 64:  # inside the bound: its answer (the oracle's, for the mixed formula)
        want = known(grades, codes=SLOW_CODES) if grades else None
    else:  # at the bound (how depth is counted is the parser's) or over it
        want = optional(grades)
    if d > 64 and form.startswith("parens"):
        want = rejected(f"parentheses nest {d} deep (the limit is 64)", grades=grades)
    await soak.send_problem("deep", dom, prem, q, [f"Answer: {ans or 'True'}"], want,
                            label=f"{form} nested {d} deep:")
