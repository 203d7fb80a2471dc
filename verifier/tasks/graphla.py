"""GraphLA: linear equations about dish prices, generated from a directed acyclic hypergraph.

Structure of one item (``networkx.DiGraph``, edges parent → child):
- leaf dishes have a price stated directly ("A burger costs 7 dollars.");
- every other dish is defined by one hyperedge: a linear equation over its
  parent dishes with small integer coefficients and a constant
  ("Two burgers cost 3 dollars more than a pizza.");
- the queried dish ends a main chain ``v0 → v1 → … → vk``: ``k`` (the depth)
  is the number of edges on its longest derivation path. Other parents come
  from support leaves or earlier chain dishes two levels down, so the level
  of ``vi`` is exactly ``i``;
- distractors are true equations that define new dishes (from any dish) or
  state the price of a new dish: they never constrain the query.

Hidden prices are integers and every stated fact is true under them.

Unanswerable twin: the defining premise of the chain dish at *cut depth*
``d`` (``d = 0`` is the query's own equation, ``d = k`` the leaf price of
``v0``) is removed (``remove``) or replaced by a true equation that ties the
dish to a dish whose price is never given (``uninformative``). The label is
then proved by the exact engine; a perturbation that leaves the price
determined is discarded and another one is tried.

``meta`` (one schema for every task, see ``common.make_meta``): ``perturbation``
is ``remove``/``uninformative`` or ``none``; ``rules`` names the relation of each
chain dish ``v1 … vk``: ``total`` or ``comparison``.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from fractions import Fraction

import networkx as nx

from verifier.engines.linear import solve_linear_system
from verifier.errors import InvalidInput, ParseError
from verifier.lang.linear import parse_linear_equation
from verifier.problem import Problem
from verifier.solution import DETERMINED, UNDETERMINED
from verifier.tasks.common import (ANSWER_LINE_HELP, NO_CUT, NO_PERTURBATION, WORD_NUMBERS,
                                   IntRange, TaskSpec, bullet_list, capitalize, count_phrase,
                                   generate_many, is_unanswerable_slot, item_rng, join_list,
                                   make_item, make_meta, premises_block)

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


@dataclass(frozen=True)
class GraphLAConfig:
    """Knobs of the GraphLA generator (ranges are drawn per item)."""

    depth: IntRange = IntRange(2, 6)
    #: total dishes in the graph (raised to depth + 1 + distractors where smaller)
    dishes: IntRange = IntRange(6, 12)
    distractors: IntRange = IntRange(1, 4)
    #: cut depth for unanswerable items, counted from the query (0 .. depth); None = random
    cut_depth: IntRange | None = None
    unanswerable_share: float = 0.5
    perturbations: tuple[str, ...] = ("remove", "uninformative")
    #: hidden price of a leaf dish (one stated directly), in dollars
    leaf_prices: IntRange = IntRange(1, 20)
    #: hidden price of a dish defined by an equation over other dishes, in dollars
    prices: IntRange = IntRange(1, 30)
    #: dish coefficients in equations ("three burgers"); drawn from 1,1,1,2,3 (the
    #: defined dish) and 1,1,2,3 (the others), keeping those inside this range
    coefficients: IntRange = IntRange(1, 3)
    #: parents of a chain dish besides the previous one (drawn from 0,1,1,2, kept in range)
    extra_parents: IntRange = IntRange(0, 2)
    #: dish names: ``all`` (an adjective and a dish, "spicy taco": 480 names) or ``plain``
    #: (the 40 dishes without adjectives, "taco"); small models learn to copy the latter
    #: from the facts much sooner
    dish_names: str = "all"

    def __post_init__(self):
        for name in ("depth", "dishes", "distractors", "leaf_prices", "prices", "coefficients",
                     "extra_parents"):
            object.__setattr__(self, name, IntRange.parse(getattr(self, name), name))
        for name in ("leaf_prices", "prices", "coefficients"):
            if getattr(self, name).lo < 1:
                raise InvalidInput(f"GraphLA {name} must be >= 1, got {getattr(self, name)}")
        if self.dish_names not in DISH_NAME_POOLS:
            raise InvalidInput(f"GraphLA dish_names must be one of {', '.join(DISH_NAME_POOLS)}, "
                               f"got {self.dish_names!r}")
        if self.coefficients.hi > 3 or self.extra_parents.hi > 2:
            raise InvalidInput(f"GraphLA coefficients lie in 1..3 and extra_parents in 0..2 "
                               f"(the phrasings the parser reads), got {self.coefficients} and "
                               f"{self.extra_parents}")
        if self.cut_depth is not None:
            object.__setattr__(self, "cut_depth", IntRange.parse(self.cut_depth, "cut depth"))
        if self.depth.lo < 1 or self.depth.hi > 60:
            raise InvalidInput(f"GraphLA depth must lie in 1..60, got {self.depth}")
        pool = len(DISH_NAME_POOLS.get(self.dish_names, DISHES))
        if self.dishes.hi > pool - 1:
            raise InvalidInput(f"at most {pool - 1} dishes, got {self.dishes}")
        if self.depth.hi + 1 + self.distractors.hi > pool - 1:
            raise InvalidInput("depth + distractors need more dishes than the vocabulary has")
        if not 0.0 <= self.unanswerable_share <= 1.0:
            raise InvalidInput("unanswerable share must lie in [0, 1]")
        bad = set(self.perturbations) - {"remove", "uninformative"}
        if bad or not self.perturbations:
            raise InvalidInput(f"GraphLA perturbations are remove, uninformative; got {sorted(bad)}")


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
    premises = []
    for i, line in enumerate(premises_block(text, FACTS_HEADER), 1):
        try:
            premises.append(parse_sentence(line).premise())
        except ParseError as e:
            raise ParseError(e.reason, where=f"fact {i}") from None
    m = QUESTION_RE.search(text)
    if not m or m.group("dish") not in _BY_WORDS:
        raise ParseError("no question 'How much does a <dish> cost?' about a known dish",
                         where="problem text")
    return Problem("linear", tuple(premises), _BY_WORDS[m.group("dish")])


# ---------------------------------------------------------------- generation

def _within(choices: tuple[int, ...], allowed: IntRange) -> list[int]:
    """The weighted ``choices`` inside ``allowed`` (config checks keep one at least)."""
    return [c for c in choices if allowed.lo <= c <= allowed.hi]


def _build_graph(cfg: GraphLAConfig, rng: random.Random):
    k = cfg.depth.draw(rng)
    m = cfg.distractors.draw(rng)
    n = max(cfg.dishes.draw(rng), k + 1 + m)
    names = rng.sample(DISH_NAME_POOLS[cfg.dish_names], n + 1)
    spare = names.pop()  # the never-priced dish of an "uninformative" perturbation
    chain, rest = names[:k + 1], names[k + 1:]
    support, distract = rest[:n - k - 1 - m], rest[n - k - 1 - m:]

    g = nx.DiGraph()
    price: dict[str, int] = {}
    rel: dict[str, Relation] = {}

    # the defaults draw from the full lists: today's items, byte for byte
    own_coefficients = _within((1, 1, 1, 2, 3), cfg.coefficients)
    coefficients = _within((1, 1, 2, 3), cfg.coefficients)
    n_extra = _within((0, 1, 1, 2), cfg.extra_parents)

    def leaf(d):
        price[d] = rng.randint(cfg.leaf_prices.lo, cfg.leaf_prices.hi)
        rel[d] = Relation([(1, d)], [], price[d])
        g.add_node(d, level=0, role="leaf")

    def define(child, parents, role, level):
        price[child] = rng.randint(cfg.prices.lo, cfg.prices.hi)
        c0 = rng.choice(own_coefficients)
        terms = [(rng.choice(coefficients), p) for p in parents]
        g.add_node(child, level=level, role=role)
        for _, p in terms:
            g.add_edge(p, child)
        if rng.random() < 0.3:  # "A salad and two soups cost 17 dollars"
            lhs = [(c0, child)] + terms
            rel[child] = Relation(lhs, [], sum(c * price[d] for c, d in lhs))
        else:  # comparison with a constant
            const = c0 * price[child] - sum(c * price[d] for c, d in terms)
            rel[child] = Relation([(c0, child)], terms, const)

    leaf(chain[0])
    for s in support:
        leaf(s)
    unused = list(support)
    for i in range(1, k + 1):
        pool = unused + chain[:max(0, i - 1)]
        extra = rng.sample(pool, min(len(pool), rng.choice(n_extra)))
        for e in extra:
            if e in unused:
                unused.remove(e)
        define(chain[i], [chain[i - 1]] + extra, "chain", i)
    for j, d in enumerate(distract):
        if rng.random() < 0.3:
            leaf(d)
            g.nodes[d]["role"] = "distractor"
        else:
            parents = rng.sample(chain + support + distract[:j], rng.choice([1, 1, 2]))
            define(d, parents, "distractor", 1 + max(g.nodes[p]["level"] for p in parents))
    for d, r in rel.items():
        if not r.holds(price):  # construction invariant; a failure here is a generator bug
            raise RuntimeError(f"GraphLA generator produced a false fact for {d}")
    return g, k, chain, rel, price, spare


def _solve(premises: list[str], query: str):
    return solve_linear_system([parse_linear_equation(p) for p in premises], query)


def _trajectory(order: list[str], rel: dict[str, Relation], sentence: dict[str, str],
                query: str, missing: str | None, missing_note: str) -> str:
    """Gold derivation: solve each relation with one unknown left, in order."""
    known: dict[str, Fraction] = {}
    lines = []
    progress = True
    todo = list(order)
    while progress and todo:
        progress = False
        for d in list(todo):
            r = rel.get(d)
            if r is None:
                continue
            unknown = {n for _, n in r.lhs + r.rhs if n not in known}
            if unknown != {d}:
                continue
            sub = Relation([(c, n) for c, n in r.lhs], [(c, n) for c, n in r.rhs], r.const)
            lhs_v = sum((c * known[n] for c, n in sub.lhs if n != d), Fraction(0))
            rhs_v = sum((c * known[n] for c, n in sub.rhs if n != d), Fraction(0)) + r.const
            coef = sum(c for c, n in sub.lhs if n == d) - sum(c for c, n in sub.rhs if n == d)
            value = (rhs_v - lhs_v) / coef
            used = ", ".join(f"{n} = {known[n]}" for _, n in r.lhs + r.rhs if n != d)
            if used:
                step = f"{sentence[d]} So {r.premise()}; with {used}, {d} = {value}."
            else:
                step = f"{sentence[d]} So {d} = {value}."
            lines.append(step)
            known[d] = value
            todo.remove(d)
            progress = True
    singular = DISHES[query][0]
    if missing is None:
        lines.append(f"So a {singular} costs {known[query]} dollars.")
        lines.append(f"Answer: {known[query]}")
    else:
        lines.append(missing_note)
        lines.append(f"So the price of a {singular} cannot be determined.")
        lines.append("Answer: Unknown")
    return "\n".join(lines)


def generate_item(cfg: GraphLAConfig, seed: int, index: int, max_tries: int = 50) -> dict:
    """One GraphLA item, deterministic in ``(seed, index)``."""
    rng = item_rng("graphla", seed, index)
    unanswerable = is_unanswerable_slot(index, cfg.unanswerable_share)
    for attempt in range(max_tries):
        g, k, chain, rel, price, spare = _build_graph(cfg, rng)
        query = chain[-1]
        kind, cut_depth = NO_PERTURBATION, NO_CUT
        rels = dict(rel)
        missing = None
        note = ""
        if unanswerable:
            d = (cfg.cut_depth or IntRange(0, k)).draw(rng)
            d = min(d, k)
            target = chain[k - d]
            kind = rng.choice(cfg.perturbations)
            if kind == "remove":
                del rels[target]
                note = f"No fact gives the price of a {DISHES[target][0]}, which is needed."
            else:
                price[spare] = rng.randint(cfg.leaf_prices.lo, cfg.leaf_prices.hi)
                c = rng.choice(_within((1, 2), cfg.coefficients) or [cfg.coefficients.lo])
                rels[target] = Relation([(1, target)], [(c, spare)], price[target] - c * price[spare])
                note = (f"The price of a {DISHES[target][0]} is only tied to the price of a "
                        f"{DISHES[spare][0]}, which no fact gives.")
            missing = target
            cut_depth = d
        order = list(nx.topological_sort(g))
        shown = [d for d in order if d in rels]
        rng.shuffle(shown)
        rendered = {d: render(rels[d], rng) for d in shown}
        sentences = {d: s for d, (s, _) in rendered.items()}
        premises = [r.premise() for _, r in (rendered[d] for d in shown)]
        sol = _solve(premises, query)
        if unanswerable and sol.status != UNDETERMINED:
            continue  # another derivation survives the cut: draw a new graph
        if not unanswerable and (sol.status != DETERMINED or sol.value != price[query]):
            raise RuntimeError("GraphLA generator: answerable item not determined")  # bug
        answer = sol.expected
        # gold trajectory over the query's ancestors only
        needed = nx.ancestors(g, query) | {query}
        traj = _trajectory([d for d in order if d in needed], rels, sentences, query, missing,
                           note)
        question = f"How much does {count_phrase(1, *DISHES[query])} cost?"
        prompt = (f"{FACTS_HEADER}{bullet_list([sentences[d] for d in shown])}\n"
                  f"Question: {question}\n{INSTRUCTION}")
        meta = make_meta(
            task="graphla", depth=k, size=g.number_of_nodes(),
            distractors=sum(1 for d in g if g.nodes[d]["role"] == "distractor"),
            perturbation=kind, cut_depth=cut_depth,
            rules=[rel[d].rule for d in chain[1:]],  # as built, before any cut
            seed=seed, index=index, attempts=attempt + 1)
        return make_item(item_id=f"graphla-{seed}-{index}", domain="linear", prompt=prompt,
                         premises=premises, query=query, answer=answer, trajectory=traj,
                         meta=meta)
    raise RuntimeError(f"GraphLA: no unanswerable variant found in {max_tries} tries "
                       f"(seed {seed}, index {index}); loosen the knobs")


def generate(cfg: GraphLAConfig, n: int, seed: int, progress: bool = False):
    """Yield ``n`` GraphLA items."""
    return generate_many(lambda i: generate_item(cfg, seed, i), n, progress, "GraphLA")


def _words() -> set[str]:
    """Dish words as the prompts spell them, and the premise-language names."""
    words = set(DISHES)
    for singular, plural in DISHES.values():
        words.update(singular.split() + plural.split())
    return words


TASK = TaskSpec(
    name="graphla", title="GraphLA", question_hint="'How much does ... cost?'",
    domain="linear", config_class=GraphLAConfig, generate_item=generate_item,
    parse_prompt=parse_prompt, question_re=QUESTION_RE, size_knob="dishes",
    list_knobs=("perturbations",), demo={"size": "3-5", "distractors": "0-1"},
    vocabulary_config=GraphLAConfig(depth="1-6", dishes="3-16", distractors="0-6"),
    words=_words)
