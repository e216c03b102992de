"""Routing request paths to manifest operations."""

from __future__ import annotations

import re
import time

import pytest

from localtitan.spec import Manifest, Router, load_manifest, router_for


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    return load_manifest()


@pytest.fixture(scope="module")
def router(manifest: Manifest) -> Router:
    return router_for(manifest)


def _op_id(router: Router, method: str, path: str) -> str | None:
    found = router.match(method, path)
    return found.operation.id if found else None


def test_literal_beats_parameter(router: Router) -> None:
    found = router.match("GET", "/crm/v2/tenant/7/customers/contacts")
    assert found is not None
    assert found.operation.id == "crm.Customers_GetModifiedContactsList"
    assert found.path_params == {"tenant": "7"}
    found = router.match("GET", "/crm/v2/tenant/7/customers/42")
    assert found is not None
    assert found.operation.id == "crm.Customers_Get"
    assert found.path_params == {"tenant": "7", "id": "42"}


def test_backtracks_into_parameter_branch(router: Router) -> None:
    # ``customers/contacts`` has no deeper ``notes``, so ``contacts`` binds to ``{id}``.
    found = router.match("GET", "/crm/v2/tenant/7/customers/contacts/notes")
    assert found is not None
    assert found.operation.id == "crm.Customers_GetNotes"
    assert found.path_params == {"tenant": "7", "id": "contacts"}
    # Literal route has GET only; PATCH falls back to ``customers/{id}`` like ASP.NET.
    found = router.match("PATCH", "/crm/v2/tenant/7/customers/contacts")
    assert found is not None
    assert found.operation.id == "crm.Customers_Update"
    assert found.path_params["id"] == "contacts"


def test_telecom_versions(router: Router) -> None:
    assert _op_id(router, "GET", "/telecom/v3/tenant/1/calls") == "telecom.Calls_Calls"
    assert _op_id(router, "GET", "/telecom/v2/tenant/1/calls") == "telecom.Calls_GetCalls"
    assert _op_id(router, "GET", "/telecom/v3/tenant/1/calls/5") is None
    assert _op_id(router, "GET", "/telecom/v2/tenant/1/calls/5") == "telecom.Calls_GetDetails"


def test_method_not_allowed(router: Router) -> None:
    path = "/crm/v2/tenant/1/customers"
    assert router.match("DELETE", path) is None
    assert router.allowed_methods(path) == ["GET", "POST"]
    item = "/crm/v2/tenant/1/customers/5"
    assert router.allowed_methods(item) == ["GET", "PATCH"]
    # Both templates match ``customers/contacts``: GET (literal) and GET/PATCH (parameter).
    assert router.allowed_methods("/crm/v2/tenant/1/customers/contacts") == ["GET", "PATCH"]


def test_not_found(router: Router) -> None:
    for path in (
        "/crm/v2/tenant/1/nothing",
        "/crm/v9/tenant/1/customers",
        "/crm/v2/tenant//customers",
        "crm/v2/tenant/1/customers",
        "/",
        "",
    ):
        assert router.match("GET", path) is None, path
        assert router.allowed_methods(path) == [], path


def test_case_insensitive_literals_and_trailing_slash(router: Router) -> None:
    found = router.match("get", "/CRM/V2/Tenant/1/Customers/AbC/")
    assert found is not None
    assert found.operation.id == "crm.Customers_Get"
    assert found.path_params == {"tenant": "1", "id": "AbC"}


def test_every_operation_routes_to_itself(manifest: Manifest, router: Router) -> None:
    for op in manifest.operations:
        numbers = iter(range(1, 100))
        filled = re.sub(r"\{[^}]+\}", lambda _, n=numbers: str(next(n)), op.path)
        found = router.match(op.method, filled)
        assert found is not None, op.id
        assert found.operation is op, (op.id, found.operation.id)
        names = re.findall(r"\{([^}]+)\}", op.path)
        assert list(found.path_params) == names
        declared = {p.name for p in op.parameters if p.location == "path"}
        assert set(names) == declared, op.id


def test_duplicate_route_is_rejected(manifest: Manifest) -> None:
    op = manifest.by_id["crm.Customers_Get"]
    with pytest.raises(ValueError, match="both route GET"):
        Router([op, op])


def test_router_is_cached(manifest: Manifest) -> None:
    assert router_for(manifest) is router_for(manifest)


def test_matching_is_fast(router: Router) -> None:
    paths = [
        ("GET", "/crm/v2/tenant/123/customers/5/notes"),
        ("GET", "/jpm/v2/tenant/123/jobs"),
        ("PUT", "/jpm/v2/tenant/123/appointments/9/hold"),
        ("GET", "/telecom/v3/tenant/123/calls"),
    ]
    start = time.perf_counter()
    for _ in range(5000):
        for method, path in paths:
            assert router.match(method, path) is not None
    # 20k matches; generous bound that a linear regex scan over 559 templates would miss.
    assert time.perf_counter() - start < 2.0
