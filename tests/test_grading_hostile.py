"""Grading takes linear time on hostile completions, up to ``MAX_RESPONSE_CHARS``.

Each input is graded at a quarter of the limit and at the limit: the time must
grow about 4x (a quadratic scan grows 16x), and stay far below a second. The
quadratic extractor these tests guard against took 35 s on ``"<answer>" * 25000``.
"""

import time

import pytest

from verifier.grading import MAX_RESPONSE_CHARS, extract_answer, grade
from verifier.problem import Problem, solve

pytestmark = pytest.mark.timeout(120)

SOLUTION = solve(Problem.make("linear", ["a = 29"], "a"))


def _fill(unit: str, n: int) -> str:
    """``unit`` repeated to exactly ``n`` characters."""
    return (unit * (n // len(unit) + 1))[:n]


HOSTILE = {
    "unclosed answer tags": lambda n: _fill("<answer>", n),
    "open answer tags, one close": lambda n: _fill("<answer>", n - 9) + "</answer>",
    "unclosed boxes": lambda n: _fill("\\boxed{", n),
    "nested closed boxes": lambda n: "\\boxed{" * (n // 16) + "}" * (n // 16),
    "boxes then open braces": lambda n: "\\boxed{29}" + "{" * (n - 10),
    "open braces": lambda n: "{" * n,
    "answer: on one line": lambda n: _fill("answer:", n),
    "answer without colon on one line": lambda n: _fill(" Answer", n),
    "spaces before the value": lambda n: "Answer: " + " " * (n - 9) + "x",
    "spaces inside the value": lambda n: "Answer: x" + " " * (n - 10) + "y",
    "asterisks inside the value": lambda n: "**Answer:** x" + "*" * (n - 14) + "y",
    "prefix characters": lambda n: "*" * (n - 10) + "Answer: 29",
    "final then spaces": lambda n: "final" + " " * (n - 5),
    "empty lines": lambda n: "\n" * n,
    "lines without markers": lambda n: _fill("x\n", n - 10) + "\\boxed{29}",
    "answer lines": lambda n: "Answer: 1\n" * ((n - 10) // 10) + "Answer: 29",
    "lengthening characters": lambda n: _fill("İ", n - 11) + "\nAnswer: 29",
    "trailing special tokens": lambda n: "Answer: 29" + "<|im_end|>\n" * ((n - 10) // 11),
    "almost special tokens": lambda n: _fill("<|x", n - 2) + "|>",
    "trailing whitespace": lambda n: "Answer: 29" + " \n" * ((n - 10) // 2),
    "mixture": lambda n: _fill("<answer>\\boxed{ answer: **İ<|\n{", n),
    "answer phrases on one line": lambda n: "the answer is " * ((n - 3) // 14) + "29.",
    "inline answer markers": lambda n: "x. Answer:" * ((n - 13) // 10) + "x. Answer: 29",
    "answer phrase, spaces": lambda n: "The answer is" + " " * (n - 16) + "29.",
    "answer phrase, long sentence": lambda n: "The answer is 29" + _fill(".5", n - 16),
    "answer then spaces": lambda n: _fill("answer" + " " * 60 + "to the ", n),
}


def _seconds(text: str, repeats: int = 3) -> float:
    """Best of ``repeats`` runs of ``grade``; one run when that is already slow."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        grade(SOLUTION, text)
        best = min(best, time.perf_counter() - start)
        if best > 0.1:
            break
    return best


@pytest.mark.parametrize("name", HOSTILE)
def test_grade_takes_linear_time_on_hostile_completions(name):
    small, large = HOSTILE[name](MAX_RESPONSE_CHARS // 4), HOSTILE[name](MAX_RESPONSE_CHARS)
    assert len(large) <= MAX_RESPONSE_CHARS
    # the absolute bounds are 10-100x what a linear pass needs, so that a loaded
    # machine passes; a quadratic one misses them by far (and fails on the small
    # input first, without waiting minutes for the large one)
    t_small = _seconds(small)
    assert t_small < 0.5, f"{name}: {t_small:.3f} s for {len(small)} characters"
    t_large = _seconds(large)
    assert t_large < 2.0, f"{name}: {t_large:.3f} s for {len(large)} characters"
    # 4x the input: linear is ~4x the time, quadratic ~16x; the 5 ms absorbs timer
    # noise on inputs that take well under a millisecond
    assert t_large < 8 * t_small + 0.005, (
        f"{name}: {t_small:.4f} s at {len(small)} characters, {t_large:.4f} s at {len(large)}")


@pytest.mark.parametrize("name,answer", [
    ("boxes then open braces", "29"), ("prefix characters", "29"), ("answer lines", "29"),
    ("lines without markers", "29"),
    ("lengthening characters", "29"), ("trailing special tokens", "29"),
    ("trailing whitespace", "29"), ("spaces before the value", "x"),
    ("answer phrases on one line", "29"), ("inline answer markers", "29"),
    ("answer phrase, spaces", "29"),
])
def test_extract_answer_on_hostile_completions_is_still_right(name, answer):
    assert extract_answer(HOSTILE[name](MAX_RESPONSE_CHARS)) == answer


@pytest.mark.parametrize("last_line", [
    "The price of a double wrap is 1" + " " * 260 + "x",
    "the price of " * 23,
    "double wrap is " + "9 " * 140,
    "the box is " + "not " * 70,
])
def test_grade_final_statements_are_read_in_bounded_time(last_line):
    from verifier.problem import Problem, solve
    for problem in (Problem.make("linear", ["double_wrap = 9"], "double_wrap"),
                    Problem.make("logic", ["~box_loud"], "box_loud")):
        solution = solve(problem)
        text = _fill("x\n", MAX_RESPONSE_CHARS - len(last_line) - 1) + "\n" + last_line
        start = time.perf_counter()
        assert grade(solution, text).verdict == "unparsable"
        assert time.perf_counter() - start < 0.5
