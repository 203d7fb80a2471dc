"""Prompt variants for evaluating a model: zero-shot and few-shot, through the chat template.

    cfg = PromptConfig("few-shot", shots=2)
    shots = shot_items(test_items, cfg)                 # a separate split, per task
    prompts = [build_prompt(it, "full", cfg, shots, chat=True) for it in test_items]
    texts = [render_prompt(tokenizer, p) for p in prompts]   # what the model reads

Variants (the names are public: ``honest eval --prompt``):

- ``zero-shot``: the item's prompt alone. Every generated prompt already carries the
  abstention instruction ("... if they do not, answer Unknown") and the answer format
  (``Answer: <value>``).
- ``few-shot``: ``shots`` solved items of the same task first, each with its gold
  trajectory, then the item. For a chat model each shot is a user turn and an
  assistant turn (the gold), so the model sees the format as its own earlier answers;
  for a model without a chat template the shots are plain text, one after another.

Shots come from a split the evaluated items are not in: ``--shots-data FILE`` (items from
``honest generate``), or by default items generated for the purpose with seed
:data:`SHOT_SEED`, depth 1-2 and each task's default knobs. Shots alternate answerable and
unanswerable (the generator spreads the unanswerable share evenly), so a few-shot prompt
always shows both an answer and an abstention; a shot whose premises equal an evaluated
item's is never used. ``system`` (``--system-prompt``) adds a system message; it needs a
chat template.
"""

from __future__ import annotations

from dataclasses import dataclass

from verifier.errors import InvalidInput

PROMPT_VARIANTS = ("zero-shot", "few-shot")
#: seed of the default shot split (items are deterministic per seed and index)
SHOT_SEED = 90_001
SHOT_DEPTH = "1-2"


@dataclass(frozen=True)
class PromptConfig:
    """How an item is put to the model (see module docstring)."""

    variant: str = "zero-shot"
    shots: int = 2
    system: str | None = None
    shots_data: str | None = None

    def __post_init__(self):
        if self.variant not in PROMPT_VARIANTS:
            raise InvalidInput(f"prompt variant must be one of {', '.join(PROMPT_VARIANTS)}, "
                               f"got {self.variant!r}")
        if self.variant == "few-shot" and self.shots < 1:
            raise InvalidInput(f"few-shot needs --shots >= 1, got {self.shots}")
        if self.system is not None and not self.system.strip():
            raise InvalidInput("--system-prompt is empty; leave it out for the model's default")

    @property
    def name(self) -> str:
        """The variant as tables name it: ``zero-shot`` or ``few-shot-2``."""
        return self.variant if self.variant == "zero-shot" else f"few-shot-{self.shots}"


def task_of(item: dict) -> str:
    meta = item.get("meta") or {}
    task = meta.get("task") if isinstance(meta, dict) else None
    if isinstance(task, str):
        return task
    return {"linear": "graphla", "logic": "graphli"}.get(item.get("domain"), str(item.get("domain")))


def shot_items(items: list[dict], cfg: PromptConfig) -> dict[str, list[dict]]:
    """Task → the ``cfg.shots`` shots for it (empty for zero-shot)."""
    if cfg.variant != "few-shot":
        return {}
    from verifier import tasks
    from trainer.data import is_answerable, read_items
    tasks_needed = sorted({task_of(it) for it in items})
    taken = {(tuple(it["premises"]), it["query"]) for it in items}
    pool: dict[str, list[dict]] = {t: [] for t in tasks_needed}
    if cfg.shots_data:
        for it in read_items(cfg.shots_data):
            if task_of(it) in pool:
                pool[task_of(it)].append(it)
    else:
        for t in tasks_needed:
            spec = tasks.get(t)
            pool[t] = list(spec.generate(spec.config(depth=SHOT_DEPTH), 4 * cfg.shots + 8,
                                         SHOT_SEED))
    chosen: dict[str, list[dict]] = {}
    for t in tasks_needed:
        fresh = [it for it in pool[t] if (tuple(it["premises"]), it["query"]) not in taken]
        # alternate answerable / unanswerable, in the split's order
        kinds = ([it for it in fresh if is_answerable(it)], [it for it in fresh
                                                               if not is_answerable(it)])
        picked = []
        while len(picked) < cfg.shots and (kinds[0] or kinds[1]):
            k = len(picked) % 2 if kinds[len(picked) % 2] else 1 - len(picked) % 2
            picked.append(kinds[k].pop(0))
        if len(picked) < cfg.shots:
            where = cfg.shots_data or "the generated shot split"
            raise InvalidInput(f"--shots {cfg.shots}: {where} has only {len(picked)} {t} items "
                               "that are not among the evaluated ones; give more items in "
                               "--shots-data or fewer --shots")
        chosen[t] = picked
    return chosen


def build_prompt(item: dict, style: str, cfg: PromptConfig, shots: dict[str, list[dict]],
                 chat: bool):
    """The prompt for ``item``: a message list when ``chat``, else one text."""
    from trainer.data import prompt_text
    examples = shots.get(task_of(item), []) if cfg.variant == "few-shot" else []
    if not chat:
        if cfg.system is not None:
            raise InvalidInput("--system-prompt needs a model with a chat template; this "
                               "tokenizer has none (leave --system-prompt out)")
        return "".join(prompt_text(s, style) + s["trajectory"] + "\n\n" for s in examples) + \
            prompt_text(item, style)
    messages = [{"role": "system", "content": cfg.system}] if cfg.system is not None else []
    for s in examples:
        messages += [{"role": "user", "content": prompt_text(s, style)},
                     {"role": "assistant", "content": s["trajectory"]}]
    messages.append({"role": "user", "content": prompt_text(item, style)})
    return messages


def has_chat_template(tokenizer) -> bool:
    return getattr(tokenizer, "chat_template", None) is not None


def render_prompt(tokenizer, prompt) -> str:
    """The text the model reads: a message list through the chat template (with the
    assistant turn opened), a plain text as it is."""
    if isinstance(prompt, str):
        return prompt
    if not has_chat_template(tokenizer):
        raise InvalidInput("this prompt is a chat, but the tokenizer has no chat template; "
                           "give a chat model, or a tokenizer directory with "
                           "chat_template.jinja")
    return tokenizer.apply_chat_template(prompt, add_generation_prompt=True, tokenize=False)
