"""clients.scoring and clients.trl against a real server: the service scorer, its pickling, no invented zeros, the TRL reward grouping by problem."""

import pickle

import pytest

from clients import RemoteError
from clients.trl import ServiceScorer, trl_reward_func

LOG = {"domain": "logic", "premises": ["a -> b", "a"], "query": "b"}
LIN = {"domain": "linear", "premises": ["x + y = 3"], "query": "x"}




def test_service_scorer_scores_groups_and_pickles(server):
    s = ServiceScorer(server.address)
    assert s.score_group(LOG, ["Answer: True", "Answer: Unknown"]) == [
        ("correct", 1.0), ("wrong_abstention", 0.0)]
    s2 = pickle.loads(pickle.dumps(s))
    assert s2.score_groups([(LOG, ["Answer: False"]), (LIN, ["Answer: Unknown"])]) == [
        [("wrong_answer", 0.0)], [("correct", 1.0)]]
    import asyncio
    assert asyncio.run(s2.ascore_group(LIN, ["Answer: 1"])) == [("unwarranted_answer", 0.0)]


def test_service_scorer_raises_instead_of_inventing_zeros(server):
    s = ServiceScorer(server.address)
    with pytest.raises(RemoteError):
        s.score_group({"domain": "logic", "premises": ["a ->"], "query": "a"}, ["Answer: True"])
    dead = ServiceScorer("127.0.0.1:9", timeout=2, retries=1)
    with pytest.raises(RemoteError) as e:
        dead.score_group(LOG, ["Answer: True"])
    assert e.value.code.name in ("UNAVAILABLE", "DEADLINE_EXCEEDED")


def test_trl_reward_func_groups_by_problem(server):
    import asyncio
    f = trl_reward_func(ServiceScorer(server.address))
    rewards = asyncio.run(f(prompts=["p"] * 3,
                            completions=["Answer: True", "Answer: Unknown", "Answer: Unknown"],
                            domain=["logic", "logic", "linear"],
                            premises=[LOG["premises"], LOG["premises"], LIN["premises"]],
                            query=["b", "b", "x"]))
    assert rewards == [1.0, 0.0, 1.0]
