"""What every part of the soak test shares: this checkout's paths (put on ``sys.path`` so
that the protocol stubs import), the stubs, the status codes a call may get, and bounds."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Awaitable, Callable

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "proto")]  # this checkout, also when copied elsewhere

import grpc  # noqa: E402

from honest.v1 import verifier_pb2 as pb  # noqa: E402,F401  (re-exported)
from honest.v1 import verifier_pb2_grpc as pb_grpc  # noqa: E402,F401  (re-exported)

DOCUMENTED = {"OK", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED",
              "UNAUTHENTICATED"}
SLOW_CODES = frozenset({"DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED"})
BAD_INPUT = frozenset({"INVALID_ARGUMENT"})
DEFECT_KINDS = ("crash", "hang", "wrong_reward", "internal", "bad_status")
VERDICTS = {"correct", "wrong_answer", "unwarranted_answer", "wrong_abstention", "unparsable"}
CODE_NAMES = {c.value[0]: c.name for c in grpc.StatusCode}
HANG_SLACK_S = 5.0
HEALTH_TIMEOUT_S = 1.0
HUGE_MESSAGE_CHARS = 2_500
CALL_TIMEOUT_S = 30.0
DOMAIN = {"linear": pb.LINEAR, "logic": pb.LOGIC}
Case = Callable[[], Awaitable[None]]  # one hostile case, ready to run
ODD = ["\u0130", "\u200f", "\u202e", "\u200b", "\ufeff", "\u00a0", "\u2003", "\U0001f600",
       "\u0301", "\uff11", "\u00b2", "\u212a", "\u017f", "\x00", "\t", "\n", "\r", "\x0b"]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def short(value, limit: int = 70) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}…({len(text)} chars)"
