"""Typed access to the packaged release history (``release_history.json``).

``tools/build_manifest.py`` compiles it from ServiceTitan's document sets (the catalog's
operations added, removed and changed between them) and from CHANGELOG.md (localtitan's own
releases). Releases are newest first.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

import msgspec

__all__ = ["CHANGES", "HISTORY_FORMAT", "Release", "ReleaseItem", "load_history", "parse_history"]

HISTORY_FORMAT = 1
CHANGES = ("Added", "Updated", "Deprecated", "Removed")


@dataclass(frozen=True, slots=True)
class ReleaseItem:
    change: str  # one of CHANGES
    module: str | None
    # Catalog items name an operation; localtitan's own items carry a sentence instead.
    operation_id: str | None
    method: str | None
    path: str | None
    scope: str | None
    text: str | None
    details: tuple[str, ...]

    @property
    def anchor(self) -> str:
        if self.operation_id:
            return f"{self.module}-{self.method}-{self.operation_id}".lower()
        return ""


@dataclass(frozen=True, slots=True)
class Release:
    id: str
    source: str  # "servicetitan" | "localtitan"
    label: str
    date: str  # YYYY-MM-DD
    summary: str
    items: tuple[ReleaseItem, ...]

    @property
    def modules(self) -> tuple[str, ...]:
        return tuple(sorted({i.module for i in self.items if i.module}))

    def for_module(self, module: str | None) -> tuple[ReleaseItem, ...]:
        if module is None:
            return self.items
        return tuple(i for i in self.items if i.module == module)


def _item(raw: dict[str, Any]) -> ReleaseItem:
    return ReleaseItem(
        change=raw["change"],
        module=raw.get("module"),
        operation_id=raw.get("operationId"),
        method=raw.get("method"),
        path=raw.get("path"),
        scope=raw.get("scope"),
        text=raw.get("text"),
        details=tuple(raw.get("details") or ()),
    )


def parse_history(data: bytes | str) -> tuple[Release, ...]:
    raw = msgspec.json.decode(data)
    if raw.get("format") != HISTORY_FORMAT:
        raise ValueError(f"unsupported release history format {raw.get('format')!r}")
    return tuple(
        Release(
            id=r["id"],
            source=r["source"],
            label=r["label"],
            date=r["date"],
            summary=r.get("summary", ""),
            items=tuple(_item(i) for i in r["items"]),
        )
        for r in raw["releases"]
    )


@functools.cache
def load_history() -> tuple[Release, ...]:
    """The packaged history, newest release first, read once per process."""
    data = resources.files("localtitan.spec").joinpath("release_history.json").read_bytes()
    return parse_history(data)
