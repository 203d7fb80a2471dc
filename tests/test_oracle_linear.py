"""The linear engine against an independent oracle: dense Fraction Gauss-Jordan
elimination written here, over thousands of random small systems."""

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.engines.linear import check_certificate, solve_linear_system
from verifier.lang.linear import parse_linear_equation


def oracle(rows: list[list[int]], rhs: list[int], nvars: int, target: int):
    """(status, value) by textbook dense elimination over Fractions."""
    m = [[Fraction(x) for x in r] + [Fraction(b)] for r, b in zip(rows, rhs)]
    pivots = []
    r = 0
    for c in range(nvars + 1):
        p = next((i for i in range(r, len(m)) if m[i][c] != 0), None)
        if p is None:
            continue
        m[r], m[p] = m[p], m[r]
        piv = m[r][c]
        m[r] = [x / piv for x in m[r]]
        for i in range(len(m)):
            if i != r and m[i][c] != 0:
                f = m[i][c]
                m[i] = [a - f * b for a, b in zip(m[i], m[r])]
        pivots.append(c)
        r += 1
    if nvars in pivots:
        return "inconsistent", None
    if target in pivots:
        row = m[pivots.index(target)]
        if all(row[j] == 0 for j in range(nvars) if j != target):
            return "determined", row[nvars]
    return "undetermined", None


def render(row: list[int], b: int) -> str:
    terms = [f"{c}*x{j}" for j, c in enumerate(row) if c]
    return f"{' + '.join(terms) or '0'} = {b}"


systems = st.integers(1, 5).flatmap(lambda n: st.tuples(
    st.just(n),
    st.lists(st.lists(st.sampled_from([0, 0, 0, 1, -1, 2, -2, 3, 1, 5]), min_size=n, max_size=n),
             min_size=0, max_size=6),
    st.integers(0, n),  # target index; n = a name absent from every premise
    st.data()))


@settings(max_examples=3000)
@given(systems)
def test_linear_engine_matches_fraction_elimination(case):
    n, rows, target, data = case
    rhs = [data.draw(st.integers(-6, 6)) for _ in rows]
    eqs = [parse_linear_equation(render(r, b)) for r, b in zip(rows, rhs)]
    sol = solve_linear_system(eqs, f"x{target}")
    status, value = oracle(rows, rhs, n, target)
    assert sol.status == status
    if status == "determined":
        assert sol.value == value
        assert sol.expected == (str(value.numerator) if value.denominator == 1 else
                                f"{value.numerator}/{value.denominator}")
    else:
        assert sol.expected == "Unknown"
    assert check_certificate(eqs, f"x{target}", sol)


def test_linear_engine_decides_target_not_whole_system():
    eqs = [parse_linear_equation(t) for t in ["x + y = 3", "2*x + 2*y = 6", "z = 4"]]
    assert solve_linear_system(eqs, "z").expected == "4"
    assert solve_linear_system(eqs, "x").status == "undetermined"


def test_linear_engine_inconsistency_anywhere_is_reported():
    eqs = [parse_linear_equation(t) for t in ["a = 1", "u + v = 1", "2*u + 2*v = 5"]]
    sol = solve_linear_system(eqs, "a")
    assert sol.status == "inconsistent" and sol.expected == "Unknown"
    assert check_certificate(eqs, "a", sol)
