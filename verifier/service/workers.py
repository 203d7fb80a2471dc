"""Solver processes with a hard time budget per item.

SymPy/flint and Z3 hold the GIL and flint calls cannot be interrupted, so every
solve runs in a separate worker process. The server side hands a job to an
idle worker over a pipe and waits at most the item's budget; past it, the
worker is killed (SIGKILL after a short SIGTERM grace), a fresh one is
spawned in its place, and the caller gets :class:`DeadlineExceeded`.

What this protects against: runaway solves (time), crashed workers (a dead
worker is replaced and the item fails with :class:`EngineError`), a stuck
pipe. What it does not: memory use inside the budget (input bounds in
:mod:`verifier.limits` keep that small), and a slow worker start (spawning
imports SymPy, ~1–3 s; workers are started and warmed before serving).

Workers are fresh interpreters (``python -m verifier.service.workers``), never
forks: the server process holds gRPC threads, which must not be forked, and a
fresh interpreter does not re-import the caller's main script (as
multiprocessing's ``spawn`` would).
"""

from __future__ import annotations

import asyncio
import queue
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from verifier.errors import DeadlineExceeded, EngineError, HonestError
from verifier.limits import DEFAULT_LIMITS, Limits
from verifier.solution import Solution


def _problem_of(payload: tuple, limits: Limits):
    from verifier.problem import Problem
    from verifier.tasks import problem_from_text
    if payload[0] == "structured":
        return Problem.make(payload[1], list(payload[2]), payload[3])
    if payload[0] == "text":
        return problem_from_text(payload[1], limits)
    raise EngineError(f"unknown problem kind {payload[0]!r}")


def solve_payload(payload: tuple, limits: Limits = DEFAULT_LIMITS):
    """The job of one worker call:

    - ``("structured", domain, premises, query)`` or ``("text", prompt)``: solve it
      (a :class:`Solution`);
    - ``("steps", problem payload, completions)``: the step audit of each completion
      (a list of :class:`verifier.steps.StepAudit`; the premises are solved once).
    """
    from verifier.problem import solve
    if payload[0] == "steps":
        from verifier.steps import audit_steps_many
        return audit_steps_many(_problem_of(payload[1], limits), payload[2], limits)
    return solve(_problem_of(payload, limits), limits)


def _worker_main(conn: Connection) -> None:
    limits = conn.recv()
    solve_payload(("structured", "linear", ("x = 1",), "x"), limits)  # warm imports
    solve_payload(("structured", "logic", ("a",), "a"), limits)
    conn.send(("ready", None))
    while True:
        try:
            payload = conn.recv()
        except (EOFError, OSError):
            return
        try:
            conn.send(("ok", solve_payload(payload, limits)))
        except HonestError as e:
            conn.send(("err", e))
        except Exception as e:  # a bug in the core: say so, never a silent result
            conn.send(("err", EngineError(f"internal error in the solver: {e!r}")))


#: a queued job gives up waiting for a worker after this many solve budgets
QUEUE_WAIT_FACTOR = 6
#: how often a queued job checks whether anyone still waits for it, seconds
QUEUE_POLL_S = 0.1


class _WorkerDied(Exception):
    pass


class Abandoned(DeadlineExceeded):
    """A queued solve that no caller waits for any more; it never reached a worker."""


