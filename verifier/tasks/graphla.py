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

The language the facts are written in (dish names, sentence templates, the parser that
reads a prompt back) is ``verifier/tasks/graphla_text.py``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction

import networkx as nx

from verifier.engines.linear import solve_linear_system
from verifier.errors import InvalidInput
from verifier.lang.linear import parse_linear_equation
from verifier.solution import DETERMINED, UNDETERMINED
from verifier.tasks.common import (NO_CUT, NO_PERTURBATION, IntRange, TaskSpec, bullet_list,
                                   count_phrase, generate_many, is_unanswerable_slot, item_rng,
                                   make_item, make_meta)
# the language (names, sentences, parser) lives in graphla_text; its names stay reachable
# here (graphla.DISHES, graphla.render, graphla.parse_sentence, ...)
from verifier.tasks.graphla_text import (  # noqa: F401
    DISH_NAME_POOLS, DISHES, FACTS_HEADER, INSTRUCTION, QUESTION_RE, Relation, _dollars,
    parse_prompt, parse_sentence, render)


#: gold trajectory styles (GraphLAConfig.trajectory)
TRAJECTORY_STYLES = ("forward", "goal")


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
    #: gold trajectory style: ``forward`` (solve the facts bottom-up, each line a fact and
    #: the value it gives) or ``goal`` (first search backwards from the query, one look-up
    #: per line — "We need the price of a pie. <its equation> So we need the price of a
    #: tart." ... — stopping at the first price no fact gives, then the arithmetic written
    #: out, "pie = 8 - 2 = 6", without restating the facts); the problems are the same
    #: either way
    trajectory: str = "forward"

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
        if self.trajectory not in TRAJECTORY_STYLES:
            raise InvalidInput(f"GraphLA trajectory must be one of {', '.join(TRAJECTORY_STYLES)}, "
                               f"got {self.trajectory!r}")
        bad = set(self.perturbations) - {"remove", "uninformative"}
        if bad or not self.perturbations:
            raise InvalidInput(f"GraphLA perturbations are remove, uninformative; got {sorted(bad)}")


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


def _derivation(order: list[str], rel: dict[str, Relation], sentence: dict[str, str],
                restate: bool) -> tuple[list[str], dict[str, Fraction]]:
    """Forward derivation: solve each relation with one unknown left, in ``order``; one
    line per solved dish, led by its fact when ``restate`` (the ``forward`` style); else
    (``goal``) leaves give no line and a defined dish its arithmetic written out
    (``tart = 8 - 2 = 6``). Returns the lines and the values found."""
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
            lhs_v = sum((c * known[n] for c, n in r.lhs if n != d), Fraction(0))
            rhs_v = sum((c * known[n] for c, n in r.rhs if n != d), Fraction(0)) + r.const
            coef = sum(c for c, n in r.lhs if n == d) - sum(c for c, n in r.rhs if n == d)
            value = (rhs_v - lhs_v) / coef
            used = ", ".join(f"{n} = {known[n]}" for _, n in r.lhs + r.rhs if n != d)
            lead = f"{sentence[d]} " if restate else ""
            shown = "" if restate else _worked(r, d, known, coef, value)
            if used:
                lines.append(f"{lead}So {r.premise()}; with {used}, {d} = {shown}{value}.")
            elif restate:
                lines.append(f"{lead}So {d} = {value}.")
            known[d] = value
            todo.remove(d)
            progress = True
    return lines, known


def _worked(r: Relation, d: str, known: dict[str, Fraction], coef: Fraction,
            value: Fraction) -> str:
    """The arithmetic that gives ``d`` from ``r`` with the known values put in, followed by
    " = " (``"8 - 2 = "``, ``"(13 - 2*3)/2 = "``); empty when it is the value itself."""
    sign = 1 if coef > 0 else -1
    terms = [(sign * c, known[n]) for c, n in r.rhs if n != d]
    if r.const or not terms:
        terms.append((sign, Fraction(r.const)))
    terms += [(-sign * c, known[n]) for c, n in r.lhs if n != d]
    text = ""
    for i, (c, v) in enumerate(terms):
        c, v = (c, v) if v >= 0 else (-c, -v)
        num = str(v) if v.denominator == 1 else f"({v})"
        term = num if abs(c) == 1 else f"{abs(c)}*{num}"
        text += (("-" if c < 0 else "") + term) if i == 0 else (" - " if c < 0 else " + ") + term
    if abs(coef) != 1:
        text = f"({text})/{abs(coef)}"
    return "" if text == str(value) else f"{text} = "


def _goal_search(rel: dict[str, Relation], sentence: dict[str, str],
                 query: str) -> tuple[list[str], bool]:
    """Backward search from the query, one look-up per line: a dish's fact, then "So we
    need the price of" its other dishes, depth first; a dish no fact defines ends the
    search ("No fact gives the price of ..."). Returns the lines and whether every needed
    price was found. Every line holds a claim the step audit reads (the fact itself, or
    that no fact gives a price); "we need" sentences state no claim."""
    lines: list[str] = []
    seen: set[str] = set()

    def visit(d: str, lead: str) -> bool:  # recursion depth <= the chain's (<= 60)
        seen.add(d)
        r = rel.get(d)
        if r is None:
            lines.append(f"{lead}No fact gives the price of {_a(d)}.")
            return False
        todo = [n for n in dict.fromkeys(n for _, n in r.lhs + r.rhs) if n not in seen]
        need = f" So we need {_prices_of(todo)}." if todo else ""
        lines.append(f"{lead}{sentence[d]}{need}")
        return all(visit(n, "") for n in todo if n not in seen)

    found = visit(query, f"We need the price of {_a(query)}. ")
    return lines, found


def _a(dish: str) -> str:
    return count_phrase(1, *DISHES[dish])


def _prices_of(dishes: list[str]) -> str:
    """``the price of a tart`` / ``the prices of a tart, a pie and a bagel``."""
    names = [_a(d) for d in dishes]
    if len(names) == 1:
        return f"the price of {names[0]}"
    return f"the prices of {', '.join(names[:-1])} and {names[-1]}"


def _trajectory(order: list[str], rel: dict[str, Relation], sentence: dict[str, str],
                query: str, missing: str | None, missing_note: str, style: str) -> str:
    """Gold trajectory in ``style`` (see ``GraphLAConfig.trajectory``)."""
    singular = DISHES[query][0]
    if style == "goal":
        lines, found = _goal_search(rel, sentence, query)
        if found != (missing is None):  # the search must end where the cut is
            raise RuntimeError(f"GraphLA generator: goal search found={found} but missing="
                               f"{missing!r}")
        if missing is not None:
            return "\n".join(lines + [f"So the price of {_a(query)} cannot be determined.",
                                       "Answer: Unknown"])
        steps, known = _derivation(order, rel, sentence, restate=False)
    else:
        lines, (steps, known) = [], _derivation(order, rel, sentence, restate=True)
    lines += steps
    if missing is None:
        lines.append(f"So a {singular} costs {_dollars(known[query])}.")
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
                           note, cfg.trajectory)
        question = f"How much does {_a(query)} cost?"
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
