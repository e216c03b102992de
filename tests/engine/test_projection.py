"""Items carry exactly the fields their operation declares, whatever form the stored JSON has
(engine/projection.py): the jobs list cuts the stored ``active`` off the end of each record,
and must not be fooled by a record that does not end with it."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from engine_kit import CATALOG, MANIFEST, operation

from localtitan.engine.generic import _projection
from localtitan.handling.shaping import fill_record, object_properties, shape
from localtitan.store.records import encode

JOBS = CATALOG.collections["jpm:jobs"]


def _job(i: int, **extra: Any) -> dict[str, Any]:
    data = {
        "id": i,
        "number": str(i),
        "customerId": 7,
        "summary": "Noisy outdoor unit",
        "active": i % 2 == 0,
        "createdOn": "2025-01-02T03:04:05Z",
        "modifiedOn": "2025-01-02T03:04:05Z",
        **extra,
    }
    filled: dict[str, Any] = fill_record(MANIFEST, JOBS, data)
    return filled


def _items(op_id: str, rows: list[bytes]) -> list[dict[str, Any]]:
    op = operation(op_id)
    out = _projection(CATALOG, op, CATALOG.collection(op))(rows)
    return [msgspec.json.decode(b) for b in out]


def _declared(op_id: str) -> list[str]:
    op = operation(op_id)
    item = CATALOG.item_schema(op)
    assert item is not None
    return list(object_properties(MANIFEST, item))


def _jsonb_text(data: dict[str, Any]) -> bytes:
    """As PostgreSQL writes a jsonb value back as text: spaced, keys by length then bytes."""

    def order(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: order(value[k]) for k in sorted(value, key=lambda k: (len(k), k))}
        if isinstance(value, list):
            return [order(v) for v in value]
        return value

    return json.dumps(order(data), separators=(", ", ": ")).encode()


def test_a_jobs_list_item_is_the_stored_job_without_active() -> None:
    jobs = [_job(i) for i in range(4)]
    items = _items("jpm.Jobs_GetList", [encode(j) for j in jobs])
    for job, item in zip(jobs, items, strict=True):
        assert "active" not in item
        assert list(item) == _declared("jpm.Jobs_GetList")
        assert item == {k: v for k, v in job.items() if k != "active"}


@pytest.mark.parametrize(
    "stored",
    [
        pytest.param(lambda j: encode({"active": j["active"], **j}), id="active-first"),
        pytest.param(_jsonb_text, id="postgres-jsonb-text"),
        pytest.param(lambda j: encode(j) + b"\n", id="trailing-space"),
    ],
)
def test_a_job_stored_in_another_form_still_loses_active(stored: Any) -> None:
    jobs = [_job(i) for i in range(3)]
    items = _items("jpm.Jobs_GetList", [stored(j) for j in jobs])
    for job, item in zip(jobs, items, strict=True):
        assert set(item) == set(_declared("jpm.Jobs_GetList"))
        assert item == {k: v for k, v in job.items() if k != "active"}


def test_text_that_looks_like_the_active_field_is_left_alone() -> None:
    tricky = ',"active":true}'
    job = _job(2, summary=tricky, customFields=[{"name": '","active":', "value": tricky}])
    (item,) = _items("jpm.Jobs_GetList", [encode(job)])
    assert "active" not in item
    assert item["summary"] == tricky
    assert item["customFields"] == job["customFields"]


def test_a_field_its_operation_types_otherwise_is_reshaped() -> None:
    # telecom's call export declares ``type`` as a string where the stored call has an object.
    op = operation("telecom.Export_Calls")
    coll = CATALOG.collection(op)
    item = CATALOG.item_schema(op)
    assert item is not None
    stored = fill_record(MANIFEST, coll, {"id": 5, "type": {"id": 1, "name": "Inbound"}})
    (got,) = _items("telecom.Export_Calls", [encode(stored)])
    assert list(got) == _declared("telecom.Export_Calls")
    assert got == shape(MANIFEST, item, stored)


def test_a_job_stored_without_active_keeps_its_last_field_whole() -> None:
    # A record kept from a snapshot file as it was written (no ``active``), whose last field
    # holds an object with a key of that name: the end of the record is not the field.
    job = _job(3)
    del job["active"]
    fields = [{"name": "Zone", "value": "2", "active": True}]
    del job["customFields"]
    stored = encode({**job, "customFields": fields})
    (item,) = _items("jpm.Jobs_GetList", [stored])
    assert "active" not in item
    assert item["customFields"] == fields
    assert item["summary"] == job["summary"]
