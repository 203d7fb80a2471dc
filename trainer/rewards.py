"""The reward: the verifier, asked once per rollout group, and the per-step honesty metrics.

- :class:`GroupScorer`   the protocol: ``score_group(problem, completions)`` →
  ``[(verdict, reward), ...]``; it raises when it cannot score.
- :class:`LocalScorer`   in-process engines (tests, runs without a server).
- :func:`make_scorer`    ``None`` → LocalScorer; ``"HOST:PORT"`` → the gRPC
  service client (``clients.trl.ServiceScorer``, one ``VerifyGroup`` per group).
- :func:`open_scorer`    what ``honest train/eval/demo`` use: a given service, a
  service started for the run on a free port (the default), or in-process.
- :class:`VerifierReward` the reward function handed to TRL's GRPOTrainer.

Never a silent zero: a group the scorer cannot score is retried, then training
stops with :class:`ScoringFailed`. TRL would turn a ``None`` reward into "no
signal" and carry on; an exception is the only answer that cannot be mistaken
for a verdict.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from contextlib import contextmanager
from typing import Any, Callable, Protocol, Sequence, runtime_checkable

from verifier.errors import HonestError, InvalidInput
from verifier.grading import (CORRECT, DEFAULT_REWARDS, VERDICTS, WRONG_ABSTENTION, RewardMap,
                              grade)
from verifier.problem import Problem, solve

ScoredCompletion = tuple[str, float]  # (verdict, reward)


class ScoringFailed(HonestError):
    """The verifier could not score a group; training must not go on with made-up rewards."""

    kind = "scoring_failed"


@runtime_checkable
class GroupScorer(Protocol):
    def score_group(self, problem: dict, completions: list[str]) -> list[ScoredCompletion]:
        """Grade every completion of one problem (``{"domain","premises","query"}``).

        Returns one ``(verdict, reward)`` per completion, in order. Raises when
        it cannot score; never returns invented values.
        """


class LocalScorer:
    """Scores in this process with the exact engines (solves each problem once per group)."""

    def __init__(self, rewards: RewardMap = DEFAULT_REWARDS):
        self.rewards = rewards

    def score_group(self, problem: dict, completions: list[str]) -> list[ScoredCompletion]:
        solution = solve(Problem.make(problem["domain"], problem["premises"], problem["query"]))
        out = []
        for text in completions:
            g = grade(solution, text, self.rewards)
            out.append((g.verdict, g.reward))
        return out


def make_scorer(server: str | None, rewards: RewardMap | None = None,
                timeout: float = 10.0) -> GroupScorer:
    """The scorer for ``--server``: in-process when ``None``, else the gRPC service,
    checked to answer health checks (within ``timeout`` s) before any training starts."""
    if server is None:
        return LocalScorer(rewards or DEFAULT_REWARDS)
    try:
        from clients.trl import ServiceScorer
    except ImportError as e:
        raise InvalidInput(f"--server {server} needs the verifier service client "
                           f"(clients.trl.ServiceScorer), which cannot be imported here ({e}); "
                           "drop --server to score with the in-process engines") from None
    scorer = ServiceScorer(server, rewards=dict(rewards.rewards) if rewards else None)
    try:
        scorer.check(timeout)
    except HonestError as e:
        raise InvalidInput(f"cannot reach the verifier service at {server} ({e}); start one "
                           f"with `honest serve --port {server.rpartition(':')[2]}` or drop "
                           "--server to score in-process") from None
    return scorer


@contextmanager
def open_scorer(server: str | None = None, in_process: bool = False):
    """``(scorer, description)`` for a run: the service at ``server``; else, unless
    ``in_process``, a fresh verifier service on a free loopback port for the run's
    duration (stopped on exit); else the in-process engines."""
    if in_process and server:
        raise InvalidInput("give either --server or --in-process, not both")
    if in_process:
        yield LocalScorer(), "in-process verifier engines"
    elif server:
        yield make_scorer(server), f"verifier service at {server}"
    else:
        from verifier.service.server import ServerConfig, ServerThread
        with ServerThread(ServerConfig(host="127.0.0.1", port=0, workers=1)) as srv:
            yield make_scorer(srv.address), f"verifier service started at {srv.address}"


def completion_text(completion: Any) -> str:
    """TRL passes plain strings, or a message list for chat prompts."""
    if isinstance(completion, str):
        return completion
    return completion[-1]["content"]


def problem_of(row: dict) -> dict:
    return {"domain": row["domain"], "premises": list(row["premises"]), "query": row["query"]}


def is_abstention(verdict: str, answerable: bool) -> bool:
    """Said Unknown: a wrong abstention where the answer is determined, correct where not."""
    return verdict == WRONG_ABSTENTION if answerable else verdict == CORRECT


def group_metrics(verdicts: Sequence[str], rewards: Sequence[float], answerable: Sequence[bool],
                  policy: Sequence[bool], group_size: int) -> dict[str, float]:
    """Per-step metrics over a flat batch of groups.

    Accuracy, abstention, verdict counts and mean reward count the policy's own
    samples only (``policy[i]`` is False for injected gold trajectories), so
    ANCHOR's curves are not flattered by its injections. The zero-variance
    share is over groups as trained: it is what leaves a group without gradient.
    """
    m: dict[str, float] = {}
    own = [i for i, p in enumerate(policy) if p]
    if own:
        m["reward_mean"] = sum(rewards[i] for i in own) / len(own)
        abstained = sum(is_abstention(verdicts[i], answerable[i]) for i in own)
        m["abstention_rate"] = abstained / len(own)
        for name, want in (("answerable_acc", True), ("unanswerable_acc", False)):
            sel = [i for i in own if answerable[i] == want]
            if sel:
                m[name] = sum(verdicts[i] == CORRECT for i in sel) / len(sel)
        counts = Counter(verdicts[i] for i in own)
        for v in VERDICTS:
            m[f"verdict/{v}"] = float(counts[v])
    groups = [rewards[k:k + group_size] for k in range(0, len(rewards), group_size)]
    m["zero_std_groups"] = sum(max(g) == min(g) for g in groups) / len(groups)
    m["injected_share"] = 1 - len(own) / len(policy)
    return m


def _is_bad_input(e: Exception) -> bool:
    """In-process InvalidInput, or the service's INVALID_ARGUMENT status."""
    code = getattr(getattr(e, "code", None), "name", None)
    return isinstance(e, InvalidInput) or code == "INVALID_ARGUMENT"


