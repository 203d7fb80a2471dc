"""The server side of the wire: request messages → core values, core results → response
messages. The servicer converts once on the way in and once on the way out; clients have
their own side in ``clients/wire.py``."""

from __future__ import annotations

from typing import Any

from honest.v1 import verifier_pb2 as pb
from verifier.errors import InvalidInput, excerpt
from verifier.grading import Grade, RewardMap
from verifier.problem import looks_like_bare_answer, problem_fields
from verifier.solution import Solution

DOMAIN_NAMES = {pb.LINEAR: "linear", pb.LOGIC: "logic"}


def payload_of(problem: pb.Problem) -> tuple:
    """A request's problem → the worker payload; InvalidInput saying what to set."""
    kind = problem.WhichOneof("kind")
    if kind == "structured":
        s = problem.structured
        domain = DOMAIN_NAMES.get(s.domain)
        if domain is None:
            raise InvalidInput("problem.structured.domain must be LINEAR or LOGIC")
        return ("structured", domain, tuple(s.premises), s.query)
    if kind == "text":
        if not problem.text.strip():
            raise InvalidInput("problem.text is empty: give the prompt of a GraphLA/GraphLI item")
        return ("text", problem.text)
    raise InvalidInput("problem is required: set problem.structured (domain, premises, query) "
                       "or problem.text")


_LABEL_HELP = ('the problem as JSON {"domain", "premises", "query"} (what `honest export '
               '--format openrlhf` writes in "label"), or the prompt text of a generated item')


def problem_of_label(label: Any) -> pb.Problem:
    """A label of the HTTP reward protocol (JSON text, a dict, or prompt text) → Problem."""
    if isinstance(label, str) and looks_like_bare_answer(label):
        raise InvalidInput(f"the label {excerpt(label)} looks like a bare answer; the "
                           f"verifier decides the answer itself: give {_LABEL_HELP}")
    if not isinstance(label, (str, dict)):
        raise InvalidInput(f"a label must be text or a JSON object; give {_LABEL_HELP}")
    try:
        fields = problem_fields(label)
    except InvalidInput as e:
        raise InvalidInput(f"{e.message}; give {_LABEL_HELP}") from None
    if isinstance(fields, str):
        return pb.Problem(text=fields)
    domain = fields["domain"]
    enum = {v: k for k, v in DOMAIN_NAMES.items()}.get(domain) if isinstance(domain, str) else None
    if enum is None:
        raise InvalidInput(f"label domain must be 'linear' or 'logic', got {excerpt(str(domain))}")
    return pb.Problem(structured=pb.StructuredProblem(domain=enum, premises=fields["premises"],
                                                      query=fields["query"]))


def rewards_of(msg: pb.RewardMap, default: RewardMap) -> RewardMap:
    return RewardMap(dict(msg.rewards)) if msg.rewards else default


def solution_message(sol: Solution, certificate_json: str, solve_ms: float,
                     cached: bool) -> pb.Solution:
    """``certificate_json`` is passed in: the servicer serialises each certificate once
    and caches it with the solution."""
    return pb.Solution(status=sol.status, expected=sol.expected, inconsistent=sol.inconsistent,
                       certificate_json=certificate_json,
                       solve_ms=0.0 if cached else solve_ms, cached=cached)


def grade_message(g: Grade, audit=None) -> pb.Grade:
    """``audit``: the completion's :class:`verifier.steps.StepAudit`, when asked for."""
    msg = pb.Grade(verdict=g.verdict, reward=g.reward, answer=g.answer or "",
                   has_answer=g.answer is not None)
    if audit is not None:
        first = audit.first_unsupported_line
        msg.step_audit.CopyFrom(pb.StepAudit(
            steps=[pb.Step(line=s.line, text=s.text, claim=s.claim, kind=s.kind,
                           status=s.status) for s in audit.steps],
            first_unsupported_line=-1 if first is None else first,
            has_first_unsupported=first is not None,
            unrecognised_lines=audit.unrecognised_lines, truncated=audit.truncated))
    return msg
