"""The demo's writer is the store's bulk writer (:mod:`localtitan.store.bulk_writer`), which
snapshot import shares; its names stay importable from here."""

from localtitan.store.bulk_writer import (
    BATCH_ROWS,
    BulkWriter,
    IdMismatchError,
    Prepared,
    prepare_rows,
    sqlite_time,
)

__all__ = [
    "BATCH_ROWS",
    "BulkWriter",
    "IdMismatchError",
    "Prepared",
    "prepare_rows",
    "sqlite_time",
]
