"""Static files: the portal's own stylesheet and script, and htmx from its PyPI package.

htmx comes from ``django-js-lib-htmx`` (it ships ``js_lib_htmx/static/htmx/htmx.min.js`` and
needs no Django): served from where pip installed it, never copied into this repository.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

__all__ = ["HTMX_URL", "htmx_directory", "routes"]

HTMX_URL = "/static/htmx/htmx.min.js"


def htmx_directory() -> Path:
    return Path(str(resources.files("js_lib_htmx").joinpath("static", "htmx")))


def _own_directory() -> Path:
    return Path(str(resources.files("localtitan.portal").joinpath("static")))


routes: list[BaseRoute] = [
    Mount("/static/portal", StaticFiles(directory=_own_directory()), name="portal-static"),
    Mount("/static/htmx", StaticFiles(directory=htmx_directory()), name="htmx"),
]
