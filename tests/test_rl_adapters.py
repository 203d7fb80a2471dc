"""verl and OpenRLHF reward functions (clients/rl_adapters.py), each driven through the
framework's own calling code against a real server: copies of that code in tests/frameworks/
(their headers name the release and file lines), and OpenRLHF 0.11.2's executor from the package
itself when it is installed (pip install --no-deps openrlhf==0.11.2 pylatexenc)."""

import asyncio
import importlib.metadata
import inspect
import json
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from clients import RemoteError
from clients.export import export_row, openrlhf_record, verl_record
from frameworks import openrlhf_0_8_4_remote_rm_func as orl084
from frameworks import openrlhf_remote_rm_func as orl
from frameworks import verl_reward_loop as verl
from frameworks.stand_ins import (AttrDict, CharTokenizer, ScriptedEngine, objects, rollout_batch,
                                  sampling_params)
from frameworks.verl_batch_reward_manager import BatchRewardManager
from service_helpers import free_port
from verifier.errors import InvalidInput
from verifier.service.server import ServerConfig, ServerThread

ADAPTER = str(Path(__file__).resolve().parents[1] / "clients" / "rl_adapters.py")
TOKEN = "rl-adapter-test-token"

X29 = {"domain": "linear", "premises": ["x + y = 40", "x - y = 18"], "query": "x"}  # x = 29
LOGIC = {"domain": "logic", "premises": ["a -> b", "a"], "query": "b"}  # True
OPEN = {"domain": "linear", "premises": ["x + y = 3"], "query": "x"}  # Unknown


def chat(question: str) -> str:
    return f"<|im_start|>user\n{question}<|im_end|>\n<|im_start|>assistant\n"


@pytest.fixture(scope="module")
def token_server():
    """A server that wants a bearer token, so every test also checks HONEST_VERIFIER_TOKEN."""
    with ServerThread(ServerConfig(port=0, workers=1, token=TOKEN)) as srv:
        yield srv


@pytest.fixture
def service(token_server, monkeypatch):
    monkeypatch.setenv("HONEST_VERIFIER", token_server.address)
    monkeypatch.setenv("HONEST_VERIFIER_TOKEN", TOKEN)
    return token_server


@pytest.fixture
def dead_service(monkeypatch):
    monkeypatch.setenv("HONEST_VERIFIER", f"127.0.0.1:{free_port()}")
    monkeypatch.delenv("HONEST_VERIFIER_TOKEN", raising=False)


# ---------------------------------------------------------------- OpenRLHF 0.11.2


@pytest.fixture(params=["copy", "package"])
def executor_cls(request):
    if request.param == "package":
        agent = pytest.importorskip("openrlhf.utils.agent", exc_type=ImportError,
                                    reason="OpenRLHF 0.11.2 is not installed")
        return agent.SingleTurnAgentExecutor
    return orl.SingleTurnAgentExecutor


def test_openrlhf_copy_is_the_installed_packages_code():
    agent = pytest.importorskip("openrlhf.utils.agent", exc_type=ImportError,
                                reason="OpenRLHF 0.11.2 is not installed")
    if importlib.metadata.version("openrlhf") != "0.11.2":
        pytest.skip("the copy is of OpenRLHF 0.11.2")
    for name in ("__init__", "execute", "_fetch_rewards_via_func"):
        assert inspect.getsource(getattr(orl.SingleTurnAgentExecutor, name)) == \
            inspect.getsource(getattr(agent.SingleTurnAgentExecutor, name))


def openrlhf_rollout(executor_cls, samples):
    """(prompt, generated text, label) per sample → the Experiences OpenRLHF builds from them."""
    tok = CharTokenizer()
    executor = executor_cls(ADAPTER)

    async def rollout():
        return await asyncio.gather(*(
            executor.execute(prompt, label, sampling_params(), 4096, tok, ScriptedEngine(tok, text))
            for prompt, text, label in samples))

    return [orl.process_response_into_experience(r, max_len=4096) for r in asyncio.run(rollout())]


