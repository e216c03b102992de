"""Reading portal forms with limits, and the answers every form shares."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse

__all__ = ["MAX_FORM_BYTES", "read_form", "safe_next", "see_other", "text"]

# The biggest honest form is an app with 200 tenants and a 4,000-character note on each.
MAX_FORM_BYTES = 1_200_000
MAX_FIELDS = 1_000


async def read_form(request: Request) -> FormData:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise HTTPException(413, "This form is larger than the portal accepts.")
    kind = request.headers.get("content-type", "")
    if not kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        raise HTTPException(415, "Send this form from its page.")
    return await request.form(max_files=0, max_fields=MAX_FIELDS, max_part_size=MAX_FORM_BYTES)


def text(form: FormData, name: str, limit: int = 10_000) -> str:
    """A text field (empty when missing); cut at ``limit`` so nothing unbounded is kept."""
    value = form.get(name, "")
    return value[:limit] if isinstance(value, str) else ""


def safe_next(value: str | None, default: str) -> str:
    """Only a path on this site: never another host (an open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value[:500]


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
