"""The ``localtitan`` command: serve, quickstart, coverage and the admin commands.

Every command takes ``--data-dir`` and ``--database-url`` so scripts can aim it at any
deployment; ``--json`` output is for scripts, the rest is for people.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from localtitan.auth.keys import KeyRingError
from localtitan.platform import apps as app_registry
from localtitan.platform import credentials, quickstart
from localtitan.platform.environments import ENVIRONMENTS, Environment, parse_environment
from localtitan.platform.server_key import load_server_key
from localtitan.platform.tenants import TenantError, create_tenant, list_tenants
from localtitan.settings import Settings
from localtitan.spec import load_manifest
from localtitan.store import migrate, open_database

__all__ = ["app", "main"]

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

console = Console()
err_console = Console(stderr=True)

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
    err_console.print(f"[red]Error:[/red] {message}")
    raise typer.Exit(code)


def _run(settings: Settings, action: Callable[[AsyncConnection], Awaitable[T]]) -> T:
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
    ) as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"Cannot reach the database: {exc}")
    raise AssertionError("unreachable")


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


# ---------------------------------------------------------------- serve


@app.command()
def serve(
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    redis_url: Annotated[
        str | None, typer.Option("--redis-url", help="Redis URL for limits shared by workers.")
    ] = None,
    host: Annotated[
        str | None, typer.Option(help="Address to listen on [default: 127.0.0.1].")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on [default: 8080].")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes [default: 1].")] = None,
    rate_limit: Annotated[
        int | None,
        typer.Option(
            "--rate-limit",
            help="Requests per second per app, tenant and environment; 0 turns limits off "
            "[default: 60].",
        ),
    ] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo/--no-demo", help="Create the quickstart tenant and app on first start."
        ),
    ] = True,
) -> None:
    """Start the server: the portal and both environments, migrating the database first."""
    import uvicorn

    settings = _settings(
        data_dir,
        database_url,
        redis_url=redis_url,
        host=host,
        port=port,
        workers=workers,
        rate_limit=rate_limit,
    )
    data = _prepare(settings, demo)
    console.print(f"[bold]localtitan[/bold] on {settings.base_url} (data in {settings.data_dir})")
    for env in ENVIRONMENTS:
        from localtitan.platform.environments import api_prefix, auth_prefix

        console.print(
            f"  {env.value:12} token {settings.base_url}{auth_prefix(env)}/connect/token"
            f"   api {settings.base_url}{api_prefix(env)}",
            soft_wrap=True,
        )
    if data is not None:
        console.print(
            f"\nDemo tenant {data['tenantId']}; "
            f"credentials in {quickstart.quickstart_path(settings.data_dir)}"
        )
        console.print("Try the two-step call:\n")
        console.print(quickstart.curl_example(data), markup=False, highlight=False, soft_wrap=True)
        console.print()
    env_vars = {
        "LOCALTITAN_DATA_DIR": str(settings.data_dir.resolve()),
        "LOCALTITAN_DATABASE_URL": settings.resolved_database_url,
        "LOCALTITAN_RATE_LIMIT": str(settings.rate_limit),
    }
    if settings.redis_url:
        env_vars["LOCALTITAN_REDIS_URL"] = settings.redis_url
    import os

    os.environ.update(env_vars)
    uvicorn.run(
        "localtitan.asgi:application",
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level="warning",
        lifespan="on",
    )


def _prepare(settings: Settings, demo: bool) -> dict[str, Any] | None:
    """Migrate, make signing keys, and on first start the quickstart bundle (with demo data)."""

    async def go() -> dict[str, Any] | None:
        from localtitan.runtime import Runtime

        runtime = Runtime(settings)
        try:
            await runtime.start()
            if not demo:
                return None
            async with runtime.db.begin() as conn:
                if await quickstart.quickstart_is_current(conn, settings.data_dir):
                    data = quickstart.read_quickstart(settings.data_dir)
                    assert data is not None
                    return quickstart.with_base_url(data, settings.base_url)
                data = await quickstart.create_quickstart(
                    conn,
                    runtime.server_key,
                    settings.data_dir,
                    settings.base_url,
                    runtime.manifest.scopes,
                )
            if settings.seed_demo:
                from localtitan.demo import seed_quickstart

                await seed_quickstart(runtime.db, runtime.manifest, int(data["tenantId"]))
            return data
        finally:
            await runtime.close()

    try:
        return asyncio.run(go())
    except OSError as exc:
        _fail(f"Cannot reach the database: {exc}")
    except KeyRingError as exc:
        _fail(str(exc))
    raise AssertionError("unreachable")


@app.command("quickstart")
def quickstart_cmd(
    data_dir: DataDir = None, database_url: DatabaseUrl = None, as_json: JsonOut = False
) -> None:
    """Print the demo tenant, app key and credentials made on first start."""
    settings = _settings(data_dir, database_url)
    data = quickstart.read_quickstart(settings.data_dir)
    if data is None:
        _fail(f"No quickstart yet in {settings.data_dir}: run 'localtitan serve' once first.")
    assert data is not None
    if as_json:
        _print_json(data)
        return
    console.print(f"Tenant id: {data['tenantId']}\nApp key:   {data['appKey']}")
    for env, e in data["environments"].items():
        console.print(
            f"\n[bold]{env}[/bold]\n"
            f"  client id:     {e['clientId']}\n"
            f"  client secret: {e['clientSecret']}\n"
            f"  token URL:     {e['tokenUrl']}\n"
            f"  API base URL:  {e['apiBaseUrl']}",
            soft_wrap=True,
        )
    console.print("\nTwo-step call:\n")
    console.print(quickstart.curl_example(data), markup=False, highlight=False, soft_wrap=True)


# ---------------------------------------------------------------- coverage


@app.command()
def coverage(
    data_dir: DataDir = None, database_url: DatabaseUrl = None, as_json: JsonOut = False
) -> None:
    """How many of the API's operations have behaviour, per module."""
    from localtitan.engine import implemented_operations
    from localtitan.engine.setup import load_behaviours

    load_behaviours()
    manifest = load_manifest()
    served = implemented_operations(manifest.operations)
    rows: dict[str, dict[str, Any]] = {}
    for op in manifest.operations:
        row = rows.setdefault(
            op.module,
            {
                "module": op.module,
                "operations": 0,
                "generic": 0,
                "behaviour": 0,
                "notImplemented": [],
            },
        )
        row["operations"] += 1
        how = served.get(op.id)
        if how:
            row[how] += 1
        else:
            row["notImplemented"].append(op.operation_id)
    total = len(manifest.operations)
    done = len(served)
    if as_json:
        _print_json(
            {
                "total": total,
                "implemented": done,
                "modules": list(rows.values()),
                "operations": [
                    {
                        "id": op.id,
                        "operationId": op.operation_id,
                        "module": op.module,
                        "method": op.method,
                        "path": op.path,
                        "kind": op.kind,
                        "status": served.get(op.id, "not implemented"),
                    }
                    for op in manifest.operations
                ],
            }
        )
        return
    table = Table(title=f"localtitan coverage: {done} of {total} operations implemented")
    for col in ("module", "operations", "generic", "behaviour", "not implemented"):
        table.add_column(col, justify="left" if col == "module" else "right")
    for row in rows.values():
        table.add_row(
            row["module"],
            str(row["operations"]),
            str(row["generic"]),
            str(row["behaviour"]),
            str(len(row["notImplemented"])),
        )
    table.add_row(
        "[bold]all[/bold]",
        str(total),
        str(sum(r["generic"] for r in rows.values())),
        str(sum(r["behaviour"] for r in rows.values())),
        str(total - done),
    )
    console.print(table)


