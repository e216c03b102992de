"""What every localtitan command shares: the Typer apps, option types, output and the
run-in-one-transaction helper."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from localtitan.platform import access, credentials, users
from localtitan.platform import apps as app_registry
from localtitan.platform.environments import Environment, parse_environment
from localtitan.platform.tenants import TenantError
from localtitan.settings import Settings
from localtitan.store import Connection, migrate, open_database

__all__ = [
    "DataDir",
    "DatabaseUrl",
    "JsonOut",
    "app",
    "apps_app",
    "console",
    "err_console",
    "keys_app",
    "secret_app",
    "tenant_app",
]

T = TypeVar("T")

app = typer.Typer(
    help="localtitan: a local ServiceTitan API platform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
tenant_app = typer.Typer(help="Create and list tenants.", no_args_is_help=True)
apps_app = typer.Typer(
    help="Create developer apps and connect them to tenants.", no_args_is_help=True
)
secret_app = typer.Typer(help="Manage the client secrets of a connection.", no_args_is_help=True)
keys_app = typer.Typer(help="Manage the token-signing keys.", no_args_is_help=True)
app.add_typer(tenant_app, name="tenant")
app.add_typer(apps_app, name="app")
app.add_typer(secret_app, name="secret")
app.add_typer(keys_app, name="keys")

# No emoji codes: Rich would turn a ":AB:" inside a certificate fingerprint (or an ":ok:" in an
# app's name) into a picture, and what the CLI prints must be what is stored.
console = Console(emoji=False)
err_console = Console(stderr=True, emoji=False)

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Folder for the database, keys and quickstart.json.", show_default=False
    ),
]
DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL; SQLite in the data dir by default.",
        show_default=False,
    ),
]
JsonOut = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _settings(data_dir: Path | None, database_url: str | None, **more: Any) -> Settings:
    try:
        return Settings.from_env(data_dir=data_dir, database_url=database_url, **more)
    except ValueError as exc:
        _fail(str(exc))


def _fail(message: str, code: int = 1) -> NoReturn:
    # The message quotes what the user typed or what the system said: printed as it is,
    # never read as Rich markup ("[bold]" in a name would vanish).
    err_console.print(f"[red]Error:[/red] {escape(message)}")
    raise typer.Exit(code)


def _run(settings: Settings, action: Callable[[Connection], Awaitable[T]]) -> T:
    """Migrate, then run ``action`` in one transaction; admin errors become a clean message."""

    async def go() -> T:
        db = open_database(settings.resolved_database_url)
        try:
            await migrate(db)
            async with db.begin() as conn:
                return await action(conn)
        finally:
            await db.close()

    try:
        return asyncio.run(go())
    except (
        TenantError,
        app_registry.AppError,
        credentials.CredentialError,
        users.UserError,
        access.AccessError,
    ) as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"Cannot reach the database: {exc}")
    raise AssertionError("unreachable")


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


# ---------------------------------------------------------------- serve


def _env(value: str) -> Environment:
    try:
        return parse_environment(value)
    except ValueError as exc:
        _fail(str(exc))
    raise AssertionError("unreachable")


# ---------------------------------------------------------------- apps
