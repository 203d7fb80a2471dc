"""Expectations: what one item of a request must get (``Want``), the shorthands that build
one, completions with known verdicts, and the in-process oracle that computes the expected
outcome of a small request from the verifier core (the same core the workers run: it
catches service-layer bugs, not engine bugs)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .common import BAD_INPUT, DOCUMENTED, SLOW_CODES, short

CORRECT = ("correct", 1.0)  # the grade of a right answer under the default rewards


@dataclass(frozen=True)
class Want:
    """What one item (a Verify, a group, a Solve) must get.

    ``grades``: (verdict, reward) per completion when answered (None entries: any valid
    grade); ``expected``: the Solution's expected answer; ``codes``: error codes accepted
    instead of an answer; ``answer``: "required" (an error outside ``codes`` is a wrong
    reward: a known answer was not given), "optional", or "forbidden" (an answer is a
    ``forbidden_is`` finding: a bound not enforced, a problem that does not parse).
    """
    grades: tuple | None = None
    expected: str | None = None
    codes: frozenset = frozenset()
    answer: str = "required"
    forbidden_is: str = "warning"
    why: str = ""
    max_reward: float | None = None


ANY = Want(answer="optional", codes=frozenset(DOCUMENTED - {"OK"}))


def known(grades, expected=None, codes=frozenset()) -> Want:
    return Want(grades=tuple(grades), expected=expected, codes=frozenset(codes))


def rejected(why: str, codes=BAD_INPUT, forbidden_is: str = "warning", grades=None) -> Want:
    return Want(grades=tuple(grades) if grades else None, codes=frozenset(codes),
                answer="forbidden", forbidden_is=forbidden_is, why=why)


def optional(grades=None, codes=BAD_INPUT | SLOW_CODES, expected=None) -> Want:
    return Want(grades=tuple(grades) if grades else None, codes=frozenset(codes),
                answer="optional", expected=expected)


SOLVED_OR_SLOW = known([CORRECT], codes=SLOW_CODES)  # "Answer: <the answer>", or too slow


def completions_of(graded: list[tuple[str, str, float]]) -> list[str]:
    """The completions of (completion, verdict, reward) triples."""
    return [c for c, _, _ in graded]


def grades_of(graded: list[tuple[str, str, float]]) -> list[tuple[str, float]]:
    """The (verdict, reward) grades of (completion, verdict, reward) triples."""
    return [(v, r) for _, v, r in graded]


def right_and_wrong(answer: str, domain: str) -> list[tuple[str, str, float]]:
    """Completions with known verdicts for a problem whose honest answer is ``answer``."""
    out = [(f"Working it out.\nAnswer: {answer}", "correct", 1.0),
           ("I cannot tell.", "unparsable", 0.0)]
    if answer == "Unknown":
        out.append(("Answer: 7" if domain == "linear" else "Answer: True",
                    "unwarranted_answer", 0.0))
    else:
        out.append(("Answer: Unknown", "wrong_abstention", 0.0))
        if domain == "logic":
            out.append((f"Answer: {'False' if answer == 'True' else 'True'}", "wrong_answer", 0.0))
        else:
            v = Fraction(answer) + 1
            out.append((f"Answer: {v.numerator if v.denominator == 1 else v}", "wrong_answer",
                        0.0))
    return out


class Oracle:
    """The expected outcome of a small request, from the verifier core in this process."""

    MAX_CHARS = 6_000

    def __init__(self):
        from verifier import errors, grading, problem
        from verifier.tasks import problem_from_text
        self.errors, self.grading, self.problem = errors, grading, problem
        self.problem_from_text = problem_from_text
        self.notes: list[str] = []

    def want(self, domain: str | None, premises=(), query: str = "", completions=("",),
             rewards: dict | None = None, text: str | None = None) -> Want:
        size = len(text or "") + sum(map(len, premises)) + len(query)
        if size > self.MAX_CHARS or any(len(c) > 30_000 for c in completions):
            return ANY
        E = self.errors
        try:
            rmap = self.grading.RewardMap(dict(rewards)) if rewards else \
                self.grading.DEFAULT_REWARDS
            if text is not None:
                prob = self.problem_from_text(text)
            else:
                prob = self.problem.Problem.make(domain, list(premises), query)
            sol = self.problem.solve(prob)
            gs = [self.grading.grade(sol, c, rmap) for c in completions]
        except E.InvalidInput as e:
            return rejected(f"it is invalid here: {short(str(e), 90)}",
                            forbidden_is="wrong_reward")
        except (E.ResourceExhausted, E.DeadlineExceeded):
            return optional(codes=SLOW_CODES)
        except Exception as e:  # a bug in the core itself: the service may do anything
            self.notes.append(f"the core raised {type(e).__name__} in this process on "
                              f"{short((domain, premises, query, text), 120)}")
            return ANY
        return known([(g.verdict, g.reward) for g in gs], expected=sol.expected)