# ---------------------------------------------------------------- tenants


@tenant_app.command("create")
def tenant_create(
    name: Annotated[str, typer.Option(help="The company's name.")] = "New Tenant",
    tenant_id: Annotated[
        int | None, typer.Option("--id", help="Tenant id (random when unset).")
    ] = None,
    environment: Annotated[
        str | None, typer.Option(help="Only this environment (both by default).")
    ] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: JsonOut = False,
) -> None:
    """Create a tenant in both environments (or one)."""
    settings = _settings(data_dir, database_url)
    envs = ENVIRONMENTS if environment is None else (_env(environment),)
    tenant = _run(
        settings,
        lambda conn: create_tenant(conn, name=name, tenant_id=tenant_id, environments=envs),
    )
    env_names = [e.value for e in tenant.environments]
    out = {"id": tenant.id, "name": tenant.name, "environments": env_names}
    if as_json:
        _print_json(out)
    else:
        console.print(f"Created tenant {tenant.id} ({tenant.name}) in {', '.join(env_names)}.")


@tenant_app.command("list")
def tenant_list(
    data_dir: DataDir = None, database_url: DatabaseUrl = None, as_json: JsonOut = False
) -> None:
    """List tenants."""
    settings = _settings(data_dir, database_url)
    found = _run(settings, list_tenants)
    out = [
        {"id": t.id, "name": t.name, "environments": [e.value for e in t.environments]}
        for t in found
    ]
    if as_json:
        _print_json(out)
        return
    for t in found:
        names = ", ".join(e.value for e in t.environments)
        console.print(f"{t.id}  {t.name}  ({names})")


