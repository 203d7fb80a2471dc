"""Answer extraction and verdicts."""

import re
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.errors import InvalidInput
from verifier.grading import ParsedAnswer, RewardMap, extract_answer, grade, interpret_answer
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
LIN_FIVE = Problem.make("linear", ["a = 5"], "a")
LIN_29 = Problem.make("linear", ["a = 29"], "a")


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


@pytest.mark.parametrize("raw,value", [
    ("$ 12", 12), ("12 dollars", 12), ("- 3/4", Fraction(-3, 4)), ("3 / 4", Fraction(3, 4)),
    ("- 3 / 4", Fraction(-3, 4)), ("1,200", 1200), ("\\frac{3}{4}", Fraction(3, 4)),
    ("- \\frac {3}{4}", Fraction(-3, 4)), ("$3.00", 3), ("12 USD", 12), ("-$3", -3),
    ("US$ 12", 12),
])
def test_interpret_answer_allows_spaces_after_a_sign_and_around_the_bar(raw, value):
    assert interpret_answer(raw) == ParsedAnswer("number", Fraction(value))


@pytest.mark.parametrize("raw", ["1 0/2", "1 2", "1 000", "3 1/2", "1 $ 2", "1 dollars 2",
                                 "\\frac{1 2}{4}", "1/2 0"])
def test_interpret_answer_rejects_spaces_between_digits(raw):
    assert interpret_answer(raw) is None


def test_grade_does_not_join_digits_across_a_space():
    assert grade(solve(LIN_FIVE), "Answer: 1 0/2").verdict == "unparsable"


def test_extract_answer_slices_the_text_it_searched():
    # "İ" lower-cases to two characters: offsets found in text.lower() pointed 10
    # characters too far into the text, at the hedged line's "5"
    text = "İ" * 10 + "\nAnswer: 7\nAnswer: 5 or 7 or Unknown"
    assert extract_answer(text) == "5 or 7 or Unknown"
    assert grade(solve(LIN_FIVE), text).verdict == "unparsable"


@pytest.mark.parametrize("rewards", [{"correct": float("nan")}, {"correct": float("inf")},
                                     {"wrong_answer": float("-inf")}, {"correct": 10 ** 400}])
def test_reward_map_rejects_non_finite_rewards(rewards):
    (verdict,) = rewards
    with pytest.raises(InvalidInput, match=rf"{verdict}.*must be finite numbers"):
        RewardMap(rewards)


@pytest.mark.parametrize("text", ["correct=nan", "correct=inf", "unwarranted_answer=-inf",
                                  "correct=1, wrong_answer=NaN", "correct=1e999"])
def test_reward_map_parse_rejects_non_finite_rewards(text):
    with pytest.raises(InvalidInput, match="must be finite numbers"):
        RewardMap.parse(text)


@pytest.mark.parametrize("value", ["1", None, True, [1.0]])
def test_reward_map_rejects_non_numbers(value):
    with pytest.raises(InvalidInput, match="correct.*not a number"):
        RewardMap({"correct": value})


def test_reward_map_accepts_finite_numbers():
    rm = RewardMap({"correct": 1, "wrong_answer": -0.5, "unparsable": Fraction(-1, 4)})
    assert (rm("correct"), rm("wrong_answer"), rm("unparsable")) == (1.0, -0.5, -0.25)


@pytest.mark.parametrize("problem,response", [
    (LIN_29, "a is 29.\nAnswer: 29<|im_end|>"),
    (LIN_29, "so \\boxed{29}</s>"),
    (LIN_29, "<answer>29</answer><|endoftext|>"),
    (LIN_29, "Answer: 29<eos>"),
    (LIN_29, "Answer: 29 <|eot_id|>\n<|end_of_text|>\n"),
    (LIN_29, "**Answer:** 29<|im_end|>"),
    (LIN_29, "Answer: 29<｜end▁of▁sentence｜>"),  # DeepSeek's full-width bars
    (LIN_29, "<answer>29<|im_end|></answer>"),  # at the end of the extracted answer
    (LIN_UND, "Answer: Unknown<|eot_id|><|end_of_text|>"),
])
def test_grade_reads_an_answer_before_end_of_sequence_markers(problem, response):
    assert check(problem, response).grade.verdict == "correct"


@pytest.mark.parametrize("response,answer", [
    ("Answer: 2<|im_end|>9", "2<|im_end|>9"),
    ("Answer: 29<|im_end|>\nAnswer: 4", "4"),
    ("<|im_start|>Answer: 29", None),  # only trailing markers go: no line starts "Answer"
])
def test_extract_answer_keeps_markers_that_are_not_at_the_end(response, answer):
    assert extract_answer(response) == answer
    assert check(LIN_29, response).grade.verdict != "correct"


# --- a forward-scanning reference, and properties checked against it -------------------

