"""Checking answers: a call's ``Outcome``, the ``Finding`` a check records, what every
answer must be whatever was asked (valid verdicts, finite rewards, documented item errors),
and how the items of an answer differ from what they must get (``Want``)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .common import CODE_NAMES, DOCUMENTED, HUGE_MESSAGE_CHARS, VERDICTS, short
from .oracle import ANY, Want


@dataclass
class Finding:
    kind: str      # crash | hang | wrong_reward | internal | bad_status | warning
    phase: str
    what: str      # what went wrong
    repro: str     # the request that shows it

    def line(self) -> str:
        return f"[{self.kind}] {self.phase}: {self.what}\n      reproduce: {self.repro}"


@dataclass
class Outcome:
    code: str
    response: object
    details: str
    seconds: float


def same_reward(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def response_items(rpc: str, out: Outcome) -> list[tuple]:
    """Per item: ("err", code, message) or ("ok", [(verdict, reward)], expected)."""
    if out.code != "OK":
        return [("err", out.code, out.details)]
    r = out.response
    if rpc in ("Verify", "VerifyGroup", "Solve"):
        r = [r]
    elif rpc == "VerifyBatch":
        r = list(r.groups)
    elif rpc == "VerifyStream":
        r = list(r)
    else:  # raw bytes: nothing to compare
        return []
    items = []
    for x in r:
        if "error" in x.DESCRIPTOR.fields_by_name and x.HasField("error"):
            items.append(("err", CODE_NAMES.get(x.error.code, str(x.error.code)),
                          x.error.message))
        elif hasattr(x, "grades"):
            items.append(("ok", [(g.verdict, g.reward) for g in x.grades],
                          x.solution.expected))
        elif hasattr(x, "grade"):
            items.append(("ok", [(x.grade.verdict, x.grade.reward)], x.solution.expected))
        else:
            items.append(("ok", [], x.solution.expected))
    return items


def check_response(rpc: str, resp) -> list[tuple[str, str]]:
    """Every answer, whatever was asked: valid verdicts, finite rewards, documented
    item errors, a mean that is the mean."""
    if rpc.startswith("raw"):
        return []
    bad: list[tuple[str, str]] = []
    items = response_items(rpc, Outcome("OK", resp, "", 0.0))
    for i, item in enumerate(items):
        where = f"item {i}: " if len(items) > 1 else ""
        if item[0] == "err":
            code, msg = item[1], item[2]
            if code in ("INTERNAL", "UNKNOWN"):
                bad.append(("internal", f"{where}item error {code}: {short(msg, 160)}"))
            elif code not in DOCUMENTED:
                bad.append(("bad_status", f"{where}item error {code}: {short(msg, 160)}"))
            if len(msg) > HUGE_MESSAGE_CHARS:
                bad.append(("warning", f"{where}item error message of {len(msg):,} "
                                       "characters"))
            continue
        for verdict, reward in item[1]:
            if verdict not in VERDICTS:
                bad.append(("wrong_reward", f"{where}verdict {verdict!r} is not a verdict"))
            if not math.isfinite(reward):
                bad.append(("wrong_reward", f"{where}non-finite reward {reward} ({verdict})"))
    if rpc == "VerifyGroup" and resp.grades:
        mean = sum(g.reward for g in resp.grades) / len(resp.grades)
        if math.isfinite(mean) and not math.isclose(mean, resp.mean_reward, rel_tol=1e-9,
                                                    abs_tol=1e-12):
            bad.append(("wrong_reward", f"mean_reward {resp.mean_reward} is not the mean "
                                        f"{mean} of the grades"))
    return bad


def check_wants(rpc: str, out: Outcome, wants: list[Want]) -> list[tuple[str, str]]:
    """(kind, what) for every way the items differ from what they must get."""
    items = response_items(rpc, out)
    if out.code == "OK" and rpc.startswith("raw"):
        return []
    if out.code != "OK" and len(wants) != 1:  # the whole batch/stream failed
        wants = wants[:1] or [ANY]
    if out.code == "OK" and len(items) != len(wants):
        return [("wrong_reward", f"{len(items)} results for {len(wants)} items")]
    bad = []
    for i, (item, want) in enumerate(zip(items, wants)):
        where = f"item {i}: " if len(wants) > 1 else ""
        if item[0] == "err":
            code = item[1]
            if code in want.codes or code in ("INTERNAL", "UNKNOWN", "HANG"):
                continue  # accepted, or already counted as a defect
            if want.answer == "required":
                kind = "hang" if code == "DEADLINE_EXCEEDED" else "wrong_reward"
                bad.append((kind, f"{where}a known answer was not given: {code} after "
                                  f"{out.seconds:.1f} s: {short(item[2], 140)}"))
            else:
                bad.append(("warning", f"{where}{code} ({short(item[2], 100)}); expected "
                                       f"an answer or {sorted(want.codes)}"))
            continue
        grades, expected = item[1], item[2]
        if want.answer == "forbidden":
            bad.append((want.forbidden_is, f"{where}answered although {want.why} "
                                           f"(got {grades or expected})"))
        if want.grades is not None:
            diffs = [(j, g, w) for j, (g, w) in enumerate(zip(grades, want.grades))
                     if w is not None and (g[0] != w[0] or not same_reward(g[1], w[1]))]
            if len(grades) != len(want.grades):
                bad.append(("wrong_reward", f"{where}{len(grades)} grades for "
                                            f"{len(want.grades)} completions"))
            elif diffs:
                j, g, w = diffs[0]
                bad.append(("wrong_reward", f"{where}completion {j}: got {g[0]} reward "
                                            f"{g[1]}, expected {w[0]} reward {w[1]}"
                                            + (f" ({len(diffs)} grades wrong)"
                                               if len(diffs) > 1 else "")))
        if want.expected is not None and expected != want.expected:
            bad.append(("wrong_reward", f"{where}expected answer {expected!r}, the right "
                                        f"one is {want.expected!r}"))
        if want.max_reward is not None and any(r > want.max_reward for _, r in grades):
            bad.append(("wrong_reward", f"{where}rewarded {grades} (at most "
                                        f"{want.max_reward} is right)"))
    return bad
