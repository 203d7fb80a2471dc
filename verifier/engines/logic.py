"""Exact propositional engine on Z3: do the premises entail the query, its negation, or neither?

Method
- Atoms are renamed ``a0..aK`` per problem and premises are handed to Z3 as
  SMT-LIB text: user text never reaches Z3's symbol table (which would grow
  with every new name, process-wide) and parsing text is ~4x faster than
  building expressions through the Python API.
- Each premise ``i`` is guarded by a selector literal ``p_i``; ``q`` is defined
  equal to the query. Two checks under assumptions decide everything:
  ``P ∧ ¬q`` unsat ⇒ entailed (``True``); ``P ∧ q`` unsat ⇒ refuted (``False``);
  both unsat ⇒ the premises are inconsistent; both sat ⇒ undetermined.
- Certificates: for determined, the premises in Z3's unsat core; for
  undetermined, the two models (one where the query holds, one where it does
  not); for inconsistent, the core of the premises alone.
- Z3's ``unknown`` is never read as an answer: it raises
  :class:`SolverTimeout` (time/work budget hit) or :class:`EngineError`.

Every solver comes from :func:`make_solver`, which sets the time budget, the
deterministic work budget (rlimit) and fixed random seeds.
"""

from __future__ import annotations

import re
import threading
from typing import Sequence

import z3

from verifier.engines.propagation import Propagator, to_clauses
from verifier.errors import EngineError, LimitExceeded, SolverTimeout
from verifier.lang.logic import Formula, atoms_of
from verifier.limits import DEFAULT_LIMITS, Limits
from verifier.solution import DETERMINED, INCONSISTENT, UNDETERMINED, UNKNOWN, Solution

_OPS = {"and": "and", "or": "or", "imp": "=>", "iff": "="}


def make_solver(limits: Limits = DEFAULT_LIMITS, ctx: z3.Context | None = None) -> z3.Solver:
    """The one place solvers are made: time budget, work budget, fixed seeds."""
    s = z3.Solver(ctx=ctx)
    s.set("timeout", int(limits.z3_timeout_ms))
    s.set("rlimit", int(limits.z3_rlimit))
    s.set("random_seed", 0)
    return s


_local = threading.local()


def _thread_solver(limits: Limits) -> z3.Solver:
    """One context + solver per thread (Z3 objects are not thread-safe), reset per use."""
    key = (limits.z3_timeout_ms, limits.z3_rlimit)
    cached = getattr(_local, "solver", None)
    if cached is None or cached[0] != key:
        ctx = z3.Context()
        cached = (key, make_solver(limits, ctx), ctx)
        _local.solver = cached
    cached[1].reset()
    return cached[1]


def to_smtlib(f: Formula, name_of: dict[str, str]) -> str:
    """SMT-LIB text of ``f`` over the renamed atoms ``name_of``; linear in the size of ``f``
    (``<->`` is ``=``). Iterative, so the depth of ``f`` does not matter."""
    tag = f[0]
    if tag == "var":  # most premises and queries are a literal or one operator
        return name_of[f[1]]
    out: list[str] = []
    todo: list = [f]  # text to emit, or a subformula
    while todo:
        g = todo.pop()
        if type(g) is str:
            out.append(g)
            continue
        tag = g[0]
        if tag == "var":
            out.append(name_of[g[1]])
        elif tag == "const":
            out.append("true" if g[1] else "false")
        elif tag == "not":
            out.append("(not ")
            todo += (")", g[1])
        else:
            out.append(f"({_OPS[tag]} ")
            todo += (")", g[2], " ", g[1])
    return "".join(out)


_DEFINE = re.compile(r"\(define-fun (a\d+) \(\) Bool\s+(true|false)\)")


def _model_values(model: z3.ModelRef, names: list[str]) -> dict[str, bool]:
    # One sexpr() call is much cheaper than one Python round trip per atom.
    got = {m.group(1): m.group(2) == "true" for m in _DEFINE.finditer(model.sexpr())}
    return {n: got.get(f"a{i}", False) for i, n in enumerate(names)}


def _check(solver: z3.Solver, assumptions) -> z3.CheckSatResult:
    r = solver.check(*assumptions)
    if r == z3.unknown:
        reason = solver.reason_unknown()
        if "timeout" in reason or "canceled" in reason or "resource" in reason \
                or "rlimit" in reason or "max." in reason:
            raise SolverTimeout(f"Z3 gave up: {reason}; the problem exceeds the solver budget")
        raise EngineError(f"Z3 could not decide the problem: {reason}")
    return r