_REF_LINE = re.compile(r"^[ \t>*#_]*(?:final[ \t]+)?answer[ \t*_]*:[ \t*_]*(.*?)[ \t*_]*$",
                       re.I | re.M)
_REF_TAG = re.compile(r"<answer>\s*(.*?)\s*</answer>", re.I | re.S)
# every start of an inline marker / answer phrase (lookaheads: overlapping starts too)
_REF_INLINE = re.compile(r"(?<=[.!?])(?=[ \t]+(?:final[ \t]+)?answer[ \t*_]*:([^\n]*))", re.I)
_REF_PHRASE = re.compile(r"(?=\b(?:final[ \t]+)?answer(?:[ \t]+to[ \t]+(?:the|this|that|your)"
                         r"[ \t]+question)?[ \t]+is\b[ \t]*:?([^\n]*))", re.I)
_REF_TOKEN = r"<[|｜][^\s<>|｜]{1,64}[|｜]>|</s>|<eos>|<end_of_turn>"
_REF_TAIL = re.compile(rf"(?:\s|{_REF_TOKEN})*\Z")


def reference_strip_tokens(text):
    return text[:_REF_TAIL.search(text).start()]


def reference_boxed(text):
    """Every ``\\boxed{...}`` with balanced braces, by counting depth from each box."""
    out = []
    for m in re.finditer(r"\\boxed\s*\{", text):
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        if depth == 0:
            out.append((m.start(), text[m.end():i - 1]))
    return out


def reference_extract(text):
    """Forward-scanning reference: every marker found by regex in the text without its
    trailing special tokens; the one that starts last wins."""
    text = reference_strip_tokens(text)
    found = [(m.start(), m.group(1)) for m in _REF_LINE.finditer(text)]
    found += [(m.start(), m.group(1)) for m in _REF_TAG.finditer(text)]
    found += reference_boxed(text)
    found += [(m.start(), m.group(1).strip(" \t*_")) for m in _REF_INLINE.finditer(text)]
    found += [(m.start(), re.split(r"[.!?](?=\s|\Z)", m.group(1))[0].strip(" \t*_"))
              for m in _REF_PHRASE.finditer(text)]
    if not found:  # a completion that is only a value
        bare = text.strip()
        return bare if bare and interpret_answer(bare) is not None else None
    return reference_strip_tokens(max(found, key=lambda f: f[0])[1].strip())


pieces = st.sampled_from(["Answer: 3", "answer:", "Final answer: Unknown", "\n", " ", "x",
                          "ANSWER : True", "the answer is 4", "<answer>5</answer>",
                          "\\boxed{7}", "**Answer:** 2", "Answer", ":", "\n\n", ". ", "8",
                          "The answer to the question is: 6.", "False", " is ", "4.5"])


@settings(max_examples=1500)
@given(st.lists(pieces, max_size=12).map("".join))
def test_extract_answer_matches_a_forward_scan(text):
    assert extract_answer(text) == reference_extract(text)


SPECIAL_TOKENS = ["<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end_of_text|>", "</s>",
                  "<eos>", "<end_of_turn>", "<｜end▁of▁sentence｜>"]
fragments = st.sampled_from([
    "Answer: 3", "answer:", "FINAL  ANSWER :", "Final answer: Unknown", "**Answer:** 2", "#> ",
    "Answer", ":", "\n", "\r\n", " ", "\t", "*", "_", "x", "7", "1 0/2", "İ", "ſ", "\x00",
    "<answer>", "</answer>", "<ANSWER>", "</Answer>", "<answer>5</answer>", "\\boxed{",
    "\\boxed {", "\\boxed{7}", "{", "}", "<", ">", "<|", "|>", "<|x", *SPECIAL_TOKENS])
fragment_texts = st.lists(fragments, max_size=16).map("".join)
any_texts = st.lists(st.one_of(fragments, st.text(max_size=6)), max_size=12).map("".join)


@settings(max_examples=300)
@given(any_texts)
def test_extract_answer_returns_stripped_text_or_none(text):
    answer = extract_answer(text)
    assert answer is None or (isinstance(answer, str) and answer == answer.strip())


@settings(max_examples=300)
@given(fragment_texts)
def test_extract_answer_matches_the_reference_on_marker_fragments(text):
    assert extract_answer(text) == reference_extract(text)


@settings(max_examples=300)
@given(any_texts, st.sampled_from(SPECIAL_TOKENS), st.sampled_from(["", "\n", " \n "]))
def test_extract_answer_ignores_an_appended_special_token(text, token, gap):
    assert extract_answer(text + gap + token) == extract_answer(text)


@settings(max_examples=300)
@given(any_texts, st.integers(1, 12))
def test_extract_answer_ignores_a_preceding_line_of_lengthening_characters(text, n):
    # "İ" is longer lower-cased: positions must not drift past it
    assert extract_answer("İ" * n + "\n" + text) == extract_answer(text)


