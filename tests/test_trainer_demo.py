"""``honest demo --quick``: the main job end to end (service, SFT, GRPO, ANCHOR, eval)."""

import importlib.util
import json
import pathlib

import pytest

from trainer import demo

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def load_rl_seeds():
    """``benchmarks/rl_seeds.py`` (a script, not a package module)."""
    path = pathlib.Path(__file__).parents[1] / "benchmarks" / "rl_seeds.py"
    spec = importlib.util.spec_from_file_location("rl_seeds", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_quick_writes_table_curves_and_summary(tmp_path):
    assert demo.main(["--quick", "--out", str(tmp_path), "--no-progress"]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [r["name"] for r in summary["reports"]] == ["sft warm-up", "GRPO", "ANCHOR",
                                                       "SFT continued"]
    for r in summary["reports"]:
        assert {"overall", "answerable", "unanswerable", "abstention", "verdicts",
                "by_depth"} <= set(r), r["name"]
    assert summary["scoring"].startswith("verifier service started at")
    report = (tmp_path / "report.md").read_text()
    assert report.startswith("| model |") and "GRPO" in report and "ANCHOR" in report
    for name in ("curves.png", "eval.png", "grpo/train_log.json", "anchor/train_log.json",
                 "sft-continued/train_log.json"):
        assert (tmp_path / name).stat().st_size > 0, name

    # the seed sweep re-runs the RL stage from this demo's own warm-up
    rl_seeds = load_rl_seeds()
    rows = tmp_path / "sweep"
    assert rl_seeds.main(["--from", str(tmp_path), "--seeds", "0", "--steps", "1",
                          "--out", str(rows)]) == 0
    for method in ("grpo", "anchor", "sft-continued"):
        assert (rows / f"{method}-0" / "train_log.json").stat().st_size > 0, method
    assert rl_seeds.main(["--from", str(tmp_path / "missing")]) == 2


def test_seed_table_reports_mean_and_range():
    rl_seeds = load_rl_seeds()
    row = dict(answerable=0.0, unanswerable=1.0, overall=0.5, abstention=1.0)
    table = rl_seeds.summary_table([{"method": "grpo", **row},
                                    {"method": "grpo", **row, "overall": 0.3},
                                    {"method": "anchor", **row}])
    lines = table.splitlines()
    assert lines[2].startswith("| grpo | 2 |") and "0.400 [0.30–0.50]" in lines[2]
    assert lines[3].startswith("| anchor | 1 |") and "0.500 [0.50–0.50]" in lines[3]
    for bad in (["--seeds", "0,x"], ["--methods", "grpo,ppo"]):
        with pytest.raises(SystemExit) as e:
            rl_seeds.main(bad)
        assert e.value.code == 2, bad
