"""The ASGI entry point uvicorn workers import: settings come from ``LOCALTITAN_*``."""

from localtitan.app import create_app

__all__ = ["application"]

application = create_app()
# A serving process keeps what its startup built until it exits (see LocalTitan.startup).
application.freeze_at_startup = True
