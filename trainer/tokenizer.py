"""A word-level tokenizer for the embedded model, built offline from the task vocabulary.

    tok = build_tokenizer()            # PreTrainedTokenizerFast, ~1.5k tokens
    tok.save_pretrained("runs/x")      # saved next to the model; AutoTokenizer reloads it

Why word level: the GraphLA/GraphLI texts come from a closed vocabulary (dish
names, atoms, a few templates), so one token per word keeps sequences short,
which is what a CPU run pays for. Digits are split one per token so every
number is spelled from ten symbols and the vocabulary stays finite.

Spaces are kept the SentencePiece way: a space becomes ``▁`` glued to the
next piece (``" the"`` → ``▁the``), so decoding is exact — the verifier grades
the text a completion's tokens spell, and ``Answer: 14`` must not come back as
``Answer : 1 4``. ``tests/test_trainer_tokenizer.py`` checks the round trip.

The vocabulary is every piece of a fixed, seeded sample of generated items
(prompts and trajectories, both tasks, a wide range of knobs), plus every
dish and atom word and every digit/punctuation in both spellings. Pieces
outside it (a word the generators never write) become ``<unk>``.
"""

from __future__ import annotations

import re
from typing import Iterable

SPACE = "▁"
PAD, UNK, EOS = "<pad>", "<unk>", "<eos>"
SPECIAL_TOKENS = (PAD, UNK, EOS)

#: one piece: an optional space marker, then a word, one digit, or one symbol;
#: a newline or a lone marker (runs of spaces) stand alone.
PIECE_PATTERN = rf"{SPACE}?[A-Za-z]+|{SPACE}?[0-9]|{SPACE}?[^A-Za-z0-9{SPACE}\s]|\n|{SPACE}|\s"
_PIECE_RE = re.compile(PIECE_PATTERN)


def split_pieces(text: str) -> list[str]:
    """The pieces the tokenizer sees for ``text`` (same rules as the Rust pre-tokenizer)."""
    return _PIECE_RE.findall(text.replace(" ", SPACE))


def task_texts(n_per_task: int = 300, seed: int = 12345) -> Iterable[str]:
    """Prompts and trajectories of a fixed sample of every task (the vocabulary source)."""
    from verifier import tasks
    for spec in tasks.all_tasks():
        for item in spec.generate(spec.vocabulary_config, n_per_task, seed):
            yield item["prompt"]
            yield item["trajectory"]


def _closed_vocabulary() -> set[str]:
    """Every task's words (dish and atom words, premise-language names such as
    ``large_samosa``) and printable ASCII character, with and without the space marker."""
    from verifier import tasks
    words: set[str] = set()
    for spec in tasks.all_tasks():
        words |= spec.words()
    pieces: set[str] = set()
    for w in words:
        for p in split_pieces(w):
            pieces.update((p, SPACE + p.lstrip(SPACE)))
    # every printable ASCII symbol, digit and single letter (e.g. a variable ``x``)
    symbols = [chr(c) for c in range(33, 127)]
    pieces.update(symbols)
    pieces.update(SPACE + s for s in symbols)
    pieces.update(("\n", SPACE))
    return pieces


def build_vocabulary(extra_texts: Iterable[str] = (), n_per_task: int = 300) -> list[str]:
    """Special tokens first, then the sorted pieces (deterministic for the same inputs)."""
    pieces = _closed_vocabulary()
    for text in task_texts(n_per_task):
        pieces.update(split_pieces(text))
    for text in extra_texts:
        pieces.update(split_pieces(text))
    pieces.difference_update(SPECIAL_TOKENS)
    return list(SPECIAL_TOKENS) + sorted(pieces)


def build_tokenizer(extra_texts: Iterable[str] = (), n_per_task: int = 300,
                    model_max_length: int = 1024):
    """A ``PreTrainedTokenizerFast`` over :func:`build_vocabulary` (saveable, reloadable)."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = build_vocabulary(extra_texts, n_per_task)
    tok = Tokenizer(models.WordLevel({t: i for i, t in enumerate(vocab)}, unk_token=UNK))
    tok.normalizer = normalizers.Replace(" ", SPACE)
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(PIECE_PATTERN), behavior="isolated")
    # Fuse concatenates the pieces without separators; the marker turns back into a space
    tok.decoder = decoders.Sequence([decoders.Replace(SPACE, " "), decoders.Fuse()])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token=PAD, unk_token=UNK, eos_token=EOS,
        model_max_length=model_max_length, clean_up_tokenization_spaces=False,
        padding_side="left")
