"""The ANCHOR mechanism, through one real TRL GRPOTrainer step on a tiny model.

Setup: one answerable GraphLA item, groups of 4, completions cut at one token
(one word-level token can never spell an ``Answer: <value>`` line), so every
sampled completion is graded wrong by the real verifier. Then:

- GRPO: zero reward variance → zero advantages → the loss gradient is zero;
- ANCHOR: the gold trajectory is the group's only positive → non-zero gradient,
  and one SGD step along it raises the gold trajectory's log-likelihood;
- ``on_failure``: injects into the all-wrong group, not into a group whose
  sampled completion was graded correct.
"""

import pytest

from trainer.anchor import apply_injection, plan_group
from trainer.config import RLConfig, TinyModelConfig
from trainer.data import prompt_text
from trainer.model import build_tiny_model, completion_logprob
from clients.scoring import LocalScorer
from trainer.rl import make_rl_trainer
from trainer.runtime import quiet_transformers
from trainer.tokenizer import build_tokenizer
from verifier.tasks import graphla

G = 4
TINY = TinyModelConfig(hidden_size=32, layers=1, heads=2, intermediate_size=64, seed=0)


@pytest.fixture(scope="module")
def item_and_tokenizer():
    quiet_transformers()
    items = list(graphla.generate(graphla.GraphLAConfig(depth=1, dishes=3, distractors=0,
                                                        unanswerable_share=0.0), 1, seed=3))
    tok = build_tokenizer(extra_texts=[items[0]["prompt"], items[0]["trajectory"]], n_per_task=5)
    return items[0], tok


class AllCorrectScorer:
    """A scorer that grades every completion correct (a group with a correct sample)."""

    def score_group(self, problem, completions):
        return [("correct", 1.0)] * len(completions)


def one_step(item, tok, tmp_path, method, inject="always", scorer=None):
    """One GRPO/ANCHOR step with SGD (the update is exactly -lr × gradient)."""
    model = build_tiny_model(tok, TINY)
    cfg = RLConfig(method=method, steps=1, group_size=G, prompts_per_step=1, learning_rate=0.05,
                   max_completion_length=1, inject=inject)
    trainer = make_rl_trainer(model, tok, [item], cfg, scorer or LocalScorer(), str(tmp_path),
                              "compact", progress=False, optim="sgd")
    prompt = prompt_text(item, "compact")
    before = completion_logprob(model, tok, prompt, item["trajectory"])
    trainer.train()
    after = completion_logprob(trainer.model, tok, prompt, item["trajectory"])
    return trainer.state.log_history[0], before, after


def test_grpo_gradient_is_zero_when_every_sample_is_wrong(item_and_tokenizer, tmp_path):
    item, tok = item_and_tokenizer
    log, before, after = one_step(item, tok, tmp_path, "grpo")
    assert log["reward"] == 0.0 and log["honest/injected_share"] == 0.0
    assert log["frac_reward_zero_std"] == 1.0
    assert log["grad_norm"] == pytest.approx(0.0, abs=1e-9)
    assert after == pytest.approx(before, abs=1e-6)


def test_anchor_gradient_raises_gold_likelihood_when_every_sample_is_wrong(
        item_and_tokenizer, tmp_path):
    item, tok = item_and_tokenizer
    log, before, after = one_step(item, tok, tmp_path, "anchor")
    # the gold is scored by the verifier like any completion: 1 correct of G
    assert log["reward"] == pytest.approx(1 / G)
    assert log["honest/injected_share"] == pytest.approx(1 / G)
    assert log["honest/answerable_acc"] == 0.0  # policy samples only: the gold is not counted
    assert log["grad_norm"] > 1e-3
    assert after > before + 1e-3


def test_on_failure_injects_only_into_groups_where_every_sample_failed(
        item_and_tokenizer, tmp_path):
    item, tok = item_and_tokenizer
    log, _, _ = one_step(item, tok, tmp_path / "fail", "anchor", inject="on_failure")
    assert log["honest/injected_share"] == pytest.approx(1 / G)
    log, _, _ = one_step(item, tok, tmp_path / "ok", "anchor", inject="on_failure",
                         scorer=AllCorrectScorer())
    assert log["honest/injected_share"] == 0.0


def test_plan_group_puts_gold_last_and_respects_mode():
    assert plan_group("always", 1, 5, None) == [False] * 4 + [True]
    assert plan_group("always", 2, 5, [True] * 5) == [False] * 3 + [True] * 2
    assert plan_group("on_failure", 1, 3, [False, False, False]) == [False, False, True]
    assert plan_group("on_failure", 1, 3, [False, True, False]) == [False] * 3


def test_injected_rows_carry_gold_tokens_and_no_sampler_logprobs(item_and_tokenizer):
    item, tok = item_and_tokenizer
    ids, texts, logps = apply_injection(
        [[5, 6], [7]], ["a", "b"], [[-0.1, -0.2], [-0.3]], [item["trajectory"]] * 2,
        [False, True], tok)
    assert ids[0] == [5, 6] and texts[0] == "a" and logps[0] == [-0.1, -0.2]
    assert ids[1][-1] == tok.eos_token_id
    assert texts[1] == item["trajectory"]  # the verifier grades exactly the gold text
    assert logps[1] == [None] * len(ids[1])  # TRL: no sampler log-prob → IS weight 1


@pytest.mark.parametrize("method,inject,sampled", [("anchor", "always", G - 1),
                                                   ("anchor", "on_failure", G),
                                                   ("grpo", "always", G)])
def test_always_injection_samples_only_the_rows_the_gold_leaves(
        item_and_tokenizer, tmp_path, monkeypatch, method, inject, sampled):
    from trl import GRPOTrainer
    rows = []
    original = GRPOTrainer._generate_single_turn

    def spy(self, prompt_ids, *args, **kwargs):
        rows.append(len(prompt_ids))
        return original(self, prompt_ids, *args, **kwargs)

    monkeypatch.setattr(GRPOTrainer, "_generate_single_turn", spy)
    item, tok = item_and_tokenizer
    log, _, _ = one_step(item, tok, tmp_path, method, inject=inject)
    assert rows == [sampled]
    # the group still has G members: the gold fills the row that was not sampled
    assert log["honest/injected_share"] == pytest.approx(0.0 if method == "grpo" else 1 / G)
