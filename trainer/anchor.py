"""ANCHOR on TRL's GRPOTrainer: a gold trajectory in every rollout group.

Plain GRPO on a 50/50 answerable/unanswerable set can collapse to
"always Unknown": when every sample of an answerable prompt is wrong the group
has zero reward variance and no gradient, while "Unknown" keeps earning reward
on the unanswerable half. ANCHOR (arXiv 2511.09222) replaces ``n_inject`` of
the G sampled completions of a group with the item's gold trajectory, so every
group holds a positive sample; its gradient acts like a clipped SFT term that
fades as the policy's own samples become correct.

How it sits in TRL 1.16 (``GRPOTrainer._generate_and_score_completions``):

1. ``_generate`` samples G completions per prompt. :meth:`AnchorGRPOTrainer._generate`
   (the one hook overridden) then swaps the last ``n_inject`` of a group for
   the tokenized gold + EOS — before anything is padded, scored or normalised.
   With ``always`` those rows are never sampled (``_generate_single_turn``
   generates G − n_inject per prompt), so injection costs no generation time.
2. TRL pads, and computes ``old_per_token_logps`` (when needed) and the
   reference log-probs with teacher-forced forward passes over *all* rows —
   so the injected sequence's log-probs always come from the current policy,
   never from a sampler. With one update per generation (our setting) TRL
   uses ``per_token_logps.detach()`` as "old", so the ratio is exactly 1.
3. The reward function grades the gold like any other completion (it is
   flagged by the ``anchor_injected`` column only so metrics can leave it out),
   and it enters the group's mean/std advantage normalisation.
4. Sampling-only corrections: a sampler's log-probs (vLLM) are set to ``None``
   for the injected tokens; TRL reads them as NaN, gives those tokens a zero
   log-ratio, so the importance-sampling weight is exactly 1 and the
   off-policy mask keeps them.

``injection=None`` is plain GRPO: the same class, nothing swapped.
"""

from __future__ import annotations

from dataclasses import dataclass

from trl import GRPOTrainer

from verifier.errors import InvalidInput
from verifier.grading import CORRECT
from trainer.config import INJECT_MODES
from clients.trl import INJECTED_COLUMN, VerifierReward, completion_text



@dataclass(frozen=True)
class Injection:
    """Where gold trajectories go: ``n_inject`` per group, ``always`` or ``on_failure``."""

    mode: str = "always"
    n_inject: int = 1
    gold_column: str = "trajectory"

    def __post_init__(self):
        if self.mode not in INJECT_MODES:
            raise InvalidInput(f"injection mode must be one of {', '.join(INJECT_MODES)}, "
                               f"got {self.mode!r}")
        if self.n_inject < 1:
            raise InvalidInput(f"n_inject must be >= 1, got {self.n_inject}")


def plan_group(mode: str, n_inject: int, group_size: int,
               sampled_correct: list[bool] | None) -> list[bool]:
    """Which members of one group get the gold: the last ``n_inject``, unless
    ``mode == "on_failure"`` and some sampled completion was correct."""
    if mode == "on_failure":
        if sampled_correct is None:
            raise ValueError("on_failure injection needs the sampled completions' grades")
        if any(sampled_correct):
            return [False] * group_size
    return [False] * (group_size - n_inject) + [True] * n_inject