def solve_logic(premises: Sequence[Formula], query: Formula,
                limits: Limits = DEFAULT_LIMITS, fast: bool = True) -> Solution:
    """Decide whether ``premises`` entail ``query`` (``True``), its negation (``False``), or neither.

    With ``fast`` (the default) the sound propagation fast path of
    :mod:`verifier.engines.propagation` is tried first; Z3 decides whatever it leaves open.
    """
    if len(premises) > limits.max_premises:
        raise LimitExceeded(f"{len(premises)} premises; the limit is {limits.max_premises}")
    seen: dict[str, None] = {}
    for f in premises:
        atoms_of(f, seen)
    atoms_of(query, seen)
    names = list(seen)
    if len(names) > limits.max_names:
        raise LimitExceeded(f"{len(names)} distinct atoms; the limit is {limits.max_names}")
    if fast:
        decided = _solve_by_propagation(premises, query, names)
        if decided is not None:
            return decided
    name_of = {n: f"a{i}" for i, n in enumerate(names)}

    parts = [f"(declare-const a{i} Bool)" for i in range(len(names))]
    parts += [f"(declare-const p{i} Bool)" for i in range(len(premises))]
    parts.append("(declare-const q Bool)")
    parts += [f"(assert (=> p{i} {to_smtlib(f, name_of)}))" for i, f in enumerate(premises)]
    parts.append(f"(assert (= q {to_smtlib(query, name_of)}))")

    solver = _thread_solver(limits)
    solver.from_string("\n".join(parts))
    ctx = solver.ctx
    sel = [z3.Bool(f"p{i}", ctx) for i in range(len(premises))]
    q = z3.Bool("q", ctx)

    def core_indices() -> list[int]:
        return sorted(int(str(c)[1:]) for c in solver.unsat_core() if str(c).startswith("p"))

    r_not_q = _check(solver, sel + [z3.Not(q)])
    if r_not_q == z3.unsat:
        core_true = core_indices()
        model_false = None
    else:
        model_false = _model_values(solver.model(), names)
    r_q = _check(solver, sel + [q])
    if r_q == z3.unsat:
        core_false = core_indices()
        model_true = None
    else:
        model_true = _model_values(solver.model(), names)

    if r_not_q == z3.unsat and r_q == z3.unsat:
        _check(solver, sel)  # premises alone are unsat here; their core is the certificate
        return Solution("logic", INCONSISTENT, UNKNOWN, None, {"premises_used": core_indices()})
    if r_not_q == z3.unsat:
        return Solution("logic", DETERMINED, "True", True, {"premises_used": core_true})
    if r_q == z3.unsat:
        return Solution("logic", DETERMINED, "False", False, {"premises_used": core_false})
    return Solution("logic", UNDETERMINED, UNKNOWN, None,
                    {"models": [model_true, model_false]})


def _solve_by_propagation(premises, query, names) -> Solution | None:
    """The fast path on prepared atom names (see :func:`solve_by_propagation`)."""
    index = {n: i for i, n in enumerate(names)}
    q_pos, q_neg = to_clauses(query, index, True), to_clauses(query, index, False)
    if q_pos is None or q_neg is None:
        return None
    base = Propagator(len(names))
    for i, f in enumerate(premises):
        cs = to_clauses(f, index)
        if cs is None:
            return None
        for c in cs:
            base.add(c, i)
    checks = []
    for q_clauses in (q_neg, q_pos):  # premises ∧ ¬q, then premises ∧ q
        p = base.branch()
        for c in q_clauses:
            p.add(c, -1)
        outcome = p.check()
        if outcome is None:
            return None
        checks.append(outcome)
    a, b = checks

    def used(core):
        return [i for i in core if i >= 0]

    if a.core is not None and b.core is not None:
        both = sorted(set(used(a.core)) | set(used(b.core)))
        return Solution("logic", INCONSISTENT, UNKNOWN, None, {"premises_used": both})
    if a.core is not None:
        return Solution("logic", DETERMINED, "True", True, {"premises_used": used(a.core)})
    if b.core is not None:
        return Solution("logic", DETERMINED, "False", False, {"premises_used": used(b.core)})
    models = [dict(zip(names, b.model)), dict(zip(names, a.model))]
    return Solution("logic", UNDETERMINED, UNKNOWN, None, {"models": models})


def check_certificate(premises: Sequence[Formula], query: Formula, solution: Solution,
                      limits: Limits = DEFAULT_LIMITS) -> bool:
    """Re-check an undetermined certificate by evaluation, and a determined or
    inconsistent one by asking a fresh solver about the cited premises only.

    Z3 answering ``unknown`` (budget) is not a verdict on the certificate: it raises
    :class:`SolverTimeout`, as everywhere else."""
    from verifier.lang.logic import evaluate

    cert = solution.certificate
    if solution.status == UNDETERMINED:
        m_true, m_false = cert["models"]
        return (all(evaluate(f, m_true) for f in premises)
                and all(evaluate(f, m_false) for f in premises)
                and evaluate(query, m_true) and not evaluate(query, m_false))
    used = [premises[i] for i in cert["premises_used"]]
    goal: Formula | None
    if solution.status == INCONSISTENT:
        goal = None
    else:
        goal = ("not", query) if solution.value is True else query
    names: dict[str, None] = {}
    for f in used + ([goal] if goal else []):
        atoms_of(f, names)
    name_of = {n: f"a{i}" for i, n in enumerate(names)}
    text = "".join(f"(declare-const a{i} Bool)" for i in range(len(names)))
    text += "".join(f"(assert {to_smtlib(f, name_of)})" for f in used)
    if goal is not None:
        text += f"(assert {to_smtlib(goal, name_of)})"
    s = make_solver(limits)
    s.from_string(text)
    result = s.check()
    if result == z3.unknown:
        raise SolverTimeout(f"Z3 could not re-check the certificate within its budget "
                            f"({s.reason_unknown()})")
    return result == z3.unsat


def solve_by_propagation(premises: Sequence[Formula], query: Formula) -> Solution | None:
    """Only the sound propagation fast path: a Solution, or None where it cannot decide."""
    seen: dict[str, None] = {}
    for f in premises:
        atoms_of(f, seen)
    atoms_of(query, seen)
    return _solve_by_propagation(premises, query, list(seen))
