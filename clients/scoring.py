"""Group scorers: the verifier as a reward for RL, through the service or in this process.

- :class:`GroupScorer`   the protocol: ``score_group(problem, completions)`` →
  a :class:`GroupScore` (one ``(verdict, reward)`` per completion, plus the honest
  answer); it raises when it cannot score, never invents a value.
- :class:`ServiceScorer` one ``VerifyGroup`` call per group (sync and async); the
  problem is solved once server-side. Picklable (channels are rebuilt where it is
  unpickled, e.g. in dataloader or Ray workers).
- :class:`LocalScorer`   the same engines in this process (tests, no service).
- :func:`connect_scorer` a ServiceScorer checked to answer health checks first.
- :func:`open_scorer`    what a training run uses: a given service, a service started
  for the run on a free loopback port (the default), or the in-process engines.

There is one retry layer: the client's, which retries UNAVAILABLE (a restarting or
vanished replica) with exponential backoff within the call's deadline. Every other
error means the group could not be scored and is raised as :class:`ScoringFailed`.

    scorer = ServiceScorer("127.0.0.1:50051")
    scorer.score_group({"domain": "logic", "premises": ["a -> b", "a"], "query": "b"},
                       ["...Answer: True", "...Answer: Unknown"])
    # GroupScore([("correct", 1.0), ("wrong_abstention", 0.0)], expected="True")
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, Mapping, Protocol, Sequence, runtime_checkable

import grpc

from clients.client import AsyncVerifierClient, VerifierClient
from clients.results import GroupResult, RemoteError
from clients.wire import ProblemLike, problem_fields
from verifier.errors import HonestError, InvalidInput
from verifier.grading import DEFAULT_REWARDS, RewardMap, grade
from verifier.solution import UNKNOWN

ScoredCompletion = tuple[str, float]  # (verdict, reward)


class ScoringFailed(HonestError):
    """The verifier could not score a group; training must not go on with made-up rewards."""

    kind = "scoring_failed"


class GroupScore(list):
    """``[(verdict, reward), ...]`` for one group's completions, in order, with the
    problem's honest answer: ``expected`` (a value, True/False, or Unknown)."""

    def __init__(self, scored: Sequence[ScoredCompletion], expected: str):
        super().__init__((str(v), float(r)) for v, r in scored)
        self.expected = expected

    @property
    def answerable(self) -> bool:
        """Whether the premises determine the answer (an honest answer is not Unknown)."""
        return self.expected != UNKNOWN

    @property
    def verdicts(self) -> list[str]:
        return [v for v, _ in self]

    @property
    def rewards(self) -> list[float]:
        return [r for _, r in self]

    def __repr__(self) -> str:
        return f"GroupScore({list(self)!r}, expected={self.expected!r})"


@runtime_checkable
class GroupScorer(Protocol):
    def score_group(self, problem: ProblemLike, completions: Sequence[str]) -> GroupScore:
        """Grade every completion of one problem; raises when it cannot score."""


class LocalScorer:
    """Scores in this process with the exact engines (solves each problem once per group)."""

    def __init__(self, rewards: RewardMap = DEFAULT_REWARDS):
        self.rewards = rewards

    def score_group(self, problem: ProblemLike, completions: Sequence[str]) -> GroupScore:
        from clients.checking import problem_from_record
        from verifier.problem import solve
        fields = problem_fields(problem)
        rec = {"problem": fields} if isinstance(fields, str) else fields
        solution = solve(problem_from_record(rec))
        grades = [grade(solution, text, self.rewards) for text in completions]
        return GroupScore([(g.verdict, g.reward) for g in grades], solution.expected)


def _score(result: GroupResult) -> GroupScore:
    return GroupScore([(g.verdict, g.reward) for g in result.grades], result.solution.expected)


class ServiceScorer:
    """The verifier service as a group scorer: one ``VerifyGroup`` per group."""

    def __init__(self, target, *, token: str | None = None, timeout: float = 120.0,
                 retries: int = 6, rewards: Mapping[str, float] | None = None, **client_kw):
        self.rewards = dict(rewards) if rewards else None
        self.client = VerifierClient(target, token=token, timeout=timeout, retries=retries,
                                     **client_kw)
        self.aclient = AsyncVerifierClient(target, token=token, timeout=timeout,
                                           retries=retries, **client_kw)

    @property
    def target(self) -> str:
        return self.client.target

    def check(self, timeout: float = 10.0) -> None:
        """Raise :class:`RemoteError` unless the service answers health checks as SERVING
        within ``timeout`` seconds: call before a long run, not after its first step."""
        status = self.client.health(timeout)
        if status != "SERVING":
            raise RemoteError(grpc.StatusCode.UNAVAILABLE,
                              f"verifier service at {self.client.target} reports {status}")

    def score_group(self, problem: ProblemLike, completions: Sequence[str]) -> GroupScore:
        return _score(self.client.verify_group(problem_fields(problem), list(completions),
                                               rewards=self.rewards))

    async def ascore_group(self, problem: ProblemLike,
                           completions: Sequence[str]) -> GroupScore:
        return _score(await self.aclient.verify_group(problem_fields(problem),
                                                      list(completions), rewards=self.rewards))

    def score_groups(self, groups: Sequence[tuple[ProblemLike, Sequence[str]]]
                     ) -> list[GroupScore]:
        """Many groups in one ``VerifyBatch`` call; raises if any group failed."""
        out = []
        for r in self.client.verify_batch([(problem_fields(p), cs) for p, cs in groups],
                                          rewards=self.rewards):
            if isinstance(r, Exception):
                raise r
            out.append(_score(r))
        return out


def connect_scorer(server: str, rewards: RewardMap | None = None, token: str | None = None,
                   timeout: float = 10.0) -> ServiceScorer:
    """A :class:`ServiceScorer` for ``HOST:PORT``, refused (InvalidInput, with what to do)
    unless the service answers its health check within ``timeout`` seconds."""
    scorer = ServiceScorer(server, token=token,
                           rewards=dict(rewards.rewards) if rewards else None)
    try:
        scorer.check(timeout)
    except HonestError as e:
        raise InvalidInput(f"cannot reach the verifier service at {server} ({e}); start one "
                           f"with `honest serve --port {server.rpartition(':')[2]}` or drop "
                           "--server to use a service started for the run") from None
    return scorer


@contextmanager
def open_scorer(server: str | None = None, in_process: bool = False,
                rewards: RewardMap | None = None) -> Iterator[tuple[Any, str]]:
    """``(scorer, description)`` for a run: the service at ``server``; else, unless
    ``in_process``, a fresh verifier service on a free loopback port for the run's
    duration (one solver worker, so training keeps the other cores; stopped on exit);
    else the in-process engines."""
    if in_process and server:
        raise InvalidInput("give either --server or --in-process, not both")
    if in_process:
        yield LocalScorer(rewards or DEFAULT_REWARDS), "in-process verifier engines"
    elif server:
        yield connect_scorer(server, rewards), f"verifier service at {server}"
    else:
        from verifier.service.server import ServerConfig, ServerThread
        with ServerThread(ServerConfig(host="127.0.0.1", port=0, workers=1)) as srv:
            yield connect_scorer(srv.address, rewards), \
                f"verifier service started at {srv.address}"
