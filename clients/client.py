"""Sync and async clients of ``honest.v1.Verifier`` with deadlines, retries and load balancing.

Targets: ``"127.0.0.1:50051"``; a list of replicas ``["127.0.0.1:5001", "127.0.0.1:5002"]``
(IP literals; balanced round-robin over one channel); or any gRPC name such as
``"dns:///verifier.internal:50051"`` (every address the name resolves to is used, round-robin).
Calls that fail with UNAVAILABLE (a replica going away, a restart) are retried with
exponential backoff; every other error is raised at once as :class:`RemoteError`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import random
import time
from typing import Any, Iterable, Mapping, Sequence

import grpc

from clients.results import GroupResult, SolveResult, VerifyResult, remote_error
from clients.wire import ProblemLike, problem_msg, reward_msg
from honest.v1 import verifier_pb2 as pb
from honest.v1 import verifier_pb2_grpc as pb_grpc
from verifier.errors import InvalidInput
from verifier.limits import MAX_MESSAGE_BYTES

_SERVICE_CONFIG = json.dumps({"loadBalancingConfig": [{"round_robin": {}}]})


def channel_target(target: str | Sequence[str]) -> str:
    """One gRPC target string for a host:port, a list of replicas, or a gRPC name."""
    if isinstance(target, str):
        if "," not in target:
            return target
        target = [t.strip() for t in target.split(",") if t.strip()]
    addrs = list(target)
    if not addrs:
        raise InvalidInput("no verifier target given")
    if len(addrs) == 1:
        return addrs[0]
    fams = set()
    for a in addrs:
        host = a.rsplit(":", 1)[0].strip("[]")
        try:
            fams.add(ipaddress.ip_address(host).version)
        except ValueError:
            raise InvalidInput(f"several targets must be IP literals (got {a!r}); for host "
                               f"names use one 'dns:///name:port' target") from None
    if len(fams) != 1:
        raise InvalidInput("several targets must all be IPv4 or all IPv6")
    return ("ipv4:" if fams == {4} else "ipv6:") + ",".join(addrs)


class _Base:
    def __init__(self, target: str | Sequence[str], *, token: str | None = None,
                 tls: bool = False, root_certificates: bytes | None = None,
                 server_name: str | None = None, timeout: float = 30.0, retries: int = 4,
                 backoff: float = 0.05, max_backoff: float = 2.0,
                 options: Sequence[tuple[str, Any]] = ()):
        self.target = channel_target(target)
        self.token = token
        self.tls = tls or root_certificates is not None
        self.root_certificates = root_certificates
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._options = [("grpc.service_config", _SERVICE_CONFIG),
                         ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                         ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                         ("grpc.keepalive_time_ms", 30_000),
                         ("grpc.enable_retries", 0), *options]
        if server_name:
            self._options.append(("grpc.ssl_target_name_override", server_name))
        self._metadata = (("authorization", f"Bearer {token}"),) if token else None

    def _credentials(self):
        return grpc.ssl_channel_credentials(root_certificates=self.root_certificates)

    def _delay(self, attempt: int) -> float:
        return min(self.max_backoff, self.backoff * 2 ** attempt) * (0.5 + random.random())

    def __getstate__(self):  # picklable: channels are rebuilt lazily where unpickled
        state = dict(self.__dict__)
        for k in ("_channel", "_stub", "_channels"):
            state.pop(k, None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._reset()

    def _reset(self) -> None:
        raise NotImplementedError

    # request builders and result readers shared by the sync and async clients
    @staticmethod
    def _verify_request(problem: ProblemLike, completion: str, id: str,
                        rewards: Mapping[str, float] | None,
                        steps: bool = False) -> pb.VerifyRequest:
        return pb.VerifyRequest(problem=problem_msg(problem), completion=completion, id=id,
                                rewards=reward_msg(rewards), steps=steps)

    @staticmethod
    def _group_request(problem: ProblemLike, completions: Sequence[str], id: str,
                       rewards: Mapping[str, float] | None,
                       steps: bool = False) -> pb.VerifyGroupRequest:
        return pb.VerifyGroupRequest(problem=problem_msg(problem), completions=list(completions),
                                     id=id, rewards=reward_msg(rewards), steps=steps)

    @classmethod
    def _batch_request(cls, groups: Iterable[tuple[ProblemLike, Sequence[str]]],
                       rewards: Mapping[str, float] | None) -> pb.VerifyBatchRequest:
        return pb.VerifyBatchRequest(groups=[cls._group_request(p, cs, str(i), rewards)
                                             for i, (p, cs) in enumerate(groups)])

    @staticmethod
    def _batch_results(resp: pb.VerifyBatchResponse) -> list[GroupResult | Exception]:
        out: list[GroupResult | Exception] = []
        for g in resp.groups:
            try:
                out.append(GroupResult.from_msg(g))
            except Exception as e:  # noqa: BLE001 - returned to the caller, not swallowed
                out.append(e)
        return out

    @staticmethod
    def _stream_requests(requests: Iterable[tuple[ProblemLike, str]]):
        return (pb.VerifyRequest(problem=problem_msg(p), completion=c, id=str(i))
                for i, (p, c) in enumerate(requests))

    @staticmethod
    def _stream_result(msg: pb.VerifyResponse) -> VerifyResult | Exception:
        try:
            return VerifyResult.from_msg(msg)
        except Exception as e:  # noqa: BLE001 - handed to the caller
            return e

    @staticmethod
    def _health_status(resp) -> str:
        from grpc_health.v1 import health_pb2
        return health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)


class VerifierClient(_Base):
    """Blocking client; thread-safe (one channel, shared)."""

    def __init__(self, target, **kw):
        super().__init__(target, **kw)
        self._reset()

    def _reset(self) -> None:
        self._channel = None
        self._stub = None

    @property
    def stub(self) -> pb_grpc.VerifierStub:
        if self._stub is None:
            if self.tls:
                self._channel = grpc.secure_channel(self.target, self._credentials(),
                                                    self._options)
            else:
                self._channel = grpc.insecure_channel(self.target, self._options)
            self._stub = pb_grpc.VerifierStub(self._channel)
        return self._stub

    def _call(self, method: str, request, timeout: float | None):
        fn = getattr(self.stub, method)
        timeout = self.timeout if timeout is None else timeout
        t_end = time.monotonic() + timeout
        for attempt in range(self.retries + 1):
            try:
                return fn(request, timeout=max(0.001, t_end - time.monotonic()),
                          metadata=self._metadata)
            except grpc.RpcError as e:
                code = e.code()
                if code == grpc.StatusCode.UNAVAILABLE and attempt < self.retries \
                        and time.monotonic() + self._delay(attempt) < t_end:
                    time.sleep(self._delay(attempt))
                    continue
                raise remote_error(code, e.details() or "") from None
        raise AssertionError("unreachable")

    def health(self, timeout: float = 10.0) -> str:
        """The service's ``grpc.health.v1`` status (``"SERVING"`` when it takes calls).

        Waits up to ``timeout`` seconds for the server to come up; raises
        :class:`RemoteError` (e.g. ``UNAVAILABLE``, ``DEADLINE_EXCEEDED``) if it
        does not answer. Health stays open when the service requires a token.
        """
        from grpc_health.v1 import health_pb2, health_pb2_grpc
        self.stub  # opens the channel
        stub = health_pb2_grpc.HealthStub(self._channel)
        try:
            resp = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout,
                              wait_for_ready=True)
        except grpc.RpcError as e:
            raise remote_error(e.code(), e.details() or "") from None
        return self._health_status(resp)

    def verify(self, problem: ProblemLike, completion: str, *, id: str = "",
               rewards: Mapping[str, float] | None = None, steps: bool = False,
               timeout: float | None = None) -> VerifyResult:
        """Grade one completion; ``steps=True`` also audits its intermediate claims."""
        req = self._verify_request(problem, completion, id, rewards, steps)
        return VerifyResult.from_msg(self._call("Verify", req, timeout))

    def verify_group(self, problem: ProblemLike, completions: Sequence[str], *, id: str = "",
                     rewards: Mapping[str, float] | None = None, steps: bool = False,
                     timeout: float | None = None) -> GroupResult:
        req = self._group_request(problem, completions, id, rewards, steps)
        return GroupResult.from_msg(self._call("VerifyGroup", req, timeout))

    def verify_batch(self, groups: Iterable[tuple[ProblemLike, Sequence[str]]], *,
                     rewards: Mapping[str, float] | None = None,
                     timeout: float | None = None) -> list[GroupResult | Exception]:
        """Many groups in one call; a failed group comes back as its exception object."""
        req = self._batch_request(groups, rewards)
        return self._batch_results(self._call("VerifyBatch", req, timeout))

    def solve(self, problem: ProblemLike, *, id: str = "",
              timeout: float | None = None) -> SolveResult:
        resp = self._call("Solve", pb.SolveRequest(problem=problem_msg(problem), id=id), timeout)
        return SolveResult.from_msg(resp.solution, resp.id)

    def verify_stream(self, requests: Iterable[tuple[ProblemLike, str]],
                      timeout: float | None = None):
        """Yield VerifyResult (or the RemoteError of a failed item) per request, in order."""
        reqs = self._stream_requests(requests)
        try:
            for msg in self.stub.VerifyStream(reqs, timeout=timeout or self.timeout,
                                              metadata=self._metadata):
                yield self._stream_result(msg)
        except grpc.RpcError as e:
            raise remote_error(e.code(), e.details() or "") from None

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = self._stub = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class AsyncVerifierClient(_Base):
    """asyncio client; the grpc.aio channel is created lazily inside the running loop
    (one per loop), so an instance can be built anywhere and pickled."""

    def __init__(self, target, **kw):
        super().__init__(target, **kw)
        self._reset()

    def _reset(self) -> None:
        self._channels: dict[int, tuple[Any, pb_grpc.VerifierStub]] = {}

    def _get_stub(self) -> pb_grpc.VerifierStub:
        loop = asyncio.get_running_loop()
        got = self._channels.get(id(loop))
        if got is None:
            if self.tls:
                ch = grpc.aio.secure_channel(self.target, self._credentials(), self._options)
            else:
                ch = grpc.aio.insecure_channel(self.target, self._options)
            got = (ch, pb_grpc.VerifierStub(ch))
            self._channels[id(loop)] = got
        return got[1]

    async def _call(self, method: str, request, timeout: float | None):
        fn = getattr(self._get_stub(), method)
        timeout = self.timeout if timeout is None else timeout
        t_end = time.monotonic() + timeout
        for attempt in range(self.retries + 1):
            try:
                return await fn(request, timeout=max(0.001, t_end - time.monotonic()),
                                metadata=self._metadata)
            except grpc.aio.AioRpcError as e:
                code = e.code()
                if code == grpc.StatusCode.UNAVAILABLE and attempt < self.retries \
                        and time.monotonic() + self._delay(attempt) < t_end:
                    await asyncio.sleep(self._delay(attempt))
                    continue
                raise remote_error(code, e.details() or "") from None
        raise AssertionError("unreachable")

    async def health(self, timeout: float = 10.0) -> str:
        """As :meth:`VerifierClient.health`."""
        from grpc_health.v1 import health_pb2, health_pb2_grpc
        self._get_stub()  # opens the channel for this loop
        ch = self._channels[id(asyncio.get_running_loop())][0]
        try:
            resp = await health_pb2_grpc.HealthStub(ch).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=timeout, wait_for_ready=True)
        except grpc.aio.AioRpcError as e:
            raise remote_error(e.code(), e.details() or "") from None
        return self._health_status(resp)

    async def verify(self, problem: ProblemLike, completion: str, *, id: str = "",
                     rewards: Mapping[str, float] | None = None, steps: bool = False,
                     timeout: float | None = None) -> VerifyResult:
        req = self._verify_request(problem, completion, id, rewards, steps)
        return VerifyResult.from_msg(await self._call("Verify", req, timeout))

    async def verify_group(self, problem: ProblemLike, completions: Sequence[str], *,
                           id: str = "", rewards: Mapping[str, float] | None = None,
                           steps: bool = False, timeout: float | None = None) -> GroupResult:
        req = self._group_request(problem, completions, id, rewards, steps)
        return GroupResult.from_msg(await self._call("VerifyGroup", req, timeout))

    async def verify_batch(self, groups: Iterable[tuple[ProblemLike, Sequence[str]]], *,
                           rewards: Mapping[str, float] | None = None,
                           timeout: float | None = None) -> list[GroupResult | Exception]:
        """Many groups in one call; a failed group comes back as its exception object."""
        req = self._batch_request(groups, rewards)
        return self._batch_results(await self._call("VerifyBatch", req, timeout))

    async def verify_stream(self, requests: Iterable[tuple[ProblemLike, str]],
                            timeout: float | None = None):
        """Async-iterate VerifyResult (or a failed item's RemoteError) per request, in order."""
        call = self._get_stub().VerifyStream(self._stream_requests(requests),
                                             timeout=timeout or self.timeout,
                                             metadata=self._metadata)
        try:
            async for msg in call:
                yield self._stream_result(msg)
        except grpc.aio.AioRpcError as e:
            raise remote_error(e.code(), e.details() or "") from None

    async def solve(self, problem: ProblemLike, *, id: str = "",
                    timeout: float | None = None) -> SolveResult:
        resp = await self._call("Solve", pb.SolveRequest(problem=problem_msg(problem), id=id),
                                timeout)
        return SolveResult.from_msg(resp.solution, resp.id)

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        got = self._channels.pop(id(loop), None)
        if got is not None:
            await got[0].close()