class _Worker:
    """One solver process (``python -m verifier.service.workers FD``) and its socket."""

    def __init__(self, limits: Limits):
        ours, theirs = socket.socketpair()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "verifier.service.workers", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL)
        theirs.close()
        self.conn = Connection(ours.detach())
        self.conn.send(limits)
        self.ready = False

    def wait_ready(self, timeout: float) -> bool:
        if not self.ready and self.conn.poll(timeout):
            self.ready = self.conn.recv()[0] == "ready"
        return self.ready

    def kill(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(0.5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.conn.close()


class WorkerPool:
    """``n`` solver processes; :meth:`run` blocks a thread, :meth:`solve` awaits."""

    def __init__(self, n: int, limits: Limits = DEFAULT_LIMITS,
                 on_restart: Callable[[], None] | None = None, start_timeout: float = 60.0):
        if n < 1:
            raise ValueError("a worker pool needs at least one worker")
        self.n = n
        self.limits = limits
        self.restarts = 0
        self._on_restart = on_restart
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._closed = False
        workers = [_Worker(limits) for _ in range(n)]
        deadline = time.monotonic() + start_timeout
        for w in workers:
            if not w.wait_ready(max(0.1, deadline - time.monotonic())):
                for x in workers:
                    x.kill()
                raise RuntimeError("solver workers did not start in time")
            self._idle.put(w)
        # threads that wait on worker pipes; more than n so waiters never starve the loop
        self._threads = ThreadPoolExecutor(max_workers=4 * n + 4, thread_name_prefix="solve")

    def pids(self) -> list[int]:
        return [w.proc.pid for w in list(self._idle.queue)]

    def _replace(self, w: _Worker) -> None:
        w.kill()
        with self._lock:
            self.restarts += 1
        if self._on_restart:
            self._on_restart()
        if not self._closed:
            fresh = _Worker(self.limits)
            fresh.wait_ready(60.0)
            self._idle.put(fresh)

    def run(self, payload: tuple, budget_s: float,
            wanted: Callable[[], bool] = lambda: True) -> Solution:
        """Solve in a worker within ``budget_s`` seconds of solving.

        Waiting for a free worker does not count against the budget: the job waits as
        long as ``wanted()`` says a caller still waits for it (each caller bounds that by
        its own deadline), at most ``QUEUE_WAIT_FACTOR * budget_s``; once nobody waits,
        it is dropped with :class:`Abandoned` instead of occupying a worker. A worker
        found dead (crashed between jobs) is replaced and the job tried once more.
        """
        try:
            return self._run_once(payload, budget_s, wanted)
        except _WorkerDied:
            return self._run_once(payload, budget_s, wanted, retry=False)

    def _acquire(self, budget_s: float, wanted: Callable[[], bool]) -> _Worker:
        give_up = time.monotonic() + QUEUE_WAIT_FACTOR * budget_s
        while True:
            if not wanted():
                raise Abandoned("every caller left before a solver worker was free")
            left = give_up - time.monotonic()
            if left <= 0:
                raise DeadlineExceeded(
                    f"no solver worker became free within {QUEUE_WAIT_FACTOR * budget_s:.3g} s; "
                    "add workers (--workers) or send less at once")
            try:
                w = self._idle.get(timeout=min(left, QUEUE_POLL_S))
            except queue.Empty:
                continue
            if wanted():
                return w
            self._idle.put(w)

    def _run_once(self, payload: tuple, budget_s: float, wanted: Callable[[], bool],
                  retry: bool = True) -> Solution:
        w = self._acquire(budget_s, wanted)
        t_end = time.monotonic() + budget_s
        try:
            w.conn.send(payload)
            if not w.conn.poll(max(0.0, t_end - time.monotonic())):
                self._replace(w)
                raise DeadlineExceeded(
                    f"solving took longer than its budget of {budget_s:.3g} s; the worker was "
                    "stopped. Shrink the problem or allow a longer deadline")
            kind, value = w.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            self._replace(w)
            if retry:
                raise _WorkerDied() from None
            raise EngineError("the solver worker died while solving this problem; it has been "
                              "replaced") from None
        self._idle.put(w)
        if kind == "err":
            raise value
        return value

    async def solve(self, payload: tuple, budget_s: float,
                    wanted: Callable[[], bool] = lambda: True) -> Solution:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._threads, self.run, payload, budget_s, wanted)

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().kill()
            except queue.Empty:
                break
        self._threads.shutdown(wait=False, cancel_futures=True)


if __name__ == "__main__":  # a worker process: argv[1] is the socket's file descriptor
    _worker_main(Connection(int(sys.argv[1])))
