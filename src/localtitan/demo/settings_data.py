"""Company settings that no customer owns: custom-field types of every module, GL account
types, arrival windows, markups and cost types, inventory templates and return types,
estimate and proposal templates, Scheduling Pro schedulers, timesheet activity categories and
types, payroll settings, Intacct mappings, contact preferences and marketing capacity
warnings. Set up over the company's first years, as a real tenant's settings are."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from localtitan.demo.context import Ids, Out, guid, iso, pick
from localtitan.demo.model import Company, Named
from localtitan.store.records import Stored

__all__ = ["build_settings_data"]

# Custom fields a home-services company keeps, by what the record is.
_CUSTOM_FIELDS: dict[str, list[tuple[str, str, list[str] | None]]] = {
    "customers": [
        ("Referral Source", "Dropdown", ["Neighbor", "Realtor", "Yard Sign", "Other"]),
        ("Gate Code", "Text", None),
        ("Preferred Contact Time", "Dropdown", ["Morning", "Afternoon", "Evening"]),
    ],
    "locations": [
        ("Square Footage", "Numeric", None),
        ("Year Built", "Numeric", None),
        ("Pets On Site", "Dropdown", ["None", "Dog", "Cat", "Other"]),
    ],
    "jobs": [
        ("Permit Number", "Text", None),
        ("Warranty Claim", "Dropdown", ["No", "Manufacturer", "Labor"]),
    ],
    "projects": [("Permit Number", "Text", None), ("Inspection Date", "Text", None)],
    "memberships": [("Autopay", "Dropdown", ["Yes", "No"]), ("Sold At Event", "Text", None)],
    "installed-equipment": [
        ("Filter Size", "Text", None),
        ("Refrigerant", "Dropdown", ["R-410A", "R-454B", "R-22"]),
    ],
    "vendors": [("Account Rep", "Text", None), ("Credit Limit", "Numeric", None)],
}
_ACCOUNTING_FIELDS: list[tuple[str, str, list[str] | None]] = [
    ("Approval Code", "Text", None),
    ("Cost Center", "Dropdown", ["Field", "Office", "Fleet"]),
]

_GL_TYPES: list[tuple[str, str | None]] = [
    ("Asset", None),
    ("Bank", "Asset"),
    ("Accounts Receivable", "Asset"),
    ("Other Current Asset", "Asset"),
    ("Liability", None),
    ("Accounts Payable", "Liability"),
    ("Other Current Liability", "Liability"),
    ("Equity", None),
    ("Income", None),
    ("Cost of Goods Sold", None),
    ("Expense", None),
]

# (start hour, length in hours)
_ARRIVAL_WINDOWS = [(8, 2), (8, 4), (10, 2), (12, 2), (12, 4), (14, 2), (16, 2)]
# (from, to, percent): cost bands and the markup each gets.
_MARKUPS = [(0, 25, 100), (25, 100, 75), (100, 500, 50), (500, 2_000, 35), (2_000, 99_999, 25)]
_COST_TYPES = ["Standard", "Average", "Last Purchase", "Vendor List"]
_RETURN_TYPES = [("Vendor Return", True), ("Warranty Return", False), ("Restock", False)]
_ACTIVITY_CATEGORIES = [
    ("On Job", "OnJobActivities"),
    ("Travel", "Travel"),
    ("Meal", "Meal"),
    ("Training", "Training"),
    ("Paid Time Off", "PaidTimeOff"),
    ("Idle", "Idle"),
    ("Shop Time", "Other"),
]
# (category, name, code)
_ACTIVITY_TYPES = [
    ("On Job", "Working", "WORK"),
    ("Travel", "Driving to Job", "DRIVE"),
    ("Travel", "Supply House Run", "SUPPLY"),
    ("Meal", "Lunch", "LUNCH"),
    ("Training", "Manufacturer Training", "MFGTRN"),
    ("Paid Time Off", "Vacation", "VAC"),
    ("Idle", "Waiting for Dispatch", "IDLE"),
    ("Shop Time", "Truck Stocking", "STOCK"),
]
_PREFERENCES = [
    ("Appointment Reminders", "Boolean"),
    ("Marketing Emails", "Boolean"),
    ("Text Messages", "Boolean"),
    ("Preferred Language", "String"),
]


def _moment(company: Company, rng: random.Random, *, early: bool = True) -> datetime:
    """A time in the company's past: its first two years when ``early``, else any time."""
    span = (company.anchor - company.founded).days - 30
    days = rng.uniform(0, span * (0.35 if early else 1.0))
    return company.founded + timedelta(days=days, hours=rng.randint(14, 22))


