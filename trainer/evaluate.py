"""Greedy evaluation graded by the verifier: accuracy on answerable / unanswerable items, per depth.

    report, records = evaluate_policy(model, tok, items, LocalScorer(), EvalConfig(), "compact")
    write_reports([report], "runs/x/eval")   # eval.json, eval.md, eval.png

Accuracy is the share of ``correct`` verdicts: the entailed value where the
premises determine one, ``Unknown`` where they do not. ``abstention`` is the
share of items answered ``Unknown`` (1.0 is the GRPO collapse).
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field

from verifier.errors import InvalidInput
from verifier.grading import CORRECT, UNWARRANTED_ANSWER, VERDICTS
from trainer.config import EvalConfig
from trainer.data import is_answerable
from trainer.prompts import (PromptConfig, build_prompt, has_chat_template, render_prompt,
                             shot_items)
from clients.scoring import GroupScorer
from clients.trl import is_abstention
from clients.wire import problem_fields


@dataclass
class EvalReport:
    name: str
    n: int
    overall: float
    answerable: float | None  # None: the set has no such items
    unanswerable: float | None
    abstention: float
    verdicts: dict[str, int] = field(default_factory=dict)
    #: depth → {"n", "answerable", "unanswerable", "overall"} (accuracies; None without items)
    by_depth: dict[int, dict] = field(default_factory=dict)
    #: unwarranted answers / unanswerable items (None without unanswerable items)
    hallucination: float | None = None
    #: the prompt variant (``zero-shot``, ``few-shot-2``; :mod:`trainer.prompts`)
    prompt: str = "zero-shot"
    #: generation cost: items/s and new tokens/s over the whole run, mean tokens per item
    items_per_second: float | None = None
    tokens_per_second: float | None = None
    prompt_tokens_mean: float | None = None
    completion_tokens_mean: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Generation:
    """Greedy completions of a list of prompts, with what they cost."""

    texts: list[str]
    prompt_tokens: list[int]
    completion_tokens: list[int]  # up to and including the end-of-sequence token
    seconds: float

    @property
    def items_per_second(self) -> float:
        return len(self.texts) / self.seconds if self.seconds > 0 else 0.0

    @property
    def tokens_per_second(self) -> float:
        """New (generated) tokens per second over the whole run, padding left out."""
        return sum(self.completion_tokens) / self.seconds if self.seconds > 0 else 0.0


def context_limit(model) -> int | None:
    return getattr(model.config, "max_position_embeddings", None)


def encode_prompts(tokenizer, prompts: list, max_new_tokens: int, limit: int | None,
                   names: list[str] | None = None) -> list[list[int]]:
    """Token ids of each prompt as the model reads it (chat template applied: a text
    prompt becomes one user message when the tokenizer has a template). Refuses a
    prompt that leaves no room for ``max_new_tokens`` in the model's ``limit``."""
    chat = has_chat_template(tokenizer)
    encoded = []
    for i, p in enumerate(prompts):
        if chat and isinstance(p, str):
            p = [{"role": "user", "content": p}]
        ids = tokenizer(render_prompt(tokenizer, p), add_special_tokens=False)["input_ids"]
        if limit is not None and len(ids) + max_new_tokens > limit:
            what = f"item {names[i]}" if names else f"prompt {i + 1}"
            raise InvalidInput(f"{what}: the prompt is {len(ids)} tokens and --max-new-tokens is "
                               f"{max_new_tokens}, more than the model's {limit} positions; "
                               "lower --max-new-tokens, use fewer --shots, or a model with a "
                               "longer context")
        encoded.append(ids)
    return encoded


def generate(model, tokenizer, prompts: list, cfg: EvalConfig, progress: bool = True,
             desc: str = "eval", names: list[str] | None = None) -> Generation:
    """Greedy completions, batched by prompt length (left padding). ``prompts`` are texts
    or chat message lists (:mod:`trainer.prompts`)."""
    import time

    import torch
    from tqdm import tqdm

    encoded = encode_prompts(tokenizer, prompts, cfg.max_new_tokens, context_limit(model), names)
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
    texts: list[str] = [""] * len(prompts)
    n_new = [0] * len(prompts)
    eos = tokenizer.eos_token_id
    model.eval()
    t0 = time.perf_counter()
    bar = tqdm(total=len(prompts), desc=desc, unit="item", disable=not progress, mininterval=0.5)
    for start in range(0, len(order), cfg.batch_size):
        idx = order[start:start + cfg.batch_size]
        width = max(len(encoded[i]) for i in idx)
        ids = torch.full((len(idx), width), tokenizer.pad_token_id)
        mask = torch.zeros((len(idx), width), dtype=torch.long)
        for row, i in enumerate(idx):  # (B, T) left-padded
            ids[row, width - len(encoded[i]):] = torch.tensor(encoded[i])
            mask[row, width - len(encoded[i]):] = 1
        with torch.no_grad():
            gen = model.generate(input_ids=ids.to(model.device),
                                 attention_mask=mask.to(model.device), do_sample=False,
                                 max_new_tokens=cfg.max_new_tokens,
                                 pad_token_id=tokenizer.pad_token_id, eos_token_id=eos)
        for row, i in enumerate(idx):
            new = gen[row, width:].tolist()  # (T_new,) padded after the EOS
            n_new[i] = new.index(eos) + 1 if eos in new else len(new)
            texts[i] = tokenizer.decode(new[:n_new[i]], skip_special_tokens=True)
        bar.update(len(idx))
    bar.close()
    return Generation(texts, [len(e) for e in encoded], n_new, time.perf_counter() - t0)


