"""Typed, cached access to the packaged API manifest (``manifest.json``)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any

import msgspec

__all__ = [
    "MANIFEST_FORMAT",
    "Manifest",
    "Module",
    "Operation",
    "Parameter",
    "load_manifest",
    "parse_manifest",
]

MANIFEST_FORMAT = 1
_MAX_REF_HOPS = 32


@dataclass(frozen=True, slots=True)
class Module:
    key: str
    base: str
    file: str
    name: str
    scope_prefix: str | None


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    location: str
    required: bool
    schema: Mapping[str, Any]


# eq=False: operations and manifests compare by identity, so they can key caches.
@dataclass(frozen=True, slots=True, eq=False)
class Operation:
    id: str
    operation_id: str
    module: str
    method: str
    path: str
    scope: str
    kind: str
    resource: str
    parent: str | None
    tag: str | None
    deprecated: bool
    parameters: tuple[Parameter, ...]
    request_body: Mapping[str, Any] | None
    responses: Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True, eq=False)
class Manifest:
    operations: tuple[Operation, ...]
    scopes: frozenset[str]
    modules: Mapping[str, Module]
    schemas: Mapping[str, dict[str, Any]]
    sources: Mapping[str, str] = field(default_factory=dict)
    # Per-manifest memo space for derived structures (compiled validators, router).
    cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    @functools.cached_property
    def by_id(self) -> Mapping[str, Operation]:
        return MappingProxyType({op.id: op for op in self.operations})

    def resolve(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        """Follow ``$ref`` links until a concrete schema; raises ``KeyError`` if dangling."""
        current: Mapping[str, Any] = schema
        for _ in range(_MAX_REF_HOPS):
            ref = current.get("$ref")
            if ref is None:
                return current if isinstance(current, dict) else dict(current)
            current = self.schemas[ref]
        raise ValueError(f"$ref chain too long starting at {schema!r}")


def _operation(raw: dict[str, Any]) -> Operation:
    return Operation(
        id=raw["id"],
        operation_id=raw["operationId"],
        module=raw["module"],
        method=raw["method"],
        path=raw["path"],
        scope=raw["scope"],
        kind=raw["kind"],
        resource=raw["resource"],
        parent=raw.get("parent"),
        tag=raw.get("tag"),
        deprecated=bool(raw.get("deprecated", False)),
        parameters=tuple(
            Parameter(p["name"], p["in"], bool(p.get("required", False)), p.get("schema") or {})
            for p in raw.get("parameters", [])
        ),
        request_body=raw.get("requestBody"),
        responses=raw.get("responses", {}),
    )


def parse_manifest(data: bytes | str) -> Manifest:
    """Decode manifest JSON (format 1) into a ``Manifest``."""
    raw = msgspec.json.decode(data)
    if raw.get("format") != MANIFEST_FORMAT:
        raise ValueError(f"unsupported manifest format {raw.get('format')!r}")
    modules = {
        key: Module(key, m["base"], m["file"], m["name"], m.get("scopePrefix"))
        for key, m in raw["modules"].items()
    }
    return Manifest(
        operations=tuple(_operation(op) for op in raw["operations"]),
        scopes=frozenset(raw["scopes"]),
        modules=MappingProxyType(modules),
        schemas=MappingProxyType(raw["schemas"]),
        sources=MappingProxyType(raw.get("sources", {})),
    )


@functools.cache
def load_manifest() -> Manifest:
    """The packaged manifest, read and decoded once per process."""
    data = resources.files("localtitan.spec").joinpath("manifest.json").read_bytes()
    return parse_manifest(data)
