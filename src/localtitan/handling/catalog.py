"""Which stored collection (``kind``) each operation reads or writes, derived from the manifest.

A kind is ``<module>:<resource>``, e.g. ``crm:customers`` or ``crm:customers/{}/notes`` (notes
whose parent is a customer). Lists across parents (``customers/contacts``), export feeds
(``export/customers``) and a few aliases resolve to the kind they read.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from localtitan.handling.shaping import object_properties
from localtitan.spec import Manifest, Operation

__all__ = ["Catalog", "Collection", "catalog_for", "response_schema"]

# Resources that are another collection under a different path.
_ALIASES: dict[tuple[str, str], str] = {
    ("crm", "booking-provider/{}/bookings"): "crm:bookings",
    ("crm", "booking-provider/{}/bookings/{}/contacts"): "crm:bookings/{}/contacts",
    ("sales", "estimates/export"): "sales:estimates",
    ("jpm", "export/job-history"): "jpm:jobs/{}/history",
    ("jpm", "export/job-canceled-logs"): "jpm:jobs/{}/canceled-logs",
    ("jpm", "jobs/{}/canceled-log"): "jpm:jobs/{}/canceled-logs",
    ("accounting", "export/invoice-items"): "accounting:invoices/{}/items",
    # The same bills as the plain list, served page by page.
    ("accounting", "inventory-bills/paginated"): "accounting:inventory-bills",
    (
        "memberships",
        "export/membership-status-changes",
    ): "memberships:memberships/{}/status-changes",
}

_READ_KINDS = ("list", "get", "export")


def response_schema(op: Operation) -> Mapping[str, Any] | None:
    for code in ("200", "201"):
        resp = op.responses.get(code)
        if resp and resp.get("schema") is not None:
            return resp["schema"]  # type: ignore[no-any-return]
    return None


@dataclass
class Collection:
    kind: str
    module: str
    resource: str
    # Union of the properties every read operation declares, so one stored shape serves all.
    properties: dict[str, Any] = field(default_factory=dict)
    operations: list[Operation] = field(default_factory=list)
    id_is_guid: bool = False

    @property
    def has_parent(self) -> bool:
        return "{}" in self.resource


def _item_schema(manifest: Manifest, op: Operation) -> Mapping[str, Any] | None:
    schema = response_schema(op)
    if schema is None:
        return None
    props = object_properties(manifest, schema)
    if op.kind in ("list", "export") and "data" in props:
        data = manifest.resolve(props["data"]) if "$ref" in props["data"] else props["data"]
        items = data.get("items")
        return items if isinstance(items, Mapping) else None
    if op.kind in ("list",):
        concrete = manifest.resolve(schema) if "$ref" in schema else schema
        if concrete.get("items") is not None:
            return concrete["items"]  # type: ignore[no-any-return]
    if "data" in props and len(props) == 1:
        return props["data"]  # type: ignore[no-any-return]
    return schema


class Catalog:
    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest
        resources = {(op.module, op.resource) for op in manifest.operations}
        self._resources = resources
        self.collections: dict[str, Collection] = {}
        self.kind_of: dict[str, str] = {}
        for op in manifest.operations:
            kind = self._kind(op)
            self.kind_of[op.id] = kind
            coll = self.collections.get(kind)
            if coll is None:
                module, _, resource = kind.partition(":")
                coll = self.collections[kind] = Collection(kind, module, resource)
            coll.operations.append(op)
        for coll in self.collections.values():
            self._merge_properties(coll)

    def _kind(self, op: Operation) -> str:
        alias = _ALIASES.get((op.module, op.resource))
        if alias:
            return alias
        resource = op.resource
        if op.kind == "export" and resource.startswith("export/"):
            resource = resource[len("export/") :]
            nested = self._nested(op.module, resource)
            # A feed across parents (export/customers/contacts) reads the nested collection
            # its records are written to, unless the plain resource is created on its own.
            if nested and (op.module, resource) not in self._creatable():
                resource = nested
            return f"{op.module}:{resource}"
        if op.kind == "list" and "/" in resource and "{}" not in resource:
            nested = self._nested(op.module, resource)
            if nested and (op.module, resource) not in self._creatable():
                return f"{op.module}:{nested}"
        return f"{op.module}:{resource}"

    @functools.cache  # noqa: B019 - one catalog per process
    def _creatable(self) -> frozenset[tuple[str, str]]:
        return frozenset(
            (op.module, op.resource) for op in self.manifest.operations if op.kind == "create"
        )

    def _nested(self, module: str, resource: str) -> str | None:
        """``customers/contacts`` -> ``customers/{}/contacts``; ``job-notes`` likewise."""
        parts = resource.split("/")
        if len(parts) == 2:
            candidate = f"{parts[0]}/{{}}/{parts[1]}"
            if (module, candidate) in self._resources:
                return candidate
        if len(parts) == 1 and "-" in parts[0]:
            head, _, tail = parts[0].partition("-")
            for plural in (head + "s", head):
                candidate = f"{plural}/{{}}/{tail}"
                if (module, candidate) in self._resources:
                    return candidate
        return None

    def _merge_properties(self, coll: Collection) -> None:
        merged: dict[str, Any] = {}
        # The list's fields come first, so a list page can send stored JSON nearly as is;
        # create responses count only when nothing reads the collection (they often embed
        # related records, such as a new customer's locations, that are stored on their own).
        by_kind = sorted(
            coll.operations, key=lambda o: _READ_KINDS.index(o.kind) if o.kind in _READ_KINDS else 9
        )
        for op in by_kind:
            if op.kind not in _READ_KINDS and (merged or op.kind != "create"):
                continue
            item = _item_schema(self.manifest, op)
            if item is None:
                continue
            for name, sub in object_properties(self.manifest, item).items():
                merged.setdefault(name, sub)
        coll.properties = merged
        id_schema = merged.get("id")
        if isinstance(id_schema, Mapping):
            t = id_schema.get("type")
            types = [t] if isinstance(t, str) else list(t or [])
            coll.id_is_guid = "string" in types

    def collection(self, op: Operation) -> Collection:
        return self.collections[self.kind_of[op.id]]

    def item_schema(self, op: Operation) -> Mapping[str, Any] | None:
        return _item_schema(self.manifest, op)


_catalogs: dict[int, Catalog] = {}


def catalog_for(manifest: Manifest) -> Catalog:
    found = _catalogs.get(id(manifest))
    if found is None:
        found = _catalogs[id(manifest)] = Catalog(manifest)
    return found
