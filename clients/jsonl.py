"""Reading the files the ``honest`` batch commands take (``check --jsonl``, ``audit``,
``export``): JSON lines with their line numbers, line counts for progress bars, token
files. Shared so each command reports a bad line the same way."""

from __future__ import annotations

import json
import sys
from typing import Any, Iterator

from verifier.errors import InvalidInput


def read_jsonl(path: str) -> Iterator[tuple[int, Any]]:
    """``(line number, record)`` per non-blank line (``-`` = stdin); a line that is not
    JSON yields an :class:`InvalidInput` naming the line instead of a record."""
    f = sys.stdin if path == "-" else open(path, encoding="utf-8")
    try:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError as e:
                yield lineno, InvalidInput(f"line {lineno}: not valid JSON ({e.msg} at "
                                           f"column {e.colno})")
    finally:
        if f is not sys.stdin:
            f.close()


def count_lines(path: str) -> int | None:
    """Non-blank lines (a progress bar's total); None for stdin."""
    if path == "-":
        return None
    try:
        with open(path, "rb") as f:
            return sum(1 for line in f if line.strip())
    except OSError as e:
        raise InvalidInput(f"cannot read {path}: {e.strerror}") from None


def read_token(path: str | None) -> str | None:
    """The bearer token in ``path`` (``--token-file``), stripped; None without a path."""
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip()
    except OSError as e:
        raise InvalidInput(f"cannot read --token-file {path}: {e.strerror}") from None
