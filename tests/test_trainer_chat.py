"""A policy whose tokenizer has a chat template (how ``--model`` runs real instruct models).

The prompt becomes one user message and TRL renders it with the template; the
completion comes back as an assistant message; ANCHOR's gold is injected as an
assistant message too. A tiny model and a minimal template stand in for e.g.
Qwen3-0.6B so this runs offline in seconds.
"""

import pytest

from trainer.config import EvalConfig, RLConfig, SFTConfig, TinyModelConfig
from trainer.data import rl_dataset, sft_dataset
from trainer.evaluate import evaluate_policy
from trainer.model import build_tiny_model, load_policy, save_policy
from clients.scoring import LocalScorer
from trainer.rl import run_rl
from trainer.runtime import quiet_transformers
from trainer.sft import run_sft
from trainer.tokenizer import build_tokenizer
from verifier.tasks import graphli

pytestmark = pytest.mark.timeout(240)

TEMPLATE = ("{% for m in messages %}{% if m['role'] == 'user' %}{{ m['content'] }}"
            "{% else %}{{ m['content'] }}{{ eos_token }}{% endif %}{% endfor %}")
TINY = TinyModelConfig(hidden_size=32, layers=1, heads=2, intermediate_size=64)


@pytest.fixture(scope="module")
def chat_policy(tmp_path_factory):
    quiet_transformers()
    items = list(graphli.generate(graphli.GraphLIConfig(depth=1), 8, seed=2))
    tok = build_tokenizer(extra_texts=[t for it in items for t in (it["prompt"], it["trajectory"])],
                          n_per_task=5)
    tok.chat_template = TEMPLATE
    model = build_tiny_model(tok, TINY)
    out = str(tmp_path_factory.mktemp("chat"))
    save_policy(model, tok, out, "compact")
    return items, out


def test_datasets_turn_prompts_into_messages_when_the_tokenizer_has_a_template(chat_policy):
    items, _ = chat_policy
    rl = rl_dataset(items, "compact", chat=True)
    assert rl[0]["prompt"][0]["role"] == "user" and rl[0]["trajectory"] == items[0]["trajectory"]
    sft = sft_dataset(items, "compact", chat=True)
    assert sft[0]["completion"] == [{"role": "assistant", "content": items[0]["trajectory"]}]


def test_sft_anchor_and_eval_run_on_a_chat_template_policy(chat_policy, tmp_path):
    items, path = chat_policy
    model, tok, style = load_policy(path)
    assert tok.chat_template == TEMPLATE and style == "compact"
    history = run_sft(model, tok, items, SFTConfig(steps=2, batch_size=4, warmup_steps=0),
                      str(tmp_path / "sft"), style, progress=False)
    assert history[-1]["train_loss"] > 0
    cfg = RLConfig(method="anchor", steps=1, group_size=2, prompts_per_step=2,
                   max_completion_length=8)
    history = run_rl(model, tok, items, cfg, LocalScorer(), str(tmp_path / "anchor"), style,
                     progress=False)
    step = next(h for h in history if "honest/injected_share" in h)
    assert step["honest/injected_share"] == pytest.approx(0.5)
    # the injected gold is graded like a completion: each group holds one correct member
    assert step["reward"] >= 0.5 - 1e-6
    report, records = evaluate_policy(model, tok, items[:3], LocalScorer(),
                                      EvalConfig(batch_size=2, max_new_tokens=8), style, "chat",
                                      progress=False)
    assert report.n == 3 and all(isinstance(r["completion"], str) for r in records)
