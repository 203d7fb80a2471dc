"""NOT framework code: the smallest stand-ins for what verl and OpenRLHF hand to the copied
calling code in this folder — a tokenizer, vLLM's generate() output, verl's DataProto and its
OmegaConf config — so that code runs on a CPU without ray, vLLM or a model download.

Each stand-in has only the attributes the copied code touches; the copies themselves are kept as
in the packages.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Sequence

import numpy as np
import torch

_OFFSET = 1000  # ids below are special tokens, ids above are characters


class CharTokenizer:
    """One id per character and per special token, like a HF tokenizer's ``__call__`` /
    ``decode``: ``decode(ids, skip_special_tokens=True)`` drops the special tokens (verl
    decodes that way), ``False`` keeps their text (OpenRLHF)."""

    def __init__(self, special_tokens: Sequence[str] = ("<pad>", "<|im_start|>", "<|im_end|>",
                                                        "</s>")):
        self.special_tokens = list(special_tokens)
        self.pad_token_id = 0
        self.eos_token = self.special_tokens[-1]
        self.eos_token_id = len(self.special_tokens) - 1

    def encode(self, text: str) -> list[int]:
        ids, i = [], 0
        while i < len(text):
            for sid, tok in enumerate(self.special_tokens):
                if text.startswith(tok, i):
                    ids.append(sid)
                    i += len(tok)
                    break
            else:
                ids.append(_OFFSET + ord(text[i]))
                i += 1
        return ids

    def __call__(self, text: str, add_special_tokens: bool = False, return_tensors=None):
        ids = self.encode(text)
        return {"input_ids": torch.tensor([ids]) if return_tensors == "pt" else [ids]}

    def decode(self, ids, skip_special_tokens: bool = False) -> str:
        if isinstance(ids, torch.Tensor):
            ids = ids.tolist()
        return "".join(("" if skip_special_tokens else self.special_tokens[i]) if i < _OFFSET
                       else chr(i - _OFFSET) for i in ids)


class ScriptedEngine:
    """vLLM engine stand-in for OpenRLHF's executors: ``generate`` answers with a fixed text."""

    def __init__(self, tokenizer: CharTokenizer, completion: str):
        self.tokenizer, self.completion = tokenizer, completion

    async def generate(self, prompt_token_ids, sampling_params, multi_modal_data=None):
        out = SimpleNamespace(token_ids=self.tokenizer.encode(self.completion),
                              text=self.completion, finish_reason="stop", logprobs=None)
        return SimpleNamespace(outputs=[out])


def sampling_params(max_tokens: int | None = 256) -> SimpleNamespace:
    """vllm.SamplingParams stand-in: OpenRLHF reads ``max_tokens`` and ``logprobs``."""
    return SimpleNamespace(max_tokens=max_tokens, logprobs=None)


class AttrDict(dict):
    """OmegaConf DictConfig stand-in: attribute access and ``.get``."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    @classmethod
    def of(cls, obj: Any) -> Any:
        if isinstance(obj, dict):
            return cls({k: cls.of(v) for k, v in obj.items()})
        return obj


class DataProtoItem(SimpleNamespace):
    """``verl.protocol.DataProtoItem``: one row — ``batch`` (tensors) and ``non_tensor_batch``."""


class DataProto:
    """``verl.DataProto`` stand-in: ``batch`` (dict of (B, ...) tensors), ``non_tensor_batch``
    (dict of (B,) object arrays), ``len``, ``data[i]`` (a row), ``data[i:j]`` (a DataProto) and
    iteration over rows, as the copied reward managers use them."""

    def __init__(self, batch: dict[str, torch.Tensor], non_tensor_batch: dict[str, np.ndarray],
                 meta_info: dict | None = None):
        self.batch, self.non_tensor_batch, self.meta_info = batch, non_tensor_batch, meta_info or {}

    def __len__(self) -> int:
        return len(next(iter(self.batch.values())))

    def __getitem__(self, i):
        if isinstance(i, slice):
            return DataProto({k: v[i] for k, v in self.batch.items()},
                             {k: v[i] for k, v in self.non_tensor_batch.items()}, self.meta_info)
        return DataProtoItem(batch={k: v[i] for k, v in self.batch.items()},
                             non_tensor_batch={k: v[i] for k, v in self.non_tensor_batch.items()})

    def __iter__(self):
        return (self[i] for i in range(len(self)))


def objects(values: Sequence[Any]) -> np.ndarray:
    arr = np.empty(len(values), dtype=object)
    arr[:] = list(values)
    return arr


def rollout_batch(tokenizer: CharTokenizer, prompts: Sequence[str], responses: Sequence[str],
                  non_tensor: dict[str, Sequence[Any]]) -> DataProto:
    """A batch shaped like verl's rollout output: ``prompts`` (B, P) left-padded, ``responses``
    (B, R) right-padded, ``attention_mask`` (B, P + R); ``non_tensor`` columns as object arrays."""
    p_ids = [tokenizer.encode(p) for p in prompts]
    r_ids = [tokenizer.encode(r) for r in responses]
    P, R = max(map(len, p_ids)), max(map(len, r_ids))
    pad = tokenizer.pad_token_id
    prompt_t = torch.tensor([[pad] * (P - len(x)) + x for x in p_ids])  # (B, P)
    resp_t = torch.tensor([x + [pad] * (R - len(x)) for x in r_ids])  # (B, R)
    mask = torch.tensor([[0] * (P - len(p)) + [1] * len(p) + [1] * len(r) + [0] * (R - len(r))
                         for p, r in zip(p_ids, r_ids)])  # (B, P + R)
    return DataProto({"prompts": prompt_t, "responses": resp_t, "attention_mask": mask},
                     {k: objects(v) for k, v in non_tensor.items()})
