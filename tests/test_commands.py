"""The `honest` subcommands of verifier and clients (generate, check, solve, serve), run as a user would."""

import json

from helpers import read_jsonl, run_honest


def test_check_single_item_prints_the_result():
    r = run_honest("check", "--domain", "linear", "--premise", "a = 2", "--premise",
                   "b = 3*a - 1", "--query", "b", "--response", "so...\nAnswer: 5")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["verdict"] == "correct" and out["expected"] == "5" and out["reward"] == 1.0
    assert out["status"] == "determined" and out["certificate"]["derives"] == "b = 5"


def test_check_single_bad_item_exits_2_with_a_located_message():
    r = run_honest("check", "--domain", "linear", "--premise", "a = 2", "--premise", "b = a*a",
                   "--query", "b", "--response", "Answer: 4")
    assert r.returncode == 2
    assert "premise 2, column 6" in r.stderr and "non-linear" in r.stderr
    r = run_honest("check", "--domain", "logic", "--query", "a")
    assert r.returncode == 2 and "--response" in r.stderr


def test_check_problem_text_form(tmp_path):
    out = tmp_path / "li.jsonl"
    assert run_honest("generate", "graphli", "-n", 2, "-o", out, "--no-progress").returncode == 0
    item = read_jsonl(out)[0]
    r = run_honest("check", "--problem", item["prompt"], "--response", item["trajectory"])
    assert r.returncode == 0 and json.loads(r.stdout)["verdict"] == "correct"


def test_check_batch_keeps_order_and_reports_bad_lines(tmp_path):
    lines = [
        json.dumps({"id": "ok1", "domain": "logic", "premises": ["a -> b", "a"], "query": "b",
                    "response": "Answer: True"}),
        "{not json",
        json.dumps({"id": "bad", "domain": "logic", "premises": ["a ->"], "query": "b",
                    "response": "Answer: True"}),
        json.dumps({"id": "nores", "domain": "linear", "premises": ["a = 1"], "query": "a"}),
        json.dumps({"id": "ok2", "domain": "linear", "premises": ["a + b = 1"], "query": "a",
                    "response": "Answer: 1"}),
    ]
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(lines) + "\n")
    r = run_honest("check", "--jsonl", path)
    assert r.returncode == 0, r.stderr
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert [o.get("id") for o in out] == ["ok1", None, "bad", "nores", "ok2"]
    assert out[0]["verdict"] == "correct"
    assert out[1]["line"] == 2 and "not valid JSON" in out[1]["error"]["message"]
    assert out[2]["error"]["kind"] == "parse_error" and out[2]["error"]["where"] == "premise 1"
    assert "response" in out[3]["error"]["message"]
    assert out[4]["verdict"] == "unwarranted_answer"
    assert "3 line(s) had errors" in r.stderr


def test_generate_rejects_bad_knobs_with_exit_2(tmp_path):
    r = run_honest("generate", "graphla", "-n", 3, "--depth", "9-2", "-o", tmp_path / "x.jsonl")
    assert r.returncode == 2 and "empty" in r.stderr
    r = run_honest("generate", "graphla", "-n", 3, "--atoms", "4", "-o", tmp_path / "x.jsonl")
    assert r.returncode == 2 and "GraphLI" in r.stderr
    r = run_honest("generate", "graphli", "-n", 3, "--rules", "mp,bogus", "-o", tmp_path / "x.jsonl")
    assert r.returncode == 2 and "bogus" in r.stderr


def test_generate_rules_restricts_graphli_derivations(tmp_path):
    """``--rules mp``: every derivation step of every gold trajectory is modus ponens."""
    out = tmp_path / "mp.jsonl"
    r = run_honest("generate", "graphli", "-n", 60, "--rules", "mp", "--depth", "1-3",
                   "-o", out, "--no-progress")
    assert r.returncode == 0, r.stderr
    steps = [line for item in read_jsonl(out) for line in item["trajectory"].splitlines()
             if line.startswith("Since ")]
    assert steps and all(line.endswith("(modus ponens).") for line in steps), steps[:3]


def test_generate_trajectory_goal_writes_goal_directed_golds(tmp_path):
    out = tmp_path / "goal.jsonl"
    r = run_honest("generate", "graphla", "-n", 6, "--trajectory", "goal", "-o", out,
                   "--no-progress")
    assert r.returncode == 0, r.stderr
    assert all(it["trajectory"].startswith("We need the price of ") for it in read_jsonl(out))
    r = run_honest("generate", "graphli", "-n", 3, "--trajectory", "goal", "-o", out)
    assert r.returncode == 2 and "GraphLA" in r.stderr


def test_solve_without_a_response():
    r = run_honest("solve", "--domain", "logic", "--premise", "a | b", "--premise", "~a",
                   "--query", "b")
    assert r.returncode == 0
    assert json.loads(r.stdout)["expected"] == "True"


def test_generate_trajectory_choices_are_the_generators_styles():
    from verifier.tasks.graphla import TRAJECTORY_STYLES
    r = run_honest("generate", "graphla", "-n", 1, "--trajectory", "bogus")
    assert r.returncode == 2
    assert all(f"'{s}'" in r.stderr for s in TRAJECTORY_STYLES), r.stderr
