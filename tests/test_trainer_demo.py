"""``honest demo --quick``: the main job end to end (service, SFT, GRPO, ANCHOR, eval)."""

import json

import pytest

from trainer import demo

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_demo_quick_writes_table_curves_and_summary(tmp_path):
    assert demo.main(["--quick", "--out", str(tmp_path), "--no-progress"]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [r["name"] for r in summary["reports"]] == ["sft warm-up", "GRPO", "ANCHOR"]
    assert summary["scoring"].startswith("verifier service started at")
    report = (tmp_path / "report.md").read_text()
    assert report.startswith("| model |") and "GRPO" in report and "ANCHOR" in report
    for name in ("curves.png", "eval.png", "grpo/train_log.json", "anchor/train_log.json"):
        assert (tmp_path / name).stat().st_size > 0, name
