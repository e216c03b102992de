"""``ca path|bundle|rotate``, ``run`` and the HTTPS port and proxy of ``serve``."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Annotated

import typer

from localtitan.cli._common import DatabaseUrl, DataDir, _fail, _settings, app, console, err_console
from localtitan.hosts.ca import LocalCA, ensure_ca, rotate_ca, server_ssl_context, write_bundle
from localtitan.hosts.names import served_list
from localtitan.hosts.run import (
    BackgroundProxy,
    RunError,
    child_environment,
    export_lines,
    run_command,
)
from localtitan.hosts.servers import HostsServer, bind, is_loopback, read_proxy_state
from localtitan.settings import Settings

__all__ = ["ca_app", "run", "serve_hosts"]

DEFAULT_PROXY_PORT = 8899

ca_app = typer.Typer(
    help="The local certificate authority clients trust for ServiceTitan's host names.",
    no_args_is_help=True,
)
app.add_typer(ca_app, name="ca")


def _ca(settings: Settings) -> LocalCA:
    try:
        return ensure_ca(settings.data_dir)
    except OSError as exc:
        _fail(f"Cannot make the local CA in {settings.data_dir}: {exc}")


@ca_app.command("path")
def ca_path(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Print the CA certificate's path (made on first use)."""
    ca = _ca(_settings(data_dir, database_url))
    typer.echo(str(ca.cert_path.resolve()))


@ca_app.command("bundle")
def ca_bundle(
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Where to write it [default: <data-dir>/ca/bundle.pem]."
        ),
    ] = None,
) -> None:
    """Write the system's CAs plus localtitan's into one file and print its path.

    For clients that replace their trust store rather than add to it (SSL_CERT_FILE,
    REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE).
    """
    ca = _ca(_settings(data_dir, database_url))
    try:
        path = write_bundle(ca, output)
    except OSError as exc:
        _fail(f"Cannot write the bundle: {exc}")
    typer.echo(str(path.resolve()))


