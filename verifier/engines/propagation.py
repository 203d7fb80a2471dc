"""Sound fast path for the logic engine: clauses + unit propagation.

Small formulas are turned into clauses (CNF by distribution, refused past a
size cap). Each of the two checks (premises ∧ ¬q, premises ∧ q) is then run
as unit propagation followed by greedy decisions *without* backtracking:

- a conflict reached by propagation alone (before any decision) is a proof
  of unsatisfiability: every propagated literal is forced by the clauses;
- a finished assignment is returned only after every clause has been checked
  against it, so a reported model is a real model;
- anything else (a conflict after a decision, a formula too large for CNF)
  returns ``None`` and the caller asks Z3.

So the fast path can only ever be incomplete, never wrong. It decides Horn
problems (modus ponens/tollens chains, negated conjunctions) and most
GraphLI items without Z3; the test suite checks it against Z3 and truth
tables.
"""

from __future__ import annotations

from typing import Sequence

from verifier.lang.logic import Formula

MAX_CLAUSES_PER_FORMULA = 32

Clause = tuple[int, ...]  # literals: +(i+1) for atom i, -(i+1) for its negation


def _nnf(f: Formula, positive: bool, index: dict[str, int]):
    """Negation normal form as nested ('and'|'or', [..]) / literal ints / bool constants."""
    tag = f[0]
    if tag == "var":
        i = index[f[1]] + 1
        return i if positive else -i
    if tag == "const":
        return f[1] if positive else not f[1]
    if tag == "not":
        return _nnf(f[1], not positive, index)
    a, b = f[1], f[2]
    if tag == "imp":
        parts, op = [_nnf(a, not positive, index), _nnf(b, positive, index)], "or"
        if not positive:
            op = "and"
        return (op, parts)
    if tag == "iff":
        # a <-> b  ==  (a -> b) & (b -> a);  ~(a <-> b)  ==  (a | b) & (~a | ~b)
        if positive:
            return ("and", [("or", [_nnf(a, False, index), _nnf(b, True, index)]),
                            ("or", [_nnf(b, False, index), _nnf(a, True, index)])])
        return ("and", [("or", [_nnf(a, True, index), _nnf(b, True, index)]),
                        ("or", [_nnf(a, False, index), _nnf(b, False, index)])])
    op = tag if positive else ("or" if tag == "and" else "and")
    return (op, [_nnf(a, positive, index), _nnf(b, positive, index)])


def _cnf(n) -> list[frozenset] | None:
    """Clauses (sets of literals) of an NNF term; None when over the size cap."""
    if n is True:
        return []
    if n is False:
        return [frozenset()]
    if isinstance(n, int):
        return [frozenset((n,))]
    op, parts = n
    subs = [_cnf(p) for p in parts]
    if any(s is None for s in subs):
        return None
    if op == "and":
        out = [c for s in subs for c in s]
    else:
        out = [frozenset()]
        for s in subs:
            out = [a | b for a in out for b in s]
            if len(out) > MAX_CLAUSES_PER_FORMULA:
                return None
    out = [c for c in out if not any(-x in c for x in c)]  # drop tautologies
    return out if len(out) <= MAX_CLAUSES_PER_FORMULA else None


def to_clauses(f: Formula, index: dict[str, int], positive: bool = True) -> list[Clause] | None:
    c = _cnf(_nnf(f, positive, index))
    return None if c is None else [tuple(sorted(x)) for x in c]


class Outcome:
    """Result of one fast check: ``model`` (list of bools) or ``core`` (clause ids), or neither."""

    __slots__ = ("model", "core")

    def __init__(self, model=None, core=None):
        self.model = model
        self.core = core


def run(clauses: Sequence[Clause], owners: Sequence[int], nvars: int) -> Outcome | None:
    """Propagate, then decide greedily. ``owners[i]`` names who contributed clause ``i``
    (a premise index, or -1 for the query). Returns None when undecided."""
    value = [0] * (nvars + 1)  # 0 unassigned, 1 true, -1 false (index = atom + 1)
    reason: list[int] = [-1] * (nvars + 1)
    occ: dict[int, list[int]] = {}
    queue: list[int] = []
    for ci, c in enumerate(clauses):
        if not c:
            return Outcome(core=[owners[ci]])
        for lit in c:
            occ.setdefault(-lit, []).append(ci)  # clauses that a true `-lit`... see below
        if len(c) == 1:
            queue.append(ci)

    def assign(lit: int, why: int) -> int | None:
        """Set ``lit`` true and propagate; returns a conflicting clause id or None."""
        stack = [(lit, why)]
        while stack:
            lit, why = stack.pop()
            v = abs(lit)
            want = 1 if lit > 0 else -1
            if value[v] == want:
                continue
            if value[v] == -want:
                return why
            value[v] = want
            reason[v] = why
            for ci in occ.get(lit, ()):  # clauses holding -lit just lost a literal
                unassigned = None
                n_un = 0
                sat = False
                for x in clauses[ci]:
                    vx = value[abs(x)]
                    if vx == 0:
                        n_un += 1
                        unassigned = x
                    elif (vx == 1) == (x > 0):
                        sat = True
                        break
                if sat:
                    continue
                if n_un == 0:
                    return ci
                if n_un == 1:
                    stack.append((unassigned, ci))
        return None

    for ci in queue:
        conflict = assign(clauses[ci][0], ci)
        if conflict is not None:
            return Outcome(core=_core(conflict, clauses, reason, owners))
    # greedy completion, no backtracking: any conflict now means "undecided"
    for v in range(1, nvars + 1):
        if value[v] == 0 and assign(-v, -1) is not None:
            return None
    for c in clauses:
        if not any((value[abs(x)] == 1) == (x > 0) for x in c):
            return None
    return Outcome(model=[value[v] == 1 for v in range(1, nvars + 1)])


def _core(conflict: int, clauses, reason, owners) -> list[int]:
    """Owners of every clause the propagation to ``conflict`` used."""
    seen_c = {conflict}
    stack = [conflict]
    while stack:
        ci = stack.pop()
        for x in clauses[ci]:
            r = reason[abs(x)]
            if r >= 0 and r not in seen_c:
                seen_c.add(r)
                stack.append(r)
    return sorted({owners[c] for c in seen_c})