def test_openrlhf_reward_func_gives_gold_completions_ending_in_eos_reward_one(service,
                                                                               executor_cls):
    exps = openrlhf_rollout(executor_cls, [
        (chat("x + y = 40, x - y = 18. x?"), "Subtract: 2y = 22, so x = 29.\nAnswer: 29<|im_end|>",
         json.dumps(X29)),
        (chat("a -> b, a. b?"), "Modus ponens.\nAnswer: True</s>", json.dumps(LOGIC)),
        (chat("x + y = 3. x?"), "Not determined.\nAnswer: Unknown<|im_end|>", json.dumps(OPEN)),
    ])
    assert [e.rewards.tolist() for e in exps] == [[1.0], [1.0], [1.0]]
    assert [e.info["score"].item() for e in exps] == [1.0, 1.0, 1.0]
    assert [e.info["correct"].item() for e in exps] == [1.0, 1.0, 1.0]
    assert [e.info["abstained"].item() for e in exps] == [0.0, 0.0, 1.0]


def test_openrlhf_reward_func_gives_wrong_and_unknown_answers_their_rewards(service,
                                                                             executor_cls):
    p = chat("question")
    exps = openrlhf_rollout(executor_cls, [
        (p, "Answer: 30<|im_end|>", json.dumps(X29)),
        (p, "Answer: Unknown<|im_end|>", X29),  # a dict label works too
        (p, "Answer: 1<|im_end|>", json.dumps(OPEN)),
        (p, "I think it is twenty-nine.<|im_end|>", json.dumps(X29)),
    ])
    assert [e.rewards.item() for e in exps] == [0.0, 0.0, 0.0, 0.0]
    verdicts = ["wrong_answer", "wrong_abstention", "unwarranted_answer", "unparsable"]
    for e, verdict in zip(exps, verdicts):
        assert {k for k in verdicts + ["correct"] if e.info[k].item() == 1.0} == {verdict}
    assert [e.info["abstained"].item() for e in exps] == [0.0, 1.0, 0.0, 0.0]
    assert [e.info["answerable"].item() for e in exps] == [1.0, 1.0, 0.0, 1.0]


def test_openrlhf_extra_logs_reach_the_training_metrics(service, executor_cls):
    p = chat("question")
    exps = openrlhf_rollout(executor_cls, [
        (p, "Answer: 29<|im_end|>", json.dumps(X29)),
        (p, "Answer: 28<|im_end|>", json.dumps(X29)),
        (p, "Answer: Unknown<|im_end|>", json.dumps(OPEN)),
        (p, "Answer: True<|im_end|>", json.dumps(LOGIC)),
    ])
    orl.check_rewards_precomputed(exps)  # rewards are there: no reward model is asked for
    assert orl.compute_rollout_stats(exps)["rollout/reward_mean"] == 0.75
    logged = orl.ppo_train_status_mean(exps)
    assert logged["reward"] == logged["score"] == logged["correct"] == 0.75
    assert logged["wrong_answer"] == logged["abstained"] == 0.25
    assert logged["answerable"] == 0.75


def test_openrlhf_0_8_4_batch_calls_get_per_sample_rewards_and_logs(service):
    rm = orl084.RemoteRewardModel(SimpleNamespace(micro_rollout_batch_size=2), ADAPTER)
    p = chat("question")
    labels = [json.dumps(X29), json.dumps(X29), json.dumps(LOGIC), json.dumps(OPEN)]
    texts = ["Answer: 29</s>", "Answer: 30</s>", "Answer: True</s>", "Answer: 7</s>"]
    rewards_info = rm.get_rewards([p + t for t in texts], [p] * 4, labels)
    assert len(rewards_info) == 2  # two calls of two samples
    samples = orl084.update_samples_with_rewards(
        rewards_info, [SimpleNamespace(info={}) for _ in range(2)])
    assert [s.rewards.tolist() for s in samples] == [[1.0, 0.0], [1.0, 0.0]]
    assert [s.info["correct"].tolist() for s in samples] == [[1.0, 0.0], [1.0, 0.0]]
    assert [s.info["unwarranted_answer"].tolist() for s in samples] == [[0.0, 0.0], [0.0, 1.0]]


@pytest.mark.parametrize("label", ["12", 12, " True ", "3/4"])
def test_openrlhf_bare_answer_label_fails_saying_what_to_pass(service, label):
    reward_func = orl.SingleTurnAgentExecutor(ADAPTER).reward_func
    with pytest.raises(InvalidInput, match=r"bare answer.*premises.*honest export"):
        reward_func(["Q Answer: 12"], ["Q"], [label])


