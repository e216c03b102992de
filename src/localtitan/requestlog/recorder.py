"""The request log's writer: a bounded in-process queue flushed in batches by a background task.

On the request path :meth:`RequestLog.add` appends one object of references to a list (or, when
the list holds ``request_log_queue`` entries already, counts the request as dropped: the log
never makes a request wait). The flusher wakes every second, or as soon as a batch is full,
takes the list, builds the rows (redacting and truncating as it goes), prints the access-log
lines, writes the batch in a few short transactions (``store.request_log``), and now and then
deletes rows past the age and count bounds. Each server process has its own queue and writes its own
batches into the shared database. Shutdown flushes what is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from typing import IO

from localtitan.requestlog.access import line_of
from localtitan.requestlog.facts import RequestFacts
from localtitan.requestlog.rows import row_of
from localtitan.settings import Settings
from localtitan.store.database import Database
from localtitan.store.request_log import LogRow, LogWriter, prune

__all__ = ["Entry", "RequestLog"]

log = logging.getLogger("localtitan.requestlog")

# One queued request: the door's facts with the hook's references and timing (facts.py).
Entry = RequestFacts

_DAY_MS = 86_400_000
# Rows built between two turns of the event loop: a step is about half a millisecond, so the
# requests arriving meanwhile are served as they come rather than in a burst after the batch.
_BUILD_STEP = 64


class RequestLog:
    """One process's request log; ``active`` is False when both the table and stdout are off."""

    batch_size = 1000
    flush_interval = 1.0
    prune_interval = 60.0

    def __init__(self, db: Database, settings: Settings, out: IO[str] | None = None) -> None:
        self.db = db
        self._writer = LogWriter(db)
        self.to_table = settings.request_log
        self.access_format = settings.access_log
        self.active = self.to_table or self.access_format != "off"
        self.body_limit = settings.request_log_body_bytes
        self.success_body_limit = min(
            settings.request_log_success_body_bytes, settings.request_log_body_bytes
        )
        self.max_days = settings.request_log_days
        self.max_rows = settings.request_log_rows
        self.capacity = settings.request_log_queue
        self._out = out
        self._pending: list[Entry] = []
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._since_prune = 0
        self._last_prune = 0.0
        # Requests not logged because the queue was full, and rows lost to a failed write.
        self.dropped = 0
        self.lost = 0
        self._dropped_told = 0

    # ------------------------------------------------------------ the request path

    def add(self, entry: Entry) -> None:
        pending = self._pending
        if len(pending) >= self.capacity:
            self.dropped += 1
            return
        pending.append(entry)
        if len(pending) == self.batch_size:
            self._wake.set()

    @property
    def queued(self) -> int:
        return len(self._pending)

    # ------------------------------------------------------------ the flusher

    async def start(self) -> None:
        if not self.active or self._task is not None:
            return
        if self.to_table:
            await self.prune()
        self._task = asyncio.create_task(self._loop(), name="localtitan-request-log")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            # Not in the middle of a flush: a write cancelled half-way leaves its connection
            # holding SQLite's write lock until collected, and the flush below waits for it.
            async with self._lock:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.flush()

    async def _loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.flush_interval):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.flush()
                if self.to_table and time.monotonic() - self._last_prune >= self.prune_interval:
                    await self.prune()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("The request log could not be written")

    async def flush(self) -> int:
        """Write (and print) everything queued; returns how many requests were written."""
        async with self._lock:
            taken, self._pending = self._pending, []
            if self.dropped > self._dropped_told:
                log.warning(
                    "The request log's queue was full: %d requests were not logged in all; "
                    "raise LOCALTITAN_REQUEST_LOG_QUEUE (now %d) if this repeats.",
                    self.dropped,
                    self.capacity,
                )
                self._dropped_told = self.dropped
            if not taken:
                return 0
            body_limit, success_limit = self.body_limit, self.success_body_limit
            rows: list[LogRow] = []
            lines: list[str] = []
            step = _BUILD_STEP
            for start in range(0, len(taken), step):
                part = taken[start : start + step]
                built = [row_of(entry, body_limit, success_limit) for entry in part]
                if self.access_format != "off":
                    lines.extend(self._lines(built, part))
                rows.extend(built)
                if start + step < len(taken):
                    await asyncio.sleep(0)
            if lines:
                out = self._out or sys.stdout
                out.write("".join(lines))
                out.flush()
            if not self.to_table:
                return len(rows)
            written = 0
            step = self._writer.chunk
            try:
                for start in range(0, len(rows), step):
                    chunk = rows[start : start + step]
                    await self._writer.append(chunk)
                    written += len(chunk)
            except Exception:
                self.lost += len(rows) - written
                log.exception(
                    "The request log lost %d requests: the database refused them",
                    len(rows) - written,
                )
            self._since_prune += written
        # Between the timed prunes, a tenth of the count bound written prunes at once, so the
        # table never holds much more than the bound.
        if written and self._since_prune >= max(self.max_rows // 10, 1):
            try:
                await self.prune()
            except Exception:
                log.exception("The request log could not delete its oldest rows")
        return written

    def _lines(self, rows: list[LogRow], taken: list[Entry]) -> list[str]:
        fmt = self.access_format
        lines = []
        for row, entry in zip(rows, taken, strict=True):
            client = entry.client
            lines.append(line_of(row, client[0] if client else "-", fmt))
        return lines

    async def prune(self) -> int:
        """Delete rows older than ``max_days`` and all but the newest ``max_rows``."""
        self._since_prune = 0
        self._last_prune = time.monotonic()
        cutoff = int(time.time() * 1000) - self.max_days * _DAY_MS
        return await prune(self.db, before_ms=cutoff, keep=self.max_rows)
