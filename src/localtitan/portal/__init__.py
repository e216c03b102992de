"""The developer portal: a server-rendered site inside the API process (see docs/portal.md)."""

from localtitan.portal.site import create_portal

__all__ = ["create_portal"]
