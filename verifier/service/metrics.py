"""Prometheus metrics of one server: requests, verdicts, latency, cache, worker restarts.

Each server owns a registry (several servers can live in one test process);
``honest serve --metrics-port`` exposes it over HTTP.
"""

from __future__ import annotations

import collections
import contextlib
import time
from typing import Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server


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
        self.worker_restarts = Counter("honest_worker_restarts",
                                       "Solver workers killed (time budget) or found dead, "
                                       "and replaced", registry=r)

        self._rpc_children: dict[str, tuple] = {}
        self._verdict_children: dict[str, object] = {}

    @contextlib.contextmanager
    def timed(self, rpc: str):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            children = self._rpc_children.get(rpc)
            if children is None:  # labels() is slow-ish: look each child up once
                children = (self.requests.labels(rpc), self.latency.labels(rpc))
                self._rpc_children[rpc] = children
            children[0].inc()
            children[1].observe(time.perf_counter() - t0)

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

    def serve_http(self, port: int, host: str = "127.0.0.1"):
        return start_http_server(port, addr=host, registry=self.registry)
