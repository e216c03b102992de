"""The API Reference: the list of APIs, each API in Scalar or Swagger UI, and its document.

``/apis`` lists every module of the manifest; ``/apis/<module>`` renders that module's
OpenAPI document (``/apis/<module>/openapi.json``, generated for this server) with Scalar, and
``/apis/<module>/swagger`` with Swagger UI. The viewers' try-it calls this server's token URL
and API base, nothing else.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from localtitan.operations import implemented_operations
from localtitan.platform.environments import Environment
from localtitan.portal import viewers
from localtitan.portal.openapi import build_document, oauth_scheme
from localtitan.portal.site import CONTENT_SECURITY_POLICY, error_page
from localtitan.portal.templating import render
from localtitan.spec import Manifest, Operation

__all__ = ["VIEWER_CSP", "ApiSummary", "api_summaries", "implemented_of", "routes"]

# The viewer pages' own policy: the portal's, plus inline styles. Scalar and Swagger UI insert
# <style> elements and style attributes at run time (under style-src 'self' Scalar renders
# unstyled: checked in Chromium). Scripts stay 'self' only (the start-up settings travel as a
# JSON block, not as script; neither viewer needs 'unsafe-eval'), and connect-src 'self' keeps
# every try-it call on this server.
VIEWER_CSP = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self';", "style-src 'self' 'unsafe-inline';"
)
_DOCUMENT_CACHE_SIZE = 64
_json = msgspec.json.Encoder()


@dataclass(frozen=True, slots=True)
class ApiSummary:
    key: str
    name: str
    base: str
    operations: int
    implemented: int
    scopes: int


def implemented_of(runtime: Any) -> Mapping[str, str]:
    """operation id -> "behaviour" | "generic", computed once per manifest."""
    manifest: Manifest = runtime.manifest
    found = manifest.cache.get("portal.implemented")
    if found is None:
        found = implemented_operations(manifest.operations)
        manifest.cache["portal.implemented"] = found
    return found


def api_summaries(manifest: Manifest, implemented: Mapping[str, str]) -> list[ApiSummary]:
    """One row per module, by name."""
    out = []
    for key, mod in manifest.modules.items():
        ops = [op for op in manifest.operations if op.module == key]
        out.append(
            ApiSummary(
                key=key,
                name=mod.name,
                base=mod.base,
                operations=len(ops),
                implemented=sum(1 for op in ops if op.id in implemented),
                scopes=len({op.scope for op in ops}),
            )
        )
    return sorted(out, key=lambda a: a.name.lower())


def _base_url(request: Request) -> str:
    public = request.app.state.runtime.settings.public_url
    return str(public or f"{request.url.scheme}://{request.url.netloc}").rstrip("/")


def _document_bytes(request: Request, module: str) -> bytes:
    runtime = request.app.state.runtime
    manifest: Manifest = runtime.manifest
    cache: OrderedDict[tuple[str, str], bytes] = manifest.cache.setdefault(
        "portal.documents", OrderedDict()
    )
    key = (module, _base_url(request))
    body = cache.get(key)
    if body is None:
        document = build_document(manifest, module, key[1], implemented_of(runtime))
        body = _json.encode(document)
        # Bounded: the Host header is the client's to choose.
        cache[key] = body
        while len(cache) > _DOCUMENT_CACHE_SIZE:
            cache.popitem(last=False)
    return body


def _module(request: Request) -> str | None:
    module = str(request.path_params["module"])
    return module if module in request.app.state.runtime.manifest.modules else None


async def api_list(request: Request) -> Response:
    runtime = request.app.state.runtime
    implemented = implemented_of(runtime)
    apis = api_summaries(runtime.manifest, implemented)
    return render(
        request,
        "apis.html",
        {
            "title": "API Reference",
            "apis": apis,
            "total_operations": sum(a.operations for a in apis),
            "total_implemented": sum(a.implemented for a in apis),
        },
    )


async def openapi_document(request: Request) -> Response:
    module = _module(request)
    if module is None:
        return error_page(request, 404, "There is no API with this name; see /apis.")
    return Response(
        _document_bytes(request, module),
        media_type="application/json",
        headers={"Vary": "Host", "Access-Control-Allow-Origin": "*"},
    )


def _script_json(value: Any) -> Markup:
    """JSON safe inside a <script type="application/json"> block (no ``</script>`` way out)."""
    text = _json.encode(value).decode()
    safe = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(safe)  # noqa: S704 - every markup character is escaped above


def _viewer_anchor(viewer: str, op: Operation) -> str:
    tag = op.tag or op.module
    if viewer == "swagger":
        return f"/{tag}/{op.operation_id}"
    slug = re.sub(r"[^a-z0-9]+", "-", tag.lower()).strip("-")
    return f"tag/{slug}/{op.method}{op.path}"


def _viewer(request: Request, template: str, viewer: str) -> Response:
    module = _module(request)
    if module is None:
        return error_page(request, 404, "There is no API with this name; see /apis.")
    manifest: Manifest = request.app.state.runtime.manifest
    mod = manifest.modules[module]
    settings = {
        "documentUrl": f"/apis/{module}/openapi.json",
        # The portal links an operation as #operation/<operationId> (modules.reference_href);
        # the start script turns that into the viewer's own anchor.
        "anchors": {
            op.operation_id: _viewer_anchor(viewer, op)
            for op in manifest.operations
            if op.module == module
        },
        "preferredSecurityScheme": [oauth_scheme(Environment.INTEGRATION), "appKey"],
        "title": f"{mod.name} API",
    }
    return render(
        request,
        template,
        {
            "title": f"{mod.name} API",
            "module": module,
            "api": mod,
            "viewer": viewer,
            "viewer_settings": _script_json(settings),
            "scalar_url": viewers.SCALAR_URL,
            "swagger_js_url": viewers.SWAGGER_JS_URL,
            "swagger_css_url": viewers.SWAGGER_CSS_URL,
        },
        headers={"Content-Security-Policy": VIEWER_CSP},
    )


async def scalar_page(request: Request) -> Response:
    return _viewer(request, "api_scalar.html", "scalar")


async def swagger_page(request: Request) -> Response:
    return _viewer(request, "api_swagger.html", "swagger")


routes: list[BaseRoute] = [
    Route("/apis", api_list),
    Route("/apis/{module}", scalar_page),
    Route("/apis/{module}/swagger", swagger_page),
    Route("/apis/{module}/openapi.json", openapi_document),
    *viewers.routes,
]
