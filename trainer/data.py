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
TEXT_FIELDS = ("id", "domain", "prompt", "query", "answer", "trajectory")


def _check_item(item: Any, where: str) -> dict[str, Any]:
    """The fields the trainers read, with the types they need; errors say which and where."""
    if not isinstance(item, dict):
        raise InvalidInput(f"{where}: expected a JSON object (an item from `honest generate`), "
                           f"got {type(item).__name__}")
    missing = [k for k in REQUIRED_FIELDS if k not in item]
    if missing:
        raise InvalidInput(f"{where}: missing field(s) {', '.join(missing)}; "
                           "expected items written by `honest generate`")
    for k in TEXT_FIELDS:
        if not isinstance(item[k], str):
            raise InvalidInput(f"{where}: field {k!r} must be a string, got "
                               f"{type(item[k]).__name__}")
    premises = item["premises"]
    if not isinstance(premises, list) or not all(isinstance(p, str) for p in premises):
        raise InvalidInput(f"{where}: field 'premises' must be a list of strings")
    meta = item.get("meta", {})
    if not isinstance(meta, dict):
        raise InvalidInput(f"{where}: field 'meta' must be an object, got {type(meta).__name__}")
    depth = meta.get("depth", -1)
    if isinstance(depth, bool) or not isinstance(depth, int):
        raise InvalidInput(f"{where}: meta.depth must be an integer, got {depth!r}")
    return item


def read_items(path: str) -> list[dict[str, Any]]:
    """Read a generated JSONL file; errors name the line and the missing field."""
    if not os.path.exists(path):
        raise InvalidInput(f"no such data file: {path} (make one with `honest generate`)")
    if not os.path.isfile(path):
        raise InvalidInput(f"data path {path} is not a file; give a JSONL file from "
                           "`honest generate`")
    items = []
    try:
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                except json.JSONDecodeError as e:
                    raise InvalidInput(f"{path} line {lineno}: not valid JSON ({e.msg})") from None
                items.append(_check_item(item, f"{path} line {lineno}"))
    except UnicodeDecodeError as e:
        raise InvalidInput(f"{path} is not UTF-8 text ({e.reason} at byte {e.start})") from None
    except OSError as e:
        raise InvalidInput(f"cannot read {path}: {e.strerror or e}") from None
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
