"""Bounds on every input the verifier accepts.

Each bound exists so that a hostile or careless request cannot make the
verifier hang or run out of memory: text length, nesting, number sizes and
system sizes are all checked before any solving starts. The values are
module-level defaults; :class:`Limits` lets a server or test use others.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    #: characters in one premise, query or response
    max_text_chars: int = 20_000
    #: characters in one natural-language problem text
    max_problem_chars: int = 400_000
    #: premises in one problem
    max_premises: int = 5_000
    #: distinct names (unknowns or atoms) in one problem
    max_names: int = 5_000
    #: parenthesis / operator nesting depth in one premise
    max_depth: int = 64
    #: digits in one number literal
    max_number_digits: int = 40
    #: bits of any numerator/denominator built while parsing
    max_number_bits: int = 256
    #: estimated bits of the exact solution (Hadamard bound); above it solving is refused
    max_solution_bits: int = 200_000
    #: Z3 wall-clock budget per check, milliseconds
    z3_timeout_ms: int = 10_000
    #: Z3 deterministic work budget per check (rlimit units)
    z3_rlimit: int = 50_000_000


DEFAULT_LIMITS = Limits()

#: largest gRPC message the service and its clients send or accept, bytes
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
