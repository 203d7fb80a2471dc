"""Protobuf ↔ core objects, in one place (servicers and clients use only these)."""

from __future__ import annotations

import json

from honest.v1 import verifier_pb2 as pb
from verifier.errors import InvalidInput
from verifier.grading import Grade, RewardMap
from verifier.solution import Solution

DOMAIN_NAMES = {pb.LINEAR: "linear", pb.LOGIC: "logic"}
DOMAIN_ENUMS = {v: k for k, v in DOMAIN_NAMES.items()}


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


def problem_message(domain: str | None = None, premises=None, query: str | None = None,
                    text: str | None = None) -> pb.Problem:
    if text is not None:
        return pb.Problem(text=text)
    if domain not in DOMAIN_ENUMS:
        raise InvalidInput(f"domain must be 'linear' or 'logic', got {domain!r}")
    return pb.Problem(structured=pb.StructuredProblem(
        domain=DOMAIN_ENUMS[domain], premises=list(premises or []), query=query or ""))


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


def solution_dict(msg: pb.Solution) -> dict:
    return {"status": msg.status, "expected": msg.expected, "inconsistent": msg.inconsistent,
            "certificate": json.loads(msg.certificate_json or "{}"),
            "solve_ms": msg.solve_ms, "cached": msg.cached}


def grade_dict(msg: pb.Grade) -> dict:
    return {"verdict": msg.verdict, "reward": msg.reward,
            "answer": msg.answer if msg.has_answer else None}
