"""Reward functions for verl and OpenRLHF, loaded by path from this file; each grades with the
verifier service. The contracts below were read from the released packages (verl 0.9.1, 0.6.1;
OpenRLHF 0.11.2, 0.8.4); ``tests/test_rl_adapters.py`` drives each function through copies of
the frameworks' own calling code in ``tests/frameworks/``.

verl (``reward.custom_reward_function.path=clients/rl_adapters.py``, ``.name=compute_score``; the
old top-level ``custom_reward_function`` key is read by verl ≤ 0.8 and, in 0.9.1, only by
``fully_async_main``) calls, once per sample and by keyword::

    compute_score(data_source=, solution_str=, ground_truth=, extra_info=, **kw) -> dict

verl uses ``["score"]`` as the reward and logs every other key per sample: ``acc`` (its core
validation metric), one 1.0/0.0 flag per verdict, ``abstained`` and ``answerable`` (numbers:
averaged into ``val-core``/``val-aux`` metrics), ``verdict`` and ``pred`` (the answer read; strings,
which verl's metric code skips and its generation dumps keep). Values are never ``None``: verl
0.6 averages every non-string extra key and would fail on one. verl ≤ 0.6's ``BatchRewardManager``
(``reward_model.reward_manager=batch``; verl ≥ 0.7 ships the class but no setting selects it)
calls ``compute_score_batch(data_sources=, solution_strs=, ground_truths=, extra_infos=, **kw)``,
which grades the whole batch in one ``VerifyBatch`` call.

OpenRLHF ≥ 0.8.4 (``--remote_rm_url clients/rl_adapters.py``) calls ``reward_func(queries,
prompts, labels)`` positionally with lists: 0.11 once per sample (lists of length 1), 0.8 once per
micro-batch. It returns ``{"rewards": (N,), "scores": (N,), "extra_logs": {key: (N,)}}``, float32
tensors; ``extra_logs`` has the same numeric flags as verl gets (OpenRLHF turns each into a
per-sample metric and averages it, so ``correct`` is logged as the share of correct samples).
``queries`` are prompt + completion, EOS text kept; the completion is the part after the prompt.

Ground truth (verl ``reward_model.ground_truth`` or ``extra_info["problem"]``, which wins) and
OpenRLHF labels are the problem: ``{"domain", "premises", "query"}`` as a dict or JSON text, as
``honest export --format verl|openrlhf`` writes it (the prompt text of a generated item works
too). A bare answer (``"12"``, ``12``, ``"True"``) is refused with a message saying so: the
verifier works the answer out from the premises.

The service is ``HONEST_VERIFIER`` (default ``127.0.0.1:50051``; a comma-separated list of
replicas or a ``dns:///`` name work too) with the token ``HONEST_VERIFIER_TOKEN``, read at each
call. Anything that cannot be scored raises; no reward of 0 is invented. OpenRLHF 0.11 catches
a reward function's exception, logs it at INFO and leaves that sample's reward ``None`` (training
then fails further on), so ``reward_func`` logs the cause at ERROR before raising.

The frameworks import this file with ``importlib.util.spec_from_file_location`` under a name of
their own, so it defines no dataclasses, and the ``honest-deduction`` package must be installed
in the trainer's environment (``pip install -e .``).
"""

from __future__ import annotations

import json
import logging
import numbers
import os
from functools import lru_cache
from typing import Any, Mapping, Sequence

try:
    from clients.client import VerifierClient
    from clients.results import GradeResult, SolveResult
    from clients.wire import problem_fields
    from verifier.problem import looks_like_bare_answer
    from verifier.errors import InvalidInput, excerpt
    from verifier.grading import FLAG_KEYS, verdict_flags
    from verifier.solution import UNKNOWN
except ImportError as e:  # loaded by path inside a trainer's environment
    raise ImportError(f"the reward functions in {__file__} need the honest-deduction package in "
                      f"this Python environment (pip install -e <the repository>): {e}") from e

ENV_TARGET = "HONEST_VERIFIER"
ENV_TOKEN = "HONEST_VERIFIER_TOKEN"
DEFAULT_TARGET = "127.0.0.1:50051"
#: deadline of one call to the service, seconds (a batch's problems are solved in parallel)
TIMEOUT_S = 120.0


_HELP = ('the problem as JSON {"domain", "premises", "query"}, as `honest export --format verl` '
         'writes it to reward_model.ground_truth and `honest export --format openrlhf` to label')

log = logging.getLogger("honest.rl_adapters")


def service_client() -> VerifierClient:
    """The client for ``$HONEST_VERIFIER`` / ``$HONEST_VERIFIER_TOKEN`` as they are now."""
    return _client_for(os.environ.get(ENV_TARGET) or DEFAULT_TARGET,
                       os.environ.get(ENV_TOKEN) or None)


@lru_cache(maxsize=8)
def _client_for(target: str, token: str | None) -> VerifierClient:
    return VerifierClient(target, token=token, timeout=TIMEOUT_S)


def problem_of(ground_truth: Any, where: str = "ground truth") -> dict | str:
    """The problem a ground truth / label stands for; InvalidInput saying what to pass otherwise."""
    if ground_truth is None:
        raise InvalidInput(f"{where} is missing; give {_HELP}")
    if isinstance(ground_truth, bytes):
        ground_truth = ground_truth.decode("utf-8")
    if isinstance(ground_truth, numbers.Number) or (
            isinstance(ground_truth, str) and looks_like_bare_answer(ground_truth)):
        raise InvalidInput(f"{where} is {excerpt(str(ground_truth))}, a bare answer; the verifier "
                           f"works the answer out from the premises, so give {_HELP}")
    try:
        fields = problem_fields(ground_truth)
    except InvalidInput as e:
        raise InvalidInput(f"{where}: {e.message}; give {_HELP}") from None
    if isinstance(fields, dict):  # premises may come as a numpy array of str (parquet)
        fields["premises"] = [str(p) for p in fields["premises"]]
        fields["domain"], fields["query"] = str(fields["domain"]), str(fields["query"])
    return fields


