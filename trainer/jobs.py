"""The ``honest train`` and ``honest eval`` jobs (the CLI parses, these run).

    train_job("anchor", "train.jsonl", "runs/a")    # embedded model: warm-up, then ANCHOR
    train_job("grpo", "train.jsonl", "runs/g", model="runs/a/sft")
    eval_job("runs/a", "test.jsonl", "runs/a/eval")

Without ``model`` the embedded tiny model is built from scratch; GRPO and
ANCHOR then start with the SFT warm-up (saved in ``<out>/sft``), since a
random policy earns no reward at all.
"""

from __future__ import annotations

import json
import os
import time

from trainer.config import EvalConfig, LoRAConfig, RLConfig, SFTConfig, TinyModelConfig
from trainer.data import read_items
from trainer.prompts import PromptConfig
from verifier.errors import InvalidInput


def check_out_dir(out: str) -> None:
    """Fail before training, not after, if ``out`` cannot hold the results."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise InvalidInput(f"--out {out} is an existing file; give a directory")
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        raise InvalidInput(f"cannot create --out {out}: {e.strerror or e}") from None
    if not os.access(out, os.W_OK):
        raise InvalidInput(f"--out {out} is not writable")


def item_texts(items: list[dict]) -> list[str]:
    return [t for it in items for t in (it["prompt"], it["trajectory"])]


def embedded_policy(items: list[dict], model_cfg: TinyModelConfig):
    """A fresh tokenizer (task vocabulary + these items) and tiny model."""
    from trainer.model import build_tiny_model
    from trainer.tokenizer import build_tokenizer
    tokenizer = build_tokenizer(extra_texts=item_texts(items))
    return build_tiny_model(tokenizer, model_cfg), tokenizer


def train_job(method: str, data: str, out: str, model: str | None = None,
              prompt_style: str | None = None, model_cfg: TinyModelConfig = TinyModelConfig(),
              sft_cfg: SFTConfig = SFTConfig(), rl_cfg: RLConfig | None = None,
              server: str | None = None, progress: bool = True, in_process: bool = False,
              lora: LoRAConfig | None = None) -> str:
    """Train and save a policy under ``out``; returns its directory. ``lora`` (adapters,
    gradient checkpointing) applies to the policy's training, warm-up included.

    GRPO/ANCHOR rewards come from the verifier service at ``server``, or from one
    started for this run on a free port (``in_process=True``: the engines in this
    process, no service)."""
    from clients.scoring import open_scorer

    items = read_items(data)
    check_out_dir(out)
    if method == "sft":
        return _train(method, items, out, model, prompt_style, model_cfg, sft_cfg, None,
                      None, progress, lora)
    with open_scorer(server, in_process) as (scorer, where):  # fails fast on a bad --server
        print(f"rewards from the {where}")
        return _train(method, items, out, model, prompt_style, model_cfg, sft_cfg,
                      rl_cfg or RLConfig(method=method), scorer, progress, lora)


def _train(method, items, out, model, prompt_style, model_cfg, sft_cfg, rl_cfg, scorer,
           progress, lora=None) -> str:
    from trainer.model import count_parameters, load_policy
    from trainer.plots import plot_training_curves
    from trainer.rl import check_rl_inputs, run_rl
    from trainer.sft import run_sft

    t0 = time.perf_counter()
    if model is not None:
        policy, tokenizer, style = load_policy(model, prompt_style, progress)
        print(f"policy {model}: {count_parameters(policy) / 1e6:.1f}M parameters"
              + (f", LoRA rank {lora.r}" if lora and lora.enabled else ""))
    else:
        policy, tokenizer = embedded_policy(items, model_cfg)
        style = prompt_style or "compact"
        print(f"embedded model: {count_parameters(policy) / 1e6:.2f}M parameters, "
              f"{len(tokenizer)} tokens")
        if method != "sft":
            check_rl_inputs(policy, tokenizer, items, rl_cfg, style)
            run_sft(policy, tokenizer, items, sft_cfg, os.path.join(out, "sft"), style, progress,
                    lora=lora)
    if method == "sft":
        run_sft(policy, tokenizer, items, sft_cfg, out, style, progress, lora=lora)
    else:
        history = run_rl(policy, tokenizer, items, rl_cfg, scorer, out, style, progress,
                         lora=lora)
        plot_training_curves({method: history}, os.path.join(out, "curves.png"))
    print(f"saved {method} policy to {out} ({time.perf_counter() - t0:.0f} s)")
    return out


#: what ``honest eval`` breaks the audit report down by, besides model, domain and depth
AUDIT_BY = ("meta.task", "meta.size", "meta.perturbation")
OUTPUTS = "outputs.jsonl"


def output_records(items: list[dict], records: list[dict], model: str, prompt: str) -> list[dict]:
    """The lines of ``outputs.jsonl``: what ``honest audit`` reads (the problem, the
    ``response``, ``id``, ``model``, ``meta``), plus the item's label and the token counts."""
    return [{"id": it["id"], "model": model, "prompt_variant": prompt, "domain": it["domain"],
             "premises": it["premises"], "query": it["query"], "label": it["answer"],
             "meta": it.get("meta", {}), "response": rec["completion"],
             "prompt_tokens": rec["prompt_tokens"], "completion_tokens": rec["completion_tokens"]}
            for it, rec in zip(items, records)]


def eval_job(model: str, data: str, out: str, server: str | None = None,
             cfg: EvalConfig = EvalConfig(), name: str | None = None,
             prompt_style: str | None = None, progress: bool = True, in_process: bool = False,
             prompt_cfg: PromptConfig = PromptConfig(), audit: bool = True):
    """Greedy evaluation graded by the verifier (``server``, a service started for the
    run, or ``in_process``). Writes under ``out``: eval.json / eval.md / eval.png, the
    completions as ``outputs.jsonl`` (the input of ``honest audit``) and, with ``audit``,
    the audit report in ``out/audit`` (by depth, task, size and perturbation)."""
    from trainer.evaluate import depth_table, evaluate_policy, markdown_table, write_reports
    from trainer.model import load_policy
    from clients.scoring import open_scorer

    items = read_items(data)
    check_out_dir(out)
    policy, tokenizer, style = load_policy(model, prompt_style, progress)
    import torch
    if torch.cuda.is_available():  # a real model on a GPU machine
        policy.to("cuda")
    name = name or os.path.basename(os.path.normpath(model))
    with open_scorer(server, in_process) as (scorer, where):
        print(f"graded by the {where}")
        report, records = evaluate_policy(policy, tokenizer, items, scorer, cfg, style, name,
                                          progress, prompt_cfg)
    paths = write_reports([report], out, records={name: records})
    outputs = os.path.join(out, OUTPUTS)
    with open(outputs, "w", encoding="utf-8") as f:
        for line in output_records(items, records, name, report.prompt):
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(markdown_table([report]) + "\n\n" + depth_table([report]))
    print(f"{report.n} items, prompt {report.prompt}: {report.items_per_second} items/s, "
          f"{report.tokens_per_second} new tokens/s (mean {report.prompt_tokens_mean} prompt "
          f"and {report.completion_tokens_mean} new tokens per item)")
    print(f"wrote {', '.join(paths.values())}, {outputs}")
    if audit:
        from clients.audit import run_audit
        by = [f for f in AUDIT_BY if any(f.split(".", 1)[1] in (it.get("meta") or {})
                                         for it in items)]
        run_audit(outputs, os.path.join(out, "audit"), by=by, progress=progress)
    return report
