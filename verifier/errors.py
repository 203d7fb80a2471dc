"""One error hierarchy for the verifier core.

Every failure the core can report is a subclass of :class:`HonestError`. The
service maps these classes to gRPC status codes in one place
(``verifier/service/status.py``) and the CLI maps them to exit code 2, so the
core itself never imports grpc.

"Could not score" is always an exception, never a reward of 0: a silent zero
would train a policy on a verdict nobody reached.
"""

from __future__ import annotations

#: longest error message sent to a caller, characters: an error quotes a bounded
#: excerpt of the input, never the input (a 10 MB query must not become a 10 MB
#: status message, which gRPC would refuse as oversized metadata)
MAX_MESSAGE_CHARS = 2_000


def excerpt(text: str, limit: int = 60) -> str:
    """``repr`` of at most ``limit`` characters of ``text``, saying how much was left out."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text)} characters)"


def _bounded(message: str) -> str:
    if len(message) <= MAX_MESSAGE_CHARS:
        return message
    return f"{message[:MAX_MESSAGE_CHARS - 60]}… (message cut: {len(message)} characters)"


class HonestError(Exception):
    """Base class of every error the verifier reports to a caller."""

    #: short machine-readable kind, shown in JSON error objects
    kind = "error"

    def __init__(self, message: str):
        message = _bounded(message)
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict:
        return {"kind": self.kind, "message": self.message}


class InvalidInput(HonestError):
    """The request itself is wrong (bad field, unknown domain, ...)."""

    kind = "invalid_input"


class ParseError(InvalidInput):
    """Text in the premise language (or a rendered problem) did not parse.

    ``where`` names the piece of input (e.g. ``premise 3``), ``column`` is the
    1-based character position inside it, when known.
    """

    kind = "parse_error"

    def __init__(self, reason: str, text: str = "", column: int | None = None, where: str = ""):
        self.reason = reason
        self.text = text
        self.column = column
        self.where = where
        super().__init__(self._render())

    def _render(self) -> str:
        loc = self.where or "input"
        if self.column is not None:
            loc += f", column {self.column}"
        msg = f"{loc}: {self.reason}"
        if self.text and self.column is not None and len(self.text) <= 200:
            msg += f"\n  {self.text}\n  {' ' * (self.column - 1)}^"
        return msg

    def __reduce__(self):  # keep every field across process boundaries (worker → server)
        return (ParseError, (self.reason, self.text, self.column, self.where))

    def located(self, where: str) -> "ParseError":
        """Return a copy that names which piece of input failed."""
        return ParseError(self.reason, self.text, self.column, where)

    def to_dict(self) -> dict:
        d = super().to_dict()
        d.update({"where": self.where, "column": self.column, "reason": self.reason})
        return d


class LimitExceeded(InvalidInput):
    """The input is larger than the documented bounds (see ``verifier.limits``)."""

    kind = "limit_exceeded"


class ResourceExhausted(HonestError):
    """Solving would take more work than the configured budget allows."""

    kind = "resource_exhausted"


class SolverTimeout(ResourceExhausted):
    """The engine ran past its time budget; the item was not decided."""

    kind = "timeout"


class EngineError(HonestError):
    """The engine could not decide the problem (e.g. Z3 answered ``unknown``)."""

    kind = "engine_error"


class DeadlineExceeded(HonestError):
    """The item's time budget ran out; the worker solving it was killed and replaced."""

    kind = "deadline_exceeded"
