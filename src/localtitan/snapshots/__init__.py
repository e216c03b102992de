"""Whole-tenant data: snapshot files (export and import), clearing, and copying production
into integration.

The modules are imported where used (``snapshots.files``, ``snapshots.refresh``) so the CLI
starts without loading them; whole-tenant counts and clearing are the store's
(``store.tenant_data``).
"""

__all__: list[str] = []
