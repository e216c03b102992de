"""The ``localtitan`` command: serve, quickstart, coverage and the admin commands.

Every command takes ``--data-dir`` and ``--database-url`` so scripts can aim it at any
deployment; ``--json`` output is for scripts, the rest is for people.
"""

# Importing a module registers its commands; this order is the order of `localtitan --help`.
from localtitan.cli import server  # noqa: F401, I001
from localtitan.cli import accounts, admin, demo, releases  # noqa: F401
from localtitan.cli._common import app
from localtitan.cli.server import _prepare

__all__ = ["_prepare", "app", "main"]


def main() -> None:
    app()
