"""Production to integration: make a tenant's integration records a copy of its production
records, in one transaction.

Ids are kept. Records that exist only in integration are not erased but marked deleted (as the
API's DELETE does), so an export client following integration learns they are gone; every
copied record gets a new row version above anything integration had, so the same client sees
the copies as changes and never skips one. Connections and client secrets are per
environment and are not touched.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from localtitan.store.database import Database
from localtitan.store.environment_copy import copy_production_to_integration
from localtitan.store.tenant_data import (
    delete_seed_settings,
    read_seed_settings,
    tenant_exists,
    write_seed_settings,
)

__all__ = ["RefreshError", "RefreshResult", "refresh_integration"]

_PROD = "production"
_INT = "integration"


class RefreshError(Exception):
    """A refresh that cannot run, worded for the person who asked for it."""


@dataclass
class RefreshResult:
    tenant_id: int
    copied: int
    removed: int
    seconds: float

    def as_json(self) -> dict[str, Any]:
        return {
            "tenantId": self.tenant_id,
            "copied": self.copied,
            "removedFromIntegration": self.removed,
            "seconds": round(self.seconds, 3),
        }


async def refresh_integration(db: Database, *, tenant_id: int) -> RefreshResult:
    """Replace the tenant's integration records with a copy of its production records."""
    started = time.monotonic()
    async with db.begin() as conn:
        for env in (_PROD, _INT):
            if not await tenant_exists(conn, env, tenant_id):
                raise RefreshError(f"Tenant {tenant_id} does not exist in {env}.")
        copied = await copy_production_to_integration(conn, tenant_id)
        await delete_seed_settings(conn, _INT, tenant_id)
        seed = await read_seed_settings(conn, _PROD, tenant_id)
        if seed is not None:
            seed.environment = _INT
            await write_seed_settings(conn, seed)
    # Only the growth counts (see refresh_statistics): a daily refresh replaces about as many
    # records as it copies, and must not re-read every index of a big database each time.
    await db.refresh_statistics(added=max(0, copied.production_rows - copied.integration_rows))
    return RefreshResult(tenant_id, copied.copied, copied.removed, time.monotonic() - started)
