"""The one place where core errors become gRPC status codes."""

from __future__ import annotations

import grpc

from verifier.errors import (DeadlineExceeded, EngineError, HonestError, InvalidInput,
                             ResourceExhausted)

_CODES: list[tuple[type, grpc.StatusCode]] = [
    (InvalidInput, grpc.StatusCode.INVALID_ARGUMENT),  # incl. ParseError, LimitExceeded
    (DeadlineExceeded, grpc.StatusCode.DEADLINE_EXCEEDED),
    (ResourceExhausted, grpc.StatusCode.RESOURCE_EXHAUSTED),  # incl. SolverTimeout
    (EngineError, grpc.StatusCode.INTERNAL),
]


def status_of(err: HonestError) -> grpc.StatusCode:
    for cls, code in _CODES:
        if isinstance(err, cls):
            return code
    return grpc.StatusCode.INTERNAL


def code_number(code: grpc.StatusCode) -> int:
    return code.value[0]
