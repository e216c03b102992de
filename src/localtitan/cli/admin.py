"""Admin commands: tenants, developer apps, client secrets and signing keys."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer

from localtitan.cli._common import (
    DatabaseUrl,
    DataDir,
    JsonOut,
    _env,
    _fail,
    _print_json,
    _run,
    _settings,
    apps_app,
    console,
    keys_app,
    secret_app,
    tenant_app,
)
from localtitan.platform import apps as app_registry
from localtitan.platform import audit, credentials
from localtitan.platform.environments import ENVIRONMENTS
from localtitan.platform.server_key import load_server_key
from localtitan.platform.tenants import create_tenant, list_tenants
from localtitan.spec import load_manifest
from localtitan.store import migrate, open_database

__all__ = []


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
        console.print(
            f"Created tenant {tenant.id} ({tenant.name}) in {', '.join(env_names)}.",
            markup=False,  # the name is the user's text, not Rich markup
            highlight=False,
        )


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
        console.print(f"{t.id}  {t.name}  ({names})", markup=False, highlight=False)


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

    async def create(conn: Any) -> app_registry.App:
        made = await app_registry.create_app(
            conn, name=name, organization=organization, scopes=chosen, tenant_ids=tenant or ()
        )
        await audit.record(
            conn, audit.CLI, "app.created", app_id=made.id, name=made.name,
            scopes=sorted(made.scopes), tenants=sorted(made.tenant_ids),
        )  # fmt: skip
        return made

    created = _run(settings, create)
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

    async def connect(conn: Any) -> tuple[credentials.Connection, credentials.IssuedSecret]:
        made = await credentials.connect_app(
            conn, server_key, app_id=app_id, tenant_id=tenant, environment=env
        )
        await audit.record(
            conn, audit.CLI, "connection.allowed", tenant_id=tenant, app_id=app_id,
            environment=env.value, clientId=made[0].client_id,
        )  # fmt: skip
        return made

    connection, issued = _run(settings, connect)
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

    async def create(conn: Any) -> credentials.IssuedSecret:
        made = await credentials.create_secret(conn, server_key, client_id)
        await audit.record(conn, audit.CLI, "secret.created", clientId=client_id, secretId=made.id)
        return made

    issued = _run(settings, create)
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


def _set_secret(
    client_id: str,
    secret_id: int,
    active: bool,
    data_dir: Path | None,
    database_url: str | None,
    as_json: bool,
) -> None:
    settings = _settings(data_dir, database_url)
    change = credentials.restore_secret if active else credentials.deactivate_secret

    async def go(conn: Any) -> None:
        await change(conn, client_id, secret_id)
        await audit.record(
            conn, audit.CLI, "secret.restored" if active else "secret.deactivated",
            clientId=client_id, secretId=secret_id,
        )  # fmt: skip

    _run(settings, go)
    if as_json:
        _print_json({"clientId": client_id, "secretId": secret_id, "active": active})
    else:
        done = "restored" if active else "deactivated"
        console.print(f"Secret {secret_id} of {client_id} {done}.")


@secret_app.command("deactivate")
def secret_deactivate(
    client_id: ClientId,
    secret_id: SecretId,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: JsonOut = False,
) -> None:
    """Deactivate a secret: it stops working at the token endpoint."""
    _set_secret(client_id, secret_id, False, data_dir, database_url, as_json)


@secret_app.command("restore")
def secret_restore(
    client_id: ClientId,
    secret_id: SecretId,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: JsonOut = False,
) -> None:
    """Restore a deactivated secret."""
    _set_secret(client_id, secret_id, True, data_dir, database_url, as_json)


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
