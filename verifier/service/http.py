"""OpenRLHF's remote-reward HTTP protocol, served next to gRPC on the same workers and cache.

    honest serve --http-port 5000       # then: --remote_rm_url http://127.0.0.1:5000/get_reward

OpenRLHF (≥ 0.8.4; read from 0.11.2, ``openrlhf/utils/agent.py``) POSTs JSON
``{"query": [...], "prompts": [...], "labels": [...]}`` (one entry per sample:
``query`` is prompt + completion, EOS text included; ``labels`` is what the
dataset's label field holds: here the problem as JSON, as ``honest export
--format openrlhf`` writes it) and reads ``rewards``, ``scores`` and
``extra_logs`` from the reply:

    {"rewards": [1.0, 0.0], "scores": [1.0, 0.0],
     "extra_logs": {"correct": [1.0, 0.0], "abstained": [0.0, 1.0], ...}}

Samples of the same problem are graded as one group (the problem is solved once,
through the server's cache and solver workers). A request that cannot be scored
gets an error status with a JSON ``{"error": {"kind", "message"}}`` body — 400 for
a bad request, 401 without the bearer token (when the server has one), 504 when
solving ran out of time, 500 otherwise — never a reward of 0: OpenRLHF retries a
failed request and then stops. ``POST /`` is the same endpoint; ``GET /healthz``
answers ``{"status": "SERVING"}``.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from typing import Any

from aiohttp import web

from honest.v1 import verifier_pb2 as pb
from verifier.errors import DeadlineExceeded, HonestError, InvalidInput, LimitExceeded
from verifier.grading import FLAG_KEYS, verdict_flags
from verifier.limits import MAX_MESSAGE_BYTES
from verifier.service.convert import problem_of_label
from verifier.service.servicer import VerifierServicer
from verifier.solution import UNKNOWN



def _error(status: int, err: HonestError) -> web.Response:
    return web.json_response({"error": err.to_dict()}, status=status)


def _status_of(err: HonestError) -> int:
    if isinstance(err, InvalidInput):
        return 400
    if isinstance(err, DeadlineExceeded):
        return 504
    return 500


def _read_body(body: Any, max_items: int) -> tuple[list[str], list[str], list[Any]]:
    if not isinstance(body, dict):
        raise InvalidInput('the body must be a JSON object {"query": [...], "prompts": [...], '
                           '"labels": [...]}')
    queries, prompts, labels = body.get("query"), body.get("prompts"), body.get("labels")
    if not isinstance(queries, list) or not all(isinstance(q, str) for q in queries):
        raise InvalidInput("'query' must be a list of strings (prompt + completion each)")
    if prompts is None:
        prompts = [""] * len(queries)
    if not isinstance(prompts, list) or not all(isinstance(p, str) for p in prompts):
        raise InvalidInput("'prompts' must be a list of strings, one per query")
    if not isinstance(labels, list):
        raise InvalidInput("'labels' must be a list, one problem (as JSON) per query")
    if not len(queries) == len(prompts) == len(labels):
        raise InvalidInput(f"'query', 'prompts' and 'labels' must be equally long; got "
                           f"{len(queries)}, {len(prompts)} and {len(labels)}")
    if len(queries) > max_items:
        raise LimitExceeded(f"{len(queries)} samples in one request; the limit is {max_items}")
    return queries, prompts, labels


class RewardHTTP:
    """The aiohttp application; :meth:`start` / :meth:`stop` run it on the current loop."""

    def __init__(self, servicer: VerifierServicer, token: str | None = None):
        self.servicer = servicer
        self._expected = None if token is None else f"Bearer {token.strip()}".encode()
        self.app = web.Application(client_max_size=MAX_MESSAGE_BYTES)
        self.app.add_routes([web.post("/get_reward", self.get_reward),
                             web.post("/", self.get_reward), web.get("/healthz", self.health)])
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self, host: str, port: int) -> int:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, reuse_port=False)
        await site.start()
        self.port = self._runner.addresses[0][1]  # the bound port when 0 was asked
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _authorized(self, request: web.Request) -> bool:
        if self._expected is None:
            return True
        got = request.headers.get("Authorization", "").encode("latin-1", "replace")
        return hmac.compare_digest(got, self._expected)

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "SERVING"})

    async def get_reward(self, request: web.Request) -> web.Response:
        metrics = self.servicer.metrics
        with metrics.timed("HTTP/get_reward"):
            if not self._authorized(request):
                metrics.error("HTTP/get_reward", "UNAUTHENTICATED")
                return web.json_response(
                    {"error": {"kind": "unauthenticated", "message": "missing or wrong bearer "
                               "token: send 'Authorization: Bearer <token>'"}}, status=401)
            try:
                try:
                    body = json.loads(await request.read())
                except (json.JSONDecodeError, UnicodeDecodeError) as e:
                    raise InvalidInput(f"the body is not JSON ({e})") from None
                return web.json_response(await self._score(body))
            except HonestError as e:
                status = _status_of(e)
                metrics.error("HTTP/get_reward", str(status))
                return _error(status, e)

    async def _score(self, body: Any) -> dict:
        limits = self.servicer.limits
        queries, prompts, labels = _read_body(body, limits.max_batch_completions)
        groups: dict[bytes, tuple[pb.Problem, list[int]]] = {}
        for i, label in enumerate(labels):
            try:
                problem = problem_of_label(label)
            except InvalidInput as e:
                raise InvalidInput(f"labels[{i}]: {e.message}") from None
            key = problem.SerializeToString(deterministic=True)
            groups.setdefault(key, (problem, []))[1].append(i)
        completions = [q[len(p):] if q.startswith(p) else q for q, p in zip(queries, prompts)]

        async def one(problem: pb.Problem, idx: list[int]) -> pb.VerifyGroupResponse:
            if len(idx) > limits.max_group:  # one problem's samples in groups of at most max_group
                parts = [idx[k:k + limits.max_group] for k in range(0, len(idx), limits.max_group)]
                outs = await asyncio.gather(*(one(problem, part) for part in parts))
                return pb.VerifyGroupResponse(solution=outs[0].solution,
                                              grades=[g for o in outs for g in o.grades])
            req = pb.VerifyGroupRequest(problem=problem, completions=[completions[i] for i in idx])
            return await self.servicer._group(req, None)

        results = await asyncio.gather(*(one(p, idx) for p, idx in groups.values()))
        rewards = [0.0] * len(queries)
        logs = {k: [0.0] * len(queries) for k in FLAG_KEYS}
        for (_, idx), res in zip(groups.values(), results):
            answerable = res.solution.expected != UNKNOWN
            for i, g in zip(idx, res.grades):
                rewards[i] = g.reward
                for key, value in verdict_flags(g.verdict, answerable).items():
                    logs[key][i] = value
        return {"rewards": rewards, "scores": rewards, "extra_logs": logs}
