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
unknown``; ``X is unknown``; ``No fact gives the
price of X``; ``we cannot determine X``; ``the price
of X is only tied to the price of Y, which no fact
gives`` (X and Y)
=====================================================  =================================

logic (GraphLI); a proposition is ``the cellar is quiet`` / ``the cellar is not quiet``
(``isn't`` too) where ``cellar_quiet`` is an atom of the problem or of the GraphLI
vocabulary, or the premise-name form:

=====================================================  =================================
written                                                normalised claim (``kind``)
=====================================================  =================================
``the cellar is quiet``; ``A and B`` (each a claim)     ``cellar_quiet`` (value)
``the shed is not open``; ``it is not true that ...``   ``~shed_open`` (value)
``it is false that the shed is open``
``cellar_quiet``, ``~shed_open``, ``a -> b`` (formula   ``cellar_quiet``, ``a -> b``
over the problem's atoms), ``cellar_quiet is false``    (value / relation)
``If A, then B``, ``B if A``, ``Either A or B``,        ``cellar_quiet -> ~shed_open``
``A or B`` (the GraphLI sentence forms)                 ``cellar_quiet | shed_open``
                                                        (relation)
``whether A cannot be determined``; ``No statement      ``cellar_quiet = Unknown``
leads to whether A or not``; ``we cannot tell whether   (unknown: neither it nor its
A``                                                     negation is entailed)
``Nothing establishes that A``; ``A is not proven``     ``unproven: cellar_quiet``
                                                        (unproven: not entailed)
=====================================================  =================================

What is not read as a claim: the final-answer line (``Answer: ...``, also lines holding
``\\boxed{`` or ``<answer>``: the final answer is graded, not audited); quoted text (a
cited premise); asides in parentheses (``(modus ponens)``); questions; and any sentence
not recognised as a whole that holds a hypothetical or hedging word (if, suppose, assume,
would, maybe, perhaps, might, unless, otherwise, either, or, ...): the whole sentence is
skipped, so ``If a burger costs 4, then a pizza costs 6`` asserts nothing.

Efficiency and bounds: the premises are solved once per problem (:class:`StepChecker`):
linear — one exact row reduction of ``[A | b]`` over QQ, after which every claim is
reduced against its rows; logic — the premises are clausified and unit-propagated once
and each claim is one cheap branch of that state (the sound fast path of
:mod:`verifier.engines.propagation`); what propagation cannot settle goes to one Z3
solver loaded with the premises once per problem (budgets from ``make_solver``). At most
:data:`MAX_CLAIMS` claims are checked per completion (``truncated`` says more were
there); lines longer than :data:`MAX_LINE_CHARS` are counted unrecognised without being
read; a completion longer than the grader's limit is refused.

Layout: this package's ``__init__`` holds the result types, :class:`StepChecker` (reads a
completion, decides each claim) and the entry points; ``facts`` what the premises determine
(the linear RREF and the logic propagation / Z3 state); ``reading`` completion lines → claims
(the shapes above).

This package never imports grpc: the service and the ``honest audit`` client both call it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from verifier.errors import InvalidInput, LimitExceeded
from verifier.grading import MAX_RESPONSE_CHARS
from verifier.lang.logic import atoms_of
from verifier.limits import DEFAULT_LIMITS, Limits
from verifier.problem import ParsedProblem, Problem, parse_problem
from verifier.steps.facts import (CONTRADICTED, STATUSES, SUPPORTED, UNSUPPORTED, LinearFacts,
                                  LogicFacts)
from verifier.steps.reading import KINDS, Claim, ClaimReader, is_final_answer_line, remembered

#: claims checked per completion; the rest are not read (``StepAudit.truncated``)
MAX_CLAIMS = 200
#: a longer line is counted unrecognised without being read
MAX_LINE_CHARS = 2_000
#: characters of a claim's text kept in a Step
MAX_TEXT_CHARS = 200


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
        self._statuses: dict[tuple[str, str], str] = {}
        if problem.domain == "linear":
            self._linear = LinearFacts(parsed.premises, limits)
            self.names = set(self._linear.col) | {parsed.query}
        else:
            self._logic = LogicFacts(parsed.premises, limits)
            self.names = set(self._logic.index) | set(atoms_of(parsed.query))
        self._reader = ClaimReader(self.domain, self.names, limits)

    # -------------------------------------------------------------- statuses

    def status(self, claim: Claim) -> str:
        return remembered(self._statuses, (claim.kind, claim.text), self._decide, claim)

    def _decide(self, claim: Claim) -> str:
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
            if not line.strip() or is_final_answer_line(line):
                continue
            if len(steps) >= MAX_CLAIMS:
                truncated = True
                break
            found = self._reader.line_claims(line) if len(line) <= MAX_LINE_CHARS else []
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
