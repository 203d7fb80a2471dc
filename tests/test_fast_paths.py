"""Fast paths agree with the exact paths they shortcut."""

from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.engines.logic import solve_by_propagation, solve_logic
from verifier.engines.propagation import _cnf, _nnf, to_clauses
from verifier.lang.linear import _Parser, _TOKEN, parse_linear_equation
from verifier.lang.lexer import tokenize
from verifier.limits import DEFAULT_LIMITS

from test_oracle_logic import ATOMS, formulas


def full_parse(text):
    p = _Parser(text, tokenize(text, _TOKEN, DEFAULT_LIMITS), DEFAULT_LIMITS)
    coeffs, rhs = p.equation()
    return tuple(sorted((n, c) for n, c in coeffs.items() if c != 0)), rhs


term = st.one_of(
    st.tuples(st.sampled_from(["", "2", "13", "0", "7"]), st.sampled_from(["", "*", " * ", " "]),
              st.sampled_from(["a", "b", "x_1", "dish"])).map(lambda t: f"{t[0]}{t[1] if t[0] else ''}{t[2]}"),
    st.sampled_from(["0", "5", "12", "100"]))
side = st.lists(st.tuples(st.sampled_from([" + ", " - ", "+", "-"]), term), min_size=1,
                max_size=5).map(lambda ts: ("-" if ts[0][0].strip() == "-" else "")
                                + ts[0][1] + "".join(s + t for s, t in ts[1:]))


@settings(max_examples=1500)
@given(side, side)
def test_flat_linear_fast_path_equals_full_parser(lhs, rhs):
    text = f"{lhs} = {rhs}"
    eq = parse_linear_equation(text)
    assert (eq.coeffs, eq.rhs) == full_parse(text)


@settings(max_examples=1500)
@given(st.lists(formulas(ATOMS[:6]), max_size=8), formulas(ATOMS[:6]))
def test_propagation_fast_path_agrees_with_z3(premises, query):
    fast = solve_by_propagation(premises, query)
    exact = solve_logic(premises, query, fast=False)
    if fast is not None:
        assert (fast.status, fast.expected) == (exact.status, exact.expected)


@settings(max_examples=1000)
@given(formulas(ATOMS[:5]))
def test_direct_clauses_equal_general_cnf(f):
    index = {a: i for i, a in enumerate(ATOMS)}
    direct = to_clauses(f, index)
    general = _cnf(_nnf(f, True, index))
    if direct is not None and general is not None:
        assert {frozenset(c) for c in direct} == set(general)


flat_lit = st.tuples(st.sampled_from(["", "~", "~ "]), st.sampled_from(["a", "b", "not_x", "c1",
                                                                      "Or", "true"]))
flat = st.tuples(flat_lit, st.sampled_from(["", " -> ", "|", " & ", "->"]), flat_lit,
                 st.sampled_from(["", " -> "]), flat_lit)


def full_formula(text):
    from verifier.lang.logic import _Parser as LogicParser
    from verifier.lang.logic import _TOKEN as LOGIC_TOKEN
    return LogicParser(text, tokenize(text, LOGIC_TOKEN, DEFAULT_LIMITS), DEFAULT_LIMITS).formula()


@settings(max_examples=1500)
@given(flat)
def test_flat_logic_fast_path_equals_full_parser(parts):
    (n1, a1), op1, (n2, a2), op2, (n3, a3) = parts
    text = f"{n1}{a1}" + (f"{op1}{n2}{a2}" + (f"{op2}{n3}{a3}" if op2 else "") if op1 else "")
    from verifier.errors import ParseError
    from verifier.lang.logic import parse_formula
    try:
        expected = full_formula(text)
    except ParseError:
        expected = ParseError
    try:
        got = parse_formula(text)
    except ParseError:
        got = ParseError
    assert got == expected
