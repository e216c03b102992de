"""Rate limits and failure delays, exact across every worker of a server.

Two kinds of state: fixed-window counters (``hit``/``exceeded``: N requests per window) and
failure penalties (``penalize``/``penalty``/``forgive``: after some free failures, a delay that
doubles with every further failure). Without Redis they live in a table in a file of the data
dir, mapped into every worker and updated under an exclusive ``flock``, so ``--workers 4`` has
the same budgets as one worker; with ``--redis-url`` they live in Redis, for workers on several
machines. ``MemoryLimiter`` is the same table in one process's memory.
"""

from __future__ import annotations

import fcntl
import hashlib
import math
import mmap
import os
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from localtitan.private_files import private_dir

__all__ = [
    "FileLimiter",
    "Limiter",
    "MemoryLimiter",
    "Penalty",
    "RedisLimiter",
    "TableLimiter",
    "open_limiter",
]


@dataclass(frozen=True)
class Penalty:
    """How failures on one key are punished: ``free`` failures cost nothing, each further one
    doubles the delay from ``base`` seconds up to ``cap``; ``forget`` quiet seconds reset it."""

    free: int
    base: int = 1
    cap: int = 300
    forget: int = 900

    def delay(self, failures: int) -> int:
        if failures <= self.free:
            return 0
        doublings = min(failures - self.free - 1, 30)  # 2**30 s is beyond any cap
        return int(min(self.cap, self.base * 2**doublings))


class Limiter(Protocol):
    async def hit(self, key: str, limit: int, window: int) -> int | None:
        """Count one hit; return None when allowed, else the seconds until the window resets."""
        ...

    async def exceeded(self, key: str, limit: int, window: int) -> int | None:
        """Like ``hit`` but without counting: is ``key`` over its limit right now?"""
        ...

    async def penalize(self, key: str, rule: Penalty) -> int | None:
        """Count one failure; return the delay it starts in seconds, or None while still free."""
        ...

    async def penalty(self, key: str) -> int | None:
        """Seconds left of the delay ``key`` is serving, or None."""
        ...

    async def penalties(self, keys: Sequence[str]) -> list[int | None]:
        """For each of ``keys``: the seconds left of the delay it is serving, 0 when it has
        failures on record but no delay running, None when it has none (nothing to forgive).
        One look at all of them, for a request that checks several before it goes on."""
        ...

    async def forgive(self, key: str) -> None:
        """Forget the failures of ``key``."""
        ...

    async def close(self) -> None: ...


def _wait(until: float, now: float) -> int:
    return max(1, math.ceil(until - now))


# ---------------------------------------------------------------- the table

# A slot: 16-byte key digest, two numbers whose meaning depends on the kind of key, and the
# time (ms) after which the slot is free for reuse. A counter keeps (window slot, count); a
# penalty keeps (failures, delayed until ms).
_SLOT = struct.Struct("<16sqqq")
_MAGIC = b"localtitan-limits-1\x00\x00\x00\x00\x00"
_HEADER = struct.Struct("<24sq")
_EMPTY = bytes(16)
_PROBES = 32
DEFAULT_SLOTS = 1 << 16  # 2.5 MB; a slot lives a window (1 s for the API) or a penalty