class AnchorGRPOTrainer(GRPOTrainer):
    """``GRPOTrainer`` + gold-trajectory injection (see module docstring).

    Extra arguments: ``injection`` (an :class:`Injection`, or ``None`` for
    GRPO). The train dataset must carry ``injection.gold_column``; with
    ``on_failure``, a :class:`~clients.trl.VerifierReward` must be among
    ``reward_funcs`` (it grades the samples before injection, and its grades
    are reused for the rewards).
    """

    def __init__(self, *args, injection: Injection | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.injection = injection
        self._batch_rows: list[dict] | None = None
        self._grader: VerifierReward | None = None
        if injection is None:
            return
        if injection.n_inject >= self.num_generations:
            raise InvalidInput(f"n_inject ({injection.n_inject}) must be below the group size "
                               f"({self.num_generations}): a group needs a sampled completion")
        if self.tools:
            raise InvalidInput("ANCHOR injection with tool calling is not supported")
        columns = getattr(self.train_dataset, "column_names", None) or []
        if columns and injection.gold_column not in columns:
            raise InvalidInput(f"the train dataset has no {injection.gold_column!r} column to "
                               "inject; give items with gold trajectories")
        if injection.mode == "on_failure":
            graders = [f for f in self.reward_funcs if isinstance(f, VerifierReward)]
            if not graders:
                raise InvalidInput("inject='on_failure' needs a VerifierReward among the reward "
                                   "functions to grade sampled completions before injecting")
            self._grader = graders[0]

    # TRL hands the dataset rows to this method and only the prompts to `_generate`;
    # keep the rows for the duration of one generation batch.
    def _generate_and_score_completions(self, inputs):
        self._batch_rows = inputs
        try:
            return super()._generate_and_score_completions(inputs)
        finally:
            self._batch_rows = None

    def _generate_single_turn(self, prompt_ids, images, multimodal_fields, num_generations,
                              *args, **kwargs):
        """With ``always`` injection, the rows the gold will replace are not sampled at
        all (G − n_inject samples per prompt instead of G); they get a one-token
        placeholder that :meth:`_inject` swaps for the gold. vLLM and multimodal
        batches sample every row (their batching assumes whole groups)."""
        inj = self.injection
        skip = (inj is not None and inj.mode == "always" and self.model.training
                and not self.use_vllm and images is None and not multimodal_fields
                and len(prompt_ids) % self.num_generations == 0)
        if not skip:
            return super()._generate_single_turn(prompt_ids, images, multimodal_fields,
                                                 num_generations, *args, **kwargs)
        plan = plan_group("always", inj.n_inject, self.num_generations, None) * (
            len(prompt_ids) // self.num_generations)
        keep = [i for i, gold in enumerate(plan) if not gold]
        sampled, logprobs = super()._generate_single_turn(
            [prompt_ids[i] for i in keep], images, multimodal_fields, num_generations,
            *args, **kwargs)
        completion_ids: list = [[self._tokenizer.eos_token_id]] * len(prompt_ids)
        for i, ids in zip(keep, sampled):
            completion_ids[i] = ids
        if logprobs is not None:
            full: list = [[None]] * len(prompt_ids)
            for i, lp in zip(keep, logprobs):
                full[i] = lp
            logprobs = full
        return completion_ids, logprobs

    def _generate(self, prompts: list):
        (prompt_ids, completion_ids, tool_mask, completions, logprobs, extra_fields, images,
         tool_images) = super()._generate(prompts)
        injected = [False] * len(prompts)
        if self.injection is not None and self.model.training:
            completion_ids, completions, logprobs, injected = self._inject(
                completion_ids, completions, logprobs)
        extra_fields = {**extra_fields, INJECTED_COLUMN: injected}  # reaches the reward kwargs
        return (prompt_ids, completion_ids, tool_mask, completions, logprobs, extra_fields,
                images, tool_images)

    def _inject(self, completion_ids, completions, logprobs):
        rows, g, inj = self._batch_rows, self.num_generations, self.injection
        if rows is None or len(rows) != len(completion_ids):
            raise RuntimeError("ANCHOR: generation batch rows are not available")
        grades = None
        if inj.mode == "on_failure":
            grades = self._grader.score_groups(rows, [completion_text(c) for c in completions])
        plan: list[bool] = []
        for start in range(0, len(rows), g):
            correct = None if grades is None else [v == CORRECT for v, _ in grades[start:start + g]]
            plan += plan_group(inj.mode, inj.n_inject, g, correct)
        golds = [row[inj.gold_column] for row in rows]
        tok = getattr(self.processing_class, "tokenizer", self.processing_class)
        return (*apply_injection(completion_ids, completions, logprobs, golds, plan, tok), plan)


def apply_injection(completion_ids: list, completions: list, logprobs: list | None,
                    golds: list[str], plan: list[bool], tokenizer):
    """Swap row ``i`` for ``golds[i]`` wherever ``plan[i]``; returns new lists
    ``(completion_ids, completions, logprobs)``.

    The gold becomes its tokens + EOS; its text is what those tokens decode to
    (what the verifier will grade). Its sampler log-probs are ``None``: there
    was no sampler, and TRL turns ``None`` into a zero log-ratio (IS weight 1).
    """
    chat = bool(completions) and not isinstance(completions[0], str)
    completion_ids, completions = list(completion_ids), list(completions)
    logprobs = list(logprobs) if logprobs is not None else None
    for i, flag in enumerate(plan):
        if not flag:
            continue
        ids = list(tokenizer(golds[i], add_special_tokens=False)["input_ids"])
        ids.append(tokenizer.eos_token_id)
        text = tokenizer.decode(ids, skip_special_tokens=True)
        completion_ids[i] = ids
        completions[i] = [{"role": "assistant", "content": text}] if chat else text
        if logprobs is not None:
            logprobs[i] = [None] * len(ids)
    return completion_ids, completions, logprobs
