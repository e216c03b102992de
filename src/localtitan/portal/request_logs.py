"""The request log and the usage report in the portal (issue 9, items 5 and 6).

A developer sees them per app (``/my-apps/{app}/logs``, ``/my-apps/{app}/usage``), a tenant
admin per tenant in the environment they signed in to (``/tenant/{tenant}/logs``, ...). Who may
see what follows My Apps and API Application Access: another organization's app, or a tenant
the user does not administer, answers 404, and so does a request of theirs opened by id.
Filters come from the query string, so every view is a link that can be shared or bookmarked.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from localtitan.platform import apps
from localtitan.portal import session
from localtitan.portal.forms import see_other
from localtitan.portal.signin import require_account
from localtitan.portal.site import error_page
from localtitan.requestlog.chart import usage_svg
from localtitan.requestlog.queries import LogFilter, get_entry, list_entries, parse_status
from localtitan.requestlog.usage import RANGES, UsageReport, usage_csv, usage_report

__all__ = ["routes"]

PAGE = 50
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
STATUSES = ("2xx", "3xx", "4xx", "5xx", "429")
ENVIRONMENTS = ("integration", "production")


def when(time_ms: int) -> str:
    moment = datetime.fromtimestamp(time_ms / 1000, UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{time_ms % 1000:03d}"


@dataclass(frozen=True)
class Seen:
    """Whose log a page shows: one app (all its tenants), or one tenant in one environment."""

    title: str
    base: str
    app_id: int | None = None
    tenant_id: int | None = None
    environment: str | None = None
    back: str = "/my-apps"


async def _seen(request: Request) -> Seen | Response:
    account = await require_account(request)
    if isinstance(account, Response):
        return account
    if "app_id" in request.path_params:
        return await _app_seen(request, account)
    tenant_id = request.path_params["tenant"]
    if tenant_id not in account.admin_tenants:
        return error_page(request, 404, "There is no such tenant among the ones you manage.")
    env = account.environment.value
    return Seen(
        f"Tenant {tenant_id} ({env})",
        f"/tenant/{tenant_id}",
        tenant_id=tenant_id,
        environment=env,
        back=f"/tenant/{tenant_id}/api-application-access",
    )


async def _app_seen(request: Request, account: session.Account) -> Seen | Response:
    if account.developer_tenants and account.user.terms_accepted_on is None:
        return see_other(f"/terms?next={request.url.path}")
    raw = request.path_params["app_id"]
    found = None
    if 0 < raw < 2**63:
        async with request.app.state.runtime.db.read() as conn:
            found = await apps.get_app(conn, raw)
    if found is None or found.deleted or found.owner_tenant_id not in account.developer_tenants:
        return error_page(request, 404, "There is no such app among yours.")
    return Seen(found.name, f"/my-apps/{found.id}", app_id=found.id, back=f"/my-apps/{found.id}")


def _choice(request: Request, name: str, allowed: tuple[str, ...]) -> tuple[str, str | None]:
    value = request.query_params.get(name, "")[:40]
    if value and value not in allowed:
        return "", f"Choose {name} from the list ({', '.join(allowed)}), not “{value}”."
    return value, None


async def logs(request: Request) -> Response:
    seen = await _seen(request)
    if isinstance(seen, Response):
        return seen
    problems: list[str] = []
    status, problem = _choice(request, "status", STATUSES)
    problems += [problem] if problem else []
    method, problem = _choice(request, "method", METHODS)
    problems += [problem] if problem else []
    range_key, problem = _choice(request, "range", tuple(RANGES))
    problems += [problem] if problem else []
    environment, problem = _choice(request, "environment", ENVIRONMENTS)
    problems += [problem] if problem else []
    operation = request.query_params.get("operation", "").strip()[:200]
    before_raw = request.query_params.get("before", "")
    before = int(before_raw) if before_raw.isdigit() and len(before_raw) < 19 else None
    if before_raw and before is None:
        problems.append("The page link is not valid; showing the newest requests.")
    now = int(time.time() * 1000)
    f = LogFilter(
        app_id=seen.app_id,
        tenant_id=seen.tenant_id,
        environment=seen.environment or environment or None,
        status=parse_status(status) if status else None,
        method=method or None,
        operation_id=operation or None,
        since_ms=RANGES[range_key].start(now) if range_key else None,
        before_id=before,
        limit=PAGE + 1,
    )
    async with request.app.state.runtime.db.read() as conn:
        entries = await list_entries(conn, f)
    more = len(entries) > PAGE
    entries = entries[:PAGE]
    filters = {
        "status": status,
        "method": method,
        "range": range_key,
        "environment": environment,
        "operation": operation,
    }
    account = await session.current_account(request)
    return session.page(
        request,
        "requestlog/logs.html",
        {
            "title": f"Request log · {seen.title}",
            "seen": seen,
            "entries": entries,
            "filters": filters,
            "older": more,
            "older_query": urlencode(
                {**{k: v for k, v in filters.items() if v}, "before": entries[-1].id}
            )
            if more
            else "",
            "when": when,
            "problems": problems,
            "statuses": STATUSES,
            "methods": METHODS,
            "ranges": RANGES,
            "env_choices": ENVIRONMENTS,
        },
        account=account,
        status_code=400 if problems else 200,
    )


async def entry(request: Request) -> Response:
    seen = await _seen(request)
    if isinstance(seen, Response):
        return seen
    entry_id = request.path_params["entry_id"]
    found = None
    if 0 < entry_id < 2**63:
        async with request.app.state.runtime.db.read() as conn:
            found = await get_entry(
                conn,
                entry_id,
                app_id=seen.app_id,
                tenant_id=seen.tenant_id,
                environment=seen.environment,
            )
    if found is None:
        return error_page(request, 404, "There is no such request in this log.")
    account = await session.current_account(request)
    return session.page(
        request,
        "requestlog/entry.html",
        {"title": f"Request {found.id} · {seen.title}", "seen": seen, "e": found, "when": when},
        account=account,
    )


async def _report(request: Request, seen: Seen) -> UsageReport | None:
    range_key = request.query_params.get("range", "7d")
    if range_key not in RANGES:
        return None
    async with request.app.state.runtime.db.read() as conn:
        return await usage_report(
            conn,
            range_key,
            int(time.time() * 1000),
            app_id=seen.app_id,
            tenant_id=seen.tenant_id,
            environment=seen.environment,
        )


def _bad_range(request: Request) -> Response:
    return error_page(
        request,
        400,
        "Choose a time range from the list: " + ", ".join(r.label for r in RANGES.values()),
    )


async def usage(request: Request) -> Response:
    seen = await _seen(request)
    if isinstance(seen, Response):
        return seen
    report = await _report(request, seen)
    if report is None:
        return _bad_range(request)
    account = await session.current_account(request)
    return session.page(
        request,
        "requestlog/usage.html",
        {
            "title": f"API Usage Report · {seen.title}",
            "seen": seen,
            "report": report,
            "ranges": RANGES,
            "when": when,
        },
        account=account,
    )


async def usage_chart(request: Request) -> Response:
    seen = await _seen(request)
    if isinstance(seen, Response):
        return seen
    report = await _report(request, seen)
    if report is None:
        return _bad_range(request)
    return Response(
        usage_svg(report),
        media_type="image/svg+xml",
        headers={"Cache-Control": "no-store", "Content-Security-Policy": "default-src 'none'"},
    )


async def usage_download(request: Request) -> Response:
    seen = await _seen(request)
    if isinstance(seen, Response):
        return seen
    report = await _report(request, seen)
    if report is None:
        return _bad_range(request)
    name = f"usage-{seen.base.strip('/').replace('/', '-')}-{report.range.key}.csv"
    return Response(
        usage_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def _pages(base: str) -> list[Route]:
    return [
        Route(base + "/logs", logs, methods=["GET"]),
        Route(base + "/logs/{entry_id:int}", entry, methods=["GET"]),
        Route(base + "/usage", usage, methods=["GET"]),
        Route(base + "/usage.svg", usage_chart, methods=["GET"]),
        Route(base + "/usage.csv", usage_download, methods=["GET"]),
    ]


routes: list[BaseRoute] = [*_pages("/my-apps/{app_id:int}"), *_pages("/tenant/{tenant:int}")]
