"""No behaviour answers 500 to what a client can send: every registered behaviour gets unknown
ids, existing records, empty and odd bodies, and must answer 2xx or a 4xx in the error shape."""

from __future__ import annotations

import re
from typing import Any

import httpx
from domain_kit import World, connect, error_shape_problems, insert, kit

from conftest import Creds
from localtitan.app import LocalTitan
from localtitan.operations import handler_for
from localtitan.spec import Operation

BEHAVIOURS = [
    op
    for op in kit.MANIFEST.operations
    if (found := handler_for(op)) is not None and found[1] == "behaviour"
]

# Path parameter -> the kind of record it names (``id`` is the operation's own collection).
_PARAM_KINDS = {
    "tagTypeId": "settings:tag-types",
    "preferredTechnicianId": "settings:technicians",
    "technicianId": "settings:technicians",
    "technician": "settings:technicians",
    "employee": "settings:employees",
    "jobId": "jpm:jobs",
}


def _own_kind(op: Operation) -> str:
    kind = kit.CATALOG.kind_of[op.id]
    return kind.split("/{}")[0] if "/{}" in kind else kind


def _mangled(body: Any) -> list[Any]:
    """Bodies a client could send that are still JSON: nulls, zero, huge ids, wrong shapes."""
    out: list[Any] = [None, {}, [], "text", 7]
    if isinstance(body, dict):
        out.append(dict.fromkeys(body))
        out.append({k: _odd(v) for k, v in body.items()})
    if isinstance(body, list):
        out.append([{}])
        out.append([_odd(v) for v in body])
    return out


def _odd(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return 2**62
    if isinstance(value, str):
        return ""
    if isinstance(value, list):
        return [] if value else [0]
    if isinstance(value, dict):
        return {k: _odd(v) for k, v in value.items()}
    return value


async def test_behaviours_never_answer_500(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    assert len(BEHAVIOURS) > 40
    api = await connect(client, creds)
    world = World(api, app)
    await world.ref("jpm:jobs")
    ids: dict[str, Any] = dict(world.ids)
    for kind in ("settings:technicians", "settings:employees", "settings:tag-types"):
        ids[kind] = await world.ref(kind)
    for kind in (
        "sales:estimates",
        "crm:leads",
        "accounting:invoices",
        "accounting:payments",
        "inventory:purchase-orders",
        "inventory:receipts",
        "inventory:returns",
        "memberships:recurring-service-events",
        "dispatch:arrival-windows",
        "jpm:projects",
    ):
        ids[kind] = (await insert(app, creds, kind, [{"name": "Probe"}]))[0]["id"]
    ids["crm:bookings"] = (await insert(app, creds, "crm:bookings", [{"status": "New"}]))[0]["id"]

    problems: list[str] = []
    for op in BEHAVIOURS:
        names = [n for n in re.findall(r"{(\w+)}", op.path) if n != "tenant"]
        real = {n: ids.get(_PARAM_KINDS.get(n, _own_kind(op)), 1) for n in names}
        unknown = dict.fromkeys(names, 1)
        bodies: list[Any] = [None]
        if kit.request_schema(op) is not None:
            try:
                good = await world.body(op)
            except AssertionError:
                good = kit.BodyBuilder({}).build(kit.request_schema(op))
            bodies = [good, *_mangled(good)]
        for path in (real, unknown):
            for body in bodies:
                response = await api.raw(op.method, api.url(op, **path), json=body, params=None)
                status = response.status_code
                where = f"{op.id} {path} {str(body)[:80]}"
                if status >= 500:
                    problems.append(f"{where}: {status} {response.text[:200]}")
                elif status >= 400 and error_shape_problems(response):
                    problems.append(f"{where}: error shape {error_shape_problems(response)}")
    assert not problems, "\n".join(problems)
