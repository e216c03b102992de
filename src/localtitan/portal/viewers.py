"""The OpenAPI viewers' files, served from the Python packages that ship them.

Scalar's ``scalar.standalone.js`` comes from ``star-openapi-scalar`` and Swagger UI's dist from
``swagger-ui-bundle-v2``; both are located through their installed distributions without
importing them (``star_openapi_scalar/__init__`` imports a web framework localtitan does not
use). Only the files the pages load are served, never the packages' demo pages. The two small
start-up scripts beside this module read their settings from a JSON block in the page, so the
pages need no inline script.
"""

from __future__ import annotations

import functools
from importlib import metadata
from importlib.resources import files
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

__all__ = [
    "SCALAR_URL",
    "SWAGGER_CSS_URL",
    "SWAGGER_JS_URL",
    "routes",
    "scalar_bundle",
    "swagger_directory",
]

SCALAR_URL = "/static/viewers/scalar.standalone.js"
SWAGGER_JS_URL = "/static/viewers/swagger-ui/swagger-ui-bundle.js"
SWAGGER_CSS_URL = "/static/viewers/swagger-ui/swagger-ui.css"

_SWAGGER_FILES = frozenset({"swagger-ui-bundle.js", "swagger-ui.css"})
_OWN_FILES = frozenset({"releases.css", "scalar-start.js", "swagger-start.js", "viewers.css"})
# Package files are immutable for one installed version: let the browser keep them a day.
_CACHE = {"Cache-Control": "public, max-age=86400"}


def _installed(distribution: str, relative: str) -> Path:
    located = Path(str(metadata.distribution(distribution).locate_file(relative)))
    if not located.exists():
        raise FileNotFoundError(f"{distribution} is installed without {relative}")
    return located


@functools.cache
def scalar_bundle() -> Path:
    """Where pip put Scalar's standalone bundle."""
    return _installed(
        "star-openapi-scalar", "star_openapi_scalar/templates/scalar/js/scalar.standalone.js"
    )


@functools.cache
def swagger_directory() -> Path:
    """Where pip put Swagger UI's dist folder (its name carries the version)."""
    root = _installed("swagger-ui-bundle-v2", "swagger_ui_bundle/vendor")
    found = sorted(p for p in root.iterdir() if p.name.startswith("swagger-ui-"))
    if not found:
        raise FileNotFoundError(f"no swagger-ui dist under {root}")
    return found[-1]


def _own(name: str) -> Path:
    return Path(str(files("localtitan.portal").joinpath("viewers", name)))


def _not_found() -> Response:
    return Response("Not found", status_code=404, media_type="text/plain")


async def _scalar(request: Request) -> Response:
    return FileResponse(scalar_bundle(), media_type="text/javascript", headers=_CACHE)


async def _swagger(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in _SWAGGER_FILES:
        return _not_found()
    kind = "text/css" if name.endswith(".css") else "text/javascript"
    return FileResponse(swagger_directory() / name, media_type=kind, headers=_CACHE)


async def _start(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in _OWN_FILES:
        return _not_found()
    kind = "text/css" if name.endswith(".css") else "text/javascript"
    return FileResponse(_own(name), media_type=kind)


routes: list[BaseRoute] = [
    Route(SCALAR_URL, _scalar),
    Route("/static/viewers/swagger-ui/{name}", _swagger),
    Route("/static/viewers/{name}", _start),
]
