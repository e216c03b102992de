"""The portal's front page: where each environment lives and how to make the first call."""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse

from localtitan.platform.environments import ENVIRONMENTS, api_prefix, auth_prefix

__all__ = ["home"]


def home(request: Request, implemented: int, total: int) -> HTMLResponse:
    base = f"{request.url.scheme}://{request.url.netloc}"
    rows = "".join(
        f"<tr><td>{escape(env.value)}</td>"
        f"<td><code>{escape(base + auth_prefix(env))}/connect/token</code></td>"
        f"<td><code>{escape(base + api_prefix(env))}</code></td></tr>"
        for env in ENVIRONMENTS
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>localtitan</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}
td,th{{padding:.3rem .8rem;text-align:left}}code{{background:#f3f3f3;padding:.1rem .3rem}}</style>
</head><body>
<h1>localtitan</h1>
<p>A local ServiceTitan API platform. Trade a client id and secret for a token at an
environment's token URL, then call the API under that environment's base URL with the token
in <code>Authorization</code> and your app key in <code>ST-App-Key</code>.</p>
<table><tr><th>Environment</th><th>Token URL</th><th>API base</th></tr>{rows}</table>
<p>{implemented} of {total} API operations have behaviour; the others answer 501.</p>
<p>Your demo credentials: run <code>localtitan quickstart</code>.</p>
</body></html>"""
    return HTMLResponse(page)