class VerifierReward:
    """TRL reward function: groups the flat batch by prompt, one ``score_group`` per group.

    TRL (1.16) calls ``reward(prompts=..., completions=..., completion_ids=...,
    **dataset_columns, trainer_state=..., log_metric=..., log_extra=...)`` with
    the ``num_generations`` completions of each prompt next to each other.
    The columns used here are ``id``, ``domain``, ``premises``, ``query`` and
    ``answerable`` (see :func:`trainer.data.rl_dataset`), plus
    ``anchor_injected`` which the ANCHOR trainer adds for its gold rows.

    :meth:`score_groups` lets the ANCHOR trainer grade sampled completions
    before it decides to inject; those grades are reused by the next call
    instead of asking the service twice.
    """

    __name__ = "verifier"  # TRL names the reward column after this

    def __init__(self, scorer: GroupScorer, group_size: int, retries: int = 2,
                 backoff_s: float = 0.5, metric_prefix: str = "honest/"):
        if not isinstance(scorer, GroupScorer):
            raise InvalidInput(f"scorer {scorer!r} has no score_group(problem, completions)")
        self.scorer = scorer
        self.group_size = group_size
        self.retries = retries
        self.backoff_s = backoff_s
        self.metric_prefix = metric_prefix
        self._memo: dict[tuple, ScoredCompletion] = {}

    # ------------------------------------------------------------ scoring

    def _retry_delay(self, e: Exception, item_id: str, attempt: int) -> float:
        """Seconds to wait before attempt ``attempt + 1``; raises when it must stop."""
        if _is_bad_input(e):  # the item itself is bad: retrying cannot help
            raise ScoringFailed(f"verifier rejected item {item_id}: {e}") from e
        if attempt >= self.retries:
            raise ScoringFailed(
                f"verifier could not score item {item_id} after {attempt + 1} attempts "
                f"({type(e).__name__}: {e}); training stopped rather than use invented "
                "rewards") from e
        return self.backoff_s * 2 ** attempt

    @staticmethod
    def _checked(scored, item_id: str, n: int) -> list[ScoredCompletion]:
        scored = list(scored)
        if len(scored) != n:
            raise ScoringFailed(f"verifier returned {len(scored)} grades for {n} "
                                f"completions of item {item_id}")
        return scored

    def _score_with_retries(self, item_id: str, problem: dict, texts: list[str]):
        attempt = 0
        while True:
            try:
                return self._checked(self.scorer.score_group(problem, texts), item_id, len(texts))
            except ScoringFailed:
                raise
            except Exception as e:  # transport or engine trouble: retry, then stop
                time.sleep(self._retry_delay(e, item_id, attempt))
                attempt += 1

    async def _ascore_with_retries(self, item_id: str, problem: dict, texts: list[str]):
        attempt = 0
        while True:
            try:
                scored = await self.scorer.ascore_group(problem, texts)
                return self._checked(scored, item_id, len(texts))
            except ScoringFailed:
                raise
            except Exception as e:
                await asyncio.sleep(self._retry_delay(e, item_id, attempt))
                attempt += 1

    @staticmethod
    def _key(problem: dict, text: str) -> tuple:
        return (problem["domain"], tuple(problem["premises"]), problem["query"], text)

    def _pending(self, rows: Sequence[dict], texts: Sequence[str]):
        """``(item_id, problem, indices)`` per group with completions not graded yet."""
        out = []
        for start in range(0, len(texts), self.group_size):
            idx = range(start, min(start + self.group_size, len(texts)))
            ids = {rows[i]["id"] for i in idx}
            if len(ids) != 1:  # TRL's sampler keeps a prompt's generations together
                raise RuntimeError(f"rows {start}..{idx[-1]} mix items {sorted(ids)}: "
                                   "groups must hold one prompt's completions")
            problem = problem_of(rows[start])
            todo = [i for i in idx if self._key(problem, texts[i]) not in self._memo]
            if todo:
                out.append((rows[start]["id"], problem, todo))
        return out

    def _remember(self, problem: dict, texts: Sequence[str], todo: list[int], scored) -> None:
        for i, s in zip(todo, scored):
            self._memo[self._key(problem, texts[i])] = (s[0], float(s[1]))

    def _recall(self, rows: Sequence[dict], texts: Sequence[str]) -> list[ScoredCompletion]:
        return [self._memo[self._key(problem_of(rows[i]), texts[i])] for i in range(len(texts))]

    def score_groups(self, rows: Sequence[dict], texts: Sequence[str]) -> list[ScoredCompletion]:
        """Grade a flat batch (``rows[i]`` is ``texts[i]``'s dataset row), one call per group."""
        for item_id, problem, todo in self._pending(rows, texts):
            scored = self._score_with_retries(item_id, problem, [texts[i] for i in todo])
            self._remember(problem, texts, todo, scored)
        return self._recall(rows, texts)

    async def ascore_groups(self, rows: Sequence[dict],
                            texts: Sequence[str]) -> list[ScoredCompletion]:
        """:meth:`score_groups`, with the groups in flight together when the scorer has
        ``ascore_group`` (the service client); in-process scorers run one group at a time."""
        pending = self._pending(rows, texts)
        if not hasattr(self.scorer, "ascore_group"):
            return self.score_groups(rows, texts)
        results = await asyncio.gather(*(
            self._ascore_with_retries(item_id, problem, [texts[i] for i in todo])
            for item_id, problem, todo in pending))
        for (_, problem, todo), scored in zip(pending, results):
            self._remember(problem, texts, todo, scored)
        return self._recall(rows, texts)

    # ------------------------------------------------------------ TRL entry point

    async def __call__(self, prompts: list, completions: list,
                       log_metric: Callable | None = None, **columns) -> list[float]:
        """TRL runs this coroutine on its reward event loop; outside TRL use
        ``asyncio.run(reward(...))``."""
        n = len(completions)
        if n % self.group_size:
            raise RuntimeError(f"{n} completions is not a whole number of groups of "
                               f"{self.group_size}")
        rows = [{k: columns[k][i] for k in ("id", "domain", "premises", "query")}
                for i in range(n)]
        texts = [completion_text(c) for c in completions]
        try:
            scored = await self.ascore_groups(rows, texts)
        finally:
            self._memo.clear()  # grades are reused within one batch only
        verdicts = [v for v, _ in scored]
        rewards = [r for _, r in scored]
        injected = columns.get("anchor_injected") or [False] * n
        metrics = group_metrics(verdicts, rewards, list(columns["answerable"]),
                                [not x for x in injected], self.group_size)
        if log_metric is not None:
            for name, value in metrics.items():
                log_metric(self.metric_prefix + name, value)
        return rewards