def _env(value: str) -> Environment:
    try:
        return parse_environment(value)
    except ValueError as exc:
        _fail(str(exc))
    raise AssertionError("unreachable")


# ---------------------------------------------------------------- apps


def _app_json(a: app_registry.App) -> dict[str, Any]:
    return {
        "id": a.id,
        "name": a.name,
        "organization": a.organization,
        "appKey": a.app_key,
        "scopeVersion": a.scope_version,
        "scopes": sorted(a.scopes),
        "tenantIds": sorted(a.tenant_ids),
    }


@apps_app.command("create")
def app_create(
    name: Annotated[str, typer.Option(help="The app's name.")],
    scopes: Annotated[
        str, typer.Option(help="'all' or a comma list such as tn.crm.customers:r,tn.jpm.jobs:r.")
    ],
    organization: Annotated[str, typer.Option(help="The organization that owns the app.")] = "",
    tenant: Annotated[
        list[int] | None,
        typer.Option("--tenant", help="A tenant id the app is visible to (repeatable)."),
    ] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: JsonOut = False,
) -> None:
    """Create a developer app and print its app key."""
    settings = _settings(data_dir, database_url)
    known = load_manifest().scopes
    try:
        chosen = app_registry.parse_scopes(scopes, known)
    except app_registry.AppError as exc:
        _fail(str(exc))
    created = _run(
        settings,
        lambda conn: app_registry.create_app(
            conn, name=name, organization=organization, scopes=chosen, tenant_ids=tenant or ()
        ),
    )
    if as_json:
        _print_json(_app_json(created))
    else:
        console.print(
            f"Created app {created.id} ({created.name}) with {len(created.scopes)} scopes.\n"
            f"App key: {created.app_key}"
        )


@apps_app.command("list")
def app_list(
    data_dir: DataDir = None, database_url: DatabaseUrl = None, as_json: JsonOut = False
) -> None:
    """List developer apps."""
    settings = _settings(data_dir, database_url)
    found = _run(settings, app_registry.list_apps)
    if as_json:
        _print_json([_app_json(a) for a in found])
        return
    for a in found:
        console.print(
            f"{a.id}  {a.name}  {a.app_key}  {len(a.scopes)} scopes  "
            f"tenants: {', '.join(map(str, sorted(a.tenant_ids))) or '-'}"
        )


@apps_app.command("scopes")
def app_scopes(
    data_dir: DataDir = None, database_url: DatabaseUrl = None, as_json: JsonOut = False
) -> None:
    """List every scope an app can ask for."""
    names = sorted(load_manifest().scopes)
    if as_json:
        _print_json(names)
    else:
        for n in names:
            console.print(n, markup=False, highlight=False)


@apps_app.command("connect")
def app_connect(
    app_id: Annotated[int, typer.Option("--app", help="The app's id.")],
    tenant: Annotated[int, typer.Option(help="The tenant to connect it to.")],
    environment: Annotated[str, typer.Option(help="integration or production.")],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: JsonOut = False,
) -> None:
    """Connect an app to a tenant in one environment; prints the client id and secret, once."""
    settings = _settings(data_dir, database_url)
    env = _env(environment)
    server_key = load_server_key(settings.data_dir)
    connection, issued = _run(
        settings,
        lambda conn: credentials.connect_app(
            conn, server_key, app_id=app_id, tenant_id=tenant, environment=env
        ),
    )
    out = {
        "clientId": connection.client_id,
        "clientSecret": issued.secret,
        "secretId": issued.id,
        "tenantId": tenant,
        "appId": app_id,
        "environment": env.value,
    }
    if as_json:
        _print_json(out)
    else:
        console.print(
            f"Connected app {app_id} to tenant {tenant} ({env.value}).\n"
            f"Client id:     {connection.client_id}\n"
            f"Client secret: {issued.secret}\n"
            "[yellow]The secret is shown only now: store it safely.[/yellow]"
        )


