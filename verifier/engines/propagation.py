"""Sound fast path for the logic engine: clauses + unit propagation.

Small formulas are turned into clauses (CNF by distribution, refused past a
size cap). The size of the negation normal form is estimated *before* it is
built (:func:`nnf_size_exceeds`): each ``<->`` copies both sides, so the NNF
of ``a0 <-> a1 <-> ... <-> a18`` has millions of nodes, and that 137-byte
premise took a worker's whole budget. Past the cap the whole problem goes to
Z3, which gets ``<->`` as ``=`` (linear size).

Each of the two checks (premises ∧ ¬q, premises ∧ q) is then run as unit
propagation followed by greedy decisions *without* backtracking:

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
#: nodes of one formula's negation normal form (estimated, see nnf_size_exceeds); past it
#: the fast path leaves the formula to Z3. It also bounds the recursion depth of _nnf/_cnf.
MAX_NNF_NODES = 256

Clause = tuple[int, ...]  # literals: +(i+1) for atom i, -(i+1) for its negation


def nnf_size_exceeds(f: Formula, cap: int = MAX_NNF_NODES) -> bool:
    """Whether the NNF of ``f`` (either polarity) has more than ``cap`` nodes, counting
    each ``not`` too. Work O(cap): the walk stops as soon as the count passes the cap.

    A node under ``k`` nested ``<->`` is copied ``2**k`` times; ``a <-> b`` adds two
    ``or`` nodes on top of its ``and``.
    """
    total = 0
    todo = [(f, 1)]  # (subformula, copies of it in the NNF)
    while todo:
        g, copies = todo.pop()
        tag = g[0]
        if tag == "iff":
            total += 3 * copies
            todo += ((g[1], 2 * copies), (g[2], 2 * copies))
        else:
            total += copies
            if tag == "not":
                todo.append((g[1], copies))
            elif tag != "var" and tag != "const":
                todo += ((g[1], copies), (g[2], copies))
        if total > cap:
            return True
    return False


def _nnf(f: Formula, positive: bool, index: dict[str, int]):
    """Negation normal form as nested ('and'|'or', [..]) / literal ints / bool constants.

    Exponential in nested ``<->``: call it only where :func:`nnf_size_exceeds` is False.
    """
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
            if len(out) * len(s) > MAX_CLAUSES_PER_FORMULA:  # refuse before building it
                return None
            out = [a | b for a in out for b in s]
    out = [c for c in out if not any(-x in c for x in c)]  # drop tautologies
    return out if len(out) <= MAX_CLAUSES_PER_FORMULA else None


def _lit(f: Formula, index: dict[str, int]) -> int | None:
    if f[0] == "var":
        return index[f[1]] + 1
    if f[0] == "not" and f[1][0] == "var":
        return -(index[f[1][1]] + 1)
    return None


def _direct(f: Formula, index: dict[str, int]) -> list[Clause] | None:
    """Clauses of the common premise shapes without the general CNF machinery."""
    tag = f[0]
    lit = _lit(f, index)
    if lit is not None:
        return [(lit,)]
    if tag == "imp" or tag == "or":
        b = _lit(f[2], index)
        if b is None:
            return None
        a = _lit(f[1], index)
        if a is not None:
            c = (-a if tag == "imp" else a, b)
        elif tag == "imp" and f[1][0] in ("and", "or"):
            x, y = _lit(f[1][1], index), _lit(f[1][2], index)
            if x is None or y is None:
                return None
            if f[1][0] == "and":
                c = (-x, -y, b)
            else:
                return [cl for cl in ((-x, b), (-y, b)) if -cl[0] != cl[1]]
        else:
            return None
        if len(set(map(abs, c))) < len(c):  # repeated atom: let the general path simplify
            return None
        return [c]
    return None


def to_clauses(f: Formula, index: dict[str, int], positive: bool = True) -> list[Clause] | None:
    """Clauses of ``f`` (of ``not f`` unless ``positive``), or None when it is too large."""
    if positive:
        direct = _direct(f, index)
        if direct is not None:
            return direct
    if nnf_size_exceeds(f):
        return None
    c = _cnf(_nnf(f, positive, index))
    return None if c is None else [tuple(sorted(x)) for x in c]


class Outcome:
    """Result of one fast check: ``model`` (list of bools) or ``core`` (owner ids), or neither."""

    __slots__ = ("model", "core")

    def __init__(self, model=None, core=None):
        self.model = model
        self.core = core


class Propagator:
    """Clauses added one at a time, each propagated at once. :meth:`branch` copies the
    state cheaply, so the premises are propagated once and both query checks reuse it."""

    def __init__(self, nvars: int):
        self.nvars = nvars
        self.value = [0] * (nvars + 1)  # 0 unassigned, 1 true, -1 false (index = atom + 1)
        self.reason = [-1] * (nvars + 1)  # clause that forced the value; -1 = decision
        self.clauses: list[Clause] = []
        self.owners: list[int] = []
        self.occ: dict[int, list[int]] = {}  # literal l → clauses holding -l
        self.conflict: int | None = None

    def branch(self) -> "Propagator":
        p = Propagator.__new__(Propagator)
        p.nvars = self.nvars
        p.value = self.value[:]
        p.reason = self.reason[:]
        p.clauses = self.clauses[:]
        p.owners = self.owners[:]
        p.occ = dict(self.occ)  # lists are replaced, never mutated, after a branch
        p.conflict = self.conflict
        return p

    def add(self, clause: Clause, owner: int) -> None:
        """Add a clause and propagate; a conflict is kept in ``self.conflict``."""
        if self.conflict is not None:
            return
        ci = len(self.clauses)
        self.clauses.append(clause)
        self.owners.append(owner)
        occ = self.occ
        for lit in clause:
            occ[-lit] = occ.get(-lit, []) + [ci]
        value = self.value
        unassigned = None
        n_un = 0
        for x in clause:
            vx = value[x if x > 0 else -x]
            if vx == 0:
                n_un += 1
                unassigned = x
            elif (vx == 1) == (x > 0):
                return
        if n_un == 0:
            self.conflict = ci
        elif n_un == 1:
            self.conflict = self._assign(unassigned, ci)

    def _assign(self, lit: int, why: int) -> int | None:
        """Set ``lit`` true and propagate; returns a conflicting clause id or None."""
        value, reason, clauses, occ = self.value, self.reason, self.clauses, self.occ
        stack = [(lit, why)]
        while stack:
            lit, why = stack.pop()
            v = lit if lit > 0 else -lit
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
                for x in clauses[ci]:
                    vx = value[x if x > 0 else -x]
                    if vx == 0:
                        n_un += 1
                        unassigned = x
                    elif (vx == 1) == (x > 0):
                        break
                else:
                    if n_un == 0:
                        return ci
                    if n_un == 1:
                        stack.append((unassigned, ci))
        return None

    def core(self) -> list[int]:
        """Owners of every clause the propagation to the conflict used."""
        return _core(self.conflict, self.clauses, self.reason, self.owners)

    def complete(self) -> list[bool] | None:
        """Greedy decisions without backtracking; a model checked against every clause,
        or None (a conflict after a decision proves nothing)."""
        value = self.value
        for v in range(1, self.nvars + 1):
            if value[v] == 0 and self._assign(-v, -1) is not None:
                return None
        for c in self.clauses:
            if not any((value[x if x > 0 else -x] == 1) == (x > 0) for x in c):
                return None
        return [value[v] == 1 for v in range(1, self.nvars + 1)]

    def check(self) -> Outcome | None:
        if self.conflict is not None:
            return Outcome(core=self.core())
        model = self.complete()
        return None if model is None else Outcome(model=model)


def run(clauses: Sequence[Clause], owners: Sequence[int], nvars: int) -> Outcome | None:
    """One check from scratch: propagate every clause, then complete greedily."""
    p = Propagator(nvars)
    for c, o in zip(clauses, owners):
        p.add(c, o)
    return p.check()


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
