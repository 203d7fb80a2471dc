"""Step audit: read the intermediate claims of a completion and check each against the premises.

    from verifier.problem import Problem
    from verifier.steps import audit_steps, audit_steps_many
    audit = audit_steps(problem, completion)        # StepAudit
    audit.first_unsupported_line, audit.to_dict()
    audits = audit_steps_many(problem, completions)  # one solve for the whole group

Each recognised claim gets a status:

- ``supported``: the premises entail it;
- ``contradicted``: the premises entail something incompatible (another value, the
  negation, or — for a claim that something is unknown — a value);
- ``unsupported``: the premises do not settle it.

If the premises are inconsistent, a value or relation claim is ``unsupported`` (nothing is
*warranted*, as grading treats it: the honest answer is ``Unknown``) and a claim that
something is unknown or unproven is ``supported``.

Recognised claim shapes (everything else is *unrecognised*: counted per line in
``unrecognised_lines``, never guessed at). Matching is on whole sentences or on pieces of
a sentence between ", "; leading connectives (so, thus, since, with, then, and, ...) are
dropped first.

linear (GraphLA); ``X`` is a premise name (``sweet_samosa``) or the dish in words
(``sweet samosa`` / ``sweet samosas``); a value is ``4``, ``-3/4``, ``4.50``, ``$4``,
``1,200``, optionally followed by ``dollars``:

=====================================================  =================================
written                                                normalised claim (``kind``)
=====================================================  =================================
``sweet_samosa = 4``, ``x = 2*5 + 1 = 11`` (chains)     ``sweet_samosa = 4`` (value)
``a sweet samosa costs 4 dollars``, ``X is $4``         ``sweet_samosa = 4`` (value)
``the price of X is 4``, ``X's price is 4``             ``sweet_samosa = 4`` (value)
``2*a + b = 7``; a rendered fact (``Two burgers cost``  ``2*a + b = 7`` (relation; one name:
``3 dollars more than a pizza``)                        value)
``18 + 9 = 27`` (no names)                              ``18 + 9 = 27`` (arithmetic)
``the price of X cannot be determined`` / ``is          ``sweet_samosa = Unknown`` (unknown)
unknown``; ``No fact gives the price of X``; ``we
cannot determine X``; ``the price of X is only tied
to the price of Y, which no fact gives`` (X and Y)
=====================================================  =================================

logic (GraphLI); a proposition is ``the cellar is quiet`` / ``the cellar is not quiet``
(``isn't`` too) where ``cellar_quiet`` is an atom of the problem or of the GraphLI
vocabulary, or the premise-name form:

=====================================================  =================================
written                                                normalised claim (``kind``)
=====================================================  =================================
``the cellar is quiet``; ``A and B`` (each a claim)     ``cellar_quiet`` (value)
``the shed is not open``; ``it is not true that ...``   ``~shed_open`` (value)
``cellar_quiet``, ``~shed_open``, ``a -> b`` (formula   ``cellar_quiet``, ``a -> b``
over the problem's atoms), ``cellar_quiet is false``    (value / relation)
``If A, then B``, ``B if A``, ``Either A or B``,        ``cellar_quiet -> ~shed_open``
``A or B`` (the GraphLI sentence forms)                 (relation)
``whether A cannot be determined``; ``No statement      ``cellar_quiet = Unknown``
leads to whether A or not``; ``we cannot tell whether   (unknown: neither it nor its
A``                                                     negation is entailed)
``Nothing establishes that A``                          ``unproven: cellar_quiet``
                                                        (unproven: not entailed)
=====================================================  =================================

What is not read as a claim: the final-answer line (``Answer: ...``, also lines holding
``\\boxed{`` or ``<answer>``: the final answer is graded, not audited); quoted text (a
cited premise); asides in parentheses (``(modus ponens)``); questions; and, in any
sentence not recognised as a whole, everything after a hypothetical or hedging word (if,
suppose, assume, would, maybe, perhaps, might, unless, otherwise, either, or, ...) — the
whole sentence is skipped, so ``If a burger costs 4, then a pizza costs 6`` asserts
nothing.

Efficiency and bounds: the premises are solved once per problem (:class:`StepChecker`):
linear — one exact row reduction of ``[A | b]`` over QQ, after which every claim is
reduced against its rows; logic — the premises are clausified and unit-propagated once
and each claim is one cheap branch of that state (the sound fast path of
:mod:`verifier.engines.propagation`); what propagation cannot settle goes to one Z3
solver loaded with the premises once per problem (budgets from ``make_solver``). At most
:data:`MAX_CLAIMS` claims are checked per completion (``truncated`` says more were
there); lines longer than :data:`MAX_LINE_CHARS` are counted unrecognised without being
read; a completion longer than the grader's limit is refused.

This module never imports grpc: the service and the ``honest audit`` client both call it.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

import z3
from sympy import QQ
from sympy.polys.matrices import DomainMatrix

from verifier.engines.linear import hadamard_bits
from verifier.engines.logic import make_solver, to_smtlib
from verifier.engines.propagation import Propagator, to_clauses
from verifier.errors import (EngineError, InvalidInput, LimitExceeded, ParseError,
                             ResourceExhausted, SolverTimeout)
from verifier.grading import MAX_RESPONSE_CHARS, interpret_answer
from verifier.lang.linear import LinearEquation, parse_linear_equation
from verifier.lang.logic import Formula, atoms_of, formula_to_text, parse_formula
from verifier.limits import DEFAULT_LIMITS, Limits
from verifier.problem import ParsedProblem, Problem, parse_problem
from verifier.solution import format_number
from verifier.tasks import graphla, graphli

SUPPORTED = "supported"
CONTRADICTED = "contradicted"
UNSUPPORTED = "unsupported"
STATUSES = (SUPPORTED, CONTRADICTED, UNSUPPORTED)
#: claim kinds, see the module docstring
KINDS = ("value", "relation", "arithmetic", "unknown", "unproven")

#: claims checked per completion; the rest are not read (``StepAudit.truncated``)
MAX_CLAIMS = 200
#: a longer line is counted unrecognised without being read
MAX_LINE_CHARS = 2_000
#: characters of a claim's text kept in a Step
MAX_TEXT_CHARS = 200
#: lines, pieces and claim statuses remembered per StepChecker (each cleared when full)
MEMO_ENTRIES = 20_000


@dataclass(frozen=True)
class Step:
    """One recognised claim: ``line`` is 0-based in the completion."""

    line: int
    text: str
    claim: str
    kind: str
    status: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "text": self.text, "claim": self.claim, "kind": self.kind,
                "status": self.status}


@dataclass(frozen=True)
class StepAudit:
    """The claims of one completion, in order; ``first_unsupported_line`` is the line of the
    first claim that is not ``supported`` (None when every claim is)."""

    steps: tuple[Step, ...]
    first_unsupported_line: int | None
    unrecognised_lines: int
    truncated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"steps": [s.to_dict() for s in self.steps],
                "first_unsupported_line": self.first_unsupported_line,
                "unrecognised_lines": self.unrecognised_lines,
                "steps_truncated": self.truncated}


@dataclass(frozen=True)
class _Claim:
    kind: str
    text: str  # normalised
    payload: Any  # LinearEquation | Formula | name


# ------------------------------------------------------------------ what the premises settle

_QQ = QQ.dtype


def _frac(x) -> Fraction:
    return Fraction(int(x.numerator), int(x.denominator))


class _LinearFacts:
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


class _LogicFacts:
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


# ------------------------------------------------------------------ reading claims

_ANSWER_LINE = re.compile(r"^[ \t>*#_]*(?:final[ \t]+)?answer[ \t*_]*:", re.I)
_FINAL_MARK = re.compile(r"\\boxed\s*\{|<answer>", re.I)
_MARKUP = re.compile(r"\*\*|__|`")
_BULLET = re.compile(r"^\s*(?:[-*•>]+\s+|\d{1,3}[.)]\s+)")
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”")
_ASIDE = re.compile(r"\(([A-Za-z][A-Za-z ,'-]{0,80})\)")
_ASIDE_WORDS = {"given", "premise", "fact", "stated", "derived", "assumed", "known"}
_SENTENCE_END = re.compile(r"[.!:](?=\s|$)|[;?]")
_PIECE = re.compile(r",\s+")
_AND = re.compile(r"\s+and\s+", re.I)
_LEAD = re.compile(
    r"^(?:(?:so|thus|hence|therefore|then|and|since|because|as|with|now|also|finally|next|"
    r"from|given|by|clearly|which means|this means|that means|meaning|it follows that|"
    r"we get|we have|we know|we find|we obtain|this gives|giving|i\.e\.|note that|"
    r"recall that|substituting|that|ok|okay)\b[\s,]*)+", re.I)
_TRAIL = re.compile(r"(?:[\s,]+(?:too|as well|as required|as expected|as given|as stated))+$"
                    r"|[\s,.]+$", re.I)
#: a sentence holding one of these (and not recognised as a whole) asserts nothing
_GUARD = re.compile(r"\b(?:if|suppose|supposing|assume|assuming|would|maybe|perhaps|might|"
                    r"possibly|probably|unless|otherwise|let|let's|hypothetically|guess|"
                    r"either|were|or(?!\s+not\b))\b", re.I)

_NUM = r"[-+]?\s*\$?\s*[-+]?(?:\d[\d,]*(?:\.\d+)?|\.\d+)(?:\s*/\s*\d+(?:\.\d+)?)?"
_VAL = rf"(?P<v>{_NUM}|\\[dt]?frac\{{\d+\}}\{{\d+\}})(?:\s*(?:dollars?|usd|bucks))?(?:\s+each)?"
_ART = r"(?:(?:a|an|one|the|each|1)\s+)?"
_X = r"(?P<{g}>[A-Za-z_][A-Za-z0-9_]*(?: [a-z]+){{0,3}})"
_CANNOT = r"(?:cannot|can\s*not|can't|could\s+not|couldn't)"
_LA_VALUE = [re.compile(p, re.I) for p in (
    rf"(?:the\s+)?(?:price|cost)\s+of\s+{_ART}{_X.format(g='x')}\s+(?:is|was|=|comes\s+to|:)"
    rf"\s*{_VAL}",
    rf"{_ART}{_X.format(g='x')}(?:'s)?\s+(?:price|cost)\s+(?:is|=)\s*{_VAL}",
    rf"{_ART}{_X.format(g='x')}\s+(?:costs|cost|is|was|comes\s+to|is\s+priced\s+at|sells\s+for)"
    rf"\s*{_VAL}",
)]
_LA_UNKNOWN = [re.compile(p, re.I) for p in (
    rf"(?:the\s+)?(?:price|cost)\s+of\s+{_ART}{_X.format(g='x')}\s+{_CANNOT}\s+be\s+"
    r"(?:determined|found|computed|known|worked\s+out)",
    rf"(?:the\s+)?(?:price|cost)\s+of\s+{_ART}{_X.format(g='x')}\s+is\s+"
    r"(?:unknown|undetermined|not\s+determined|indeterminate|not\s+known)",
    rf"{_ART}{_X.format(g='x')}\s+(?:is\s+unknown|is\s+undetermined|{_CANNOT}\s+be\s+determined)",
    rf"(?:no|none\s+of\s+the)\s+facts?\s+(?:gives?|states?|determines?)\s+the\s+(?:price|cost)"
    rf"\s+of\s+{_ART}{_X.format(g='x')}(?:,?\s*which\s+is\s+needed)?",
    rf"(?:we|i)\s+{_CANNOT}\s+(?:determine|find|compute|know)\s+(?:the\s+(?:price|cost)\s+of\s+)?"
    rf"{_ART}{_X.format(g='x')}",
    rf"the\s+price\s+of\s+{_ART}{_X.format(g='x')}\s+is\s+only\s+tied\s+to\s+the\s+price\s+of\s+"
    rf"{_ART}{_X.format(g='y')},?\s*which\s+no\s+fact\s+gives",
)]
_EQ_TEXT = re.compile(r"[\w\s.+\-*/()=]+")

#: "the cellar is (not) quiet": groups <g>s (subject), <g>n (negation), <g>a (adjective)
_LIT_RE = (r"(?:the\s+)?(?P<{g}s>[a-z]+(?: [a-z]+)?)\s+(?:is|are)(?P<{g}n>\s+not|n't)?"
           r"\s+(?P<{g}a>[a-z]+)")


def _lit(g: str) -> str:
    return _LIT_RE.format(g=g)


_LI_LIT = re.compile(_lit("l"), re.I)
_LI_TRUTH = re.compile(rf"it\s+is\s+(?P<neg>not\s+)?(?:true|the\s+case)\s+that\s+{_lit('l')}",
                       re.I)
_LI_FALSE = re.compile(rf"it\s+is\s+false\s+that\s+{_lit('l')}", re.I)
_LI_NAME = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*(?:is|=|:)\s*(?P<tv>true|false)",
                      re.I)
_LI_UNPROVEN = [re.compile(p, re.I) for p in (
    rf"(?:nothing|no\s+(?:fact|statement|premise|rule)s?)\s+(?:establishes|establish|shows|"
    rf"show|proves|prove|implies|imply|gives|give|says|say)\s+that\s+{_lit('l')}",
    rf"{_lit('l')}\s+is\s+not\s+(?:established|proven|proved|entailed)",
)]
_WHETHER = rf"whether\s+{_lit('l')}(?:\s+or\s+not)?"
_LI_UNKNOWN = [re.compile(p, re.I) for p in (
    rf"{_WHETHER}\s+(?:{_CANNOT}\s+be\s+(?:determined|known|decided|established)|is\s+unknown)",
    rf"(?:it\s+)?{_CANNOT}\s+be\s+(?:determined|decided|known)\s+{_WHETHER}",
    rf"(?:we|i)\s+{_CANNOT}\s+(?:determine|tell|decide|know)\s+{_WHETHER}",
    rf"no\s+(?:statement|fact|premise|rule)s?\s+leads?\s+to\s+{_WHETHER}",
)]
_FORMULA_TEXT = re.compile(r"[\w\s~!¬&|()<>\-=→↔∧∨]+")
_CONDITIONAL = re.compile(r"\b(?:if|either|or)\b", re.I)

#: dish words (singular and plural) → premise name
_DISH_WORDS = {w: key for key, pair in graphla.DISHES.items() for w in pair}
_ATOM_WORDS = {f"{s}_{a}" for s, a in graphli.ATOMS.values()}


def _clean_line(line: str) -> str:
    s = _MARKUP.sub("", line)
    s = _BULLET.sub("", s)
    s = s.replace("−", "-").replace("×", "*").replace("·", "*").replace("’", "'")
    s = _QUOTED.sub(" ", s)

    def aside(m: re.Match) -> str:
        inner = m.group(1).strip()
        return " " if " " in inner or inner.lower() in _ASIDE_WORDS else m.group(0)

    return _ASIDE.sub(aside, s)


def _strip(piece: str) -> str:
    return _TRAIL.sub("", _LEAD.sub("", piece.strip())).strip()


def _capitalized(s: str) -> str:
    return s[:1].upper() + s[1:]


class StepChecker:
    """The premises of one problem, solved once; :meth:`audit` checks a completion's claims.

    Build it once per problem and call :meth:`audit` for each completion (a group of G
    completions of one prompt costs one solve)."""

    def __init__(self, problem: Problem, limits: Limits = DEFAULT_LIMITS,
                 parsed: ParsedProblem | None = None):
        """``parsed``: ``parse_problem(problem, limits)`` when the caller has it already."""
        parsed = parsed if parsed is not None else parse_problem(problem, limits)
        self.domain = problem.domain
        self.limits = limits
        # completions of one prompt repeat lines (restated facts) and claims a lot
        self._lines: dict[str, list[tuple[str, _Claim]]] = {}
        self._pieces: dict[str, list[_Claim]] = {}
        self._statuses: dict[tuple[str, str], str] = {}
        if problem.domain == "linear":
            self._linear = _LinearFacts(parsed.premises, limits)
            self.names = set(self._linear.col) | {parsed.query}
        else:
            self._logic = _LogicFacts(parsed.premises, limits)
            self.names = set(self._logic.index) | set(atoms_of(parsed.query))

    # -------------------------------------------------------------- statuses

    def status(self, claim: _Claim) -> str:
        key = (claim.kind, claim.text)
        got = self._statuses.get(key)
        if got is None:
            if len(self._statuses) >= MEMO_ENTRIES:
                self._statuses.clear()
            got = self._statuses[key] = self._decide(claim)
        return got

    def _decide(self, claim: _Claim) -> str:
        if self.domain == "linear":
            facts = self._linear
            if claim.kind == "unknown":
                return CONTRADICTED if facts.consistent and facts.determined(claim.payload) \
                    else SUPPORTED
            return facts.equation_status(claim.payload)
        lf = self._logic
        if not lf.consistent:
            return SUPPORTED if claim.kind in ("unknown", "unproven") else UNSUPPORTED
        if claim.kind == "unknown":
            atom = ("var", claim.payload)
            return CONTRADICTED if lf.entails(atom) or lf.entails(("not", atom)) else SUPPORTED
        if claim.kind == "unproven":
            return CONTRADICTED if lf.entails(claim.payload) else SUPPORTED
        f = claim.payload
        literal = f[0] == "var" or (f[0] == "not" and f[1][0] == "var")
        if literal and any(a not in lf.index for a in atoms_of(f)):
            return UNSUPPORTED  # a literal over an atom no premise mentions
        if lf.entails(f):
            return SUPPORTED
        return CONTRADICTED if lf.entails(("not", f)) else UNSUPPORTED

    # -------------------------------------------------------------- reading

    def audit(self, completion: str) -> StepAudit:
        """Every recognised claim of ``completion`` with its status (see module docstring)."""
        if not isinstance(completion, str):
            raise InvalidInput(f"a completion must be text, got {type(completion).__name__}")
        if len(completion) > MAX_RESPONSE_CHARS:
            raise LimitExceeded(f"completion is {len(completion)} characters; the limit is "
                                f"{MAX_RESPONSE_CHARS}")
        steps: list[Step] = []
        unrecognised = 0
        truncated = False
        first = None
        for lineno, line in enumerate(completion.split("\n")):
            if not line.strip() or _ANSWER_LINE.match(line) or _FINAL_MARK.search(line):
                continue
            if len(steps) >= MAX_CLAIMS:
                truncated = True
                break
            found = self._lines.get(line) if len(line) <= MAX_LINE_CHARS else []
            if found is None:
                if len(self._lines) >= MEMO_ENTRIES:
                    self._lines.clear()
                found = self._lines[line] = self._line_claims(line)
            if not found:
                unrecognised += 1
                continue
            for text, claim in found:
                if len(steps) >= MAX_CLAIMS:
                    truncated = True
                    break
                status = self.status(claim)
                if status != SUPPORTED and first is None:
                    first = lineno
                steps.append(Step(lineno, text[:MAX_TEXT_CHARS], claim.text, claim.kind,
                                  status))
        return StepAudit(tuple(steps), first, unrecognised, truncated)

    def _line_claims(self, line: str) -> list[tuple[str, _Claim]]:
        s = _clean_line(line)
        out: list[tuple[str, _Claim]] = []
        start = 0
        for m in _SENTENCE_END.finditer(s + " "):
            sentence, start = s[start:m.start()], m.end()
            if m.group(0) != "?":  # a question asserts nothing
                out += self._sentence_claims(sentence)
        if start < len(s):
            out += self._sentence_claims(s[start:])
        return out

    def _sentence_claims(self, sentence: str) -> list[tuple[str, _Claim]]:
        s = _strip(sentence)
        if not s:
            return []
        whole = self._whole_sentence(s)
        if whole:
            return [(s, c) for c in whole]
        if _GUARD.search(s):
            return []
        out = []
        for piece in _PIECE.split(s):
            p = _strip(piece)
            if p:
                claims = self._pieces.get(p)
                if claims is None:
                    if len(self._pieces) >= MEMO_ENTRIES:
                        self._pieces.clear()
                    claims = self._pieces[p] = self._piece(p)
                out += [(p, c) for c in claims]
        return out

    def _whole_sentence(self, s: str) -> list[_Claim]:
        if self.domain == "linear":
            for rx in _LA_UNKNOWN:
                m = rx.fullmatch(s)
                if m:
                    names = [self._dish(m.group(g)) for g in ("x", "y") if g in rx.groupindex]
                    if all(names):
                        return [_Claim("unknown", f"{n} = Unknown", n) for n in names]
            if len(s) <= 400 and not _GUARD.search(s):
                try:
                    rel = graphla.parse_sentence(_capitalized(s) + ".")
                except ParseError:
                    rel = None
                if rel is not None:
                    return self._equations([rel.premise()])
            return []
        if _CONDITIONAL.search(s) and len(s) <= 400:
            try:
                premise = graphli.parse_sentence(_capitalized(s) + ".")
            except ParseError:
                premise = None
            if premise is not None and premise.shape != "fact":
                f = premise.formula()
                return [_Claim("relation", formula_to_text(f), f)]
        return []

    def _piece(self, p: str) -> list[_Claim]:
        if self.domain == "linear":
            return self._linear_piece(p)
        got = self._logic_piece(p)
        if got:
            return got
        parts = _AND.split(p)  # "A and B": every part must be a claim, or none is read
        if len(parts) > 1:
            claims = [self._logic_piece(_strip(x)) for x in parts]
            if all(claims):
                return [c for cs in claims for c in cs]
        return []

    # linear pieces

    def _dish(self, x: str) -> str | None:
        x = x.strip()
        if x in self.names or x in graphla.DISHES:
            return x
        low = x.lower()
        key = _DISH_WORDS.get(low)
        if key is not None:
            return key
        low = low.replace(" ", "_")
        return low if low in self.names else None

    def _linear_piece(self, p: str) -> list[_Claim]:
        for rx in _LA_UNKNOWN[:5]:
            m = rx.fullmatch(p)
            if m:
                name = self._dish(m.group("x"))
                if name:
                    return [_Claim("unknown", f"{name} = Unknown", name)]
        if "=" in p:
            got = self._equation_chain(p)
            if got:
                return got
        for rx in _LA_VALUE:
            m = rx.fullmatch(p)
            if m:
                name = self._dish(m.group("x"))
                value = interpret_answer(m.group("v"))
                if name and value is not None and value.kind == "number":
                    eq = LinearEquation(((name, Fraction(1)),), value.value)
                    return [_Claim("value", f"{name} = {format_number(value.value)}", eq)]
        return []

    def _equation_chain(self, p: str) -> list[_Claim]:
        """``a = 2*5 + 1 = 11`` → one claim per ``=`` (``$`` and ``dollars`` dropped)."""
        text = re.sub(r"\s*\b(?:dollars?|usd)\b", "", p.replace("$", ""), flags=re.I)
        if not _EQ_TEXT.fullmatch(text):
            return []
        sides = text.split("=")
        if len(sides) > 8 or any(not x.strip() for x in sides):
            return []
        return self._equations([f"{a.strip()} = {b.strip()}" for a, b in zip(sides, sides[1:])])

    def _equations(self, texts: list[str]) -> list[_Claim]:
        out = []
        for t in texts:
            try:
                eq = parse_linear_equation(t, self.limits)
            except ParseError:
                return []
            if any(n not in self.names and n not in graphla.DISHES for n, _ in eq.coeffs):
                return []  # a name from neither the problem nor the task: not read
            out.append(_linear_claim(eq, t))
        return out

    # logic pieces

    def _atom(self, m: re.Match, g: str) -> tuple[str, bool] | None:
        atom = f"{m.group(g + 's').lower().replace(' ', '_')}_{m.group(g + 'a').lower()}"
        if atom in self.names or atom in _ATOM_WORDS:
            return atom, m.group(g + "n") is None
        return None

    def _literal(self, m: re.Match, flip: bool = False) -> _Claim | None:
        got = self._atom(m, "l")
        if got is None:
            return None
        atom, positive = got
        f = ("var", atom) if positive != flip else ("not", ("var", atom))
        return _Claim("value", formula_to_text(f), f)

    def _logic_piece(self, p: str) -> list[_Claim]:
        for rx in _LI_UNKNOWN:
            m = rx.fullmatch(p)
            if m and (got := self._atom(m, "l")):
                return [_Claim("unknown", f"{got[0]} = Unknown", got[0])]
        for rx in _LI_UNPROVEN:
            m = rx.fullmatch(p)
            if m and (c := self._literal(m)):
                return [_Claim("unproven", f"unproven: {c.text}", c.payload)]
        for rx, flip in ((_LI_LIT, False), (_LI_FALSE, True)):
            m = rx.fullmatch(p)
            if m and (c := self._literal(m, flip)):
                return [c]
        m = _LI_TRUTH.fullmatch(p)
        if m and (c := self._literal(m, m.group("neg") is not None)):
            return [c]
        m = _LI_NAME.fullmatch(p)
        if m and m.group("name") in self.names:
            f: Formula = ("var", m.group("name"))
            f = f if m.group("tv").lower() == "true" else ("not", f)
            return [_Claim("value", formula_to_text(f), f)]
        if _FORMULA_TEXT.fullmatch(p) and len(p) <= 400:
            try:
                f = parse_formula(p, self.limits)
            except ParseError:
                return []
            atoms = atoms_of(f)
            if atoms and all(a in self.names for a in atoms):
                kind = "value" if f[0] == "var" or (f[0] == "not" and f[1][0] == "var") \
                    else "relation"
                return [_Claim(kind, formula_to_text(f), f)]
        return []


def _linear_claim(eq: LinearEquation, text: str) -> _Claim:
    if not eq.coeffs:
        return _Claim("arithmetic", " ".join(text.split()), eq)
    if len(eq.coeffs) == 1:
        (name, c), = eq.coeffs
        return _Claim("value", f"{name} = {format_number(eq.rhs / c)}", eq)
    sign = -1 if eq.coeffs[0][1] < 0 else 1  # "b - a = 3", never "-b + a = -3"
    lhs = ""
    for n, c in ((n, sign * c) for n, c in eq.coeffs):
        t = n if abs(c) == 1 else f"{format_number(abs(c))}*{n}"
        lhs += (f" - {t}" if c < 0 else f" + {t}") if lhs else (f"-{t}" if c < 0 else t)
    return _Claim("relation", f"{lhs} = {format_number(sign * eq.rhs)}", eq)


def audit_steps(problem: Problem, completion: str, limits: Limits = DEFAULT_LIMITS) -> StepAudit:
    """The step audit of one completion (solves ``problem`` once)."""
    return StepChecker(problem, limits).audit(completion)


def audit_steps_many(problem: Problem, completions: Sequence[str],
                     limits: Limits = DEFAULT_LIMITS) -> list[StepAudit]:
    """Step audits of G completions of one problem; the premises are solved once."""
    checker = StepChecker(problem, limits)
    return [checker.audit(c) for c in completions]


__all__ = ["Step", "StepAudit", "StepChecker", "audit_steps", "audit_steps_many", "STATUSES",
           "SUPPORTED", "CONTRADICTED", "UNSUPPORTED", "KINDS", "MAX_CLAIMS", "MAX_LINE_CHARS"]