# ---------------------------------------------------------------- secrets

ClientId = Annotated[str, typer.Option("--client-id", help="The connection's client id.")]
SecretId = Annotated[int, typer.Option("--secret-id", help="The secret's id (see 'secret list').")]


@secret_app.command("create")
def secret_create(
    client_id: ClientId,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: JsonOut = False,
) -> None:
    """Make a new secret for a connection (at most two active); prints it once."""
    settings = _settings(data_dir, database_url)
    server_key = load_server_key(settings.data_dir)
    issued = _run(settings, lambda conn: credentials.create_secret(conn, server_key, client_id))
    if as_json:
        _print_json(
            {"clientId": issued.client_id, "secretId": issued.id, "clientSecret": issued.secret}
        )
    else:
        console.print(
            f"Secret {issued.id} for {client_id}: {issued.secret}\n"
            "[yellow]Shown only now: store it safely.[/yellow]"
        )


@secret_app.command("list")
def secret_list(
    client_id: ClientId,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: JsonOut = False,
) -> None:
    """List a connection's secrets (hints only: secrets are never stored)."""
    settings = _settings(data_dir, database_url)
    found = _run(settings, lambda conn: credentials.list_secrets(conn, client_id))
    if as_json:
        _print_json(found)
        return
    for s in found:
        console.print(
            f"{s['id']}  {s['hint']}  {'active' if s['active'] else 'deactivated'}  "
            f"created {s['created_on']}"
        )


@secret_app.command("deactivate")
def secret_deactivate(
    client_id: ClientId,
    secret_id: SecretId,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: JsonOut = False,
) -> None:
    """Deactivate a secret: it stops working at the token endpoint."""
    settings = _settings(data_dir, database_url)
    _run(settings, lambda conn: credentials.deactivate_secret(conn, client_id, secret_id))
    if as_json:
        _print_json({"clientId": client_id, "secretId": secret_id, "active": False})
    else:
        console.print(f"Secret {secret_id} of {client_id} deactivated.")


@secret_app.command("restore")
def secret_restore(
    client_id: ClientId,
    secret_id: SecretId,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: JsonOut = False,
) -> None:
    """Restore a deactivated secret."""
    settings = _settings(data_dir, database_url)
    _run(settings, lambda conn: credentials.restore_secret(conn, client_id, secret_id))
    if as_json:
        _print_json({"clientId": client_id, "secretId": secret_id, "active": True})
    else:
        console.print(f"Secret {secret_id} of {client_id} restored.")


# ---------------------------------------------------------------- keys


@keys_app.command("rotate")
def keys_rotate(
    environment: Annotated[str, typer.Option(help="integration or production.")],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: JsonOut = False,
) -> None:
    """Start signing tokens with a new key; the old one stays published for a day."""
    settings = _settings(data_dir, database_url)
    env = _env(environment)

    async def go() -> str:
        from localtitan.auth.keys import KeyRing

        db = open_database(settings.resolved_database_url)
        try:
            await migrate(db)
            ring = KeyRing(db, load_server_key(settings.data_dir))
            await ring.load()
            return (await ring.rotate(env)).kid
        finally:
            await db.close()

    kid = asyncio.run(go())
    if as_json:
        _print_json({"environment": env.value, "kid": kid})
    else:
        console.print(f"New {env.value} signing key: {kid}")


# ---------------------------------------------------------------- demo data and snapshots

TenantId = Annotated[int, typer.Option("--tenant", help="The tenant's id.")]


def _with_db(settings: Settings, action: Callable[[Any, Any], Awaitable[T]]) -> T:
    """Migrate, then run ``action(db, manifest)``; it manages its own transactions."""
    from localtitan.demo import SeedError
    from localtitan.snapshots.files import SnapshotError
    from localtitan.snapshots.refresh import RefreshError

    async def go() -> T:
        db = open_database(settings.resolved_database_url)
        try:
            await migrate(db)
            return await action(db, load_manifest())
        finally:
            await db.close()

    try:
        return asyncio.run(go())
    except (SeedError, SnapshotError, RefreshError, TenantError) as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"Cannot reach the database: {exc}")
    except KeyboardInterrupt:
        _fail(
            "Interrupted. Nothing was changed, except by a seed of over 100,000 customers, "
            "which keeps the chunks it committed: rerun the same command to resume it.",
            code=130,
        )
    raise AssertionError("unreachable")


