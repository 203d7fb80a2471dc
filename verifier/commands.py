"""The verifier's subcommands of ``honest``: ``generate`` (datasets) and ``serve`` (the service).

    honest generate graphla -n 1000 --seed 1 -o la.jsonl
    honest generate graphli -n 1000 --seed 1 --depth 4-12 -o li.jsonl --jobs 2
    honest serve --port 50051

Registered by the dispatcher in ``honest_cli``; ``check`` and ``solve`` come from
``clients/commands.py`` (they grade in-process or through a service).
"""

from __future__ import annotations

import json
import sys
from typing import Iterable

from verifier import tasks
from verifier.errors import InvalidInput


def _add_generate(sub) -> None:
    p = sub.add_parser("generate", help="write a GraphLA or GraphLI dataset as JSONL",
                       description="Generate a dataset; every label is proved by the engines.")
    p.add_argument("task", choices=tasks.names())
    p.add_argument("-n", type=int, required=True, help="number of items")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-o", "--output", required=True, help="output .jsonl file ('-' = stdout)")
    p.add_argument("--depth", help="reasoning depth k, e.g. 4 or 2-8")
    p.add_argument("--dishes", help="GraphLA: dishes per item, e.g. 10 or 8-16")
    p.add_argument("--atoms", help="GraphLI: atoms per item, e.g. 12 or 8-20")
    p.add_argument("--distractors", help="distractor premises per item, e.g. 3 or 0-6")
    p.add_argument("--cut-depth", help="where unanswerable items are cut, counted from the "
                   "query (0 = the query's own premise), e.g. 1 or 0-3; default: anywhere")
    p.add_argument("--unanswerable-share", type=float, default=0.5)
    p.add_argument("--perturbations", help="GraphLA: comma list of remove,uninformative")
    p.add_argument("--interventions", help="GraphLI: comma list of premise_removal,"
                   "false_premise,false_conclusion")
    p.add_argument("--rules", help="GraphLI: comma list of the inference rules edges may use, "
                   "from mp,mt,ds,conj,disj,hs (default: all)")
    p.add_argument("--leaf-prices", help="GraphLA: prices stated directly, e.g. 1-9 "
                   "(default 1-20)")
    p.add_argument("--prices", help="GraphLA: prices of dishes defined by an equation "
                   "(default 1-30)")
    p.add_argument("--coefficients", help="GraphLA: dish coefficients in equations, within "
                   "1-3 (default 1-3)")
    p.add_argument("--extra-parents", help="GraphLA: parents of a chain dish besides the "
                   "previous one, within 0-2 (default 0-2)")
    p.add_argument("--dish-names", choices=("all", "plain"), help="GraphLA: 'all' (an "
                   "adjective and a dish, 480 names; default) or 'plain' (the 40 dishes)")
    # the styles spelled out (graphla.TRAJECTORY_STYLES): importing the generator here
    # would add ~0.3 s to every `honest` command's start-up
    p.add_argument("--trajectory", choices=("forward", "goal"), help="GraphLA: gold trajectory "
                   "style, 'forward' (solve the facts bottom-up; default) or 'goal' (search "
                   "back from the query one look-up per line, then the arithmetic)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(handler=cmd_generate)


#: generator knobs on the command line, by their config field names
_KNOBS = ("depth", "dishes", "atoms", "distractors", "cut_depth", "unanswerable_share",
          "perturbations", "interventions", "rules", "leaf_prices", "prices", "coefficients",
          "extra_parents", "dish_names", "trajectory")


def generator_config(args):
    """``(task spec, generator config)`` from ``honest generate``'s flags."""
    return tasks.get(args.task), tasks.config(args.task, **{k: getattr(args, k) for k in _KNOBS})


def _gen_one(job):
    task, cfg, seed, index = job
    return tasks.get(task).generate_item(cfg, seed, index)


def cmd_generate(args) -> int:
    if args.n < 0:
        raise InvalidInput("-n must be zero or more")
    if args.jobs < 1:
        raise InvalidInput("--jobs must be at least 1")
    spec, cfg = generator_config(args)
    progress = not args.no_progress
    if args.jobs > 1:
        import multiprocessing as mp
        from tqdm import tqdm
        jobs = ((spec.name, cfg, args.seed, i) for i in range(args.n))
        pool = mp.get_context("spawn").Pool(args.jobs)
        items: Iterable[dict] = pool.imap(_gen_one, jobs, chunksize=16)
        if progress:
            items = tqdm(items, total=args.n, desc=spec.title, unit="item", mininterval=0.5)
    else:
        pool = None
        items = spec.generate(cfg, args.n, args.seed, progress=progress)
    out = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")
    try:
        for item in items:
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()
        if pool is not None:
            pool.close()
    return 0


def add_commands(sub) -> None:
    _add_generate(sub)
    from verifier.service import cli as service_cli
    service_cli.add_parser(sub)
