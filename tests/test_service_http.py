"""OpenRLHF's remote-reward HTTP protocol on `honest serve --http-port`, called over HTTP:
plain requests with and without the token, and OpenRLHF 0.11.2's own calling code (a
faithful copy in tests/frameworks/)."""

import asyncio
import json
import urllib.error
import urllib.request

import pytest

from frameworks.openrlhf_remote_rm_func import process_response_into_experience
from frameworks.openrlhf_remote_rm_http import HttpRewardCaller
from service_helpers import ServeProcess
from verifier.tasks import graphla

LOGIC = {"domain": "logic", "premises": ["a -> b", "a"], "query": "b"}
UND = {"domain": "linear", "premises": ["x + y = 3"], "query": "x"}


def experience_info(reward_part: dict, prompt: str, label: str) -> dict:
    """OpenRLHF's own handling of a sample's reward fields (samples_generator.py copy)."""
    response = {**reward_part, "observation_tokens": [1, 2, 3], "action_ranges": [(1, 3)],
                "rollout_log_probs": None, "prompt": prompt, "label": label}
    return process_response_into_experience(response).info


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("http")
    (tmp / "token").write_text("s3cret\n")
    srv = ServeProcess(tmp, "--http-port", "0", "--token-file", str(tmp / "token"))
    yield srv
    srv.stop()


def post(srv, body, token="s3cret", path="/get_reward"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{srv.http_port}{path}", data=data,
                                 headers={"Content-Type": "application/json"})
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_http_rewards_follow_the_openrlhf_contract(served):
    labels = [json.dumps(LOGIC), json.dumps(LOGIC), json.dumps(UND), json.dumps(UND)]
    prompts = ["Q1 ", "Q1 ", "Q2 ", "Q2 "]
    answers = ["Answer: True<|im_end|>", "Answer: Unknown</s>", "Answer: Unknown", "Answer: 1"]
    status, got = post(served, {"query": [p + a for p, a in zip(prompts, answers)],
                                "prompts": prompts, "labels": labels})
    assert status == 200
    assert got["rewards"] == [1.0, 0.0, 1.0, 0.0] and got["scores"] == got["rewards"]
    logs = got["extra_logs"]
    assert logs["correct"] == [1.0, 0.0, 1.0, 0.0]
    assert logs["abstained"] == [0.0, 1.0, 1.0, 0.0]
    assert logs["unwarranted_answer"] == [0.0, 0.0, 0.0, 1.0]
    assert logs["answerable"] == [1.0, 1.0, 0.0, 0.0]


def test_http_needs_the_token(served):
    body = {"query": ["Answer: True"], "prompts": [""], "labels": [json.dumps(LOGIC)]}
    assert post(served, body, token=None)[0] == 401
    assert post(served, body, token="wrong")[0] == 401
    assert post(served, body)[0] == 200


@pytest.mark.parametrize("body,words", [
    (b"{not json", "not JSON"),
    ({"query": ["x"], "prompts": [""], "labels": ["12"]}, "bare answer"),
    ({"query": ["x"], "prompts": ["", ""], "labels": ["{}"]}, "equally long"),
    ({"query": "x", "labels": []}, "'query' must be a list"),
    ({"query": ["x"], "labels": [json.dumps({"domain": "logic", "premises": ["a ->"],
                                             "query": "a"})]}, "premise 1"),
])
def test_http_bad_requests_get_400_with_a_message(served, body, words):
    status, got = post(served, body)
    assert status == 400 and words in got["error"]["message"]


def test_openrlhf_http_caller_end_to_end(tmp_path):
    """OpenRLHF sends no token: a server without one, called by OpenRLHF's own code; gold
    trajectories that keep the EOS text get reward 1."""
    srv = ServeProcess(tmp_path, "--http-port", "0", name="open")
    try:
        item = graphla.generate_item(graphla.GraphLAConfig(depth="1-2"), 3, 1)
        label = json.dumps({k: item[k] for k in ("domain", "premises", "query")})
        caller = HttpRewardCaller(f"http://127.0.0.1:{srv.http_port}/get_reward")
        gold = asyncio.run(caller.reward_for(item["prompt"] + item["trajectory"] + "<|im_end|>",
                                             item["prompt"], label))
        wrong = asyncio.run(caller.reward_for(item["prompt"] + "Answer: 123456<|im_end|>",
                                              item["prompt"], label))
        info = experience_info(gold, item["prompt"], label)
        assert info["reward"].flatten().tolist() == [1.0]
        assert info["score"].flatten().tolist() == [1.0]
        assert info["correct"].flatten().tolist() == [1.0]
        assert experience_info(wrong, item["prompt"], label)["reward"].flatten().tolist() == [0.0]
    finally:
        srv.stop()
