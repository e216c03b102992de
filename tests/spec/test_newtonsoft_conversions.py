"""Body values converted as Newtonsoft.Json converts them, ServiceTitan's input formatter
(decision 0120): what it takes in another JSON type, and what it refuses, with its message."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from localtitan.spec import (
    Manifest,
    RequestValidationError,
    ValidatedRequest,
    load_manifest,
    validate_request,
)

CAPACITY = "dispatch.Capacity_GetList"
WINDOW = {
    "startsOnOrAfter": "2024-01-01T00:00:00Z",
    "endsOnOrBefore": "2024-01-02T00:00:00Z",
    "skillBasedAvailability": False,
}
TAG = {"name": "VIP", "color": "#FF0000"}
MARKUP = {"id": 1, "from": 0, "to": 10, "percent": 5}


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    return load_manifest()


def run(manifest: Manifest, op_id: str, body: Any) -> ValidatedRequest:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    path = {p.name: "1" for p in manifest.by_id[op_id].parameters if p.location == "path"}
    return validate_request(manifest, manifest.by_id[op_id], path, [], raw, "application/json")


def errors_of(manifest: Manifest, op_id: str, body: Any) -> dict[str, list[str]]:
    with pytest.raises(RequestValidationError) as info:
        run(manifest, op_id, body)
    return info.value.errors


def test_string_booleans_are_booleans(manifest: Manifest) -> None:
    """The data-sync connector's ``"skillBasedAvailability": "false"``."""
    for sent, read in (("false", False), ("True", True), (" true ", True), (0, False), (2, True)):
        body = run(manifest, CAPACITY, dict(WINDOW, skillBasedAvailability=sent)).body
        assert body["skillBasedAvailability"] is read, sent
    raw = json.dumps(dict(WINDOW, skillBasedAvailability="nope")).encode()
    position = raw.index(b'"nope"') + len('"nope"')
    assert errors_of(manifest, CAPACITY, raw) == {
        "skillBasedAvailability": [
            "Could not convert string to boolean: nope. "
            f"Path 'skillBasedAvailability', line 1, position {position}."
        ]
    }
    error = errors_of(manifest, CAPACITY, dict(WINDOW, skillBasedAvailability={}))
    assert error["skillBasedAvailability"][0].startswith(
        "Unexpected character encountered while parsing value: {. "
        "Path 'skillBasedAvailability', line 1,"
    )


def test_numbers_and_strings_in_each_others_place(manifest: Manifest) -> None:
    # A number or boolean where a string is declared is its text.
    tag = run(manifest, "settings.TagTypes_Create", dict(TAG, name=42, code=True)).body
    assert tag["name"] == "42" and tag["code"] == "true"
    # A decimal from a string, thousands separators and exponents included.
    for sent, read in (("12.5", Decimal("12.5")), ("1,000.25", Decimal("1000.25")), ("1e2", 100)):
        body = run(manifest, "pricebook.MaterialsMarkup_Create", dict(MARKUP, to=sent)).body
        assert body["to"] == read, sent
    error = errors_of(manifest, "pricebook.MaterialsMarkup_Create", dict(MARKUP, to="ten"))
    assert error["to"][0].startswith("Could not convert string to decimal: ten. Path 'to', line 1,")
    # Int32 takes a string but no fraction (the other errors are the operation's own).
    sync = "accounting.JournalEntries_SyncUpdate"
    assert "versionId" not in errors_of(manifest, sync, {"versionId": "3"})
    error = errors_of(manifest, sync, {"versionId": 1.5})
    assert error["versionId"][0].startswith(
        "Input string '1.5' is not a valid integer. Path 'versionId', line 1, position 17."
    )


def test_every_bad_value_is_reported_and_no_attribute_runs(manifest: Manifest) -> None:
    body = b'{\n  "name": {},\n  "color": "red",\n  "isVisibleOnDispatchBoard": "maybe"\n}'
    errors = errors_of(manifest, "settings.TagTypes_Create", body)
    # ``color`` breaks only its pattern attribute, which does not run once a value failed.
    assert errors == {
        "name": [
            "Unexpected character encountered while parsing value: {. "
            "Path 'name', line 2, position 11."
        ],
        "isVisibleOnDispatchBoard": [
            "Could not convert string to boolean: maybe. "
            "Path 'isVisibleOnDispatchBoard', line 4, position 37."
        ],
    }
    # Without the conversion failures the attribute errors are reported.
    fine = errors_of(manifest, "settings.TagTypes_Create", dict(TAG, color="red"))
    assert list(fine) == ["color"]


def test_lists_and_dates(manifest: Manifest) -> None:
    body = run(manifest, CAPACITY, dict(WINDOW, businessUnitIds=["3", 4, True])).body
    assert body["businessUnitIds"] == [3, 4, 1]
    error = errors_of(manifest, CAPACITY, dict(WINDOW, businessUnitIds="3"))
    assert error["businessUnitIds"][0].startswith(
        "Error converting value \"3\" to type 'System.Collections.Generic.List`1[System.Int64]'."
    )
    error = errors_of(manifest, CAPACITY, dict(WINDOW, businessUnitIds=[1, "x"]))
    assert list(error) == ["businessUnitIds[1]"]
    # DateTime.TryParse (invariant culture) takes more than ISO; a number is no date.
    loose = run(manifest, CAPACITY, dict(WINDOW, startsOnOrAfter="01/02/2024 10:00")).body
    assert loose["startsOnOrAfter"].isoformat() == "2024-01-02T10:00:00+00:00"
    error = errors_of(manifest, CAPACITY, dict(WINDOW, startsOnOrAfter=20240101))
    assert error["startsOnOrAfter"][0].startswith(
        "Unexpected character encountered while parsing value: 2. Path 'startsOnOrAfter'"
    )
