"""What the premises of one problem determine, solved once and then asked about each claim.

- :class:`LinearFacts` (GraphLA): one exact RREF of ``[A | b]`` over QQ; a claimed linear
  equation is reduced against its rows.
- :class:`LogicFacts` (GraphLI): the premises clausified and unit-propagated once; a claim is
  one cheap branch of that state (the sound fast path of :mod:`verifier.engines.propagation`),
  and what propagation cannot settle goes to one Z3 solver per thread, loaded with the
  premises once per problem (budgets from ``make_solver``).

The three statuses a claim can get live here too; the step audit that uses them is
:mod:`verifier.steps`.
"""

from __future__ import annotations

import threading
from fractions import Fraction
from typing import Sequence

import z3
from sympy import QQ
from sympy.polys.matrices import DomainMatrix

from verifier.engines.linear import hadamard_bits
from verifier.engines.logic import make_solver, to_smtlib
from verifier.engines.propagation import Propagator, to_clauses
from verifier.errors import EngineError, LimitExceeded, ResourceExhausted, SolverTimeout
from verifier.lang.linear import LinearEquation
from verifier.lang.logic import Formula, atoms_of
from verifier.limits import Limits

SUPPORTED = "supported"
CONTRADICTED = "contradicted"
UNSUPPORTED = "unsupported"
STATUSES = (SUPPORTED, CONTRADICTED, UNSUPPORTED)

_QQ = QQ.dtype


def _frac(x) -> Fraction:
    return Fraction(int(x.numerator), int(x.denominator))


class LinearFacts:
    """One exact RREF of ``[A | b]``; then any linear form is reduced against its rows."""

    def __init__(self, equations: Sequence[LinearEquation], limits: Limits):
        bits = hadamard_bits(equations)
        if bits > limits.max_solution_bits:
            raise ResourceExhausted(f"the exact solution may need ~{int(bits)} bits (Hadamard "
                                    f"bound); the limit is {limits.max_solution_bits}")
        self.col: dict[str, int] = {}
        for eq in equations:
            for n, _ in eq.coeffs:
                self.col.setdefault(n, len(self.col))
        self.b = nv = len(self.col)
        rows = {}
        for i, eq in enumerate(equations):
            r = {self.col[n]: _QQ(c.numerator, c.denominator) for n, c in eq.coeffs}
            if eq.rhs:
                r[nv] = _QQ(eq.rhs.numerator, eq.rhs.denominator)
            if r:
                rows[i] = r
        self.row_of: dict[int, dict[int, Fraction]] = {}  # pivot column → its RREF row
        if rows:
            m = DomainMatrix(rows, (len(equations), nv + 1), QQ)
            reduced, pivots = m.rref()
            rep = reduced.to_sparse().rep
            for k, p in enumerate(pivots):
                self.row_of[p] = {j: _frac(v) for j, v in rep.get(k, {}).items()}
        self.consistent = nv not in self.row_of

    def equation_status(self, eq: LinearEquation) -> str:
        if not eq.coeffs:  # arithmetic: true or false whatever the premises
            return SUPPORTED if eq.rhs == 0 else CONTRADICTED
        if not self.consistent:
            return UNSUPPORTED
        vec: dict[int, Fraction] = {}
        for n, c in eq.coeffs:
            j = self.col.get(n)
            if j is None:  # a name the premises never mention is free
                return UNSUPPORTED
            vec[j] = c
        rhs = eq.rhs
        # subtracting pivot row p clears column p and touches free columns only (RREF)
        for p in [j for j in vec if j in self.row_of]:
            c = vec[p]
            for j, v in self.row_of[p].items():
                if j == self.b:
                    rhs -= c * v
                else:
                    vec[j] = vec.get(j, 0) - c * v
        if any(vec.values()):
            return UNSUPPORTED
        return SUPPORTED if rhs == 0 else CONTRADICTED

    def determined(self, name: str) -> bool:
        row = self.row_of.get(self.col.get(name, -1))
        return row is not None and all(j == self.col[name] or j == self.b for j in row)


_local = threading.local()


class LogicFacts:
    """The premises propagated once; each claim is a branch of that state. What propagation
    cannot settle goes to a Z3 solver loaded with the premises (once per problem)."""

    def __init__(self, formulas: Sequence[Formula], limits: Limits):
        self.formulas = list(formulas)
        self.limits = limits
        seen: dict[str, None] = {}
        for f in self.formulas:
            atoms_of(f, seen)
        if len(seen) > limits.max_names:
            raise LimitExceeded(f"{len(seen)} distinct atoms; the limit is {limits.max_names}")
        self.index = {n: i for i, n in enumerate(seen)}
        base: Propagator | None = Propagator(len(self.index))
        for i, f in enumerate(self.formulas):
            clauses = to_clauses(f, self.index)
            if clauses is None:  # too large for the fast path: Z3 decides everything
                base = None
                break
            for c in clauses:
                base.add(c, i)
        self.base = base
        self._z3_names: dict[str, str] = {}
        self._z3_claims = 0
        self.consistent = not self._entails_by_default(("const", False))

    def _entails_by_default(self, f: Formula) -> bool:
        if self.base is not None and all(a in self.index for a in atoms_of(f)):
            neg = to_clauses(f, self.index, positive=False)
            if neg is not None:
                p = self.base.branch()
                for c in neg:
                    p.add(c, -1)
                out = p.check()
                if out is not None:
                    return out.core is not None  # premises ∧ ¬f refuted by propagation alone
        return self._z3_entails(f)

    def entails(self, f: Formula) -> bool:
        return True if not self.consistent else self._entails_by_default(f)

    def _solver(self) -> z3.Solver:
        """The thread's solver holding this problem's premises (reloaded when another
        problem used it since)."""
        key = (self.limits.z3_timeout_ms, self.limits.z3_rlimit)
        cached = getattr(_local, "solver", None)
        if cached is None or cached[0] != key:
            ctx = z3.Context()
            cached = [key, make_solver(self.limits, ctx), None]
            _local.solver = cached
        if cached[2] is not self:
            s = cached[1]
            s.reset()
            self._z3_names = {n: f"a{i}" for i, n in enumerate(self.index)}
            self._z3_claims = 0
            text = "".join(f"(declare-const {v} Bool)" for v in self._z3_names.values())
            text += "".join(f"(assert {to_smtlib(f, self._z3_names)})" for f in self.formulas)
            s.from_string(text)
            cached[2] = self
        return cached[1]

    def _z3_entails(self, f: Formula) -> bool:
        s = self._solver()
        decl = []
        for a in atoms_of(f):
            if a not in self._z3_names:
                self._z3_names[a] = v = f"a{len(self._z3_names)}"
                decl.append(f"(declare-const {v} Bool)")
        k = self._z3_claims
        self._z3_claims += 1
        s.from_string("".join(decl) + f"(declare-const c{k} Bool)"
                      f"(assert (= c{k} {to_smtlib(f, self._z3_names)}))")
        r = s.check(z3.Not(z3.Bool(f"c{k}", s.ctx)))
        if r == z3.unknown:
            reason = s.reason_unknown()
            if any(w in reason for w in ("timeout", "canceled", "resource", "rlimit", "max.")):
                raise SolverTimeout(f"Z3 gave up on a step claim: {reason}")
            raise EngineError(f"Z3 could not decide a step claim: {reason}")
        return r == z3.unsat
