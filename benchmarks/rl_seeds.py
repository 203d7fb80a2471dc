"""How much does the demo's GRPO-vs-ANCHOR result depend on the RL seed?

    .venv/bin/honest demo                                  # writes runs/demo/
    python benchmarks/rl_seeds.py --from runs/demo --seeds 0,1,2 --threads 1

Starts every run from the *same* SFT warm-up (``runs/demo/sft``, the demo's
own, so the comparison is the demo's) on the demo's data
(``runs/demo/{train,test}.jsonl``) with the demo's RL settings (its
``summary.json``), trains GRPO, ANCHOR and the "SFT continued" control (supervised
steps on as many gold trajectories as ANCHOR injects, ``trainer.demo.control_config``)
with each RL seed (sampling and data order change; the warm-up does not), evaluates
greedily on the test set with the in-process verifier (same grading as the
service), and prints one JSON line per run, then a markdown table with the
mean and the range over seeds.

A single demo run is one draw: compare methods on this table, not on one run.
``--steps``, ``--group-size``, ``--prompts-per-step``, ``--beta`` and ``--temperature``
change every run; ``--inject``, ``--n-inject`` and ``--lr`` change ANCHOR and the control only
(``--grpo-lr`` is GRPO's), to try variants against the same GRPO runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import replace

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from trainer.config import EvalConfig, RLConfig, positive_int  # noqa: E402
from verifier.errors import HonestError, InvalidInput  # noqa: E402

METRICS = ("answerable", "unanswerable", "overall", "abstention")


def summary_table(rows: list[dict]) -> str:
    """Mean [min–max] of each metric over seeds, one line per method."""
    out = ["| method | seeds | " + " | ".join(METRICS) + " |",
           "|---|---:|" + "---:|" * len(METRICS)]
    for method in dict.fromkeys(r["method"] for r in rows):
        mine = [r for r in rows if r["method"] == method]
        cells = []
        for m in METRICS:
            vals = [r[m] for r in mine]
            cells.append(f"{statistics.fmean(vals):.3f} [{min(vals):.2f}–{max(vals):.2f}]")
        out.append(f"| {method} | {len(mine)} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def int_list(text: str) -> list[int]:
    try:
        return [int(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}")


METHODS = ("grpo", "anchor", "sft-continued")


def method_list(text: str) -> list[str]:
    methods = text.split(",")
    if not set(methods) <= set(METHODS):
        raise argparse.ArgumentTypeError(f"methods are {', '.join(METHODS)}, got {text!r}")
    return methods


def demo_rl_config(demo_dir: str) -> RLConfig:
    """The RL settings the demo in ``demo_dir`` ran with (its ``summary.json``); the
    defaults for a directory without one."""
    path = os.path.join(demo_dir, "summary.json")
    if not os.path.exists(path):
        return RLConfig()
    with open(path) as f:
        rl = json.load(f).get("config", {}).get("rl", {})
    known = {k: v for k, v in rl.items() if k in RLConfig.__dataclass_fields__}
    return RLConfig(**known)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--from", dest="demo_dir", default="runs/demo",
                   help="a finished `honest demo --out` directory (default %(default)s)")
    p.add_argument("--seeds", type=int_list, default="0,1,2", help="comma-separated RL seeds")
    p.add_argument("--steps", type=positive_int, help="RL steps (default: the demo's)")
    p.add_argument("--methods", type=method_list, default="grpo,anchor,sft-continued",
                   help="comma-separated, of grpo, anchor, sft-continued (the control: SFT "
                   "on as many gold trajectories as ANCHOR injects); default %(default)s")
    p.add_argument("--inject", choices=("always", "on_failure"))
    p.add_argument("--n-inject", type=positive_int)
    p.add_argument("--group-size", type=positive_int)
    p.add_argument("--prompts-per-step", type=positive_int)
    p.add_argument("--beta", type=float, help="KL coefficient")
    p.add_argument("--temperature", type=float, help="sampling temperature of the RL runs")
    p.add_argument("--lr", type=float, help="ANCHOR and control learning rate (GRPO keeps "
                   "the demo's)")
    p.add_argument("--grpo-lr", type=float, help="GRPO learning rate")
    p.add_argument("--threads", type=positive_int)
    p.add_argument("--out", default="runs/rl_seeds")
    args = p.parse_args(argv)
    try:
        rows = sweep(args)
    except HonestError as e:
        print(f"rl_seeds: error: {e.message}", file=sys.stderr)
        return 2
    print("\n" + summary_table(rows))
    return 0


def sweep(args) -> list[dict]:
    """One row per (seed, method), printed as it lands."""
    from trainer.data import read_items
    from trainer.evaluate import evaluate_policy
    from trainer.model import load_policy
    from clients.scoring import LocalScorer
    from trainer.demo import control_config
    from trainer.rl import run_rl
    from trainer.runtime import configure_cpu, quiet_transformers
    from trainer.sft import run_sft

    sft_dir = os.path.join(args.demo_dir, "sft")
    if not os.path.isdir(sft_dir):
        raise InvalidInput(f"no SFT warm-up at {sft_dir}; run `honest demo` first")
    configure_cpu(args.threads)
    quiet_transformers()
    train = read_items(os.path.join(args.demo_dir, "train.jsonl"))
    test = read_items(os.path.join(args.demo_dir, "test.jsonl"))
    scorer = LocalScorer()
    rows = []
    base = demo_rl_config(args.demo_dir)
    shared = {k: v for k, v in (("steps", args.steps), ("group_size", args.group_size),
                                ("prompts_per_step", args.prompts_per_step),
                                ("beta", args.beta), ("temperature", args.temperature))
              if v is not None}
    for seed in args.seeds:
        for method in args.methods:
            cfg = replace(base, **shared, seed=seed,
                          method="grpo" if method == "grpo" else "anchor")
            if method == "grpo" and args.grpo_lr is not None:
                cfg = replace(cfg, learning_rate=args.grpo_lr)
            if method != "grpo":
                cfg = replace(cfg, **{k: v for k, v in (
                    ("inject", args.inject), ("n_inject", args.n_inject),
                    ("learning_rate", args.lr)) if v is not None})
            policy, tok, style = load_policy(sft_dir)
            t0 = time.perf_counter()
            run_dir = os.path.join(args.out, f"{method}-{seed}")
            if method == "sft-continued":
                run_sft(policy, tok, train, control_config(cfg), run_dir, style,
                        progress=False, label=method)
            else:
                run_rl(policy, tok, train, cfg, scorer, run_dir, style, progress=False)
            rl_s = time.perf_counter() - t0
            rep, _ = evaluate_policy(policy, tok, test, scorer, EvalConfig(), style, method,
                                     progress=False)
            row = {"method": method, "seed": seed, "rl_s": round(rl_s),
                   **{m: getattr(rep, m) or 0.0 for m in METRICS},
                   "steps": cfg.steps, "lr": cfg.learning_rate, "group_size": cfg.group_size}
            if method != "grpo":
                row.update(inject=cfg.inject, n_inject=cfg.n_inject)
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


if __name__ == "__main__":
    sys.exit(main())
