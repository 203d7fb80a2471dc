"""``honest audit``: grade a file of model outputs and write a report.

    honest audit outputs.jsonl --report runs/audit                       # in this process
    honest audit outputs.jsonl --report runs/audit --server 127.0.0.1:50051 --by meta.task

Input, one JSON object per line: the problem (``domain``/``premises``/``query``, or the
prompt text as ``problem``/``prompt``), the model's ``response`` (or ``completion``),
optionally ``id`` and ``model``, and any other fields (depth is read from ``meta.depth``
or ``depth``; ``--by`` groups by any field, dotted paths such as ``meta.perturbation``
reach inside objects). A bad line gets an error entry and the rest go on.

Output in ``--report DIR``:

- ``items.jsonl``: one line per input line, in order: ``line`` (1-based input line),
  ``id``, ``model``, ``domain``, ``depth`` (and ``by``: the ``--by`` values), what
  ``honest check`` reports (``verdict``, ``reward``, ``answer``, ``status``, ``expected``,
  ``inconsistent``, ``certificate``) and the step audit of :mod:`verifier.steps`
  (``steps``, ``first_unsupported_line``, ``unrecognised_lines``, ``steps_truncated``;
  ``steps: null`` and ``steps_error`` where the audit itself failed; absent with
  ``--no-steps``); or ``{"line", "id", "model", ..., "error": {...}}`` for a line that
  could not be graded;
- ``summary.json``: rates overall and per group with Wilson 95% intervals (definitions
  in :mod:`clients.audit.summary`);
- ``report.html`` and its PNGs (:mod:`clients.audit.report`).

Final answers are graded in this process or, with ``--server``, by the service in
batches (one ``VerifyBatch`` per 1,024 lines; lines sharing a problem form one group).
Step audits always run in this process: the engines are local (``--no-steps`` skips
them). Verdicts equal ``honest check``'s line for line.
"""

from __future__ import annotations

import json
import os
import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from verifier.errors import InvalidInput

# Registered with every `honest` command: heavy modules (engines, matplotlib) are imported
# only when `honest audit` runs.
#: examples per failure kind in the report
EXAMPLES_PER_KIND = 3
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*\Z")


@lru_cache(maxsize=1024)
def _checker(problem):
    from verifier.steps import StepChecker
    return StepChecker(problem)


def step_fields(rec: dict) -> dict[str, Any]:
    """The step audit of one record (problem + ``response``) as the fields ``items.jsonl``
    carries: ``steps``, ``first_unsupported_line``, ``unrecognised_lines``,
    ``steps_truncated``. Raises :class:`~verifier.errors.HonestError` for a bad record,
    like ``LocalChecker.check``. Checkers are cached per problem (1,024 most recent)."""
    from clients.checking import problem_from_record, response_of
    problem = problem_from_record(rec)
    return _checker(problem).audit(response_of(rec)).to_dict()


def _prescan(path: str, by: tuple[str, ...]) -> int | None:
    """Non-blank lines of the file; refuses a ``--by`` field named on no line (cheap: a
    byte search for its last key, before any grading)."""
    if path == "-":
        return None
    keys = {f: f'"{f.rsplit(".", 1)[-1]}"'.encode() for f in by}
    found: set[str] = set()
    n = 0
    with open(path, "rb") as fh:
        for line in fh:
            if line.strip():
                n += 1
                for f, k in keys.items():
                    if f not in found and k in line:
                        found.add(f)
    missing = [f for f in by if f not in found]
    if missing:
        raise InvalidInput(f"--by {', '.join(missing)}: no line of {path} has such a field "
                           f"(fields are matched by name; use dots for nested ones, e.g. "
                           f"meta.perturbation)")
    return n


def _report_dir(path: str) -> Path:
    d = Path(path)
    try:
        d.mkdir(parents=True, exist_ok=True)
        probe = d / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise InvalidInput(f"cannot write the report to --report {path}: "
                           f"{e.strerror or e}") from None
    return d


