"""The scopes table of the app editor: scopes grouped by module, one row per resource, with
Read and Write columns (ServiceTitan's ``<scope>:r`` / ``<scope>:w`` checkbox values)."""

from __future__ import annotations

from dataclasses import dataclass

from localtitan.spec import Manifest

__all__ = ["ScopeGroup", "ScopeRow", "scope_groups", "scope_summary"]


@dataclass(frozen=True)
class ScopeRow:
    resource: str
    read: str | None
    write: str | None


@dataclass(frozen=True)
class ScopeGroup:
    key: str
    name: str
    rows: tuple[ScopeRow, ...]


def _module_names(manifest: Manifest) -> dict[str, str]:
    return {m.scope_prefix: m.name for m in manifest.modules.values() if m.scope_prefix}


def scope_groups(manifest: Manifest) -> list[ScopeGroup]:
    names = _module_names(manifest)
    grouped: dict[str, dict[str, dict[str, str]]] = {}
    for scope in sorted(manifest.scopes):
        base, _, mode = scope.partition(":")
        prefix, _, resource = base.rpartition(".")
        grouped.setdefault(prefix, {}).setdefault(resource, {})[mode] = scope
    groups = [
        ScopeGroup(
            prefix.split(".")[-1],
            names.get(prefix, prefix),
            tuple(
                ScopeRow(resource, modes.get("r"), modes.get("w"))
                for resource, modes in sorted(resources.items())
            ),
        )
        for prefix, resources in grouped.items()
    ]
    return sorted(groups, key=lambda g: g.name.lower())


def scope_summary(scopes: frozenset[str]) -> str:
    """ServiceTitan's one-line summary: "Read customers, jobs / Write customers"."""
    reads = sorted(s.rsplit(".", 1)[-1][:-2] for s in scopes if s.endswith(":r"))
    writes = sorted(s.rsplit(".", 1)[-1][:-2] for s in scopes if s.endswith(":w"))
    parts = []
    if reads:
        parts.append("Read " + ", ".join(reads[:8]) + (" ..." if len(reads) > 8 else ""))
    if writes:
        parts.append("Write " + ", ".join(writes[:8]) + (" ..." if len(writes) > 8 else ""))
    return " / ".join(parts)
