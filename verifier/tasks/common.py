"""Pieces shared by the GraphLA and GraphLI generators: knob ranges, the
answerable/unanswerable schedule, prompt layout and the item record."""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from verifier.errors import InvalidInput

ANSWER_LINE_HELP = "End your response with a line of the form `Answer: <value>`"


@dataclass(frozen=True)
class IntRange:
    """An inclusive integer range given as ``7`` or ``3-9`` on the command line."""

    lo: int
    hi: int

    @classmethod
    def parse(cls, text: "str | int | IntRange", name: str = "value") -> "IntRange":
        if isinstance(text, IntRange):
            return text
        if isinstance(text, int):
            return cls(text, text)
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", str(text))
        if not m:
            raise InvalidInput(f"{name} must be a number like 5 or a range like 3-9, got {text!r}")
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) else lo
        if hi < lo:
            raise InvalidInput(f"{name} range {text!r} is empty (upper end below lower end)")
        return cls(lo, hi)

    def draw(self, rng: random.Random) -> int:
        return rng.randint(self.lo, self.hi)

    def __str__(self) -> str:
        return str(self.lo) if self.lo == self.hi else f"{self.lo}-{self.hi}"


def is_unanswerable_slot(index: int, share: float) -> bool:
    """Spread unanswerable items evenly: exactly round(n*share) of the first n.

    Item ``i`` is unanswerable iff ``floor((i+1)*share)`` exceeds ``floor(i*share)``,
    so every prefix of a generated set holds the requested share to within one item.
    """
    return math.floor((index + 1) * share + 1e-9) > math.floor(index * share + 1e-9)


def item_rng(task: str, seed: int, index: int) -> random.Random:
    """The deterministic random stream of one item (independent of other items)."""
    return random.Random(f"{task}:{seed}:{index}")


def bullet_list(lines: list[str]) -> str:
    return "\n".join(f"- {s}" for s in lines)


def premises_block(text: str, header: str) -> list[str]:
    """The bullet lines between ``header`` and ``Question:`` in a rendered prompt."""
    start = text.find(header)
    if start < 0:
        return []
    end = text.find("Question:", start)
    body = text[start + len(header): end if end >= 0 else len(text)]
    return [ln[2:].strip() for ln in body.splitlines() if ln.startswith("- ")]


def make_item(*, item_id: str, domain: str, prompt: str, premises: list[str], query: str,
              answer: str, trajectory: str, meta: dict[str, Any]) -> dict[str, Any]:
    return {"id": item_id, "domain": domain, "prompt": prompt, "premises": premises,
            "query": query, "answer": answer, "trajectory": trajectory, "meta": meta}


def generate_many(make: Callable[[int], dict], n: int, progress: bool = False,
                  desc: str = "generating") -> Iterator[dict]:
    """Yield ``make(i)`` for ``i < n`` with an optional progress bar on stderr."""
    indices: Any = range(n)
    if progress:
        from tqdm import tqdm
        indices = tqdm(indices, desc=desc, unit="item", mininterval=0.5)
    for i in indices:
        yield make(i)


def count_phrase(n: int, singular: str, plural: str) -> str:
    """``a burger``, ``an egg``, ``two burgers``."""
    if n == 1:
        return ("an " if singular[0] in "aeiou" else "a ") + singular
    return f"{NUMBER_WORDS[n]} {plural}"


NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}
WORD_NUMBERS = {w: n for n, w in NUMBER_WORDS.items()} | {"a": 1, "an": 1}


def join_list(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def capitalize(s: str) -> str:
    return s[:1].upper() + s[1:]