def test_openrlhf_failures_raise_and_leave_no_reward(service, executor_cls, caplog):
    exps = openrlhf_rollout(executor_cls, [(chat("q"), "Answer: 12<|im_end|>", "12")])
    # OpenRLHF catches the exception and logs it at INFO; the adapter logged it at ERROR first
    assert exps[0].rewards is None and "reward" not in exps[0].info
    assert any(r.levelname == "ERROR" and "bare answer" in r.exc_text
               for r in caplog.records if r.name == "honest.rl_adapters")
    with pytest.raises(ValueError, match="reward_model_group is required"):
        orl.check_rewards_precomputed(exps)  # training stops; no reward of 0 was made up


def test_openrlhf_unreachable_service_raises_instead_of_scoring_zero(dead_service, executor_cls):
    reward_func = orl.SingleTurnAgentExecutor(ADAPTER).reward_func
    with pytest.raises(RemoteError) as e:
        reward_func([chat("q") + "Answer: 29"], [chat("q")], [json.dumps(X29)])
    assert e.value.code.name in ("UNAVAILABLE", "DEADLINE_EXCEEDED")
    exps = openrlhf_rollout(executor_cls, [(chat("q"), "Answer: 29<|im_end|>", json.dumps(X29))])
    assert exps[0].rewards is None


def test_rl_adapters_send_the_token_from_the_environment(service, monkeypatch):
    reward_func = orl.SingleTurnAgentExecutor(ADAPTER).reward_func
    assert reward_func(["Q Answer: 29"], ["Q"], [X29])["rewards"].tolist() == [1.0]
    monkeypatch.delenv("HONEST_VERIFIER_TOKEN")
    with pytest.raises(RemoteError) as e:
        reward_func(["Q Answer: 29"], ["Q"], [X29])
    assert e.value.code.name == "UNAUTHENTICATED"


# ---------------------------------------------------------------- verl 0.9.1


def verl_config(name="compute_score", **reward_kwargs):
    return AttrDict.of({
        "actor_rollout_ref": {"model": {"path": "char-tokenizer", "tokenizer_path": None}},
        "custom_reward_function": {"path": None, "name": None},  # the old top-level key
        "reward": {
            "custom_reward_function": {"path": ADAPTER, "name": name,
                                       "reward_kwargs": reward_kwargs},
            "reward_manager": {"source": "register", "name": "naive"},
            "reward_model": {"enable": False},
        }})


#: verl decodes with skip_special_tokens=True; "</s>" is plain text for this tokenizer
VERL_TOKENIZER = CharTokenizer(special_tokens=("<pad>", "<|im_start|>", "<|im_end|>"))
verl.TOKENIZERS["char-tokenizer"] = VERL_TOKENIZER


def verl_rows(rows):
    """(response, ground_truth, extra_info, uid) per sample → a rollout batch, as verl has it."""
    return rollout_batch(VERL_TOKENIZER, [chat("question")] * len(rows), [r[0] for r in rows], {
        "data_source": ["graphla"] * len(rows),
        "reward_model": [{"ground_truth": r[1], "style": "rule"} for r in rows],
        "extra_info": [dict(r[2]) for r in rows],
        "tool_extra_fields": [{} for _ in rows],
        "uid": [r[3] for r in rows],
    })


def verl_reward_loop(config, data, reward_router_address=None):
    """Score each sample as verl 0.9.1's agent loop does, then assemble the batch's rewards."""
    async def run():
        worker = verl.RewardLoopWorker(config, reward_router_address)
        outputs = [SimpleNamespace(reward_score=None, extra_fields={}, num_turns=2)
                   for _ in range(len(data))]
        await asyncio.gather(*(verl.agent_loop_compute_score(worker, data[i:i + 1], out)
                               for i, out in enumerate(outputs)))
        return worker, outputs

    worker, outputs = asyncio.run(run())
    prompts, mask = data.batch["prompts"], data.batch["attention_mask"]
    batch = verl.agent_loop_postprocess(SimpleNamespace(reward_loop_worker_handles=[worker]),
                                        outputs, prompts, mask, mask[:, prompts.size(1):])
    return outputs, batch


