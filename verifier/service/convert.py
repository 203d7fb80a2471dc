"""The server side of the wire: request messages → core values, core results → response
messages. The servicer converts once on the way in and once on the way out; clients have
their own side in ``clients/wire.py``."""

from __future__ import annotations

from honest.v1 import verifier_pb2 as pb
from verifier.errors import InvalidInput
from verifier.grading import Grade, RewardMap
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


def rewards_of(msg: pb.RewardMap, default: RewardMap) -> RewardMap:
    return RewardMap(dict(msg.rewards)) if msg.rewards else default


def solution_message(sol: Solution, certificate_json: str, solve_ms: float,
                     cached: bool) -> pb.Solution:
    """``certificate_json`` is passed in: the servicer serialises each certificate once
    and caches it with the solution."""
    return pb.Solution(status=sol.status, expected=sol.expected, inconsistent=sol.inconsistent,
                       certificate_json=certificate_json,
                       solve_ms=0.0 if cached else solve_ms, cached=cached)


def grade_message(g: Grade) -> pb.Grade:
    return pb.Grade(verdict=g.verdict, reward=g.reward, answer=g.answer or "",
                    has_answer=g.answer is not None)
