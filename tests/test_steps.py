"""The step audit (verifier/steps/): claims read from completions and checked against
the premises. Gold trajectories are fully supported and fully read; one changed step is
flagged at exactly its line; hypotheticals and unknown words are never read as claims."""

import re
from fractions import Fraction

import pytest

from verifier import tasks
from verifier.errors import LimitExceeded
from verifier.problem import Problem
from verifier.steps import (MAX_CLAIMS, StepChecker, audit_steps, audit_steps_many)

N_ITEMS = 20


def _problem(item: dict) -> Problem:
    return Problem.make(item["domain"], item["premises"], item["query"])


def _items(task: str, n: int, seed: int, **knobs) -> list[dict]:
    return list(tasks.get(task).generate(tasks.config(task, **knobs), n, seed=seed))


@pytest.fixture(scope="module")
def graphla_items():
    return _items("graphla", 80, seed=11, depth="1-6")


@pytest.fixture(scope="module")
def graphli_items():
    return _items("graphli", 40, seed=11, depth="1-6")


def _claim_lines(trajectory: str) -> list[int]:
    """Every line of a gold trajectory but the final Answer: line states something."""
    return [i for i, ln in enumerate(trajectory.split("\n")) if not ln.startswith("Answer:")]


@pytest.fixture(scope="module")
def graphla_goal_items():
    """GraphLA with goal-directed gold trajectories (``trajectory="goal"``)."""
    return _items("graphla", 80, seed=11, depth="1-6", trajectory="goal")


@pytest.mark.parametrize("fixture", ["graphla_items", "graphli_items", "graphla_goal_items"])
def test_audit_steps_gold_trajectories_are_supported_and_fully_read(fixture, request):
    items = request.getfixturevalue(fixture)
    assert len(items) >= N_ITEMS and {i["answer"] == "Unknown" for i in items} == {True, False}
    for item in items:
        audit = audit_steps(_problem(item), item["trajectory"])
        assert audit.first_unsupported_line is None, (item["id"], audit.to_dict())
        assert audit.unrecognised_lines == 0, (item["id"], audit.to_dict())
        assert {s.line for s in audit.steps} == set(_claim_lines(item["trajectory"])), item["id"]
        assert all(s.status == "supported" for s in audit.steps)


_LA_DERIVED = re.compile(r"([a-z_]+) = (-?\d+)\.$")


def test_audit_steps_graphla_changed_value_is_flagged_at_its_line(graphla_items):
    chosen = [it for it in graphla_items if "; with" in it["trajectory"].split("\n")[1]]
    assert len(chosen) >= N_ITEMS
    for item in chosen[:N_ITEMS]:
        lines = item["trajectory"].split("\n")
        m = _LA_DERIVED.search(lines[1])
        lines[1] = f"{lines[1][:m.start(2)]}{int(m.group(2)) + 1}."  # final answer kept
        audit = audit_steps(_problem(item), "\n".join(lines))
        assert audit.first_unsupported_line == 1, (item["id"], audit.to_dict())
        flagged = [s for s in audit.steps if s.line == 1 and s.status != "supported"]
        assert [s.claim for s in flagged] == [f"{m.group(1)} = {int(m.group(2)) + 1}"]
        assert flagged[0].status == "contradicted"


def test_audit_steps_graphla_goal_wrong_arithmetic_is_flagged_at_its_line(graphla_goal_items):
    """A goal-style computation line (``x = 7 - 5 = 2``) with its result changed is
    contradicted at exactly that line."""
    chosen = [it for it in graphla_goal_items if it["answer"] != "Unknown"]
    assert len(chosen) >= N_ITEMS
    for item in chosen[:N_ITEMS]:
        lines = item["trajectory"].split("\n")
        at = next(i for i, ln in enumerate(lines) if ln.startswith("So ") and "; with " in ln)
        m = re.search(r"= (-?\d+)\.$", lines[at])
        lines[at] = f"{lines[at][:m.start(1)]}{int(m.group(1)) + 1}."
        audit = audit_steps(_problem(item), "\n".join(lines))
        assert audit.first_unsupported_line == at, (item["id"], audit.to_dict())
        assert any(s.line == at and s.status == "contradicted" for s in audit.steps)


_LI_LIT = re.compile(r"the ([a-z]+) is (not )?([a-z]+)")


def test_audit_steps_graphli_negated_proposition_is_flagged_at_its_line(graphli_items):
    chosen = [it for it in graphli_items
              if it["trajectory"].split("\n")[1].startswith(("Since ", "From "))]
    assert len(chosen) >= N_ITEMS
    for item in chosen[:N_ITEMS]:
        lines = item["trajectory"].split("\n")
        m = list(_LI_LIT.finditer(lines[1]))[-1]  # the derived proposition ends the line
        flipped = f"the {m.group(1)} is {'' if m.group(2) else 'not '}{m.group(3)}"
        lines[1] = lines[1][:m.start()] + flipped + lines[1][m.end():]
        audit = audit_steps(_problem(item), "\n".join(lines))
        assert audit.first_unsupported_line == 1, (item["id"], audit.to_dict())
        flagged = [s for s in audit.steps if s.status != "supported"]
        assert {s.line for s in flagged} == {1}
        assert [s.status for s in flagged] == ["contradicted"]


