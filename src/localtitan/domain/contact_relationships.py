"""CRM contact relationships: a contact (a person) related to a customer, a location or a
booking. Created and removed by path, listed per contact, and the contacts of one related
record (docs/decisions/0155)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from localtitan.domain._guid_records import find_by_guid
from localtitan.handling import Tx, bad_request, conflict, empty, not_found, respond, transaction
from localtitan.handling.call import Call, Result
from localtitan.handling.table import Handlers
from localtitan.store.records import Stored, parse_time

HANDLERS = Handlers(__name__)
register = HANDLERS.register

__all__ = ["RELATIONSHIPS", "TYPES"]

CONTACTS = "crm:contacts"
RELATIONSHIPS = "crm:contacts/{}/relationships"
# type slug -> (type name, kind of the related record)
TYPES = {
    "customer": ("Customer", "crm:customers"),
    "location": ("Location", "crm:locations"),
    "booking": ("Booking", "crm:bookings"),
}
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 5000
_SORTS = {"id": "id", "createdon": "createdOn", "modifiedon": "modifiedOn"}


def _slug(call: Call) -> str:
    slug = str(call.path.get("typeSlug") or "").strip().lower()
    if slug not in TYPES:
        raise bad_request("typeSlug", f"The relationship type must be one of: {', '.join(TYPES)}.")
    return slug


async def _contact(tx: Tx, ident: Any) -> Stored:
    found = await find_by_guid(tx, CONTACTS, ident)
    if found is None:
        raise not_found("Contact", ident)
    return found


def _same(rel: Stored, related: Any, slug: str) -> bool:
    return rel.data.get("relatedEntityId") == related and rel.data.get("typeSlug") == slug


@register("crm.Contacts_CreateContactRelationship")
async def create_relationship(call: Call) -> Result:
    slug = _slug(call)
    related = call.path.get("relatedEntityId")

    async def work(tx: Tx) -> Result:
        contact = await _contact(tx, call.path.get("contactId"))
        name, kind = TYPES[slug]
        if await tx.find(kind, related) is None:
            raise not_found(name, related)
        if any(_same(r, related, slug) for r in await tx.children(RELATIONSHIPS, contact.id)):
            raise conflict(f"The contact is already related to {name.lower()} {related}.")
        await tx.create(
            RELATIONSHIPS,
            {
                "relatedEntityId": related,
                "typeSlug": slug,
                "typeName": name,
                "createdBy": call.app_id,
            },
            parent_id=contact.id,
        )
        return empty(call)

    return await transaction(call, work)


@register("crm.Contacts_DeleteContactRelationship")
async def delete_relationship(call: Call) -> Result:
    slug = _slug(call)
    related = call.path.get("relatedEntityId")

    async def work(tx: Tx) -> Result:
        contact = await _contact(tx, call.path.get("contactId"))
        found = [r for r in await tx.children(RELATIONSHIPS, contact.id) if _same(r, related, slug)]
        if not found:
            raise not_found(f"{TYPES[slug][0]} relationship", related)
        for rel in found:
            rel.deleted = True
            rel.active = False
            await tx.save(rel)
        return empty(call)

    return await transaction(call, work)


# ---------------------------------------------------------------- reading


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not value:
        return None
    try:
        return parse_time(str(value)).astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _page(call: Call, rows: list[dict[str, Any]]) -> dict[str, Any]:
    page = call.query.get("page")
    size = call.query.get("pageSize")
    page = 1 if page is None else page
    size = DEFAULT_PAGE_SIZE if size is None else size
    if page < 1:
        raise bad_request("page", "The page must be 1 or more.")
    if size < 1 or size > MAX_PAGE_SIZE:
        raise bad_request("pageSize", f"The page size must be between 1 and {MAX_PAGE_SIZE}.")
    sort = str(call.query.get("sort") or "").strip()
    if sort:
        descending = sort.startswith("-")
        field = _SORTS.get(sort.lstrip("+-").lower())
        if field is None:
            raise bad_request("sort", "Sort by Id, CreatedOn or ModifiedOn.")
        rows = sorted(rows, key=lambda r: str(r.get(field) or ""), reverse=descending)
        if field == "id":
            rows = sorted(rows, key=lambda r: r.get("_row", 0), reverse=descending)
    start = (page - 1) * size
    chunk = rows[start : start + size]
    return {
        "page": page,
        "pageSize": size,
        "hasMore": len(rows) > start + size,
        "totalCount": len(rows) if call.query.get("includeTotal") else None,
        "data": chunk,
    }


def _window(call: Call, field: str, prefix: str) -> Callable[[dict[str, Any]], bool]:
    after = _time(call.query.get(f"{prefix}OnOrAfter"))
    before = _time(call.query.get(f"{prefix}Before"))

    def keep(row: dict[str, Any]) -> bool:
        when = _time(row.get(field))
        if when is None:
            return after is None and before is None
        return (after is None or when >= after) and (before is None or when < before)

    return keep


def _text(value: Any) -> str:
    return str(value or "").strip().lower()


def _equals(field: str, wanted: str) -> Callable[[dict[str, Any]], bool]:
    return lambda row: _text(row.get(field)) == wanted


def _filtered(
    rows: Sequence[dict[str, Any]], tests: Sequence[Callable[[dict[str, Any]], bool]]
) -> list[dict[str, Any]]:
    return [r for r in rows if all(t(r) for t in tests)]


@register("crm.Contacts_GetContactRelationshipList")
async def list_relationships(call: Call) -> Result:
    q = call.query

    async def work(tx: Tx) -> Result:
        contact = await _contact(tx, call.path.get("contactId"))
        rows = [{**r.data, "_row": r.id} for r in await tx.children(RELATIONSHIPS, contact.id)]
        tests = [_window(call, "createdOn", "created")]
        if q.get("relatedEntityId") is not None:
            tests.append(lambda r: r.get("relatedEntityId") == q["relatedEntityId"])
        if q.get("typeSlug"):
            tests.append(lambda r: _text(r.get("typeSlug")) == _text(q["typeSlug"]))
        if q.get("typeName"):
            tests.append(lambda r: _text(r.get("typeName")) == _text(q["typeName"]))
        return respond(call, _page(call, _filtered(rows, tests)))

    return await transaction(call, work)


@register("crm.Contacts_GetByRelationshipId")
async def contacts_of_related_record(call: Call) -> Result:
    """The contacts related to one customer, location or booking (the path's id)."""
    q = call.query
    related = call.path.get("relationshipId")

    async def work(tx: Tx) -> Result:
        linked = {
            r.parent_id
            for r in await tx.children(RELATIONSHIPS)
            if r.data.get("relatedEntityId") == related
        }
        contacts = [c for c in await tx.children(CONTACTS) if c.id in linked]
        rows = [{**c.data, "_row": c.id} for c in contacts]
        tests = [_window(call, "createdOn", "created"), _window(call, "modifiedOn", "modified")]
        for name in ("name", "title", "referenceId"):
            if q.get(name):
                tests.append(_equals(name, _text(q[name])))
        if q.get("isArchived") not in (None, ""):
            archived = _text(q["isArchived"]) == "true"
            tests.append(lambda r: bool(r.get("isArchived")) == archived)
        return respond(call, _page(call, _filtered(rows, tests)))

    return await transaction(call, work)
