"""The ``honest.v1.Verifier`` servicer: decode → core → encode, nothing else.

Solving goes through the cache to the worker pool (never in the event loop);
grading a completion against a known solution is a few microseconds of regex
and runs here. Every core error becomes a gRPC status in ``status.py``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from dataclasses import dataclass
from typing import AsyncIterator

import grpc

from honest.v1 import verifier_pb2 as pb
from honest.v1 import verifier_pb2_grpc as pb_grpc
from verifier.errors import HonestError, InvalidInput
from verifier.grading import DEFAULT_REWARDS, RewardMap, grade
from verifier.service import convert
from verifier.service.cache import SolveCache, problem_key
from verifier.service.metrics import Metrics
from verifier.service.status import code_number, status_of
from verifier.service.workers import WorkerPool
from verifier.solution import Solution


@dataclass(frozen=True)
class Solved:
    solution: Solution
    certificate_json: str
    solve_ms: float


class VerifierServicer(pb_grpc.VerifierServicer):
    def __init__(self, pool: WorkerPool, cache: SolveCache, metrics: Metrics,
                 rewards: RewardMap = DEFAULT_REWARDS, max_solve_s: float = 10.0,
                 max_group: int = 4096):
        self.pool = pool
        self.cache = cache
        self.metrics = metrics
        self.rewards = rewards
        self.max_solve_s = max_solve_s
        self.max_group = max_group
        self._keys: dict[bytes, str] = {}  # blake2b(serialized problem) → canonical key

    # ------------------------------------------------------------ helpers
    def _budget(self, context) -> float:
        remaining = context.time_remaining()
        budget = self.max_solve_s if remaining is None else min(remaining - 0.01, self.max_solve_s)
        return max(0.001, budget)

    async def _solve(self, problem: pb.Problem, budget: float) -> tuple[Solved, bool]:
        # fast path: the exact bytes of this problem were seen and solved before
        raw = hashlib.blake2b(problem.SerializeToString(deterministic=True),
                              digest_size=16).digest()
        key = self._keys.get(raw)
        if key is not None:
            solved = self.cache.peek(key)
            if solved is not None:
                self.metrics.cache(True)
                return solved, True
        payload = convert.payload_of(problem)
        key = problem_key(payload)
        if len(self._keys) >= self.cache.max_entries:
            self._keys.clear()  # cheap bound; entries come back on the next miss
        self._keys[raw] = key

        async def run() -> Solved:
            t0 = time.perf_counter()
            sol = await self.pool.solve(payload, budget)
            return Solved(sol, json.dumps(sol.certificate, separators=(",", ":")),
                          (time.perf_counter() - t0) * 1e3)

        solved, cached = await self.cache.get(key, run)
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

    async def _group(self, req: pb.VerifyGroupRequest, budget: float) -> pb.VerifyGroupResponse:
        t0 = time.perf_counter()
        if not req.completions:
            raise InvalidInput("completions is empty: a group needs at least one completion")
        if len(req.completions) > self.max_group:
            raise InvalidInput(f"{len(req.completions)} completions in one group; the limit is "
                               f"{self.max_group}")
        rewards = self._rewards(req.rewards)
        solved, cached = await self._solve(req.problem, budget)
        grades = [grade(solved.solution, c, rewards) for c in req.completions]
        self.metrics.verdicts(g.verdict for g in grades)
        rs = [g.reward for g in grades]
        return pb.VerifyGroupResponse(
            id=req.id, solution=self._solution_msg(solved, cached),
            grades=[convert.grade_message(g) for g in grades], mean_reward=sum(rs) / len(rs),
            rewards_tied=max(rs) == min(rs), total_ms=(time.perf_counter() - t0) * 1e3)

    async def _verify(self, req: pb.VerifyRequest, budget: float) -> pb.VerifyResponse:
        t0 = time.perf_counter()
        rewards = self._rewards(req.rewards)
        solved, cached = await self._solve(req.problem, budget)
        g = grade(solved.solution, req.completion, rewards)
        self.metrics.verdicts((g.verdict,))
        return pb.VerifyResponse(id=req.id, grade=convert.grade_message(g),
                                 solution=self._solution_msg(solved, cached),
                                 total_ms=(time.perf_counter() - t0) * 1e3)

    # ------------------------------------------------------------ rpcs
    async def Verify(self, request, context):
        with self.metrics.timed("Verify"):
            try:
                return await self._verify(request, self._budget(context))
            except HonestError as e:
                await self._fail(context, "Verify", e)

    async def VerifyGroup(self, request, context):
        with self.metrics.timed("VerifyGroup"):
            try:
                return await self._group(request, self._budget(context))
            except HonestError as e:
                await self._fail(context, "VerifyGroup", e)

    async def VerifyBatch(self, request, context):
        with self.metrics.timed("VerifyBatch"):
            budget = self._budget(context)

            async def one(g):
                try:
                    return await self._group(g, budget)
                except HonestError as e:
                    return pb.VerifyGroupResponse(id=g.id, error=self._item_error("VerifyBatch", e))

            results = await asyncio.gather(*(one(g) for g in request.groups))
            return pb.VerifyBatchResponse(groups=results)

    async def VerifyStream(self, request_iterator, context) -> AsyncIterator[pb.VerifyResponse]:
        pending: asyncio.Queue = asyncio.Queue(maxsize=1024)  # bounds memory; back-pressure

        async def one(req):
            try:
                with self.metrics.timed("VerifyStream"):
                    return await self._verify(req, self._budget(context))
            except HonestError as e:
                return pb.VerifyResponse(id=req.id, error=self._item_error("VerifyStream", e))

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
                solved, cached = await self._solve(request.problem, self._budget(context))
            except HonestError as e:
                await self._fail(context, "Solve", e)
            return pb.SolveResponse(id=request.id, solution=self._solution_msg(solved, cached))


# grpc is imported for type users of this module (status codes in tests)
__all__ = ["VerifierServicer", "grpc"]
