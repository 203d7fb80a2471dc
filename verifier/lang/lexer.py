"""A tiny position-tracking tokenizer shared by both premise-language parsers.

Error messages quote user text (a token, a name) only through
:func:`verifier.errors.excerpt`: a premise may be 20,000 characters long, and an
error message must stay small whatever it quotes (it is sent back, logged and
cached).
"""

from __future__ import annotations

import re
from verifier.errors import LimitExceeded, ParseError, excerpt
from verifier.limits import Limits


class Token:
    """One token: ``kind`` (a group name of the pattern, or ``EOF``), ``text``, 1-based ``col``."""

    __slots__ = ("kind", "text", "col")

    def __init__(self, kind: str, text: str, col: int):
        self.kind = kind
        self.text = text
        self.col = col

    def __repr__(self) -> str:
        return f"Token({self.kind}, {self.text!r}, {self.col})"


NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def tokenize(text: str, pattern: re.Pattern[str], limits: Limits) -> list[Token]:
    """Split ``text`` with ``pattern`` (named groups = token kinds, ``WS`` skipped).

    Raises :class:`ParseError` at the first character no group matches.
    """
    if len(text) > limits.max_text_chars:
        raise LimitExceeded(
            f"text is {len(text)} characters long; the limit is {limits.max_text_chars}"
        )
    tokens: list[Token] = []
    pos = 0
    for m in pattern.finditer(text):
        if m.start() != pos:
            break
        kind = m.lastgroup
        if kind != "WS":
            tokens.append(Token(kind, m.group(), pos + 1))
        pos = m.end()
    if pos != len(text):
        raise ParseError(f"unexpected character {text[pos]!r}", text, pos + 1)
    tokens.append(Token("EOF", "", len(text) + 1))
    return tokens


class TokenStream:
    """Cursor over a token list with helpers that raise located parse errors."""

    def __init__(self, text: str, tokens: list[Token], limits: Limits):
        self.text = text
        self.tokens = tokens
        self.i = 0
        self.limits = limits
        self.depth = 0

    @property
    def peek(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != "EOF":
            self.i += 1
        return tok

    def error(self, reason: str, tok: Token | None = None) -> ParseError:
        tok = tok or self.peek
        return ParseError(reason, self.text, tok.col)

    def describe(self, tok: Token) -> str:
        return "end of input" if tok.kind == "EOF" else excerpt(tok.text)

    def enter(self) -> None:
        """Count one level of nesting; refuse input nested past the limit."""
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise LimitExceeded(
                f"column {self.peek.col}: nesting deeper than {self.limits.max_depth} levels"
            )

    def leave(self) -> None:
        self.depth -= 1
