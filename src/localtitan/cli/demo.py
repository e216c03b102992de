"""Demo data commands: ``seed`` and the tenant snapshot, reset and refresh commands."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer

from localtitan.cli._common import (
    DatabaseUrl,
    DataDir,
    JsonOut,
    T,
    _env,
    _fail,
    _print_json,
    _settings,
    app,
    console,
    err_console,
    tenant_app,
)
from localtitan.platform.environments import ENVIRONMENTS
from localtitan.platform.tenants import TenantError
from localtitan.settings import Settings
from localtitan.spec import load_manifest
from localtitan.store import migrate, open_database

__all__ = ["seed_cmd"]

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


def _seed_progress(quiet: bool) -> tuple[AbstractContextManager[Any], Callable[[Any], None] | None]:
    """A Rich progress bar showing records written, records per second and time left (a
    context that shows nothing when ``quiet``), and the callback that moves it."""
    if quiet:
        return nullcontext(), None
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

    with bar:
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
    """Write a tenant's records and stored files in one environment to a snapshot file
    (gzip JSON Lines)."""
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
            f"Exported {result.records:,} records and {result.files:,} stored files of tenant "
            f"{tenant} ({env.value}) to {result.path} ({result.bytes:,} bytes)."
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
        bool, typer.Option("--replace", help="Delete the target's records and files first.")
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
            f"Imported {result.records:,} records and {result.files:,} stored files into tenant "
            f"{result.tenant_id} ({result.environment}){made}."
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
    from localtitan.store.tenant_data import read_seed_settings

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

    with bar:
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
    from localtitan.platform import audit
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
            async with db.begin() as conn:
                await audit.record(
                    conn, audit.CLI, "refresh.scheduled", tenant_id=tenant, every="off"
                )
            return out
        out["refresh"] = (await refresh_integration(db, tenant_id=tenant)).as_json()
        if seconds is not None:
            out["schedule"] = (await schedule.set_schedule(db, tenant, seconds)).as_json()
        async with db.begin() as conn:
            await audit.record(conn, audit.CLI, "refresh.run", tenant_id=tenant, every=every)
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
