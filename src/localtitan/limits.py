"""Fixed-window rate limits, in process memory or shared through Redis across workers."""

from __future__ import annotations

import math
import time
from typing import Protocol

__all__ = ["Limiter", "MemoryLimiter", "RedisLimiter", "open_limiter"]


class Limiter(Protocol):
    async def hit(self, key: str, limit: int, window: int) -> int | None:
        """Count one hit; return None when allowed, else the seconds until the window resets."""
        ...

    async def exceeded(self, key: str, limit: int, window: int) -> int | None:
        """Like ``hit`` but without counting: is ``key`` over its limit right now?"""
        ...

    async def close(self) -> None: ...


class MemoryLimiter:
    def __init__(self) -> None:
        # (key, window, slot) -> hits; a slot is one window-long stretch of time.
        self._counts: dict[tuple[str, int, int], int] = {}
        self._next_sweep = 0.0

    async def hit(self, key: str, limit: int, window: int) -> int | None:
        now = time.time()
        if now >= self._next_sweep:
            self._sweep(now)
        slot = int(now // window)
        entry = (key, window, slot)
        count = self._counts.get(entry, 0) + 1
        self._counts[entry] = count
        if count > limit:
            return max(1, math.ceil((slot + 1) * window - now))
        return None

    async def exceeded(self, key: str, limit: int, window: int) -> int | None:
        now = time.time()
        slot = int(now // window)
        if self._counts.get((key, window, slot), 0) >= limit:
            return max(1, math.ceil((slot + 1) * window - now))
        return None

    def _sweep(self, now: float) -> None:
        # Forget finished windows, so memory is bounded by the keys seen in the last window.
        self._next_sweep = now + 1.0
        done = [e for e in self._counts if (e[2] + 1) * e[1] <= now]
        for e in done:
            del self._counts[e]

    async def close(self) -> None:
        return None


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
            return max(1, math.ceil((slot + 1) * window - now))
        return None

    async def exceeded(self, key: str, limit: int, window: int) -> int | None:
        now = time.time()
        slot = int(now // window)
        count = await self._redis.get(f"localtitan:rl:{key}:{window}:{slot}")
        if count is not None and int(count) >= limit:
            return max(1, math.ceil((slot + 1) * window - now))
        return None

    async def close(self) -> None:
        await self._redis.aclose()


def open_limiter(redis_url: str | None) -> Limiter:
    return RedisLimiter(redis_url) if redis_url else MemoryLimiter()
