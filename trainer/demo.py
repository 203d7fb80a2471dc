"""``honest demo``: GRPO vs ANCHOR on the embedded model, offline, on a 2-core CPU.

    honest demo            # ~6 min on a 2-core machine; runs/demo/
    honest demo --quick    # a < 1-minute smoke version of the same job

1. generate a GraphLA train set and a test set (50 % unanswerable) with the demo's
   generator knobs (:data:`DEMO_KNOBS`: one equation deep, two dishes, prices 1-5,
   unit coefficients, plain dish names, goal-directed gold trajectories; ``--knob``
   replaces them);
2. build the word-level tokenizer and a ~0.6M-parameter Llama, train it from
   scratch with an SFT warm-up on the gold trajectories (:data:`DEMO_SFT`: it stops
   early on purpose, where the model reads the facts but answers fewer than half of
   the answerable items right; the RL settings are :data:`DEMO_RL`);
3. from that same warm-up, train GRPO (no injection) and ANCHOR (two gold
   trajectories per group of 5), KL coefficient 0.001, rewarded by the verifier,
   and the control "SFT continued": supervised steps on exactly as many gold
   trajectories as ANCHOR injects (:func:`control_config`; ``--no-control`` skips it);
4. evaluate all four greedily on the test set and write ``report.md``
   (the table), ``summary.json``, ``eval.png`` (bars) and ``curves.png`` (both RL
   runs' reward, answerable / unanswerable accuracy, abstention rate and share of
   groups with zero reward variance per step).

Scoring: the demo starts the verifier service on a free port (one solver
worker, so the trainer keeps the cores) and every rollout group is one
``VerifyGroup`` call. ``--server HOST:PORT`` uses a running service instead;
``--in-process`` skips gRPC and grades with the engines directly. On a machine
whose cores other jobs share, ``--threads 1`` avoids OpenMP threads waiting on
each other (measured: a 300-step warm-up took > 7 min with 2 threads next to
another busy process, 75 s with 1).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field, replace

from trainer.config import EvalConfig, RLConfig, SFTConfig, TinyModelConfig, positive_int
from verifier import tasks
from verifier.errors import HonestError, InvalidInput



@dataclass(frozen=True)
class DemoConfig:
    task: str = "graphla"
    n_train: int = 20000
    n_test: int = 200
    depth: str = "1"
    size: str | None = None  # dishes (GraphLA) / atoms (GraphLI); None: generator_config's
    distractors: str | None = None
    rules: str | None = None  # GraphLI inference rules, comma-separated; None: all
    #: other generator knobs (GraphLAConfig / GraphLIConfig field → value as the CLI gives
    #: it); None: the task's entry in DEMO_KNOBS
    knobs: dict | None = None
    #: also train the "SFT continued" control from the warm-up (see control_config)
    control: bool = True
    seed: int = 0
    model: TinyModelConfig = field(default_factory=TinyModelConfig)
    sft: SFTConfig = field(default_factory=lambda: DEMO_SFT)
    rl: RLConfig = field(default_factory=lambda: DEMO_RL)
    eval: EvalConfig = field(default_factory=lambda: DEMO_EVAL)

    def __post_init__(self):
        if self.n_train < 1 or self.n_test < 1:
            raise InvalidInput(f"need at least one train and one test item, got n_train="
                               f"{self.n_train}, n_test={self.n_test}")
        generator_config(self.task, self.depth, self.size, self.distractors, self.rules,
                         self.generator_knobs)

    @property
    def generator_knobs(self) -> dict:
        return dict(DEMO_KNOBS.get(self.task, {}) if self.knobs is None else self.knobs)


#: the demo's budget split: a short warm-up (200 steps), stopped on purpose where the
#: model reads the facts but answers fewer than half of the answerable items right, then
#: 240 RL steps from it. RL's learning rate: 3e-4 kept ANCHOR above its warm-up where 1e-3
#: pulled it below. RL samples at temperature 0.7: the tiny model's samples at 1.0 are much
#: worse than its greedy answers. Two golds per group of five (``n_inject=2``): with one,
#: seed 2 drifted towards Unknown (ANCHOR 0.64 vs 0.73 with two; README, "honest demo").
#: Completions are capped a little above the longest gold (90 tokens on the demo's items).
DEMO_SFT = SFTConfig(steps=200, learning_rate=2e-3, lr_scheduler="constant")
DEMO_RL = RLConfig(steps=240, learning_rate=3e-4, temperature=0.7, n_inject=2,
                   max_completion_length=96)
DEMO_EVAL = EvalConfig(max_new_tokens=128)

#: the demo's problems, per task (size and distractors may be given here too): GraphLA
#: one equation deep over two dishes, prices 1-5 (sums up to 10: arithmetic a 0.6M-parameter
#: model learns within the budget; with 1-9 its SFT stalled near 0.65 overall), unit
#: coefficients, the 40 plain dish names, goal-directed gold trajectories
#: (``trajectory="goal"``: look-ups first, then the arithmetic written out) — still
#: arithmetic over what the facts state, never a premise to copy; an ``uninformative``
#: item keeps the other dish's price fact as a decoy. The README ("honest demo") says
#: what the embedded model learns on them and what it does not.
DEMO_KNOBS: dict[str, dict[str, str]] = {
    "graphla": {"size": "2", "distractors": "0", "leaf_prices": "1-5", "prices": "1-5",
                "coefficients": "1", "extra_parents": "0", "dish_names": "plain",
                "trajectory": "goal"},
}

#: a smoke-sized demo (tests, first look): same steps, tiny budgets
QUICK = dict(n_train=100, n_test=20, sft=SFTConfig(steps=20, batch_size=16),
             rl=RLConfig(steps=2, prompts_per_step=2, max_completion_length=64),
             eval=EvalConfig(max_new_tokens=64))


def generator_config(task: str, depth: str, size: str | None = None,
                     distractors: str | None = None, rules: str | None = None,
                     knobs: dict | None = None):
    """``(task spec, its generator config)``: the task's small-problem demo defaults
    (short prompts and trajectories for a CPU run) unless ``size`` (dishes for GraphLA,
    atoms for GraphLI), ``distractors``, ``rules`` (GraphLI, comma-separated) or other
    generator ``knobs`` (e.g. ``prices="1-9"``) say else."""
    spec = tasks.get(task)
    knobs = dict(knobs or {})  # size / distractors may come as knobs too; the arguments win
    size = size or knobs.pop("size", None)
    distractors = distractors or knobs.pop("distractors", None)
    knobs.pop("size", None)  # the argument won: drop the knob's value
    knobs.pop("distractors", None)
    return spec, tasks.config(task, **spec.demo_knobs(depth, size, distractors, rules=rules,
                                                      **knobs))


def make_data(cfg: DemoConfig, out: str, progress: bool) -> tuple[list[dict], list[dict]]:
    from trainer.data import write_items
    spec, gen_cfg = generator_config(cfg.task, cfg.depth, cfg.size, cfg.distractors,
                                     cfg.rules, cfg.generator_knobs)
    train = list(spec.generate(gen_cfg, cfg.n_train, cfg.seed, progress=progress))
    test = list(spec.generate(gen_cfg, cfg.n_test, cfg.seed + 1_000_003, progress=progress))
    write_items(train, os.path.join(out, "train.jsonl"))
    write_items(test, os.path.join(out, "test.jsonl"))
    return train, test


CONTROL = "SFT continued"


def control_config(rl: RLConfig) -> SFTConfig:
    """The "SFT continued" control: supervised steps on exactly as many gold trajectories
    as ANCHOR injects (``n_inject`` per prompt, ``prompts_per_step`` prompts, ``steps``
    steps, with ``always`` injection), with RL's optimizer settings (learning rate,
    constant schedule, no warm-up), so the only difference from ANCHOR is the policy's
    own samples and their rewards."""
    return SFTConfig(steps=rl.steps, batch_size=rl.prompts_per_step * rl.n_inject,
                     learning_rate=rl.learning_rate, warmup_steps=0, lr_scheduler="constant",
                     seed=rl.seed)


def collapse_sentence(name: str, rep) -> str:
    """Plain words for the table's headline question."""
    if rep.abstention >= 0.95 and (rep.answerable or 0.0) <= 0.02:
        return (f"{name} collapsed to always-Unknown: abstention {rep.abstention:.2f}, "
                f"answerable accuracy {rep.answerable or 0.0:.2f}.")
    return (f"{name} did not collapse: abstention {rep.abstention:.2f}, answerable accuracy "
            f"{rep.answerable or 0.0:.2f}, unanswerable accuracy {rep.unanswerable or 0.0:.2f}.")


