"""The developer portal (a placeholder page until the portal issue lands)."""

from localtitan.portal.home import home

__all__ = ["home"]
