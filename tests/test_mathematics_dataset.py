"""External text: DeepMind mathematics_dataset linear equations (not written by us).

Every item is parsed by the premise-language parser and solved to the listed
answer; dropping one equation of a two-unknown item must leave it undetermined.
"""

import json
import re
from fractions import Fraction
from pathlib import Path

import pytest

from verifier.lang.linear import parse_linear_equation
from verifier.problem import Problem, solve

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mathematics_dataset" / \
    "linear_1d_2d.jsonl"
QUESTION = re.compile(r"Solve (?P<eqs>.+) for (?P<var>[a-z]+)\.\Z")


def load():
    if not DATA.exists():
        pytest.skip(f"external data not found at {DATA}")
    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    out = []
    for r in rows:
        m = QUESTION.match(r["question"])
        assert m, r["question"]
        out.append((m.group("eqs").split(", "), m.group("var"), Fraction(r["answer"]), r))
    return out


def test_mathematics_dataset_is_all_there():
    assert len(load()) == 240


def test_mathematics_dataset_solves_to_listed_answers():
    failures = []
    for eqs, var, answer, row in load():
        sol = solve(Problem.make("linear", eqs, var))
        if sol.status != "determined" or sol.value != answer:
            failures.append((row["question"], sol.status, sol.expected, str(answer)))
    assert failures == []


def test_mathematics_dataset_dropping_an_equation_makes_2d_items_unknown():
    n = 0
    for eqs, var, _, _ in load():
        if len(eqs) != 2:
            continue
        for keep in eqs:
            names = set(parse_linear_equation(keep).names)
            status = solve(Problem.make("linear", [keep], var)).status
            # one equation determines the variable only when it mentions nothing else
            assert status == ("determined" if names == {var} else "undetermined"), keep
            n += 1
    assert n == 240
