"""``serve``, ``quickstart`` and ``coverage``."""

from __future__ import annotations

import asyncio
import shlex
import shutil
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from localtitan.auth.keys import KeyRingError
from localtitan.cli._common import (
    DatabaseUrl,
    DataDir,
    JsonOut,
    _env,
    _fail,
    _print_json,
    _settings,
    app,
    console,
)
from localtitan.cli.releases import SmtpUrl, publish_new_releases
from localtitan.platform import quickstart
from localtitan.platform.environments import ENVIRONMENTS
from localtitan.settings import Settings
from localtitan.spec import load_manifest

__all__ = ["coverage", "quickstart_cmd", "serve"]


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
    report_limit: Annotated[
        int | None,
        typer.Option(
            "--report-limit",
            help="Runs of the same report per minute per tenant; 0 turns it off [default: 5].",
        ),
    ] = None,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            "--trusted-proxy",
            help="Address or network of a reverse proxy whose X-Forwarded-For is believed; "
            "repeat for several [default: none].",
        ),
    ] = None,
    header_timeout: Annotated[
        float | None,
        typer.Option(help="Seconds a client may take to send its headers [default: 10]."),
    ] = None,
    body_timeout: Annotated[
        float | None,
        typer.Option(help="Seconds a client may take to send a request body [default: 60]."),
    ] = None,
    max_connections: Annotated[
        int | None,
        typer.Option(
            help="Open connections per worker before new requests get 503 [default: 1000]."
        ),
    ] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo/--no-demo", help="Create the quickstart tenant and app on first start."
        ),
    ] = True,
    https_port: Annotated[
        int | None,
        typer.Option(
            "--https-port",
            help="Also serve HTTPS here, with a certificate for ServiceTitan's host names "
            "[default: off].",
        ),
    ] = None,
    proxy_port: Annotated[
        int | None,
        typer.Option(
            "--proxy-port",
            help="Also run the proxy for ServiceTitan's host names here (see 'localtitan run') "
            "[default: off].",
        ),
    ] = None,
    proxy_host: Annotated[
        str, typer.Option("--proxy-host", help="Address the proxy listens on.")
    ] = "127.0.0.1",
    smtp_url: SmtpUrl = None,
    log_format: Annotated[
        str | None,
        typer.Option(
            "--log-format", help="One access-log line per request: text or json [default: text]."
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print no access-log lines.")] = False,
    request_log: Annotated[
        bool | None,
        typer.Option(
            "--request-log/--no-request-log",
            help="Keep every token and API call in the database's request log [default: on]; "
            "bodies cut to LOCALTITAN_REQUEST_LOG_BODY_BYTES (2048), a successful response's to "
            "LOCALTITAN_REQUEST_LOG_SUCCESS_BODY_BYTES (256).",
        ),
    ] = None,
    auto_approve_access: Annotated[
        bool | None,
        typer.Option(
            "--auto-approve-access/--no-auto-approve-access",
            help="Approve Request Access at once [default: on with the embedded SQLite "
            "database, off with --database-url].",
            show_default=False,
        ),
    ] = None,
    latency: Annotated[
        str | None,
        typer.Option(
            "--latency",
            help="Delay responses as ServiceTitan's take: none, realistic (by operation kind) "
            "or a fixed number of milliseconds [default: none].",
        ),
    ] = None,
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
        report_limit=report_limit,
        trusted_proxies=trusted_proxy or None,
        header_timeout=header_timeout,
        body_timeout=body_timeout,
        max_connections=max_connections,
        smtp_url=smtp_url,
        access_log="off" if quiet else log_format,
        request_log=request_log,
        auto_approve_access=auto_approve_access,
        latency=latency,
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
        if data.get("portal"):
            console.print(
                f"Portal sign-in {data['portal']['url']}: "
                "'localtitan quickstart' prints the demo users' emails and passwords."
            )
        console.print("Try the two-step call:\n")
        # The secret is read when the example runs, never printed: a banner ends up in logs.
        secret = f'"$({_quickstart_command(settings)} --get client_secret)"'
        console.print(
            quickstart.curl_example(data, secret=secret),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        console.print()
    # Workers are separate processes that read their settings from the environment.
    env_vars = {
        "LOCALTITAN_DATA_DIR": str(settings.data_dir.resolve()),
        "LOCALTITAN_DATABASE_URL": settings.resolved_database_url,
        "LOCALTITAN_RATE_LIMIT": str(settings.rate_limit),
        "LOCALTITAN_REPORT_LIMIT": str(settings.report_limit),
        "LOCALTITAN_LIMITS_FILE": str(settings.resolved_limits_file.resolve()),
        "LOCALTITAN_TRUSTED_PROXIES": ",".join(settings.trusted_proxies),
        "LOCALTITAN_HEADER_TIMEOUT": str(settings.header_timeout),
        "LOCALTITAN_BODY_TIMEOUT": str(settings.body_timeout),
        "LOCALTITAN_ACCESS_LOG": settings.access_log,
        "LOCALTITAN_REQUEST_LOG": "on" if settings.request_log else "off",
        "LOCALTITAN_AUTO_APPROVE_ACCESS": str(settings.approves_access_at_once).lower(),
        "LOCALTITAN_LATENCY": settings.latency,
    }
    if settings.redis_url:
        env_vars["LOCALTITAN_REDIS_URL"] = settings.redis_url
    if settings.smtp_url:
        env_vars["LOCALTITAN_SMTP_URL"] = settings.smtp_url
    import os

    os.environ.update(env_vars)
    if https_port is not None or proxy_port is not None:
        from localtitan.cli.hosts import serve_hosts

        serve_hosts(settings, https_port, proxy_port, proxy_host)
        return
    uvicorn.run(
        "localtitan.asgi:application",
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level="warning",
        access_log=False,  # the request log prints its own line per request
        lifespan="on",
        # Headers must arrive in time (uvicorn bounds only idle keep-alive connections).
        http="localtitan.slow_clients:HeaderTimeoutProtocol",
        limit_concurrency=settings.max_connections,
        # uvicorn would believe X-Forwarded-For from 127.0.0.1, so any local client could
        # pose as any address; the app believes it only from --trusted-proxy addresses.
        proxy_headers=False,
    )


def _quickstart_command(settings: Settings) -> str:
    """How to run ``localtitan quickstart`` against this server's data dir, for copying."""
    program = "localtitan"
    launched = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if (
        launched is not None
        and launched.name == "localtitan"
        and launched.exists()
        and shutil.which("localtitan") != str(launched)
    ):
        program = str(launched.resolve())  # e.g. .venv/bin/localtitan, not on PATH
    command = [program, "quickstart"]
    if settings.data_dir.resolve() != Path(".localtitan").resolve():
        command += ["--data-dir", str(settings.data_dir)]
    return shlex.join(command)


def _prepare(settings: Settings, demo: bool) -> dict[str, Any] | None:
    """Migrate, make signing keys, and on first start the quickstart bundle (with demo data)."""

    async def go() -> dict[str, Any] | None:
        from localtitan.runtime import Runtime

        runtime = Runtime(settings)
        try:
            await runtime.start()
            # A release new to this database is mailed to the confirmed subscribers, once.
            for result in await publish_new_releases(settings):
                if result.sent or result.failed:
                    console.print(f"Release notes {result.release_id}: {result.sent} mail(s) sent")
            if not demo:
                return None
            async with runtime.db.begin() as conn:
                if await quickstart.quickstart_is_current(conn, settings.data_dir):
                    data = quickstart.read_quickstart(settings.data_dir)
                    assert data is not None
                    data = await quickstart.ensure_portal_users(
                        conn, settings.data_dir, data, settings.base_url
                    )
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
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: JsonOut = False,
    get: Annotated[
        str | None,
        typer.Option(
            "--get",
            help="Print one value for scripts: " + ", ".join(quickstart.FIELDS) + ".",
            show_default=False,
        ),
    ] = None,
    environment: Annotated[
        str, typer.Option(help="The environment --get reads (integration or production).")
    ] = "integration",
) -> None:
    """Print the demo tenant, app key and credentials made on first start."""
    settings = _settings(data_dir, database_url)
    data = quickstart.read_quickstart(settings.data_dir)
    if data is None:
        _fail(f"No quickstart yet in {settings.data_dir}: run 'localtitan serve' once first.")
    assert data is not None
    if get is not None:
        env = _env(environment)
        try:
            value = quickstart.field(data, get, env.value)
        except KeyError:
            _fail(f"Unknown field '{get}'. Choose one of: {', '.join(quickstart.FIELDS)}.")
        sys.stdout.write(f"{value}\n")
        return
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
    portal = data.get("portal")
    if portal:
        console.print(
            f"\n[bold]portal[/bold] {portal['url']}\n"
            f"  developer (My Apps):                     {portal['developer']['email']}  "
            f"password {portal['developer']['password']}\n"
            f"  tenant admin (API Application Access):   {portal['tenantAdmin']['email']}  "
            f"password {portal['tenantAdmin']['password']}",
            soft_wrap=True,
            markup=True,
            highlight=False,
        )
    console.print("\nTwo-step call:\n")
    console.print(quickstart.curl_example(data), markup=False, highlight=False, soft_wrap=True)


# ---------------------------------------------------------------- coverage


@app.command()
def coverage(
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: JsonOut = False,
    where: Annotated[
        str | None,
        typer.Option(
            "--where",
            metavar="OPERATION_ID",
            help="Show the handler of one operation (Jobs_Cancel or jpm.Jobs_Cancel): generic "
            "or behaviour, the collections it reads and writes, the filters it applies.",
            show_default=False,
        ),
    ] = None,
    as_markdown: Annotated[
        bool,
        typer.Option("--markdown", help="Print every operation's handler as docs/operations.md."),
    ] = False,
) -> None:
    """How many of the API's operations have behaviour, per module; where one is served."""
    from localtitan.operations import implemented_operations

    manifest = load_manifest()
    if where is not None or as_markdown:
        _where(where, as_markdown=as_markdown, as_json=as_json)
        return
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


def _where(name: str | None, *, as_markdown: bool, as_json: bool) -> None:
    from localtitan.cli import coverage as where

    manifest = load_manifest()
    if as_markdown:
        sys.stdout.write(where.markdown(manifest))
        return
    assert name is not None
    found = where.find_operations(manifest, name)
    if not found:
        _fail(f"No operation is named {name[:100]!r}{where.suggestion(manifest, name)}")
    described = [where.describe(manifest, op) for op in found]
    if as_json:
        _print_json([d.to_json() for d in described])
        return
    sys.stdout.write("\n\n".join(where.render(d) for d in described) + "\n")


# ---------------------------------------------------------------- tenants
