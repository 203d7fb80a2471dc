"""The verifier as a TRL reward function, with honesty metrics in TRL's logs.

    from trl import GRPOTrainer
    from clients.trl import VerifierReward
    trainer = GRPOTrainer(model=..., train_dataset=load_dataset("json", data_files="la.jsonl"),
                          reward_funcs=[VerifierReward("127.0.0.1:50051")], ...)

It works on ``honest generate`` files as they are: TRL passes every dataset column
to reward functions as a keyword list aligned with ``completions``; the problem is
read from ``domain``/``premises``/``query`` when the rows have them, else from the
prompt text itself. Completions of the same problem are sent together as one
``VerifyGroup`` (the problem is solved once), and the groups of a batch are in
flight together: the reward is a coroutine, which TRL (≥ 1.16) runs on its reward
event loop next to other async rewards. Nothing the batch lacks is needed: whether
an item is answerable comes from the verifier's own answer (an ``answerable``
column, where present, is used instead).

Through TRL's ``log_metric`` it logs, under ``honest/``: ``reward_mean``,
``abstention_rate``, ``answerable_acc``, ``unanswerable_acc``, per-verdict counts
(``verdict/<v>``) and shares (``verdict_share/<v>``), ``zero_std_groups`` and
``injected_share`` (ANCHOR's gold rows, which are left out of the policy metrics).

It never invents a reward: a group the verifier cannot score (after the client's
UNAVAILABLE retries) raises :class:`~clients.scoring.ScoringFailed` and training
stops; TRL would read a ``None`` as "no signal" and carry on.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any, Callable, Sequence

from clients.results import RemoteError
from clients import scoring
from clients.scoring import GroupScore, GroupScorer, LocalScorer, ScoredCompletion, ScoringFailed
from clients.wire import problem_fields
from verifier.errors import HonestError, InvalidInput
from verifier.grading import CORRECT, VERDICTS, is_abstention

__all__ = ["VerifierReward", "ServiceScorer", "LocalScorer", "group_metrics", "is_abstention",
           "completion_text", "trl_reward_func"]

#: the column the ANCHOR trainer adds to mark its injected gold rows
INJECTED_COLUMN = "anchor_injected"


def completion_text(completion: Any) -> str:
    """TRL passes plain strings, or a message list for chat prompts."""
    if isinstance(completion, str):
        return completion
    return completion[-1]["content"]


def prompt_problem_text(prompt: Any) -> str:
    """The problem text of a prompt: the string, or a chat prompt's last user message."""
    if isinstance(prompt, str):
        return prompt
    users = [m["content"] for m in prompt if m.get("role") == "user"]
    if not users:
        raise InvalidInput("a chat prompt without a user message holds no problem")
    return users[-1]


