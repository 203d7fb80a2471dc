"""The client side of the wire: Python values → request messages, response messages →
plain values. (The server has its own side in ``verifier/service/convert.py``; the two
share only the generated ``honest.v1`` messages.)

A *problem* is given as a dict ``{"domain", "premises", "query"}`` (an item of
``honest generate`` works as it is), the prompt text of a generated item (a str, or
a dict with ``problem``/``prompt``), its JSON text (what the verl/OpenRLHF
exports store as ground truth), or a ready ``honest.v1.Problem``.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from honest.v1 import verifier_pb2 as pb
from verifier.errors import InvalidInput
from verifier.problem import problem_fields  # noqa: F401  (part of this module's API)

ProblemLike = Mapping[str, Any] | str | pb.Problem


def problem_msg(problem: ProblemLike) -> pb.Problem:
    """Any problem form → ``honest.v1.Problem``."""
    if isinstance(problem, pb.Problem):
        return problem
    fields = problem_fields(problem)
    if isinstance(fields, str):
        return pb.Problem(text=fields)
    domain = fields["domain"]
    enum = pb.Domain.Value(domain.upper()) if isinstance(domain, str) and \
        domain.upper() in ("LINEAR", "LOGIC") else None
    if enum is None:
        raise InvalidInput(f"domain must be 'linear' or 'logic', got {domain!r}")
    return pb.Problem(structured=pb.StructuredProblem(
        domain=enum, premises=fields["premises"], query=fields["query"]))


def reward_msg(rewards: Mapping[str, float] | None) -> pb.RewardMap | None:
    return pb.RewardMap(rewards=dict(rewards)) if rewards else None


def solution_fields(msg: pb.Solution) -> dict:
    return {"status": msg.status, "expected": msg.expected, "inconsistent": msg.inconsistent,
            "certificate": json.loads(msg.certificate_json or "{}"),
            "solve_ms": msg.solve_ms, "cached": msg.cached}


def grade_fields(msg: pb.Grade) -> dict:
    return {"verdict": msg.verdict, "reward": msg.reward,
            "answer": msg.answer if msg.has_answer else None,
            "steps": step_fields(msg.step_audit) if msg.HasField("step_audit") else None}


def step_fields(msg: pb.StepAudit) -> dict:
    """A step audit as ``honest audit`` / ``honest check --steps`` write it."""
    return {"steps": [{"line": s.line, "text": s.text, "claim": s.claim, "kind": s.kind,
                       "status": s.status} for s in msg.steps],
            "first_unsupported_line": msg.first_unsupported_line
            if msg.has_first_unsupported else None,
            "unrecognised_lines": msg.unrecognised_lines, "steps_truncated": msg.truncated}
