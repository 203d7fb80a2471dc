"""Reward entry points for verl and OpenRLHF.

verl (``custom_reward_function.path=clients/rl_adapters.py``, ``name=compute_score``)::

    compute_score(data_source, solution_str, ground_truth, extra_info) -> float

``ground_truth`` (or ``extra_info["problem"]``) is the item's problem as JSON
(``{"domain", "premises", "query"}``) or a dict. OpenRLHF
(``--remote_rm_url clients/rl_adapters.py``)::

    reward_func(queries, prompts, labels) -> torch.Tensor

``labels`` are the same problem JSONs, ``queries`` the full prompt+completion
texts (the completion is the part after the prompt). The service address comes
from ``HONEST_VERIFIER`` (default ``127.0.0.1:50051``) and the token, if any,
from ``HONEST_VERIFIER_TOKEN``. Failures raise; no zero reward is invented.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Any

from clients.client import VerifierClient


@lru_cache(maxsize=1)
def _client() -> VerifierClient:
    return VerifierClient(os.environ.get("HONEST_VERIFIER", "127.0.0.1:50051"),
                          token=os.environ.get("HONEST_VERIFIER_TOKEN"), timeout=120)


def _problem(obj: Any) -> dict:
    if isinstance(obj, (str, bytes)):
        obj = json.loads(obj)
    return {"domain": obj["domain"], "premises": list(obj["premises"]), "query": obj["query"]}


def compute_score(data_source, solution_str: str, ground_truth, extra_info=None) -> float:
    """verl custom reward: the verifier's reward for one completion."""
    source = (extra_info or {}).get("problem", ground_truth)
    return _client().verify(_problem(source), solution_str).reward


def reward_func(queries, prompts, labels):
    """OpenRLHF remote reward function: one VerifyBatch call for the whole batch."""
    import torch

    groups = []
    for q, p, label in zip(queries, prompts, labels):
        completion = q[len(p):] if q.startswith(p) else q
        groups.append((_problem(label), [completion]))
    rewards = []
    for r in _client().verify_batch(groups):
        if isinstance(r, Exception):
            raise r
        rewards.append(r.grades[0].reward)
    return torch.tensor(rewards, dtype=torch.float32)