def cmd_audit(args) -> int:
    run_audit(args.outputs, args.report, by=args.by or (), server=args.server,
              token_file=args.token_file, reward_map=args.reward_map, steps=not args.no_steps,
              examples=args.examples, progress=not args.no_progress)
    return 0


def run_audit(path: str, report: str, by: Iterable[str] = (), server: str | None = None,
              token_file: str | None = None, reward_map: str | None = None, steps: bool = True,
              examples: int = EXAMPLES_PER_KIND, progress: bool = True) -> dict[str, Any]:
    """What ``honest audit PATH --report REPORT`` does (see module docstring); returns
    the summary as ``summary.json`` holds it."""
    from clients.audit.pipeline import AuditPass, LocalGrader, ProblemCache, RemoteGrader
    from clients.jsonl import read_jsonl, read_token
    from clients.audit.report import Examples, write_report
    from clients.audit.summary import Summary
    from verifier.grading import RewardMap
    if path != "-" and not os.path.isfile(path):
        raise InvalidInput(f"no such file: {path}")
    by = tuple(dict.fromkeys(by))
    bad = [f for f in by if not _FIELD.match(f)]
    if bad:
        raise InvalidInput(f"--by {bad[0]!r} is not a field name (letters, digits, _ and -, "
                           f"dots for nested fields, e.g. meta.perturbation)")
    total = _prescan(path, by)
    out_dir = _report_dir(report)
    rewards = RewardMap.parse(reward_map) if reward_map else None
    cache = ProblemCache()
    if server:
        grader: Any = RemoteGrader(server, rewards, token=read_token(token_file))
    elif token_file:
        raise InvalidInput("--token-file goes with --server")
    else:
        grader = LocalGrader(rewards, cache)
    audit = AuditPass(grader, steps=steps, by=by, cache=cache)
    summary, found = Summary(by), Examples(examples)
    records: Any = read_jsonl(path)
    if progress:
        from tqdm import tqdm
        records = tqdm(records, total=total, desc="auditing", unit="item", mininterval=0.5,
                       file=sys.stderr)
    with open(out_dir / "items.jsonl", "w", encoding="utf-8") as out:
        for item, rec in audit.run(records):
            out.write(json.dumps(item) + "\n")
            summary.add(item)
            found.add(item, rec)
    result = {**summary.to_dict(), "input": path}
    with open(out_dir / "summary.json", "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    files = write_report(out_dir, summary, found, path)
    overall = summary.overall.metrics()
    print(f"audited {summary.lines} lines ({overall['errors']} errors): overall accuracy "
          f"{overall['overall_accuracy']}, hallucination rate "
          f"{overall['unwarranted_answer_rate']}; wrote items.jsonl, summary.json, "
          f"{', '.join(files)} to {out_dir}", file=sys.stderr)
    return result


def add_audit_command(sub) -> None:
    p = sub.add_parser("audit", help="grade a file of model outputs: items, summary with "
                       "confidence intervals, step audit, HTML report")
    p.add_argument("outputs", help="JSONL of model outputs ('-' = stdin): problem fields, "
                   "response, optional id/model/meta")
    p.add_argument("--report", required=True, help="directory for items.jsonl, summary.json, "
                   "report.html and the PNGs (created if missing)")
    p.add_argument("--server", help="HOST:PORT of a verifier service for the final answers "
                   "(batched); step audits still run here")
    p.add_argument("--token-file", help="with --server: file holding the service's bearer token")
    p.add_argument("--by", action="append", default=[], metavar="FIELD",
                   help="also break the summary down by this field (repeat; dotted paths "
                   "reach nested fields, e.g. meta.perturbation)")
    p.add_argument("--reward-map", help="rewards per verdict, as for honest check")
    p.add_argument("--no-steps", action="store_true", help="skip the step audit (final "
                   "answers only)")
    p.add_argument("--examples", type=int, default=EXAMPLES_PER_KIND,
                   help="examples per failure kind in the report (default 3)")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(handler=cmd_audit)


__all__ = ["add_audit_command", "cmd_audit", "run_audit", "step_fields"]