def run_demo(cfg: DemoConfig, out: str, scorer, where: str, progress: bool = True) -> dict:
    from trainer.evaluate import depth_table, evaluate_policy, markdown_table, write_reports
    from trainer.jobs import embedded_policy
    from trainer.model import count_parameters, load_policy
    from trainer.plots import plot_training_curves
    from trainer.rl import run_rl
    from trainer.sft import run_sft

    os.makedirs(out, exist_ok=True)
    t_start = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str, t0: float) -> None:
        timings[name] = round(time.perf_counter() - t0, 1)
        print(f"[{time.perf_counter() - t_start:6.0f} s] {name} done in {timings[name]:.0f} s",
              flush=True)

    t = time.perf_counter()
    print(f"scoring with the {where}")
    train, test = make_data(cfg, out, progress)
    model, tokenizer = embedded_policy(train + test, cfg.model)
    print(f"embedded model: {count_parameters(model) / 1e6:.2f}M parameters, "
          f"{len(tokenizer)}-token word-level vocabulary; {len(train)} train / {len(test)} test "
          f"{cfg.task} items")
    lap("data + tokenizer", t)

    t = time.perf_counter()
    sft_dir = os.path.join(out, "sft")
    run_sft(model, tokenizer, train, cfg.sft, sft_dir, "compact", progress)
    lap("sft warm-up", t)

    reports, records, histories = [], {}, {}

    def evaluate(name: str, policy, tok) -> None:
        t0 = time.perf_counter()
        rep, recs = evaluate_policy(policy, tok, test, scorer, cfg.eval, "compact", name, progress)
        reports.append(rep)
        records[name] = recs
        lap(f"eval {name}", t0)

    evaluate("sft warm-up", model, tokenizer)
    for method in ("grpo", "anchor"):
        t = time.perf_counter()
        policy, tok, style = load_policy(sft_dir)  # every run starts from the same weights
        histories[method.upper()] = run_rl(policy, tok, train, replace(cfg.rl, method=method),
                                           scorer, os.path.join(out, method), style, progress)
        lap(method, t)
        evaluate(method.upper(), policy, tok)
    if cfg.control:
        t = time.perf_counter()
        policy, tok, style = load_policy(sft_dir)
        run_sft(policy, tok, train, control_config(cfg.rl), os.path.join(out, "sft-continued"),
                style, progress, label=CONTROL)
        lap(CONTROL, t)
        evaluate(CONTROL, policy, tok)

    table = markdown_table(reports)
    verdicts = [collapse_sentence(r.name, r) for r in reports[1:]]
    total = time.perf_counter() - t_start
    paths = write_reports(reports, out, records=records)
    plot_training_curves(histories, os.path.join(out, "curves.png"),
                         title=f"GRPO vs ANCHOR on the embedded model ({cfg.task})")
    summary = {"config": asdict(cfg), "generator_knobs": cfg.generator_knobs,
               "timings_s": timings, "total_s": round(total, 1),
               "scoring": where, "reports": [r.to_dict() for r in reports], "verdicts": verdicts}
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write(f"{table}\n\n" + "\n".join(f"- {v}" for v in verdicts)
                + f"\n\nPer depth:\n\n{depth_table(reports)}"
                + f"\n\nTotal time {total:.0f} s on {os.cpu_count()} CPU cores.\n")
    print("\n" + table + "\n")
    for v in verdicts:
        print(v)
    print(f"\nwrote {out}/report.md, {paths['png']}, {out}/curves.png "
          f"(total {total:.0f} s)")
    return summary


