"""Policies: the embedded tiny model, or any causal LM given by path or hub id.

    tok = build_tokenizer(); model = build_tiny_model(tok, TinyModelConfig())
    save_policy(model, tok, "runs/x/sft", prompt_style="compact")
    model, tok, style = load_policy("runs/x/sft")      # or "Qwen/Qwen3-0.6B"

The embedded model is a ``LlamaConfig`` transformer built from its config and
trained from scratch: nothing is downloaded. A saved policy directory holds
the model, its tokenizer and ``honest_policy.json`` (the prompt style it was
trained on), so ``honest eval --model DIR`` prompts it the same way, and
``train_log.json`` (the training log).
"""

from __future__ import annotations

import json
import os

from verifier.errors import InvalidInput
from trainer.config import PROMPT_STYLES, TinyModelConfig

POLICY_META = "honest_policy.json"
TRAIN_LOG = "train_log.json"  # the trainer's log history, one entry per logging step


def build_tiny_model(tokenizer, cfg: TinyModelConfig = TinyModelConfig()):
    """A freshly initialised small Llama whose vocabulary is ``tokenizer``'s."""
    import torch
    from transformers import AutoModelForCausalLM, LlamaConfig

    torch.manual_seed(cfg.seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=cfg.hidden_size,
        num_hidden_layers=cfg.layers, num_attention_heads=cfg.heads,
        num_key_value_heads=cfg.heads, intermediate_size=cfg.intermediate_size,
        max_position_embeddings=cfg.max_positions, tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None)
    model = AutoModelForCausalLM.from_config(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    return model


def count_parameters(model) -> int:
    return sum(p.numel() for p in model.parameters())


def save_policy(model, tokenizer, path: str, prompt_style: str) -> str:
    """Save a plain HF directory that ``--model`` reads back; LoRA adapters (a peft
    model) are merged into the weights first."""
    os.makedirs(path, exist_ok=True)
    if hasattr(model, "merge_and_unload"):  # a peft model
        model = model.merge_and_unload()
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    with open(os.path.join(path, POLICY_META), "w") as f:
        json.dump({"prompt_style": prompt_style}, f)
    return path


def write_train_log(history: list[dict], path: str) -> str:
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, TRAIN_LOG), "w") as f:
        json.dump(history, f, indent=1)
    return os.path.join(path, TRAIN_LOG)


def read_train_log(path: str) -> list[dict]:
    with open(os.path.join(path, TRAIN_LOG)) as f:
        return json.load(f)


def load_policy(spec: str, prompt_style: str | None = None, progress: bool = True):
    """``(model, tokenizer, prompt_style)`` for ``--model spec``: a directory, a hub id, a
    GGUF file or a bundled model's name (:func:`trainer.pretrained.resolve_model`). A
    directory saved by :func:`save_policy` knows its style; any other model defaults to
    the ``full`` prompt."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trainer.pretrained import resolve_model

    name_or_path = resolve_model(spec, progress)
    meta_path = os.path.join(name_or_path, POLICY_META)
    saved_style = None
    if os.path.exists(meta_path):
        try:
            with open(meta_path) as f:
                saved_style = json.load(f).get("prompt_style")
        except (OSError, ValueError, AttributeError) as e:
            raise InvalidInput(f"{meta_path} is not a policy description written by "
                               f"`honest train` ({e}); delete it or pass --prompt-style") from None
    style = prompt_style or saved_style or "full"
    if style not in PROMPT_STYLES:
        raise InvalidInput(f"prompt style must be one of {', '.join(PROMPT_STYLES)}, got {style!r}")
    try:
        tokenizer = AutoTokenizer.from_pretrained(name_or_path)
        model = AutoModelForCausalLM.from_pretrained(name_or_path)
    except (OSError, ValueError, KeyError) as e:
        where = "" if name_or_path == spec else f" ({name_or_path})"
        raise InvalidInput(f"cannot load a causal LM from --model {spec}{where}: "
                           f"{str(e)[:500]}") from None
    if tokenizer.eos_token_id is None:
        raise InvalidInput(f"--model {spec}: its tokenizer has no end-of-sequence token, so "
                           "generation could not stop; give a model whose tokenizer sets one")
    if tokenizer.pad_token is None:  # batched generation needs one
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"  # decoder-only batched generation
    return model, tokenizer, style


def completion_logprob(model, tokenizer, prompt: str, completion: str) -> float:
    """log p(completion + EOS | prompt) under ``model``, teacher-forced (no sampling)."""
    import torch
    p_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    c_ids = tokenizer(completion, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    ids = torch.tensor([p_ids + c_ids])  # (1, P + C)
    with torch.no_grad():
        logits = model(input_ids=ids).logits[0, len(p_ids) - 1:-1]  # (C, V): predicts each c_ids
    logps = torch.log_softmax(logits.float(), dim=-1)
    return logps.gather(1, torch.tensor(c_ids).unsqueeze(1)).sum().item()
