"""Referential integrity: a field that names another record must name one of this tenant's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from localtitan.errors import ApiError
from localtitan.store.record_ids import missing_records

if TYPE_CHECKING:
    from localtitan.handling.call import Call
    from localtitan.handling.catalog import Catalog

__all__ = ["REFERENCES", "check_references"]

# Field -> the kind it names. Only top-level fields of a request body are checked.
REFERENCES: dict[str, str] = {
    "customerId": "crm:customers",
    "locationId": "crm:locations",
    "jobId": "jpm:jobs",
    "projectId": "jpm:projects",
    "appointmentId": "jpm:appointments",
    "jobTypeId": "jpm:job-types",
    "businessUnitId": "settings:business-units",
    "technicianId": "settings:technicians",
    "employeeId": "settings:employees",
    "campaignId": "marketing:campaigns",
    "invoiceId": "accounting:invoices",
    "vendorId": "inventory:vendors",
    "warehouseId": "inventory:warehouses",
    "truckId": "inventory:trucks",
    "membershipTypeId": "memberships:membership-types",
    "zoneId": "dispatch:zones",
    "teamId": "dispatch:teams",
}

_LABELS = {
    "crm:customers": "Customer",
    "crm:locations": "Location",
    "jpm:jobs": "Job",
    "jpm:projects": "Project",
    "jpm:appointments": "Appointment",
    "jpm:job-types": "Job type",
    "settings:business-units": "Business unit",
    "settings:technicians": "Technician",
    "settings:employees": "Employee",
    "marketing:campaigns": "Campaign",
    "accounting:invoices": "Invoice",
    "inventory:vendors": "Vendor",
    "inventory:warehouses": "Warehouse",
    "inventory:trucks": "Truck",
    "memberships:membership-types": "Membership type",
    "dispatch:zones": "Zone",
    "dispatch:teams": "Team",
}


async def check_references(call: Call, catalog: Catalog, body: Mapping[str, Any]) -> None:
    """400 naming every field whose id is not a live record of this tenant and environment."""
    wanted: dict[str, tuple[str, int]] = {}
    for field, kind in REFERENCES.items():
        value = body.get(field)
        if isinstance(value, bool) or not isinstance(value, int):
            continue
        if kind not in catalog.collections:
            continue
        wanted[field] = (kind, value)
    if not wanted:
        return
    async with call.runtime.db.read() as conn:
        missing = await missing_records(conn, call.environment.value, call.tenant_id, wanted)
    errors: dict[str, list[str]] = {}
    for field in missing:
        kind, value = wanted[field]
        errors[field] = [f"{_LABELS.get(kind, kind)} with ID {value} was not found."]
    if errors:
        raise ApiError(400, "One or more validation errors occurred.", errors=errors)