def _accuracy(records: list[dict], answerable: bool | None) -> float | None:
    sel = [r for r in records if answerable is None or r["answerable"] == answerable]
    return sum(r["verdict"] == CORRECT for r in sel) / len(sel) if sel else None


def summarize(name: str, records: list[dict], prompt: str = "zero-shot",
              generation: Generation | None = None) -> EvalReport:
    counts = Counter(r["verdict"] for r in records)
    unanswerable = [r for r in records if not r["answerable"]]
    depths: dict[int, list[dict]] = defaultdict(list)
    for r in records:
        depths[r["depth"]].append(r)
    by_depth = {d: {"n": len(rs), "answerable": _accuracy(rs, True),
                    "unanswerable": _accuracy(rs, False), "overall": _accuracy(rs, None)}
                for d, rs in sorted(depths.items())}
    n = len(records)
    return EvalReport(
        name=name, n=n, overall=_accuracy(records, None) or 0.0,
        answerable=_accuracy(records, True), unanswerable=_accuracy(records, False),
        abstention=sum(is_abstention(r["verdict"], r["answerable"]) for r in records) / max(1, n),
        verdicts={v: counts[v] for v in VERDICTS}, by_depth=by_depth,
        hallucination=(sum(r["verdict"] == UNWARRANTED_ANSWER for r in unanswerable)
                       / len(unanswerable)) if unanswerable else None,
        prompt=prompt, **(_costs(generation) if generation is not None else {}))


def _costs(g: Generation) -> dict:
    n = max(1, len(g.texts))
    return {"items_per_second": round(g.items_per_second, 3),
            "tokens_per_second": round(g.tokens_per_second, 1),
            "prompt_tokens_mean": round(sum(g.prompt_tokens) / n, 1),
            "completion_tokens_mean": round(sum(g.completion_tokens) / n, 1)}


def evaluate_policy(model, tokenizer, items: list[dict], scorer: GroupScorer, cfg: EvalConfig,
                    prompt_style: str, name: str = "model", progress: bool = True,
                    prompt_cfg: PromptConfig = PromptConfig()):
    """``(EvalReport, records)``; one record per item with its completion, verdict and
    token counts. ``prompt_cfg`` picks the prompt variant (:mod:`trainer.prompts`)."""
    chat = has_chat_template(tokenizer)
    shots = shot_items(items, prompt_cfg)
    prompts = [build_prompt(it, prompt_style, prompt_cfg, shots, chat) for it in items]
    gen = generate(model, tokenizer, prompts, cfg, progress, desc=f"eval {name}",
                   names=[it["id"] for it in items])
    records = []
    for i, (it, text) in enumerate(zip(items, gen.texts)):
        verdict, reward = scorer.score_group(problem_fields(it), [text])[0]
        records.append({"id": it["id"], "answerable": is_answerable(it),
                        "depth": int(it.get("meta", {}).get("depth", -1)),
                        "verdict": verdict, "reward": reward, "completion": text,
                        "prompt_tokens": gen.prompt_tokens[i],
                        "completion_tokens": gen.completion_tokens[i]})
    return summarize(name, records, prompt_cfg.name, gen), records


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def markdown_table(reports: list[EvalReport]) -> str:
    head = ["model", "n", "answerable acc", "unanswerable acc", "overall acc", "abstention",
            "hallucination"]
    head += list(VERDICTS)
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for r in reports:
        cells = [r.name, str(r.n), _fmt(r.answerable), _fmt(r.unanswerable), _fmt(r.overall),
                 _fmt(r.abstention), _fmt(r.hallucination)]
        cells += [str(r.verdicts.get(v, 0)) for v in VERDICTS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def depth_table(reports: list[EvalReport]) -> str:
    """Accuracy per reasoning depth, one row per (model, depth)."""
    head = ["model", "depth", "n", "answerable acc", "unanswerable acc", "overall acc"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for r in reports:
        for depth, d in sorted(r.by_depth.items(), key=lambda kv: int(kv[0])):
            cells = [r.name, str(depth), str(d["n"]), _fmt(d["answerable"]),
                     _fmt(d["unanswerable"]), _fmt(d["overall"])]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_reports(reports: list[EvalReport], out_dir: str, stem: str = "eval",
                  records: dict[str, list[dict]] | None = None) -> dict[str, str]:
    """``<stem>.json`` (reports and, if given, per-item records), ``<stem>.md`` (the table
    and the per-depth table), ``<stem>.png`` (the bars and accuracy by depth)."""
    from trainer.plots import plot_eval

    os.makedirs(out_dir, exist_ok=True)
    paths = {k: os.path.join(out_dir, f"{stem}.{k}") for k in ("json", "md", "png")}
    with open(paths["json"], "w") as f:
        json.dump({"reports": [r.to_dict() for r in reports], "records": records or {}}, f,
                  indent=1)
    with open(paths["md"], "w") as f:
        f.write(markdown_table(reports) + "\n\nPer depth:\n\n" + depth_table(reports) + "\n")
    plot_eval(reports, paths["png"])
    return paths
