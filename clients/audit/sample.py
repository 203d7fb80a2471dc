"""Synthetic model outputs for demos, tests and benchmarks of ``honest audit``.

    items = list(tasks.get("graphla").generate(cfg, 200, seed=1))
    rows = synthetic_outputs(items, seed=0)   # one output line per (model, item)

Each completion is built from the item's gold trajectory, so every kind of outcome the
audit reports occurs, with known causes:

- ``gold``: the trajectory as generated (correct, no flagged step);
- ``slip``: one derived value changed (GraphLA) or one derived proposition negated
  (GraphLI) on one line, final answer kept (correct, flagged at that line);
- ``wrong``: a derived step changed and the final answer with it (wrong_answer);
- ``invent``: on an unanswerable item, the derivable steps and then a made-up value
  (unwarranted_answer, flagged where the value is claimed);
- ``give_up``: on an answerable item, a few steps and then "cannot be determined"
  (wrong_abstention);
- ``garbage``: no final answer (unparsable).

The two default models differ in how often they pick each kind, and ``model-b`` gets
worse with depth. Nothing here is a real model: it exercises the pipeline.
"""

from __future__ import annotations

import random
import re
from typing import Sequence

from verifier.tasks.graphla import DISHES
from verifier.tasks.graphli import ATOMS

_LA_VALUE = re.compile(r"([a-z_]+) = (-?\d+(?:/\d+)?)(?=\.?$)")
_LI_LIT = re.compile(r"the ([a-z]+) is (not )?([a-z]+)")

#: model → (kind weights on answerable items, on unanswerable items, loss per depth)
MODELS = {
    "model-a": ({"gold": 70, "slip": 10, "wrong": 10, "give_up": 5, "garbage": 5},
                {"gold": 75, "invent": 20, "garbage": 5}, 0.01),
    "model-b": ({"gold": 55, "slip": 10, "wrong": 15, "give_up": 15, "garbage": 5},
                {"gold": 45, "invent": 50, "garbage": 5}, 0.06),
}


def _derivations(lines: list[str], domain: str) -> list[int]:
    """Lines that end by deriving something (a value, or a proposition after a colon)."""
    if domain == "linear":
        return [i for i, ln in enumerate(lines) if "; with " in ln and _LA_VALUE.search(ln)]
    return [i for i, ln in enumerate(lines) if ln.startswith(("Since ", "From "))
            and _LI_LIT.search(ln.rsplit(":", 1)[-1])]


def change_step(line: str, domain: str, delta: int = 1) -> str:
    """The line with its last derived value moved by ``delta`` (linear) or its last
    proposition negated (logic)."""
    if domain == "linear":
        m = list(_LA_VALUE.finditer(line))[-1]
        from fractions import Fraction
        new = Fraction(m.group(2)) + delta
        return f"{line[:m.start(2)]}{new}{line[m.end(2):]}"
    m = list(_LI_LIT.finditer(line))[-1]
    neg = "" if m.group(2) else "not "
    return f"{line[:m.start()]}the {m.group(1)} is {neg}{m.group(3)}{line[m.end():]}"


def _query_words(item: dict) -> str:
    if item["domain"] == "linear":
        return f"a {DISHES[item['query']][0]}"
    s, a = ATOMS[item["query"]]
    return f"the {s} is {a}"


def make_completion(item: dict, kind: str, rng: random.Random) -> str:
    """One completion of ``kind`` (see the module docstring) for a generated item."""
    lines = item["trajectory"].split("\n")
    body, domain = lines[:-1], item["domain"]
    steps = _derivations(body, domain)
    q = _query_words(item)
    if kind == "slip" and steps:
        k = rng.choice(steps)
        return "\n".join(body[:k] + [change_step(body[k], domain, rng.choice([1, 2, -1]))]
                         + lines[k + 1:])
    if kind == "wrong" and steps:
        k = rng.choice(steps)
        if domain == "linear":
            v = int(item["answer"]) + rng.choice([1, 2, 3, -1])
            tail = [f"So {q} costs {v} dollars.", f"Answer: {v}"]
        else:
            v = item["answer"] != "True"
            tail = [f"So it is {'true' if v else 'not true'} that {q}.", f"Answer: {v}"]
        return "\n".join(body[:k] + [change_step(body[k], domain)] + tail)
    if kind == "invent":
        known = [ln for ln in body if not ln.startswith(("No ", "Nothing ", "So "))]
        if domain == "linear":
            v = rng.randint(3, 30)
            tail = [f"So {q} costs {v} dollars.", f"Answer: {v}"]
        else:
            v = rng.random() < 0.5
            tail = [f"So it is {'true' if v else 'not true'} that {q}.", f"Answer: {v}"]
        return "\n".join(known + tail)
    if kind == "give_up":
        keep = body[:max(1, len(steps) // 2)]
        if domain == "linear":
            tail = [f"So the price of {q} cannot be determined.", "Answer: Unknown"]
        else:
            tail = [f"So whether {q} cannot be determined.", "Answer: Unknown"]
        return "\n".join(keep + tail)
    if kind == "garbage":
        return rng.choice(["I think the facts are not enough to be sure.",
                           "Let me restate the question: it asks about " + q + ".",
                           "The answer depends on the facts."])
    return item["trajectory"]


def synthetic_outputs(items: Sequence[dict], models: dict = MODELS, seed: int = 0) -> list[dict]:
    """One output line per (model, item): the item's fields plus ``model``, ``response``
    and ``kind`` (which recipe made the completion)."""
    rng = random.Random(seed)
    out = []
    for model, (ans_w, unans_w, loss) in models.items():
        for item in items:
            answerable = item["answer"] != "Unknown"
            weights = dict(ans_w if answerable else unans_w)
            depth = (item.get("meta") or {}).get("depth", 0)
            weights["gold"] = max(1.0, weights["gold"] * (1 - loss * depth))
            kind = rng.choices(list(weights), list(weights.values()))[0]
            out.append({**item, "model": model, "kind": kind,
                        "response": make_completion(item, kind, rng)})
    return out
