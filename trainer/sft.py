"""Supervised warm-up on gold trajectories, with TRL's SFTTrainer.

    history = run_sft(model, tok, items, SFTConfig(steps=300), "runs/x/sft", "compact")

The loss is next-token cross-entropy on the completion (the gold trajectory
plus EOS); prompt tokens are masked (TRL's ``completion_only_loss``). The
embedded model starts from random weights, so this is what teaches it the
answer format before GRPO or ANCHOR take over.
"""

from __future__ import annotations

from trainer.config import LoRAConfig, SFTConfig
from trainer.context import check_context
from trainer.data import sft_dataset
from trainer.model import save_policy, write_train_log
from trainer.progress import use_compact_progress
from trainer.runtime import common_training_args


def sft_trainer(model, tokenizer, items: list[dict], cfg: SFTConfig, out_dir: str,
                prompt_style: str, lora: LoRAConfig | None = None):
    """TRL's SFTTrainer for ``items`` (not yet trained).

    Batches are drawn at random. TRL's ``group_by_length`` sampler (less padding, ~15%
    fewer tokens per step) must not be used here: an ``Unknown`` trajectory is shorter
    than an answered one, so length-grouped batches hold one kind of item each, and the
    policy learns a constant that flips from batch to batch instead of reading the
    premises (measured on the demo's GraphLA items after 300 steps: 0.75 nats per gold
    token with the item's own facts vs 0.81 with another item's; with random batches
    0.13 vs 1.01, and answerable / unanswerable accuracy 0.12 / 0.54 instead of
    0.08 / 0.31).
    """
    from trl import SFTConfig as TRLSFTConfig, SFTTrainer

    chat = getattr(tokenizer, "chat_template", None) is not None
    check_context(model, tokenizer, items, prompt_style, 0, gold=True)
    args = TRLSFTConfig(
        **common_training_args(out_dir, cfg.seed, logging_steps=max(1, cfg.steps // 50),
                               gradient_checkpointing=lora.gradient_checkpointing
                               if lora else None),
        max_steps=cfg.steps, per_device_train_batch_size=cfg.batch_size,
        learning_rate=cfg.learning_rate, lr_scheduler_type=cfg.lr_scheduler,
        warmup_steps=cfg.warmup_steps, weight_decay=0.0, max_length=cfg.max_length,
        completion_only_loss=True, train_sampling_strategy="random")
    return SFTTrainer(model=model, args=args, processing_class=tokenizer,
                      train_dataset=sft_dataset(items, prompt_style, chat),
                      peft_config=lora.peft_config() if lora else None)


def run_sft(model, tokenizer, items: list[dict], cfg: SFTConfig, out_dir: str,
            prompt_style: str, progress: bool = True, label: str = "sft warm-up",
            lora: LoRAConfig | None = None) -> list[dict]:
    """Train in place, save the policy and its log to ``out_dir``; returns the log history."""
    trainer = sft_trainer(model, tokenizer, items, cfg, out_dir, prompt_style, lora)
    use_compact_progress(trainer, label, progress)
    trainer.train()
    save_policy(trainer.model, tokenizer, out_dir, prompt_style)
    history = list(trainer.state.log_history)
    write_train_log(history, out_dir)
    return history
