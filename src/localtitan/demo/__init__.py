"""The demo company: a deterministic, coherent ServiceTitan tenant generated on demand.

``seed_tenant`` fills one tenant and environment; ``seed_quickstart`` is what the first start
of the server calls for the quickstart tenant's integration environment.
"""

from __future__ import annotations

from localtitan.demo.seed import (
    DEFAULT_SEED,
    SeedError,
    SeedProgress,
    SeedResult,
    default_anchor,
    generate,
    reset_tenant,
    seed_tenant,
)
from localtitan.demo.sizes import SIZES
from localtitan.spec import Manifest
from localtitan.store.database import Database

__all__ = [
    "DEFAULT_SEED",
    "SIZES",
    "SeedError",
    "SeedProgress",
    "SeedResult",
    "default_anchor",
    "generate",
    "reset_tenant",
    "seed_quickstart",
    "seed_tenant",
]


async def seed_quickstart(db: Database, manifest: Manifest, tenant_id: int) -> SeedResult | None:
    """Give the quickstart tenant a small demo company in integration (production stays empty,
    as a new ServiceTitan tenant's would be). Does nothing if integration has records."""
    try:
        return await seed_tenant(
            db, manifest, environment="integration", tenant_id=tenant_id, size="small"
        )
    except SeedError:
        return None
