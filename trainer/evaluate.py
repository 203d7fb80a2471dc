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

from verifier.grading import CORRECT, VERDICTS
from trainer.config import EvalConfig
from trainer.data import is_answerable, prompt_text
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

    def to_dict(self) -> dict:
        return asdict(self)


def generate_greedy(model, tokenizer, prompts: list[str], cfg: EvalConfig,
                    progress: bool = True, desc: str = "eval") -> list[str]:
    """Greedy completions, batched by prompt length (left padding)."""
    import torch
    from tqdm import tqdm

    chat = getattr(tokenizer, "chat_template", None) is not None
    if chat:
        prompts = [tokenizer.apply_chat_template([{"role": "user", "content": p}],
                                                 add_generation_prompt=True, tokenize=False)
                   for p in prompts]
    encoded = [tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
    out: list[str] = [""] * len(prompts)
    model.eval()
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
                                 pad_token_id=tokenizer.pad_token_id,
                                 eos_token_id=tokenizer.eos_token_id)
        for row, i in enumerate(idx):
            out[i] = tokenizer.decode(gen[row, width:].tolist(), skip_special_tokens=True)
        bar.update(len(idx))
    bar.close()
    return out


def _accuracy(records: list[dict], answerable: bool | None) -> float | None:
    sel = [r for r in records if answerable is None or r["answerable"] == answerable]
    return sum(r["verdict"] == CORRECT for r in sel) / len(sel) if sel else None


def summarize(name: str, records: list[dict]) -> EvalReport:
    counts = Counter(r["verdict"] for r in records)
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
        verdicts={v: counts[v] for v in VERDICTS}, by_depth=by_depth)


def evaluate_policy(model, tokenizer, items: list[dict], scorer: GroupScorer, cfg: EvalConfig,
                    prompt_style: str, name: str = "model", progress: bool = True):
    """``(EvalReport, records)``; one record per item with its completion and verdict."""
    completions = generate_greedy(model, tokenizer, [prompt_text(it, prompt_style) for it in items],
                                  cfg, progress, desc=f"eval {name}")
    records = []
    for it, text in zip(items, completions):
        verdict, reward = scorer.score_group(problem_fields(it), [text])[0]
        records.append({"id": it["id"], "answerable": is_answerable(it),
                        "depth": int(it.get("meta", {}).get("depth", -1)),
                        "verdict": verdict, "reward": reward, "completion": text})
    return summarize(name, records), records


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def markdown_table(reports: list[EvalReport]) -> str:
    head = ["model", "n", "answerable acc", "unanswerable acc", "overall acc", "abstention"]
    head += list(VERDICTS)
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for r in reports:
        cells = [r.name, str(r.n), _fmt(r.answerable), _fmt(r.unanswerable), _fmt(r.overall),
                 _fmt(r.abstention)]
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
