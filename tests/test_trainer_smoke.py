"""End to end on a real verifier server (free port): SFT warm-up, ANCHOR steps, evaluation, CLI.

Sized to finish in well under two minutes on 2 cores: a ~30k-parameter model,
a handful of steps. It checks the plumbing (service scoring, logged metrics,
saved policies and reports), not learning.
"""

import asyncio
import json
import os

import pytest

from clients.trl import ServiceScorer
from trainer.config import EvalConfig, RLConfig, SFTConfig, TinyModelConfig
from trainer.data import write_items
from trainer.evaluate import evaluate_policy, write_reports
from trainer.model import build_tiny_model, load_policy, read_train_log
from clients.scoring import ScoringFailed
from clients.trl import VerifierReward
from trainer.rl import run_rl
from trainer.runtime import quiet_transformers
from trainer.sft import run_sft
from trainer.tokenizer import build_tokenizer
import honest_cli as cli
from verifier.tasks import graphla

pytestmark = pytest.mark.timeout(240)

TINY = TinyModelConfig(hidden_size=32, layers=1, heads=2, intermediate_size=64)




@pytest.fixture(scope="module")
def items():
    quiet_transformers()
    return list(graphla.generate(graphla.GraphLAConfig(depth=1, dishes=3, distractors=0), 16, 1))


@pytest.fixture(scope="module")
def warm_policy(items, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("sft"))
    tok = build_tokenizer(extra_texts=[t for it in items for t in (it["prompt"], it["trajectory"])],
                          n_per_task=5)
    model = build_tiny_model(tok, TINY)
    history = run_sft(model, tok, items, SFTConfig(steps=4, batch_size=8, warmup_steps=1), out,
                      "compact", progress=False)
    assert history and os.path.exists(os.path.join(out, "honest_policy.json"))
    return out


def test_anchor_trains_against_a_real_verifier_server(server, items, warm_policy, tmp_path):
    model, tok, style = load_policy(warm_policy)
    assert style == "compact"
    cfg = RLConfig(method="anchor", steps=2, group_size=3, prompts_per_step=2,
                   max_completion_length=24)
    history = run_rl(model, tok, items, cfg, ServiceScorer(server.address), str(tmp_path),
                     style, progress=False)
    steps = [h for h in history if "honest/reward_mean" in h]
    assert len(steps) == 2
    for h in steps:
        assert h["honest/injected_share"] == pytest.approx(1 / 3)
        assert 0.0 <= h["honest/abstention_rate"] <= 1.0
        assert sum(h[f"honest/verdict/{v}"] for v in ("correct", "wrong_answer",
                   "unwarranted_answer", "wrong_abstention", "unparsable")) == 4  # 2 × (3 − 1)
    assert read_train_log(str(tmp_path)) == history

    report, records = evaluate_policy(model, tok, items[:6], ServiceScorer(server.address),
                                      EvalConfig(batch_size=4, max_new_tokens=24), style, "anchor",
                                      progress=False)
    assert report.n == 6 and len(records) == 6
    paths = write_reports([report], str(tmp_path / "eval"))
    assert all(os.path.getsize(p) > 0 for p in paths.values())


def test_service_scorer_health_check_sees_a_live_server(server):
    scorer = ServiceScorer(server.address)
    assert scorer.client.health(timeout=5) == "SERVING"
    scorer.check(timeout=5)  # raises unless SERVING


def test_unreachable_service_stops_training_with_a_clear_error(items):
    dead = ServiceScorer("127.0.0.1:9", timeout=2, retries=1)
    reward = VerifierReward(dead, group_size=2)
    it = items[0]
    cols = {k: [it[k]] * 2 for k in ("id", "domain", "premises", "query")}
    with pytest.raises(ScoringFailed, match="could not score item .*UNAVAILABLE"):
        asyncio.run(reward(prompts=["p", "p"], completions=["Answer: 1", "Answer: 2"],
                           answerable=[True, True], **cols))


def test_honest_eval_cli_starts_its_own_service_and_writes_the_reports(items, warm_policy,
                                                                        tmp_path, capsys):
    data = tmp_path / "test.jsonl"
    write_items(items[:4], str(data))
    out = tmp_path / "eval"
    code = cli.main(["eval", "--model", warm_policy, "--data", str(data), "--out", str(out),
                     "--max-new-tokens", "16", "--no-progress"])
    assert code == 0
    assert "graded by the verifier service started at 127.0.0.1:" in capsys.readouterr().out
    with open(out / "eval.json") as f:
        assert json.load(f)["reports"][0]["n"] == 4
    md = (out / "eval.md").read_text()
    assert md.startswith("| model |")
    depths = {str(it["meta"]["depth"]) for it in items[:4]}
    assert "Per depth:" in md and all(f"| {warm_policy.split('/')[-1]} | {d} |" in md
                                      for d in depths)
    assert (out / "eval.png").stat().st_size > 0


def test_honest_train_cli_rejects_a_bad_setting_with_exit_code_2(items, tmp_path, capsys):
    data = tmp_path / "train.jsonl"
    write_items(items, str(data))
    code = cli.main(["train", "--method", "anchor", "--data", str(data), "--out",
                     str(tmp_path / "a"), "--group-size", "3", "--n-inject", "3"])
    assert code == 2
    assert "n_inject must lie in" in capsys.readouterr().err


def test_honest_train_cli_warms_up_the_embedded_model_then_runs_grpo(server, items, tmp_path):
    data = tmp_path / "train.jsonl"
    write_items(items, str(data))
    out = tmp_path / "grpo"
    code = cli.main(["train", "--method", "grpo", "--data", str(data), "--out", str(out),
                     "--server", server.address, "--hidden-size", "32", "--layers", "1",
                     "--sft-steps", "2", "--sft-batch-size", "4", "--steps", "1",
                     "--group-size", "2", "--prompts-per-step", "2",
                     "--max-completion-length", "8", "--no-progress"])
    assert code == 0
    for path in ("sft/honest_policy.json", "honest_policy.json", "train_log.json", "curves.png"):
        assert (out / path).exists(), path
    log = json.loads((out / "train_log.json").read_text())
    assert log[0]["honest/injected_share"] == 0.0  # GRPO: nothing injected


@pytest.mark.parametrize("case,message", [
    ("data_is_a_directory", "is not a file"),
    ("out_is_a_file", "is an existing file"),
    ("fewer_items_than_one_step", "fewer than --prompts-per-step"),
    ("threads_zero", "--threads: must be 1 or more"),
])
def test_honest_train_cli_refuses_bad_input_before_training(items, tmp_path, capsys, case,
                                                            message):
    data = tmp_path / "train.jsonl"
    write_items(items, str(data))
    out = tmp_path / "out"
    args = ["train", "--method", "anchor", "--data", str(data), "--out", str(out),
            "--hidden-size", "32", "--layers", "1", "--sft-steps", "2", "--steps", "1",
            "--group-size", "2", "--prompts-per-step", "2", "--no-progress"]
    if case == "data_is_a_directory":
        args[args.index(str(data))] = str(tmp_path)
    elif case == "out_is_a_file":
        out.write_text("results I keep\n")
    elif case == "fewer_items_than_one_step":
        args[args.index("--prompts-per-step") + 1] = str(len(items) + 1)
    elif case == "threads_zero":
        args += ["--threads", "0"]
    try:
        code = cli.main(args)
    except SystemExit as e:  # argparse rejects the flag itself
        code = e.code
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "out" / "sft").exists()  # refused before the warm-up
    if case == "out_is_a_file":
        assert out.read_text() == "results I keep\n"  # nothing the user gave is lost
