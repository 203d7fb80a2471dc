"""Hostile cases on what is graded: hostile completions (``"<answer>"*10000``,
``"\\boxed{"*3000``, 200 KB, EOS markers, ``Answer: 1 0/2``) on small problems with known
answers, and reward maps (non-finite, unknown verdicts, custom and huge values) on
canaries."""

from __future__ import annotations

import random

from .common import BAD_INPUT, CALL_TIMEOUT_S, pb
from .cases_text import fullwidth_digits
from .oracle import Want, completions_of, known, rejected
from .problems import CANARIES, describe, structured
from .session import Soak


def hostile_completions(ans: str) -> list[tuple[str, str, Want | None]]:
    """(name, completion, want or None for the oracle) for a problem whose answer is
    ``ans`` (a number)."""
    tail = f"\nAnswer: {ans}"
    ok = known([("correct", 1.0)])
    return [
        ("'<answer>'*10000", "<answer>" * 10_000, known([("unparsable", 0.0)])),
        ("'\\boxed{'*3000", "\\boxed{" * 3_000, known([("unparsable", 0.0)])),
        ("'answer '*28000 + answer line", "answer " * 28_000 + tail, ok),
        ("'Answer: 1\\n'*19000 + answer line", "Answer: 1\n" * 19_000 + f"Answer: {ans}", ok),
        ("'İ'*100 + answer line", "\u0130" * 100 + tail, ok),
        ("200,000 chars ending in the answer line", "x" * (200_000 - len(tail)) + tail, ok),
        ("200,001 chars", "x" * (200_001 - len(tail)) + tail, None),
        ("1 MB", "y" * (1_000_000 - len(tail)) + tail, None),
        ("'Answer: ' + ' '*100000 + answer + ' '*90000", "Answer: " + " " * 100_000 + ans +
         " " * 90_000, None),
        ("EOS marker", f"Answer: {ans}<|im_end|>", None),
        ("EOS inside the number", f"Answer: {ans[:1]}<|im_end|>{ans[1:]}",
         Want(grades=None, max_reward=0.0, answer="optional", codes=BAD_INPUT)),
        ("NUL after answer", f"Answer: {ans}\x00", None),
        ("fullwidth digits", "Answer: " + fullwidth_digits(ans), None),
        ("RTL override", f"Answer: \u202e{ans}", None),
        ("emoji", f"Answer: {ans} \U0001f389", None),
        ("nested boxed", "\\boxed{" * 100 + ans + "}" * 100, None),
        ("\\frac{1}{0}", "Answer: \\frac{1}{0}", None),
        ("5,000-digit answer", "Answer: " + "9" * 5_000, None),
        ("open <answer> then answer line", "<answer>" + tail, None),
    ]


async def completion(soak: Soak, rng: random.Random, which: int | None = None) -> None:
    """One hostile completion on a small fresh problem with a known answer."""
    k = soak.next_uid()
    prem, q = [f"s{k} = 20", f"t{k} = s{k} + 9"], f"t{k}"
    cases = hostile_completions("29")
    name, comp, want = cases[which if which is not None else rng.randrange(len(cases))]
    if want is None:
        want = soak.oracle.want("linear", prem, q, [comp])
    await soak.call("completion", f"completion {name} on {describe('linear', prem, q)} "
                    "(answer 29)", "Verify", pb.VerifyRequest(
                        problem=structured("linear", prem, q), completion=comp),
                    CALL_TIMEOUT_S, want)


async def spaced_digits(soak: Soak, rng: random.Random) -> None:
    """``Answer: 1 0/2`` must not read as 10/2 = 5."""
    k = soak.next_uid()
    prem, q = [f"s{k} = 2", f"t{k} = s{k} + 3"], f"t{k}"
    await soak.send_problem("completion", "linear", prem, q, ["Answer: 1 0/2"],
                            Want(max_reward=0.0, answer="optional", codes=BAD_INPUT),
                            label="'Answer: 1 0/2' when the answer is 5:")


async def rewards(soak: Soak, rng: random.Random, which: str | None = None) -> None:
    """Reward maps: non-finite (must be refused), unknown verdicts, custom values."""
    name, dom, prem, q, cs = CANARIES[rng.randrange(len(CANARIES))]
    which = which or rng.choice(["nan", "inf", "-inf", "bogus", "bogus_100k", "custom",
                                 "huge"])
    if which in ("nan", "inf", "-inf"):
        rw = {"correct": float(which)}
        want = rejected(f"the reward map holds {which}", forbidden_is="wrong_reward")
    elif which.startswith("bogus"):  # the error quotes the name: it must stay short
        rw = {"correct": 1.0, ("excellent" if which == "bogus" else "x" * 100_000): 2.0}
        want = rejected("the reward map names an unknown verdict")
    else:  # verdicts the map leaves out are worth 0
        rw = {"correct": 1e308, "wrong_answer": -1e308} if which == "huge" else \
            {"correct": 2.5, "wrong_answer": -1.0, "unwarranted_answer": -2.0,
             "wrong_abstention": 0.25, "unparsable": -0.5}
        want = known([(v, rw.get(v, 0.0)) for _, v, _ in cs])
    await soak.send_problem("rewards", dom, prem, q, completions_of(cs), want, rewards=rw,
                            label=f"canary '{name}' with reward map {which}:")
