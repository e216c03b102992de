"""``localtitan logs tail``: follow the request log live in the terminal.

It polls the request-log table by id (each poll asks only for rows newer than the last one it
printed), so it works beside any number of server workers on SQLite or PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.markup import escape

from localtitan.cli._common import DatabaseUrl, DataDir, JsonOut, _fail, _settings, app, console
from localtitan.requestlog.queries import (
    LogEntry,
    LogFilter,
    last_id,
    list_entries,
    parse_since,
    parse_status,
)
from localtitan.store import migrate, open_database

__all__ = ["logs_app", "tail"]

logs_app = typer.Typer(help="Read the request log of token and API calls.", no_args_is_help=True)
app.add_typer(logs_app, name="logs")

_STYLE = {2: "green", 3: "cyan", 4: "yellow", 5: "red"}


def _line(entry: LogEntry) -> str:
    when = datetime.fromtimestamp(entry.time_ms / 1000, UTC).strftime("%H:%M:%S.%f")[:-3]
    style = _STYLE.get(entry.status // 100, "white")
    who = []
    if entry.operation_id:
        who.append(f"op={escape(entry.operation_id)}")
    if entry.tenant_id is not None:
        who.append(f"tenant={entry.tenant_id}")
    if entry.app_id is not None:
        who.append(f"app={entry.app_id}")
    if entry.trace_id and entry.status >= 400:
        who.append(f"trace={entry.trace_id}")
    return (
        f"[dim]{when}[/dim] [{style}]{entry.status}[/{style}] {escape(entry.method):6} "
        f"{escape(entry.target)} [dim]{entry.latency_ms:.1f} ms {entry.response_size:,} B "
        f"{entry.environment}[/dim] {' '.join(who)}"
    )


@logs_app.command("tail")
def tail(
    app_id: Annotated[int | None, typer.Option("--app", help="Only this app's requests.")] = None,
    tenant: Annotated[
        int | None, typer.Option("--tenant", help="Only requests for this tenant.")
    ] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="A status class (4xx) or code (429).")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Start with the requests of the last 15m, 2h, 7d..."),
    ] = None,
    lines: Annotated[
        int, typer.Option("--lines", "-n", help="Requests shown before following (no --since).")
    ] = 10,
    interval: Annotated[float, typer.Option(help="Seconds between polls.")] = 1.0,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: JsonOut = False,
) -> None:
    """Show the latest requests, then each new one as it arrives (Ctrl-C stops)."""
    settings = _settings(data_dir, database_url)
    try:
        bounds = parse_status(status) if status else None
        since_ms = parse_since(since, int(time.time() * 1000)) if since else None
    except ValueError as exc:
        _fail(str(exc))
    if not 0.05 <= interval <= 60:
        _fail("The interval must be between 0.05 and 60 seconds.")
    base = LogFilter(app_id=app_id, tenant_id=tenant, status=bounds)

    def show(entry: LogEntry) -> None:
        if as_json:
            sys.stdout.write(json.dumps(entry.as_json()) + "\n")
            sys.stdout.flush()
        else:
            console.print(_line(entry), soft_wrap=True, highlight=False)

    async def follow() -> None:
        db = open_database(settings.resolved_database_url, pool_size=1)
        try:
            await migrate(db)
            async with db.read() as conn:
                if since_ms is not None:
                    start = replace(base, since_ms=since_ms, limit=500)
                    backlog = await list_entries(conn, start)
                else:
                    backlog = await list_entries(conn, replace(base, limit=max(lines, 1)))
                    backlog = backlog if lines > 0 else []
                newest = await last_id(conn)
            for entry in reversed(backlog):
                show(entry)
            if not as_json:
                console.print("[dim]Following new requests; Ctrl-C stops.[/dim]")
            after = newest
            while True:
                await asyncio.sleep(interval)
                async with db.read() as conn:
                    fresh = await list_entries(conn, replace(base, after_id=after, limit=500))
                for entry in fresh:
                    show(entry)
                    after = entry.id
        finally:
            await db.close()

    try:
        asyncio.run(follow())
    except KeyboardInterrupt:
        return
    except OSError as exc:
        _fail(f"Cannot reach the database: {exc}")
