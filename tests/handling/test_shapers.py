"""The compiled shapers (handling/shapers.py) give exactly what ``shape`` gives: for every
collection's stored shape and every operation's declared response, on demo records and on
the same records with each field replaced by values of the wrong type, a short time, null."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from localtitan.demo import generate
from localtitan.handling.catalog import catalog_for, response_schema
from localtitan.handling.shapers import shapers_for
from localtitan.handling.shaping import fill_record, shape
from localtitan.spec import load_manifest

MANIFEST = load_manifest()
CATALOG = catalog_for(MANIFEST)
ODD: tuple[Any, ...] = (
    None,
    "2026-01-02T03:04:05.1Z",
    "12.50",
    "x",
    "true",
    7,
    -3.25,
    True,
    Decimal("1.10"),
    {},
    {"id": 5, "name": "n"},
    [],
    [1, {"a": None}],
    datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
    date(2026, 1, 2),
    timedelta(hours=25, seconds=3),
)


@pytest.fixture(scope="module")
def samples() -> dict[str, list[dict[str, Any]]]:
    """Two demo records of every kind, and each of them with every field made odd."""
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for rec in generate(MANIFEST, customers=6):
        found = by_kind.setdefault(rec.kind, [])
        if len(found) < 2 and isinstance(rec.data, dict):
            found.append(rec.data)
    out: dict[str, list[dict[str, Any]]] = {}
    for kind, records in by_kind.items():
        variants = [*records, {}]
        for i, name in enumerate(records[0]):
            variants.append({**records[0], name: ODD[i % len(ODD)]})
        out[kind] = variants
    return out


def test_a_stored_record_is_what_shape_makes_of_it(samples: dict[str, list[dict[str, Any]]]):
    checked = 0
    for kind, variants in samples.items():
        coll = CATALOG.collections.get(kind)
        if coll is None or not coll.properties:
            continue
        schema = {"type": ["object"], "properties": coll.properties}
        for data in variants:
            assert fill_record(MANIFEST, coll, data) == shape(MANIFEST, schema, data), kind
            checked += 1
    assert checked > 1000


def test_every_declared_response_is_what_shape_makes_of_it(
    samples: dict[str, list[dict[str, Any]]],
) -> None:
    compiled = shapers_for(MANIFEST)
    values = [v for variants in samples.values() for v in variants[:3]]
    checked = 0
    for op in MANIFEST.operations:
        schema = response_schema(op)
        if schema is None:
            continue
        for value in (*values[:: max(1, len(values) // 25)], *ODD):
            assert compiled.shape(schema, value) == shape(MANIFEST, schema, value), op.id
            checked += 1
    assert checked > 10_000


def test_a_filled_record_shares_no_mutable_value_with_another() -> None:
    coll = CATALOG.collections["crm:customers"]
    first, second = fill_record(MANIFEST, coll, {}), fill_record(MANIFEST, coll, {})
    first["address"]["street"] = "changed"
    assert second["address"]["street"] != "changed"
