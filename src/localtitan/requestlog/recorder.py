"""The request log's writer: a bounded in-process queue flushed in batches by a background task.

On the request path :meth:`RequestLog.add` appends one tuple to a list (or, when the list holds
``request_log_queue`` entries already, counts the request as dropped: the log never makes a
request wait). The flusher wakes every half second, or as soon as a batch is full, takes the
list, redacts and truncates bodies, writes one multi-row INSERT per batch, prints the access-log
lines, and now and then deletes rows past the age and count bounds. Each server process has its
own queue and writes its own batches into the shared database. Shutdown flushes what is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from typing import IO, Any

import msgspec
from sqlalchemy import delete, insert, select

from localtitan.requestlog.access import access_line
from localtitan.requestlog.facts import RequestFacts
from localtitan.requestlog.redaction import redact_headers, redact_query, redact_text
from localtitan.settings import Settings
from localtitan.store.database import Database
from localtitan.store.tables import request_log

__all__ = ["Entry", "RequestLog"]

log = logging.getLogger("localtitan.requestlog")

# (wall time ms, latency ms, environment, area, method, path, query, status, facts,
#  request headers, response headers, response body start, response size, client address)
Entry = tuple[
    int,
    float,
    str,
    str,
    str,
    str,
    bytes,
    int,
    RequestFacts,
    list[tuple[bytes, bytes]],
    list[tuple[bytes, bytes]],
    bytes,
    int,
    str,
]

_json = msgspec.json.Encoder()
_MAX_PATH = 2000
_MAX_QUERY = 4000
_DAY_MS = 86_400_000


def _no_nul(text: str) -> str:
    # PostgreSQL refuses a NUL in text, and one such request would lose its whole batch.
    return text.replace("\x00", "\\u0000") if "\x00" in text else text


def _content_type(headers: list[tuple[bytes, bytes]] | None) -> str:
    for name, value in headers or ():
        if name.lower() == b"content-type":
            return value.decode("latin-1").lower()
    return ""


def _body_text(raw: bytes | None, size: int, limit: int, content_type: str) -> str | None:
    """What the log keeps of a body: redacted text, at most ``limit`` characters."""
    if not raw or limit == 0:
        return None
    cut = raw[:limit]
    try:
        text = cut.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A cut may fall inside a multi-byte character; anything else is not text.
        if size <= len(cut) or exc.start < len(cut) - 3:
            return f"[{size:,} bytes of {content_type or 'binary data'}, not shown]"
        text = cut[: exc.start].decode("utf-8")
    return _no_nul(redact_text(text)[:limit])


class RequestLog:
    """One process's request log; ``active`` is False when both the table and stdout are off."""

    batch_size = 500
    flush_interval = 0.5
    prune_interval = 60.0

    def __init__(self, db: Database, settings: Settings, out: IO[str] | None = None) -> None:
        self.db = db
        self.to_table = settings.request_log
        self.access_format = settings.access_log
        self.active = self.to_table or self.access_format != "off"
        self.body_limit = settings.request_log_body_bytes
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
        if len(pending) >= self.batch_size:
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
            rows = [self._row(entry) for entry in taken]
            if self.access_format != "off":
                out = self._out or sys.stdout
                out.write(
                    "".join(
                        access_line(row, entry[13], self.access_format)
                        for row, entry in zip(rows, taken, strict=True)
                    )
                )
                out.flush()
            if not self.to_table:
                return len(rows)
            written = 0
            try:
                for start in range(0, len(rows), self.batch_size):
                    chunk = rows[start : start + self.batch_size]
                    async with self.db.begin() as conn:
                        await conn.execute(insert(request_log), chunk)
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

    def _row(self, entry: Entry) -> dict[str, Any]:
        (
            time_ms,
            latency_ms,
            environment,
            area,
            method,
            path,
            query,
            status,
            facts,
            request_headers,
            response_headers,
            response_start,
            response_size,
            _client,
        ) = entry
        limit = self.body_limit
        request_raw = facts.request_body
        request_size = facts.request_size or (len(request_raw) if request_raw else 0)
        query_text = redact_query(query.decode("latin-1"))[:_MAX_QUERY]
        return {
            "time_ms": time_ms,
            "environment": environment,
            "area": area,
            "tenant_id": facts.tenant_id,
            "app_id": facts.app_id,
            "client_id": _no_nul(redact_text(facts.client_id)[:100]) if facts.client_id else None,
            "method": method[:16],
            "path": _no_nul(path[:_MAX_PATH]),
            "operation_id": facts.operation_id,
            "query": _no_nul(query_text) or None,
            "status": status,
            "latency_ms": round(latency_ms, 3),
            "trace_id": facts.trace_id,
            "request_size": request_size,
            "response_size": response_size,
            "request_headers": _json.encode(redact_headers(request_headers)).decode(),
            "request_body": _body_text(
                request_raw, request_size, limit, _content_type(request_headers)
            ),
            "response_headers": _json.encode(redact_headers(response_headers)).decode(),
            "response_body": _body_text(
                response_start, response_size, limit, _content_type(response_headers)
            ),
        }

    async def prune(self) -> int:
        """Delete rows older than ``max_days`` and all but the newest ``max_rows``."""
        self._since_prune = 0
        self._last_prune = time.monotonic()
        cutoff = int(time.time() * 1000) - self.max_days * _DAY_MS
        async with self.db.begin() as conn:
            gone = (
                await conn.execute(delete(request_log).where(request_log.c.time_ms < cutoff))
            ).rowcount or 0
            edge = (
                await conn.execute(
                    select(request_log.c.id)
                    .order_by(request_log.c.id.desc())
                    .offset(self.max_rows)
                    .limit(1)
                )
            ).scalar_one_or_none()
            if edge is not None:
                gone += (
                    await conn.execute(delete(request_log).where(request_log.c.id <= edge))
                ).rowcount or 0
        return int(gone)
