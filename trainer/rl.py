"""GRPO and ANCHOR runs: build TRL's config, the verifier reward and the trainer; train; save.

    history = run_rl(model, tok, items, RLConfig(method="anchor"), LocalScorer(),
                     "runs/x/anchor", prompt_style="compact")

One step = ``prompts_per_step`` prompts × ``group_size`` completions, one
optimizer update per generation (so TRL's importance ratio is 1 at the
update and PPO clipping never bites). The learning-rate
schedule is constant: a collapse should show up as a trend, not as the tail of
a decay. ``history`` is TRL's log, one entry per step; the ``honest/*`` keys
are the verifier metrics (see :func:`clients.trl.group_metrics`).
"""

from __future__ import annotations

import os
import warnings

from verifier.errors import InvalidInput
from trainer.anchor import AnchorGRPOTrainer, Injection
from trainer.config import LoRAConfig, RLConfig
from trainer.context import check_context, prompt_length
from trainer.data import rl_dataset
from trainer.model import save_policy, write_train_log
from trainer.progress import use_compact_progress
from clients.scoring import GroupScorer
from clients.trl import VerifierReward
from trainer.runtime import common_training_args


def make_rl_trainer(model, tokenizer, items: list[dict], cfg: RLConfig, scorer: GroupScorer,
                    out_dir: str, prompt_style: str, progress: bool = True,
                    logging_steps: int = 1, lora: LoRAConfig | None = None,
                    **grpo_args) -> AnchorGRPOTrainer:
    """The trainer, not yet trained. ``grpo_args`` override TRL ``GRPOConfig`` fields
    (e.g. ``optim="sgd"``)."""
    from trl import GRPOConfig

    check_rl_inputs(model, tokenizer, items, cfg, prompt_style)
    if cfg.beta > 0 and not model.config.name_or_path and not (lora and lora.enabled):
        # TRL builds the KL reference by loading the policy's name_or_path: an
        # in-memory policy (e.g. a fresh embedded model) is saved first.
        save_policy(model, tokenizer, os.path.join(out_dir, "reference"), prompt_style)
        model.config.name_or_path = os.path.join(out_dir, "reference")
    chat = getattr(tokenizer, "chat_template", None) is not None
    args = GRPOConfig(
        **common_training_args(out_dir, cfg.seed, logging_steps,
                               lora.gradient_checkpointing if lora else None),
        max_steps=cfg.steps, per_device_train_batch_size=cfg.group_size * cfg.prompts_per_step,
        num_generations=cfg.group_size, learning_rate=cfg.learning_rate, beta=cfg.beta,
        temperature=cfg.temperature, max_completion_length=cfg.max_completion_length,
        loss_type=cfg.loss_type, lr_scheduler_type="constant", warmup_steps=0,
        weight_decay=0.0, remove_unused_columns=False, log_completions=False,
        **grpo_args)
    injection = Injection(cfg.inject, cfg.n_inject) if cfg.injects else None
    trainer = AnchorGRPOTrainer(
        model=model, reward_funcs=[VerifierReward(scorer, cfg.group_size)], args=args,
        train_dataset=rl_dataset(items, prompt_style, chat), processing_class=tokenizer,
        injection=injection, peft_config=lora.peft_config() if lora else None)
    use_compact_progress(trainer, cfg.method, progress)
    return trainer


def check_rl_inputs(model, tokenizer, items: list[dict], cfg: RLConfig,
                    prompt_style: str) -> None:
    """Refuse what would fail or silently do nothing, before any training (see
    :func:`check_gold_lengths`): fewer items than one step's prompts, a prompt that leaves
    no room for ``max_completion_length`` in the model's positions."""
    check_context(model, tokenizer, items, prompt_style, cfg.max_completion_length,
                  what="--max-completion-length")
    if len(items) < cfg.prompts_per_step:
        raise InvalidInput(f"{len(items)} training items, fewer than --prompts-per-step "
                           f"({cfg.prompts_per_step}): not one full step; give more items or "
                           "lower --prompts-per-step")
    if cfg.injects:
        check_gold_lengths(model, tokenizer, items, cfg, prompt_style)


def check_gold_lengths(model, tokenizer, items: list[dict], cfg: RLConfig,
                       prompt_style: str) -> None:
    """ANCHOR injects each gold trajectory whole (a cut gold is not a gold): refuse items
    whose prompt + gold cannot fit the model's positions, and warn when golds are longer
    than the policy's own samples may be (the policy can then never reproduce them)."""
    tok = getattr(tokenizer, "tokenizer", tokenizer)
    limit = getattr(model.config, "max_position_embeddings", None)
    longest, too_long = 0, 0
    for it in items:
        gold = len(tok(it["trajectory"], add_special_tokens=False)["input_ids"]) + 1  # + EOS
        longest = max(longest, gold)
        too_long += gold > cfg.max_completion_length
        if limit is not None:
            total = gold + prompt_length(tok, it, prompt_style)
            if total > limit:
                raise InvalidInput(f"item {it['id']}: prompt + gold trajectory is {total} tokens, "
                                   f"more than the model's {limit} positions; drop such items "
                                   "or use a model with a longer context")
    if too_long:
        warnings.warn(f"{too_long} of {len(items)} gold trajectories are longer than "
                      f"max_completion_length={cfg.max_completion_length} tokens (longest "
                      f"{longest}); they are injected whole, but sampled completions are cut "
                      f"there: raise --max-completion-length to {longest} to let the policy "
                      "reproduce them")


def run_rl(model, tokenizer, items: list[dict], cfg: RLConfig, scorer: GroupScorer,
           out_dir: str, prompt_style: str, progress: bool = True,
           lora: LoRAConfig | None = None) -> list[dict]:
    """Train, save the policy and ``train_log.json`` to ``out_dir``; returns the log."""
    trainer = make_rl_trainer(model, tokenizer, items, cfg, scorer, out_dir, prompt_style,
                              progress, lora=lora)
    trainer.train()
    save_policy(trainer.model, tokenizer, out_dir, prompt_style)
    history = list(trainer.state.log_history)
    write_train_log(history, out_dir)
    return history
