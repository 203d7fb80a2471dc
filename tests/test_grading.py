"""Answer extraction and verdicts."""

import re
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.errors import InvalidInput
from verifier.grading import RewardMap, extract_answer, grade, interpret_answer
from verifier.problem import Problem, check, solve


@pytest.mark.parametrize("text,expected", [
    ("work...\nAnswer: 12", "12"),
    ("Answer: 3\nwait, no.\nAnswer: 4", "4"),
    ("so \\boxed{\\frac{3}{4}}", "\\frac{3}{4}"),
    ("<answer> Unknown </answer>", "Unknown"),
    ("**Final answer:** $12", "$12"),
    ("no marker here", None),
])
def test_extract_answer_takes_the_last_marker(text, expected):
    assert extract_answer(text) == expected


@pytest.mark.parametrize("raw,kind,value", [
    ("12", "number", Fraction(12)), ("$12", "number", Fraction(12)),
    ("12 dollars", "number", Fraction(12)), ("-3/4", "number", Fraction(-3, 4)),
    ("0.75", "number", Fraction(3, 4)), ("\\frac{3}{4}", "number", Fraction(3, 4)),
    ("1,200", "number", Fraction(1200)), ("Unknown", "unknown", None),
    ("unknown.", "unknown", None), ("True", "bool", True), ("false", "bool", False),
])
def test_interpret_answer_reads_numbers_and_words(raw, kind, value):
    p = interpret_answer(raw)
    assert p.kind == kind and p.value == value


@pytest.mark.parametrize("raw", ["maybe 12 or 13", "1/0", "x" * 300, ""])
def test_interpret_answer_rejects_the_unreadable(raw):
    assert interpret_answer(raw) is None


LIN_DET = Problem.make("linear", ["a = 2", "b = a + 1"], "b")
LIN_UND = Problem.make("linear", ["a + b = 3"], "b")
LOG_DET = Problem.make("logic", ["a -> b", "a"], "b")
LOG_NEG = Problem.make("logic", ["a -> b", "~b"], "a")
LOG_UND = Problem.make("logic", ["a | b"], "a")


@pytest.mark.parametrize("problem,response,verdict", [
    (LIN_DET, "Answer: 3", "correct"), (LIN_DET, "Answer: $3.00", "correct"),
    (LIN_DET, "Answer: 4", "wrong_answer"), (LIN_DET, "Answer: Unknown", "wrong_abstention"),
    (LIN_DET, "Answer: True", "wrong_answer"), (LIN_DET, "I think it is 3", "unparsable"),
    (LIN_UND, "Answer: Unknown", "correct"), (LIN_UND, "Answer: 1", "unwarranted_answer"),
    (LOG_DET, "Answer: True", "correct"), (LOG_DET, "Answer: False", "wrong_answer"),
    (LOG_NEG, "Answer: False", "correct"), (LOG_NEG, "Answer: Unknown", "wrong_abstention"),
    (LOG_UND, "Answer: True", "unwarranted_answer"), (LOG_UND, "Answer: Unknown", "correct"),
    (Problem.make("logic", ["a", "~a"], "b"), "Answer: Unknown", "correct"),
])
def test_check_verdicts(problem, response, verdict):
    assert check(problem, response).grade.verdict == verdict


def test_reward_map_is_configurable():
    rm = RewardMap.parse("correct=1, unwarranted_answer=-1")
    sol = solve(LIN_UND)
    assert grade(sol, "Answer: 5", rm).reward == -1.0
    assert grade(sol, "Answer: Unknown", rm).reward == 1.0
    assert grade(solve(LIN_DET), "Answer: Unknown", rm).reward == 0.0
    with pytest.raises(InvalidInput):
        RewardMap.parse("corect=1")
    with pytest.raises(InvalidInput):
        RewardMap.parse("correct=high")


def test_inconsistent_premises_are_flagged():
    r = check(Problem.make("linear", ["a = 1", "a = 2"], "a"), "Answer: 1")
    assert r.solution.status == "inconsistent" and r.grade.verdict == "unwarranted_answer"
    assert r.to_dict()["inconsistent"] is True


_REF_LINE = re.compile(r"^[ \t>*#_]*(?:final[ \t]+)?answer[ \t*_]*:[ \t*_]*(.*?)[ \t*_]*$",
                       re.I | re.M)


def reference_extract(text):
    """Forward-scanning reference: every marker found by regex, the last one wins."""
    found = [(m.start(), m.group(1)) for m in _REF_LINE.finditer(text)]
    found += [(m.start(), m.group(1)) for m in re.finditer(r"<answer>\s*(.*?)\s*</answer>",
                                                           text, re.I | re.S)]
    found += [(m.start(), m.group(1)) for m in re.finditer(r"\\boxed\{([^{}]*)\}", text)]
    return max(found)[1].strip() if found else None


pieces = st.sampled_from(["Answer: 3", "answer:", "Final answer: Unknown", "\n", " ", "x",
                          "ANSWER : True", "the answer is 4", "<answer>5</answer>",
                          "\\boxed{7}", "**Answer:** 2", "Answer", ":", "\n\n"])


@settings(max_examples=1500)
@given(st.lists(pieces, max_size=12).map("".join))
def test_extract_answer_matches_a_forward_scan(text):
    assert extract_answer(text) == reference_extract(text)
