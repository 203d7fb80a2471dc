"""``create_server(...)``: the verifier service with health, reflection, auth, TLS and metrics.

    server = await create_server(ServerConfig(port=0))   # tests bind port 0
    await server.start(); print(server.port)
    ...
    await server.stop(grace=5)                            # in-flight calls finish

The solver worker processes are spawned (and warmed) before any gRPC object
exists. ``honest serve`` wraps this in a process that drains on SIGTERM;
:class:`ServerThread` runs it in a background thread for tests and the demo.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import threading
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from honest.v1 import verifier_pb2 as pb
from verifier.errors import InvalidInput
from verifier.grading import DEFAULT_REWARDS, RewardMap
from verifier.limits import DEFAULT_LIMITS, MAX_MESSAGE_BYTES, Limits
from verifier.service.cache import SolveCache
from verifier.service.metrics import Metrics
from verifier.service.servicer import ServiceLimits, VerifierServicer, add_to_server
from verifier.service.workers import WorkerPool

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["Verifier"].full_name


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 50051
    #: solver worker processes (default: number of cores)
    workers: int = 0
    #: hard cap on one item's solve, seconds (a request deadline can only lower it)
    max_solve_s: float = 10.0
    #: solved problems kept, at most this many and at most this many bytes
    cache_size: int = 100_000
    cache_bytes: int = 256 * 1024 * 1024
    #: bearer token required on every call but health; None = no auth
    token: str | None = None
    tls_cert: bytes | None = None
    tls_key: bytes | None = None
    #: Prometheus metrics HTTP port (0 = any free port); None = off
    metrics_port: int | None = None
    #: address the metrics endpoint binds (loopback unless chosen on purpose)
    metrics_host: str = "127.0.0.1"
    #: OpenRLHF's remote-reward HTTP endpoint (0 = any free port); None = off
    http_port: int | None = None
    #: address the HTTP endpoint binds (loopback unless chosen on purpose)
    http_host: str = "127.0.0.1"
    #: allow other processes to bind the same port (pre-forked replicas)
    reuseport: bool = False
    rewards: RewardMap = DEFAULT_REWARDS
    limits: Limits = DEFAULT_LIMITS
    service_limits: ServiceLimits = ServiceLimits()

    def __post_init__(self):
        if self.cache_size < 1 or self.cache_bytes < 1:
            raise InvalidInput("the cache bounds (--cache-size, --cache-mib) must be positive")
        if self.workers < 0:
            raise InvalidInput(f"workers must be >= 0 (0 = one per core), got {self.workers}")
        if self.max_solve_s <= 0:
            raise InvalidInput(f"max solve time must be positive, got {self.max_solve_s}")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise InvalidInput("TLS needs both a certificate and a key (--tls-cert, --tls-key)")
        if self.token is not None and not self.token.strip():
            raise InvalidInput("the token is empty; put the secret in the token file")


def hostport(host: str, port: int) -> str:
    """``host:port``, with IPv6 literals in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class _TokenAuth(grpc.aio.ServerInterceptor):
    """Requires ``authorization: Bearer <token>``; health checks stay open."""

    OPEN = ("/grpc.health.v1.Health/",)

    def __init__(self, token: str):
        self._expected = f"Bearer {token.strip()}".encode()

    async def intercept_service(self, continuation, details):
        if details.method.startswith(self.OPEN):
            return await continuation(details)
        meta = dict(details.invocation_metadata or ())
        got = meta.get("authorization", "")
        if hmac.compare_digest(got.encode() if isinstance(got, str) else got, self._expected):
            return await continuation(details)
        handler = await continuation(details)
        return _deny(handler)


def _deny(handler):
    msg = "missing or wrong bearer token: send metadata 'authorization: Bearer <token>'"

    async def unary(request, context):
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, msg)

    async def streaming(request_iterator, context):
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, msg)
        yield  # pragma: no cover  (makes this an async generator)

    if handler is None:
        return None
    if handler.request_streaming and handler.response_streaming:
        return grpc.stream_stream_rpc_method_handler(
            streaming, handler.request_deserializer, handler.response_serializer)
    if handler.response_streaming:
        return grpc.unary_stream_rpc_method_handler(
            streaming, handler.request_deserializer, handler.response_serializer)
    if handler.request_streaming:
        return grpc.stream_unary_rpc_method_handler(
            unary, handler.request_deserializer, handler.response_serializer)
    return grpc.unary_unary_rpc_method_handler(
        unary, handler.request_deserializer, handler.response_serializer)