LA = Problem.make("linear", ["sweet_samosa + large_samosa = 27", "large_samosa = 18",
                             "coffee = 2*sweet_samosa + 1/2", "pizza = tea + 1"], "coffee")
LI = Problem.make("logic", ["cellar_quiet -> shed_open", "cellar_quiet", "a | b"], "shed_open")


def _claims(problem: Problem, text: str) -> list[tuple[str, str]]:
    return [(s.claim, s.status) for s in audit_steps(problem, text).steps]


@pytest.mark.parametrize("text, expected", [
    ("sweet_samosa = 9", [("sweet_samosa = 9", "supported")]),
    ("A sweet samosa costs 9 dollars.", [("sweet_samosa = 9", "supported")]),
    ("The price of a large samosa is $18.", [("large_samosa = 18", "supported")]),
    ("the price of coffee is 37/2", [("coffee = 37/2", "supported")]),
    ("So a coffee costs $18.50", [("coffee = 37/2", "supported")]),
    ("sweet samosas cost 9 each", [("sweet_samosa = 9", "supported")]),
    ("sweet_samosa costs 10", [("sweet_samosa = 10", "contradicted")]),
    ("a pizza costs 5 dollars", [("pizza = 5", "unsupported")]),
    ("a burger costs 5 dollars", [("burger = 5", "unsupported")]),  # not in the problem
    ("sweet_samosa = 27 - 18 = 9", [("sweet_samosa = 9", "supported"),
                                    ("27 - 18 = 9", "supported")]),
    ("18 + 9 = 28", [("18 + 9 = 28", "contradicted")]),
    ("So large_samosa + sweet_samosa = 27; with large_samosa = 18, sweet_samosa = 9.",
     [("large_samosa + sweet_samosa = 27", "supported"), ("large_samosa = 18", "supported"),
      ("sweet_samosa = 9", "supported")]),
    ("A coffee costs 1 dollar more than two sweet samosas.",
     [("coffee - 2*sweet_samosa = 1", "contradicted")]),
    ("The price of a tea cannot be determined.", [("tea = Unknown", "supported")]),
    ("The price of a coffee cannot be determined.", [("coffee = Unknown", "contradicted")]),
    ("No fact gives the price of a tea, which is needed.", [("tea = Unknown", "supported")]),
])
def test_audit_steps_linear_claim_shapes(text, expected):
    assert _claims(LA, text) == expected


@pytest.mark.parametrize("text, expected", [
    ("The cellar is quiet.", [("cellar_quiet", "supported")]),
    ("Since the cellar is quiet, the shed is open.",
     [("cellar_quiet", "supported"), ("shed_open", "supported")]),
    ("the shed isn't open", [("~shed_open", "contradicted")]),
    ("So it is not true that the shed is open.", [("~shed_open", "contradicted")]),
    ("the barn is red", [("barn_red", "unsupported")]),
    ("shed_open is true", [("shed_open", "supported")]),
    ("~shed_open", [("~shed_open", "contradicted")]),
    ("a | b", [("a | b", "supported")]),
    ("b", [("b", "unsupported")]),
    ("If the cellar is quiet, then the shed is open.",
     [("cellar_quiet -> shed_open", "supported")]),
    ("Nothing establishes that the barn is red.", [("unproven: barn_red", "supported")]),
    ("Nothing establishes that the shed is open.", [("unproven: shed_open", "contradicted")]),
    ("So whether the barn is red cannot be determined.", [("barn_red = Unknown", "supported")]),
    ("We cannot tell whether the shed is open.", [("shed_open = Unknown", "contradicted")]),
])
def test_audit_steps_logic_claim_shapes(text, expected):
    assert _claims(LI, text) == expected


@pytest.mark.parametrize("problem, text", [
    (LA, "If a burger costs 4, then a pizza costs 6."),
    (LA, "Maybe a tea costs 3."),
    (LA, "Suppose sweet_samosa = 9"),
    (LA, "Does a coffee cost 18.5?"),
    (LA, "The answer is 18.5"),
    (LA, "x = 4"),  # a name from neither the problem nor the task vocabulary
    (LI, "Is it true that the shed is open?"),
    (LI, "The shed might be open, or not."),
    (LI, "the answer is unknown"),
])
def test_audit_steps_hypotheticals_and_other_text_are_not_claims(problem, text):
    audit = audit_steps(problem, text)
    assert audit.steps == () and audit.unrecognised_lines == 1


def test_audit_steps_answer_line_is_not_a_step():
    audit = audit_steps(LA, "sweet_samosa = 9\n\nAnswer: 7\n**Final answer:** 8\n\\boxed{9}")
    assert [s.line for s in audit.steps] == [0]
    assert audit.unrecognised_lines == 0 and audit.first_unsupported_line is None


