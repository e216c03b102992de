"""Portal accounts from the command line: ``user create|list|reset-password|grant``, ``access
list|approve|decline`` and ``audit``."""

from __future__ import annotations

import asyncio
import secrets
from typing import Annotated, Any

import typer

from localtitan.cli._common import (
    DatabaseUrl,
    DataDir,
    JsonOut,
    _fail,
    _print_json,
    _run,
    _settings,
    app,
    console,
)
from localtitan.platform import access, audit, onboarding, users
from localtitan.platform.server_key import load_server_key
from localtitan.spec import load_manifest
from localtitan.store import migrate, open_database

__all__: list[str] = []

user_app = typer.Typer(help="Portal users and their roles.", no_args_is_help=True)
access_app = typer.Typer(help="Request Access: list, approve, decline.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(access_app, name="access")

Email = Annotated[str, typer.Option("--email", help="The user's email address.")]
RoleOpt = Annotated[
    str,
    typer.Option(
        "--role", help="developer (My Apps), tenant-admin (API Application Access) or operator."
    ),
]
TenantOpt = Annotated[
    int | None, typer.Option("--tenant", help="The tenant the role is for (not for operator).")
]
EnvOpt = Annotated[
    str | None,
    typer.Option("--environment", help="integration or production [default: both]."),
]


def _role(value: str) -> users.Role:
    try:
        return users.Role(value.strip().lower())
    except ValueError:
        _fail("A role is one of: developer, tenant-admin, operator.")


def _user_json(u: users.User, grants: list[users.Grant]) -> dict[str, Any]:
    return {
        "id": u.id,
        "email": u.email,
        "name": u.name,
        "active": u.active,
        "createdOn": u.created_on.isoformat(),
        "roles": [
            {"role": g.role.value, "tenantId": g.tenant_id, "environment": g.environment}
            for g in grants
        ],
    }


async def _user_by_email(conn: Any, email: str) -> users.User:
    found = await users.find_user(conn, email)
    if found is None:
        raise users.UserError(f"There is no user with the email {email.strip().lower()}.")
    return found


@user_app.command("create")
def user_create(
    email: Email,
    name: Annotated[str, typer.Option(help="The user's full name.")],
    password: Annotated[
        str | None,
        typer.Option(help="Their password (at least 10 characters); a random one when unset."),
    ] = None,
    role: Annotated[str | None, typer.Option("--role", help="A first role to give.")] = None,
    tenant: TenantOpt = None,
    environment: EnvOpt = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: JsonOut = False,
) -> None:
    """Create a portal user; prints a generated password once."""
    settings = _settings(data_dir, database_url)
    chosen = password or secrets.token_urlsafe(12)
    wanted = _role(role) if role else None

    async def go(conn: Any) -> tuple[users.User, list[users.Grant]]:
        user = await users.create_user(conn, email=email, name=name, password=chosen)
        if wanted is not None:
            await users.grant_role(conn, user.id, wanted, tenant_id=tenant, environment=environment)
        await audit.record(conn, audit.CLI, "user.created", userId=user.id, email=user.email)
        return user, await users.grants_of(conn, user.id)

    user, grants = _run(settings, go)
    out = _user_json(user, grants)
    if password is None:
        out["password"] = chosen
    if as_json:
        _print_json(out)
        return
    console.print(f"Created user {user.id} ({user.email}).")
    if password is None:
        console.print(f"Password: {chosen}\n[yellow]Shown only now.[/yellow]", highlight=False)


@user_app.command("list")
def user_list(
    data_dir: DataDir = None, database_url: DatabaseUrl = None, as_json: JsonOut = False
) -> None:
    """List portal users and their roles."""
    settings = _settings(data_dir, database_url)

    async def go(conn: Any) -> list[tuple[users.User, list[users.Grant]]]:
        return [(u, await users.grants_of(conn, u.id)) for u in await users.list_users(conn)]

    found = _run(settings, go)
    if as_json:
        _print_json([_user_json(u, g) for u, g in found])
        return
    if not found:
        console.print("No users yet.")
    for u, grants in found:
        roles = ", ".join(
            g.role.value
            if g.role is users.Role.OPERATOR
            else f"{g.role.value} of {g.tenant_id} ({g.environment.replace('*', 'both')})"
            for g in grants
        )
        console.print(f"{u.id}  {u.email}  {u.name}  {roles or 'no roles'}", markup=False)


@user_app.command("reset-password")
def user_reset_password(
    email: Email,
    password: Annotated[
        str | None, typer.Option(help="The new password; a random one when unset.")
    ] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: JsonOut = False,
) -> None:
    """Set a new password; the user's sessions end. Prints a generated password once."""
    settings = _settings(data_dir, database_url)
    chosen = password or secrets.token_urlsafe(12)

    async def go(conn: Any) -> users.User:
        user = await _user_by_email(conn, email)
        await users.set_password(conn, user.id, chosen)
        await audit.record(conn, audit.CLI, "user.password-reset", userId=user.id)
        return user

    user = _run(settings, go)
    if as_json:
        out: dict[str, Any] = {"id": user.id, "email": user.email}
        if password is None:
            out["password"] = chosen
        _print_json(out)
    else:
        console.print(f"New password set for {user.email}.")
        if password is None:
            console.print(f"Password: {chosen}\n[yellow]Shown only now.[/yellow]", highlight=False)


@user_app.command("grant")
def user_grant(
    email: Email,
    role: RoleOpt,
    tenant: TenantOpt = None,
    environment: EnvOpt = None,
    revoke: Annotated[bool, typer.Option("--revoke", help="Take the role away instead.")] = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: JsonOut = False,
) -> None:
    """Give (or, with --revoke, take away) a role for a tenant."""
    settings = _settings(data_dir, database_url)
    wanted = _role(role)

    async def go(conn: Any) -> tuple[users.User, list[users.Grant]]:
        user = await _user_by_email(conn, email)
        if revoke:
            await users.revoke_role(conn, user.id, wanted, tenant_id=tenant)
        else:
            await users.grant_role(conn, user.id, wanted, tenant_id=tenant, environment=environment)
        await audit.record(
            conn,
            audit.CLI,
            "user.role-revoked" if revoke else "user.role-granted",
            tenant_id=tenant,
            userId=user.id,
            role=wanted.value,
            environment=environment or "*",
        )
        return user, await users.grants_of(conn, user.id)

    user, grants = _run(settings, go)
    if as_json:
        _print_json(_user_json(user, grants))
    else:
        done = "Took" if revoke else "Gave"
        where = f" for tenant {tenant}" if tenant is not None else ""
        console.print(f"{done} {wanted.value}{where}: {user.email}.")


# ---------------------------------------------------------------- access requests


def _request_json(r: access.AccessRequest) -> dict[str, Any]:
    return {
        "id": r.id,
        "reference": r.reference,
        "status": r.status,
        "name": r.name,
        "email": r.email,
        "company": r.company,
        "website": r.website,
        "kind": r.kind,
        "integration": r.integration,
        "modules": list(r.modules),
        "createdOn": r.created_on.isoformat(),
        "decidedBy": r.decided_by,
        "tenantId": r.tenant_id,
    }


Reference = Annotated[str, typer.Argument(help="The request's reference (LTA-...) or id.")]


async def _find(conn: Any, ref: str) -> access.AccessRequest:
    found = await access.find_request(conn, ref)
    if found is None:
        raise access.AccessError(f"There is no access request {ref}.")
    return found


@access_app.command("list")
def access_list(
    status: Annotated[
        str | None, typer.Option(help="Only pending, approved or declined requests.")
    ] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: JsonOut = False,
) -> None:
    """List access requests, newest first."""
    settings = _settings(data_dir, database_url)
    found = _run(settings, lambda conn: access.list_requests(conn, status=status))
    if as_json:
        _print_json([_request_json(r) for r in found])
        return
    if not found:
        console.print("No access requests.")
    for r in found:
        console.print(
            f"{r.reference}  {r.status:9}  {r.email}  {r.company}  "
            f"{access.KINDS.get(r.kind, r.kind)}  {r.created_on:%Y-%m-%d %H:%M}",
            markup=False,
        )


@access_app.command("approve")
def access_approve(
    reference: Reference,
    seed: Annotated[
        bool, typer.Option("--seed/--no-seed", help="Seed the new tenant's demo company.")
    ] = True,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: JsonOut = False,
) -> None:
    """Approve: an integration tenant with demo data and a portal account, mailed."""
    settings = _settings(data_dir, database_url)

    async def go() -> access.Approval:
        db = open_database(settings.resolved_database_url)
        try:
            await migrate(db)
            async with db.begin() as conn:
                found = await _find(conn, reference)
            if seed:
                console.print("Approving and seeding the demo company (a few seconds)...")
            return await onboarding.approve(
                db,
                load_manifest(),
                load_server_key(settings.data_dir),
                found.id,
                actor=audit.CLI,
                base_url=settings.base_url,
                seed=seed,
                smtp_url=settings.smtp_url,
            )
        finally:
            await db.close()

    try:
        approval = asyncio.run(go())
    except (access.AccessError, users.UserError) as exc:
        _fail(str(exc))
    if as_json:
        _print_json({**_request_json(approval.request), "userId": approval.user_id})
    else:
        console.print(
            f"Approved {approval.request.reference}: tenant {approval.tenant_id}, "
            f"user {approval.request.email}; the details were mailed.",
            markup=False,
        )


@access_app.command("decline")
def access_decline(
    reference: Reference,
    reason: Annotated[str, typer.Option(help="Told to the requester.")] = "",
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: JsonOut = False,
) -> None:
    """Decline an access request; the requester is mailed."""
    settings = _settings(data_dir, database_url)

    async def go(conn: Any) -> tuple[access.AccessRequest, Any]:
        found = await _find(conn, reference)
        return await onboarding.decline(conn, found.id, actor=audit.CLI, reason=reason)

    done, message = _run(settings, go)

    async def send() -> None:
        db = open_database(settings.resolved_database_url)
        try:
            await onboarding.deliver(db, settings.smtp_url, message)
        finally:
            await db.close()

    asyncio.run(send())
    if as_json:
        _print_json(_request_json(done))
    else:
        console.print(f"Declined {done.reference}.", markup=False)


@app.command("audit")
def audit_cmd(
    tenant: Annotated[int | None, typer.Option(help="Only entries about this tenant.")] = None,
    limit: Annotated[int, typer.Option(help="How many entries, newest first.")] = 50,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: JsonOut = False,
) -> None:
    """Show the audit log: who changed what, when, from where."""
    settings = _settings(data_dir, database_url)
    found = _run(
        settings,
        lambda conn: audit.list_entries(
            conn, tenant_ids=[tenant] if tenant is not None else None, limit=limit
        ),
    )
    if as_json:
        _print_json(
            [
                {
                    "at": e.at.isoformat(),
                    "actor": e.actor,
                    "address": e.address,
                    "action": e.action,
                    "tenantId": e.tenant_id,
                    "appId": e.app_id,
                    "detail": e.detail,
                }
                for e in found
            ]
        )
        return
    for e in found:
        console.print(
            f"{e.at:%Y-%m-%d %H:%M:%S}  {e.actor}  {e.address or '-'}  {e.action}  {e.detail}",
            markup=False,
        )
