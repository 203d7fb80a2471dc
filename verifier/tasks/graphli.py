"""GraphLI: propositional inference chains, generated from a directed acyclic hypergraph.

Atoms are short propositions ("the alarm is loud"); a hidden truth assignment
makes every stated premise true. The queried literal ends a main chain
``L0 → L1 → … → Lk`` (``k`` = depth): ``L0`` is a stated fact and each ``Li``
follows from ``L(i-1)`` (and sometimes one more known literal) by one
canonical rule, stated as premise(s):

=================  ==========================================  =========================
rule               premise(s)                                  step
=================  ==========================================  =========================
modus ponens       If A, then B.                               A ⊢ B
modus tollens      If not B, then not A.                        A ⊢ B
disj. syllogism    Either not A or B.                          A ⊢ B
conjunction        If A and C, then B.                          A, C ⊢ B
disj. premise      If A or C, then B.                           A ⊢ B
hyp. syllogism     If A, then M.  If M, then B.                 A ⊢ (A → B) ⊢ B
=================  ==========================================  =========================

Distractors are true rules and facts over other atoms (sometimes touching
chain atoms). The question asks "Is it true that <atom>?": ``True`` when the
chain ends in the atom, ``False`` when it ends in its negation.

Unanswerable interventions (by name), at cut depth ``d`` counted from the
query (``d = k`` is the fact ``L0``):
- ``premise_removal``: a needed premise is removed;
- ``false_premise``: a needed premise is replaced by its converse (rules) or
  its negation (the fact), which breaks every derivation;
- ``false_conclusion``: the question asks about an atom no chain produces.
Every label is proved by the Z3 engine; a variant that Z3 does not prove
undetermined is discarded and another is drawn.

``meta`` (one schema for every task, see ``common.make_meta``): the intervention
is ``perturbation`` (``none`` when answerable), ``cut_depth`` is -1 for
``false_conclusion``, and ``rules`` lists the rule of each chain step ``L1 … Lk``.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from verifier.engines.logic import solve_logic
from verifier.errors import InvalidInput, ParseError
from verifier.lang.logic import Formula, formula_to_text
from verifier.problem import Problem
from verifier.solution import DETERMINED, UNDETERMINED
from verifier.tasks.common import (ANSWER_LINE_HELP, NO_CUT, NO_PERTURBATION, IntRange,
                                   TaskSpec, bullet_list, capitalize, generate_many,
                                   is_unanswerable_slot, item_rng, make_item, make_meta,
                                   read_premises)

_SUBJECTS = [
    "alarm", "door", "lamp", "window", "kettle", "garden", "bell", "radio", "oven", "fridge",
    "car", "bike", "boat", "tent", "river", "road", "roof", "floor", "table", "chair", "clock",
    "phone", "printer", "screen", "fan", "heater", "tap", "basket", "box", "bag", "cup", "jar",
    "bottle", "drawer", "gate", "fence", "barn", "shed", "hall", "kitchen", "cellar", "attic",
    "garage", "office", "library", "museum", "bridge", "tower", "train", "bus",
]
_ADJECTIVES = ["red", "open", "loud", "broken", "wet", "cold", "warm", "locked", "bright",
               "quiet", "clean", "full"]
#: atom name → (subject, adjective)
ATOMS: dict[str, tuple[str, str]] = {f"{s}_{a}": (s, a) for s in _SUBJECTS for a in _ADJECTIVES}

INTERVENTIONS = ("premise_removal", "false_premise", "false_conclusion")
QUESTION_RE = re.compile(r"Is it true that (?P<lit>the [a-z]+ is [a-z]+)\?")
FACTS_HEADER = "Facts and rules:\n"
INSTRUCTION = (
    "Answer True if the statements entail it, False if they entail its negation, and Unknown "
    f"if they entail neither. {ANSWER_LINE_HELP} where <value> is True, False or Unknown."
)

Lit = tuple[str, bool]  # (atom, polarity)


@dataclass(frozen=True)
class GraphLIConfig:
    depth: IntRange = IntRange(2, 8)
    #: total atoms mentioned (raised to what the chain needs)
    atoms: IntRange = IntRange(8, 16)
    distractors: IntRange = IntRange(2, 6)
    cut_depth: IntRange | None = None
    unanswerable_share: float = 0.5
    interventions: tuple[str, ...] = INTERVENTIONS
    rules: tuple[str, ...] = ("mp", "mt", "ds", "conj", "disj", "hs")

    def __post_init__(self):
        for name in ("depth", "atoms", "distractors"):
            object.__setattr__(self, name, IntRange.parse(getattr(self, name), name))
        if self.cut_depth is not None:
            object.__setattr__(self, "cut_depth", IntRange.parse(self.cut_depth, "cut depth"))
        if self.depth.lo < 1 or 3 * self.depth.hi + 2 > len(ATOMS):
            raise InvalidInput(f"GraphLI depth must lie in 1..{(len(ATOMS) - 2) // 3}")
        if self.atoms.hi > len(ATOMS):
            raise InvalidInput(f"at most {len(ATOMS)} atoms, got {self.atoms}")
        if not 0.0 <= self.unanswerable_share <= 1.0:
            raise InvalidInput("unanswerable share must lie in [0, 1]")
        bad = set(self.interventions) - set(INTERVENTIONS)
        if bad or not self.interventions:
            raise InvalidInput(f"interventions are {', '.join(INTERVENTIONS)}; got {sorted(bad)}")
        bad = set(self.rules) - {"mp", "mt", "ds", "conj", "disj", "hs"}
        if bad or not self.rules:
            raise InvalidInput(f"rules are mp, mt, ds, conj, disj, hs; got {sorted(bad)}")


# ---------------------------------------------------------------- premises

def neg(lit: Lit) -> Lit:
    return (lit[0], not lit[1])


def lit_formula(lit: Lit) -> Formula:
    v = ("var", lit[0])
    return v if lit[1] else ("not", v)


def lit_text(lit: Lit) -> str:
    s, a = ATOMS[lit[0]]
    return f"the {s} is {a}" if lit[1] else f"the {s} is not {a}"


@dataclass(frozen=True)
class Premise:
    """One stated premise: a shape and its literals. ``fact``: (A,);
    ``imp``: (A, B); ``and_imp``/``or_imp``: (A, C, B) = (A ∧/∨ C) → B; ``or``: (A, B)."""

    shape: str
    lits: tuple[Lit, ...]
    style: int = 0  # which sentence template renders it

    def formula(self) -> Formula:
        f = [lit_formula(x) for x in self.lits]
        if self.shape == "fact":
            return f[0]
        if self.shape == "imp":
            return ("imp", f[0], f[1])
        if self.shape == "and_imp":
            return ("imp", ("and", f[0], f[1]), f[2])
        if self.shape == "or_imp":
            return ("imp", ("or", f[0], f[1]), f[2])
        return ("or", f[0], f[1])

    def text(self) -> str:
        return formula_to_text(self.formula())

    def holds(self, world: dict[str, bool]) -> bool:
        t = [world[a] == p for a, p in self.lits]
        if self.shape == "fact":
            return t[0]
        if self.shape == "imp":
            return (not t[0]) or t[1]
        if self.shape == "and_imp":
            return not (t[0] and t[1]) or t[2]
        if self.shape == "or_imp":
            return not (t[0] or t[1]) or t[2]
        return t[0] or t[1]

    def sentence(self) -> str:
        L = [lit_text(x) for x in self.lits]
        if self.shape == "fact":
            return capitalize(L[0]) + "."
        if self.shape == "imp":
            return f"If {L[0]}, then {L[1]}." if self.style == 0 else f"{capitalize(L[1])} if {L[0]}."
        if self.shape == "and_imp":
            return f"If {L[0]} and {L[1]}, then {L[2]}."
        if self.shape == "or_imp":
            return f"If {L[0]} or {L[1]}, then {L[2]}."
        return f"Either {L[0]} or {L[1]}." if self.style == 0 else f"{capitalize(L[0])} or {L[1]}."


_S = "|".join(sorted(_SUBJECTS, key=len, reverse=True))
_A = "|".join(_ADJECTIVES)
_LIT = rf"[Tt]he (?:{_S}) is (?:not )?(?:{_A})"
_LIT_PARTS = re.compile(rf"[Tt]he ({_S}) is (not )?({_A})\Z")


def _g(name: str) -> str:
    return rf"(?P<{name}>{_LIT})"


_SENTENCES = [
    ("and_imp", 0, re.compile(rf"If {_g('a')} and {_g('c')}, then {_g('b')}\.\Z")),
    ("or_imp", 0, re.compile(rf"If {_g('a')} or {_g('c')}, then {_g('b')}\.\Z")),
    ("imp", 0, re.compile(rf"If {_g('a')}, then {_g('b')}\.\Z")),
    ("imp", 1, re.compile(rf"{_g('b')} if {_g('a')}\.\Z")),
    ("or", 0, re.compile(rf"Either {_g('a')} or {_g('b')}\.\Z")),
    ("or", 1, re.compile(rf"{_g('a')} or {_g('b')}\.\Z")),
    ("fact", 0, re.compile(rf"{_g('a')}\.\Z")),
]


def _read_lit(text: str) -> Lit:
    m = _LIT_PARTS.match(text)
    return (f"{m.group(1)}_{m.group(3)}", m.group(2) is None)


def parse_sentence(sentence: str) -> Premise:
    s = sentence.strip()
    for shape, style, rx in _SENTENCES:
        m = rx.match(s)
        if m:
            keys = {"fact": "a", "imp": "ab", "or": "ab"}.get(shape, "acb")
            return Premise(shape, tuple(_read_lit(m.group(k)) for k in keys), style)
    raise ParseError(f"cannot read this sentence as a GraphLI premise: {s!r}")


def parse_prompt(text: str) -> Problem:
    """A GraphLI prompt (as rendered by this module) → logic :class:`Problem`."""
    premises = read_premises(text, FACTS_HEADER, lambda s: parse_sentence(s).text(),
                             "statement")
    m = QUESTION_RE.search(text)
    if not m or not _LIT_PARTS.match(m.group("lit")):
        raise ParseError("no question 'Is it true that <proposition>?' about a known "
                         "proposition", where="problem text")
    atom, _ = _read_lit(m.group("lit"))
    return Problem("logic", premises, atom)


# ---------------------------------------------------------------- generation

@dataclass
class _Step:
    rule: str
    premises: list[Premise]
    target: Lit
    source: Lit | None
    extra: Lit | None = None  # second known literal (conjunction)
    middle: Lit | None = None  # intermediate literal (hypothetical syllogism)


def _build(cfg: GraphLIConfig, rng: random.Random):
    k = cfg.depth.draw(rng)
    n_dis = cfg.distractors.draw(rng)
    names = sorted(ATOMS)
    rng.shuffle(names)
    pool = iter(names)
    world: dict[str, bool] = {a: rng.random() < 0.5 for a in names}

    def true_lit(atom: str) -> Lit:
        return (atom, world[atom])

    chain = [true_lit(next(pool))]
    steps = [_Step("fact", [Premise("fact", (chain[0],))], chain[0], None)]
    support: list[Lit] = []
    for i in range(1, k + 1):
        a, b = chain[-1], true_lit(next(pool))
        rule = rng.choice(cfg.rules)
        if rule == "mp":
            st = _Step(rule, [Premise("imp", (a, b), rng.randrange(2))], b, a)
        elif rule == "mt":
            st = _Step(rule, [Premise("imp", (neg(b), neg(a)), rng.randrange(2))], b, a)
        elif rule == "ds":
            st = _Step(rule, [Premise("or", (neg(a), b), rng.randrange(2))], b, a)
        elif rule == "conj":
            if i >= 2 and rng.random() < 0.3:
                c = rng.choice(chain[:-1])
                facts = []
            else:
                c = true_lit(next(pool))
                support.append(c)
                facts = [Premise("fact", (c,))]
            st = _Step(rule, [Premise("and_imp", (a, c, b))] + facts, b, a, extra=c)
        elif rule == "disj":
            c = (next(pool), rng.random() < 0.5)
            st = _Step(rule, [Premise("or_imp", (a, c, b))], b, a, extra=c)
        else:  # hs
            m = true_lit(next(pool))
            st = _Step(rule, [Premise("imp", (a, m)), Premise("imp", (m, b))], b, a, middle=m)
        chain.append(b)
        steps.append(st)
    used = {x[0] for st in steps for p in st.premises for x in p.lits}
    n_atoms = max(cfg.atoms.draw(rng), len(used) + 2)
    spare = [next(pool) for _ in range(n_atoms - len(used))]
    distractors: list[Premise] = []
    for _ in range(n_dis):
        src = spare + ([a for a, _ in chain] if rng.random() < 0.25 else [])
        shape = rng.choice(["fact", "imp", "imp", "or", "and_imp", "or_imp"])
        width = {"fact": 1, "imp": 2, "or": 2}.get(shape, 3)
        atoms = rng.sample(src, width) if len(src) >= width else rng.sample(names, width)
        lits = [(x, rng.random() < 0.5) for x in atoms]
        p = Premise(shape, tuple(lits), rng.randrange(2))
        if not p.holds(world):  # make it true: flip the last literal (the conclusion)
            lits[-1] = neg(lits[-1])
            p = Premise(shape, tuple(lits), p.style)
        if not p.holds(world):
            lits[0] = neg(lits[0])
            p = Premise(shape, tuple(lits), p.style)
        distractors.append(p)
    return k, chain, steps, distractors, spare, world


_RULE_NAMES = {"mp": "modus ponens", "mt": "modus tollens", "ds": "disjunctive syllogism",
               "conj": "conjunction, then modus ponens",
               "disj": "disjunction introduction, then modus ponens"}


def _step_line(st: _Step) -> str:
    tgt = lit_text(st.target)
    if st.rule == "fact":
        return f"{capitalize(tgt)} (given)."
    src = lit_text(st.source)
    if st.rule == "hs":
        r1, r2 = (p.sentence() for p in st.premises)
        return (f"From \"{r1}\" and \"{r2}\": if {src}, then {tgt} (hypothetical syllogism). "
                f"Since {src}, {tgt}.")
    known = src if st.extra is None or st.rule == "disj" else f"{src} and {lit_text(st.extra)}"
    return f"Since {known}, and \"{st.premises[0].sentence()}\": {tgt} ({_RULE_NAMES[st.rule]})."


def _perturb(kind: str, st: _Step, rng: random.Random) -> list[Premise]:
    """The premises of step ``st`` after an intervention."""
    if kind == "premise_removal":
        if st.rule == "hs":
            return [st.premises[rng.randrange(2)]]
        return st.premises[1:] if st.rule == "conj" else []
    # false premise: converse of the rule (negation of the fact)
    p = st.premises[0]
    if st.rule == "fact":
        return [Premise("fact", (neg(p.lits[0]),))]
    if st.rule == "hs":
        q = st.premises[1]
        return [p, Premise("imp", (q.lits[1], q.lits[0]))]
    if st.rule == "ds":  # "either A or B": A known, nothing follows
        return [Premise("or", (neg(p.lits[0]), p.lits[1]), p.style)]
    if p.shape == "imp":
        return [Premise("imp", (p.lits[1], p.lits[0]), p.style)]
    return [Premise("imp", (p.lits[2], p.lits[0]))] + st.premises[1:]


def generate_item(cfg: GraphLIConfig, seed: int, index: int, max_tries: int = 50) -> dict:
    """One GraphLI item, deterministic in ``(seed, index)``."""
    rng = item_rng("graphli", seed, index)
    unanswerable = is_unanswerable_slot(index, cfg.unanswerable_share)
    for attempt in range(max_tries):
        k, chain, steps, distractors, spare, world = _build(cfg, rng)
        query_atom, polarity = chain[-1]
        kind, cut_depth = NO_PERTURBATION, NO_CUT
        step_premises = [list(st.premises) for st in steps]
        lines = [_step_line(st) for st in steps]
        if unanswerable:
            kind = rng.choice(cfg.interventions)
            if kind == "false_conclusion":
                candidates = [a for a in spare if any(a == x[0] for p in distractors
                                                      for x in p.lits)] or spare
                query_atom = rng.choice(candidates)
                lines = lines + [f"No statement leads to whether {lit_text((query_atom, True))} "
                                 f"or not, so it cannot be determined.", "Answer: Unknown"]
            else:
                d = min((cfg.cut_depth or IntRange(0, k)).draw(rng), k)
                cut_depth = d
                cut = k - d
                step_premises[cut] = _perturb(kind, steps[cut], rng)
                lines = lines[:cut] + [
                    f"Nothing establishes that {lit_text(steps[cut].target)}, which is needed, "
                    f"so whether {lit_text((query_atom, True))} cannot be determined.",
                    "Answer: Unknown"]
        else:
            verdict = "true" if polarity else "not true"
            lines.append(f"So it is {verdict} that {lit_text((query_atom, True))}.")
            lines.append(f"Answer: {polarity}")
        shown = [p for ps in step_premises for p in ps] + distractors
        rng.shuffle(shown)
        premises = [p.text() for p in shown]
        formulas = [p.formula() for p in shown]
        sol = solve_logic(formulas, ("var", query_atom))
        if unanswerable and sol.status != UNDETERMINED:
            continue
        if not unanswerable and (sol.status != DETERMINED or sol.value is not polarity):
            raise RuntimeError("GraphLI generator: answerable item not determined")  # bug
        meta = make_meta(
            task="graphli", depth=k,
            size=len({x[0] for p in shown for x in p.lits} | {query_atom}),
            distractors=len(distractors), perturbation=kind, cut_depth=cut_depth,
            rules=[st.rule for st in steps[1:]],  # as built, before any intervention
            seed=seed, index=index, attempts=attempt + 1)
        question = f"Is it true that {lit_text((query_atom, True))}?"
        prompt = (f"{FACTS_HEADER}{bullet_list([p.sentence() for p in shown])}\n"
                  f"Question: {question}\n{INSTRUCTION}")
        return make_item(item_id=f"graphli-{seed}-{index}", domain="logic", prompt=prompt,
                         premises=premises, query=query_atom, answer=sol.expected,
                         trajectory="\n".join(lines), meta=meta)
    raise RuntimeError(f"GraphLI: no unanswerable variant found in {max_tries} tries "
                       f"(seed {seed}, index {index}); loosen the knobs")


def generate(cfg: GraphLIConfig, n: int, seed: int, progress: bool = False):
    """Yield ``n`` GraphLI items."""
    return generate_many(lambda i: generate_item(cfg, seed, i), n, progress, "GraphLI")


def _words() -> set[str]:
    """Subjects and adjectives of the atoms, as the prompts spell them."""
    return {w for pair in ATOMS.values() for w in pair}


TASK = TaskSpec(
    name="graphli", title="GraphLI", question_hint="'Is it true that ...?'",
    domain="logic", config_class=GraphLIConfig, generate_item=generate_item,
    parse_prompt=parse_prompt, question_re=QUESTION_RE, size_knob="atoms",
    list_knobs=("interventions", "rules"), demo={"size": "3-6", "distractors": "0-2"},
    vocabulary_config=GraphLIConfig(depth="1-8", atoms="3-20", distractors="0-6"),
    words=_words)
