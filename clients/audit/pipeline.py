"""The audit pass: records in, one item dict per input line out (what ``items.jsonl`` holds).

Final answers are graded like ``honest check`` grades them, with the same output fields:

- in this process (:class:`LocalGrader`): each distinct problem is solved once (an LRU of
  solutions), then every completion of it is graded against that solution;
- through a service (:class:`RemoteGrader`): lines are read in chunks, lines that share
  a problem become one group, and a chunk is one ``VerifyBatch`` call. A group the
  service refuses is retried line by line (one ``Verify`` each), so a bad line gets its
  own error entry exactly as ``honest check --server`` would give it.

Step audits (:mod:`verifier.steps`) always run here, in the client process: the engines
are local, and each distinct problem is prepared once (:class:`ProblemCache`).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from clients.checking import problem_from_record, response_of
from clients.wire import problem_fields
from verifier import tasks
from verifier.errors import HonestError, InvalidInput
from verifier.grading import DEFAULT_REWARDS, RewardMap, grade
from verifier.problem import CheckResult, ParsedProblem, Problem, parse_problem, solve_parsed
from verifier.steps import StepChecker

#: lines per VerifyBatch call, and a bound on the text they carry (the service takes
#: 64 MiB per message and 65,536 completions per batch)
CHUNK_LINES = 1024
CHUNK_CHARS = 16_000_000
#: distinct problems whose solution / step checker are kept
CACHE_PROBLEMS = 4096
NONE_KEY = "(none)"


def field_value(rec: dict, path: str) -> Any:
    """``rec[a][b]`` for ``path == "a.b"``; None where any part is missing."""
    cur: Any = rec
    for part in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def depth_of(rec: dict) -> Any:
    """``meta.depth``, else a top-level ``depth``, else None."""
    meta = rec.get("meta")
    if isinstance(meta, dict) and meta.get("depth") is not None:
        return meta["depth"]
    return rec.get("depth")


def group_key(value: Any) -> str:
    """How a field's value names its group in summary.json (``(none)`` when missing)."""
    if value is None:
        return NONE_KEY
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def problem_key(rec: dict) -> tuple | str:
    """A hashable name of the record's problem, as sent (no normalisation)."""
    fields = problem_fields(rec)
    if isinstance(fields, str):
        return fields
    return (fields["domain"], tuple(fields["premises"]), fields["query"])


def _domain_of(rec: dict) -> str | None:
    d = rec.get("domain")
    if isinstance(d, str):
        return d
    text = rec.get("problem", rec.get("prompt"))
    if isinstance(text, str):
        for spec in tasks.all_tasks():
            if spec.question_re.search(text):
                return spec.domain
    return None


@dataclass
class Entry:
    """One input line on its way through the pass."""

    lineno: int
    rec: Any
    head: dict
    error: HonestError | None = None
    key: Any = None
    response: str | None = None
    check: dict | None = None


def _head(rec: Any, by: tuple[str, ...]) -> dict:
    if not isinstance(rec, dict):
        return {}
    head = {"id": rec.get("id"), "model": rec.get("model"), "domain": _domain_of(rec),
            "depth": depth_of(rec)}
    if by:
        head["by"] = {f: field_value(rec, f) for f in by}
    return head


def _entry(lineno: int, rec: Any, by: tuple[str, ...]) -> Entry:
    e = Entry(lineno, rec, _head(rec, by))
    try:
        if isinstance(rec, HonestError):
            raise rec
        if not isinstance(rec, dict):
            raise InvalidInput("each line must be a JSON object")
        e.key = problem_key(rec)
        e.response = response_of(rec)
    except HonestError as err:
        e.error = err
    return e


class ProblemCache:
    """Per distinct problem (LRU): the Problem, its Solution and its StepChecker, or the
    error each raised (a bad problem fails every line that carries it, once)."""

    def __init__(self, size: int = CACHE_PROBLEMS):
        self.size = size
        self._items: OrderedDict[Any, dict] = OrderedDict()

    def _slot(self, key) -> dict:
        slot = self._items.get(key)
        if slot is None:
            slot = self._items[key] = {}
            if len(self._items) > self.size:
                self._items.popitem(last=False)
        else:
            self._items.move_to_end(key)
        return slot

    def _get(self, key, what: str, make):
        slot = self._slot(key)
        if what not in slot:
            try:
                slot[what] = make()
            except HonestError as e:
                slot[what] = e
        got = slot[what]
        if isinstance(got, HonestError):
            raise got
        return got

    def problem(self, key, rec: dict) -> Problem:
        return self._get(key, "problem", lambda: problem_from_record(rec))

    def parsed(self, key, rec: dict) -> ParsedProblem:
        return self._get(key, "parsed", lambda: parse_problem(self.problem(key, rec)))

    def solution(self, key, rec: dict):
        return self._get(key, "solution", lambda: solve_parsed(self.parsed(key, rec)))

    def checker(self, key, rec: dict) -> StepChecker:
        return self._get(key, "checker", lambda: StepChecker(self.problem(key, rec),
                                                             parsed=self.parsed(key, rec)))