class TableLimiter:
    """An open-addressed hash table of counters in a byte buffer (a file mapping or memory).

    A key lives within ``_PROBES`` slots of its home slot. A lookup stops at a never-used slot
    (nothing was ever placed beyond it) and reuses the first expired one it passed; when all
    are live it evicts the one that expires first, so a flood of distinct keys loses the
    oldest counts instead of failing.
    """

    def __init__(self, buffer: mmap.mmap, fd: int | None, slots: int) -> None:
        self._map = buffer
        self._fd = fd
        self._slots = slots

    # The lock is held for a few microseconds and never across an await, so blocking on it
    # is harmless; plain calls rather than a context manager, as this runs on every request.
    def _lock(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_EX)

    def _unlock(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _find(self, digest: bytes, now_ms: int) -> tuple[int, tuple[int, int, int] | None]:
        """(offset, (a, b, expires) if ``digest`` is stored there, else None)."""
        home = int.from_bytes(digest[:8], "little")
        reuse: int | None = None
        oldest, oldest_expiry = 0, math.inf
        for i in range(_PROBES):
            offset = _HEADER.size + ((home + i) % self._slots) * _SLOT.size
            stored, a, b, expires = _SLOT.unpack_from(self._map, offset)
            if stored == digest:
                return offset, (a, b, expires)
            if stored == _EMPTY:
                return (reuse if reuse is not None else offset), None
            if reuse is None and expires <= now_ms:
                reuse = offset
            if expires < oldest_expiry:
                oldest, oldest_expiry = offset, expires
        return (reuse if reuse is not None else oldest), None

    def _count(self, key: str, limit: int, window: int, add: int) -> int | None:
        now = time.time()
        slot = int(now // window)
        digest = _digest(f"w{window}:{key}")
        end = (slot + 1) * window
        self._lock()
        try:
            offset, found = self._find(digest, int(now * 1000))
            count = found[1] if found is not None and found[0] == slot else 0
            if add:
                count += add
                _SLOT.pack_into(self._map, offset, digest, slot, count, end * 1000)
        finally:
            self._unlock()
        over = count > limit if add else count >= limit
        return _wait(end, now) if over else None

    async def hit(self, key: str, limit: int, window: int) -> int | None:
        return self._count(key, limit, window, 1)

    async def exceeded(self, key: str, limit: int, window: int) -> int | None:
        return self._count(key, limit, window, 0)

    async def penalize(self, key: str, rule: Penalty) -> int | None:
        now = time.time()
        now_ms = int(now * 1000)
        digest = _digest(f"p:{key}")
        self._lock()
        try:
            offset, found = self._find(digest, now_ms)
            failures = (found[0] if found is not None and found[2] > now_ms else 0) + 1
            delay = rule.delay(failures)
            until_ms = now_ms + delay * 1000
            expires = max(now_ms + rule.forget * 1000, until_ms)
            _SLOT.pack_into(self._map, offset, digest, failures, until_ms, expires)
        finally:
            self._unlock()
        return delay or None

    async def penalty(self, key: str) -> int | None:
        now = time.time()
        now_ms = int(now * 1000)
        self._lock()
        try:
            _, found = self._find(_digest(f"p:{key}"), now_ms)
        finally:
            self._unlock()
        if found is None or found[1] <= now_ms:
            return None
        return _wait(found[1] / 1000, now)

    async def penalties(self, keys: Sequence[str]) -> list[int | None]:
        now = time.time()
        now_ms = int(now * 1000)
        digests = [_digest(f"p:{key}") for key in keys]
        # One lock for all of them: a token request looks at two keys on every call.
        self._lock()
        try:
            found = [self._find(digest, now_ms)[1] for digest in digests]
        finally:
            self._unlock()
        out: list[int | None] = []
        for slot in found:
            if slot is None or slot[2] <= now_ms:
                out.append(None)  # never failed, forgiven, or forgotten (penalize starts anew)
            else:
                out.append(_wait(slot[1] / 1000, now) if slot[1] > now_ms else 0)
        return out

    async def forgive(self, key: str) -> None:
        digest = _digest(f"p:{key}")
        self._lock()
        try:
            offset, found = self._find(digest, int(time.time() * 1000))
            if found is not None:
                # Expired rather than emptied: an empty slot would end other keys' probes.
                _SLOT.pack_into(self._map, offset, digest, 0, 0, 0)
        finally:
            self._unlock()

    async def close(self) -> None:
        self._map.close()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _digest(key: str) -> bytes:
    digest = hashlib.blake2b(key.encode(), digest_size=16).digest()
    return digest if digest != _EMPTY else b"\x01" + digest[1:]


class MemoryLimiter(TableLimiter):
    """The table in this process's memory: exact for one process only."""

    def __init__(self, slots: int = DEFAULT_SLOTS) -> None:
        size = _HEADER.size + slots * _SLOT.size
        super().__init__(mmap.mmap(-1, size), None, slots)


class FileLimiter(TableLimiter):
    """The table in a file every worker maps: exact across the workers of one machine."""

    def __init__(self, path: Path, slots: int = DEFAULT_SLOTS) -> None:
        size = _HEADER.size + slots * _SLOT.size
        if not path.parent.exists():
            private_dir(path.parent)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            os.fchmod(fd, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                # Only ever grown, never shrunk: another worker may have it mapped already.
                # A new file stays sparse: only the pages of slots in use take disk or memory.
                was = os.fstat(fd).st_size
                if was < size:
                    os.ftruncate(fd, size)
                buffer = mmap.mmap(fd, size)
                magic, stored_slots = _HEADER.unpack_from(buffer, 0)
                if magic != _MAGIC or stored_slots != slots:
                    if was:  # another layout: start from an empty table
                        buffer[:] = bytes(size)
                    _HEADER.pack_into(buffer, 0, _MAGIC, slots)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        except BaseException:
            os.close(fd)
            raise
        super().__init__(buffer, fd, slots)
        self.path = path


# ---------------------------------------------------------------- Redis


class RedisLimiter:
    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self._redis = redis.Redis.from_url(url)

    async def hit(self, key: str, limit: int, window: int) -> int | None:
        now = time.time()
        slot = int(now // window)
        name = f"localtitan:rl:{key}:{window}:{slot}"
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.incr(name)
            pipe.expire(name, window + 1)
            count, _ = await pipe.execute()
        if int(count) > limit:
            return _wait((slot + 1) * window, now)
        return None

    async def exceeded(self, key: str, limit: int, window: int) -> int | None:
        now = time.time()
        slot = int(now // window)
        count = await self._redis.get(f"localtitan:rl:{key}:{window}:{slot}")
        if count is not None and int(count) >= limit:
            return _wait((slot + 1) * window, now)
        return None

    async def penalize(self, key: str, rule: Penalty) -> int | None:
        now = time.time()
        name = f"localtitan:pen:{key}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(name, "failures", 1)
            pipe.expire(name, rule.forget)
            failures, _ = await pipe.execute()
        delay = rule.delay(int(failures))
        if not delay:
            return None
        # Two failures at once may both set this; either value is a fair delay.
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(name, "until", str(now + delay))
            pipe.expire(name, max(rule.forget, delay + 1))
            await pipe.execute()
        return delay

    async def penalty(self, key: str) -> int | None:
        now = time.time()
        until = await self._redis.hget(f"localtitan:pen:{key}", "until")
        if until is None or float(until) <= now:
            return None
        return _wait(float(until), now)

    async def penalties(self, keys: Sequence[str]) -> list[int | None]:
        now = time.time()
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hmget(f"localtitan:pen:{key}", "failures", "until")
            found = await pipe.execute()
        out: list[int | None] = []
        for failures, until in found:
            if failures is None and until is None:
                out.append(None)
            elif until is not None and float(until) > now:
                out.append(_wait(float(until), now))
            else:
                out.append(0)
        return out

    async def forgive(self, key: str) -> None:
        await self._redis.delete(f"localtitan:pen:{key}")

    async def close(self) -> None:
        await self._redis.aclose()


def open_limiter(redis_url: str | None, path: Path | None = None) -> Limiter:
    """Redis when configured, else the table in ``path`` (memory when None)."""
    if redis_url:
        return RedisLimiter(redis_url)
    return FileLimiter(path) if path is not None else MemoryLimiter()
