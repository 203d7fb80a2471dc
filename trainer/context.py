"""Does an item fit the model? Prompt lengths as the model reads them, checked before training.

    check_context(model, tok, items, "full", room=200, what="--max-completion-length")

A prompt is measured as the trainers feed it: through the chat template (one user
message, the assistant turn opened) when the tokenizer has one, as plain text otherwise.
A prompt that leaves no room for the completion in the model's positions
(``max_position_embeddings``) is refused before any step runs, with the item, the
numbers and the fix: failing at step 300 or silently truncating a prompt are worse.
"""

from __future__ import annotations

from verifier.errors import InvalidInput


def prompt_length(tokenizer, item: dict, style: str) -> int:
    """Tokens of ``item``'s prompt in ``style`` as the model reads it."""
    from trainer.data import prompt_text
    from trainer.prompts import has_chat_template, render_prompt
    text = prompt_text(item, style)
    if has_chat_template(tokenizer):
        text = render_prompt(tokenizer, [{"role": "user", "content": text}])
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])
    return len(tokenizer(text)["input_ids"])


def check_context(model, tokenizer, items: list[dict], style: str, room: int,
                  gold: bool = False, what: str = "the completion") -> None:
    """Refuse an item whose prompt (+ its gold trajectory and EOS, with ``gold``) + ``room``
    tokens exceed the model's positions. A model that states no limit passes."""
    limit = getattr(model.config, "max_position_embeddings", None)
    if limit is None:
        return
    tok = getattr(tokenizer, "tokenizer", tokenizer)
    for it in items:
        total = prompt_length(tok, it, style) + room
        if gold:
            total += len(tok(it["trajectory"], add_special_tokens=False)["input_ids"]) + 1
        if total > limit:
            parts = "prompt + gold trajectory" if gold else f"prompt + {what} ({room})"
            raise InvalidInput(f"item {it['id']}: {parts} is {total} tokens, more than the "
                               f"model's {limit} positions; drop such items, lower {what}, "
                               "or use a model with a longer context")
