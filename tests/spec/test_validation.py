"""Request validation in ASP.NET Core model-binding style."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from localtitan.errors import ApiError
from localtitan.spec import (
    Manifest,
    RequestValidationError,
    UnsupportedMediaTypeError,
    ValidatedRequest,
    load_manifest,
    validate_request,
)
from localtitan.spec._scalars import parse_duration

JSON = "application/json"
ADDRESS = {"street": "1 Main", "city": "Town", "state": "CA", "zip": "90001", "country": "US"}
CUSTOMER = {
    "name": "Ada",
    "locations": [
        {
            "name": "Home",
            "address": ADDRESS,
        }
    ],
    "address": ADDRESS,
}
JOB = {
    "customerId": 1,
    "locationId": 2,
    "businessUnitId": 3,
    "jobTypeId": 4,
    "priority": "Normal",
    "campaignId": 5,
    "appointments": [{"start": "2024-01-01T10:00:00Z", "end": "2024-01-01T12:00:00Z"}],
}


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    return load_manifest()


def run(
    manifest: Manifest,
    op_id: str,
    query: list[tuple[str, str]] | None = None,
    body: Any = None,
    *,
    path: dict[str, str] | None = None,
    content_type: str | None = JSON,
    max_ids: int = 50,
) -> ValidatedRequest:
    raw = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
    return validate_request(
        manifest,
        manifest.by_id[op_id],
        path if path is not None else {"tenant": "1"},
        query or [],
        raw,
        content_type,
        max_ids=max_ids,
    )


def errors_of(manifest: Manifest, op_id: str, *args: Any, **kwargs: Any) -> dict[str, list[str]]:
    with pytest.raises(RequestValidationError) as info:
        run(manifest, op_id, *args, **kwargs)
    assert info.value.status == 400
    assert info.value.title == "One or more validation errors occurred."
    return info.value.errors


# -- path and query ---------------------------------------------------------------------


def test_query_values_are_converted(manifest: Manifest) -> None:
    result = run(
        manifest,
        "crm.Customers_GetList",
        [
            ("PAGE", "2"),
            ("pageSize", " 10 "),
            ("includeTotal", "True"),
            ("createdBefore", "2024-01-01"),
            ("modifiedOnOrAfter", "2024-01-01T10:00:00+02:00"),
            ("latitude", "33.5"),
            ("active", "any"),
            ("name", "Ada"),
            ("unknownThing", "whatever"),
        ],
    )
    assert result.path == {"tenant": 1}
    assert result.query == {
        "page": 2,
        "pageSize": 10,
        "includeTotal": True,
        "createdBefore": datetime(2024, 1, 1, tzinfo=UTC),
        "modifiedOnOrAfter": datetime(2024, 1, 1, 8, tzinfo=UTC),
        "latitude": 33.5,
        "active": "Any",
        "name": "Ada",
    }
    assert result.body is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("page", "abc"),
        ("page", "2147483648"),
        ("page", "1.5"),
        ("includeTotal", "yes"),
        ("createdBefore", "yesterday"),
        ("createdBefore", "2024-13-01"),
        ("latitude", "north"),
        ("active", "sometimes"),
    ],
)
def test_bad_query_values(manifest: Manifest, name: str, value: str) -> None:
    errors = errors_of(manifest, "crm.Customers_GetList", [(name, value)])
    assert errors == {name: [f"The value '{value}' is not valid."]}


def test_int_ranges_and_first_value_wins(manifest: Manifest) -> None:
    ok = run(manifest, "crm.Customers_GetList", [("page", "2147483647"), ("page", "x")])
    assert ok.query["page"] == 2147483647
    big = run(manifest, "crm.Customers_Get", path={"tenant": "1", "id": str(2**63 - 1)})
    assert big.path["id"] == 2**63 - 1
    errors = errors_of(manifest, "crm.Customers_Get", path={"tenant": "1", "id": str(2**63)})
    assert errors == {"id": [f"The value '{2**63}' is not valid."]}


def test_datetime_forms(manifest: Manifest) -> None:
    cases = {
        "2024-01-01": datetime(2024, 1, 1, tzinfo=UTC),
        "2024-01-01T10:30:00": datetime(2024, 1, 1, 10, 30, tzinfo=UTC),
        "2024-01-01T10:30:00Z": datetime(2024, 1, 1, 10, 30, tzinfo=UTC),
        # A 100 ns tick past a microsecond rounds up, so ``Before``/``OnOrAfter`` stay exact.
        "2024-01-01T10:30:00.1234567-05:00": datetime(2024, 1, 1, 15, 30, 0, 123457, UTC),
        "2024-01-01T10:30:00.1234560Z": datetime(2024, 1, 1, 10, 30, 0, 123456, UTC),
        "2024-01-01 10:30": datetime(2024, 1, 1, 10, 30, tzinfo=UTC),
        "1/15/2024": datetime(2024, 1, 15, tzinfo=UTC),
    }
    for text, expected in cases.items():
        result = run(manifest, "crm.Customers_GetList", [("createdBefore", text)])
        assert result.query["createdBefore"] == expected, text


def test_date_format(manifest: Manifest) -> None:
    result = run(
        manifest,
        "accounting.CreditMemos_GetCreditMemosList",
        [("dateBefore", "2024-02-29"), ("dateOnOrAfter", "2024-01-01T23:00:00")],
    )
    assert result.query == {"dateBefore": date(2024, 2, 29), "dateOnOrAfter": date(2024, 1, 1)}


def test_guid_path_parameter(manifest: Manifest) -> None:
    guid = "3F2504E0-4F89-11D3-9A0C-0305E82C3301"
    result = run(manifest, "crm.Contacts_Get", path={"tenant": "1", "id": guid})
    assert result.path["id"] == guid.lower()
    errors = errors_of(manifest, "crm.Contacts_Get", path={"tenant": "1", "id": "nope"})
    assert errors == {"id": ["The value 'nope' is not valid."]}


def test_required_query_parameters(manifest: Manifest) -> None:
    errors = errors_of(manifest, "marketing.CampaignCostSummary_Get", [("from", "2024-01-01")])
    assert errors == {"to": ["The To field is required."]}
    errors = errors_of(manifest, "dispatch.TechnicianTracking_Get", [("technicianId", "")])
    assert errors == {
        "technicianId": ["The value '' is invalid."],
        "appointmentId": ["The AppointmentId field is required."],
    }


def test_blank_optional_value_is_absent(manifest: Manifest) -> None:
    assert run(manifest, "crm.Customers_GetList", [("page", "")]).query == {}


def test_array_query_parameters(manifest: Manifest) -> None:
    result = run(manifest, "telecom.Calls_GetCalls", [("ids", "1, 2"), ("IDS", "3"), ("ids", "")])
    assert result.query["ids"] == [1, 2, 3]
    errors = errors_of(manifest, "telecom.Calls_GetCalls", [("ids", "1,x,3")])
    assert errors == {"ids": ["The value 'x' is not valid."]}


def test_ids_limit(manifest: Manifest) -> None:
    many = ",".join(str(i) for i in range(1, 52))
    message = "The field Ids must be a string or array type with a maximum length of '50'."
    assert errors_of(manifest, "telecom.Calls_GetCalls", [("ids", many)]) == {"ids": [message]}
    # ``ids`` documented as a comma-separated string: counted, value kept as sent.
    assert errors_of(manifest, "crm.Customers_GetList", [("ids", many)]) == {"ids": [message]}
    fifty = ",".join(str(i) for i in range(1, 51))
    assert run(manifest, "crm.Customers_GetList", [("ids", fifty)]).query["ids"] == fifty
    small = errors_of(manifest, "telecom.Calls_GetCalls", [("ids", "1,2,3")], max_ids=2)
    assert "maximum length of '2'" in small["ids"][0]


def test_max_items_from_spec(manifest: Manifest) -> None:
    statuses = ",".join(["Open"] * 51)
    errors = errors_of(manifest, "accounting.JournalEntries_GetList", [("statuses", statuses)])
    assert list(errors) == ["statuses"]


def test_enum_array_query(manifest: Manifest) -> None:
    result = run(manifest, "accounting.JournalEntries_GetList", [("statuses", "open,CLOSED")])
    assert result.query["statuses"] == ["Open", "Closed"]


def test_query_string_constraints(manifest: Manifest) -> None:
    errors = errors_of(manifest, "pricebook.Services_GetList", [("searchText", "a")])
    assert errors == {
        "searchText": [
            "The field SearchText must be a string with a minimum length of 2 and a maximum "
            "length of 200."
        ]
    }
    errors = errors_of(
        manifest,
        "reporting.ReportCategoryReports_GetData",
        [("pageSize", "0")],
        path={"tenant": "1", "report_category": "x", "reportId": "1"},
        body={"parameters": []},
    )
    assert errors == {"pageSize": ["The field PageSize must be between 1 and 25000."]}


def test_dictionary_query_binding(manifest: Manifest) -> None:
    result = run(manifest, "accounting.Invoices_GetList", [("customField.Fields[Color]", "Red")])
    assert result.query["customField.Fields"] == {"Color": "Red"}


def test_indexed_object_query_binding(manifest: Manifest) -> None:
    op = "memberships.LocationRecurringServiceEvents_GetList"
    result = run(manifest, op, [("sort[0].field", "createdon"), ("sort[0].isDescending", "true")])
    assert result.query["sort"] == [{"field": "CreatedOn", "isDescending": True}]
    errors = errors_of(manifest, op, [("sort[0].field", "Id")])
    assert errors == {"sort[0].isDescending": ["The IsDescending field is required."]}


def test_default_is_applied(manifest: Manifest) -> None:
    result = run(manifest, "pricebook.Services_Get", path={"tenant": "1", "id": "3"})
    assert result.query == {"calculatePrices": False}


# -- JSON body --------------------------------------------------------------------------


def test_valid_body_is_converted(manifest: Manifest) -> None:
    body = dict(CUSTOMER, Type="residential", creditLimit="12.50", unknownField=[1, 2])
    result = run(manifest, "crm.Customers_Create", body=body)
    assert result.body["type"] == "Residential"
    assert result.body["creditLimit"] == Decimal("12.50")
    assert "unknownField" not in result.body
    assert "Type" not in result.body


def test_required_fields(manifest: Manifest) -> None:
    errors = errors_of(manifest, "crm.Customers_Create", body={"name": "Ada"})
    assert errors == {
        "locations": ["The Locations field is required."],
        "address": ["The Address field is required."],
    }


def test_nested_paths(manifest: Manifest) -> None:
    body = json.loads(json.dumps(CUSTOMER))
    del body["locations"][0]["address"]["zip"]
    body["locations"][0]["address"]["street"] = None
    errors = errors_of(manifest, "crm.Customers_Create", body=body)
    assert errors == {
        "locations[0].address.street": ["The Street field is required."],
        "locations[0].address.zip": ["The Zip field is required."],
    }


def test_type_error_uses_the_readers_path(manifest: Manifest) -> None:
    raw = json.dumps(dict(JOB, customerId="abc")).encode()
    errors = errors_of(manifest, "jpm.Jobs_Create", body=raw)
    position = raw.index(b'"abc"') + len('"abc"')
    assert errors == {
        "customerId": [
            "Error converting value \"abc\" to type 'System.Int64'. "
            f"Path 'customerId', line 1, position {position}."
        ]
    }
    bad_item = dict(JOB, appointments=[{"start": "soon", "end": "2024-01-01"}])
    errors = errors_of(manifest, "jpm.Jobs_Create", body=bad_item)
    assert list(errors) == ["appointments[0].start"]
    assert errors["appointments[0].start"][0].startswith(
        "Could not convert string to DateTime: soon. Path 'appointments[0].start', line 1,"
    )


def test_json_numbers_convert_as_newtonsoft_does(manifest: Manifest) -> None:
    # Int64: a numeric string, a boolean (1/0), a float rounded half to even.
    for sent, read in (("12", 12), (" 12 ", 12), (True, 1), (2.5, 2), (3.5, 4), ("+7", 7)):
        body = run(manifest, "jpm.Jobs_Create", body=dict(JOB, customerId=sent)).body
        assert body["customerId"] == read, sent
    for bad in (2**63, "1.0", "x", ""):
        errors = errors_of(manifest, "jpm.Jobs_Create", body=dict(JOB, customerId=bad))
        assert list(errors) == ["customerId"], bad
        assert errors["customerId"][0].startswith("Error converting value "), bad


def test_nulls(manifest: Manifest) -> None:
    value_type = errors_of(manifest, "jpm.Jobs_Create", body=dict(JOB, businessUnitId=None))
    assert list(value_type) == ["businessUnitId"]
    assert value_type["businessUnitId"][0].startswith(
        "Error converting value {null} to type 'System.Int64'. Path 'businessUnitId', line 1,"
    )
    reference = errors_of(manifest, "jpm.Jobs_Create", body=dict(JOB, priority=None))
    assert reference == {"priority": ["The Priority field is required."]}
    ok = run(manifest, "jpm.Jobs_Create", body=dict(JOB, projectId=None, summary=None))
    assert ok.body["projectId"] is None and ok.body["summary"] is None
    # "" is null to Newtonsoft for a nullable target.
    assert run(manifest, "jpm.Jobs_Create", body=dict(JOB, projectId="")).body["projectId"] is None
    nullable_bad = errors_of(manifest, "jpm.Jobs_Create", body=dict(JOB, projectId="x"))
    assert nullable_bad["projectId"][0].startswith(
        "Error converting value \"x\" to type 'System.Nullable`1[System.Int64]'. "
        "Path 'projectId', line 1,"
    )


def test_empty_string_for_required_field(manifest: Manifest) -> None:
    errors = errors_of(manifest, "crm.Customers_Create", body=dict(CUSTOMER, name=""))
    assert errors == {"name": ["The Name field is required."]}


def test_enum_in_body(manifest: Manifest) -> None:
    errors = errors_of(manifest, "crm.Customers_Create", body=dict(CUSTOMER, type="Martian"))
    assert list(errors) == ["type"]
    # The enum converter names the enum, not its Nullable.
    assert errors["type"][0].startswith(
        "Error converting value \"Martian\" to type 'Crm.V2.CustomerType'. Path 'type', line 1,"
    )
    for sent, read in (("commercial", "Commercial"), (1, "Commercial"), ("0", "Residential")):
        body = run(manifest, "crm.Customers_Create", body=dict(CUSTOMER, type=sent)).body
        assert body["type"] == read, sent
    token = errors_of(manifest, "crm.Customers_Create", body=dict(CUSTOMER, type=True))
    assert token["type"][0].startswith("Unexpected token Boolean when parsing enum.")


def test_body_constraints(manifest: Manifest) -> None:
    markup = {"id": 1, "from": 0, "to": 10, "percent": 101}
    errors = errors_of(manifest, "pricebook.MaterialsMarkup_Create", body=markup)
    assert errors == {"percent": ["The field Percent must be between 0 and 100."]}
    tag = {"name": "VIP", "color": "red", "code": "x" * 21}
    errors = errors_of(manifest, "settings.TagTypes_Create", body=tag)
    assert errors == {
        "color": ["The field Color must match the regular expression '^#([0-9A-Fa-f]{6})$'."],
        "code": ["The field Code must be a string with a maximum length of 20."],
    }
    note = errors_of(
        manifest, "jpm.Projects_CreateNote", path={"tenant": "1", "id": "2"}, body={"text": ""}
    )
    assert note == {
        "text": [
            "The field Text must be a string or array type with a minimum length of '1'.",
            "The Text field is required.",
        ]
    }


def test_empty_and_null_body(manifest: Manifest) -> None:
    expected = {"": ["A non-empty request body is required."]}
    assert errors_of(manifest, "crm.Customers_Create", body=b"") == expected
    assert errors_of(manifest, "crm.Customers_Create", body=b"  \n") == expected
    assert errors_of(manifest, "crm.Customers_Create", body=b"null") == expected


@pytest.mark.parametrize(
    ("raw", "key", "message"),
    [
        (
            b'{"name": }',
            "name",
            "Unexpected character encountered while parsing value: }. "
            "Path 'name', line 1, position 10.",
        ),
        (b'{\n "name": "x",\n oops}', "name", "line 3, position 2."),
        (b'{"name": "x"', "name", "Unexpected end when deserializing object. Path 'name'"),
        (b'{"name": "x"} x', "", "Additional text found in JSON string after finishing"),
        (
            b'{"locations": [{"name": "x"}, {"name": }]}',
            "locations[1].name",
            "Path 'locations[1].name', line 1, position 40.",
        ),
        (b'{"a" 1}', "a", "Invalid character after parsing property name. Expected ':' but got: 1"),
        (b'{"n": NaN}', "$", "invalid start of a value"),
        (b'{"name": "\xff"}', "$", "invalid UTF-8"),
    ],
)
def test_malformed_json(manifest: Manifest, raw: bytes, key: str, message: str) -> None:
    """Newtonsoft's reader messages, keyed by its path; what localtitan refuses before
    reading (bytes that are no UTF-8, NaN) stays keyed ``$``."""
    errors = errors_of(manifest, "crm.Customers_Create", body=raw)
    assert list(errors) == [key]
    assert message in errors[key][0]


def test_wrong_root_type(manifest: Manifest) -> None:
    errors = errors_of(manifest, "crm.Customers_Create", body=[1])
    assert list(errors) == [""]
    assert errors[""][0].startswith(
        "Cannot deserialize the current JSON array (e.g. [1,2,3]) into type "
        "'Crm.V2.Customers.CreateCustomerRequest' because the type requires a JSON object"
    )
    assert errors[""][0].endswith("\nPath '', line 1, position 1.")


def test_depth_limit(manifest: Manifest) -> None:
    deep: Any = "x"
    for _ in range(64):
        deep = [deep]
    ok = dict(CUSTOMER, extra=deep[0])  # root object + 63 arrays = depth 64
    run(manifest, "crm.Customers_Create", body=ok)
    errors = errors_of(manifest, "crm.Customers_Create", body=dict(CUSTOMER, extra=deep))
    assert errors == {"$": [errors["$"][0]]}
    assert "maximum configured depth of 64" in errors["$"][0]
    very_deep = b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert "$" in errors_of(manifest, "crm.Customers_Create", body=very_deep)


def test_unsupported_media_type(manifest: Manifest) -> None:
    for content_type in ("text/plain", None, "application/x-www-form-urlencoded"):
        with pytest.raises(UnsupportedMediaTypeError) as info:
            run(manifest, "crm.Customers_Create", body=CUSTOMER, content_type=content_type)
        assert isinstance(info.value, ApiError) and info.value.status == 415
    for content_type in ("application/json; charset=utf-8", "text/json", "application/foo+json"):
        run(manifest, "crm.Customers_Create", body=CUSTOMER, content_type=content_type)
    # No body declared: content type and body are ignored.
    run(manifest, "crm.Customers_GetList", body=b"junk", content_type="text/plain")


def test_query_and_body_errors_combine(manifest: Manifest) -> None:
    errors = errors_of(
        manifest,
        "crm.Customers_Create",
        body={"name": "Ada"},
        path={"tenant": "abc"},
    )
    assert errors["tenant"] == ["The value 'abc' is not valid."]
    assert "address" in errors


def test_array_body(manifest: Manifest) -> None:
    op = "accounting.Invoices_MarkAsExported"
    result = run(manifest, op, body=[{"invoiceId": "5", "externalId": "x", "externalMessage": "m"}])
    assert result.body[0]["invoiceId"] == 5
    errors = errors_of(manifest, op, body=[{"invoiceId": "five"}])
    assert list(errors) == ["[0].invoiceId"]


def test_validators_are_compiled_once(manifest: Manifest) -> None:
    run(manifest, "crm.Customers_Create", body=CUSTOMER)
    compiled = manifest.cache["validators"]["crm.Customers_Create"]
    run(manifest, "crm.Customers_Create", body=CUSTOMER)
    assert manifest.cache["validators"]["crm.Customers_Create"] is compiled


def test_every_operation_compiles(manifest: Manifest) -> None:
    for op in manifest.operations:
        path = {p.name: "1" for p in op.parameters if p.location == "path"}
        with contextlib.suppress(RequestValidationError):
            validate_request(manifest, op, path, [], b"{}", JSON)


def test_duration_parser() -> None:
    assert parse_duration("01:30:00") == timedelta(hours=1, minutes=30)
    assert parse_duration("1.02:00:00.5") == timedelta(days=1, hours=2, microseconds=500000)
    assert parse_duration("-00:15") == -timedelta(minutes=15)
    with pytest.raises(ValueError):
        parse_duration("25:00:00")
