"""Bounded LRU cache of solved problems, with in-flight de-duplication.

Keys are canonical hashes of the problem (:func:`problem_key`), so the G
completions of a group, and the same prompt in later epochs, solve once.
Parse errors are cached too (a bad problem stays bad); time-outs and engine
errors are not (another try may succeed).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from typing import Awaitable, Callable

from verifier.errors import HonestError, InvalidInput
from verifier.solution import Solution

Payload = tuple  # ("structured", domain, premises, query) | ("text", text)


def problem_key(payload: Payload) -> str:
    """Canonical hash: domain, premises and query with all whitespace removed
    (whitespace never changes meaning in the premise language); NL text stripped."""
    h = hashlib.blake2b(digest_size=16)
    if payload[0] == "structured":
        _, domain, premises, query = payload
        h.update(domain.encode())
        for p in premises:
            h.update(b"\x00" + "".join(p.split()).encode())
        h.update(b"\x01" + "".join(query.split()).encode())
    else:
        h.update(b"text\x00" + payload[1].strip().encode())
    return h.hexdigest()


class SolveCache:
    def __init__(self, max_entries: int = 100_000):
        self.max_entries = max_entries
        self._done: OrderedDict[str, Solution | InvalidInput] = OrderedDict()
        self._inflight: dict[str, asyncio.Future] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._done)

    def peek(self, key: str) -> Solution | None:
        """A cached solution (raises a cached input error); None on a miss."""
        got = self._done.get(key)
        if got is None:
            return None
        self._done.move_to_end(key)
        self.hits += 1
        if isinstance(got, HonestError):
            raise got
        return got

    async def get(self, key: str, solve: Callable[[], Awaitable[Solution]]) -> tuple[Solution, bool]:
        """(solution, cached?) — solving at most once per key at a time."""
        got = self.peek(key)
        if got is not None:
            return got, True
        fut = self._inflight.get(key)
        if fut is not None:
            self.hits += 1
            return await asyncio.shield(fut), True
        self.misses += 1
        fut = asyncio.get_running_loop().create_future()
        self._inflight[key] = fut
        try:
            sol = await solve()
        except InvalidInput as e:
            self._store(key, e)
            fut.set_exception(e)
            fut.exception()  # mark retrieved: waiters re-raise it themselves
            raise
        except BaseException as e:
            fut.set_exception(e if isinstance(e, Exception) else asyncio.CancelledError())
            fut.exception()
            raise
        finally:
            self._inflight.pop(key, None)
        self._store(key, sol)
        fut.set_result(sol)
        return sol, False

    def _store(self, key: str, value) -> None:
        self._done[key] = value
        self._done.move_to_end(key)
        while len(self._done) > self.max_entries:
            self._done.popitem(last=False)
