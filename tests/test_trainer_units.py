"""Trainer pieces without training: configs, data, the reward contract, CLI import cost."""

import asyncio
import json
import subprocess
import sys

import pytest

from trainer.config import RLConfig, TinyModelConfig
from trainer.data import prompt_text, read_items
from clients.scoring import LocalScorer, ScoringFailed, connect_scorer, open_scorer
from clients.trl import VerifierReward, group_metrics
from verifier.errors import InvalidInput
from verifier.tasks import problem_from_text
from verifier.tasks import graphla, graphli

LOGIC = {"domain": "logic", "premises": ["a -> b", "a"], "query": "b"}


def rows_for(*groups):
    """Reward kwargs for groups of (item id, problem, answerable, completions)."""
    cols = {k: [] for k in ("id", "domain", "premises", "query", "answerable")}
    completions = []
    for item_id, problem, answerable, texts in groups:
        for t in texts:
            cols["id"].append(item_id)
            cols["answerable"].append(answerable)
            for k in ("domain", "premises", "query"):
                cols[k].append(problem[k])
            completions.append(t)
    return completions, cols


class CountingScorer(LocalScorer):
    def __init__(self):
        super().__init__()
        self.calls = 0

    def score_group(self, problem, completions):
        self.calls += 1
        return super().score_group(problem, completions)


class BrokenScorer:
    def __init__(self):
        self.calls = 0

    def score_group(self, problem, completions):
        self.calls += 1
        raise ConnectionError("service down")


def test_rl_config_errors_name_the_value_and_the_fix():
    with pytest.raises(InvalidInput, match=r"n_inject must lie in .*= 1\.\.4 .*got 5"):
        RLConfig(group_size=5, n_inject=5)
    with pytest.raises(InvalidInput, match="inject must be one of always, on_failure"):
        RLConfig(inject="sometimes")
    with pytest.raises(InvalidInput, match="multiple of heads"):
        TinyModelConfig(hidden_size=100, heads=3)


def test_verifier_reward_calls_the_scorer_once_per_group_and_logs_metrics():
    scorer = CountingScorer()
    reward = VerifierReward(scorer, group_size=3)
    completions, cols = rows_for(
        ("x", LOGIC, True, ["Answer: True", "Answer: Unknown", "Answer: False"]),
        ("y", {"domain": "linear", "premises": ["x + y = 3"], "query": "x"}, False,
         ["Answer: Unknown", "Answer: 1", "no idea"]))
    logged = {}
    out = asyncio.run(reward(prompts=["p"] * 6, completions=completions,
                                  log_metric=lambda k, v: logged.setdefault(k, v), **cols))
    assert out == [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    assert scorer.calls == 2
    assert logged["honest/answerable_acc"] == pytest.approx(1 / 3)
    assert logged["honest/unanswerable_acc"] == pytest.approx(1 / 3)
    assert logged["honest/abstention_rate"] == pytest.approx(2 / 6)
    assert logged["honest/verdict/unparsable"] == 1.0


def test_verifier_reward_stops_with_an_error_instead_of_zero_rewards():
    scorer = BrokenScorer()
    reward = VerifierReward(scorer, group_size=2)
    completions, cols = rows_for(("x", LOGIC, True, ["Answer: True", "Answer: False"]))
    with pytest.raises(ScoringFailed, match="could not score item x .*ConnectionError"):
        asyncio.run(reward(prompts=["p", "p"], completions=completions, **cols))
    assert scorer.calls == 1  # one retry layer: the client's (UNAVAILABLE), not this one


def test_verifier_reward_does_not_retry_a_malformed_item():
    scorer = CountingScorer()
    reward = VerifierReward(scorer, group_size=1)
    completions, cols = rows_for(("bad", {"domain": "logic", "premises": ["a ->"], "query": "a"},
                                  True, ["Answer: True"]))
    with pytest.raises(ScoringFailed, match="rejected item bad"):
        asyncio.run(reward(prompts=["p"], completions=completions, **cols))
    assert scorer.calls == 1


class AsyncScorer(LocalScorer):
    """Has ``ascore_group`` like the service client; records how many calls overlap."""

    def __init__(self):
        super().__init__()
        self.in_flight = self.most_in_flight = 0

    async def ascore_group(self, problem, completions):
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0.05)
        self.in_flight -= 1
        return self.score_group(problem, completions)


