"""Would goal-directed trajectories help the embedded model? An SFT-only probe on GraphLA.

    python benchmarks/goal_directed_probe.py --steps 1000            # ~5 min, 2 cores
    python benchmarks/goal_directed_probe.py --steps 1000 --forward  # the same, as generated

Generates the demo's GraphLA data (``honest demo``'s knobs, sizes and seeds; one equation
deep), rewrites each gold trajectory with a goal-directed preamble before the generated
forward derivation::

    We need the price of a smoothie.
    "The total price of a smoothie and a milkshake is 13 dollars." ties it to a milkshake.
    The price of a milkshake: "A milkshake costs 7 dollars.".
    <the generated trajectory>

(on unanswerable items the preamble ends at the missing price: "... no fact gives it.",
then "cannot be determined", "Answer: Unknown"), trains the embedded model with the demo's
warm-up settings, evaluates it greedily with the in-process verifier, and prints one JSON
line: the accuracies, the loss per gold token with the item's own facts and with another
item's (``sft_probe.py``), and accuracy per kind of item (perturbation / cut depth).

Each preamble step is one look-up keyed on the line before it, where the forward
trajectory's first line needs the whole derivation planned. A probe, not a generator
option: the rewrite reads depth-1 items only (it checks every label it writes).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

PRICE = re.compile(r"[a-z_]+ = \d+")


def _a(dish: str) -> str:
    from verifier.tasks.common import count_phrase
    from verifier.tasks.graphla_text import DISHES
    return count_phrase(1, *DISHES[dish])


def goal_directed(item: dict) -> dict:
    """``item`` with the goal-directed preamble in front of its trajectory (depth 1)."""
    from verifier.tasks.common import premises_block
    from verifier.tasks.graphla_text import FACTS_HEADER
    q = item["query"]
    pairs = list(zip(item["premises"], premises_block(item["prompt"], FACTS_HEADER)))
    price = {p.split(" = ")[0]: s for p, s in pairs if PRICE.fullmatch(p)}
    equations = [(p, s) for p, s in pairs
                 if q in re.findall(r"[a-z_]+", p) and not PRICE.fullmatch(p)]
    lines = [f"We need the price of {_a(q)}."]
    forward = item["trajectory"].splitlines()
    unknown = [f"So the price of {_a(q)} cannot be determined.", "Answer: Unknown"]
    if q in price:
        lines += [f"\"{price[q]}\" gives it."] + forward
    elif not equations:
        lines += [f"No fact gives the price of {_a(q)}."] + unknown
    else:
        premise, sentence = equations[0]
        others = sorted(set(re.findall(r"[a-z_]+", premise)) - {q})
        lines.append(f"\"{sentence}\" ties it to " + " and ".join(_a(d) for d in others) + ".")
        for d in others:
            said = f"\"{price[d]}\"" if d in price else "no fact gives it"
            lines.append(f"The price of {_a(d)}: {said}.")
        lines += unknown if any(d not in price for d in others) else forward
    if lines[-1] != f"Answer: {item['answer']}":
        raise ValueError(f"{item['id']}: the rewrite reads depth-1 items only")
    return dict(item, trajectory="\n".join(lines))


def main(argv=None) -> int:
    from trainer.demo import DEMO_SFT, DemoConfig
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=DEMO_SFT.steps)
    p.add_argument("--forward", action="store_true", help="keep the generated trajectories")
    p.add_argument("--threads", type=int)
    p.add_argument("--out", default="runs/goal_directed_probe")
    args = p.parse_args(argv)

    from dataclasses import replace

    from clients.scoring import LocalScorer
    from sft_probe import prompt_use
    from trainer.config import EvalConfig, TinyModelConfig
    from trainer.demo import generator_config
    from trainer.evaluate import evaluate_policy
    from trainer.jobs import embedded_policy
    from trainer.runtime import configure_cpu, quiet_transformers
    from trainer.sft import run_sft

    configure_cpu(args.threads)
    quiet_transformers()
    demo = DemoConfig()
    spec, cfg = generator_config("graphla", demo.depth, knobs=demo.generator_knobs)
    rewrite = (lambda it: it) if args.forward else goal_directed
    train = [rewrite(it) for it in spec.generate(cfg, demo.n_train, demo.seed)]
    test = [rewrite(it) for it in spec.generate(cfg, demo.n_test, demo.seed + 1_000_003)]
    t0 = time.perf_counter()
    model, tok = embedded_policy(train + test, TinyModelConfig())
    run_sft(model, tok, train, replace(DEMO_SFT, steps=args.steps), args.out, "compact",
            progress=False)
    report, records = evaluate_policy(model, tok, test, LocalScorer(),
                                      EvalConfig(max_new_tokens=160), "compact", "sft",
                                      progress=False)
    model.eval()
    own, shuffled = prompt_use(model, tok, train[:100])
    by_id = {it["id"]: it for it in test}
    right, seen = collections.Counter(), collections.Counter()
    for rec in records:
        meta = by_id[rec["id"]]["meta"]
        kind = f"{meta['perturbation']}/{meta['cut_depth']}"
        seen[kind] += 1
        right[kind] += rec["verdict"] == "correct"
    print(json.dumps({
        "trajectories": "forward" if args.forward else "goal-directed", "steps": args.steps,
        "sft_s": round(time.perf_counter() - t0),
        **{k: getattr(report, k) for k in ("answerable", "unanswerable", "overall",
                                           "abstention")},
        "nats_own": round(own, 3), "nats_shuffled": round(shuffled, 3),
        "by_kind": {k: f"{right[k]}/{seen[k]}" for k in sorted(seen)}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
