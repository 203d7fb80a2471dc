"""Hostile cases on the text of problems: generated items mutated (whitespace deleted or
inserted, symbols spelled as keywords, NUL, odd characters), canaries spelled another way,
replays of known cache-poisoning sequences, and fuzz. Each case sends its requests with
what they must get; the hostile phase sends a canary after it."""

from __future__ import annotations

import random
import re

from .common import CALL_TIMEOUT_S, ODD, pb, short
from .oracle import completions_of, grades_of, known, rejected, right_and_wrong
from .problems import CANARIES
from .session import Soak

MUTATIONS = ["strip_ws", "keywords_stripped", "keywords_upper", "insert_ws", "odd_char", "nul",
             "fullwidth_digits", "nul_join", "dup_premise", "drop_premise", "text_odd",
             "text_ws"]


def to_keywords(s: str) -> str:
    s = re.sub(r"<->", " iff_ ", s)
    s = s.replace("->", " implies_ ").replace("&", " and ").replace("|", " or ")
    s = s.replace("~", " not ").replace("iff_", "<->").replace("implies_", "->")
    return re.sub(r" +", " ", s).strip()


def fullwidth_digits(s: str) -> str:
    return s.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})


def _insert(s: str, rng: random.Random, pick) -> str:
    """``s`` with ``pick()`` inserted at a random place (the place drawn first)."""
    i = rng.randrange(len(s) + 1)
    return s[:i] + pick() + s[i:]


def mutate_text(s: str, how: str, rng: random.Random) -> str:
    if how == "strip_ws":
        return "".join(s.split())
    if how == "keywords_stripped":
        return "".join(to_keywords(s).split())
    if how == "keywords_upper":
        return to_keywords(s).upper()
    if how == "insert_ws":
        return _insert(s, rng, lambda: rng.choice([" ", "\t", "\n", "\u00a0", "\u2003", "  "]))
    if how == "odd_char":
        return _insert(s, rng, lambda: rng.choice(ODD))
    if how == "nul":
        return _insert(s, rng, lambda: "\x00")
    if how == "fullwidth_digits":
        return fullwidth_digits(s)
    raise ValueError(how)


async def mutate(soak: Soak, rng: random.Random) -> None:
    """A generated item, mutated, and the original, in random order: the mutant gets
    what the core says here, the original its generator's label."""
    from verifier.tasks import graphla, graphli
    i = soak.next_uid()
    if rng.random() < 0.5:
        item = graphla.generate_item(graphla.GraphLAConfig(depth="2-6"), soak.args.seed, i)
    else:
        item = graphli.generate_item(graphli.GraphLIConfig(depth="2-6"), soak.args.seed, i)
    dom, prem, q, ans = item["domain"], list(item["premises"]), item["query"], item["answer"]
    how = rng.choice(MUTATIONS)
    label = f"mutation {how} of {item['id']}:"
    graded = right_and_wrong(ans, dom)
    comps = [item["trajectory"]] + completions_of(graded[1:])
    original = known(grades_of(graded), expected=ans)
    if how.startswith("text_"):
        text = item["prompt"]
        j = rng.randrange(len(text))
        text = text[:j] + (rng.choice(ODD) if how == "text_odd" else " \t ") + text[j:]

        async def send_mutant():
            want = soak.oracle.want(None, completions=[comps[0]], text=text)
            await soak.call("mutate", f"{label} text={short(text, 100)}", "Verify",
                            pb.VerifyRequest(problem=pb.Problem(text=text),
                                             completion=comps[0]), CALL_TIMEOUT_S, want)
    else:
        if how == "nul_join":
            j = rng.randrange(max(1, len(prem) - 1))
            mprem = prem[:j] + ["\x00".join(prem[j:j + 2])] + prem[j + 2:]
            mq = q
        elif how == "dup_premise":
            mprem, mq = prem + [rng.choice(prem)], q
        elif how == "drop_premise":
            drop = rng.randrange(len(prem))
            mprem, mq = [p for j, p in enumerate(prem) if j != drop], q
        else:
            mprem = [mutate_text(p, how, rng) if rng.random() < 0.7 else p for p in prem]
            mq = mutate_text(q, how, rng) if rng.random() < 0.5 else q
        rpc = rng.choice(["Verify", "VerifyGroup", "Solve"])

        async def send_mutant():
            await soak.send_problem("mutate", dom, mprem, mq,
                                    comps[:1] if rpc == "Verify" else comps, rpc=rpc,
                                    label=label)

    async def send_original():
        await soak.send_problem("mutate", dom, prem, q, comps, original,
                                label=f"original of {item['id']} after its mutation {how}:")

    first, second = (send_mutant, send_original) if rng.random() < 0.5 else \
        (send_original, send_mutant)
    await first()
    await second()