@ca_app.command("rotate")
def ca_rotate(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Replace the CA and the server certificate with new ones.

    Clients that trusted the old CA must trust the new one; a running server keeps the old
    certificate until it restarts.
    """
    settings = _settings(data_dir, database_url)
    try:
        ca = rotate_ca(settings.data_dir)
    except OSError as exc:
        _fail(f"Cannot rotate the local CA in {settings.data_dir}: {exc}")
    typer.echo(str(ca.cert_path.resolve()))
    err_console.print(
        f"New CA (SHA-256 {ca.fingerprint()}).\n"
        "Restart 'localtitan serve' so it presents the new certificate, and trust the new CA "
        "wherever the old one was installed; 'localtitan run' uses it by itself.",
        soft_wrap=True,
    )


# ---------------------------------------------------------------- serve --https-port/--proxy-port


def _warn_exposed(what: str, host: str, port: int) -> None:
    err_console.print(
        f"\n[bold red]WARNING: the {what} listens on {host}:{port}, not on 127.0.0.1.[/bold red]\n"
        f"[red]Other machines that can reach this address can use it. Bind it to 127.0.0.1 "
        "unless you mean to share it.[/red]\n",
        soft_wrap=True,
    )


def serve_hosts(
    settings: Settings, https_port: int | None, proxy_port: int | None, proxy_host: str
) -> None:
    """``serve`` with an HTTPS port and/or the proxy: one process, one application."""
    import uvicorn

    if settings.workers > 1:
        _fail("--https-port and --proxy-port serve from one process: use --workers 1.")
    for name, value in (("--https-port", https_port), ("--proxy-port", proxy_port)):
        if value is not None and not 0 < value < 65536:
            _fail(f"{name} must be between 1 and 65535, not {value}.")
    ca = _ca(settings)
    sockets = {}
    wanted = {"plain port": (settings.host, settings.port)}
    if https_port is not None:
        wanted["HTTPS port"] = (settings.host, https_port)
    if proxy_port is not None:
        wanted["proxy"] = (proxy_host, proxy_port)
    for what, (host, port) in wanted.items():
        try:
            sockets[what] = bind(host, port)
        except OSError as exc:
            for sock in sockets.values():
                sock.close()
            _fail(f"Cannot listen on {host}:{port} for the {what}: {exc.strerror or exc}")
    # The same limits as serve's plain uvicorn.run (see cli/server.py).
    config = uvicorn.Config(
        "localtitan.asgi:application",
        log_level="warning",
        lifespan="on",
        workers=1,
        http="localtitan.slow_clients:HeaderTimeoutProtocol",
        limit_concurrency=settings.max_connections,
        proxy_headers=False,
    )
    server = HostsServer(
        config,
        tls=server_ssl_context(ca),
        https_sock=sockets.get("HTTPS port"),
        proxy_sock=sockets.get("proxy"),
        data_dir=settings.data_dir,
    )
    shown = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host  # noqa: S104
    console.print(f"\nThe real host names ({served_list()}):", soft_wrap=True)
    if https_port is not None:
        console.print(
            f"  HTTPS  https://{shown}:{https_port} (the real host names as Host, or the prefixes)",
            soft_wrap=True,
        )
    if proxy_port is not None:
        console.print(
            f"  proxy  http://{proxy_host}:{proxy_port}  (use: localtitan run -- COMMAND)",
            soft_wrap=True,
        )
        if not is_loopback(proxy_host):
            _warn_exposed("proxy", proxy_host, proxy_port)
    console.print(f"  CA certificate {ca.cert_path.resolve()}", soft_wrap=True)
    server.run(sockets=[sockets["plain port"]])


# ---------------------------------------------------------------- run


@app.command(
    context_settings={"allow_interspersed_args": False},
    epilog="Example: localtitan run -- node client.js",
)
def run(
    command: Annotated[
        list[str] | None, typer.Argument(help="The program and its arguments, after --.")
    ] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    print_env: Annotated[
        bool,
        typer.Option(
            "--print-env", help="Print the export lines for a shell instead of running anything."
        ),
    ] = False,
    proxy_port: Annotated[
        int,
        typer.Option(
            "--proxy-port", help="With --print-env: the port 'serve --proxy-port' listens on."
        ),
    ] = DEFAULT_PROXY_PORT,
) -> None:
    """Run a program with its ServiceTitan traffic sent to localtitan, unchanged.

    Uses the proxy of a running 'localtitan serve --proxy-port' for the same data dir,
    or starts one for as long as the program runs.
    """
    settings = _settings(data_dir, database_url)
    ca = _ca(settings)
    try:
        bundle = write_bundle(ca).resolve()
    except OSError as exc:
        _fail(f"Cannot write the CA bundle: {exc}")
    running = read_proxy_state(settings.data_dir)
    if print_env:
        if command:
            _fail("--print-env prints the variables and runs nothing: drop the command.")
        url = running.url if running else f"http://127.0.0.1:{proxy_port}"
        if running is None:
            err_console.print(
                f"# No proxy is running for {settings.data_dir}; start one with:\n"
                f"#   localtitan serve --proxy-port {proxy_port}",
                soft_wrap=True,
            )
        typer.echo(export_lines(child_environment(url, bundle)), nl=False)
        return
    if not command:
        _fail("Name a program to run, as in: localtitan run -- node client.js")
    assert command is not None
    if "/" not in command[0] and shutil.which(command[0]) is None:
        _fail(f"Cannot run {command[0]!r}: no such program on PATH.", 127)
    try:
        if running is not None:
            raise typer.Exit(run_command(command, child_environment(running.url, bundle)))
        from localtitan.app import create_app
        from localtitan.cli.server import _prepare

        err_console.print(
            f"[dim]No 'localtitan serve --proxy-port' for {settings.data_dir}: "
            "starting localtitan for this command...[/dim]",
            soft_wrap=True,
        )
        _prepare(settings, True)
        # The program owns this terminal: access-log lines would mix into its output (the
        # request log still records every call; 'localtitan logs tail' shows them).
        quiet = dataclasses.replace(settings, access_log="off")
        with BackgroundProxy(ca, create_app(quiet)) as proxy:
            code = run_command(command, child_environment(proxy.url, bundle))
        raise typer.Exit(code)
    except RunError as exc:
        _fail(str(exc), exc.code)
