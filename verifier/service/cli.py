"""``honest serve``: run the verifier service until SIGTERM/SIGINT, then drain.

    honest serve                                  # 127.0.0.1:50051, one worker per core
    honest serve --port 0 --port-file port.txt    # any free port, written to a file
    honest serve --token-file tok --tls-cert c.pem --tls-key k.pem --metrics-port 9100
    honest serve --replicas 2 --port 50051        # pre-forked servers sharing the port
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import sys
from pathlib import Path

from verifier.errors import InvalidInput


def add_parser(sub) -> None:
    from verifier.service.server import ServerConfig
    d = ServerConfig()  # the one source of the defaults shown here
    p = sub.add_parser("serve", help="run the gRPC verifier service",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default=d.host, help=f"address to bind (default {d.host})")
    p.add_argument("--port", type=int, default=d.port, help="port (0 = any free port)")
    p.add_argument("--workers", type=int, default=d.workers,
                   help="solver processes per server (default: one per core)")
    p.add_argument("--max-solve-seconds", type=float, default=d.max_solve_s,
                   help=f"the server's budget for one problem's solve (default "
                        f"{d.max_solve_s:g}); a worker past it is killed and replaced. A "
                        "caller's deadline only limits how long that caller waits")
    p.add_argument("--cache-size", type=int, default=d.cache_size,
                   help=f"solved problems kept (default {d.cache_size})")
    p.add_argument("--cache-mib", type=float, default=d.cache_bytes / 2**20,
                   help=f"memory the cache may hold, MiB (default {d.cache_bytes / 2**20:g})")
    p.add_argument("--token-file", help="require 'authorization: Bearer <token>' (health open); "
                                        "the metrics endpoint asks for it too")
    p.add_argument("--tls-cert", help="PEM certificate chain (enables TLS with --tls-key)")
    p.add_argument("--tls-key", help="PEM private key")
    p.add_argument("--metrics-port", type=int,
                   help="serve Prometheus metrics over HTTP on this port (0 = any free port)")
    p.add_argument("--metrics-host", default=d.metrics_host,
                   help=f"address the metrics endpoint binds (default {d.metrics_host}, "
                        "whatever --host is)")
    p.add_argument("--http-port", type=int,
                   help="also serve OpenRLHF's remote-reward HTTP protocol (POST /get_reward) "
                        "on this port (0 = any free port), on the same workers and cache")
    p.add_argument("--http-host", default=d.http_host,
                   help=f"address the HTTP endpoint binds (default {d.http_host}, whatever "
                        "--host is)")
    p.add_argument("--replicas", type=int, default=1,
                   help="pre-forked server processes sharing the port (SO_REUSEPORT)")
    p.add_argument("--port-file", help="write the bound port to this file once serving")
    p.add_argument("--grace", type=float, default=10.0,
                   help="seconds in-flight calls get to finish on SIGTERM")
    p.set_defaults(handler=run)


def _read(path: str | None, what: str) -> bytes | None:
    if path is None:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise InvalidInput(f"cannot read the {what} file {path}: {e.strerror}") from None


def _config(args, replica: int = 0):
    from verifier.service.server import ServerConfig
    token = _read(args.token_file, "token")
    workers = args.workers
    if args.replicas > 1 and workers == 0:
        workers = max(1, (os.cpu_count() or 1) // args.replicas)
    metrics_port, http_port = args.metrics_port, args.http_port
    if metrics_port and replica:  # a fixed port: one per replica, counting up
        metrics_port += replica
    if http_port and replica:
        http_port += replica
    if not args.cache_mib > 0:
        raise InvalidInput(f"--cache-mib must be positive, got {args.cache_mib}")
    return ServerConfig(host=args.host, port=args.port, workers=workers,
                        max_solve_s=args.max_solve_seconds, cache_size=args.cache_size,
                        cache_bytes=int(args.cache_mib * 2**20),
                        metrics_host=args.metrics_host, http_port=http_port,
                        http_host=args.http_host,
                        token=token.decode().strip() if token is not None else None,
                        tls_cert=_read(args.tls_cert, "certificate"),
                        tls_key=_read(args.tls_key, "key"), metrics_port=metrics_port,
                        reuseport=args.replicas > 1)


async def _serve(cfg, port_file: str | None, grace: float) -> None:
    from verifier.service.server import hostport, create_server
    server = await create_server(cfg)
    await server.start()
    # Everything built so far lives for the whole process: move it out of the cyclic
    # GC's sight and collect young objects less often, so collections stay short
    # and rare on the request path (tail latency).
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if port_file:
        tmp = f"{port_file}.tmp{os.getpid()}"
        # line 1: the gRPC port; then "metrics <port>" and "http <port>" when those are on
        text = f"{server.port}\n"
        if server.metrics_port is not None:
            text += f"metrics {server.metrics_port}\n"
        if server.http_port is not None:
            text += f"http {server.http_port}\n"
        Path(tmp).write_text(text)
        os.replace(tmp, port_file)
    metrics = "" if server.metrics_port is None else \
        f", metrics on http://{hostport(cfg.metrics_host, server.metrics_port)}/metrics"
    if server.http_port is not None:
        metrics += (f", rewards over HTTP on "
                    f"http://{hostport(cfg.http_host, server.http_port)}/get_reward")
    print(f"honest serve: listening on {server.address} (pid {os.getpid()}, "
          f"{server.pool.n} solver workers{metrics})", file=sys.stderr, flush=True)
    await stop.wait()
    print("honest serve: draining", file=sys.stderr, flush=True)
    await server.stop(grace)


def _replica_main(args, i: int) -> None:
    asyncio.run(_serve(_config(args, i), args.port_file if i == 0 else None, args.grace))


def run(args) -> int:
    if args.replicas < 1:
        raise InvalidInput("--replicas must be at least 1")
    if args.replicas == 1:
        cfg = _config(args)  # validate before anything starts
        asyncio.run(_serve(cfg, args.port_file, args.grace))
        return 0
    if args.port == 0:
        raise InvalidInput("--replicas needs a fixed --port: every replica binds the same one")
    _config(args)
    import multiprocessing as mp
    # fork before any gRPC object exists in this process
    procs = [mp.get_context("fork").Process(target=_replica_main, args=(args, i))
             for i in range(args.replicas)]
    for p in procs:
        p.start()

    def forward(signum, _frame):
        for p in procs:
            if p.pid:
                os.kill(p.pid, signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for p in procs:
        p.join()
    return max((p.exitcode or 0) for p in procs)
