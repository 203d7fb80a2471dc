"""Where does one GRPO/ANCHOR step go on CPU? Generation, log-probs, reward, backward.

    python benchmarks/profile_step.py --from runs/demo --steps 6            # the demo's warm-up
    python benchmarks/profile_step.py --from runs/demo --max-completion-length 96

Starts from a finished demo's warm-up (``DIR/sft``, ``DIR/train.jsonl``; without
``--from`` it makes a small one: demo data, 60 SFT steps), runs ``--steps`` RL
steps with the in-process verifier, and times, inside the same run, every call of:

- ``generation``: TRL's ``_generate`` (sampling the group; ANCHOR's injection included);
- ``log-probs (no grad)``: teacher-forced forward passes without gradient (the KL
  reference, and "old" log-probs when TRL needs them);
- ``reward``: the verifier reward function (grading every completion);
- ``loss forward``: the forward pass with gradient inside the loss;
- ``backward``: ``accelerator.backward``;
- ``other``: the rest of the step (padding, advantages, optimizer, logging).

It prints one table: seconds per step and share of the whole step, per part. The
first step is dropped (warm-up of caches and allocator) when there are more than two.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from dataclasses import replace

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from trainer.config import RLConfig, positive_int  # noqa: E402

PARTS = ("generation", "log-probs (no grad)", "reward", "loss forward", "backward")


class StepTimer:
    """Accumulates wall time per part; one dict per training step."""

    def __init__(self):
        self.steps: list[dict[str, float]] = []
        self.current: dict[str, float] = defaultdict(float)
        self.t_step = 0.0

    def wrap(self, fn, part):
        def timed(*args, **kwargs):
            import torch
            name = part(torch) if callable(part) else part
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.current[name] += time.perf_counter() - t0
        return timed

    def begin(self):
        self.current = defaultdict(float)
        self.t_step = time.perf_counter()

    def end(self):
        self.current["step"] = time.perf_counter() - self.t_step
        self.steps.append(dict(self.current))


def instrument(trainer, timer: StepTimer) -> None:
    """Wrap the trainer's hooks in place (this instance only)."""
    from transformers import TrainerCallback

    trainer._generate = timer.wrap(trainer._generate, "generation")
    trainer._get_per_token_logps_and_entropies = timer.wrap(
        trainer._get_per_token_logps_and_entropies,
        lambda torch: "loss forward" if torch.is_grad_enabled() else "log-probs (no grad)")
    reward = trainer.reward_funcs[0]  # async: TRL awaits it

    async def timed_reward(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return await reward(*args, **kwargs)
        finally:
            timer.current["reward"] += time.perf_counter() - t0

    timed_reward.__name__ = getattr(reward, "__name__", "verifier")
    trainer.reward_funcs[0] = timed_reward
    trainer.accelerator.backward = timer.wrap(trainer.accelerator.backward, "backward")

    class Clock(TrainerCallback):
        def on_step_begin(self, args, state, control, **kw):
            timer.begin()

        def on_step_end(self, args, state, control, **kw):
            timer.end()

    trainer.add_callback(Clock())


def table(steps: list[dict[str, float]]) -> str:
    whole = sum(s["step"] for s in steps) / len(steps)
    lines = ["| part | s / step | share of step |", "|---|---:|---:|"]
    accounted = 0.0
    for p in PARTS:
        v = sum(s.get(p, 0.0) for s in steps) / len(steps)
        accounted += v
        lines.append(f"| {p} | {v:.3f} | {v / whole:.0%} |")
    lines.append(f"| other | {whole - accounted:.3f} | {(whole - accounted) / whole:.0%} |")
    lines.append(f"| **whole step** | {whole:.3f} | 100% |")
    return "\n".join(lines)


def main(argv=None) -> int:
    d = RLConfig()
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--from", dest="demo_dir", help="a finished `honest demo --out` directory")
    p.add_argument("--method", choices=("grpo", "anchor"), default="anchor")
    p.add_argument("--steps", type=positive_int, default=6)
    p.add_argument("--group-size", type=positive_int, default=d.group_size)
    p.add_argument("--prompts-per-step", type=positive_int, default=d.prompts_per_step)
    p.add_argument("--max-completion-length", type=positive_int, default=d.max_completion_length)
    p.add_argument("--beta", type=float, default=d.beta)
    p.add_argument("--threads", type=positive_int)
    p.add_argument("--out", default="runs/profile_step")
    args = p.parse_args(argv)

    from trainer.runtime import configure_cpu, quiet_transformers
    configure_cpu(args.threads)
    quiet_transformers()
    from clients.scoring import LocalScorer
    from trainer.data import read_items
    from trainer.model import load_policy
    from trainer.rl import make_rl_trainer

    demo_dir = args.demo_dir or make_warmup(args.out)
    train = read_items(os.path.join(demo_dir, "train.jsonl"))
    policy, tok, style = load_policy(os.path.join(demo_dir, "sft"))
    cfg = replace(d, method=args.method, steps=args.steps, group_size=args.group_size,
                  prompts_per_step=args.prompts_per_step, beta=args.beta,
                  max_completion_length=args.max_completion_length)
    trainer = make_rl_trainer(policy, tok, train, cfg, LocalScorer(),
                              os.path.join(args.out, "rl"), style, progress=False)
    timer = StepTimer()
    instrument(trainer, timer)
    trainer.train()
    steps = timer.steps[1:] if len(timer.steps) > 2 else timer.steps
    print(json.dumps({"method": cfg.method, "group_size": cfg.group_size,
                      "prompts_per_step": cfg.prompts_per_step, "beta": cfg.beta,
                      "max_completion_length": cfg.max_completion_length,
                      "steps_timed": len(steps), "threads": args.threads}))
    print(table(steps))
    return 0


def make_warmup(out: str) -> str:
    """Demo data and a 60-step SFT warm-up under ``out`` (when no ``--from``)."""
    from trainer.config import SFTConfig
    from trainer.demo import DemoConfig, make_data
    from trainer.jobs import embedded_policy
    from trainer.sft import run_sft

    cfg = DemoConfig()
    os.makedirs(out, exist_ok=True)
    train, test = make_data(cfg, out, progress=False)
    model, tok = embedded_policy(train + test, cfg.model)
    run_sft(model, tok, train, SFTConfig(steps=60), os.path.join(out, "sft"), "compact",
            progress=False)
    return out


if __name__ == "__main__":
    sys.exit(main())
