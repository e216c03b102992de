"""The ASGI application: the portal at ``/`` and both environments' auth and API.

Environments are reached by path prefix (``/auth-integration``, ``/api-integration``,
``/auth``, ``/api``) or, without a prefix, through the real host names.
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from localtitan.api import handle_api
from localtitan.auth import token_endpoint
from localtitan.demo import schedule
from localtitan.domain.attachments import download_headers, read_file_token
from localtitan.errors import ApiError, error_body
from localtitan.platform.environments import API_HOSTS, AUTH_HOSTS, Environment
from localtitan.portal import create_portal
from localtitan.requestlog.hook import logged
from localtitan.runtime import Runtime
from localtitan.settings import Settings
from localtitan.slow_clients import TimedBody
from localtitan.store.blobs import read_blob

__all__ = ["LocalTitan", "create_app"]

# (prefix, prefix + "/", area, environment): the slashed form made once, not per request.
_PREFIXES: tuple[tuple[str, str, str, Environment], ...] = tuple(
    (prefix, prefix + "/", area, env)
    for prefix, area, env in (
        ("/auth-integration", "auth", Environment.INTEGRATION),
        ("/api-integration", "api", Environment.INTEGRATION),
        ("/auth", "auth", Environment.PRODUCTION),
        ("/api", "api", Environment.PRODUCTION),
    )
)

# The token endpoint works on the ASGI messages itself (_auth); these take a Request.
_TOKEN_ROUTE = "/connect/token"  # noqa: S105 - a path, not a secret
_AUTH_ROUTES = {
    "/.well-known/jwks": token_endpoint.jwks,
    "/.well-known/openid-configuration/jwks": token_endpoint.jwks,
    "/.well-known/openid-configuration": token_endpoint.discovery,
}


class LocalTitan:
    """One process's application; ``runtime`` is started by the ASGI lifespan."""

    # Set by the server's entry point (asgi.py); not for apps that tests start and drop.
    freeze_at_startup = False

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._started = False
        self._scheduler: asyncio.Task[None] | None = None
        self._body_timeout = runtime.settings.body_timeout
        trusted = list(runtime.settings.trusted_proxies)
        # Forwarded headers are believed only from the proxies the settings name.
        self._entry: Any = (
            ProxyHeadersMiddleware(self._http, trusted_hosts=trusted) if trusted else self._http
        )
        # Every path that is not an environment's, /healthz or /files/ (see docs/portal.md).
        self.portal = create_portal(runtime)

    async def startup(self) -> None:
        if not self._started:
            await self.runtime.start()
            # Per-tenant schedules (refresh integration from production every N hours).
            self._scheduler = schedule.start_scheduler(self.runtime.db)
            await self.runtime.request_log.start()
            self._started = True
            if self.freeze_at_startup:
                # What startup built (the OpenAPI documents, routes, schemas: most of the
                # heap) lives as long as the process; frozen, a full garbage collection walks
                # only what requests made since, not all of it (about 0.1 s a time, which
                # the request log's queued batches otherwise bring on every few seconds).
                gc.collect()
                gc.freeze()

    async def shutdown(self) -> None:
        if self._started:
            await schedule.stop_scheduler(self._scheduler)
            self._scheduler = None
            await self.runtime.request_log.stop()  # flushes what is still queued
            await self.runtime.close()
            self._started = False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
            return
        if kind != "http":
            return
        await self._entry(scope, TimedBody(receive, self._body_timeout), send)

    async def _http(self, scope: Any, receive: Any, send: Any) -> None:
        path: str = scope["path"]
        by_host = _host_route(scope)
        if by_host is not None:
            area, env = by_host
            prefix, rest = "", path
        else:
            for route in _PREFIXES:
                if path.startswith(route[1]) or path == route[0]:
                    prefix, _, area, env = route
                    rest = path[len(prefix) :] or "/"
                    break
            else:
                await self._portal(scope, receive, send, path)
                return
        request_log = self.runtime.request_log
        if request_log.active:
            await logged(request_log, scope, receive, send, area, env, prefix, rest, self._serve)
        elif area == "api":
            await handle_api(scope, receive, send, self.runtime, env, rest)  # one frame less
        else:
            await self._auth(scope, receive, send, env, prefix, rest)

    async def _serve(
        self,
        scope: Any,
        receive: Any,
        send: Any,
        area: str,
        env: Environment,
        prefix: str,
        rest: str,
    ) -> None:
        if area == "api":
            await handle_api(scope, receive, send, self.runtime, env, rest)
        else:
            await self._auth(scope, receive, send, env, prefix, rest)

    async def _auth(
        self, scope: Any, receive: Any, send: Any, env: Environment, prefix: str, rest: str
    ) -> None:
        route = rest.rstrip("/") or "/"
        if route == _TOKEN_ROUTE:
            if self.runtime.latency.active:
                await self.runtime.latency.pause("token")
            try:
                await token_endpoint.token(scope, receive, send, self.runtime, env, prefix)
            except ApiError as err:  # the body was too slow to arrive (BodyTimeout)
                await Response(err.body(), err.status, err.headers, media_type="application/json")(
                    scope, receive, send
                )
            return
        endpoint = _AUTH_ROUTES.get(route)
        request = Request(scope, receive)
        if endpoint is None:
            response: Response = Response(
                error_body(404, "There is no authorization endpoint at this path."),
                status_code=404,
                media_type="application/json",
            )
        else:
            try:
                response = await endpoint(request, self.runtime, env, prefix)
            except ApiError as err:  # the body was too slow to arrive (BodyTimeout)
                response = Response(
                    err.body(), err.status, err.headers, media_type="application/json"
                )
        await response(scope, receive, send)

    async def _portal(self, scope: Any, receive: Any, send: Any, path: str) -> None:
        response: Response
        if path == "/healthz":
            response = JSONResponse({"status": "ok"})
        elif path.startswith("/files/"):
            response = await self._file(path[len("/files/") :])
        else:
            await self.portal(scope, receive, send)
            return
        await response(scope, receive, send)

    async def _file(self, token: str) -> Response:
        """The bytes behind a signed download URL (see ``localtitan.domain.attachments``)."""
        found = read_file_token(self.runtime.server_key, token)
        blob = None
        if found is not None:
            env, tenant_id, blob_id = found
            blob = await read_blob(self.runtime.db.reads, env, tenant_id, blob_id)
        if blob is None:
            return Response(
                error_body(404, "This download link is unknown or has expired."),
                status_code=404,
                media_type="application/json",
            )
        return Response(
            blob.data, media_type=blob.content_type, headers=download_headers(blob.file_name)
        )

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    raise
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return


# What a Host header's bytes route to: an environment's API or auth host, or None (routed by
# path). Clients send the same few values, so each is worked out once; bounded, because any
# client can send any value.
_HOST_ROUTES: dict[bytes, tuple[str, Environment] | None] = {}
_HOST_ROUTES_MAX = 256


def _host_route(scope: dict[str, Any]) -> tuple[str, Environment] | None:
    for key, value in scope["headers"]:
        if key == b"host":
            try:
                return _HOST_ROUTES[value]
            except KeyError:
                pass
            host = value.decode("latin-1").split(":")[0].lower()
            route: tuple[str, Environment] | None = None
            if host in API_HOSTS:
                route = ("api", API_HOSTS[host])
            elif host in AUTH_HOSTS:
                route = ("auth", AUTH_HOSTS[host])
            if len(_HOST_ROUTES) >= _HOST_ROUTES_MAX:
                _HOST_ROUTES.clear()
            _HOST_ROUTES[bytes(value)] = route
            return route
    return None


def create_app(settings: Settings | None = None) -> LocalTitan:
    return LocalTitan(Runtime(settings or Settings.from_env()))