def test_verl_reward_loop_scores_gold_wrong_and_unknown_answers(service):
    data = verl_rows([
        ("x = 29.\nAnswer: 29<|im_end|>", json.dumps(X29), {}, "a"),
        ("Answer: True</s>", json.dumps(LOGIC), {}, "b"),
        ("Answer: Unknown<|im_end|>", json.dumps(OPEN), {}, "c"),
        ("Answer: 30<|im_end|>", X29, {}, "a"),  # a dict ground truth works too
        ("Answer: Unknown<|im_end|>", "29", {"problem": json.dumps(X29)}, "a"),
    ])
    _, batch = verl_reward_loop(verl_config(setting_from_config=1), data)
    reward_tensor, extra = verl.extract_reward(batch)
    assert reward_tensor.sum(-1).tolist() == [1.0, 1.0, 1.0, 0.0, 0.0]
    last = data.batch["attention_mask"][:, data.batch["prompts"].size(1):].sum(-1) - 1
    assert reward_tensor[torch.arange(5), last].tolist() == [1.0, 1.0, 1.0, 0.0, 0.0]
    assert list(extra["verdict"]) == ["correct", "correct", "correct", "wrong_answer",
                                      "wrong_abstention"]
    assert list(extra["pred"]) == ["29", "True", "Unknown", "30", "Unknown"]
    assert extra["abstained"].tolist() == [0.0, 0.0, 1.0, 0.0, 1.0]
    assert extra["answerable"].tolist() == [1.0, 1.0, 0.0, 1.0, 1.0]
    assert extra["score"].tolist() == extra["acc"].tolist() == [1.0, 1.0, 1.0, 0.0, 0.0]


def test_verl_extra_keys_reach_the_validation_metrics(service):
    data = verl_rows([
        ("Answer: 29<|im_end|>", json.dumps(X29), {}, "a"),
        ("Answer: Unknown<|im_end|>", json.dumps(X29), {}, "a"),
        ("Answer: Unknown<|im_end|>", json.dumps(OPEN), {}, "b"),
        ("Answer: 2<|im_end|>", json.dumps(OPEN), {}, "b"),
    ])
    outputs, batch = verl_reward_loop(verl_config(), data)
    infos = verl.collect_reward_extra_infos(
        defaultdict(list), batch.batch["rm_scores"].sum(dim=1).tolist(),
        {"extra_fields": objects([o.extra_fields for o in outputs])})
    metrics = verl._val_metrics_update(None, list(data.non_tensor_batch["data_source"]),
                                       list(data.non_tensor_batch["uid"]), infos, [])
    assert metrics["val-core/graphla/acc/mean@2"] == 0.5
    assert metrics["val-core/graphla/acc/best@2/mean"] > 0.5
    assert "val-core/graphla/acc/maj@2/mean" in metrics  # "pred" drives majority voting
    assert metrics["val-aux/graphla/correct/mean@2"] == 0.5
    assert metrics["val-aux/graphla/abstained/mean@2"] == 0.5
    assert metrics["val-aux/graphla/wrong_abstention/mean@2"] == 0.25
    assert metrics["val-aux/graphla/unwarranted_answer/mean@2"] == 0.25
    assert not [k for k in metrics if "/verdict/" in k or "/pred/" in k]  # strings: skipped


def test_verl_compute_score_takes_the_keywords_verl_adds(service):
    """With a reward model enabled verl also passes reward_router_address and
    reward_model_tokenizer; reward_kwargs from the config are passed as well."""
    data = verl_rows([("Answer: 29<|im_end|>", json.dumps(X29), {}, "a")])
    _, batch = verl_reward_loop(verl_config(setting_from_config="x"), data,
                                reward_router_address="127.0.0.1:1")
    assert batch.batch["rm_scores"].sum().item() == 1.0


def test_verl_old_top_level_key_works_where_verl_migrates_it(service):
    config = verl_config()
    config.custom_reward_function = AttrDict(path=ADAPTER, name="compute_score")
    config.reward.custom_reward_function = AttrDict(path=None, name="compute_score")
    fn = verl.get_custom_reward_fn(verl.migrate_custom_reward_function(config))
    assert fn(data_source="graphla", solution_str="Answer: True", ground_truth=json.dumps(LOGIC),
              extra_info={})["score"] == 1.0


