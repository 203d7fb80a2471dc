"""The ``honest.v1.Verifier`` servicer: decode → core → encode, nothing else.

Solving goes through the cache to the worker pool (never in the event loop).
Grading a completion against a known solution is linear-time regex work; a
group's grading yields to the event loop every few milliseconds, so health
checks and other calls are answered while a large group is graded. Every core
error becomes a gRPC status in ``status.py``; a request that does not even
decode gets INVALID_ARGUMENT (see :func:`add_to_server`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from typing import AsyncIterator, Sequence

import grpc
from google.protobuf.message import DecodeError

from honest.v1 import verifier_pb2 as pb
from verifier.errors import HonestError, InvalidInput, LimitExceeded, excerpt
from verifier.grading import DEFAULT_REWARDS, Grade, RewardMap, grade
from verifier.service import convert
from verifier.service.cache import InFlight, Solved, SolveCache, problem_key
from verifier.service.metrics import Metrics
from verifier.service.status import code_number, status_of
from verifier.service.workers import WorkerPool
from verifier.solution import Solution

#: request work runs this long on the event loop before it yields to other calls, seconds.
#: A unary call such as a health check needs about ten loop turns (one per gRPC event),
#: so it waits about ten slices behind a large group: ~11 ms at 1 ms (~46 ms at 5 ms).
GRADE_SLICE_S = 0.001


@dataclasses.dataclass(frozen=True)
class ServiceLimits:
    """Bounds on one request's shape (the premise language's own are in verifier.limits)."""

    #: completions in one group (VerifyGroup, or one group of a VerifyBatch)
    max_group: int = 4096
    #: groups in one VerifyBatch
    max_batch_groups: int = 4096
    #: completions in one VerifyBatch, all groups together
    max_batch_completions: int = 65_536
    #: characters of a caller's ``id`` (echoed back)
    max_id_chars: int = 1024


class Malformed:
    """Stands in for a request message whose bytes did not decode."""

    __slots__ = ("reason",)

    def __init__(self, reason: str):
        self.reason = reason


def _lenient(message_cls):
    """A deserializer that hands undecodable bytes to the handler instead of failing the
    call with UNKNOWN, so the handler can answer INVALID_ARGUMENT with a message."""

    def decode(data: bytes):
        try:
            return message_cls.FromString(data)
        except (DecodeError, ValueError) as e:
            return Malformed(excerpt(str(e) or type(e).__name__))
    return decode


def _malformed_error(m: Malformed, what: str) -> InvalidInput:
    return InvalidInput(f"the {what} message could not be decoded ({m.reason}): send a "
                        f"serialized honest.v1.{what}")


class VerifierServicer:
    def __init__(self, pool: WorkerPool, cache: SolveCache, metrics: Metrics,
                 rewards: RewardMap = DEFAULT_REWARDS, max_solve_s: float = 10.0,
                 limits: ServiceLimits = ServiceLimits()):
        self.pool = pool
        self.cache = cache
        self.metrics = metrics
        self.rewards = rewards
        self.max_solve_s = max_solve_s
        self.limits = limits
        self._slice_end = 0.0  # when the event loop is next handed to other calls

    async def _breathe(self) -> None:
        """Yield the event loop once this servicer has held it for GRADE_SLICE_S. The slice
        is shared by every call, so thousands of small groups in one VerifyBatch yield as
        often as one large group does."""
        now = time.perf_counter()
        if now > self._slice_end:
            if self._slice_end:
                await asyncio.sleep(0)
            self._slice_end = time.perf_counter() + GRADE_SLICE_S

    # ------------------------------------------------------------ helpers
    @staticmethod
    def _wait_s(context) -> float | None:
        """How long this call may wait for a solve: until just before its deadline."""
        remaining = context.time_remaining()
        return None if remaining is None else max(0.0, remaining - 0.01)

    def _check_id(self, request_id: str) -> None:
        if len(request_id) > self.limits.max_id_chars:
            raise LimitExceeded(f"id is {len(request_id)} characters; the limit is "
                                f"{self.limits.max_id_chars}")

    async def _solve(self, problem: pb.Problem, wait_s: float | None) -> tuple[Solved, bool]:
        key = problem_key(problem.SerializeToString(deterministic=True))
        solved = self.cache.peek(key)
        if solved is not None:
            self.metrics.cache(True)
            return solved, True
        payload = convert.payload_of(problem)

        async def run(entry: InFlight) -> Solved:
            # the server's budget, not the caller's: see verifier.service.cache
            t0 = time.perf_counter()
            sol = await self.pool.solve(payload, self.max_solve_s, entry.wanted)
            seconds = time.perf_counter() - t0
            self.metrics.solved(sol.domain, seconds)
            return Solved(dataclasses.replace(sol, certificate={}),
                          json.dumps(sol.certificate, separators=(",", ":")), seconds * 1e3)

        solved, cached = await self.cache.get(key, run, wait_s)
        self.metrics.cache(cached)
        return solved, cached

    @staticmethod
    def _solution_msg(s: Solved, cached: bool) -> pb.Solution:
        return convert.solution_message(s.solution, s.certificate_json, s.solve_ms, cached)

    def _rewards(self, msg: pb.RewardMap) -> RewardMap:
        return convert.rewards_of(msg, self.rewards)

    async def _fail(self, context, rpc: str, err: HonestError):
        code = status_of(err)
        self.metrics.error(rpc, code.name)
        await context.abort(code, err.message)

    def _item_error(self, rpc: str, err: HonestError) -> pb.ItemError:
        code = status_of(err)
        self.metrics.error(rpc, code.name)
        return pb.ItemError(code=code_number(code), message=err.message)

    async def _grade_all(self, solution: Solution, completions: Sequence[str],
                         rewards: RewardMap) -> list[Grade]:
        """Grade on the event loop, yielding every GRADE_SLICE_S so no group holds it."""
        out = []
        for c in completions:
            out.append(grade(solution, c, rewards))
            await self._breathe()
        return out

    def _check_group_size(self, n: int) -> None:
        if not n:
            raise InvalidInput("completions is empty: a group needs at least one completion")
        if n > self.limits.max_group:
            raise LimitExceeded(f"{n} completions in one group; the limit is "
                                f"{self.limits.max_group}")

    async def _group(self, req: pb.VerifyGroupRequest,
                     wait_s: float | None) -> pb.VerifyGroupResponse:
        t0 = time.perf_counter()
        await self._breathe()
        self._check_group_size(len(req.completions))
        self._check_id(req.id)
        rewards = self._rewards(req.rewards)
        solved, cached = await self._solve(req.problem, wait_s)
        grades = await self._grade_all(solved.solution, req.completions, rewards)
        audits = await self._steps(req, req.completions)
        self.metrics.verdicts(g.verdict for g in grades)
        rs = [g.reward for g in grades]
        return pb.VerifyGroupResponse(
            id=req.id, solution=self._solution_msg(solved, cached),
            grades=[convert.grade_message(g, a) for g, a in zip(grades, audits)],
            mean_reward=sum(rs) / len(rs),
            rewards_tied=max(rs) == min(rs), total_ms=(time.perf_counter() - t0) * 1e3)

    async def _verify(self, req: pb.VerifyRequest, wait_s: float | None) -> pb.VerifyResponse:
        t0 = time.perf_counter()
        await self._breathe()
        self._check_id(req.id)
        rewards = self._rewards(req.rewards)
        solved, cached = await self._solve(req.problem, wait_s)
        (g,) = await self._grade_all(solved.solution, (req.completion,), rewards)
        (audit,) = await self._steps(req, (req.completion,))
        self.metrics.verdicts((g.verdict,))
        return pb.VerifyResponse(id=req.id, grade=convert.grade_message(g, audit),
                                 solution=self._solution_msg(solved, cached),
                                 total_ms=(time.perf_counter() - t0) * 1e3)

    async def _steps(self, req, completions: Sequence[str]) -> list:
        """Step audits when the request asks for them (in a solver worker: they run the
        engines), else one None per completion. Not cached: they depend on the text."""
        if not req.steps:
            return [None] * len(completions)
        job = ("steps", convert.payload_of(req.problem), tuple(completions))
        return await self.pool.solve(job, self.max_solve_s)

    def _check_batch(self, request: pb.VerifyBatchRequest) -> None:
        if len(request.groups) > self.limits.max_batch_groups:
            raise LimitExceeded(f"{len(request.groups)} groups in one VerifyBatch; the limit "
                                f"is {self.limits.max_batch_groups}: split the batch")
        total = sum(len(g.completions) for g in request.groups)
        if total > self.limits.max_batch_completions:
            raise LimitExceeded(f"{total} completions in one VerifyBatch; the limit is "
                                f"{self.limits.max_batch_completions}: split the batch")

    # ------------------------------------------------------------ rpcs
    async def Verify(self, request, context):
        with self.metrics.timed("Verify"):
            try:
                if isinstance(request, Malformed):
                    raise _malformed_error(request, "VerifyRequest")
                return await self._verify(request, self._wait_s(context))
            except HonestError as e:
                await self._fail(context, "Verify", e)

    async def VerifyGroup(self, request, context):
        with self.metrics.timed("VerifyGroup"):
            try:
                if isinstance(request, Malformed):
                    raise _malformed_error(request, "VerifyGroupRequest")
                return await self._group(request, self._wait_s(context))
            except HonestError as e:
                await self._fail(context, "VerifyGroup", e)

    async def VerifyBatch(self, request, context):
        with self.metrics.timed("VerifyBatch"):
            try:
                if isinstance(request, Malformed):
                    raise _malformed_error(request, "VerifyBatchRequest")
                self._check_batch(request)
            except HonestError as e:
                await self._fail(context, "VerifyBatch", e)
            wait_s = self._wait_s(context)

            async def one(g):
                try:
                    return await self._group(g, wait_s)
                except HonestError as e:
                    return pb.VerifyGroupResponse(id=g.id, error=self._item_error("VerifyBatch", e))

            results = await asyncio.gather(*(one(g) for g in request.groups))
            return pb.VerifyBatchResponse(groups=results)

    async def VerifyStream(self, request_iterator, context) -> AsyncIterator[pb.VerifyResponse]:
        pending: asyncio.Queue = asyncio.Queue(maxsize=1024)  # bounds memory; back-pressure

        async def one(req):
            try:
                with self.metrics.timed("VerifyStream"):
                    if isinstance(req, Malformed):
                        raise _malformed_error(req, "VerifyRequest")
                    return await self._verify(req, self._wait_s(context))
            except HonestError as e:
                rid = "" if isinstance(req, Malformed) or len(req.id) > self.limits.max_id_chars \
                    else req.id
                return pb.VerifyResponse(id=rid, error=self._item_error("VerifyStream", e))

        async def feed():
            try:
                async for req in request_iterator:
                    await pending.put(asyncio.ensure_future(one(req)))
            finally:
                await pending.put(None)

        feeder = asyncio.ensure_future(feed())
        try:
            while True:
                task = await pending.get()
                if task is None:
                    break
                yield await task
        finally:
            feeder.cancel()

    async def Solve(self, request, context):
        with self.metrics.timed("Solve"):
            try:
                if isinstance(request, Malformed):
                    raise _malformed_error(request, "SolveRequest")
                self._check_id(request.id)
                solved, cached = await self._solve(request.problem, self._wait_s(context))
            except HonestError as e:
                await self._fail(context, "Solve", e)
            return pb.SolveResponse(id=request.id, solution=self._solution_msg(solved, cached))


#: rpc name → (streaming kind, request class, response class), as in verifier.proto
_RPCS = {
    "Verify": ("unary_unary", pb.VerifyRequest, pb.VerifyResponse),
    "VerifyGroup": ("unary_unary", pb.VerifyGroupRequest, pb.VerifyGroupResponse),
    "VerifyBatch": ("unary_unary", pb.VerifyBatchRequest, pb.VerifyBatchResponse),
    "VerifyStream": ("stream_stream", pb.VerifyRequest, pb.VerifyResponse),
    "Solve": ("unary_unary", pb.SolveRequest, pb.SolveResponse),
}


def add_to_server(servicer: VerifierServicer, server: grpc.aio.Server) -> None:
    """Register the servicer like the generated ``add_VerifierServicer_to_server``, but
    with deserializers that let the handlers answer undecodable bytes with
    INVALID_ARGUMENT (gRPC's own answer to a deserializer error is UNKNOWN)."""
    service = pb.DESCRIPTOR.services_by_name["Verifier"]
    if set(_RPCS) != {m.name for m in service.methods}:
        raise RuntimeError("verifier.proto and the servicer's rpc table disagree")
    handlers = {}
    for name, (kind, req_cls, resp_cls) in _RPCS.items():
        make = getattr(grpc, f"{kind}_rpc_method_handler")
        handlers[name] = make(getattr(servicer, name), request_deserializer=_lenient(req_cls),
                              response_serializer=resp_cls.SerializeToString)
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(service.full_name, handlers),))
    server.add_registered_method_handlers(service.full_name, handlers)
