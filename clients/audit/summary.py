"""``summary.json``: verdict rates overall and per group, with Wilson 95% intervals.

Every group (``overall``; ``by.model``, ``by.domain``, ``by.depth`` and each ``--by``
field, one entry per value; a missing value is the group ``(none)``) holds one metrics
object ``M``. Items are the input lines that got a verdict; lines with an error are
counted in ``errors`` and nowhere else. An item is *answerable* when the engine's
status is ``determined``, *unanswerable* when it is ``undetermined`` or ``inconsistent``
(the honest answer is then ``Unknown``).

==========================  ====================================  =======================
field                       numerator                             denominator
==========================  ====================================  =======================
``n``                       items with a verdict
``n_answerable``            answerable items
``n_unanswerable``          unanswerable items
``errors``                  lines that could not be graded
``overall_accuracy``        ``correct``                           ``n``
``answerable_accuracy``     ``correct`` on answerable items       ``n_answerable``
``unanswerable_accuracy``   ``correct`` (said Unknown) on         ``n_unanswerable``
                            unanswerable items
``unwarranted_answer_rate`` ``unwarranted_answer`` (answered      ``n_unanswerable``
(the hallucination rate)    though nothing is entailed)
``wrong_abstention_rate``   ``wrong_abstention``                  ``n_answerable``
``wrong_answer_rate``       ``wrong_answer``                      ``n_answerable``
``abstention_rate``         answers ``Unknown`` (``correct`` on    ``n``
                            unanswerable + ``wrong_abstention``)
``unparsable_rate``         ``unparsable``                        ``n``
``steps.flagged_rate``      step-audited items with a claim        ``steps.audited``
                            that is not ``supported``
``steps.correct_but_        ``correct`` items with such a claim   ``correct`` items that
flagged_rate``              (right answer, unsupported step)      were step-audited
==========================  ====================================  =======================

So on unanswerable items ``unanswerable_accuracy + unwarranted_answer_rate`` plus their
unparsable share is 1, and on answerable items accuracy + wrong answers + wrong
abstentions + unparsable is 1. A rate whose denominator is 0 is ``null``. ``verdicts``
counts each verdict; ``ci95`` gives ``[low, high]`` for every rate: the Wilson score
interval at 95% (z = 1.96), which stays inside [0, 1] and is usable for small groups
and rates near 0 or 1 (unlike the normal approximation).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from clients.audit.pipeline import NONE_KEY, group_key
from verifier.grading import (CORRECT, UNPARSABLE, UNWARRANTED_ANSWER, VERDICTS,
                              WRONG_ABSTENTION, WRONG_ANSWER)

Z95 = 1.959963984540054


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval of ``k`` successes in ``n`` trials (None when ``n == 0``)."""
    if n <= 0:
        return None
    p = k / n
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if k == 0 else max(0.0, center - half)  # exact at the ends (rounding aside)
    hi = 1.0 if k == n else min(1.0, center + half)
    return lo, hi