numeric_fragments = st.sampled_from(["1", "0", "12", " ", "/", "-", "+", "$", ".", ",",
                                     "\\frac{", "}{", "}", "dollars", " USD", "\\text{", "٣",
                                     "\\boxed{", "Unknown", "İ", "\x00"])
answer_texts = st.one_of(st.text(max_size=40),
                         st.lists(numeric_fragments, max_size=10).map("".join))


@settings(max_examples=300)
@given(answer_texts)
def test_interpret_answer_never_raises(raw):
    parsed = interpret_answer(raw)
    assert parsed is None or isinstance(parsed, ParsedAnswer)
    if parsed is not None and parsed.kind == "number":
        assert isinstance(parsed.value, Fraction)


numeric_texts = st.lists(numeric_fragments, max_size=5).map("".join)


@settings(max_examples=300)
@given(numeric_texts, st.sampled_from("0123456789٣"), st.sampled_from([" ", "  ", "\t", " \t"]),
       st.sampled_from("0123456789٣"), numeric_texts)
def test_interpret_answer_never_joins_digits_across_spaces(before, left, gap, right, after):
    assert interpret_answer(before + left + gap + right + after) is None


@pytest.mark.parametrize("response,answer", [
    ("b = 5. Answer: 5", "5"),                        # the answer after a sentence, same line
    ("So b = 5! Final answer: 5", "5"),
    ("The answer to the question is: 18.", "18"),     # SmolLM2's own phrasing
    ("27\n\nThe answer is 27.", "27"),
    ("The answer is 4.50 dollars. I checked it twice.", "4.50 dollars"),
    ("The answer is 5.\nAnswer: 3", "3"),             # the marker that starts last wins
    ("Answer: 3\nSo the answer is 5.", "5"),
    ("False", "False"),                               # nothing but a value
    ("  $18 <|im_end|>", "$18"),
    ("The price of a taco is 9 dollars.", None),      # a statement, not a final answer
    ("the answer\nis 5", None),                       # the phrase does not cross lines
    ("My answer: 5", None),                           # an inline marker follows a sentence
    ("False, because the box is loud", None),
])
def test_extract_answer_reads_answers_written_inline(response, answer):
    assert extract_answer(response) == answer


def test_grade_inline_answers_are_graded_like_answer_lines():
    assert check(LIN_29, "a = 29. Answer: 29").grade.verdict == "correct"
    assert check(LIN_29, "The answer is 28.").grade.verdict == "wrong_answer"
    assert check(LIN_29, "29").grade.verdict == "correct"
    assert check(LIN_29, "The answer is that a is 29.").grade.verdict == "unparsable"


LIN_WRAP = Problem.make("linear", ["double_wrap = 9", "taco = 9"], "double_wrap")
LOGIC_LOUD = Problem.make("logic", ["~box_loud"], "box_loud")


@pytest.mark.parametrize("problem,response,verdict", [
    (LIN_WRAP, "The price of a double wrap is 9 dollars.", "correct"),
    (LIN_WRAP, "Some facts.\nSo a double wrap costs $9.", "correct"),
    (LIN_WRAP, "double_wrap = 9<|im_end|>", "correct"),
    (LIN_WRAP, "Two double wraps cost 18 dollars.\nDouble wraps cost 8 dollars.", "wrong_answer"),
    (LIN_WRAP, "The price of a double wrap cannot be determined.", "wrong_abstention"),
    (LIN_WRAP, "The price of a taco is 9 dollars.", "unparsable"),        # another dish
    (LIN_WRAP, "The price of a double wrap is 6 dollars more than a taco.", "unparsable"),
    (LIN_WRAP, "The price of a double wrap is 9 dollars.\nThe price of a taco", "unparsable"),
    (LOGIC_LOUD, "The box is not loud.", "correct"),
    (LOGIC_LOUD, "So, it is not true that the box is loud.", "correct"),
    (LOGIC_LOUD, "The box is loud.", "wrong_answer"),
    (LOGIC_LOUD, "The box is not loud if the door is open.", "unparsable"),
    (Problem.make("logic", ["~box_loud"], "~box_loud"), "The box is not loud.", "correct"),
    (Problem.make("logic", ["~box_loud"], "~box_loud | a"), "The box is not loud.",
     "unparsable"),                                   # a compound query: no such statement
])
def test_grade_reads_a_final_statement_about_the_query(problem, response, verdict):
    assert check(problem, response).grade.verdict == verdict


def test_grade_an_answer_marker_wins_over_a_final_statement():
    assert check(LIN_WRAP, "Answer: 8\nThe price of a double wrap is 9 dollars.").grade.verdict \
        == "wrong_answer"
