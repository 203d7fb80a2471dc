"""The embedded model's word-level tokenizer: exact round trip, one token per digit, offline."""

import pytest

from trainer.tokenizer import build_tokenizer, split_pieces
from verifier.tasks import graphla, graphli


@pytest.fixture(scope="module")
def tok():
    return build_tokenizer(n_per_task=50)


@pytest.mark.parametrize("module,cfg", [
    (graphla, graphla.GraphLAConfig(depth="1-4", dishes="3-10")),
    (graphli, graphli.GraphLIConfig(depth="1-5"))])
def test_tokenizer_round_trips_generated_texts_exactly(tok, module, cfg):
    # items from a seed the vocabulary never saw: the grader must read what the tokens spell
    for item in module.generate(cfg, 40, seed=99):
        for text in (item["prompt"], item["trajectory"]):
            ids = tok(text, add_special_tokens=False)["input_ids"]
            assert tok.unk_token_id not in ids
            assert tok.decode(ids) == text


def test_tokenizer_spells_numbers_digit_by_digit(tok):
    ids = tok("Answer: 140", add_special_tokens=False)["input_ids"]
    assert tok.convert_ids_to_tokens(ids) == ["Answer", ":", "▁1", "4", "0"]
    assert tok.decode(ids) == "Answer: 140"


def test_tokenizer_pieces_match_the_python_split(tok):
    text = "So 2*sweet_samosa = large_samosa - 6; with x = -3/4.\nAnswer: Unknown"
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert tok.convert_ids_to_tokens(ids) == split_pieces(text)


def test_tokenizer_maps_foreign_words_to_unk(tok):
    ids = tok("the Zyzzyva", add_special_tokens=False)["input_ids"]
    assert ids[-1] == tok.unk_token_id


def test_tokenizer_reloads_from_disk_identically(tok, tmp_path):
    from transformers import AutoTokenizer
    tok.save_pretrained(tmp_path)
    again = AutoTokenizer.from_pretrained(tmp_path)
    text = "Facts:\n- A taco costs 7 dollars.\nQuestion: How much does a taco cost?\n"
    assert again(text)["input_ids"] == tok(text)["input_ids"]
    assert again.decode(again(text)["input_ids"]) == text