async def canary_twin(soak: Soak, rng: random.Random) -> None:
    """A canary's problem spelled another way (whitespace, NUL, case): if the cache
    mixes the two up, this or the next canaries get the other's answer."""
    name, dom, prem, q, cs = rng.choice(CANARIES)
    how = rng.choice(["strip_ws", "nul_join", "nbsp", "tab", "upper", "zero_width"])
    if how == "strip_ws":
        tp, tq = ["".join(p.split()) for p in prem], "".join(q.split())
    elif how == "nul_join":
        tp, tq = ["\x00".join(prem)], q
    elif how == "nbsp":
        tp, tq = [p.replace(" ", "\u00a0") for p in prem], q
    elif how == "tab":
        tp, tq = [p.replace(" ", "\t\n") for p in prem], q
    elif how == "upper":
        tp, tq = [p.upper() for p in prem], q.upper()
    else:
        tp, tq = [p.replace(" ", "\u200b") for p in prem], q
    await soak.send_problem("canary_twin", dom, tp, tq, completions_of(cs),
                            rpc=rng.choice(["VerifyGroup", "Solve"]),
                            label=f"twin ({how}) of canary '{name}':")


async def poison(soak: Soak, rng: random.Random, which: str | None = None,
                 literal: bool = False) -> None:
    """Known cache-poisoning sequences, with fresh names unless ``literal``."""
    which = which or rng.choice(["logic", "nul_solve_first", "nul_verify_first"])
    k = soak.next_uid()
    if which == "logic":
        a, b = ("a", "b") if literal else (f"u{k}", f"v{k}")
        await soak.send_problem("poison", "logic", [f"{a}or{b}", f"not{a}"], b, [""],
                                rpc="Solve", label="poison step 1:")
        await soak.send_problem("poison", "logic", [f"{a} or {b}", f"not {a}"], b,
                                ["Answer: Unknown"], known([("wrong_abstention", 0.0)],
                                                           expected="True"),
                                label="poison step 2 (after step 1 with spaces removed):")
        return
    x, y = ("x", "y") if literal else (f"x{k}", f"y{k}")

    async def nul():
        await soak.send_problem("poison", "linear", [f"{x} = 1\x00{y} = 2"], x, [""],
                                rpc="Solve", label="poison NUL-joined premise:")

    async def two():
        await soak.send_problem("poison", "linear", [f"{x} = 1", f"{y} = 2"], x, ["Answer: 1"],
                                known([("correct", 1.0)], expected="1"),
                                label="poison two premises:")

    for step in ((nul, two) if which == "nul_solve_first" else (two, nul)):
        await step()


async def fuzz(soak: Soak, rng: random.Random) -> None:
    """Random premise-language-ish text, odd characters and domains."""
    alphabet = list("ab xyz()&|~!-><=+*/.0123456789") + ["<->", "->", " or ", " and ",
                                                         " not ", "true", "1/0"] + ODD

    def gen(n: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(n))

    dom = rng.choice(["linear", "logic", "logic", "linear", 0, 7])
    prem = [gen(rng.randint(1, 30)) for _ in range(rng.randint(0, 4))]
    q = gen(rng.randint(0, 6))
    comp = rng.choice(["Answer: True", "Answer: 1", "Answer: Unknown", gen(20)])
    want = rejected(f"domain is {dom}") if isinstance(dom, int) else None
    await soak.send_problem("fuzz", dom, prem, q, [comp], want,
                            rpc=rng.choice(["Verify", "Solve"]), label="fuzz:")