class VerifierServer:
    """A started-or-startable verifier service; see :func:`create_server`."""

    def __init__(self, cfg: ServerConfig, server: grpc.aio.Server, port: int, pool: WorkerPool,
                 cache: SolveCache, metrics: Metrics, health_servicer,
                 servicer: VerifierServicer):
        self.config = cfg
        self.server = server
        self.port = port
        self.pool = pool
        self.cache = cache
        self.metrics = metrics
        self.health = health_servicer
        self.servicer = servicer
        self._metrics_http = None
        self._http = None

    @property
    def address(self) -> str:
        return hostport(self.config.host, self.port)

    @property
    def metrics_port(self) -> int | None:
        """The port /metrics is served on once started (None when off)."""
        return None if self._metrics_http is None else self._metrics_http.port

    @property
    def http_port(self) -> int | None:
        """The port of the HTTP reward endpoint once started (None when off)."""
        return None if self._http is None else self._http.port

    async def start(self) -> None:
        await self.server.start()
        cfg = self.config
        try:
            if cfg.http_port is not None:
                from verifier.service.http import RewardHTTP
                self._http = RewardHTTP(self.servicer, cfg.token)
                where = f"HTTP on {hostport(cfg.http_host, cfg.http_port)}"
                await self._http.start(cfg.http_host, cfg.http_port)
            if cfg.metrics_port is not None:
                where = f"metrics on {hostport(cfg.metrics_host, cfg.metrics_port)}"
                self._metrics_http = self.metrics.serve_http(cfg.metrics_port, cfg.metrics_host,
                                                             cfg.token)
        except OSError as e:  # a port in use: refuse to start, leave nothing running
            if self._http is not None:
                await self._http.stop()
            await self.server.stop(None)
            self.pool.close()
            raise InvalidInput(f"cannot serve {where}: {e.strerror}") from None
        for name in ("", SERVICE_NAME):
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)

    async def stop(self, grace: float | None = 5.0) -> None:
        """Stop taking calls, let in-flight calls finish within ``grace`` seconds, clean up."""
        for name in ("", SERVICE_NAME):
            await self.health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
        if self._http is not None:
            await self._http.stop()
        await self.server.stop(grace)
        if self._metrics_http is not None:
            self._metrics_http.shutdown()
        self.pool.close()

    async def wait(self) -> None:
        await self.server.wait_for_termination()


def _options(cfg: ServerConfig) -> list[tuple[str, int]]:
    return [
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.keepalive_time_ms", 30_000),
        ("grpc.keepalive_timeout_ms", 10_000),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
        ("grpc.http2.max_pings_without_data", 0),
        # grpc enables SO_REUSEPORT by default on Linux: a clash must fail loudly unless
        # replicas share the port on purpose
        ("grpc.so_reuseport", 1 if cfg.reuseport else 0),
    ]


async def create_server(cfg: ServerConfig = ServerConfig(), pool: WorkerPool | None = None
                        ) -> VerifierServer:
    """Build (not start) a verifier server; ``cfg.port = 0`` picks a free port."""
    metrics = Metrics()
    if pool is None:
        n = cfg.workers or os.cpu_count() or 1
        pool = await asyncio.get_running_loop().run_in_executor(
            None, lambda: WorkerPool(n, cfg.limits, on_restart=metrics.worker_restarts.inc))
    interceptors = [_TokenAuth(cfg.token)] if cfg.token else []
    server = grpc.aio.server(interceptors=interceptors, options=_options(cfg))
    cache = SolveCache(cfg.cache_size, cfg.cache_bytes)
    servicer = VerifierServicer(pool, cache, metrics, cfg.rewards, cfg.max_solve_s,
                                cfg.service_limits)
    add_to_server(servicer, server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (SERVICE_NAME, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
         reflection.SERVICE_NAME), server)
    bind = hostport(cfg.host, cfg.port)
    try:
        if cfg.tls_cert is not None:
            creds = grpc.ssl_server_credentials([(cfg.tls_key, cfg.tls_cert)])
            port = server.add_secure_port(bind, creds)
        else:
            port = server.add_insecure_port(bind)
    except RuntimeError as e:
        pool.close()
        raise InvalidInput(f"cannot listen on {bind}: {e} (is the port in use?)") from None
    return VerifierServer(cfg, server, port, pool, cache, metrics, health_servicer, servicer)


class ServerThread:
    """Run a verifier server on its own event loop in a background thread.

        with ServerThread(ServerConfig(port=0, workers=1)) as srv:
            client = VerifierClient(srv.address)
    """

    def __init__(self, cfg: ServerConfig = ServerConfig(port=0)):
        self.cfg = cfg
        self.loop = asyncio.new_event_loop()
        self.server: VerifierServer | None = None
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True,
                                        name="verifier-server")

    def __enter__(self) -> VerifierServer:
        self._thread.start()
        fut = asyncio.run_coroutine_threadsafe(self._start(), self.loop)
        self.server = fut.result(timeout=120)
        return self.server

    async def _start(self) -> VerifierServer:
        server = await create_server(self.cfg)
        await server.start()
        return server

    def __exit__(self, *exc) -> None:
        if self.server is not None:
            asyncio.run_coroutine_threadsafe(self.server.stop(1.0), self.loop).result(timeout=60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