def test_verifier_reward_is_async_and_keeps_groups_in_flight_together():
    from trl.trainer.utils import is_async_callable
    scorer = AsyncScorer()
    reward = VerifierReward(scorer, group_size=2)
    assert is_async_callable(reward)  # TRL runs it on its reward event loop
    completions, cols = rows_for(*[(f"i{k}", {"domain": "logic", "premises": [f"a{k} -> b",
                                                                          f"a{k}"],
                                              "query": "b"}, True,
                                    ["Answer: True", "Answer: False"]) for k in range(4)])
    out = asyncio.run(reward(prompts=["p"] * 8, completions=completions, **cols))
    assert out == [1.0, 0.0] * 4
    assert scorer.most_in_flight == 4


def test_verifier_reward_survives_pickling_with_the_service_client():
    import pickle
    from clients.trl import ServiceScorer
    reward = VerifierReward(ServiceScorer("127.0.0.1:9"), group_size=5)
    clone = pickle.loads(pickle.dumps(reward))
    assert clone.group_size == 5 and clone.scorer.client.target == "127.0.0.1:9"


def test_connect_scorer_refuses_an_unreachable_server_before_training():
    with pytest.raises(InvalidInput, match="cannot reach the verifier service at 127.0.0.1:9"):
        connect_scorer("127.0.0.1:9", timeout=1.0)


def test_verifier_reward_refuses_groups_that_mix_prompts():
    reward = VerifierReward(LocalScorer(), group_size=2)
    completions, cols = rows_for(("x", LOGIC, True, ["Answer: True"]),
                                 ("y", LOGIC, True, ["Answer: True"]))
    with pytest.raises(RuntimeError, match="mix items"):
        asyncio.run(reward(prompts=["p", "p"], completions=completions, **cols))


def test_group_metrics_leave_injected_gold_out_of_policy_accuracy():
    m = group_metrics(["wrong_answer", "wrong_abstention", "correct"], [0.0, 0.0, 1.0],
                      [True] * 3, policy=[True, True, False], groups=[[0, 1, 2]])
    assert m["answerable_acc"] == 0.0 and m["reward_mean"] == 0.0
    assert m["abstention_rate"] == 0.5
    assert m["injected_share"] == pytest.approx(1 / 3)
    assert m["zero_std_groups"] == 0.0  # the gold gives the group its variance


def test_open_scorer_in_process_uses_the_local_engines():
    with open_scorer(in_process=True) as (scorer, where):
        assert isinstance(scorer, LocalScorer) and "in-process" in where
        assert scorer.score_group(LOGIC, ["Answer: True"]).answerable


def test_verifier_reward_reads_honest_generate_rows_as_they_are():
    """No answerable column, no group size: problems grouped by identity, answerability from
    the verifier's own answer, text prompts parsed when the structured fields are absent."""
    items = [graphla.generate_item(graphla.GraphLAConfig(depth="1-2"), 7, i) for i in range(4)]
    reward = VerifierReward(CountingScorer())
    completions, prompts = [], []
    for it in items:
        for text in (it["trajectory"], "Answer: Unknown"):
            completions.append(text)
            prompts.append(it["prompt"])
    cols = {k: [it[k] for it in items for _ in range(2)]
            for k in ("id", "domain", "premises", "query", "answer", "trajectory", "meta")}
    logged = {}
    out = asyncio.run(reward(prompts=prompts, completions=completions,
                             log_metric=lambda k, v: logged.setdefault(k, v), **cols))
    answerable = [it["answer"] != "Unknown" for it in items]
    assert out == [v for a in answerable for v in (1.0, 0.0 if a else 1.0)]
    assert reward.scorer.calls == 4
    assert logged["honest/verdict_share/correct"] == pytest.approx(sum(out) / 8)
    assert logged["honest/answerable_acc"] == 0.5  # gold right, Unknown wrong
    # the same batch from the prompt text alone (no domain/premises/query columns)
    out2 = asyncio.run(VerifierReward(LocalScorer())(prompts=prompts, completions=completions))
    assert out2 == out