def add_demo_arguments(p: argparse.ArgumentParser) -> None:
    d = DemoConfig()
    p.add_argument("--out", default="runs/demo", help="where data, models and reports go")
    p.add_argument("--task", choices=tasks.names(), default=d.task)
    p.add_argument("--n-train", type=int, default=d.n_train)
    p.add_argument("--n-test", type=int, default=d.n_test)
    p.add_argument("--depth", default=d.depth, help="reasoning depth range (default %(default)s)")
    p.add_argument("--size", help="dishes (GraphLA, default 2) or atoms (GraphLI, default "
                   "3-6) per item")
    p.add_argument("--distractors", help="distractor range (default 0 GraphLA, 0-2 GraphLI)")
    p.add_argument("--rules", help="GraphLI inference rules, comma-separated, e.g. mp "
                   "(default: all of mp,mt,ds,conj,disj,hs)")
    p.add_argument("--knob", action="append", metavar="NAME=VALUE",
                   help="another generator knob, repeatable, e.g. --knob prices=1-30 (fields of "
                   "GraphLAConfig / GraphLIConfig; any --knob replaces all of the demo's "
                   "GraphLA defaults, see DEMO_KNOBS)")
    p.add_argument("--sft-steps", type=int, default=d.sft.steps)
    p.add_argument("--rl-steps", type=int, default=d.rl.steps)
    p.add_argument("--no-control", action="store_true",
                   help="skip the 'SFT continued' control run")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--server", help="HOST:PORT of a running verifier service (default: start "
                   "one on a free port)")
    p.add_argument("--in-process", action="store_true",
                   help="grade with the in-process engines, no service")
    p.add_argument("--threads", type=positive_int, help="torch CPU threads (default: all cores)")
    p.add_argument("--quick", action="store_true", help="tiny budgets: a < 1-minute smoke run")
    p.add_argument("--no-progress", action="store_true")


