"""What the demo tests share: which kind every id field points at, a walker that checks every
id in a set of records resolves, and a small seeded tenant cached per backend."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from localtitan.handling.catalog import catalog_for
from localtitan.spec import load_manifest
from localtitan.store.records import Stored

MANIFEST = load_manifest()
CATALOG = catalog_for(MANIFEST)
ANCHOR = "2025-06-15"

PEOPLE = frozenset({"settings:employees", "settings:technicians"})
SKUS = frozenset(
    {
        "pricebook:services",
        "pricebook:materials",
        "pricebook:equipment",
        "pricebook:discounts-and-fees",
    }
)
INVENTORY_LOCATIONS = frozenset({"inventory:warehouses", "inventory:trucks"})

# Field name -> the kinds its id may name, wherever the field appears.
FIELDS: dict[str, frozenset[str]] = {
    "customerId": frozenset({"crm:customers"}),
    "locationId": frozenset({"crm:locations"}),
    "jobId": frozenset({"jpm:jobs"}),
    "recallForId": frozenset({"jpm:jobs"}),
    "appointmentId": frozenset({"jpm:appointments"}),
    "firstAppointmentId": frozenset({"jpm:appointments"}),
    "lastAppointmentId": frozenset({"jpm:appointments"}),
    "jobTypeId": frozenset({"jpm:job-types"}),
    "businessUnitId": frozenset({"settings:business-units"}),
    "technicianId": frozenset({"settings:technicians"}),
    "employeeId": PEOPLE,
    "userId": PEOPLE,
    "createdById": PEOPLE,
    "modifiedById": PEOPLE,
    "createdBy": PEOPLE,
    "assignedById": PEOPLE,
    "assignedToId": PEOPLE,
    "reportedById": PEOPLE,
    "soldById": PEOPLE,
    "soldBy": PEOPLE,
    "activatedById": PEOPLE,
    "accountManagerId": PEOPLE,
    "managerId": PEOPLE,
    "pickedById": PEOPLE,
    "receivedById": PEOPLE,
    "campaignId": frozenset({"marketing:campaigns"}),
    "defaultCampaignId": frozenset({"marketing:campaigns"}),
    "invoiceId": frozenset({"accounting:invoices"}),
    "invoiceItemId": frozenset({"accounting:invoices/{}/items"}),
    "vendorId": frozenset({"inventory:vendors"}),
    "warehouseId": frozenset({"inventory:warehouses"}),
    "inventoryLocationId": INVENTORY_LOCATIONS,
    "fromLocationId": INVENTORY_LOCATIONS,
    "toLocationId": INVENTORY_LOCATIONS,
    "purchaseOrderId": frozenset({"inventory:purchase-orders"}),
    "membershipTypeId": frozenset({"memberships:membership-types"}),
    "membershipId": frozenset({"memberships:memberships"}),
    "recurringServiceTypeId": frozenset({"memberships:recurring-service-types"}),
    "locationRecurringServiceId": frozenset({"memberships:recurring-services"}),
    "zoneId": frozenset({"dispatch:zones"}),
    "mainZoneId": frozenset({"dispatch:zones"}),
    "taxZoneId": frozenset({"accounting:tax-zones"}),
    "paymentTermId": frozenset({"accounting:payment-terms"}),
    "generalLedgerAccountId": frozenset({"accounting:gl-accounts"}),
    "leadCallId": frozenset({"telecom:calls"}),
    "callId": frozenset({"telecom:calls"}),
    "bookingId": frozenset({"crm:bookings"}),
    "bookingProviderId": frozenset({"crm:booking-provider-tags"}),
    "createdFromEstimateId": frozenset({"sales:estimates"}),
    "payrollId": frozenset({"payroll:payrolls"}),
    "activityCodeId": frozenset({"payroll:activity-codes"}),
    "timesheetCodeId": frozenset({"payroll:timesheet-codes"}),
    "callReasonId": frozenset({"jbce:call-reasons"}),
    "reasonId": frozenset({"jpm:job-cancel-reasons"}),
    "formId": frozenset({"forms:forms"}),
    "equipmentId": frozenset({"pricebook:equipment"}),
    "skuId": SKUS,
    "billingServiceId": frozenset({"pricebook:services"}),
    "appliedId": frozenset({"accounting:payments"}),
    "parentId": frozenset({"pricebook:categories"}),
    "recurringLocationId": frozenset({"crm:locations"}),
    "parentTypeId": frozenset({"accounting:gl-accounts/types"}),
    "projectId": frozenset({"jpm:projects"}),
    "billId": frozenset({"accounting:inventory-bills"}),
    "inventoryBillId": frozenset({"accounting:inventory-bills"}),
    "documentId": frozenset({"accounting:inventory-bills"}),
    "vendorCreditId": frozenset({"accounting:ap-credits"}),
    "inventoryReturnId": frozenset({"inventory:returns"}),
    "returnTypeId": frozenset({"inventory:return-types"}),
    "creditMemoId": frozenset({"accounting:credit-memos"}),
    "receiptItemId": frozenset({"inventory:receipts#items"}),
    "statusId": frozenset({"jpm:project-statuses"}),
    "subStatusId": frozenset({"jpm:project-substatuses"}),
    "projectTypeId": frozenset({"jpm:project-types"}),
    "projectManagerIds": PEOPLE,
    "jobIds": frozenset({"jpm:jobs"}),
    "payrollBusinessUnitId": frozenset({"settings:business-units"}),
    "estimateTemplateId": frozenset({"sales:estimate-templates"}),
    "installedEquipmentId": frozenset({"equipmentsystems:installed-equipment"}),
    "segmentId": frozenset({"jpm:work-breakdown-structure/segments"}),
    "segmentItemId": frozenset({"jpm:work-breakdown-structure/segments/{}/items"}),
    "proposalTypeId": frozenset({"sales:proposal-types"}),
    "proposalTypeOptionId": frozenset({"sales:proposal-types#options"}),
    "rateSheetId": frozenset({"pricebook:clientspecificpricing"}),
    "billingTemplateId": frozenset({"memberships:invoice-templates"}),
    "invoiceTemplateId": frozenset({"memberships:invoice-templates"}),
    # Items live inside their purchase order; see check_references.
    "purchaseOrderItemId": frozenset({"inventory:purchase-orders#items"}),
    # Lists of ids.
    "roleIds": frozenset({"settings:user-roles"}),
    "zoneIds": frozenset({"dispatch:zones"}),
    "tagTypeIds": frozenset({"settings:tag-types"}),
    "businessUnitIds": frozenset({"settings:business-units"}),
    "technicianIds": frozenset({"settings:technicians"}),
    "preferredTechnicianIds": frozenset({"settings:technicians"}),
    "involvedEmployeeIdList": PEOPLE,
    "locationIds": frozenset({"crm:locations"}),
    "estimateIds": frozenset({"sales:estimates"}),
    "equipmentIds": frozenset({"equipmentsystems:installed-equipment"}),
    "jobTypeIds": frozenset({"jpm:job-types"}),
    "technicians": frozenset({"settings:technicians"}),
    "businessUnits": frozenset({"settings:business-units"}),
    "recommendations": SKUS,
    "upgrades": SKUS,
}

# (kind, field) -> kinds, where one field name means different things in different records.
BY_KIND: dict[tuple[str, str], frozenset[str]] = {
    ("inventory:purchase-orders", "typeId"): frozenset({"inventory:purchase-order-types"}),
    ("pricebook:equipment", "typeId"): frozenset({"equipmentsystems:equipment-types"}),
    ("accounting:payments", "typeId"): frozenset({"accounting:payment-types"}),
    ("telecom:calls", "type"): frozenset({"jpm:job-types"}),
    ("pricebook:materials", "categories"): frozenset({"pricebook:categories"}),
    ("jpm:appointments/{}/hold-reason", "reasonId"): frozenset({"jpm:job-hold-reasons"}),
    ("crm:contacts/{}/relationships", "relatedEntityId"): frozenset({"crm:customers"}),
    ("timesheets:activities", "activityTypeId"): frozenset({"timesheets:activity-types"}),
    ("marketingads:attributed-leads", "call"): frozenset({"telecom:calls"}),
    ("marketingads:attributed-leads", "booking"): frozenset({"crm:bookings"}),
    ("marketingads:attributed-leads", "stCampaignId"): frozenset({"marketing:campaigns"}),
    ("marketingreputation:reviews", "internalId"): frozenset({"jpm:jobs"}),
    ("marketingreputation:reviews", "verifiedByUserId"): PEOPLE,
    ("findings:location-findings", "sourceJobId"): frozenset({"jpm:jobs"}),
    ("findings:location-findings", "linkedEstimateIds"): frozenset({"sales:estimates"}),
    ("findings:location-findings", "linkedJobIds"): frozenset({"jpm:jobs"}),
    ("findings:location-findings", "createdBy"): PEOPLE,
    ("findings:location-findings", "modifiedBy"): PEOPLE,
    ("accounting:credit-memos", "appliedId"): frozenset({"accounting:credit-memos"}),
    ("inventory:purchase-orders/requests", "typeId"): frozenset({"inventory:purchase-order-types"}),
    ("timesheets:activity-types", "categoryId"): frozenset({"timesheets:activity-categories"}),
    ("inventory:inventory-templates", "locationIds"): INVENTORY_LOCATIONS,
    ("pricebook:equipment", "categories"): frozenset({"pricebook:categories"}),
    ("pricebook:discounts-and-fees", "categories"): frozenset({"pricebook:categories"}),
}

# Nested objects whose ``id`` names a record: parent key -> kinds.
OBJECTS: dict[str, frozenset[str]] = {
    "customer": frozenset({"crm:customers"}),
    "location": frozenset({"crm:locations"}),
    "job": frozenset({"jpm:jobs"}),
    "businessUnit": frozenset({"settings:business-units"}),
    "campaign": frozenset({"marketing:campaigns"}),
    "category": frozenset({"marketing:categories"}),
    "categories": frozenset({"pricebook:categories"}),
    "reason": frozenset({"jbce:call-reasons"}),
    "agent": PEOPLE,
    "createdBy": PEOPLE,
    "employeeInfo": PEOPLE,
    "salesTaxCode": frozenset({"accounting:tax-zones"}),
    "generalLedgerAccount": frozenset({"accounting:gl-accounts"}),
    "costOfSaleAccount": frozenset({"accounting:gl-accounts"}),
    "assetAccount": frozenset({"accounting:gl-accounts"}),
    "primaryVendor": frozenset({"inventory:vendors"}),
    "type": frozenset({"equipmentsystems:equipment-types"}),
    "sku": SKUS,
    "owners": frozenset({"jpm:jobs"}),
    "vendor": frozenset({"inventory:vendors"}),
    "remittanceVendor": frozenset({"accounting:remittance-vendors"}),
    "remittanceVendorInfo": frozenset({"accounting:remittance-vendors"}),
    "deposit": frozenset({"accounting:bank-deposits"}),
    "glAccount": frozenset({"accounting:gl-accounts"}),
    "bankAccount": frozenset({"accounting:gl-accounts"}),
    "feeAccount": frozenset({"accounting:gl-accounts"}),
    "revenueGeneralLedgerAccount": frozenset({"accounting:gl-accounts"}),
    "exportedBy": PEOPLE,
    "taxZone": frozenset({"accounting:tax-zones"}),
    "inventoryLocation": INVENTORY_LOCATIONS,
}

# Fields that hold ids of things the API has no collection for; they must stay unset (0/null).
UNSET = {
    "employeeTaskResolutionId",
    "employeeTaskSourceId",
    "employeeTaskTypeId",
    "budgetCodeId",
}


# Fields named like ids that count versions or name records in other systems (an ad
# platform's campaign), not records of the tenant.
NOT_IDS = {"versionId", "lastSyncVersionId", "externalId"}


def _ints(value: Any) -> Iterator[int]:
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int):
        if value:
            yield value
    elif isinstance(value, str) and value.isdigit():
        yield int(value)
    elif isinstance(value, list):
        for v in value:
            yield from _ints(v)


def references(
    kind: str, data: Any, parent_key: str = ""
) -> Iterator[tuple[str, int, frozenset[str] | None]]:
    """Every (field path, id, kinds it may name) in a record; kinds None means unmapped."""
    if isinstance(data, list):
        for item in data:
            yield from references(kind, item, parent_key)
        return
    if not isinstance(data, Mapping):
        return
    for key, value in data.items():
        if key == "id":
            named = BY_KIND.get((kind, parent_key or "")) or OBJECTS.get(parent_key or "")
            if named is not None:
                for n in _ints(value):
                    yield f"{parent_key}.id", n, named
            continue
        if key == "appliedTo" and isinstance(value, int):
            yield key, value, frozenset({"accounting:invoices"})
            continue
        target = BY_KIND.get((kind, key)) or FIELDS.get(key)
        if target is not None and not isinstance(value, Mapping | dict):
            if isinstance(value, list) and value and isinstance(value[0], Mapping):
                yield from references(kind, value, key)
                continue
            for n in _ints(value):
                yield key, n, target
            continue
        if isinstance(value, Mapping | list):
            yield from references(kind, value, key)
            continue
        if key in NOT_IDS:
            continue
        if (key.endswith("Id") or key.endswith("Ids")) and list(_ints(value)):
            yield key, next(_ints(value)), None


def check_references(items: Iterable[Stored]) -> list[str]:
    """Problems: ids that name no record of the right kind, and unmapped id fields."""
    items = list(items)
    ids: dict[str, set[int]] = {}
    for rec in items:
        ids.setdefault(rec.kind, set()).add(rec.id)
        if rec.kind == "inventory:purchase-orders":
            po_items = ids.setdefault("inventory:purchase-orders#items", set())
            po_items.update(int(i["id"]) for i in rec.data.get("items") or [])
        if rec.kind == "sales:proposal-types":
            options = ids.setdefault("sales:proposal-types#options", set())
            options.update(int(o["id"]) for o in rec.data.get("options") or [])
        if rec.kind == "inventory:receipts":
            receipt_items = ids.setdefault("inventory:receipts#items", set())
            receipt_items.update(int(i["id"]) for i in rec.data.get("items") or [])
    problems: list[str] = []
    for rec in items:
        for path, value, kinds in references(rec.kind, rec.data):
            if kinds is None:
                problems.append(f"{rec.kind} {rec.id}: unmapped id field {path}={value}")
            elif not any(value in ids.get(k, ()) for k in kinds):
                problems.append(f"{rec.kind} {rec.id}: {path}={value} names no {sorted(kinds)}")
    return problems


async def tenant_rows(db: Any, environment: str, tenant_id: int) -> list[tuple[Any, ...]]:
    """Every row of a tenant, without row versions, in key order (for equality checks)."""
    from sqlalchemy import select

    from localtitan.store.tables import records

    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(
                    records.c.kind,
                    records.c.id,
                    records.c.parent_id,
                    records.c.guid,
                    records.c.active,
                    records.c.deleted,
                    records.c.created_on,
                    records.c.modified_on,
                    records.c.customer_id,
                    records.c.location_id,
                    records.c.job_id,
                    records.c.number,
                    records.c.name,
                    records.c.status,
                    records.c.data,
                )
                .where(records.c.environment == environment, records.c.tenant_id == tenant_id)
                .order_by(records.c.kind, records.c.id)
            )
        ).all()
    return [tuple(r) for r in rows]


async def new_tenant(db: Any, *, name: str = "Demo Test Co") -> int:
    from localtitan.platform.tenants import create_tenant

    async with db.begin() as conn:
        return (await create_tenant(conn, name=name)).id


# One small demo tenant per backend for the whole session (seeding it takes seconds; the
# database of each backend lasts the session, so the tenant does too).
_SMALL: dict[str, Any] = {}


async def small_tenant(app: Any, backend: str) -> Any:
    """Credentials for a tenant whose integration holds the quickstart's small company."""
    from conftest import make_creds
    from localtitan.demo import seed_quickstart

    creds = _SMALL.get(backend)
    if creds is None:
        creds = await make_creds(app.runtime)
        result = await seed_quickstart(app.runtime.db, MANIFEST, creds.tenant_id)
        assert result is not None
        _SMALL[backend] = creds
    return creds
