"""Checking problems and completions, locally or through a service, behind one interface.

A :class:`Checker` takes one record (``domain``/``premises``/``query`` or the prompt
text as ``problem``/``prompt``, plus ``response`` or ``completion``) and returns the
JSON object ``honest check`` prints: ``verdict``, ``reward``, ``answer``, ``status``,
``expected``, ``inconsistent``, ``certificate``. :class:`LocalChecker` runs the
engines in this process; :class:`RemoteChecker` asks a verifier service. Both raise
:class:`~verifier.errors.HonestError` for a bad record, so callers treat them alike.
"""

from __future__ import annotations

from typing import Any, Protocol

from clients.wire import problem_msg
from verifier.errors import HonestError, InvalidInput
from verifier.grading import DEFAULT_REWARDS, RewardMap
from verifier.problem import Problem, check, solve
from verifier.tasks import problem_from_text


class Checker(Protocol):
    def check(self, rec: dict, want_response: bool) -> dict:
        """The check (``want_response``) or solve result of one record, as JSON-ready dict."""


def problem_from_record(rec: Any) -> Problem:
    """A batch line (or an item of a generated set) → Problem."""
    if not isinstance(rec, dict):
        raise InvalidInput("each line must be a JSON object")
    if rec.get("premises") is not None and rec.get("domain") is not None:
        if rec.get("query") is None:
            raise InvalidInput("field 'query' is missing")
        return Problem.make(rec["domain"], rec["premises"], rec["query"])
    text = rec.get("problem", rec.get("prompt"))
    if text is None:
        raise InvalidInput("give either domain + premises + query, or problem (the prompt text)")
    return problem_from_text(text)


def response_of(rec: dict) -> str:
    resp = rec.get("response", rec.get("completion"))
    if resp is None:
        raise InvalidInput("field 'response' is missing")
    if not isinstance(resp, str):
        raise InvalidInput("field 'response' must be a string")
    return resp


class LocalChecker:
    """Runs records through the in-process engines; ``steps`` adds the step audit."""

    def __init__(self, rewards: RewardMap | None = None, steps: bool = False):
        self.rewards = rewards or DEFAULT_REWARDS
        self.steps = steps

    def check(self, rec: dict, want_response: bool) -> dict:
        problem = problem_from_record(rec)
        if want_response:
            response = response_of(rec)
            out = check(problem, response, self.rewards).to_dict()
            if self.steps:
                from verifier.steps import audit_steps
                out.update(audit_steps(problem, response).to_dict())
            return out
        return solve(problem).to_dict()


class RemoteChecker:
    """The same records and output, from a verifier service."""

    def __init__(self, target: str, rewards: RewardMap | None = None, token: str | None = None,
                 steps: bool = False):
        from clients.client import VerifierClient
        self.client = VerifierClient(target, token=token)
        self.rewards = dict(rewards.rewards) if rewards is not None else None
        self.steps = steps

    def check(self, rec: dict, want_response: bool) -> dict:
        if not isinstance(rec, dict):
            raise InvalidInput("each line must be a JSON object")
        problem = problem_msg(rec)
        if not want_response:
            sol = self.client.solve(problem)
            return {"status": sol.status, "expected": sol.expected,
                    "inconsistent": sol.inconsistent, "certificate": sol.certificate}
        return self.client.verify(problem, response_of(rec), rewards=self.rewards,
                                  steps=self.steps).to_dict()


__all__ = ["Checker", "LocalChecker", "RemoteChecker", "problem_from_record", "HonestError"]
