"""Whole-tenant operations (count, clear, the seed settings row) live in the store
(:mod:`localtitan.store.tenant_data`); their names stay importable from here."""

from localtitan.store.tenant_data import (
    SeedSettings,
    clear_tenant,
    count_files,
    count_records,
    counts_by_kind,
    delete_seed_settings,
    read_seed_settings,
    tenant_exists,
    tenant_name,
    write_seed_settings,
)

__all__ = [
    "SeedSettings",
    "clear_tenant",
    "count_files",
    "count_records",
    "counts_by_kind",
    "delete_seed_settings",
    "read_seed_settings",
    "tenant_exists",
    "tenant_name",
    "write_seed_settings",
]
