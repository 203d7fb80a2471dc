"""The ``honest`` command line.

    honest generate graphla -n 1000 --seed 1 -o la.jsonl     # datasets
    honest generate graphli -n 1000 --seed 1 --depth 4-12 -o li.jsonl
    honest check --domain linear --premise "a = 2" --premise "b = a + 1" --query b \\
                 --response "... Answer: 3"                    # one item
    honest check --problem "$(jq -r .prompt < item.json)" --response "Answer: Unknown"
    honest check --jsonl items.jsonl                             # a batch, one JSON line each
    honest solve --domain logic --premise "a -> b" --premise a --query b

Exit codes: 0 success; 2 bad input (the message says what to fix); 1 an
internal error. In batch mode a bad line gives an error object for that line
and the rest go on.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Iterable, Iterator

from verifier.errors import HonestError, InvalidInput
from verifier.grading import RewardMap
from verifier.problem import DOMAINS, Problem, check, problem_from_text, solve


def _add_generate(sub) -> None:
    p = sub.add_parser("generate", help="write a GraphLA or GraphLI dataset as JSONL",
                       description="Generate a dataset; every label is proved by the engines.")
    p.add_argument("task", choices=["graphla", "graphli"])
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
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--no-progress", action="store_true")


def _add_problem_args(p) -> None:
    p.add_argument("--domain", choices=DOMAINS)
    p.add_argument("--premise", action="append", default=[], help="one premise (repeat)")
    p.add_argument("--query")
    p.add_argument("--problem", help="the natural-language prompt of a generated item")
    p.add_argument("--jsonl", help="batch: a JSONL file ('-' = stdin), one item per line with "
                   "domain/premises/query (or problem) and response")
    p.add_argument("--server", help="HOST:PORT of a verifier service to use instead of the "
                   "in-process engines")
    p.add_argument("--token-file", help="with --server: file holding the service's bearer token")
    p.add_argument("--no-progress", action="store_true")


def _make_config(args):
    from verifier.tasks import graphla, graphli
    kw: dict[str, Any] = {"unanswerable_share": args.unanswerable_share}
    for key in ("depth", "distractors", "cut_depth"):
        if getattr(args, key) is not None:
            kw[key] = getattr(args, key)
    if args.task == "graphla":
        if args.atoms or args.interventions or args.rules:
            raise InvalidInput("--atoms, --interventions and --rules are GraphLI knobs")
        if args.dishes:
            kw["dishes"] = args.dishes
        if args.perturbations:
            kw["perturbations"] = tuple(x.strip() for x in args.perturbations.split(","))
        return graphla, graphla.GraphLAConfig(**kw)
    if args.dishes or args.perturbations:
        raise InvalidInput("--dishes and --perturbations are GraphLA knobs")
    if args.atoms:
        kw["atoms"] = args.atoms
    if args.interventions:
        kw["interventions"] = tuple(x.strip() for x in args.interventions.split(","))
    if args.rules:
        kw["rules"] = tuple(x.strip() for x in args.rules.split(","))
    return graphli, graphli.GraphLIConfig(**kw)


def _gen_one(job):
    module_name, cfg, seed, index = job
    import importlib
    return importlib.import_module(module_name).generate_item(cfg, seed, index)


def cmd_generate(args) -> int:
    if args.n < 0:
        raise InvalidInput("-n must be zero or more")
    module, cfg = _make_config(args)
    progress = not args.no_progress
    if args.jobs > 1:
        import multiprocessing as mp
        from tqdm import tqdm
        jobs = ((module.__name__, cfg, args.seed, i) for i in range(args.n))
        ctx = mp.get_context("spawn")
        pool = ctx.Pool(args.jobs)
        items: Iterable[dict] = pool.imap(_gen_one, jobs, chunksize=16)
        if progress:
            items = tqdm(items, total=args.n, desc=args.task, unit="item", mininterval=0.5)
    else:
        pool = None
        items = module.generate(cfg, args.n, args.seed, progress=progress)
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


def problem_from_record(rec: dict) -> Problem:
    """A batch line (or an item of a generated set) → Problem."""
    if not isinstance(rec, dict):
        raise InvalidInput("each line must be a JSON object")
    if rec.get("premises") is not None and rec.get("domain") is not None:
        if rec.get("query") is None:
            raise InvalidInput("field 'query' is missing")
        return Problem.make(rec["domain"], rec["premises"], rec["query"])
    text = rec.get("problem", rec.get("prompt"))
    if text is None:
        raise InvalidInput("give either domain + premises + query, or problem (the prompt text)")
    return problem_from_text(text)


def _single_record(args) -> dict:
    rec: dict[str, Any] = {}
    if args.problem is not None:
        if args.premise or args.domain or args.query:
            raise InvalidInput("give either --problem or --domain/--premise/--query, not both")
        rec["problem"] = args.problem
    else:
        missing = [f for f, v in (("--domain", args.domain), ("--query", args.query)) if v is None]
        if missing:
            raise InvalidInput(f"missing {' and '.join(missing)} (or use --problem / --jsonl)")
        rec.update(domain=args.domain, premises=args.premise, query=args.query)
    return rec


def _read_jsonl(path: str) -> Iterator[tuple[int, dict | HonestError]]:
    f = sys.stdin if path == "-" else open(path, encoding="utf-8")
    try:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError as e:
                yield lineno, InvalidInput(f"line {lineno}: not valid JSON ({e.msg} at "
                                           f"column {e.colno})")
    finally:
        if f is not sys.stdin:
            f.close()


def _count_lines(path: str) -> int | None:
    if path == "-":
        return None
    with open(path, "rb") as f:
        return sum(1 for line in f if line.strip())


class _LocalChecker:
    """Runs records through the in-process engines."""

    def __init__(self, rewards: RewardMap):
        self.rewards = rewards

    def check(self, rec: dict, want_response: bool) -> dict:
        problem = problem_from_record(rec)
        if want_response:
            resp = rec.get("response", rec.get("completion"))
            if resp is None:
                raise InvalidInput("field 'response' is missing")
            return check(problem, resp, self.rewards).to_dict()
        return solve(problem).to_dict()


def _run_items(args, want_response: bool) -> int:
    rewards = RewardMap.parse(args.reward_map) if getattr(args, "reward_map", None) else None
    if args.server:
        from clients.cli_backend import RemoteChecker  # service mode (clients package)
        token = None
        if args.token_file:
            try:
                token = open(args.token_file, encoding="utf-8").read().strip()
            except OSError as e:
                raise InvalidInput(f"cannot read --token-file {args.token_file}: {e.strerror}")
        checker = RemoteChecker(args.server, rewards, token=token)
    else:
        checker = _LocalChecker(rewards or RewardMap())
    if args.jsonl is None:
        rec = _single_record(args)
        if want_response:
            if args.response is None:
                raise InvalidInput("missing --response (the completion to grade)")
            rec["response"] = args.response
        print(json.dumps(checker.check(rec, want_response)))
        return 0
    if args.problem or args.premise or args.domain or args.query:
        raise InvalidInput("--jsonl takes every item from the file; drop the other item flags")
    if not (args.jsonl == "-" or os.path.exists(args.jsonl)):
        raise InvalidInput(f"no such file: {args.jsonl}")
    records: Iterable = _read_jsonl(args.jsonl)
    if not args.no_progress:
        from tqdm import tqdm
        records = tqdm(records, total=_count_lines(args.jsonl), desc="checking", unit="item",
                       mininterval=0.5, file=sys.stderr)
    n_err = 0
    for lineno, rec in records:
        out: dict[str, Any] = {}
        if isinstance(rec, dict) and "id" in rec:
            out["id"] = rec["id"]
        try:
            if isinstance(rec, HonestError):
                raise rec
            out.update(checker.check(rec, want_response))
        except HonestError as e:
            n_err += 1
            out.update(line=lineno, error=e.to_dict())
        sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
    if n_err:
        print(f"{n_err} line(s) had errors; see their 'error' objects", file=sys.stderr)
    return 0


def cmd_check(args) -> int:
    return _run_items(args, want_response=True)


def cmd_solve(args) -> int:
    return _run_items(args, want_response=False)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="honest", description="Honest deductive reasoning: "
                                 "datasets, exact verifier, ANCHOR trainer.")
    sub = ap.add_subparsers(dest="command", required=True)
    _add_generate(sub)
    p = sub.add_parser("check", help="grade completions against what the premises entail")
    _add_problem_args(p)
    p.add_argument("--response", help="the completion to grade (single-item mode)")
    p.add_argument("--reward-map", help="rewards per verdict, e.g. "
                   "'correct=1,unwarranted_answer=-1' (unnamed verdicts get 0)")
    p = sub.add_parser("solve", help="what the premises entail, without a completion")
    _add_problem_args(p)
    from verifier.service import cli as service_cli
    service_cli.add_parser(sub)
    import importlib.util
    if importlib.util.find_spec("trainer.cli") is not None:
        from trainer import cli as trainer_cli  # train, eval, demo (imports torch lazily)
        trainer_cli.add_parsers(sub)
    if "demo" not in sub.choices:
        from verifier import demo
        demo.add_parser(sub)
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    handler = {"generate": cmd_generate, "check": cmd_check, "solve": cmd_solve}.get(
        args.command) or args.handler
    try:
        return handler(args)
    except HonestError as e:
        print(f"honest {args.command}: error: {e.message}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
