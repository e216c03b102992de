"""Release Notes: the history by release, a permalink per release, Atom feeds, subscriptions.

``/release-notes`` (``?module=`` filters), ``/release-notes/<release id>``,
``/release-notes/feed.atom`` and ``/release-notes/<module>/feed.atom``; the subscribe form
posts to ``/release-notes/subscribe``; mailed links land on ``/release-notes/confirm`` and
``/release-notes/unsubscribe``. ``/outbox`` shows the mail kept while no SMTP server is set,
to a browser on this machine only (the mails hold confirmation links).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from localtitan.platform import mail, subscriptions
from localtitan.portal import home, search
from localtitan.portal.site import error_page
from localtitan.portal.templating import environment, render
from localtitan.spec import Manifest
from localtitan.spec.history import CHANGES, Release, ReleaseItem, load_history

__all__ = ["ModuleGroup", "base_url", "routes"]

_MAX_FORM_BYTES = 4096


@dataclass(frozen=True, slots=True)
class ModuleGroup:
    key: str | None
    name: str
    items: tuple[tuple[ReleaseItem, str | None], ...]  # item, link into the reference

    @property
    def counts(self) -> list[tuple[str, int]]:
        found = [(c, sum(1 for i, _ in self.items if i.change == c)) for c in CHANGES]
        return [(c, n) for c, n in found if n]


def base_url(request: Request) -> str:
    public = request.app.state.runtime.settings.public_url
    return str(public or f"{request.url.scheme}://{request.url.netloc}").rstrip("/")


def _groups(release: Release, manifest: Manifest, module: str | None) -> list[ModuleGroup]:
    current = {(op.module, op.operation_id) for op in manifest.operations}
    by_module: dict[str | None, list[tuple[ReleaseItem, str | None]]] = {}
    for item in release.for_module(module):
        link = None
        if item.operation_id and (item.module, item.operation_id) in current:
            link = f"/apis/{item.module}#operation/{item.operation_id}"
        by_module.setdefault(item.module, []).append((item, link))

    def name(key: str | None) -> str:
        if key is None:
            return "localtitan"
        found = manifest.modules.get(key)
        return found.name if found else key

    return sorted(
        (ModuleGroup(k, name(k), tuple(v)) for k, v in by_module.items()),
        key=lambda g: (g.key is not None, g.name.lower()),
    )


def _module_param(request: Request) -> tuple[str | None, bool]:
    """(module or None, whether the parameter was valid)."""
    raw = request.query_params.get("module", "").strip()
    if not raw:
        return None, True
    return (raw, True) if raw in request.app.state.runtime.manifest.modules else (None, False)


def _modules(manifest: Manifest) -> list[tuple[str, str]]:
    return sorted(((k, m.name) for k, m in manifest.modules.items()), key=lambda p: p[1].lower())


def _page(
    request: Request, releases: Sequence[Release], module: str | None, **more: Any
) -> Response:
    manifest: Manifest = request.app.state.runtime.manifest
    shown = [(r, _groups(r, manifest, module)) for r in releases]
    return render(
        request,
        "release_notes.html",
        {
            "title": "Release Notes",
            "releases": [(r, g) for r, g in shown if g],
            "module": module,
            "modules": _modules(manifest),
            **more,
        },
    )


async def release_notes(request: Request) -> Response:
    module, valid = _module_param(request)
    if not valid:
        return error_page(request, 404, "There is no API with this name; see /apis.")
    return _page(request, load_history(), module, permalink=False)


async def release_page(request: Request) -> Response:
    wanted = str(request.path_params["release"])
    found = [r for r in load_history() if r.id == wanted]
    if not found:
        return error_page(request, 404, "There is no release with this name; see /release-notes.")
    return _page(request, found, None, permalink=True)


def _feed(request: Request, module: str | None) -> Response:
    manifest: Manifest = request.app.state.runtime.manifest
    base = base_url(request)
    entries = []
    for release in load_history():
        groups = _groups(release, manifest, module)
        if groups:
            entries.append((release, groups))
    title = "localtitan release notes" + (f": {manifest.modules[module].name}" if module else "")
    self_path = f"/release-notes/{module}/feed.atom" if module else "/release-notes/feed.atom"
    body = environment.get_template("release_notes.atom").render(
        base=base,
        title=title,
        self_url=base + self_path,
        page_url=base + "/release-notes" + (f"?module={module}" if module else ""),
        updated=entries[0][0].date if entries else "2022-01-01",
        entries=entries,
    )
    return Response(body, media_type="application/atom+xml")


async def feed(request: Request) -> Response:
    return _feed(request, None)


async def module_feed(request: Request) -> Response:
    module = str(request.path_params["module"])
    if module not in request.app.state.runtime.manifest.modules:
        return error_page(request, 404, "There is no API with this name; see /apis.")
    return _feed(request, module)


def _message(request: Request, title: str, message: str, status: int = 200) -> Response:
    return render(
        request,
        "release_message.html",
        {"title": title, "message": message, "form": None},
        status_code=status,
    )


async def subscribe(request: Request) -> Response:
    if int(request.headers.get("content-length") or 0) > _MAX_FORM_BYTES:
        return _message(request, "Subscribe", "The form is too large.", 413)
    form = await request.form(max_files=0, max_fields=10)
    email = subscriptions.normalize_email(str(form.get("email") or ""))
    module = str(form.get("module") or "").strip() or None
    runtime = request.app.state.runtime
    if module is not None and module not in runtime.manifest.modules:
        module = None
    if email is None:
        return _message(
            request,
            "Subscribe",
            "That is not an email address. Go back and enter one like name@example.com.",
            400,
        )
    wait = await subscriptions.subscribe(
        runtime.db,
        runtime.limiter,
        runtime.server_key,
        runtime.settings.smtp_url,
        base_url(request),
        email=email,
        module=module,
        client=request.client.host if request.client else "unknown",
    )
    if wait is not None:
        return _message(
            request,
            "Subscribe",
            f"Too many subscriptions from this address in the last hour. Try again in {wait}"
            " seconds.",
            429,
        )
    where = (
        " This server has no SMTP server configured: the mail is in its outbox, at /outbox."
        if not runtime.settings.smtp_url
        else ""
    )
    return _message(
        request,
        "Check your inbox",
        "If this address can receive the release notes, a mail with a confirmation link is on "
        "its way to it. Follow the link within 48 hours to start the subscription." + where,
    )


async def _token_action(request: Request, action: str) -> Response:
    runtime = request.app.state.runtime
    if request.method == "GET":
        # A link only shows a button: mail scanners that open links must not act on them.
        token = request.query_params.get("token", "")[:600]
        label = "Confirm my subscription" if action == "confirm" else "Unsubscribe"
        return render(
            request,
            "release_message.html",
            {
                "title": label,
                "message": "Press the button to " + label.lower() + ".",
                "form": {"action": f"/release-notes/{action}", "token": token, "label": label},
            },
        )
    form = await request.form(max_files=0, max_fields=5)
    token = str(form.get("token") or "")
    if action == "confirm":
        done = await subscriptions.confirm(runtime.db, runtime.server_key, token)
        text = "Your subscription is confirmed: you will get a mail for each new release."
    else:
        done = await subscriptions.unsubscribe(runtime.db, runtime.server_key, token)
        text = "You are unsubscribed: no more release notes will be mailed to you."
    if not done:
        return _message(
            request,
            "Link not valid",
            "This link is not valid or has expired. Subscribe again from /release-notes.",
            400,
        )
    return _message(request, "Done", text)


async def confirm(request: Request) -> Response:
    return await _token_action(request, "confirm")


async def unsubscribe(request: Request) -> Response:
    return await _token_action(request, "unsubscribe")


def _is_local(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def outbox_page(request: Request) -> Response:
    if not _is_local(request):
        return error_page(request, 404)
    runtime = request.app.state.runtime
    mails = await mail.outbox(runtime.db, limit=100)
    return render(
        request,
        "outbox.html",
        {"title": "Outbox", "mails": mails, "smtp": bool(runtime.settings.smtp_url)},
        headers={"Cache-Control": "no-store"},
    )


def _search_documents() -> list[search.Document]:
    docs = []
    for release in load_history():
        for item in release.items:
            if item.operation_id:
                docs.append(
                    search.Document(
                        kind="release-notes",
                        title=f"{item.change}: {item.operation_id} ({release.label})",
                        url=f"/release-notes/{release.id}#{item.anchor}",
                        text=" ".join(item.details),
                        keys=tuple(k for k in (item.operation_id, item.path, item.scope) if k),
                        where=f"{item.method} {item.path}",
                        show_snippet=bool(item.details),
                    )
                )
            else:
                docs.append(
                    search.Document(
                        kind="release-notes",
                        title=f"{item.change}: {release.label}",
                        url=f"/release-notes/{release.id}",
                        text=item.text or "",
                    )
                )
    return docs


def _news(limit: int) -> list[home.NewsItem]:
    return [
        home.NewsItem(
            title=r.label,
            date=r.date,
            href=f"/release-notes/{r.id}",
            summary=r.summary
            or ", ".join(
                f"{n} {c.lower()}"
                for c in CHANGES
                if (n := sum(1 for i in r.items if i.change == c))
            ),
        )
        for r in load_history()[:limit]
    ]


search.register_source("release-notes", "Release notes", _search_documents)
home.register_news(_news)

routes: list[BaseRoute] = [
    Route("/release-notes", release_notes),
    Route("/release-notes/feed.atom", feed),
    Route("/release-notes/subscribe", subscribe, methods=["POST"]),
    Route("/release-notes/confirm", confirm, methods=["GET", "POST"]),
    Route("/release-notes/unsubscribe", unsubscribe, methods=["GET", "POST"]),
    Route("/release-notes/{module}/feed.atom", module_feed),
    Route("/release-notes/{release}", release_page),
    Route("/outbox", outbox_page),
]