class LocalGrader:
    """Grades in this process; the output of each line is ``honest check``'s."""

    def __init__(self, rewards: RewardMap | None = None, cache: ProblemCache | None = None):
        self.rewards = rewards or DEFAULT_REWARDS
        self.cache = cache or ProblemCache()

    def grade_chunk(self, entries: list[Entry]) -> None:
        for e in entries:
            if e.error is not None:
                continue
            try:
                sol = self.cache.solution(e.key, e.rec)
                e.check = CheckResult(sol, grade(sol, e.response, self.rewards)).to_dict()
            except HonestError as err:
                e.error = err


class RemoteGrader:
    """Grades through a verifier service, one ``VerifyBatch`` per chunk of lines."""

    def __init__(self, target: str, rewards: RewardMap | None = None, token: str | None = None,
                 health_timeout: float = 10.0):
        from clients.client import VerifierClient
        from clients.results import RemoteError
        self.client = VerifierClient(target, token=token)
        self.rewards = dict(rewards.rewards) if rewards is not None else None
        try:
            self.client.health(timeout=health_timeout)
        except RemoteError as e:
            raise InvalidInput(f"the verifier service at {target} does not answer its "
                               f"health check ({e.message}); start it with `honest serve` "
                               f"or drop --server") from None
        self._msgs: OrderedDict[Any, Any] = OrderedDict()

    def _msg(self, e: Entry):
        from clients.wire import problem_msg
        msg = self._msgs.get(e.key)
        if msg is None:
            msg = self._msgs[e.key] = problem_msg(e.rec)
            if len(self._msgs) > CACHE_PROBLEMS:  # least recently used out; a chunk's
                self._msgs.popitem(last=False)   # problems are the newest, never evicted
        else:
            self._msgs.move_to_end(e.key)
        return msg

    def grade_chunk(self, entries: list[Entry]) -> None:
        import grpc

        from clients.results import RemoteError
        groups: OrderedDict[Any, list[Entry]] = OrderedDict()
        for e in entries:
            if e.error is None:
                try:
                    self._msg(e)
                except HonestError as err:
                    e.error = err
                    continue
                groups.setdefault(e.key, []).append(e)
        if not groups:
            return
        batch = [(self._msgs[k], [e.response for e in es]) for k, es in groups.items()]
        try:
            results: list = self.client.verify_batch(batch, rewards=self.rewards)
        except RemoteError as err:
            if err.code not in (grpc.StatusCode.INVALID_ARGUMENT,
                                grpc.StatusCode.RESOURCE_EXHAUSTED):
                raise
            results = [err] * len(batch)
        for es, res in zip(groups.values(), results):
            if isinstance(res, Exception):
                if len(es) == 1 and isinstance(res, HonestError):
                    es[0].error = res
                else:  # find which line the service refuses: one Verify each
                    self._one_by_one(es)
                continue
            sol = res.solution
            for e, g in zip(es, res.grades):
                e.check = {"verdict": g.verdict, "reward": g.reward, "answer": g.answer,
                           "status": sol.status, "expected": sol.expected,
                           "inconsistent": sol.inconsistent, "certificate": sol.certificate}

    def _one_by_one(self, entries: list[Entry]) -> None:
        for e in entries:
            try:
                e.check = self.client.verify(self._msgs[e.key], e.response,
                                             rewards=self.rewards).to_dict()
            except HonestError as err:
                e.error = err


@dataclass
class AuditPass:
    """Options of one pass over the records."""

    grader: Any
    steps: bool = True
    by: tuple[str, ...] = ()
    cache: ProblemCache = field(default_factory=ProblemCache)

    def run(self, records: Iterable[tuple[int, Any]]) -> Iterator[tuple[dict, Any]]:
        """``(item, record)`` per input line, in input order (records are (lineno, rec))."""
        chunk: list[Entry] = []
        chars = 0
        for lineno, rec in records:
            e = _entry(lineno, rec, self.by)
            chunk.append(e)
            chars += len(e.response or "") + (len(e.key) if isinstance(e.key, str) else 0)
            if len(chunk) >= CHUNK_LINES or chars >= CHUNK_CHARS:
                yield from self._finish(chunk)
                chunk, chars = [], 0
        if chunk:
            yield from self._finish(chunk)

    def _finish(self, chunk: list[Entry]) -> Iterator[tuple[dict, Any]]:
        self.grader.grade_chunk(chunk)
        for e in chunk:
            item = {"line": e.lineno, **e.head}
            if e.error is not None or e.check is None:
                err = e.error or InvalidInput("not graded")
                item["error"] = err.to_dict()
                yield item, e.rec
                continue
            item.update(e.check)
            if self.steps:
                item.update(self._steps(e))
            yield item, e.rec

    def _steps(self, e: Entry) -> dict:
        try:
            return self.cache.checker(e.key, e.rec).audit(e.response).to_dict()
        except HonestError as err:
            return {"steps": None, "first_unsupported_line": None, "steps_error": err.to_dict()}
