"""``honest check --server HOST:PORT``: the same JSON output, from the service."""

from __future__ import annotations

from clients.client import VerifierClient, problem_msg
from verifier.errors import InvalidInput
from verifier.grading import RewardMap


class RemoteChecker:
    def __init__(self, target: str, rewards: RewardMap | None = None, token: str | None = None):
        self.client = VerifierClient(target, token=token)
        self.rewards = dict(rewards.rewards) if rewards is not None else None

    def check(self, rec: dict, want_response: bool) -> dict:
        if not isinstance(rec, dict):
            raise InvalidInput("each line must be a JSON object")
        problem = problem_msg(rec)
        if not want_response:
            sol = self.client.solve(problem)
            return {"status": sol.status, "expected": sol.expected,
                    "inconsistent": sol.inconsistent, "certificate": sol.certificate}
        resp = rec.get("response", rec.get("completion"))
        if resp is None:
            raise InvalidInput("field 'response' is missing")
        if not isinstance(resp, str):
            raise InvalidInput("field 'response' must be a string")
        return self.client.verify(problem, resp, rewards=self.rewards).to_dict()