def test_audit_steps_first_unsupported_line_is_the_first_bad_claim():
    text = "large_samosa = 18\nsweet_samosa = 9\nhmm\na pizza costs 3\nsweet_samosa = 8"
    audit = audit_steps(LA, text)
    assert audit.first_unsupported_line == 3
    assert audit.unrecognised_lines == 1
    assert audit.to_dict()["steps"][-1] == {"line": 4, "text": "sweet_samosa = 8",
                                            "claim": "sweet_samosa = 8", "kind": "value",
                                            "status": "contradicted"}


def test_audit_steps_inconsistent_premises_warrant_no_value():
    la = Problem.make("linear", ["a = 1", "a = 2", "b = 3"], "b")
    assert _claims(la, "b = 3\nthe price of b cannot be determined\n1 + 1 = 2") == [
        ("b = 3", "unsupported"), ("b = Unknown", "supported"), ("1 + 1 = 2", "supported")]
    li = Problem.make("logic", ["a", "~a"], "a")
    assert _claims(li, "a\nthe door is open") == [("a", "unsupported"),
                                                  ("door_open", "unsupported")]


def test_audit_steps_formulas_beyond_propagation_are_decided_by_z3():
    chain = " <-> ".join(f"x{i}" for i in range(12))  # too large for the clause fast path
    p = Problem.make("logic", [chain, *[f"x{i}" for i in range(11)]], "x11")
    assert _claims(p, "x11\n~x11\nx0 & x11\nx0 | y") == [
        ("x11", "supported"), ("~x11", "contradicted"), ("x0 & x11", "supported")]


def test_audit_steps_many_equals_one_by_one():
    texts = ["sweet_samosa = 9", "a pizza costs 5", "coffee = 18", "nothing"]
    assert audit_steps_many(LA, texts) == [audit_steps(LA, t) for t in texts]
    checker = StepChecker(LA)
    assert [checker.audit(t) for t in texts] == [audit_steps(LA, t) for t in texts]


def test_audit_steps_checks_at_most_max_claims():
    text = "\n".join(["sweet_samosa = 9"] * (MAX_CLAIMS + 50) + ["sweet_samosa = 1"])
    audit = audit_steps(LA, text)
    assert len(audit.steps) == MAX_CLAIMS and audit.truncated
    assert audit.first_unsupported_line is None  # the bad claim was past the bound


def test_audit_steps_refuses_oversized_completion():
    with pytest.raises(LimitExceeded):
        audit_steps(LA, "a" * 200_001)


def test_audit_steps_values_are_exact():
    p = Problem.make("linear", ["3*x = 1"], "x")
    assert _claims(p, "x = 1/3\nx = 0.333\nx = 0.3333333333333333") == [
        ("x = 1/3", "supported"), ("x = 333/1000", "contradicted"),
        (f"x = {Fraction('0.3333333333333333')}", "contradicted")]


# ---------------------------------------------------------------- the same audit everywhere

def test_check_steps_and_the_service_flag_give_the_in_process_audit(server, tmp_path):
    """`honest check --steps` (local and --server) and Verify/VerifyGroup(steps=True) agree
    with verifier.steps on gold and perturbed trajectories."""
    import json as _json

    from clients import VerifierClient
    from helpers import run_honest
    from verifier.problem import Problem
    from verifier.steps import audit_steps
    from verifier.tasks import graphla

    items = [graphla.generate_item(graphla.GraphLAConfig(depth="2-3"), 5, i) for i in range(4)]
    lines = []
    for it in items:
        gold = it["trajectory"]
        bad = gold.split("\n")
        bad[1] = bad[1].rsplit("=", 1)[0] + "= 999" if "=" in bad[1] else bad[1] + " x = 999"
        lines += [{"id": it["id"], **{k: it[k] for k in ("domain", "premises", "query")},
                   "response": r} for r in (gold, "\n".join(bad))]
    want = [audit_steps(Problem.make(r["domain"], r["premises"], r["query"]),
                        r["response"]).to_dict() for r in lines]
    assert all(w["first_unsupported_line"] is None for w in want[0::2])
    assert any(w["first_unsupported_line"] is not None for w in want[1::2])
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(_json.dumps(r) for r in lines) + "\n")
    for extra in ([], ["--server", server.address]):
        out = run_honest("check", "--steps", "--jsonl", src, "--no-progress", *extra)
        got = [_json.loads(x) for x in out.stdout.splitlines()]
        assert [{k: g[k] for k in w} for g, w in zip(got, want)] == want, extra
    with VerifierClient(server.address) as c:
        one = c.verify(lines[1], lines[1]["response"], steps=True)
        assert one.steps == want[1]
        group = c.verify_group(lines[0], [r["response"] for r in lines[:2]], steps=True)
        assert [g.steps for g in group.grades] == want[:2]
        assert c.verify(lines[0], lines[0]["response"]).steps is None  # off by default
