"""Whole-tenant data: snapshot files (export and import), clearing, and copying production
into integration.

The modules are imported where used (``snapshots.files``, ``snapshots.refresh``,
``snapshots.tenantdata``) so the CLI starts without loading them.
"""

__all__: list[str] = []
