"""Generated items (JSONL) → what the trainers read.

    items = read_items("train.jsonl")              # list of item dicts, checked
    ds = rl_dataset(items, "compact", chat=False)  # prompt + the columns the reward needs
    ds = sft_dataset(items, "compact", chat=False) # prompt + completion (the gold trajectory)

Prompt styles:
- ``full``: the item's prompt as generated (facts, question, answer-format
  instruction). Used for real models (``--model``).
- ``compact``: the same prompt without the instruction sentence, ending right
  after the question. The embedded model learns the answer format from its
  warm-up instead, and every token saved is CPU time saved. The facts and the
  question are unchanged, so the verifier grades exactly the same problem.

With ``chat=True`` (the tokenizer has a chat template) the prompt becomes one
user message and TRL applies the template.
"""

from __future__ import annotations

import json
import os
from typing import Any

from verifier.errors import InvalidInput
from verifier.solution import UNKNOWN

REQUIRED_FIELDS = ("id", "domain", "prompt", "premises", "query", "answer", "trajectory")


def read_items(path: str) -> list[dict[str, Any]]:
    """Read a generated JSONL file; errors name the line and the missing field."""
    if not os.path.exists(path):
        raise InvalidInput(f"no such data file: {path} (make one with `honest generate`)")
    items = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as e:
                raise InvalidInput(f"{path} line {lineno}: not valid JSON ({e.msg})") from None
            missing = [k for k in REQUIRED_FIELDS if k not in item]
            if missing:
                raise InvalidInput(f"{path} line {lineno}: missing field(s) {', '.join(missing)}; "
                                   "expected items written by `honest generate`")
            items.append(item)
    if not items:
        raise InvalidInput(f"{path} holds no items")
    return items


def write_items(items: list[dict], path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for it in items:
            f.write(json.dumps(it, ensure_ascii=False) + "\n")


def is_answerable(item: dict) -> bool:
    """The generator proved the label: ``Unknown`` means the premises determine nothing."""
    return item["answer"] != UNKNOWN


def prompt_text(item: dict, style: str) -> str:
    """The prompt in ``style`` (see module docstring)."""
    text = item["prompt"]
    if style == "full":
        return text
    if style != "compact":
        raise InvalidInput(f"prompt style must be full or compact, got {style!r}")
    start = text.find("Question:")
    end = text.find("?", start)
    if start < 0 or end < 0:
        raise InvalidInput(f"item {item.get('id')}: prompt has no 'Question: ...?' line; use the "
                           "full prompt style for this data")
    return text[:end + 1] + "\n"


def _prompt(item: dict, style: str, chat: bool):
    text = prompt_text(item, style)
    return [{"role": "user", "content": text}] if chat else text


def _problem_columns(item: dict) -> dict[str, Any]:
    return {"id": item["id"], "domain": item["domain"], "premises": list(item["premises"]),
            "query": item["query"], "answerable": is_answerable(item),
            "depth": int(item.get("meta", {}).get("depth", -1))}


def rl_dataset(items: list[dict], style: str, chat: bool):
    """Columns: prompt, trajectory (the gold, for ANCHOR) and the problem (for the reward)."""
    from datasets import Dataset
    rows = [{"prompt": _prompt(it, style, chat), "trajectory": it["trajectory"],
             **_problem_columns(it)} for it in items]
    return Dataset.from_list(rows)


def sft_dataset(items: list[dict], style: str, chat: bool):
    """Prompt-completion pairs: TRL's SFTTrainer masks the prompt and appends EOS."""
    from datasets import Dataset
    if chat:
        rows = [{"prompt": _prompt(it, style, True),
                 "completion": [{"role": "assistant", "content": it["trajectory"]}]}
                for it in items]
    else:
        rows = [{"prompt": prompt_text(it, style), "completion": it["trajectory"]} for it in items]
    return Dataset.from_list(rows)
