"""``honest check`` and ``honest solve``: grade completions (or just solve problems),
in this process or through a verifier service (``--server``), with the same output.

    honest check --domain linear --premise "a = 2" --premise "b = a + 1" --query b \\
                 --response "... Answer: 3"                    # one item
    honest check --problem "$(jq -r .prompt < item.json)" --response "Answer: Unknown"
    honest check --jsonl items.jsonl                             # a batch, one JSON line each
    honest check --server 127.0.0.1:50051 --jsonl items.jsonl    # the same, from the service
    honest solve --domain logic --premise "a -> b" --premise a --query b

In batch mode a bad line gives ``{"line": n, "error": {...}}`` and the rest go on.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Iterable

from clients.checking import Checker, LocalChecker, RemoteChecker
from clients.jsonl import count_lines, read_jsonl, read_token
from verifier.errors import HonestError, InvalidInput
from verifier.grading import RewardMap
from verifier.problem import DOMAINS


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


def make_checker(args) -> Checker:
    rewards = RewardMap.parse(args.reward_map) if getattr(args, "reward_map", None) else None
    steps = getattr(args, "steps", False)
    if args.server:
        return RemoteChecker(args.server, rewards, token=read_token(args.token_file),
                             steps=steps)
    if args.token_file:
        raise InvalidInput("--token-file goes with --server")
    return LocalChecker(rewards, steps)


def _run_items(args, want_response: bool) -> int:
    checker = make_checker(args)
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
    records: Iterable = read_jsonl(args.jsonl)
    if not args.no_progress:
        from tqdm import tqdm
        records = tqdm(records, total=count_lines(args.jsonl), desc="checking", unit="item",
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


def add_commands(sub) -> None:
    p = sub.add_parser("check", help="grade completions against what the premises entail")
    _add_problem_args(p)
    p.add_argument("--response", help="the completion to grade (single-item mode)")
    p.add_argument("--reward-map", help="rewards per verdict, e.g. "
                   "'correct=1,unwarranted_answer=-1' (unnamed verdicts get 0)")
    p.add_argument("--steps", action="store_true",
                   help="also audit the intermediate claims (steps, first_unsupported_line; "
                        "see README 'Audit model outputs')")
    p.set_defaults(handler=cmd_check)
    p = sub.add_parser("solve", help="what the premises entail, without a completion")
    _add_problem_args(p)
    p.set_defaults(handler=cmd_solve)
    from clients.export import add_export_command; add_export_command(sub)
    from clients.audit import add_audit_command; add_audit_command(sub)
