"""Bounded LRU cache of solved problems, with shared in-flight solves.

**Keys are lossless.** A key is a 128-bit hash of the problem exactly as the
request carried it (the deterministic protobuf serialisation of its
``Problem``): two problems share a key only if every byte of domain, premises
and query (or prompt text) is equal. No normalisation is applied, because in
the premise language whitespace can carry meaning (``a or b`` is a formula
over two atoms, ``aorb`` one atom) and premise boundaries do too (one premise
``"x = 1\\0y = 2"`` is not the two premises ``x = 1``, ``y = 2``). The cost of
that choice is a miss, never a wrong answer, when a client re-spaces the same
problem.

**Bounded in bytes.** Entries are charged their certificate JSON, expected
answer and error text plus a fixed overhead; the least recently used go once
either ``max_entries`` or ``max_bytes`` is passed. Parse errors are cached too
(a bad problem stays bad); time-outs and engine errors are not.

**Shared in-flight solves.** The first request for a key starts the solve as
a task of its own, which runs to the end of the *server's* budget whatever
happens to the caller: every caller waits with its own deadline, and a caller
that leaves (deadline, cancellation) neither fails the others nor kills the
worker. A solve nobody waits for any more is dropped before it reaches a
worker (see :class:`InFlight`), so abandoned requests do not queue up work.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Awaitable, Callable

from verifier.errors import DeadlineExceeded, HonestError, InvalidInput
from verifier.solution import Solution

#: fixed charge per entry, bytes: key, OrderedDict slot, Solved object, small strings
ENTRY_OVERHEAD_BYTES = 400


def problem_key(serialized_problem: bytes) -> bytes:
    """The cache key of a problem: a hash of its exact serialised bytes (see module doc)."""
    return hashlib.blake2b(serialized_problem, digest_size=16).digest()


@dataclass(frozen=True)
class Solved:
    """A cache entry: the solution (certificate kept only as JSON) and its solve time.

    ``solution.certificate`` is left empty: the JSON text is what callers get and
    is several times smaller in memory than the dict it came from.
    """

    solution: Solution
    certificate_json: str
    solve_ms: float

    @property
    def nbytes(self) -> int:
        return ENTRY_OVERHEAD_BYTES + len(self.certificate_json) + len(self.solution.expected)


def _nbytes(value: "Solved | InvalidInput") -> int:
    if isinstance(value, Solved):
        return value.nbytes
    return ENTRY_OVERHEAD_BYTES + len(value.message)


class InFlight:
    """One solve in progress and how many callers still wait for it."""

    __slots__ = ("task", "waiters")

    def __init__(self):
        self.task: asyncio.Task | None = None
        self.waiters = 0

    def wanted(self) -> bool:
        """Whether anyone still waits (checked before the solve takes a worker)."""
        return self.waiters > 0


class SolveCache:
    def __init__(self, max_entries: int = 100_000, max_bytes: int = 256 * 1024 * 1024):
        if max_entries < 1 or max_bytes < 1:
            raise ValueError("cache bounds must be positive")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.nbytes = 0
        self._done: OrderedDict[bytes, Solved | InvalidInput] = OrderedDict()
        self._inflight: dict[bytes, InFlight] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._done)

    def peek(self, key: bytes) -> Solved | None:
        """A cached solution (raises a cached input error); None on a miss."""
        got = self._done.get(key)
        if got is None:
            return None
        self._done.move_to_end(key)
        self.hits += 1
        if isinstance(got, HonestError):
            raise got
        return got

    async def get(self, key: bytes, solve: Callable[[InFlight], Awaitable[Solved]],
                  wait_s: float | None) -> tuple[Solved, bool]:
        """(solution, cached?): solving at most once per key at a time.

        ``solve(entry)`` starts the work; it may check ``entry.wanted()`` before taking
        a worker. This caller waits at most ``wait_s`` seconds (None: until the solve ends,
        which the server's budget bounds); the solve itself goes on.
        """
        got = self.peek(key)
        if got is not None:
            return got, True
        entry = self._inflight.get(key)
        cached = entry is not None
        if cached:
            self.hits += 1
        else:
            self.misses += 1
            entry = self._inflight[key] = InFlight()
            entry.task = asyncio.ensure_future(self._run(key, entry, solve))
            entry.task.add_done_callback(_retrieve)
        entry.waiters += 1
        timeout = None if wait_s is None else max(wait_s, 0.0)
        try:
            return await asyncio.wait_for(asyncio.shield(entry.task), timeout), cached
        except asyncio.TimeoutError:
            raise DeadlineExceeded(
                f"the solve did not finish within this call's deadline ({wait_s:.3g} s); it "
                "goes on in the server, and a later call for the same problem gets its "
                "result. Allow a longer deadline") from None
        finally:
            entry.waiters -= 1

    async def _run(self, key: bytes, entry: InFlight,
                   solve: Callable[[InFlight], Awaitable[Solved]]) -> Solved:
        try:
            solved = await solve(entry)
        except InvalidInput as e:
            self._store(key, e)
            raise
        finally:
            self._inflight.pop(key, None)
        self._store(key, solved)
        return solved

    def _store(self, key: bytes, value: Solved | InvalidInput) -> None:
        old = self._done.pop(key, None)
        if old is not None:
            self.nbytes -= _nbytes(old)
        self._done[key] = value
        self.nbytes += _nbytes(value)
        while len(self._done) > self.max_entries or (self.nbytes > self.max_bytes
                                                      and len(self._done) > 1):
            _, dropped = self._done.popitem(last=False)
            self.nbytes -= _nbytes(dropped)
        if self.nbytes > self.max_bytes:  # one entry larger than the whole budget
            self._done.clear()
            self.nbytes = 0


def _retrieve(task: asyncio.Task) -> None:
    """Mark a solve's exception as seen: every waiter re-raises it itself, and a solve
    whose callers all left must not log 'exception was never retrieved'."""
    if not task.cancelled():
        task.exception()
