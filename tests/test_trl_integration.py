"""The shipped TRL reward inside TRL's own ``GRPOTrainer`` (TRL as installed, ≥ 1.16), against
a real verifier server: ``honest generate`` output loaded with ``datasets`` as it is (no
extra columns), a few real training steps, honesty metrics in TRL's log history."""

import json

import pytest

from clients.trl import ServiceScorer, VerifierReward
from trainer.config import TinyModelConfig
from trainer.model import build_tiny_model
from trainer.runtime import common_training_args, quiet_transformers
from trainer.tokenizer import build_tokenizer

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    import honest_cli
    path = tmp_path_factory.mktemp("trl") / "la.jsonl"
    assert honest_cli.main(["generate", "graphla", "-n", "8", "--depth", "1", "--dishes", "3",
                            "--distractors", "0", "-o", str(path), "--no-progress"]) == 0
    return path




@pytest.mark.parametrize("make_reward", [lambda addr: VerifierReward(addr),
                                         lambda addr: ServiceScorer(addr)],
                         ids=["VerifierReward", "ServiceScorer"])
def test_plain_trl_grpo_trainer_trains_on_generated_rows(generated, server, tmp_path,
                                                         make_reward):
    import datasets
    from trl import GRPOConfig, GRPOTrainer
    quiet_transformers()
    dataset = datasets.load_dataset("json", data_files=str(generated), split="train")
    rows = [json.loads(line) for line in generated.read_text().splitlines()]
    tok = build_tokenizer(extra_texts=[t for r in rows for t in (r["prompt"], r["trajectory"])],
                          n_per_task=5)
    model = build_tiny_model(tok, TinyModelConfig(hidden_size=32, layers=1, heads=2,
                                                  intermediate_size=64))
    args = GRPOConfig(**common_training_args(str(tmp_path), 0, 1), max_steps=2,
                      per_device_train_batch_size=8, num_generations=4,
                      max_completion_length=12, learning_rate=1e-3, beta=0.0,
                      remove_unused_columns=False)
    reward = make_reward(server.address)
    trainer = GRPOTrainer(model=model, reward_funcs=[reward], args=args, train_dataset=dataset,
                          processing_class=tok)
    before = server.cache.misses + server.cache.hits
    trainer.train()
    logged = [h for h in trainer.state.log_history if "honest/abstention_rate" in h]
    assert len(logged) == 2  # one per step, through TRL's log_metric
    for h in logged:
        shares = sum(h[f"honest/verdict_share/{v}"] for v in (
            "correct", "wrong_answer", "unwarranted_answer", "wrong_abstention", "unparsable"))
        assert shares == pytest.approx(1.0)
        assert 0.0 <= h["honest/abstention_rate"] <= 1.0
    assert server.cache.misses + server.cache.hits > before  # rewards came from the service


def test_gold_completions_with_eos_text_get_reward_1_from_the_trl_reward(generated, server):
    import asyncio
    rows = [json.loads(line) for line in generated.read_text().splitlines()]
    cols = {k: [r[k] for r in rows] for k in ("id", "domain", "premises", "query")}
    completions = [r["trajectory"] + eos for r, eos in
                   zip(rows, ["<|im_end|>", "</s>", "<|endoftext|>", "<|eot_id|>"] * 2)]
    rewards = asyncio.run(VerifierReward(server.address)(
        prompts=[r["prompt"] for r in rows], completions=completions, **cols))
    assert rewards == [1.0] * len(rows)
