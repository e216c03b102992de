"""``localtitan release-notes``: list the packaged releases and mail one to the subscribers."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from localtitan.cli._common import DatabaseUrl, DataDir, _fail, _settings, app, console
from localtitan.platform import mail, subscriptions
from localtitan.platform.server_key import load_server_key
from localtitan.settings import Settings
from localtitan.spec.history import Release, load_history
from localtitan.store import migrate, open_database

__all__ = ["SmtpUrl", "publish_new_releases"]

releases_app = typer.Typer(
    help="The release notes: list them, mail a release to the subscribers.",
    no_args_is_help=True,
)
app.add_typer(releases_app, name="release-notes")

SmtpUrl = Annotated[
    str | None,
    typer.Option(
        "--smtp-url",
        help="smtp://host:port (or smtps://) to send through; without it mail goes to the "
        "outbox shown at /outbox.",
        show_default=False,
    ),
]


@releases_app.command("list")
def list_releases() -> None:
    """The releases in this version's history, newest first."""
    for release in load_history():
        console.print(
            f"{release.id:28} {release.date}  {len(release.items):4} items  {release.label}"
        )


async def _publish(
    settings: Settings, releases: list[Release]
) -> list[subscriptions.PublishResult]:
    db = open_database(settings.resolved_database_url)
    key = load_server_key(settings.data_dir)
    try:
        await migrate(db)
        results = []
        for release in releases:
            console.print(f"Mailing {release.label} to confirmed subscribers…")
            results.append(
                await subscriptions.publish(db, key, settings.smtp_url, settings.base_url, release)
            )
        return results
    finally:
        await db.close()


async def publish_new_releases(settings: Settings) -> list[subscriptions.PublishResult]:
    """Mail the releases this database has never published (the server does it on start)."""
    db = open_database(settings.resolved_database_url)
    try:
        return await subscriptions.publish_new(
            db,
            load_server_key(settings.data_dir),
            settings.smtp_url,
            settings.base_url,
            load_history(),
        )
    finally:
        await db.close()


@releases_app.command("publish")
def publish(
    release: Annotated[
        str | None,
        typer.Argument(help="The release id (see `release-notes list`); the newest by default."),
    ] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    smtp_url: SmtpUrl = None,
) -> None:
    """Mail a release to every confirmed subscriber that has not had it yet (never twice)."""
    settings = _settings(data_dir, database_url, smtp_url=smtp_url)
    history = load_history()
    chosen = [r for r in history if r.id == release] if release else list(history[:1])
    if not chosen:
        _fail(f"There is no release {release!r}; `localtitan release-notes list` shows them.")
    try:
        results = asyncio.run(_publish(settings, chosen))
    except mail.MailError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"Cannot reach the database: {exc}")
    where = "through SMTP" if settings.smtp_url else "into the outbox (see /outbox)"
    for result in results:
        console.print(
            f"{result.release_id}: {result.sent} mail(s) sent {where}"
            + (f", {result.failed} failed (tried again next time)" if result.failed else "")
        )