def group_metrics(verdicts: Sequence[str], rewards: Sequence[float], answerable: Sequence[bool],
                  policy: Sequence[bool], groups: Sequence[Sequence[int]]) -> dict[str, float]:
    """Per-step metrics over a batch.

    Accuracy, abstention, verdicts and mean reward count the policy's own samples only
    (``policy[i]`` is False for injected gold trajectories), so ANCHOR's curves are not
    flattered by its injections. ``groups`` lists each group's row indices: the
    zero-variance share is over groups as trained, what leaves a group without gradient.
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
            m[f"verdict_share/{v}"] = counts[v] / len(own)
    if groups:
        m["zero_std_groups"] = sum(
            max(rewards[i] for i in g) == min(rewards[i] for i in g) for g in groups) / len(groups)
    m["injected_share"] = 1 - len(own) / max(1, len(policy))
    return m


def _key(problem: dict | str) -> tuple:
    if isinstance(problem, str):
        return ("text", problem)
    return (problem["domain"], tuple(problem["premises"]), problem["query"])


class VerifierReward:
    """A TRL reward function backed by a :class:`~clients.scoring.GroupScorer`.

    ``scorer``: a scorer, or a ``HOST:PORT`` of a verifier service (a
    :class:`ServiceScorer` is made, with ``token`` and per-verdict ``rewards``).
    ``group_size``: when given, the batch is checked to hold whole groups of that
    size and ``zero_std_groups`` is computed over them (what the ANCHOR trainer
    passes); otherwise completions are grouped by problem.

    :meth:`score_groups` lets the ANCHOR trainer grade sampled completions before it
    decides to inject; those grades are reused by the next call instead of asking
    the service twice.
    """

    __name__ = "verifier"  # TRL names the reward column after this

    def __init__(self, scorer: GroupScorer | str, group_size: int | None = None, *,
                 token: str | None = None, rewards: dict[str, float] | None = None,
                 metric_prefix: str = "honest/"):
        if isinstance(scorer, str):
            scorer = scoring.ServiceScorer(scorer, token=token, rewards=rewards)
        if not isinstance(scorer, GroupScorer):
            raise InvalidInput(f"scorer {scorer!r} has no score_group(problem, completions)")
        if group_size is not None and group_size < 1:
            raise InvalidInput(f"group_size must be positive, got {group_size}")
        self.scorer = scorer
        self.group_size = group_size
        self.metric_prefix = metric_prefix
        self._memo: dict[tuple, ScoredCompletion] = {}
        self._expected: dict[tuple, bool | None] = {}  # problem key → answerable

    # ------------------------------------------------------------ scoring

    @staticmethod
    def _checked(scored: GroupScore, item_id: str, n: int) -> GroupScore:
        if len(scored) != n:
            raise ScoringFailed(f"verifier returned {len(scored)} grades for {n} "
                                f"completions of item {item_id}")
        return scored

    @staticmethod
    def _failed(e: Exception, item_id: str) -> ScoringFailed:
        bad_input = isinstance(e, InvalidInput) or (
            isinstance(e, RemoteError) and e.code.name == "INVALID_ARGUMENT")
        if bad_input:  # the item itself is bad: no retry can help
            return ScoringFailed(f"verifier rejected item {item_id}: {e}")
        return ScoringFailed(f"verifier could not score item {item_id} ({type(e).__name__}: "
                             f"{e}); training stopped rather than use invented rewards")

    def _score(self, item_id: str, problem, texts: list[str]) -> GroupScore:
        try:
            return self._checked(self.scorer.score_group(problem, texts), item_id, len(texts))
        except ScoringFailed:
            raise
        except (HonestError, OSError, RuntimeError) as e:
            raise self._failed(e, item_id) from e

    async def _ascore(self, item_id: str, problem, texts: list[str]) -> GroupScore:
        try:
            scored = await self.scorer.ascore_group(problem, texts)
            return self._checked(scored, item_id, len(texts))
        except ScoringFailed:
            raise
        except (HonestError, OSError, RuntimeError) as e:
            raise self._failed(e, item_id) from e

    def _pending(self, rows: Sequence[dict], texts: Sequence[str]):
        """``(item_id, problem, indices)`` per problem with completions not graded yet."""
        by_problem: dict[tuple, tuple[str, Any, list[int]]] = {}
        seen: set[tuple] = set()  # (problem, text): each distinct completion is sent once
        for i, row in enumerate(rows):
            problem = row["problem"]
            key = _key(problem)
            if (key, texts[i]) in self._memo or (key, texts[i]) in seen:
                continue
            seen.add((key, texts[i]))
            by_problem.setdefault(key, (str(row.get("id", f"row {i}")), problem, []))[2].append(i)
        return list(by_problem.values())

    def _remember(self, problem, texts: Sequence[str], todo: list[int],
                  scored: GroupScore) -> None:
        key = _key(problem)
        # a GroupScore knows the honest answer; a scorer returning plain pairs does not
        self._expected[key] = getattr(scored, "answerable", None)
        for i, s in zip(todo, scored):
            self._memo[(key, texts[i])] = s

    def _recall(self, rows: Sequence[dict], texts: Sequence[str]) -> list[ScoredCompletion]:
        return [self._memo[(_key(rows[i]["problem"]), texts[i])] for i in range(len(texts))]

    @staticmethod
    def rows_of(columns: dict, prompts: Sequence[Any], n: int) -> list[dict]:
        """One ``{"id", "problem"}`` per completion from TRL's keyword columns."""
        has_fields = all(k in columns for k in ("domain", "premises", "query"))
        rows = []
        for i in range(n):
            if has_fields:
                problem = problem_fields({"domain": columns["domain"][i],
                                          "premises": columns["premises"][i],
                                          "query": columns["query"][i]})
            else:
                problem = problem_fields(prompt_problem_text(prompts[i]))
            rid = columns["id"][i] if "id" in columns else f"row {i}"
            rows.append({"id": rid, "problem": problem})
        return rows

    @staticmethod
    def _as_rows(rows: Sequence[dict]) -> list[dict]:
        """Accept dataset rows (domain/premises/query) as well as ``{"id", "problem"}``."""
        return [r if "problem" in r else {"id": r.get("id", f"row {i}"),
                                          "problem": problem_fields(r)}
                for i, r in enumerate(rows)]

    def score_groups(self, rows: Sequence[dict], texts: Sequence[str]) -> list[ScoredCompletion]:
        """Grade a flat batch (``rows[i]`` is ``texts[i]``'s dataset row), one call per problem."""
        rows = self._as_rows(rows)
        for item_id, problem, todo in self._pending(rows, texts):
            scored = self._score(item_id, problem, [texts[i] for i in todo])
            self._remember(problem, texts, todo, scored)
        return self._recall(rows, texts)

    async def ascore_groups(self, rows: Sequence[dict],
                            texts: Sequence[str]) -> list[ScoredCompletion]:
        """:meth:`score_groups`, with the groups in flight together when the scorer has
        ``ascore_group`` (the service client); in-process scorers run one group at a time."""
        rows = self._as_rows(rows)
        if not hasattr(self.scorer, "ascore_group"):
            return self.score_groups(rows, texts)
        pending = self._pending(rows, texts)
        results = await asyncio.gather(*(
            self._ascore(item_id, problem, [texts[i] for i in todo])
            for item_id, problem, todo in pending))
        for (_, problem, todo), scored in zip(pending, results):
            self._remember(problem, texts, todo, scored)
        return self._recall(rows, texts)

    # ------------------------------------------------------------ TRL entry point

    def _groups(self, rows: Sequence[dict]) -> list[list[int]]:
        n = len(rows)
        if self.group_size is not None:
            if n % self.group_size:
                raise RuntimeError(f"{n} completions is not a whole number of groups of "
                                   f"{self.group_size}")
            groups = [list(range(k, k + self.group_size)) for k in range(0, n, self.group_size)]
            for g in groups:  # TRL's sampler keeps one prompt's generations together
                ids = {(rows[i]["id"], _key(rows[i]["problem"])) for i in g}
                if len(ids) != 1:
                    raise RuntimeError(f"rows {g[0]}..{g[-1]} mix items "
                                       f"{sorted(str(x[0]) for x in ids)}: groups must hold "
                                       "one prompt's completions")
            return groups
        by_key: dict[tuple, list[int]] = {}
        for i, r in enumerate(rows):
            by_key.setdefault(_key(r["problem"]), []).append(i)
        return list(by_key.values())

    async def __call__(self, prompts: list, completions: list,
                       log_metric: Callable | None = None, **columns) -> list[float]:
        """TRL runs this coroutine on its reward event loop; outside TRL use
        ``asyncio.run(reward(prompts=..., completions=..., **columns))``."""
        n = len(completions)
        rows = self.rows_of(columns, prompts, n)
        groups = self._groups(rows)
        texts = [completion_text(c) for c in completions]
        try:
            scored = await self.ascore_groups(rows, texts)
            answerable = columns.get("answerable") or [
                self._expected[_key(r["problem"])] for r in rows]
            if None in answerable:
                raise ScoringFailed("the scorer returned no honest answer (a GroupScore) and "
                                    "the batch has no 'answerable' column")
        finally:
            self._memo.clear()  # grades are reused within one batch only
            self._expected.clear()
        verdicts = [v for v, _ in scored]
        rewards = [r for _, r in scored]
        injected = columns.get(INJECTED_COLUMN) or [False] * n
        metrics = group_metrics(verdicts, rewards, list(answerable), [not x for x in injected],
                                groups)
        if log_metric is not None:
            for name, value in metrics.items():
                log_metric(self.metric_prefix + name, value)
        return rewards


class ServiceScorer(scoring.ServiceScorer):
    """:class:`clients.scoring.ServiceScorer` that can also be passed to TRL as it is:
    ``GRPOTrainer(reward_funcs=[ServiceScorer("127.0.0.1:50051")])``."""

    __name__ = "honest_verifier"  # TRL names the reward column after this

    async def __call__(self, prompts: list, completions: list, **columns) -> list[float]:
        return await VerifierReward(self)(prompts=prompts, completions=completions, **columns)


def trl_reward_func(scorer: GroupScorer | str) -> VerifierReward:
    """A TRL ``reward_funcs`` entry (kept for older code; :class:`VerifierReward` is it)."""
    return VerifierReward(scorer)
