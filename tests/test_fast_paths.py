"""Fast paths agree with the exact paths they shortcut, and refuse what they cannot do fast."""

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.engines.logic import solve_by_propagation, solve_logic
from verifier.engines.propagation import _cnf, _nnf, nnf_size_exceeds, to_clauses
from verifier.lang.linear import _Parser, _TOKEN, parse_linear_equation
from verifier.lang.lexer import tokenize
from verifier.lang.logic import parse_formula
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


# ----------------------------------------------------- <-> chains (issue: exponential NNF)

def iff_chain_value(values):
    """Truth value of ``v0 <-> v1 <-> ...``: <-> is associative, so fold from the left."""
    acc = values[0]
    for v in values[1:]:
        acc = acc == v
    return acc


def test_propagation_iff_chains_go_to_z3_fast_and_right():
    from verifier.problem import Problem, solve
    # one test, sizes in increasing order: before the fix 19 atoms already took seconds
    # (and 25 would take hours), so it fails at the first size instead of hanging
    for n in (19, 25, 60, 1000):
        fixed = {i: i % 3 != 0 for i in range(1, n)}  # every atom but a0 is given
        premises = [" <-> ".join(f"a{i}" for i in range(n))]
        premises += [f"a{i}" if v else f"~a{i}" for i, v in fixed.items()]
        a0 = next(v for v in (False, True) if iff_chain_value([v, *fixed.values()]))
        start = time.perf_counter()
        sol = solve(Problem.make("logic", premises, "a0"))
        assert time.perf_counter() - start < 2, n
        assert (sol.status, sol.value) == ("determined", a0), n
        start = time.perf_counter()  # one atom left open: a0 is not determined
        sol = solve(Problem.make("logic", premises[:-1], "a0"))
        assert time.perf_counter() - start < 2, n
        assert sol.status == "undetermined", n


def test_propagation_negated_nested_iff_goes_to_z3_fast_and_right():
    from verifier.problem import Problem, solve
    n = 60  # ~(a0 <-> (a1 <-> (...))): 61 levels of nesting, inside the limit of 64
    text = f"a{n - 1}"
    for i in range(n - 2, -1, -1):
        text = f"a{i} <-> ({text})"
    fixed = {i: i % 4 == 1 for i in range(1, n)}
    premises = [f"~({text})"] + [f"a{i}" if v else f"~a{i}" for i, v in fixed.items()]
    a0 = next(v for v in (False, True) if not iff_chain_value([v, *fixed.values()]))
    start = time.perf_counter()
    sol = solve(Problem.make("logic", premises, "a0"))
    assert time.perf_counter() - start < 2
    assert (sol.status, sol.value) == ("determined", a0)


def test_nnf_size_estimate_refuses_iff_chains_before_building_them():
    index = {f"a{i}": i for i in range(1000)}
    chain = parse_formula(" <-> ".join(f"a{i}" for i in range(1000)))
    start = time.perf_counter()
    assert nnf_size_exceeds(chain)
    assert to_clauses(chain, index) is None and to_clauses(chain, index, False) is None
    assert time.perf_counter() - start < 0.1
    assert not nnf_size_exceeds(parse_formula("(a0 <-> a1) & (a2 <-> ~a3)"))


@settings(max_examples=300)
@given(formulas(ATOMS[:6]))
def test_nnf_size_estimate_bounds_the_nnf(f):
    """Where the estimate lets a formula through, its NNF really is within the cap."""
    def nodes(n):
        return 1 + sum(nodes(p) for p in n[1]) if isinstance(n, tuple) else 1

    index = {a: i for i, a in enumerate(ATOMS)}
    if not nnf_size_exceeds(f, 40):
        assert nodes(_nnf(f, True, index)) <= 40 and nodes(_nnf(f, False, index)) <= 40