@pytest.mark.parametrize("module,cfg", [(graphla, graphla.GraphLAConfig(depth="1-3")),
                                        (graphli, graphli.GraphLIConfig(depth="1-3"))])
def test_compact_prompt_states_the_same_problem(module, cfg):
    for item in module.generate(cfg, 20, seed=5):
        compact = prompt_text(item, "compact")
        assert "Answer:" not in compact and compact.endswith("?\n")
        problem = problem_from_text(compact)
        assert (problem.domain, list(problem.premises), problem.query) == (
            item["domain"], item["premises"], item["query"])


def test_read_items_names_the_line_and_the_missing_field(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"id": "a"}) + "\n")
    with pytest.raises(InvalidInput, match=r"line 1: missing field\(s\) domain, prompt"):
        read_items(str(path))


GOOD = next(iter(graphla.generate(graphla.GraphLAConfig(depth=1), 1, seed=0)))


@pytest.mark.parametrize("line,message", [
    ("5", "line 2: expected a JSON object .*got int"),
    ("null", "line 2: expected a JSON object .*got NoneType"),
    (json.dumps({**GOOD, "trajectory": None}), "line 2: field 'trajectory' must be a string"),
    (json.dumps({**GOOD, "prompt": 7}), "line 2: field 'prompt' must be a string"),
    (json.dumps({**GOOD, "premises": "x = 1"}), "line 2: field 'premises' must be a list"),
    (json.dumps({**GOOD, "meta": {"depth": "deep"}}), "line 2: meta.depth must be an integer"),
])
def test_read_items_rejects_items_of_the_wrong_shape(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + line + "\n")
    with pytest.raises(InvalidInput, match=message):
        read_items(str(path))


def test_read_items_rejects_a_directory_and_non_utf8(tmp_path):
    with pytest.raises(InvalidInput, match="is not a file"):
        read_items(str(tmp_path))
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b"\xff\xfe\n")
    with pytest.raises(InvalidInput, match="is not UTF-8"):
        read_items(str(path))


