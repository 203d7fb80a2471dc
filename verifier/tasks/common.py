"""Pieces shared by the GraphLA and GraphLI generators: knob ranges, the
answerable/unanswerable schedule, prompt layout and the item record."""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
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


#: knobs every task takes (CLI flag names with ``-`` as ``_``)
COMMON_KNOBS = ("depth", "distractors", "cut_depth", "unanswerable_share")


@dataclass(frozen=True)
class TaskSpec:
    """What the rest of the project needs to know about one task; each task module
    defines one as ``TASK`` and :mod:`verifier.tasks` finds it (a new task is one file).

    ``size_knob`` names the config field the generic ``size`` knob sets (dishes, atoms);
    ``list_knobs`` are task knobs given as comma lists on the command line; ``demo``
    holds the small-problem defaults (``size``, ``distractors``) of CPU demos;
    ``vocabulary_config`` is a config wide enough that its items use every word a
    tokenizer for the task needs, and ``words`` lists the task's closed vocabulary.
    """

    name: str
    #: how people write the name (GraphLA), and the question its prompts ask
    title: str
    question_hint: str
    domain: str
    config_class: type
    generate_item: Callable[[Any, int, int], dict]
    parse_prompt: Callable[[str], Any]
    question_re: re.Pattern
    size_knob: str
    list_knobs: tuple[str, ...] = ()
    demo: dict = field(default_factory=dict)
    vocabulary_config: Any = None
    words: Callable[[], set[str]] = set

    @property
    def knobs(self) -> tuple[str, ...]:
        """Every knob this task's :meth:`config` takes."""
        fields = [f for f in self.config_class.__dataclass_fields__ if f not in COMMON_KNOBS]
        return COMMON_KNOBS + ("size",) + tuple(fields)

    def config(self, **knobs):
        """The generator config from knob values as a CLI gives them (``None`` = default):
        numbers or ranges as text, list knobs as comma-separated text. A knob another
        task has is an error that says which task it belongs to."""
        kw: dict[str, Any] = {}
        for key, value in knobs.items():
            if value is None:
                continue
            if key not in self.knobs:
                from verifier import tasks  # the registry imports this module
                flag = "--" + key.replace("_", "-")
                owners = [t.title for t in tasks.all_tasks() if key in t.knobs]
                whose = f"a {' and '.join(owners)} knob" if owners else "no task's knob"
                raise InvalidInput(f"{flag} is {whose}, not a {self.title} one; {self.title} "
                                   "takes " + ", ".join("--" + k.replace("_", "-")
                                                        for k in self.knobs if k != "size"))
            if key == "size":
                key = self.size_knob
            if key in self.list_knobs and isinstance(value, str):
                value = tuple(x.strip() for x in value.split(",") if x.strip())
            kw[key] = value
        return self.config_class(**kw)

    def demo_config(self, depth: str, size: str | None = None, distractors: str | None = None,
                    **knobs):
        """A config for a CPU demo: small problems unless ``size``/``distractors`` say else."""
        return self.config(depth=depth, size=size or self.demo.get("size"),
                           distractors=distractors or self.demo.get("distractors"), **knobs)

    def generate(self, cfg, n: int, seed: int, progress: bool = False) -> Iterator[dict]:
        """Yield ``n`` items (item ``i`` depends only on ``cfg``, ``seed`` and ``i``)."""
        return generate_many(lambda i: self.generate_item(cfg, seed, i), n, progress,
                             self.title)
