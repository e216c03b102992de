"""Generating a company: the company records, then customer chunks as database rows, in this
process or in worker processes.

Every chunk has an id block of its own (:func:`localtitan.demo.sizes.chunk_id_block`) after
the company's ids, so a chunk depends only on (seed, anchor, size, base id, index): workers
generate chunks in parallel while this process writes, and a resumed seed starts at any
chunk. Worker *processes*, not threads: generation is pure Python and would hold the GIL the
SQLite driver thread needs between rows.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import AsyncGenerator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from localtitan.demo import sizes
from localtitan.demo.company import build_company
from localtitan.demo.context import Ids, Out
from localtitan.demo.customers import build_chunk
from localtitan.demo.model import Company
from localtitan.demo.shaper import Filler
from localtitan.demo.sizes import Plan, chunk_id_block, plan_for
from localtitan.handling.catalog import catalog_for
from localtitan.spec import Manifest, load_manifest
from localtitan.store.bulk_writer import Prepared, prepare_rows
from localtitan.store.records import Stored

__all__ = [
    "ChunkOverflowError",
    "ChunkRows",
    "CompanyGenerator",
    "chunk_rows",
    "default_workers",
]

# Chunks in flight per worker: enough to keep workers busy, few enough to bound memory
# (a chunk of 500 customers is about 20,000 rows, 25 MB).
_AHEAD_PER_WORKER = 2
# Below this many chunks, starting processes costs more than it saves.
_MIN_CHUNKS_FOR_WORKERS = 4


class ChunkOverflowError(RuntimeError):
    """A chunk needed more ids than its block holds (the generator changed too much)."""


@dataclass
class ChunkRows:
    index: int
    prepared: Prepared
    customers: int


class CompanyGenerator:
    """Deterministic generation of one company: records for the company, then per chunk."""

    def __init__(self, manifest: Manifest, seed: int, anchor: datetime, plan: Plan) -> None:
        self.catalog = catalog_for(manifest)
        self.filler = Filler(manifest)
        self.seed = seed
        self.anchor = anchor
        self.plan = plan
        self.company: Company | None = None
        self.base = 0
        self.company_ids = 0

    def company_records(self, base: int) -> list[Stored]:
        """The company-level records, with ids from ``base``."""
        ids = Ids(base)
        out = Out(self.catalog, self.filler)
        self.company = build_company(self.seed, self.anchor, self.plan, ids, out)
        self.base = base
        self.company_ids = ids.used
        return out.items

    @property
    def ids_needed(self) -> int:
        """Every id the seed may use: the company's, and a block per chunk."""
        return self.company_ids + self.plan.chunks * chunk_id_block()

    def chunk_first_id(self, index: int) -> int:
        return self.base + self.company_ids + index * chunk_id_block()

    def chunk(self, index: int) -> tuple[list[Stored], int]:
        """Chunk ``index``'s records and how many customers it holds."""
        assert self.company is not None, "generate the company first"
        ids = Ids(self.chunk_first_id(index))
        out = Out(self.catalog, self.filler)
        customers = build_chunk(self.company, index, ids, out)
        if ids.used > chunk_id_block():
            raise ChunkOverflowError(
                f"chunk {index} used {ids.used} ids; its block holds {chunk_id_block()}"
            )
        return out.items, customers

    def chunk_rows(self, index: int, *, sqlite: bool) -> ChunkRows:
        items, customers = self.chunk(index)
        return ChunkRows(index, prepare_rows(items, sqlite=sqlite), customers)


# ---------------------------------------------------------------- worker processes

_worker: CompanyGenerator | None = None


def _init_worker(
    seed: int, anchor: datetime, customers: int, base: int, chunk_customers: int, per: int
) -> None:
    """Rebuild the same company in the worker (it is deterministic) before any chunk."""
    global _worker
    sizes.CHUNK_CUSTOMERS = chunk_customers  # the parent's settings, tests included
    sizes.IDS_PER_CUSTOMER = per
    _worker = CompanyGenerator(load_manifest(), seed, anchor, plan_for(customers))
    _worker.company_records(base)


def _worker_chunk(index: int, sqlite: bool) -> ChunkRows:
    assert _worker is not None
    return _worker.chunk_rows(index, sqlite=sqlite)


def default_workers(chunks: int) -> int:
    """Worker processes for a seed of ``chunks`` chunks: none for small seeds, else one per
    CPU, at most four. Not one fewer for this process: it writes in bulk and waits on the
    workers most of the time (on 2 CPUs, 2 workers seed 8 % faster than 1)."""
    if chunks < _MIN_CHUNKS_FOR_WORKERS:
        return 0
    return max(1, min(4, os.cpu_count() or 2))


async def chunk_rows(
    gen: CompanyGenerator, first: int, stop: int, *, sqlite: bool, workers: int
) -> AsyncGenerator[ChunkRows, None]:
    """Chunks ``first .. stop - 1`` as rows, in order."""
    if workers <= 0 or stop - first < 2:
        for index in range(first, stop):
            yield gen.chunk_rows(index, sqlite=sqlite)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_init_worker,
        initargs=(
            gen.seed,
            gen.anchor,
            gen.plan.customers,
            gen.base,
            sizes.CHUNK_CUSTOMERS,
            sizes.IDS_PER_CUSTOMER,
        ),
    ) as pool:
        pending: dict[int, Future[ChunkRows]] = {}
        next_index = first
        try:
            for index in range(first, stop):
                while next_index < stop and len(pending) < workers * _AHEAD_PER_WORKER:
                    pending[next_index] = pool.submit(_worker_chunk, next_index, sqlite)
                    next_index += 1
                yield await asyncio.wrap_future(pending.pop(index))
        finally:
            for future in pending.values():
                future.cancel()
