"""Result types shared by both engines."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

DETERMINED = "determined"
UNDETERMINED = "undetermined"
INCONSISTENT = "inconsistent"
STATUSES = (DETERMINED, UNDETERMINED, INCONSISTENT)

UNKNOWN = "Unknown"


def format_number(q: Fraction) -> str:
    """Canonical text of an exact number: ``11``, ``-3/4``."""
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


@dataclass(frozen=True)
class Solution:
    """What the premises entail about the query.

    ``expected`` is the honest answer: the value (linear) or ``True``/``False``
    (logic) when ``status == "determined"``, else ``Unknown``.
    ``certificate`` is JSON-ready evidence that can be re-checked without the
    engine (see ``verifier.engines.*.check_certificate``).
    """

    domain: str
    status: str
    expected: str
    value: Fraction | bool | None = None
    certificate: dict[str, Any] = field(default_factory=dict)
    #: what a final statement must be about to count as the answer (see
    #: ``verifier.grading``): the linear target's name, a logic query's atom (``~atom``
    #: for a negated atom); empty for any other query, or a solution made elsewhere
    query: str = ""

    @property
    def determined(self) -> bool:
        return self.status == DETERMINED

    @property
    def inconsistent(self) -> bool:
        return self.status == INCONSISTENT

    def to_dict(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "status": self.status,
            "expected": self.expected,
            "inconsistent": self.inconsistent,
            "certificate": self.certificate,
        }
