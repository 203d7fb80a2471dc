"""Pieces shared by the GraphLA and GraphLI generators: knob ranges, the
answerable/unanswerable schedule, prompt layout and the item record."""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from verifier.errors import InvalidInput, ParseError

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


def read_premises(text: str, header: str, read_one: Callable[[str], str],
                  noun: str) -> tuple[str, ...]:
    """Each bullet of a rendered prompt read by ``read_one`` (sentence → premise text); a
    sentence it cannot read fails with its place (``noun`` and its 1-based number)."""
    out = []
    for i, line in enumerate(premises_block(text, header), 1):
        try:
            out.append(read_one(line))
        except ParseError as e:
            raise ParseError(e.reason, where=f"{noun} {i}") from None
    return tuple(out)


# ---------------------------------------------------------------- the item record
#
# Every item of every task has the same keys and the same ``meta`` keys, and no value
# is ever JSON null or an empty list. Why: ``datasets.load_dataset("json", ...)`` takes
# its schema from the first chunk (10 MB) of the first file and casts everything else
# to it; pyarrow types a column that is null (or ``[]``) in every row of that chunk as
# ``null``, and nothing non-null casts to ``null``. So with nulls, files loaded together
# work or fail depending on their order (an all-answerable file first fails).
# "Does not apply" therefore has a documented value of the field's own type:
# ``perturbation == "none"`` and ``cut_depth == -1``. tests/test_export.py checks that
# every kind of file infers the identical schema.

#: ``perturbation`` of an answerable item (no premise was removed or changed)
NO_PERTURBATION = "none"
#: ``cut_depth`` of an item where no premise of the main chain was cut (every answerable
#: item, and GraphLI's ``false_conclusion``, which asks about an atom off the chain)
NO_CUT = -1

#: the keys of ``meta``, in order, and the JSON type of each (never null)
META_TYPES: dict[str, type] = {
    "task": str,           # task name: graphla | graphli
    "depth": int,          # reasoning depth k (edges on the query's longest derivation path)
    "size": int,           # dishes (GraphLA) or atoms (GraphLI) in the item
    "distractors": int,    # distractor premises
    "answerable": bool,    # the premises determine the answer (answer != "Unknown")
    "perturbation": str,   # what made it unanswerable, or NO_PERTURBATION
    "cut_depth": int,      # where the chain was cut, counted from the query, or NO_CUT
    "rules": list,         # rule of each main-chain step, fact → query (len == depth)
    "seed": int,
    "index": int,
    "attempts": int,       # graphs drawn until the variant had the required label
}


def make_meta(*, task: str, depth: int, size: int, distractors: int, perturbation: str,
              cut_depth: int, rules: list[str], seed: int, index: int,
              attempts: int) -> dict[str, Any]:
    """The ``meta`` object of one item (see :data:`META_TYPES`); ``answerable`` follows
    from ``perturbation``. A value of the wrong type is a generator bug and raises."""
    meta = {"task": task, "depth": depth, "size": size, "distractors": distractors,
            "answerable": perturbation == NO_PERTURBATION, "perturbation": perturbation,
            "cut_depth": cut_depth, "rules": list(rules), "seed": seed, "index": index,
            "attempts": attempts}
    for key, kind in META_TYPES.items():
        value = meta[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise RuntimeError(f"{task} generator: meta.{key} = {value!r} is not {kind.__name__}")
    if not meta["rules"] or not all(isinstance(r, str) for r in meta["rules"]):
        raise RuntimeError(f"{task} generator: meta.rules must be a non-empty list of names "
                           f"(an empty list types as null under datasets), got {rules!r}")
    if cut_depth < NO_CUT or (perturbation == NO_PERTURBATION and cut_depth != NO_CUT):
        raise RuntimeError(f"{task} generator: cut depth {cut_depth} does not fit "
                           f"perturbation {perturbation!r}")
    return meta


def make_item(*, item_id: str, domain: str, prompt: str, premises: list[str], query: str,
              answer: str, trajectory: str, meta: dict[str, Any]) -> dict[str, Any]:
    """One dataset line: the same keys, in the same order, for every task."""
    if list(meta) != list(META_TYPES):
        raise RuntimeError(f"item {item_id}: meta keys {list(meta)} are not {list(META_TYPES)};"
                           " build meta with make_meta")
    if meta["answerable"] != (answer != "Unknown"):
        raise RuntimeError(f"item {item_id}: answer {answer!r} disagrees with meta.answerable")
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
                raise InvalidInput(self.foreign_knob_message(key))
            if key == "size":
                key = self.size_knob
            if key in self.list_knobs and isinstance(value, str):
                value = tuple(x.strip() for x in value.split(",") if x.strip())
            kw[key] = value
        return self.config_class(**kw)

    def foreign_knob_message(self, key: str, owners: tuple[str, ...] = ()) -> str:
        """What to say about a knob this task does not have (``owners``: tasks that do)."""
        flag = "--" + key.replace("_", "-")
        what = (f"a {' and '.join(owners)} knob, not a {self.title} one" if owners
                else f"not a {self.title} knob")
        return (f"{flag} is {what}; {self.title} takes "
                + ", ".join("--" + k.replace("_", "-") for k in self.knobs if k != "size"))

    def demo_knobs(self, depth: str, size: str | None = None, distractors: str | None = None,
                   **knobs) -> dict:
        """Knobs for a CPU demo: small problems unless ``size``/``distractors`` say else."""
        return dict(depth=depth, size=size or self.demo.get("size"),
                    distractors=distractors or self.demo.get("distractors"), **knobs)

    def generate(self, cfg, n: int, seed: int, progress: bool = False) -> Iterator[dict]:
        """Yield ``n`` items (item ``i`` depends only on ``cfg``, ``seed`` and ``i``)."""
        return generate_many(lambda i: self.generate_item(cfg, seed, i), n, progress,
                             self.title)
