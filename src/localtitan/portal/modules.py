"""What a module's docs page shows from the manifest: its records, operations and a sample call.

Operation links go into the API reference (``portal.reference``) as
``/apis/<module>#operation/<operationId>``; ``reference_href`` is the one place that format
lives.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from starlette.requests import Request

from localtitan.operations import implemented_operations
from localtitan.portal import samples
from localtitan.portal.templating import server_urls
from localtitan.spec import Manifest, Operation

__all__ = ["ModuleOverview", "OperationRow", "overview", "reference_href"]

_KIND_WORDS = {
    "list": "list",
    "get": "read one",
    "create": "create",
    "update": "update",
    "replace": "replace",
    "delete": "delete",
    "export": "export",
    "action": "action",
    "download": "download",
    "other": "other",
}


def reference_href(op: Operation) -> str:
    return f"/apis/{op.module}#operation/{op.operation_id}"


@dataclass(frozen=True, slots=True)
class OperationRow:
    method: str
    path: str
    operation_id: str
    scope: str
    kind: str
    status: str  # "behaviour" | "generic" | "" (answers 501)
    href: str
    deprecated: bool


@dataclass(frozen=True, slots=True)
class Resource:
    name: str
    operations: tuple[OperationRow, ...]
    kinds: str  # "list, read one, create", what can be done with it

    @property
    def anchor(self) -> str:
        return "records-" + self.name.lower()


@dataclass(frozen=True, slots=True)
class ModuleOverview:
    key: str
    name: str
    base: str
    scope_prefix: str | None
    resources: tuple[Resource, ...]
    total: int
    implemented: int
    scopes: tuple[str, ...]
    sample: Markup | None


def _rows(manifest: Manifest, module: str) -> list[tuple[str, OperationRow]]:
    done = implemented_operations(manifest.operations)
    rows = []
    for op in manifest.operations:
        if op.module != module:
            continue
        row = OperationRow(
            op.method,
            op.path,
            op.operation_id,
            op.scope,
            op.kind,
            done.get(op.id, ""),
            reference_href(op),
            op.deprecated,
        )
        rows.append((op.tag or op.resource, row))
    return rows


def overview(request: Request, module: str) -> ModuleOverview:
    manifest: Manifest = request.app.state.runtime.manifest
    info = manifest.modules[module]
    grouped: dict[str, list[OperationRow]] = {}
    for tag, row in _rows(manifest, module):
        grouped.setdefault(tag, []).append(row)
    resources = []
    for tag in sorted(grouped, key=str.lower):
        ops = sorted(grouped[tag], key=lambda r: (r.path, r.method))
        kinds = []
        for r in ops:
            word = _KIND_WORDS.get(r.kind, r.kind)
            if word not in kinds:
                kinds.append(word)
        resources.append(Resource(tag, tuple(ops), ", ".join(kinds)))
    every = [r for res in resources for r in res.operations]
    sample = samples.module_sample(manifest, module)
    return ModuleOverview(
        key=module,
        name=info.name,
        base=info.base,
        scope_prefix=info.scope_prefix,
        resources=tuple(resources),
        total=len(every),
        implemented=sum(1 for r in every if r.status),
        scopes=tuple(sorted({r.scope for r in every})),
        sample=samples.render_code(sample, server_urls(request)) if sample else None,
    )
