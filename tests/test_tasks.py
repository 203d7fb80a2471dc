"""GraphLA / GraphLI generators: labels proved, trajectories graded correct, the
unanswerable share, natural-language round trips, determinism."""

import random

import pytest

from helpers import read_jsonl, run_honest
from verifier.errors import InvalidInput
from verifier.problem import Problem, check, solve
from verifier.tasks import problem_from_text
from verifier.tasks import graphla, graphli
from verifier.tasks.common import META_TYPES, is_unanswerable_slot


def audit(items):
    """Assert (a) labels = engine, (b) gold trajectory grades correct, (d) NL round trip."""
    for it in items:
        problem = Problem.make(it["domain"], it["premises"], it["query"])
        sol = solve(problem)
        assert sol.expected == it["answer"], it["id"]
        assert check(problem, it["trajectory"]).grade.verdict == "correct", it["id"]
        assert it["trajectory"].splitlines()[-1] == f"Answer: {it['answer']}"
        back = problem_from_text(it["prompt"])
        assert back == problem, it["id"]
        if it["answer"] == "Unknown":
            assert sol.status == "undetermined"


@pytest.mark.parametrize("module,cfg", [
    (graphla, graphla.GraphLAConfig()),
    (graphla, graphla.GraphLAConfig(depth="6-12", dishes="20-30", distractors="5-10")),
    (graphli, graphli.GraphLIConfig()),
    (graphli, graphli.GraphLIConfig(depth="12-16", atoms="40-60", distractors="10-20")),
])
def test_generated_items_are_proved_and_round_trip(module, cfg):
    items = list(module.generate(cfg, 120, seed=11))
    audit(items)
    assert sum(it["answer"] == "Unknown" for it in items) == 60
    assert all(cfg.depth.lo <= it["meta"]["depth"] <= cfg.depth.hi for it in items)


@pytest.mark.parametrize("kind", ["remove", "uninformative"])
def test_graphla_each_perturbation_yields_unknown(kind):
    cfg = graphla.GraphLAConfig(perturbations=(kind,), unanswerable_share=1.0, cut_depth=1)
    items = list(graphla.generate(cfg, 30, seed=3))
    assert {it["meta"]["perturbation"] for it in items} == {kind}
    assert all(it["answer"] == "Unknown" and it["meta"]["cut_depth"] == 1 for it in items)
    audit(items)


@pytest.mark.parametrize("kind", graphli.INTERVENTIONS)
def test_graphli_each_intervention_yields_unknown(kind):
    cfg = graphli.GraphLIConfig(interventions=(kind,), unanswerable_share=1.0)
    items = list(graphli.generate(cfg, 30, seed=3))
    assert {it["meta"]["perturbation"] for it in items} == {kind}
    assert all(it["answer"] == "Unknown" for it in items)
    assert all((it["meta"]["cut_depth"] == -1) == (kind == "false_conclusion") for it in items)
    audit(items)


def test_graphla_goal_trajectories_search_back_to_the_cut_on_the_same_problems():
    forward_cfg = graphla.GraphLAConfig(depth="1-4")
    goal_cfg = graphla.GraphLAConfig(depth="1-4", trajectory="goal")
    for i in range(60):
        fwd, goal = graphla.generate_item(forward_cfg, 9, i), graphla.generate_item(goal_cfg, 9, i)
        assert {k: v for k, v in fwd.items() if k != "trajectory"} == \
            {k: v for k, v in goal.items() if k != "trajectory"}
        lines = goal["trajectory"].split("\n")
        query = graphla.DISHES[goal["query"]][0]
        assert lines[0].startswith("We need the price of ") and query in lines[0]
        assert lines[-1] == f"Answer: {goal['answer']}"
        if goal["answer"] == "Unknown":  # the search stops at the first price no fact gives
            assert "No fact gives the price of " in lines[-3] and len(lines) >= 3
            assert lines[-2].startswith("So the price of ") and query in lines[-2]
            assert lines[-2].endswith(" cannot be determined.")
        else:  # the arithmetic follows without restating facts: one line per defined dish
            sums = [ln for ln in lines if ln.startswith("So ") and "; with " in ln]
            assert sums and sums[-1].startswith("So ") and f"{goal['query']} = " in sums[-1]
            assert sums[-1].endswith(f" = {goal['answer']}.")
    with pytest.raises(InvalidInput, match="trajectory must be one of forward, goal"):
        graphla.GraphLAConfig(trajectory="backward")