def _custom_fields(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    """Custom-field types for every record kind whose module lists them."""
    for kind, coll in out.catalog.collections.items():
        if not kind.endswith(("/custom-fields", "/custom-field-types")):
            continue
        if "name" not in coll.properties:
            continue  # update-only resources with no list of their own
        concept = kind.partition(":")[2].split("/")[0]
        fields = _CUSTOM_FIELDS.get(concept, _ACCOUNTING_FIELDS)
        for name, data_type, options in fields:
            when = _moment(company, rng)
            out.add(
                kind,
                {
                    "id": ids.take(),
                    "name": name,
                    "dataType": data_type,
                    "dataTypeOptions": options or [],
                },
                created=when,
                modified=when + timedelta(days=rng.randint(0, 200)),
            )


def _accounting(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    parents: dict[str, int] = {}
    when = company.founded + timedelta(days=1)
    for name, parent in _GL_TYPES:
        tid = ids.take()
        parents[name] = tid
        out.add(
            "accounting:gl-accounts/types",
            {"id": tid, "name": name, "parentTypeId": parents[parent] if parent else None},
            created=when,
        )
    for bu in company.business_units:
        out.add(
            "settings:business-units/intacct",
            {
                "id": bu.id,
                "name": bu.name,
                "tradeName": bu.trade,
                "intacctClass": bu.kind,
                "intacctDepartment": bu.trade,
                "intacctLocationId": "HQ",
                "intacctLocationName": company.name,
            },
            created=when,
            row_id=ids.take(),
        )


def _dispatch(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    bu_ids = [bu.id for bu in company.business_units]
    when = company.founded + timedelta(days=5)
    for start, hours in _ARRIVAL_WINDOWS:
        out.add(
            "dispatch:arrival-windows",
            {
                "id": ids.take(),
                "start": f"{start:02d}:00:00",
                "duration": f"{hours:02d}:00:00",
                "businessUnitIds": bu_ids,
            },
            created=when,
            active=hours == 2 or start == 8,
        )


def _inventory(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    for low, high, percent in _MARKUPS:
        when = _moment(company, rng)
        row = {"id": ids.take(), "from": low, "to": high, "percent": percent}
        out.add("inventory:purchase-order-markups", dict(row), created=when)
        out.add("pricebook:materialsmarkup", {**row, "id": ids.take()}, created=when)
    for name in _COST_TYPES:
        out.add(
            "pricebook:materials/costtypes",
            {"id": ids.take(), "name": name},
            created=company.founded,
        )
    for n, (name, credit) in enumerate(_RETURN_TYPES):
        rid = ids.take()
        company.return_types.append(Named(rid, name))
        out.add(
            "inventory:return-types",
            {
                "id": rid,
                "name": name,
                "automaticallyReceiveVendorCredit": credit,
                "includeInSalesTax": True,
                "isDefault": n == 0,
                "isDefaultForConsignment": False,
            },
            created=_moment(company, rng),
        )
    # One stocking template for the trucks: the fast-moving materials.
    stock = company.materials[:12]
    locations = [t.id for t in company.trucks]
    out.add(
        "inventory:inventory-templates",
        {
            "id": ids.take(),
            "name": "Service Truck Stock",
            "type": "Truck",
            "isConsignment": False,
            "locationIds": locations,
            "items": [
                {
                    "id": ids.take(),
                    "skuId": sku.id,
                    "code": sku.code,
                    "name": sku.name,
                    "description": sku.name,
                    "skuType": "Material",
                    "isConsignment": False,
                    "minQuantity": 2,
                    "maxQuantity": 10,
                    "memo": "",
                    "unitOfMeasure": None,
                }
                for sku in stock
            ],
        },
        created=_moment(company, rng),
    )


def _sales(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    """An estimate template per install business unit (good/better/best equipment), and a
    proposal template offering them."""
    templates: list[tuple[int, str]] = []
    for bu in company.business_units:
        if bu.kind != "Install":
            continue
        trade_jobs = {jt.name for jt in company.job_types_for(bu.trade)}
        skus = [s for s in company.equipment if trade_jobs & set(s.job_types)][:3]
        for tier, sku in zip(("Good", "Better", "Best"), skus, strict=False):
            tid = ids.take()
            name = f"{bu.trade} {tier} Replacement"
            templates.append((tid, name))
            when = _moment(company, rng, early=False)
            out.add(
                "sales:estimate-templates",
                {
                    "id": tid,
                    "name": name,
                    "internalName": name.lower().replace(" ", "-"),
                    "summary": f"<p>{sku.manufacturer} {sku.model} installed.</p>",
                    "businessUnitId": bu.id,
                    "mode": "Static",
                    "totalPrice": sku.price,
                    "totalCost": sku.cost,
                    "items": [
                        {
                            "id": ids.take(),
                            "skuId": sku.id,
                            "description": f"<p>{sku.name}</p>",
                            "quantity": 1,
                            "order": 1,
                            "chargeable": True,
                            "allowDiscounts": True,
                            "isAddOn": False,
                        }
                    ],
                },
                created=when,
                modified=when + timedelta(days=rng.randint(0, 90)),
            )
    if not templates:
        return
    when = _moment(company, rng, early=False)
    # Proposal types have no list schema of their own (Sales' handler reads them): stored as
    # they are.
    type_id = ids.take()
    options = [
        {"id": ids.take(), "name": tier, "order": n + 1}
        for n, tier in enumerate(("Good", "Better", "Best"))
    ]
    type_name = "Good Better Best"
    out.items.append(
        Stored(
            "sales:proposal-types",
            type_id,
            {
                "name": type_name,
                "type": "Progressive",
                "isSystemDefault": False,
                "isDefault": True,
                "options": options,
            },
            created_on=when,
            modified_on=when,
        )
    )
    out.add(
        "sales:proposal-templates",
        {
            "id": ids.take(),
            "name": "Replacement Options",
            "description": "Three equipment options for a replacement visit.",
            "businessUnitIds": [bu.id for bu in company.business_units if bu.kind == "Install"],
            "status": "Publish",
            "proposalTypeId": type_id,
            "proposalTypeName": type_name,
            "estimateAssignments": [
                {
                    "estimateTemplateId": tid,
                    "estimateTemplateName": name,
                    "order": n + 1,
                    "proposalTypeOptionId": options[n % len(options)]["id"],
                }
                for n, (tid, name) in enumerate(templates)
            ],
        },
        created=when,
    )


def _schedulers(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    for n, (name, mode) in enumerate((("Website", "Standard"), ("Call Center", "Call_Center"))):
        sid = guid(rng)
        when = _moment(company, rng, early=False)
        out.add(
            "schedulingpro:schedulers",
            {
                "id": sid,
                "name": name,
                "companyName": company.name,
                "isDefault": n == 0,
                "schedulerStatus": "Active",
                "mode": mode,
                "dataApiKey": guid(rng).replace("-", ""),
                "quickLaunchLink": f"https://{company.domain}/book?scheduler={sid}",
            },
            created=when,
            row_id=ids.take(),
            guid=sid,
        )


def _timesheets(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    when = company.founded + timedelta(days=20)
    categories: dict[str, int] = {}
    for n, (name, kind) in enumerate(_ACTIVITY_CATEGORIES):
        cid = ids.take()
        categories[name] = cid
        out.add(
            "timesheets:activity-categories",
            {"id": cid, "name": name, "type": kind, "isDefault": n == 0, "allowEdit": True},
            created=when,
        )
    for category, name, code in _ACTIVITY_TYPES:
        type_id = ids.take()
        company.activity_types[code] = type_id
        out.add(
            "timesheets:activity-types",
            {
                "id": type_id,
                "name": name,
                "code": code,
                "categoryId": categories[category],
                "description": name,
                "icon": code.lower(),
                "isDefault": code == "WORK",
                "isInUse": True,
                "jobAssociation": "Require" if category == "On Job" else "DoNotAllow",
                "budgetCodeAssociation": "DoNotAllow",
                "laborTypeAssociation": "DoNotAllow",
                "memoAssociation": "Allow",
                "projectAssociation": "DoNotAllow",
                "projectLabelAssociation": "DoNotAllow",
                "tagAssociation": "DoNotAllow",
                "defaultTagTypeIds": [],
                "visibleToRoles": [],
            },
            created=when,
        )


def _payroll_settings(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    managers = company.staff_with("Field Manager") or company.staff
    people: list[tuple[int, str, int | None, float]] = [
        (t.id, "Technician", t.business_unit_id, t.hourly_rate) for t in company.technicians
    ]
    people += [(s.id, "Employee", s.business_unit_id, 24.0) for s in company.staff]
    for person_id, kind, bu_id, rate in people:
        hired = _moment(company, rng, early=False)
        out.add(
            "payroll:payroll-settings",
            {
                "employeeId": person_id,
                "employeeType": kind,
                "externalPayrollId": f"EMP{person_id % 100000:05d}",
                "hireDate": iso(hired),
                "hourlyRate": rate,
                "isIncludedInPayroll": True,
                "managerId": pick(rng, managers).id if kind == "Technician" else None,
                "payrollBusinessUnitId": bu_id,
                "customFields": [],
            },
            created=hired,
            row_id=ids.take(),
        )


def _crm(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    for name, data_type in _PREFERENCES:
        pid = guid(rng)
        out.add(
            "crm:contacts/preferences",
            {"id": pid, "name": name, "description": name, "dataType": data_type},
            created=company.founded,
            row_id=ids.take(),
            guid=pid,
        )


def _marketing(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    """Capacity warnings: campaigns whose business units are nearly booked up."""
    paid = [c for c in company.campaigns if c.category != "Existing Customers"][:3]
    units = [bu.name for bu in company.business_units if bu.kind == "Service"]
    for n, campaign in enumerate(paid):
        out.add(
            "marketingads:capacity-warnings",
            {
                "campaignName": campaign.name,
                "businessUnits": units[n % len(units) :][:2] or units[:1],
                "warningType": ("LowCapacity", "NoCapacity")[n % 2],
                "lookaheadWindow": 3 + n * 2,
                "thresholdValue": 80 + n * 5,
            },
            created=company.anchor - timedelta(days=n + 1),
            row_id=ids.take(),
        )


def build_settings_data(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    for step in (
        _custom_fields,
        _accounting,
        _dispatch,
        _inventory,
        _sales,
        _schedulers,
        _timesheets,
        _payroll_settings,
        _crm,
        _marketing,
    ):
        step(company, ids, out, rng)
