"""Reward adapters for RL trainers: the verifier service as a reward function.

``ServiceScorer`` is the group scorer the ANCHOR trainer (``trainer/``) uses: one
``VerifyGroup`` call per GRPO group, the problem solved once server-side. It is
picklable (channels are rebuilt where it is unpickled, e.g. in dataloader or
Ray workers) and has sync and async methods. It never invents a reward: if the
service cannot score a group after retries it raises :class:`RemoteError`.

    scorer = ServiceScorer("127.0.0.1:50051")
    scorer.score_group({"domain": "logic", "premises": ["a -> b", "a"], "query": "b"},
                       ["...Answer: True", "...Answer: Unknown"])
    # [("correct", 1.0), ("wrong_abstention", 0.0)]

``trl_reward_func(scorer)`` turns it into a TRL ``reward_funcs`` entry for plain
GRPOTrainer use: TRL passes the dataset columns ``domain``, ``premises``,
``query`` as keyword lists aligned with ``completions``.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import grpc

from clients.client import AsyncVerifierClient, VerifierClient
from clients.results import RemoteError

Problem = Mapping[str, Any]


class ServiceScorer:
    def __init__(self, target, *, token: str | None = None, timeout: float = 120.0,
                 retries: int = 6, rewards: Mapping[str, float] | None = None, **client_kw):
        self.rewards = dict(rewards) if rewards else None
        self.client = VerifierClient(target, token=token, timeout=timeout, retries=retries,
                                     **client_kw)
        self.aclient = AsyncVerifierClient(target, token=token, timeout=timeout,
                                           retries=retries, **client_kw)

    def check(self, timeout: float = 10.0) -> None:
        """Raise :class:`RemoteError` unless the service answers health checks as SERVING
        within ``timeout`` seconds: call before a long run, not after its first step."""
        status = self.client.health(timeout)
        if status != "SERVING":
            raise RemoteError(grpc.StatusCode.UNAVAILABLE,
                              f"verifier service at {self.client.target} reports {status}")

    @staticmethod
    def _problem(problem: Problem) -> dict:
        return {"domain": problem["domain"], "premises": list(problem["premises"]),
                "query": problem["query"]}

    def score_group(self, problem: Problem, completions: Sequence[str]) -> list[tuple[str, float]]:
        g = self.client.verify_group(self._problem(problem), list(completions),
                                     rewards=self.rewards)
        return [(x.verdict, x.reward) for x in g.grades]

    async def ascore_group(self, problem: Problem,
                           completions: Sequence[str]) -> list[tuple[str, float]]:
        g = await self.aclient.verify_group(self._problem(problem), list(completions),
                                            rewards=self.rewards)
        return [(x.verdict, x.reward) for x in g.grades]

    def score_groups(self, groups: Sequence[tuple[Problem, Sequence[str]]]
                     ) -> list[list[tuple[str, float]]]:
        """Many groups in one ``VerifyBatch`` call; raises if any group failed."""
        out = []
        for r in self.client.verify_batch([(self._problem(p), cs) for p, cs in groups],
                                          rewards=self.rewards):
            if isinstance(r, Exception):
                raise r
            out.append([(x.verdict, x.reward) for x in r.grades])
        return out


def trl_reward_func(scorer: ServiceScorer):
    """A TRL reward function: completions are grouped by problem, one call per group."""

    def honest_verifier_reward(completions, domain, premises, query, **_) -> list[float]:
        texts = [c if isinstance(c, str) else c[-1]["content"] for c in completions]
        groups: dict[tuple, list[int]] = {}
        for i, key in enumerate(zip(domain, map(tuple, premises), query)):
            groups.setdefault(key, []).append(i)
        rewards = [0.0] * len(texts)
        for (d, ps, q), idx in groups.items():
            scored = scorer.score_group({"domain": d, "premises": ps, "query": q},
                                        [texts[i] for i in idx])
            for i, (_, r) in zip(idx, scored):
                rewards[i] = r
        return rewards

    return honest_verifier_reward