def test_graphli_reaches_depth_15_with_every_rule():
    for rule in ("mp", "mt", "ds", "conj", "disj", "hs"):
        cfg = graphli.GraphLIConfig(depth=16, rules=(rule,), unanswerable_share=0.0)
        audit(list(graphli.generate(cfg, 3, seed=5)))


def test_generation_is_deterministic_in_the_seed():
    cfg = graphla.GraphLAConfig()
    a = [graphla.generate_item(cfg, 5, i) for i in range(10)]
    b = [graphla.generate_item(cfg, 5, i) for i in range(10)]
    c = [graphla.generate_item(cfg, 6, i) for i in range(10)]
    assert a == b and a != c
    assert graphli.generate_item(graphli.GraphLIConfig(), 5, 3) == \
        graphli.generate_item(graphli.GraphLIConfig(), 5, 3)


def test_unanswerable_schedule_holds_the_share_in_every_prefix():
    for share in (0.5, 0.3, 0.0, 1.0):
        hits = 0
        for i in range(1000):
            hits += is_unanswerable_slot(i, share)
            assert abs(hits - (i + 1) * share) <= 1


@pytest.mark.parametrize("module,share", [(graphla, 0.5), (graphla, 0.0), (graphli, 0.5),
                                          (graphli, 1.0)])
def test_items_share_one_schema_without_nulls(module, share):
    """Same keys and value types for both tasks and both kinds; no null, no empty list
    (either would type as ``null`` under ``datasets`` and break loading files together)."""
    cfg = module.TASK.config_class(depth="1-4", unanswerable_share=share)
    for it in module.generate(cfg, 12, seed=4):
        assert list(it) == ["id", "domain", "prompt", "premises", "query", "answer",
                            "trajectory", "meta"]
        meta = it["meta"]
        assert list(meta) == list(META_TYPES)
        assert all(type(meta[k]) is t for k, t in META_TYPES.items()), meta
        assert meta["task"] == module.TASK.name
        assert meta["answerable"] == (it["answer"] != "Unknown")
        assert (meta["perturbation"] == "none") == meta["answerable"]
        assert (meta["cut_depth"] == -1) == (meta["answerable"] or
                                             meta["perturbation"] == "false_conclusion")
        assert len(meta["rules"]) == meta["depth"] and all(type(r) is str for r in meta["rules"])


def test_graphla_rules_name_each_chain_relation():
    cfg = graphla.GraphLAConfig(depth="3-6", unanswerable_share=0.0)
    rules = {r for it in graphla.generate(cfg, 40, seed=2) for r in it["meta"]["rules"]}
    assert rules == {"total", "comparison"}


def test_nl_parser_reads_every_graphla_template():
    rng = random.Random(0)
    rel = graphla.Relation([(2, "burger")], [(1, "pizza"), (3, "spicy_soup")], 4)
    seen = set()
    for _ in range(200):
        sentence, stated = graphla.render(rel, rng)
        seen.add(sentence.split(" ")[0])
        assert graphla.parse_sentence(sentence) == stated
    assert len(seen) >= 2


@pytest.mark.slow
def test_cli_writes_10000_items_per_task_with_half_unanswerable(tmp_path):
    """The issue's acceptance run: 10,000 items per task, audited on a sample."""
    for task in ("graphla", "graphli"):
        out = tmp_path / f"{task}.jsonl"
        r = run_honest("generate", task, "-n", 10000, "--seed", 2026, "-o", out, "--jobs", 2,
                       "--no-progress", timeout=900)
        assert r.returncode == 0, r.stderr
        items = read_jsonl(out)
        assert len(items) == 10000 and len({it["id"] for it in items}) == 10000
        share = sum(it["answer"] == "Unknown" for it in items) / len(items)
        assert abs(share - 0.5) <= 0.02
        audit(random.Random(1).sample(items, 300))


@pytest.mark.parametrize("style", graphla.TRAJECTORY_STYLES)
def test_graphla_answer_line_agrees_in_number_with_the_price(style):
    """"So a tea costs 1 dollar.", never "1 dollars" (the facts already say it right)."""
    cfg = graphla.GraphLAConfig(depth="1", dishes="2", distractors="0", leaf_prices="1-3",
                                prices="1-3", coefficients="1", trajectory=style)
    ones = 0
    for i in range(80):
        it = graphla.generate_item(cfg, 3, i)
        assert " 1 dollars" not in it["trajectory"] + it["prompt"], it["id"]
        ones += it["answer"] == "1" and "costs 1 dollar.\nAnswer: 1" in it["trajectory"]
    assert ones  # the case was met
