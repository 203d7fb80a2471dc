"""The Z3 engine against truth tables (≤ 12 atoms) computed here with bitmasks."""

import functools

from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.engines.logic import check_certificate, solve_logic
from verifier.lang.logic import formula_to_text, parse_formula

ATOMS = [f"p{i}" for i in range(12)]


def formulas(atoms):
    leaf = st.one_of(st.sampled_from(atoms).map(lambda a: ("var", a)),
                     st.sampled_from([("const", True), ("const", False)]))
    return st.recursive(leaf, lambda sub: st.one_of(
        sub.map(lambda f: ("not", f)),
        st.tuples(st.sampled_from(["and", "or", "imp", "iff"]), sub, sub)), max_leaves=8)


def table(f, masks, full):
    """The set of satisfying assignments of ``f`` as an int bitmask over all rows."""
    tag = f[0]
    if tag == "var":
        return masks[f[1]]
    if tag == "const":
        return full if f[1] else 0
    if tag == "not":
        return full & ~table(f[1], masks, full)
    a, b = table(f[1], masks, full), table(f[2], masks, full)
    if tag == "and":
        return a & b
    if tag == "or":
        return a | b
    if tag == "imp":
        return (full & ~a) | b
    return full & ~(a ^ b)


@functools.lru_cache(maxsize=None)
def atom_masks(n: int) -> tuple[int, tuple[int, ...]]:
    """Row r of the truth table assigns atom i the bit i of r; mask i holds those rows."""
    rows = 1 << n
    masks = []
    for i in range(n):
        m = 0
        for r in range(rows):
            if r >> i & 1:
                m |= 1 << r
        masks.append(m)
    return (1 << rows) - 1, tuple(masks)


def truth_table_oracle(premises, query, atoms):
    full, bits = atom_masks(len(atoms))
    masks = dict(zip(atoms, bits))
    models = full
    for f in premises:
        models &= table(f, masks, full)
    q = table(query, masks, full)
    if models == 0:
        return "inconsistent", "Unknown"
    if models & ~q == 0:
        return "determined", "True"
    if models & q == 0:
        return "determined", "False"
    return "undetermined", "Unknown"


@settings(max_examples=2500)
@given(st.integers(1, 12).flatmap(lambda n: st.tuples(
    st.lists(formulas(ATOMS[:n]), max_size=6), formulas(ATOMS[:n]), st.just(n))))
def test_logic_engine_matches_truth_tables(case):
    premises, query, n = case
    # go through the text syntax so the printer and parser are exercised too
    premises = [parse_formula(formula_to_text(f)) for f in premises]
    query = parse_formula(formula_to_text(query))
    sol = solve_logic(premises, query)
    assert (sol.status, sol.expected) == truth_table_oracle(premises, query, ATOMS[:n])
    assert check_certificate(premises, query, sol)


def test_certificate_check_reads_z3_unknown_as_an_error_not_as_false():
    import pytest
    from verifier.engines.logic import check_certificate, solve_logic
    from verifier.errors import SolverTimeout
    from verifier.lang.logic import parse_formula
    from verifier.limits import Limits
    pigeons, holes = 7, 6  # pigeonhole: inconsistent, and Z3 needs real work to re-derive it
    premises = [parse_formula(" | ".join(f"p{i}_{j}" for j in range(holes)))
                for i in range(pigeons)]
    premises += [parse_formula(f"~p{i}_{j} | ~p{k}_{j}") for j in range(holes)
                 for i in range(pigeons) for k in range(i + 1, pigeons)]
    query = parse_formula("q")
    sol = solve_logic(premises, query)
    assert sol.status == "inconsistent"
    assert check_certificate(premises, query, sol)  # the default budget re-checks it
    with pytest.raises(SolverTimeout, match="could not re-check"):
        check_certificate(premises, query, sol, Limits(z3_rlimit=1))
