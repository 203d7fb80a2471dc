"""``honest demo``: the project's main job on embedded defaults, offline.

Generates a small GraphLA and GraphLI set, then grades three reference
policies on every item with the exact engines and prints a verdict table:

- ``gold``: the items' gold trajectories (must score 100%);
- ``always-unknown``: abstains everywhere (the collapse GRPO falls into);
- ``always-answer``: never abstains: the gold value where there is one,
  a confident guess elsewhere (the dishonest policy).

When the trainer is installed, ``honest demo`` trains and evaluates models
instead (see ``trainer/demo.py``).
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter

from verifier.grading import VERDICTS
from verifier.problem import Problem, check


def add_parser(sub) -> None:
    p = sub.add_parser("demo", help="the main job: generate data and grade reference policies")
    p.add_argument("-n", type=int, default=200, help="items per task (default 200)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/demo", help="where the data and report go")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(handler=run)


def _policies(item: dict) -> dict[str, str]:
    guess = "True" if item["domain"] == "logic" else "7"
    answer = item["answer"] if item["answer"] != "Unknown" else guess
    return {"gold": item["trajectory"], "always-unknown": "I am not sure.\nAnswer: Unknown",
            "always-answer": f"Answer: {answer}"}


def run(args) -> int:
    from verifier.tasks import graphla, graphli
    os.makedirs(args.out, exist_ok=True)
    t0 = time.perf_counter()
    table: dict[tuple[str, str], Counter] = {}
    for name, module, cfg in (("GraphLA", graphla, graphla.GraphLAConfig()),
                              ("GraphLI", graphli, graphli.GraphLIConfig())):
        path = os.path.join(args.out, f"{name.lower()}.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            items = list(module.generate(cfg, args.n, args.seed, progress=not args.no_progress))
            for it in items:
                f.write(json.dumps(it) + "\n")
        for it in items:
            problem = Problem.make(it["domain"], it["premises"], it["query"])
            for policy, response in _policies(it).items():
                r = check(problem, response)
                table.setdefault((name, policy), Counter())[r.grade.verdict] += 1
        print(f"wrote {len(items)} {name} items to {path}")
    head = ["task", "policy", "reward"] + list(VERDICTS)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (task, policy), c in table.items():
        n = sum(c.values())
        lines.append(f"| {task} | {policy} | {c['correct'] / n:.3f} | "
                     + " | ".join(str(c[v]) for v in VERDICTS) + " |")
    report = "\n".join(lines)
    print(report)
    with open(os.path.join(args.out, "report.md"), "w") as f:
        f.write(report + "\n")
    print(f"done in {time.perf_counter() - t0:.1f} s")
    return 0
