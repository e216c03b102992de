"""An answer shaped from filled records (handling/filled.py) is byte for byte what shaping the
same data in full gives: for every operation's declared response over records of its
collection as ``fill_record`` left them (demo records, each field made odd first), for a
created customer with locations and contacts, and for data that was not filled."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from localtitan.demo import generate
from localtitan.domain.crm import _CREATED
from localtitan.handling.catalog import catalog_for, response_schema
from localtitan.handling.filled import Filled, _stable, filled_shaper
from localtitan.handling.shapers import shapers_for
from localtitan.handling.shaping import fill_record
from localtitan.spec import load_manifest
from localtitan.store.records import encode

MANIFEST = load_manifest()
CATALOG = catalog_for(MANIFEST)
SHAPERS = shapers_for(MANIFEST)
ODD: tuple[Any, ...] = (
    None,
    "2026-01-02T03:04:05.1Z",
    "12.50",
    "x",
    "",
    7,
    -3.25,
    True,
    {},
    {"id": 5, "name": "n", "street": 3},
    [],
    [1, {"a": None}],
    [{"id": "7", "name": None}],
    datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
)


@pytest.fixture(scope="module")
def filled() -> dict[str, list[dict[str, Any]]]:
    """Per kind: two demo records, an empty one and one per field with that field made odd,
    each filled as ``Tx.create`` fills a new record."""
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for rec in generate(MANIFEST, customers=6):
        found = by_kind.setdefault(rec.kind, [])
        if len(found) < 2 and isinstance(rec.data, dict):
            found.append(rec.data)
    out: dict[str, list[dict[str, Any]]] = {}
    for kind, records in by_kind.items():
        coll = CATALOG.collections.get(kind)
        if coll is None or not coll.properties:
            continue
        variants = [*records, {}]
        for i, name in enumerate(records[0]):
            variants.append({**records[0], name: ODD[i % len(ODD)]})
            variants.append({**records[0], name: ODD[(i + 5) % len(ODD)]})
        out[kind] = [fill_record(MANIFEST, coll, data) for data in variants]
    return out


def _same_answer(schema: Any, how: Filled, data: Any) -> bool:
    return encode(filled_shaper(SHAPERS, schema, how)(data)) == encode(SHAPERS.shape(schema, data))


def test_every_declared_response_of_filled_records_is_the_full_shape(
    filled: dict[str, list[dict[str, Any]]],
) -> None:
    checked = 0
    for op in MANIFEST.operations:
        schema = response_schema(op)
        kind = CATALOG.kind_of.get(op.id)
        if schema is None or kind not in filled:
            continue
        how = Filled(kind)
        for data in filled[kind]:
            assert _same_answer(schema, how, data), op.id
            # A handler's own fields beside the record's.
            assert _same_answer(schema, how, {**data, "extra": 1}), op.id
            checked += 1
    assert checked > 10_000


def test_a_created_customer_is_answered_as_in_full(
    filled: dict[str, list[dict[str, Any]]],
) -> None:
    op = next(o for o in MANIFEST.operations if o.id == "crm.Customers_Create")
    schema = response_schema(op)
    customers = filled["crm:customers"]
    locations = filled["crm:locations"]
    contact_coll = CATALOG.collections["crm:customers/{}/contacts"]
    contact = fill_record(MANIFEST, contact_coll, {"type": "Email", "value": "a@b.c", "memo": 4})
    checked = 0
    for i, customer in enumerate(customers):
        location = locations[i % len(locations)]
        for location_contacts in ([], [contact], [contact, {"odd": True}]):
            data = {
                **customer,
                "locations": [{**location, "contacts": location_contacts}, location],
                "contacts": [contact] if i % 2 else [],
            }
            assert _same_answer(schema, _CREATED, data)
            checked += 1
    assert checked > 30


def test_data_that_was_not_filled_is_shaped_in_full() -> None:
    op = next(o for o in MANIFEST.operations if o.id == "crm.Customers_Create")
    schema = response_schema(op)
    for data in (None, {}, {"name": 5, "address": "x"}, [], "x", {"locations": [None, 3]}):
        assert _same_answer(schema, _CREATED, data)


def test_only_stable_schemas_are_taken_as_they_are() -> None:
    assert _stable(MANIFEST, {"type": "string"}, 1)
    assert _stable(MANIFEST, {"type": "string", "enum": ["A", "B"]}, 1)
    assert _stable(MANIFEST, {"type": ["integer", "null"]}, 1)
    assert _stable(MANIFEST, {"type": "object", "properties": {"a": {"type": "number"}}}, 1)
    # A date-time text made from another type is not padded; shaping it again would pad it.
    assert not _stable(MANIFEST, {"type": "string", "format": "date-time"}, 1)
    # Empty values not of their node's type change when shaped.
    assert not _stable(MANIFEST, {"type": "integer", "default": "x"}, 1)
    assert not _stable(MANIFEST, {"type": "integer", "default": False}, 1)
    assert not _stable(MANIFEST, {"type": "array", "items": {"type": "boolean", "default": 0}}, 1)
    # Past the depth where values pass unshaped.
    assert not _stable(MANIFEST, {"type": "string"}, 13)