def config_from_args(args) -> DemoConfig:
    knobs = None
    if args.knob:
        bad = [k for k in args.knob if "=" not in k]
        if bad:
            raise InvalidInput(f"--knob takes NAME=VALUE, got {bad[0]!r}")
        knobs = dict(k.split("=", 1) for k in args.knob)
    data = dict(task=args.task, depth=args.depth, size=args.size, distractors=args.distractors,
                rules=args.rules, knobs=knobs, control=not args.no_control, seed=args.seed)
    if args.quick:
        return DemoConfig(**data, **QUICK)
    d = DemoConfig()
    return DemoConfig(**data, n_train=args.n_train, n_test=args.n_test,
                      sft=replace(d.sft, steps=args.sft_steps, seed=args.seed),
                      rl=replace(d.rl, steps=args.rl_steps, seed=args.seed))


def handle(args) -> int:
    from trainer.runtime import configure_cpu, quiet_transformers
    configure_cpu(args.threads)
    quiet_transformers()
    cfg = config_from_args(args)
    from clients.scoring import open_scorer
    with open_scorer(args.server, args.in_process) as (scorer, where):
        run_demo(cfg, args.out, scorer, where, progress=not args.no_progress)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m trainer.demo", description=__doc__.split("\n")[0])
    add_demo_arguments(p)
    args = p.parse_args(argv)
    try:
        return handle(args)
    except HonestError as e:
        print(f"demo: error: {e.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