def _grade(problems: Sequence[dict | str],
           completions: Sequence[str]) -> list[tuple[GradeResult, SolveResult]]:
    """(grade, solution) per completion, in order; one VerifyBatch call, one group per problem."""
    groups: dict[str, tuple[dict | str, list[int]]] = {}
    for i, p in enumerate(problems):
        key = p if isinstance(p, str) else json.dumps(p, sort_keys=True)
        groups.setdefault(key, (p, []))[1].append(i)
    results = service_client().verify_batch(
        [(p, [completions[i] for i in idx]) for p, idx in groups.values()])
    out: list[Any] = [None] * len(problems)
    for (_, idx), res in zip(groups.values(), results, strict=True):
        if isinstance(res, Exception):
            res.add_note(f"(while grading samples {idx} of this call)")
            raise res
        if len(res.grades) != len(idx):
            raise RuntimeError(f"the service returned {len(res.grades)} grades for "
                               f"{len(idx)} completions")
        for i, g in zip(idx, res.grades):
            out[i] = (g, res.solution)
    return out


def _flags(grade: GradeResult, solution: SolveResult) -> dict[str, float]:
    """The per-sample flags (the same keys as the service's HTTP reply)."""
    return verdict_flags(grade.verdict, solution.expected != UNKNOWN)


# ---------------------------------------------------------------- verl


def _verl_problem(ground_truth: Any, extra_info: Any, where: str) -> dict | str:
    if isinstance(extra_info, Mapping) and extra_info.get("problem") is not None:
        return problem_of(extra_info["problem"], f"{where}extra_info['problem']")
    return problem_of(ground_truth, f"{where}reward_model.ground_truth")


def _verl_result(grade: GradeResult, solution: SolveResult) -> dict[str, Any]:
    flags = _flags(grade, solution)
    return {"score": float(grade.reward), "acc": flags["correct"], **flags,
            "verdict": grade.verdict, "pred": grade.answer if grade.answer is not None else ""}


def compute_score(data_source: Any = None, solution_str: str = "", ground_truth: Any = None,
                  extra_info: Mapping[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    """verl custom reward for one completion: ``{"score", "acc", <flags>, "verdict", "pred"}``.

    ``data_source`` and any further keyword (``reward_kwargs`` from the config, verl's
    ``reward_router_address`` / ``reward_model_tokenizer``) are accepted and not used.
    """
    problem = _verl_problem(ground_truth, extra_info, "")
    [(grade, solution)] = _grade([problem], [solution_str])
    return _verl_result(grade, solution)


def compute_score_batch(data_sources: Sequence[Any] | None = None,
                        solution_strs: Sequence[str] = (),
                        ground_truths: Sequence[Any] = (),
                        extra_infos: Sequence[Mapping[str, Any] | None] | None = None,
                        **kwargs: Any) -> list[dict[str, Any]]:
    """verl ``BatchRewardManager`` reward: :func:`compute_score`'s dict per completion, from
    one ``VerifyBatch`` call for the whole batch."""
    solution_strs, ground_truths = list(solution_strs), list(ground_truths)
    extra_infos = [None] * len(solution_strs) if extra_infos is None else list(extra_infos)
    if not len(solution_strs) == len(ground_truths) == len(extra_infos):
        raise InvalidInput(f"solution_strs, ground_truths and extra_infos must be equally long; "
                           f"got {len(solution_strs)}, {len(ground_truths)} and "
                           f"{len(extra_infos)}")
    problems = [_verl_problem(gt, ei, f"sample {i}: ")
                for i, (gt, ei) in enumerate(zip(ground_truths, extra_infos))]
    return [_verl_result(g, s) for g, s in _grade(problems, solution_strs)]


# ---------------------------------------------------------------- OpenRLHF


def _as_list(x: Any) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def reward_func(queries: Sequence[str] | str, prompts: Sequence[str] | str,
                labels: Sequence[Any] | Any, **kwargs: Any) -> dict[str, Any]:
    """OpenRLHF remote reward function: ``{"rewards", "scores", "extra_logs"}`` as float32
    tensors of shape (N,), N = number of queries (1 per call in OpenRLHF 0.11)."""
    import torch

    queries, prompts, labels = _as_list(queries), _as_list(prompts), _as_list(labels)
    try:
        if not len(queries) == len(prompts) == len(labels):
            raise InvalidInput(f"queries, prompts and labels must be equally long; got "
                               f"{len(queries)}, {len(prompts)} and {len(labels)}")
        problems = [problem_of(label, f"labels[{i}]") for i, label in enumerate(labels)]
        completions = [q[len(p):] if q.startswith(p) else q for q, p in zip(queries, prompts)]
        graded = _grade(problems, completions)
    except Exception:
        log.exception("reward_func could not score %d sample(s); OpenRLHF leaves their rewards "
                      "None", len(queries))
        raise
    rewards = torch.tensor([g.reward for g, _ in graded], dtype=torch.float32)  # (N,)
    flags = [_flags(g, s) for g, s in graded]
    extra_logs = {k: torch.tensor([f[k] for f in flags], dtype=torch.float32)  # (N,) each
                  for k in FLAG_KEYS}
    return {"rewards": rewards, "scores": rewards.clone(), "extra_logs": extra_logs}
