"""What generic handlers (``localtitan.engine``) and behaviours (``localtitan.domain``) share:
the call and its result, the catalog of collections, response shaping, the answers and
refusals, and the unit of work. It imports neither of them."""

from localtitan.handling.call import Call, Handler, Result
from localtitan.handling.responses import (
    bad_request,
    catalog,
    conflict,
    empty,
    json_result,
    not_found,
    respond,
)
from localtitan.handling.table import Handlers
from localtitan.handling.unit import Tx, ids_of, reading, transaction, writing

__all__ = [
    "Call",
    "Handler",
    "Handlers",
    "Result",
    "Tx",
    "bad_request",
    "catalog",
    "conflict",
    "empty",
    "ids_of",
    "json_result",
    "not_found",
    "reading",
    "respond",
    "transaction",
    "writing",
]
