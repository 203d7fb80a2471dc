"""Premise-language parsers: grammar, error positions, bounds, and no evaluation of text."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.errors import LimitExceeded, ParseError
from verifier.lang.linear import parse_linear_equation, parse_linear_name
from verifier.lang.logic import evaluate, formula_to_text, height, parse_formula
from verifier.limits import Limits
from verifier.problem import Problem, parse_problem


def coeffs(text):
    eq = parse_linear_equation(text)
    return dict(eq.coeffs), eq.rhs


@pytest.mark.parametrize("text,expected", [
    ("2*a + 3/4*b - 0.5 = c", ({"a": 2, "b": Fraction(3, 4), "c": -1}, Fraction(1, 2))),
    ("2a + 3(b - 1) = 4", ({"a": 2, "b": 3}, 7)),
    ("-(a - 2*b)/2 = .5", ({"a": Fraction(-1, 2), "b": 1}, Fraction(1, 2))),
    ("0 = -17*t - 665 + 461", ({"t": 17}, -204)),
    ("x - x + y = 1", ({"y": 1}, 1)),
])
def test_linear_parser_builds_exact_coefficients(text, expected):
    got_coeffs, got_rhs = coeffs(text)
    assert got_coeffs == {k: Fraction(v) for k, v in expected[0].items()}
    assert got_rhs == Fraction(expected[1])


@pytest.mark.parametrize("text,column,words", [
    ("a*b = 1", 2, "non-linear"),
    ("a / b = 1", 3, "division by an expression"),
    ("a = 1/0", 6, "division by zero"),
    ("a = (b + 1", 11, "expected ')'"),
    ("a + 1", 6, "expected '='"),
    ("a = 1 = 2", 7, "second '='"),
    ("a^2 = 1", 2, "powers"),
    ("a = b $", 7, "unexpected character"),
])
def test_linear_parser_errors_say_where_and_why(text, column, words):
    with pytest.raises(ParseError) as e:
        parse_linear_equation(text)
    assert e.value.column == column
    assert words in e.value.message


def test_linear_parser_never_evaluates_python():
    with pytest.raises(ParseError):
        parse_linear_equation("__import__('os').system('touch /tmp/pwned') = 1")
    with pytest.raises((ParseError, LimitExceeded)):
        parse_linear_equation("9**9**9 = a")


def test_linear_parser_bounds_input():
    with pytest.raises(LimitExceeded):
        parse_linear_equation("a = " + "1" * 100)
    with pytest.raises(LimitExceeded):
        parse_linear_equation("(" * 200 + "a" + ")" * 200 + " = 1")
    with pytest.raises(LimitExceeded):
        parse_linear_equation("a = " + "+".join(["x"] * 30), Limits(max_text_chars=20))
    with pytest.raises(LimitExceeded):  # numbers growing by repeated scaling
        parse_linear_equation("a = " + "1000000000*" * 12 + "1")


def test_linear_query_is_one_name():
    assert parse_linear_name(" pizza ") == "pizza"
    with pytest.raises(ParseError):
        parse_linear_name("2*pizza")


def test_linear_query_obeys_the_text_limit():
    limit = Limits().max_text_chars
    with pytest.raises(LimitExceeded) as e:  # was accepted (and stored) at any length
        parse_linear_name("x" * (limit + 1))
    assert "limit" in e.value.message and len(e.value.message) < 200
    assert parse_linear_name(" " + "x" * (limit - 2) + " ") == "x" * (limit - 2)
    with pytest.raises(ParseError) as e:  # the message quotes an excerpt, not the query
        parse_linear_name("2" + "x" * (limit - 1))
    assert "'2xxxx" in e.value.message and f"({limit} characters)" in e.value.message
    assert len(e.value.message) < 200


@pytest.mark.parametrize("text,expected", [
    ("a -> b -> c", ("imp", ("var", "a"), ("imp", ("var", "b"), ("var", "c")))),
    ("~a & b | c", ("or", ("and", ("not", ("var", "a")), ("var", "b")), ("var", "c"))),
    ("not a and b or c", ("or", ("and", ("not", ("var", "a")), ("var", "b")), ("var", "c"))),
    ("a ∧ b → c ∨ ¬d", ("imp", ("and", ("var", "a"), ("var", "b")),
                        ("or", ("var", "c"), ("not", ("var", "d"))))),
    ("a <-> b -> c", ("iff", ("var", "a"), ("imp", ("var", "b"), ("var", "c")))),
    ("TRUE | false", ("or", ("const", True), ("const", False))),
])
def test_logic_parser_precedence_and_associativity(text, expected):
    assert parse_formula(text) == expected


@pytest.mark.parametrize("text,column", [("a ->", 5), ("(a & b", 7), ("a b", 3), ("a & & b", 5),
                                         ("a # b", 3)])
def test_logic_parser_errors_have_columns(text, column):
    with pytest.raises(ParseError) as e:
        parse_formula(text)
    assert e.value.column == column


def test_logic_parser_bounds_nesting():
    with pytest.raises(LimitExceeded):
        parse_formula("~" * 500 + "a")
    with pytest.raises(LimitExceeded):
        parse_formula("a -> " * 200 + "b")


atoms = st.sampled_from(["a", "b", "c", "d"]).map(lambda a: ("var", a))
trees = st.recursive(atoms, lambda s: st.one_of(
    s.map(lambda f: ("not", f)), st.tuples(st.sampled_from(["and", "or", "imp", "iff"]), s, s)),
    max_leaves=10)


@settings(max_examples=500)
@given(trees)
def test_logic_printer_round_trips(f):
    assert parse_formula(formula_to_text(f)) == f


def test_logic_chains_are_balanced_and_deterministic():
    text = "&".join(["a"] * 10_000)
    f = parse_formula(text)
    assert height(f) <= 15  # was 9,999 deep: a RecursionError in every recursive consumer
    assert parse_formula(text) == f and parse_formula(text) is not f
    # two or three operands nest to the left as they always did
    assert parse_formula("a & b & c") == ("and", ("and", ("var", "a"), ("var", "b")), ("var", "c"))
    assert parse_formula("a | b | c | d") == ("or", ("or", ("var", "a"), ("var", "b")),
                                              ("or", ("var", "c"), ("var", "d")))


def test_logic_printer_keeps_shapes_the_parser_would_not_build():
    a, b, c, d = (("var", x) for x in "abcd")
    left = ("and", ("and", ("and", a, b), c), d)
    assert formula_to_text(left) == "(a & b & c) & d"
    assert formula_to_text(("iff", a, ("iff", b, c))) == "a <-> (b <-> c)"
    assert formula_to_text(parse_formula("a&b&c&d")) == "a & b & c & d"


def test_problem_errors_name_the_premise():
    with pytest.raises(ParseError) as e:
        parse_problem(Problem.make("linear", ["a = 1", "b = a * a"], "b"))
    assert e.value.where == "premise 2" and "premise 2, column" in e.value.message
    with pytest.raises(ParseError) as e:
        parse_problem(Problem.make("logic", ["a"], "a ->"))
    assert e.value.where == "query"


def test_evaluate_follows_truth_tables():
    f = parse_formula("(a -> b) <-> (~a | b)")
    for a in (False, True):
        for b in (False, True):
            assert evaluate(f, {"a": a, "b": b})
