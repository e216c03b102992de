"""Answers and refusals every handler gives: a 400 naming a field, a 404 naming the record, a
409, a JSON body, an empty success, and data shaped to the operation's declared response."""

from __future__ import annotations

from typing import Any

from localtitan.errors import ApiError
from localtitan.handling.call import Call, Result
from localtitan.handling.catalog import Catalog, catalog_for, response_schema
from localtitan.handling.filled import Filled, filled_shaper
from localtitan.handling.shapers import shapers_for
from localtitan.store.records import encode

__all__ = [
    "bad_request",
    "catalog",
    "conflict",
    "empty",
    "json_result",
    "not_found",
    "respond",
]


def catalog(call: Call) -> Catalog:
    return catalog_for(call.runtime.manifest)


def bad_request(field: str, message: str) -> ApiError:
    return ApiError(400, "One or more validation errors occurred.", errors={field: [message]})


def not_found(what: str, ident: Any) -> ApiError:
    return ApiError(404, f"{what} with ID {ident} was not found.", data={"id": str(ident)})


def conflict(message: str) -> ApiError:
    return ApiError(409, message)


def json_result(data: Any, status: int = 200) -> Result:
    return Result(status=status, body=encode(data))


def empty(call: Call) -> Result:
    code = next((c for c in ("200", "201", "204") if c in call.operation.responses), "200")
    return Result(status=int(code), body=b"")


def respond(call: Call, data: Any, filled: Filled | None = None) -> Result:
    """``data`` shaped to the operation's declared success response (or an empty body).
    ``filled`` says which of its fields are records' data as ``Tx.create`` filled them, and
    not changed since: the same answer, without shaping those again (``handling/filled.py``)."""
    schema = response_schema(call.operation)
    code = next((c for c in ("200", "201") if c in call.operation.responses), "200")
    if schema is None:
        return Result(status=int(code), body=b"")
    shapers = shapers_for(call.runtime.manifest)
    if filled is not None:
        return json_result(filled_shaper(shapers, schema, filled)(data), int(code))
    return json_result(shapers.shape(schema, data), int(code))