def _seed_progress(quiet: bool) -> tuple[Any, Callable[[Any], None] | None]:
    """A Rich progress bar showing records written, records per second and time left."""
    if quiet:
        return None, None
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("[bold]seeding[/bold]"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}/{task.total:,.0f} records"),
        TextColumn("{task.fields[rate]:>8,.0f} rec/s"),
        TextColumn("{task.fields[customers]}"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )
    task = bar.add_task("seed", total=1, rate=0, customers="")

    def update(p: Any) -> None:
        rate = p.records / p.elapsed if p.elapsed > 0 else 0
        bar.update(
            task,
            completed=p.records,
            total=p.estimated_records,
            rate=rate,
            customers=f"{p.customers_done:,}/{p.customers:,} customers",
        )

    return bar, update


@app.command("seed")
def seed_cmd(
    tenant: TenantId,
    size: Annotated[
        str | None, typer.Option(help="small (300 customers), medium (10,000) or large (100,000).")
    ] = None,
    customers: Annotated[
        int | None, typer.Option(help="Any number of customers instead of a size.")
    ] = None,
    environment: Annotated[str, typer.Option(help="integration or production.")] = "integration",
    seed: Annotated[
        int | None, typer.Option(help="Random seed; the same seed gives the same company [1].")
    ] = None,
    anchor: Annotated[
        str | None,
        typer.Option(help="The demo's 'today' (YYYY-MM-DD): a year of history ends here [today]."),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Delete the tenant's records in the environment first."),
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(help="Generator processes; 0 generates in this process [by size and CPUs]."),
    ] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: JsonOut = False,
) -> None:
    """Fill a tenant with a demo company: staff, pricebook, customers and a year of jobs."""
    from localtitan.demo import seed_tenant

    settings = _settings(data_dir, database_url)
    env = _env(environment)
    bar, update = _seed_progress(as_json)

    async def go(db: Any, manifest: Any) -> Any:
        return await seed_tenant(
            db,
            manifest,
            environment=env.value,
            tenant_id=tenant,
            size=size,
            customers=customers,
            seed=seed,
            anchor=anchor,
            replace=replace,
            progress=update,
            workers=workers,
        )

    if bar is not None:
        with bar:
            result = _with_db(settings, go)
    else:
        result = _with_db(settings, go)
    if as_json:
        _print_json(result.as_json())
        return
    rate = result.records / result.seconds if result.seconds else 0
    console.print(
        f"Seeded tenant {result.tenant_id} ({result.environment}) with {result.customers:,} "
        f"customers: {result.records:,} records in {result.seconds:,.1f} s "
        f"({rate:,.0f} records/s){' (resumed)' if result.resumed else ''}."
    )


@tenant_app.command("export")
def tenant_export(
    tenant: TenantId,
    output: Annotated[Path, typer.Option("-o", "--output", help="The snapshot file to write.")],
    environment: Annotated[str, typer.Option(help="integration or production.")] = "integration",
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: JsonOut = False,
) -> None:
    """Write a tenant's records in one environment to a snapshot file (gzip JSON Lines)."""
    from localtitan.snapshots.files import export_snapshot

    settings = _settings(data_dir, database_url)
    env = _env(environment)
    result = _with_db(
        settings,
        lambda db, _m: export_snapshot(db, tenant_id=tenant, environment=env.value, path=output),
    )
    if as_json:
        _print_json(result.as_json())
    else:
        console.print(
            f"Exported {result.records:,} records of tenant {tenant} ({env.value}) to "
            f"{result.path} ({result.bytes:,} bytes)."
        )


