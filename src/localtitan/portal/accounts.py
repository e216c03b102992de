"""The accounts area of the portal (issue 9): sign-in, Request Access, My Apps, the tenant
admin's API Application Access and the operator's access requests."""

from __future__ import annotations

from starlette.routing import BaseRoute

from localtitan.portal import my_apps, request_access, signin, tenant_access

__all__ = ["routes"]

routes: list[BaseRoute] = [
    *signin.routes,
    *request_access.routes,
    *my_apps.routes,
    *tenant_access.routes,
]
