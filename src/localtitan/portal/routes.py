"""The portal's route table: every portal area exports a ``routes`` list and is listed here.

To add an area, write ``localtitan/portal/<area>.py`` with ``routes: list[BaseRoute]`` and add
it to the import and to ``AREAS`` below (one line each). Paths must not collide; the order of
``AREAS`` is the order Starlette tries them, so put catch-alls (none today) last. See
docs/portal.md.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from localtitan.portal import (
    accounts,
    docs,
    home,
    reference,
    releases,
    request_logs,
    search,
    static,
)

AREAS = (
    static,
    home,
    docs,
    search,
    accounts,
    reference,
    releases,
    request_logs,
)

routes: list[BaseRoute] = [route for area in AREAS for route in area.routes]

__all__ = ["AREAS", "routes"]
