"""Input bounds: every string, list and body has a limit, refused with 400 naming the field.

The unit tests bind requests directly; the last ones go through the app on both backends to
show that a refused value is never stored and that a huge body costs no parsing.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from conftest import Creds
from localtitan.app import LocalTitan
from localtitan.spec import Manifest, RequestValidationError, load_manifest, validate_request
from localtitan.spec.bounds import (
    MAX_ITEMS,
    MAX_JSON_BODY_BYTES,
    MAX_NAME_LENGTH,
    MAX_TEXT_LENGTH,
    default_max_length,
)

JSON = "application/json"
ADDRESS = {"street": "1 Main", "city": "Town", "state": "CA", "zip": "90001", "country": "US"}


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    return load_manifest()


def _errors(manifest: Manifest, op_id: str, body: Any = None, **kw: Any) -> dict[str, list[str]]:
    op = manifest.by_id[op_id]
    raw = None if body is None else json.dumps(body).encode()
    try:
        validate_request(
            manifest,
            op,
            kw.get("path", {"tenant": "1"}),
            kw.get("query", []),
            raw,
            JSON,
        )
    except RequestValidationError as exc:
        return exc.errors
    return {}


def _customer(**changes: Any) -> dict[str, Any]:
    body = {"name": "Ada", "address": ADDRESS, "locations": [{"name": "Home", "address": ADDRESS}]}
    body.update(changes)
    return body


def test_the_rule_for_fields_without_a_declared_length() -> None:
    for name in ("name", "firstName", "code", "jobNumber", "externalId", "email", "zip", "names"):
        assert default_max_length(name, None) == MAX_NAME_LENGTH, name
    for name in ("memo", "summary", "description", "street", "ids", "jobIds", None):
        assert default_max_length(name, None) == MAX_TEXT_LENGTH, name
    assert default_max_length("memo", "date-time") == MAX_NAME_LENGTH
    assert default_max_length("file", "binary") is None


def test_a_name_past_its_limit_is_refused_naming_the_field(manifest: Manifest) -> None:
    assert _errors(manifest, "crm.Customers_Create", _customer(name="a" * MAX_NAME_LENGTH)) == {}
    errors = _errors(manifest, "crm.Customers_Create", _customer(name="a" * 256))
    assert errors == {"name": ["The field Name must be a string with a maximum length of 255."]}


def test_nested_free_text_gets_the_text_limit(manifest: Manifest) -> None:
    address = {**ADDRESS, "street": "s" * (MAX_TEXT_LENGTH + 1)}
    errors = _errors(manifest, "crm.Customers_Create", _customer(address=address))
    assert list(errors) == ["address.street"]
    assert "4000" in errors["address.street"][0]


def test_a_declared_max_length_wins(manifest: Manifest) -> None:
    # Find a request string whose schema declares its own maxLength and check it is kept.
    found = None
    for op in manifest.operations:
        if op.request_body is None or op.method != "POST":
            continue
        props = manifest.resolve(op.request_body.get("schema") or {}).get("properties") or {}
        for name, sub in props.items():
            if isinstance(sub, dict) and "maxLength" in sub and "string" in (sub.get("type") or []):
                found = (op, name, sub["maxLength"])
                break
        if found:
            break
    assert found is not None
    op, name, limit = found
    errors = _errors(manifest, op.id, {name: "x" * (limit + 1)})
    assert any(key == name for key in errors), errors
    assert any(str(limit) in m for m in errors[name])


def test_lists_have_a_maximum_length(manifest: Manifest) -> None:
    contacts = [{"type": "Email", "value": "a@b.c"}] * (MAX_ITEMS + 1)
    errors = _errors(manifest, "crm.Customers_Create", _customer(contacts=contacts))
    assert errors == {
        "contacts": [
            "The field Contacts must be a string or array type with a maximum length of '1000'."
        ]
    }


def test_query_text_is_bounded(manifest: Manifest) -> None:
    query = [("name", "n" * 300)]
    errors = _errors(manifest, "crm.Customers_GetList", query=query)
    assert list(errors) == ["name"]


def test_open_values_are_bounded_too(manifest: Manifest) -> None:
    """Values the schema leaves open (free-form objects) still get text and list limits."""
    op = next(
        o
        for o in manifest.operations
        if o.id == "reporting.ReportCategoryReports_GetData" and o.request_body is not None
    )
    body = {"parameters": [{"name": "From", "value": "v" * (MAX_TEXT_LENGTH + 1)}]}
    errors = _errors(
        manifest, op.id, body, path={"tenant": "1", "report_category": "x", "reportId": "1"}
    )
    assert errors, "an over-long value inside an open value must be refused"


async def test_an_over_long_name_is_refused_and_not_stored(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    headers = await creds.headers(client)
    url = creds.api("/crm/v2/tenant/{tenant}/customers")
    r = await client.post(url, headers=headers, json=_customer(name="a" * 100_000))
    assert r.status_code == 400, r.text
    assert list(r.json()["errors"]) == ["name"]
    listed = await client.get(url, headers=headers)
    assert listed.json()["data"] == []


async def test_a_24_mb_name_is_refused_at_once(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    headers = await creds.headers(client)
    url = creds.api("/crm/v2/tenant/{tenant}/customers")
    body = json.dumps(_customer(name="a" * (24 * 1024 * 1024))).encode()
    assert len(body) > MAX_JSON_BODY_BYTES
    started = time.monotonic()
    r = await client.post(url, headers={**headers, "Content-Type": JSON}, content=body)
    elapsed = time.monotonic() - started
    assert r.status_code == 413, r.text
    assert r.json()["title"].startswith("The request body is larger than 8 MB")
    assert elapsed < 1.0  # refused from Content-Length, without reading or parsing it
    listed = await client.get(url, headers=headers)
    assert listed.json()["data"] == []
