"""The GraphLA language: dish names, the sentences a fact is rendered as, and their parser.

    sentence, stated = render(Relation([(1, "taco")], [], 4), rng)   # "A taco costs 4 dollars."
    parse_sentence(sentence)          # the relation the sentence states
    parse_prompt(item["prompt"])      # a whole prompt → linear Problem

A fact is a :class:`Relation` ``sum(lhs) = sum(rhs) + const`` over dishes with small
integer counts; :func:`render` draws one of a few templates for it and
:func:`parse_sentence` reads every template back. ``verifier/tasks/graphla.py`` builds
the problems from these; ``honest check`` reads prompts written in this language.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from verifier.errors import ParseError
from verifier.problem import Problem
from verifier.tasks.common import (ANSWER_LINE_HELP, WORD_NUMBERS, capitalize, count_phrase,
                                   join_list, read_premises)

# (singular, plural)
_BASE_DISHES = [
    ("burger", "burgers"), ("pizza", "pizzas"), ("salad", "salads"), ("soup", "soups"),
    ("cake", "cakes"), ("cookie", "cookies"), ("taco", "tacos"), ("sandwich", "sandwiches"),
    ("pie", "pies"), ("muffin", "muffins"), ("bagel", "bagels"), ("donut", "donuts"),
    ("omelette", "omelettes"), ("pancake", "pancakes"), ("waffle", "waffles"),
    ("burrito", "burritos"), ("curry", "curries"), ("steak", "steaks"), ("noodle bowl",
    "noodle bowls"), ("rice bowl", "rice bowls"), ("hot dog", "hot dogs"), ("wrap", "wraps"),
    ("smoothie", "smoothies"), ("milkshake", "milkshakes"), ("coffee", "coffees"),
    ("tea", "teas"), ("lemonade", "lemonades"), ("croissant", "croissants"),
    ("brownie", "brownies"), ("sundae", "sundaes"), ("dumpling", "dumplings"),
    ("pretzel", "pretzels"), ("quesadilla", "quesadillas"), ("kebab", "kebabs"),
    ("lasagna", "lasagnas"), ("risotto", "risottos"), ("samosa", "samosas"),
    ("scone", "scones"), ("tart", "tarts"), ("pudding", "puddings"),
]
_ADJECTIVES = ["", "spicy", "small", "large", "vegan", "grilled", "classic", "sweet",
               "cheesy", "crispy", "mini", "double"]

#: dish key (premise-language name) → (singular, plural)
DISHES: dict[str, tuple[str, str]] = {}
for _adj in _ADJECTIVES:
    for _s, _p in _BASE_DISHES:
        _sing = f"{_adj} {_s}".strip()
        DISHES[_sing.replace(" ", "_")] = (_sing, f"{_adj} {_p}".strip())
_BY_WORDS = {}
for _k, (_s, _p) in DISHES.items():
    _BY_WORDS[_s] = _k
    _BY_WORDS[_p] = _k

#: the names a generator may draw, by ``GraphLAConfig.dish_names`` (sorted: deterministic)
DISH_NAME_POOLS: dict[str, list[str]] = {
    "all": sorted(DISHES),
    "plain": sorted(s.replace(" ", "_") for s, _ in _BASE_DISHES),
}

QUESTION_RE = re.compile(r"How much does (?:an?|one) (?P<dish>[a-z ]+?) cost\?")
FACTS_HEADER = "Facts:\n"
INSTRUCTION = (
    "If the facts determine the price, give it in dollars; if they do not, answer Unknown. "
    f"{ANSWER_LINE_HELP} where <value> is a number or Unknown."
)


@dataclass
class Relation:
    """``sum(lhs) = sum(rhs) + const``; terms are (coefficient, dish)."""

    lhs: list[tuple[int, str]]
    rhs: list[tuple[int, str]] = field(default_factory=list)
    const: int = 0

    def premise(self) -> str:
        def terms(ts):
            return " + ".join(n if c == 1 else f"{c}*{n}" for c, n in ts)
        right = terms(self.rhs)
        if not right:
            right = str(self.const)
        elif self.const:
            right += f" {'+' if self.const > 0 else '-'} {abs(self.const)}"
        return f"{terms(self.lhs)} = {right}"

    def holds(self, price: dict[str, int]) -> bool:
        return (sum(c * price[n] for c, n in self.lhs)
                == sum(c * price[n] for c, n in self.rhs) + self.const)

    @property
    def rule(self) -> str:
        """``comparison`` (costs k more/less than, or the same as, other dishes), ``total``
        (dishes together cost k) or ``price`` (one dish costs k): ``meta.rules`` names."""
        if self.rhs:
            return "comparison"
        return "price" if len(self.lhs) == 1 and self.lhs[0][0] == 1 else "total"


# ---------------------------------------------------------------- rendering

def _phrase(terms: list[tuple[int, str]]) -> str:
    return join_list([count_phrase(c, *DISHES[n]) for c, n in terms])


def _verb(terms, singular: str, plural: str) -> str:
    return singular if len(terms) == 1 and terms[0][0] == 1 else plural


def _dollars(k: int) -> str:
    return f"{k} dollar" if k == 1 else f"{k} dollars"


def render(rel: Relation, rng: random.Random) -> tuple[str, Relation]:
    """One sentence for ``rel`` (template drawn from ``rng``) and the relation as that
    sentence states it (sides may be swapped); the parser reads back the latter."""
    if not rel.rhs:
        L, k = _phrase(rel.lhs), rel.const
        t = rng.randrange(2)
        if t == 0:
            s = f"{capitalize(L)} {_verb(rel.lhs, 'costs', 'cost')} {_dollars(k)}."
        elif len(rel.lhs) == 1 and rel.lhs[0][0] == 1:
            s = f"The price of {L} is {_dollars(k)}."
        else:
            s = rng.choice([f"In total, {L} cost {_dollars(k)}.",
                            f"The total price of {L} is {_dollars(k)}."])
        return s, rel
    if rng.random() < 0.5:  # state it the other way round
        rel = Relation(rel.rhs, rel.lhs, -rel.const)
    L, R, k = _phrase(rel.lhs), _phrase(rel.rhs), rel.const
    t = rng.randrange(2)
    if k == 0:
        if t == 0:
            s = f"{capitalize(L)} {_verb(rel.lhs, 'costs', 'cost')} the same as {R}."
        else:
            s = f"The price of {L} is the same as the price of {R}."
    else:
        more = "more" if k > 0 else "less"
        if t == 0:
            s = f"{capitalize(L)} {_verb(rel.lhs, 'costs', 'cost')} {_dollars(abs(k))} {more} than {R}."
        else:
            adj = "more expensive" if k > 0 else "cheaper"
            s = f"{capitalize(L)} {_verb(rel.lhs, 'is', 'are')} {_dollars(abs(k))} {adj} than {R}."
    return s, rel


_ITEM = re.compile(r"(an?|one|two|three|four|five|six) ([a-z ]+)\Z")


def _parse_phrase(text: str) -> list[tuple[int, str]]:
    parts = re.split(r", | and ", text.strip())
    out = []
    for p in parts:
        m = _ITEM.match(p.strip().lower())
        if not m or m.group(2) not in _BY_WORDS:
            raise ParseError(f"cannot read {p!r} as a count and a dish")
        out.append((WORD_NUMBERS[m.group(1)], _BY_WORDS[m.group(2)]))
    return out


_N = r"(?P<k>\d+) dollars?"
_SENTENCES = [
    (re.compile(rf"(?:In total, |The total price of |The price of )?(?P<L>.+?) (?:costs?|is) {_N}\.\Z"),
     "total"),
    (re.compile(r"(?:The price of )?(?P<L>.+?) (?:costs?|is) the same as (?:the price of )?(?P<R>.+?)\.\Z"),
     "same"),
    (re.compile(rf"(?P<L>.+?) (?:costs?|is|are) {_N} (?P<dir>more|less|more expensive|cheaper) than (?P<R>.+?)\.\Z"),
     "diff"),
]


def parse_sentence(sentence: str) -> Relation:
    """Read one rendered fact back into the relation it states."""
    s = sentence.strip()
    for rx, kind in reversed(_SENTENCES):
        m = rx.match(s)
        if not m:
            continue
        try:
            lhs = _parse_phrase(m.group("L"))
            if kind == "total":
                return Relation(lhs, [], int(m.group("k")))
            rhs = _parse_phrase(m.group("R"))
        except ParseError:
            continue
        if kind == "same":
            return Relation(lhs, rhs, 0)
        k = int(m.group("k"))
        return Relation(lhs, rhs, k if m.group("dir") in ("more", "more expensive") else -k)
    raise ParseError(f"cannot read this sentence as a GraphLA fact: {s!r}")


def parse_prompt(text: str) -> Problem:
    """A GraphLA prompt (as rendered by this module) → linear :class:`Problem`."""
    premises = read_premises(text, FACTS_HEADER, lambda s: parse_sentence(s).premise(), "fact")
    m = QUESTION_RE.search(text)
    if not m or m.group("dish") not in _BY_WORDS:
        raise ParseError("no question 'How much does a <dish> cost?' about a known dish",
                         where="problem text")
    return Problem("linear", premises, _BY_WORDS[m.group("dish")])
