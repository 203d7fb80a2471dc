"""Plain result objects returned by the clients (no protobuf in user code)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import grpc

from clients.wire import grade_fields, solution_fields
from honest.v1 import verifier_pb2 as pb
from verifier.errors import HonestError, InvalidInput


class RemoteError(HonestError):
    """The service answered with an error status; ``code`` is the grpc.StatusCode."""

    kind = "remote_error"

    def __init__(self, code: grpc.StatusCode, message: str):
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.details = message

    def to_dict(self) -> dict:
        return {"kind": self.kind, "code": self.code.name, "message": self.details}


class RemoteInvalidInput(RemoteError, InvalidInput):
    """INVALID_ARGUMENT from the service: the request must be fixed (CLI exit code 2)."""

    kind = "invalid_input"


def remote_error(code: grpc.StatusCode, message: str) -> RemoteError:
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        return RemoteInvalidInput(code, message)
    return RemoteError(code, message)


_CODES = {c.value[0]: c for c in grpc.StatusCode}


@dataclass(frozen=True)
class SolveResult:
    status: str
    expected: str
    inconsistent: bool
    certificate: dict[str, Any]
    solve_ms: float
    cached: bool
    id: str = ""

    @classmethod
    def from_msg(cls, msg: pb.Solution, id: str = "") -> "SolveResult":
        return cls(**solution_fields(msg), id=id)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GradeResult:
    verdict: str
    reward: float
    answer: str | None
    #: the step audit (steps, first_unsupported_line, ...) when asked for with steps=True
    steps: dict[str, Any] | None = None


@dataclass(frozen=True)
class VerifyResult:
    """Same fields as ``honest check`` prints, plus timing."""

    verdict: str
    reward: float
    answer: str | None
    solution: SolveResult
    total_ms: float
    id: str = ""
    #: the step audit (steps, first_unsupported_line, ...) when asked for with steps=True
    steps: dict[str, Any] | None = None

    @classmethod
    def from_msg(cls, msg: pb.VerifyResponse) -> "VerifyResult":
        if msg.HasField("error"):
            raise remote_error(_CODES.get(msg.error.code, grpc.StatusCode.UNKNOWN),
                               msg.error.message)
        g = grade_fields(msg.grade)
        return cls(g["verdict"], g["reward"], g["answer"], SolveResult.from_msg(msg.solution),
                   msg.total_ms, msg.id, g["steps"])

    def to_dict(self) -> dict[str, Any]:
        """What ``honest check`` prints (plus the step audit when there is one)."""
        s = self.solution
        out = {"verdict": self.verdict, "reward": self.reward, "answer": self.answer,
               "status": s.status, "expected": s.expected, "inconsistent": s.inconsistent,
               "certificate": s.certificate}
        if self.steps is not None:
            out.update(self.steps)
        return out


@dataclass(frozen=True)
class GroupResult:
    solution: SolveResult
    grades: list[GradeResult] = field(default_factory=list)
    mean_reward: float = 0.0
    rewards_tied: bool = False
    total_ms: float = 0.0
    id: str = ""

    @classmethod
    def from_msg(cls, msg: pb.VerifyGroupResponse) -> "GroupResult":
        if msg.HasField("error"):
            raise remote_error(_CODES.get(msg.error.code, grpc.StatusCode.UNKNOWN),
                               msg.error.message)
        grades = [GradeResult(**grade_fields(g)) for g in msg.grades]
        return cls(SolveResult.from_msg(msg.solution), grades, msg.mean_reward,
                   msg.rewards_tied, msg.total_ms, msg.id)

    @property
    def rewards(self) -> list[float]:
        return [g.reward for g in self.grades]

    @property
    def verdicts(self) -> list[str]:
        return [g.verdict for g in self.grades]
