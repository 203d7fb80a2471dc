"""How much of a task can the embedded model learn from the SFT warm-up alone?

    python benchmarks/sft_probe.py --task graphli --rules mp --steps 1200 --batch-size 8

Generates the demo's data (same sizes, seeds and generator knobs as ``honest
demo``, unless flags here say else), trains the embedded model with SFT only (the
demo's warm-up settings by default), evaluates it greedily with the in-process
verifier, and prints one JSON line:

- ``answerable`` / ``unanswerable`` / ``overall`` / ``abstention``: the eval;
- ``nats_own`` / ``nats_shuffled``: mean loss per gold-trajectory token with
  the item's own prompt and with another item's prompt. Their gap measures
  how much the model reads the premises at all; a model that ignores them
  scores the same under both and can only guess.

This is what decides whether GRPO or ANCHOR have anything to work with: RL
sharpens what SFT made likely, and a 50/50 answerable/unanswerable set pays
0.5 for always saying Unknown.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from trainer.config import LR_SCHEDULERS, EvalConfig, SFTConfig, TinyModelConfig  # noqa: E402
from trainer.data import prompt_text  # noqa: E402
from trainer.demo import DEMO_SFT, DemoConfig  # noqa: E402


def prompt_use(model, tokenizer, items: list[dict]) -> tuple[float, float]:
    """Nats per trajectory token given the own prompt, and given the next item's prompt."""
    from trainer.model import completion_logprob
    own = shuffled = 0.0
    tokens = 0
    for i, item in enumerate(items):
        other = items[(i + 1) % len(items)]
        own -= completion_logprob(model, tokenizer, prompt_text(item, "compact"),
                                  item["trajectory"])
        shuffled -= completion_logprob(model, tokenizer, prompt_text(other, "compact"),
                                       item["trajectory"])
        tokens += len(tokenizer(item["trajectory"], add_special_tokens=False)["input_ids"]) + 1
    return own / tokens, shuffled / tokens


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--task", choices=("graphla", "graphli"), default="graphla")
    p.add_argument("--depth", default=DemoConfig().depth)
    p.add_argument("--size", help="dishes (GraphLA) or atoms (GraphLI); default: the demo's")
    p.add_argument("--distractors", help="default: the demo's")
    p.add_argument("--rules", help="GraphLI inference rules, e.g. mp (default: all)")
    p.add_argument("--knob", action="append", default=[], metavar="NAME=VALUE",
                   help="another generator knob, e.g. prices=1-9 (repeatable; see "
                   "GraphLAConfig / GraphLIConfig; any --knob replaces the demo's)")
    p.add_argument("--steps", type=int, default=DEMO_SFT.steps)
    p.add_argument("--batch-size", type=int, default=SFTConfig().batch_size)
    p.add_argument("--lr", type=float, default=DEMO_SFT.learning_rate)
    p.add_argument("--lr-scheduler", default=DEMO_SFT.lr_scheduler, choices=LR_SCHEDULERS)
    p.add_argument("--hidden-size", type=int, default=TinyModelConfig().hidden_size)
    p.add_argument("--layers", type=int, default=TinyModelConfig().layers)
    p.add_argument("--threads", type=int)
    p.add_argument("--out", default="runs/sft_probe")
    args = p.parse_args(argv)

    from trainer.demo import generator_config
    from trainer.evaluate import evaluate_policy
    from trainer.jobs import embedded_policy
    from trainer.model import count_parameters
    from clients.scoring import LocalScorer
    from trainer.runtime import configure_cpu, quiet_transformers
    from trainer.sft import run_sft

    configure_cpu(args.threads)
    quiet_transformers()
    demo = DemoConfig(task=args.task)
    extra = dict(k.split("=", 1) for k in args.knob) if args.knob else demo.generator_knobs
    spec, cfg = generator_config(args.task, args.depth, args.size, args.distractors,
                                 args.rules, extra)
    knobs = {k: v for k, v in (("size", args.size), ("distractors", args.distractors),
                               ("rules", args.rules), *extra.items()) if v}
    train = list(spec.generate(cfg, demo.n_train, demo.seed, progress=False))
    test = list(spec.generate(cfg, demo.n_test, demo.seed + 1_000_003, progress=False))

    t0 = time.perf_counter()
    model, tokenizer = embedded_policy(
        train + test, TinyModelConfig(hidden_size=args.hidden_size, layers=args.layers,
                                      intermediate_size=4 * args.hidden_size))
    sft = SFTConfig(steps=args.steps, batch_size=args.batch_size, learning_rate=args.lr,
                    lr_scheduler=args.lr_scheduler)
    run_sft(model, tokenizer, train, sft, args.out, "compact", progress=False)
    sft_s = time.perf_counter() - t0
    report, _ = evaluate_policy(model, tokenizer, test, LocalScorer(), EvalConfig(), "compact",
                                "sft", progress=False)
    model.eval()
    own, shuffled = prompt_use(model, tokenizer, train[:100])
    row = {"task": args.task, "depth": args.depth, "knobs": knobs,
           "params_m": round(count_parameters(model) / 1e6, 2), "steps": args.steps,
           "batch_size": args.batch_size, "sft_s": round(sft_s),
           **{k: getattr(report, k) for k in ("answerable", "unanswerable", "overall",
                                              "abstention")},
           "nats_own": round(own, 3), "nats_shuffled": round(shuffled, 3)}
    print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
