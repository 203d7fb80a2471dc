"""Prometheus metrics of one server: requests, in-flight calls, verdicts, latency, solve
time by domain, cache, worker restarts.

Each server owns a registry (several servers can live in one test process);
``honest serve --metrics-port`` exposes it over HTTP (:func:`serve_metrics_http`),
on loopback unless ``--metrics-host`` says otherwise, and behind the server's
bearer token when it has one.
"""

from __future__ import annotations

import collections
import contextlib
import hmac
import socket
import socketserver
import threading
import time
from typing import Iterable
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_wsgi_app


class Metrics:
    def __init__(self):
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("honest_requests", "RPCs served", ["rpc"], registry=r)
        self.errors = Counter("honest_errors", "RPCs or items that failed", ["rpc", "code"],
                              registry=r)
        self.verdict_count = Counter("honest_verdicts", "Graded completions by verdict",
                                     ["verdict"], registry=r)
        self.latency = Histogram("honest_request_seconds", "RPC latency", ["rpc"], registry=r,
                                 buckets=(.0005, .001, .002, .005, .01, .02, .05, .1, .2, .5, 1,
                                          2, 5, 10, 30))
        self.cache_hits = Counter("honest_cache_hits", "Problems answered from the cache",
                                  registry=r)
        self.cache_misses = Counter("honest_cache_misses", "Problems solved by a worker",
                                    registry=r)
        self.in_flight = Gauge("honest_in_flight_requests", "RPCs being served now", ["rpc"],
                               registry=r)
        self.solve_seconds = Histogram("honest_solve_seconds",
                                       "Seconds one problem took in a solver worker",
                                       ["domain"], registry=r,
                                       buckets=(.0005, .001, .002, .005, .01, .02, .05, .1, .2,
                                                .5, 1, 2, 5, 10, 30))
        self.worker_restarts = Counter("honest_worker_restarts",
                                       "Solver workers killed (time budget) or found dead, "
                                       "and replaced", registry=r)

        self._rpc_children: dict[str, tuple] = {}
        self._verdict_children: dict[str, object] = {}

    @contextlib.contextmanager
    def timed(self, rpc: str):
        t0 = time.perf_counter()
        children = self._rpc_children.get(rpc)
        if children is None:  # labels() is slow-ish: look each child up once
            children = (self.requests.labels(rpc), self.latency.labels(rpc),
                        self.in_flight.labels(rpc))
            self._rpc_children[rpc] = children
        children[2].inc()
        try:
            yield
        finally:
            children[2].dec()
            children[0].inc()
            children[1].observe(time.perf_counter() - t0)

    def solved(self, domain: str, seconds: float) -> None:
        self.solve_seconds.labels(domain).observe(seconds)

    def verdicts(self, verdicts: Iterable[str]) -> None:
        for v, n in collections.Counter(verdicts).items():
            child = self._verdict_children.get(v)
            if child is None:
                child = self._verdict_children[v] = self.verdict_count.labels(v)
            child.inc(n)

    def error(self, rpc: str, code: str) -> None:
        self.errors.labels(rpc, code).inc()

    def cache(self, hit: bool) -> None:
        (self.cache_hits if hit else self.cache_misses).inc()

    def serve_http(self, port: int, host: str = "127.0.0.1",
                   token: str | None = None) -> "MetricsHTTPServer":
        return MetricsHTTPServer(self.registry, port, host, token)


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:  # scrapes are not worth a log line each
        pass


class MetricsHTTPServer:
    """``/metrics`` over HTTP in a daemon thread; with a token, every request needs
    ``Authorization: Bearer <token>`` (401 otherwise). ``port`` 0 picks a free port."""

    def __init__(self, registry: CollectorRegistry, port: int, host: str = "127.0.0.1",
                 token: str | None = None):
        app = make_wsgi_app(registry)
        if token is not None:
            app = _require_token(app, token)
        server_class = _ThreadingWSGIServer
        if ":" in host:  # an IPv6 literal
            server_class = type("_ThreadingWSGIServer6", (_ThreadingWSGIServer,),
                                {"address_family": socket.AF_INET6})
        self._httpd = make_server(host, port, app, server_class=server_class,
                                  handler_class=_Quiet)
        self.port = self._httpd.server_port
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True,
                                        name="metrics-http")
        self._thread.start()

    def shutdown(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _require_token(app, token: str):
    expected = f"Bearer {token.strip()}".encode()

    def guarded(environ, start_response):
        got = environ.get("HTTP_AUTHORIZATION", "").encode("latin-1", "replace")
        if hmac.compare_digest(got, expected):
            return app(environ, start_response)
        start_response("401 Unauthorized", [("Content-Type", "text/plain"),
                                            ("WWW-Authenticate", "Bearer")])
        return [b"missing or wrong bearer token: send 'Authorization: Bearer <token>'\n"]
    return guarded