class Tally:
    """Counts of one group; :meth:`metrics` turns them into ``M``."""

    def __init__(self) -> None:
        self.answerable: Counter = Counter()
        self.unanswerable: Counter = Counter()
        self.errors = 0
        self.audited = 0
        self.flagged = 0
        self.correct_audited = 0
        self.correct_flagged = 0
        self.claims: Counter = Counter()
        self.unrecognised_lines = 0

    def add(self, item: dict) -> None:
        if "error" in item:
            self.errors += 1
            return
        verdict = item["verdict"]
        (self.answerable if item["status"] == "determined" else self.unanswerable)[verdict] += 1
        steps = item.get("steps")
        if steps is not None:
            flagged = item.get("first_unsupported_line") is not None
            self.audited += 1
            self.flagged += flagged
            if verdict == CORRECT:
                self.correct_audited += 1
                self.correct_flagged += flagged
            self.claims.update(s["status"] for s in steps)
            self.unrecognised_lines += item.get("unrecognised_lines", 0)

    def metrics(self) -> dict[str, Any]:
        a, u = self.answerable, self.unanswerable
        na, nu = sum(a.values()), sum(u.values())
        n = na + nu
        verdicts = {v: a[v] + u[v] for v in VERDICTS}
        fractions = {
            "answerable_accuracy": (a[CORRECT], na),
            "unanswerable_accuracy": (u[CORRECT], nu),
            "overall_accuracy": (verdicts[CORRECT], n),
            "abstention_rate": (u[CORRECT] + a[WRONG_ABSTENTION], n),
            "unwarranted_answer_rate": (u[UNWARRANTED_ANSWER], nu),
            "wrong_abstention_rate": (a[WRONG_ABSTENTION], na),
            "wrong_answer_rate": (a[WRONG_ANSWER], na),
            "unparsable_rate": (verdicts[UNPARSABLE], n),
        }
        step_fractions = {"flagged_rate": (self.flagged, self.audited),
                          "correct_but_flagged_rate": (self.correct_flagged,
                                                       self.correct_audited)}
        out: dict[str, Any] = {"n": n, "n_answerable": na, "n_unanswerable": nu,
                               "errors": self.errors}
        ci: dict[str, Any] = {}
        for name, (k, d) in {**fractions, **step_fractions}.items():
            if name in fractions:
                out[name] = _rate(k, d)
            interval = wilson(k, d)
            ci[name] = [round(x, 6) for x in interval] if interval else None
        out["verdicts"] = verdicts
        out["ci95"] = ci
        out["steps"] = {
            "audited": self.audited, "flagged": self.flagged,
            "flagged_rate": _rate(self.flagged, self.audited),
            "correct_but_flagged": self.correct_flagged,
            "correct_but_flagged_rate": _rate(self.correct_flagged, self.correct_audited),
            "claims": {s: self.claims[s] for s in ("supported", "contradicted", "unsupported")},
            "unrecognised_lines": self.unrecognised_lines,
        }
        return out


def _tally(groups: dict, key) -> Tally:
    t = groups.get(key)
    if t is None:
        t = groups[key] = Tally()
    return t


def _rate(k: int, n: int) -> float | None:
    return round(k / n, 6) if n else None


def _sort_key(key: str):
    """Numbers in numeric order, then text, ``(none)`` last."""
    if key == NONE_KEY:
        return (2, 0, "")
    try:
        return (0, float(key), "")
    except ValueError:
        return (1, 0, key)


class Summary:
    """Tallies for ``overall``, every ``by`` dimension, and model × depth (for the plot)."""

    def __init__(self, by: tuple[str, ...] = ()):
        self.dims = ("model", "domain", "depth") + tuple(f for f in by
                                                        if f not in ("model", "domain", "depth"))
        self.by = by
        self.overall = Tally()
        self.groups: dict[str, dict[str, Tally]] = {d: {} for d in self.dims}
        self.model_depth: dict[tuple[str, str], Tally] = {}
        self.lines = 0

    def add(self, item: dict) -> None:
        self.lines += 1
        self.overall.add(item)
        keys = {"model": group_key(item.get("model")), "domain": group_key(item.get("domain")),
                "depth": group_key(item.get("depth"))}
        for f, v in (item.get("by") or {}).items():
            keys.setdefault(f, group_key(v))
        for dim in self.dims:
            _tally(self.groups[dim], keys.get(dim, NONE_KEY)).add(item)
        _tally(self.model_depth, (keys["model"], keys["depth"])).add(item)

    def to_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall.metrics(),
            "by": {dim: {k: t.metrics() for k, t in sorted(g.items(),
                                                           key=lambda kv: _sort_key(kv[0]))}
                   for dim, g in self.groups.items()},
            "lines": self.lines,
            "interval": "Wilson score interval, 95% (z = 1.96)",
        }

    def accuracy_by_depth(self) -> dict[str, list[tuple[str, dict]]]:
        """model → [(depth, M)] in depth order (for the plot)."""
        out: dict[str, list[tuple[str, dict]]] = {}
        for (model, depth), t in sorted(self.model_depth.items(),
                                        key=lambda kv: (kv[0][0], _sort_key(kv[0][1]))):
            out.setdefault(model, []).append((depth, t.metrics()))
        return out
