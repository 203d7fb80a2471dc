"""Which real model outputs come out ``unparsable``, and why: a census of an outputs file.

    .venv/bin/python benchmarks/unparsable_kinds.py runs/smollm2/zero-shot/outputs.jsonl
    .venv/bin/python benchmarks/unparsable_kinds.py a.jsonl b.jsonl --examples 2

Reads the ``outputs.jsonl`` that ``honest eval`` writes (or any file ``honest audit``
reads, with ``domain``/``premises``/``query`` and ``response``), grades every line with
the verifier in this process, and sorts each ``unparsable`` one into a kind:

- ``marker, value unreadable``: an answer marker was found, its value is no number,
  truth value or Unknown (``Answer: the box``);
- ``cut at the token cap``: no marker, and generation stopped at ``--max-new-tokens``
  (``completion_tokens`` equals the largest seen in the file) — usually a repetition loop;
- ``last line is about the asked quantity``: no answer was read, and the last line names the
  query's dish or proposition (``... is 3 dollars more than a taco.``);
- ``last line states another quantity``: no marker, the last line is about something else;
- ``empty``; ``other``.

It prints the verdict counts, then each kind with its count and examples. This is how
the README's census of SmolLM2's outputs was made (before / after the extractor learned
inline answers); nothing here changes a grade.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter, defaultdict

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from verifier.grading import UNPARSABLE, extract_answer, interpret_answer  # noqa: E402
from verifier.problem import Problem, solve  # noqa: E402
from verifier.grading import grade  # noqa: E402


def query_words(rec: dict) -> set[str]:
    """The words of the query's name: ``double_wrap`` → {double, wrap}; ``~box_loud`` →
    {box, loud}."""
    return {w for w in re.split(r"[^a-z]+", rec["query"].lower()) if w}


def kind_of(rec: dict, cap: int) -> str:
    text = rec["response"]
    if not text.strip():
        return "empty"
    if extract_answer(text) is not None:
        return "marker, value unreadable"
    if rec.get("completion_tokens") == cap:
        return "cut at the token cap"
    last = [ln for ln in text.strip().splitlines() if ln.strip()][-1].lower()
    words = set(re.split(r"[^a-z]+", last))
    qw = query_words(rec)
    if qw and qw <= words:
        return "last line is about the asked quantity"
    if re.search(r"\b(price|costs?|dollars?|is|are)\b", last):
        return "last line states another quantity"
    return "other"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outputs", nargs="+")
    ap.add_argument("--examples", type=int, default=1)
    args = ap.parse_args(argv)
    for path in args.outputs:
        recs = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
        cap = max((r.get("completion_tokens") or 0) for r in recs)
        verdicts, kinds, examples = Counter(), Counter(), defaultdict(list)
        for r in recs:
            solution = solve(Problem.make(r["domain"], r["premises"], r["query"]))
            verdict = grade(solution, r["response"]).verdict
            verdicts[verdict] += 1
            if verdict == UNPARSABLE:
                k = kind_of(r, cap)
                kinds[k] += 1
                if len(examples[k]) < args.examples:
                    examples[k].append(r["response"][:160])
        print(f"{path}: {len(recs)} outputs, token cap {cap}")
        print("  verdicts: " + ", ".join(f"{v} {n}" for v, n in verdicts.most_common()))
        for k, n in kinds.most_common():
            print(f"  unparsable / {k}: {n}")
            for e in examples[k]:
                print(f"      e.g. {e!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