def test_verl_batch_manager_grades_a_batch_in_one_verify_batch_call(service):
    data = verl_rows([
        ("Answer: 29<|im_end|>", json.dumps(X29), {}, "a"),
        ("Answer: 30<|im_end|>", json.dumps(X29), {}, "a"),
        ("Answer: True</s>", json.dumps(LOGIC), {}, "b"),
        ("Answer: Unknown<|im_end|>", json.dumps(OPEN), {}, "c"),
    ])
    fn = verl.get_custom_reward_fn(verl_config(name="compute_score_batch"))
    manager = BatchRewardManager(VERL_TOKENIZER, num_examine=1, compute_score=fn)
    calls = service.metrics.registry.get_sample_value
    before = calls("honest_requests_total", {"rpc": "VerifyBatch"}) or 0.0
    out = manager(data, return_dict=True)
    assert calls("honest_requests_total", {"rpc": "VerifyBatch"}) == before + 1
    assert out["reward_tensor"].sum(-1).tolist() == [1.0, 0.0, 1.0, 1.0]
    assert data.batch["acc"].tolist() == [1.0, 0.0, 1.0, 1.0]
    assert out["reward_extra_info"]["verdict"] == ["correct", "wrong_answer", "correct", "correct"]
    assert out["reward_extra_info"]["abstained"] == [0.0, 0.0, 0.0, 1.0]


@pytest.mark.parametrize("ground_truth", ["12", 12, np.int64(12), "false"])
def test_verl_bare_answer_ground_truth_fails_saying_what_to_pass(service, ground_truth):
    data = verl_rows([("Answer: 12<|im_end|>", ground_truth, {}, "a")])
    with pytest.raises(InvalidInput, match=r"bare answer.*premises.*honest export --format verl"):
        verl_reward_loop(verl_config(), data)
    fn = verl.get_custom_reward_fn(verl_config(name="compute_score_batch"))
    with pytest.raises(InvalidInput, match=r"sample 0: reward_model.ground_truth .* bare answer"):
        BatchRewardManager(VERL_TOKENIZER, num_examine=0, compute_score=fn)(data)


def test_verl_unreachable_service_raises_instead_of_scoring_zero(dead_service):
    data = verl_rows([("Answer: 29<|im_end|>", json.dumps(X29), {}, "a")])
    with pytest.raises(RemoteError) as e:
        verl_reward_loop(verl_config(), data)
    assert e.value.code.name in ("UNAVAILABLE", "DEADLINE_EXCEEDED")


# ---------------------------------------------------------------- what `honest export` writes


ITEMS = [
    {"id": "graphla-7-0", "prompt": "x + y = 40 and x - y = 18. What is x?", "answer": "29",
     **X29, "meta": {"task": "graphla", "depth": 2}},
    {"id": "graphli-7-0", "prompt": "a -> b; a. Is b true?", "answer": "True", **LOGIC,
     "meta": {"task": "graphli", "depth": 1}},
    {"id": "graphla-7-1", "prompt": "x + y = 3. What is x?", "answer": "Unknown", **OPEN,
     "meta": {"task": "graphla", "depth": 1}},
]


def test_rl_adapters_score_what_honest_export_writes(service):
    rows = [export_row(item, f"item {i}") for i, item in enumerate(ITEMS)]
    gold = [f"Answer: {item['answer']}<|im_end|>" for item in ITEMS]

    records = [openrlhf_record(row) for row in rows]  # --data.input_key input, label_key label
    exps = openrlhf_rollout(orl.SingleTurnAgentExecutor, [
        (chat(rec["input"]), text, rec["label"]) for rec, text in zip(records, gold)])
    assert [e.rewards.item() for e in exps] == [1.0, 1.0, 1.0]

    records = [verl_record(row, i, "train") for i, row in enumerate(rows)]
    data = rollout_batch(VERL_TOKENIZER, [chat(r["prompt"][0]["content"]) for r in records], gold, {
        "data_source": [r["data_source"] for r in records],
        "reward_model": [r["reward_model"] for r in records],
        "extra_info": [r["extra_info"] for r in records],
        "tool_extra_fields": [{} for _ in records],
    })
    _, batch = verl_reward_loop(verl_config(), data)
    assert batch.batch["rm_scores"].sum(-1).tolist() == [1.0, 1.0, 1.0]
    assert list(batch.non_tensor_batch["answerable"]) == [1.0, 1.0, 0.0]