@tenant_app.command("import")
def tenant_import(
    file: Annotated[Path, typer.Argument(help="A snapshot written by 'tenant export'.")],
    as_tenant: Annotated[
        int | None, typer.Option("--as-tenant", help="Load into this tenant [the file's].")
    ] = None,
    environment: Annotated[
        str | None, typer.Option(help="Load into this environment [the file's].")
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Delete the target's records first.")
    ] = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: JsonOut = False,
) -> None:
    """Load a snapshot into a tenant in one transaction (ids kept, new row versions)."""
    from localtitan.snapshots.files import import_snapshot

    settings = _settings(data_dir, database_url)
    env = _env(environment).value if environment else None
    result = _with_db(
        settings,
        lambda db, manifest: import_snapshot(
            db, manifest, file, as_tenant=as_tenant, environment=env, replace=replace
        ),
    )
    if as_json:
        _print_json(result.as_json())
    else:
        made = " (tenant created)" if result.created_tenant else ""
        console.print(
            f"Imported {result.records:,} records into tenant {result.tenant_id} "
            f"({result.environment}){made}."
        )


@tenant_app.command("reset")
def tenant_reset(
    tenant: TenantId,
    environment: Annotated[
        str | None, typer.Option(help="Only this environment [every seeded one].")
    ] = None,
    anchor: Annotated[
        str | None,
        typer.Option(help="Re-anchor the history ('today' or YYYY-MM-DD) [the stored anchor]."),
    ] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: JsonOut = False,
) -> None:
    """Restore a seeded tenant's demo state: clear it and seed it again the same way."""
    from localtitan.demo import SeedError, reset_tenant
    from localtitan.snapshots.tenantdata import read_seed_settings

    settings = _settings(data_dir, database_url)
    wanted = [_env(environment).value] if environment else [e.value for e in ENVIRONMENTS]
    bar, update = _seed_progress(as_json)

    async def go(db: Any, manifest: Any) -> list[Any]:
        envs = []
        async with db.read() as conn:
            for env in wanted:
                if await read_seed_settings(conn, env, tenant) is not None:
                    envs.append(env)
        if not envs:
            where = wanted[0] if environment else "any environment"
            raise SeedError(
                f"Tenant {tenant} has no demo seed settings in {where}; "
                "seed it with 'localtitan seed' first."
            )
        return [
            await reset_tenant(
                db, manifest, environment=env, tenant_id=tenant, anchor=anchor, progress=update
            )
            for env in envs
        ]

    if bar is not None:
        with bar:
            results = _with_db(settings, go)
    else:
        results = _with_db(settings, go)
    if as_json:
        _print_json([r.as_json() for r in results])
        return
    for r in results:
        console.print(
            f"Reset tenant {r.tenant_id} ({r.environment}): {r.records:,} records, "
            f"seed {r.seed}, anchor {r.anchor.date()}."
        )


@tenant_app.command("refresh-integration")
def tenant_refresh_integration(
    tenant: TenantId,
    every: Annotated[
        str | None,
        typer.Option(
            help="Also repeat it on the server at this interval (24h, 30m, 1d), or 'off' to "
            "stop repeating (without refreshing now)."
        ),
    ] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: JsonOut = False,
) -> None:
    """Replace a tenant's integration records with a copy of its production records (one
    transaction; ids kept; credentials untouched)."""
    from localtitan.demo import schedule
    from localtitan.snapshots.refresh import refresh_integration

    settings = _settings(data_dir, database_url)
    try:
        seconds = schedule.parse_every(every) if every is not None else None
    except ValueError as exc:
        _fail(str(exc))
    stop = every is not None and seconds is None

    async def go(db: Any, _manifest: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"tenantId": tenant}
        if stop:
            out["scheduleRemoved"] = await schedule.clear_schedule(db, tenant)
            return out
        out["refresh"] = (await refresh_integration(db, tenant_id=tenant)).as_json()
        if seconds is not None:
            out["schedule"] = (await schedule.set_schedule(db, tenant, seconds)).as_json()
        return out

    out = _with_db(settings, go)
    if as_json:
        _print_json(out)
        return
    if stop:
        console.print(f"Tenant {tenant}: integration is no longer refreshed on a schedule.")
        return
    r = out["refresh"]
    console.print(
        f"Refreshed tenant {tenant}: {r['copied']:,} production records copied to integration, "
        f"{r['removedFromIntegration']:,} integration-only records removed "
        f"({r['seconds']:.1f} s)."
    )
    if "schedule" in out:
        console.print(
            f"The server repeats this every {every} (next run {out['schedule']['nextRunOn']})."
        )


def main() -> None:
    app()