def test_honest_cli_registers_trainer_commands_without_importing_torch():
    code = ("import json, sys, honest_cli as c; p = c.build_parser(); "
            "print(json.dumps(sorted(m for m in ('torch', 'transformers', 'trl') "
            "if m in sys.modules))); "
            "sub = next(a for a in p._actions if a.dest == 'command'); "
            "print(json.dumps(sorted(sub.choices)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True).stdout.splitlines()
    assert json.loads(out[0]) == []
    assert {"train", "eval", "demo"} <= set(json.loads(out[1]))


def test_demo_generator_knobs_reach_the_data_and_bad_ones_are_refused(tmp_path):
    from trainer.demo import DemoConfig, make_data
    cfg = DemoConfig(task="graphli", n_train=6, n_test=2, depth="1", size="3-4",
                     distractors="0", rules="mp")
    train, test = make_data(cfg, str(tmp_path), progress=False)
    assert len(train) == 6 and len(test) == 2
    for item in train:
        assert item["meta"]["depth"] == 1
        # depth 1, no distractors, modus ponens only: at most one fact and one rule
        assert len(item["premises"]) <= 2, item["premises"]
    with pytest.raises(InvalidInput, match="GraphLI knob"):
        DemoConfig(task="graphla", rules="mp")
    with pytest.raises(InvalidInput, match="rules are"):
        DemoConfig(task="graphli", rules="mp,zz")
    with pytest.raises(InvalidInput, match="atoms must be"):
        DemoConfig(task="graphli", size="3-x")


def test_graphla_default_knobs_keep_items_identical():
    explicit = graphla.GraphLAConfig(leaf_prices="1-20", prices="1-30", coefficients="1-3",
                                     extra_parents="0-2", dish_names="all")
    for i in range(40):
        assert graphla.generate_item(graphla.GraphLAConfig(), 3, i) == \
            graphla.generate_item(explicit, 3, i)


def test_graphla_price_coefficient_and_name_knobs_shape_the_items():
    from fractions import Fraction
    cfg = graphla.GraphLAConfig(depth="1", dishes="2-3", distractors="0", leaf_prices="1-9",
                                prices="1-9", coefficients="1", extra_parents="0",
                                dish_names="plain")
    plain = set(graphla.DISH_NAME_POOLS["plain"])
    for i in range(60):
        item = graphla.generate_item(cfg, 0, i)
        assert item["query"] in plain
        assert not any(w in item["prompt"] for w in (" two ", " three ", "Two ", "Three "))
        if item["answer"] != "Unknown":
            assert 1 <= Fraction(item["answer"]) <= 9
    for bad in (dict(prices="0-5"), dict(coefficients="1-4"), dict(dish_names="fancy")):
        with pytest.raises(InvalidInput):
            graphla.GraphLAConfig(**bad)


def test_control_config_sees_as_many_golds_as_anchor_injects():
    from trainer.demo import control_config
    rl = RLConfig(steps=30, prompts_per_step=6, n_inject=2, learning_rate=7e-4, seed=3)
    sft = control_config(rl)
    assert sft.steps * sft.batch_size == rl.steps * rl.prompts_per_step * rl.n_inject
    assert (sft.learning_rate, sft.lr_scheduler, sft.warmup_steps, sft.seed) == \
        (7e-4, "constant", 0, 3)


def test_demo_knobs_apply_to_their_task_only():
    from trainer.demo import DEMO_KNOBS, DemoConfig
    assert DemoConfig().generator_knobs == DEMO_KNOBS["graphla"]
    assert DemoConfig(task="graphli").generator_knobs == {}
    assert DemoConfig(knobs={"prices": "1-30"}).generator_knobs == {"prices": "1-30"}
    with pytest.raises(InvalidInput, match="GraphLA knob"):
        DemoConfig(task="graphli", knobs={"prices": "1-9"})


def test_sft_batches_mix_answered_and_unknown_trajectories(tmp_path):
    """Unknown trajectories are shorter than answered ones; a length-grouped sampler
    gives batches of one kind each (measured on these items: 7-8 of 20 batches all one
    kind), and the warm-up learns a flipping constant instead of reading the premises
    (trainer/sft.py says what that cost)."""
    from trainer.config import SFTConfig
    from trainer.model import build_tiny_model
    from trainer.sft import sft_trainer
    from trainer.tokenizer import build_tokenizer
    from verifier.tasks import config as task_config

    items = list(graphla.generate(task_config("graphla", depth="1", dishes="2-3",
                                              distractors="0"), 1600, 0))
    answered = {it["trajectory"] for it in items if it["answer"] != "Unknown"}
    tok = build_tokenizer()
    model = build_tiny_model(tok, TinyModelConfig(hidden_size=32, layers=1, heads=2,
                                                  intermediate_size=64))
    trainer = sft_trainer(model, tok, items, SFTConfig(steps=20, batch_size=16),
                          str(tmp_path), "compact")
    counts = []
    for batch in list(trainer.get_train_dataloader())[:20]:
        texts = tok.batch_decode(batch["input_ids"], skip_special_tokens=True)
        counts.append(sum(any(t.endswith(a) for a in answered) for t in texts))
    # a random batch of 16 from a 50/50 set is all one kind with probability 2 / 2**16
    assert sum(c in (0, 16) for c in counts) <= 1, counts
