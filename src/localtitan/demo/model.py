"""The company-wide facts customer generation needs: who works there, what it sells.

Company-level records are written once; these light objects keep only what later steps use to
point at them (ids, names, prices), so a customer chunk never reads the database.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from localtitan.demo.context import Out, Vocab, pick, weighted
from localtitan.demo.sizes import Plan

__all__ = [
    "BusinessUnit",
    "Campaign",
    "City",
    "Client",
    "Company",
    "GlAccount",
    "JobType",
    "MembershipType",
    "Named",
    "Place",
    "RecurringServiceType",
    "Sku",
    "Staff",
    "TaxZone",
    "Tech",
    "Truck",
    "Visit",
    "Work",
    "new_out",
]

PAYROLL_PERIOD_DAYS = 14


@dataclass(frozen=True)
class Named:
    id: int
    name: str


@dataclass(frozen=True)
class BusinessUnit:
    id: int
    name: str
    trade: str
    kind: str


@dataclass(frozen=True)
class Staff:
    id: int
    name: str
    role: str
    role_id: int
    business_unit_id: int | None


@dataclass(frozen=True)
class Tech:
    id: int
    name: str
    business_unit_id: int
    trade: str
    kind: str
    hourly_rate: float
    commission: float
    zone_ids: tuple[int, ...]


@dataclass(frozen=True)
class City:
    name: str
    zips: tuple[str, ...]
    latitude: float
    longitude: float
    zone_id: int
    tax_zone_id: int


@dataclass(frozen=True)
class TaxZone:
    id: int
    name: str
    rate: float


@dataclass(frozen=True)
class JobType:
    id: int
    name: str
    trade: str
    kind: str
    cls: str
    minutes: int
    priority: str
    weight: float
    business_unit_ids: tuple[int, ...]


@dataclass(frozen=True)
class Sku:
    id: int
    code: str
    name: str
    type: str  # Service, Material, Equipment, PriceModifier
    price: float
    member_price: float
    cost: float
    hours: float
    taxable: bool
    category: str
    job_types: tuple[str, ...] = ()
    manufacturer: str = ""
    model: str = ""
    equipment_type: str = ""
    warranty_years: int = 0
    amount_type: str = ""


@dataclass(frozen=True)
class Campaign:
    id: int
    name: str
    category_id: int
    category: str
    weight: float


@dataclass(frozen=True)
class GlAccount:
    id: int
    number: str
    name: str
    type: str
    detail_type: str


@dataclass(frozen=True)
class RecurringServiceType:
    id: int
    name: str
    job_type: str
    months: tuple[str, ...]
    interval: int


@dataclass(frozen=True)
class MembershipType:
    id: int
    name: str
    billing: str
    price: float
    months: int
    services: tuple[RecurringServiceType, ...]


@dataclass(frozen=True)
class Truck:
    id: int
    name: str
    warehouse_id: int
    technician_ids: tuple[int, ...]


@dataclass
class Place:
    """A customer's location, as later records need it."""

    id: int
    name: str
    address: dict[str, Any]
    city: City


@dataclass
class Client:
    """A customer, as the records generated after it need it."""

    id: int
    name: str
    type: str
    address: dict[str, Any]
    created: datetime
    places: list[Place]
    phone: str
    email: str | None
    membership_id: int | None = None
    membership_type: MembershipType | None = None
    term: str = "Due Upon Receipt"
    balance_cents: int = 0


@dataclass
class Visit:
    """One appointment of a job and the technicians assigned to it."""

    id: int
    number: str
    start: datetime
    end: datetime
    status: str
    techs: list[tuple[Tech, int]]  # (technician, assignment id)


@dataclass
class Work:
    """A job, as invoices, payroll, purchase orders and the rest need it."""

    id: int
    number: str
    client: Client
    place: Place
    job_type: JobType
    business_unit: BusinessUnit
    campaign: Campaign
    status: str
    created: datetime
    visits: list[Visit]
    invoice_id: int
    booked_by: Staff
    completed: datetime | None = None
    membership_id: int | None = None
    estimate_ids: list[int] = field(default_factory=list)
    from_estimate: int | None = None
    sold_by: int | None = None
    recall_for: int | None = None
    planned_skus: list[tuple[Sku, float]] = field(default_factory=list)
    subtotal_cents: int = 0
    installed: list[Sku] = field(default_factory=list)

    @property
    def start(self) -> datetime:
        return self.visits[0].start

    @property
    def end(self) -> datetime:
        return self.visits[-1].end

    @property
    def lead_tech(self) -> Tech:
        return self.visits[-1].techs[0][0]


@dataclass
class Company:
    """Everything made at company level that customer chunks refer to."""

    seed: int
    anchor: datetime
    plan: Plan
    vocab: Vocab
    name: str
    state: str
    area_codes: tuple[str, ...]
    founded: datetime
    cities: list[City] = field(default_factory=list)
    business_units: list[BusinessUnit] = field(default_factory=list)
    roles: dict[str, int] = field(default_factory=dict)
    staff: list[Staff] = field(default_factory=list)
    technicians: list[Tech] = field(default_factory=list)
    zones: list[Named] = field(default_factory=list)
    teams: list[Named] = field(default_factory=list)
    tax_zones: list[TaxZone] = field(default_factory=list)
    tag_types: dict[str, int] = field(default_factory=dict)
    job_types: list[JobType] = field(default_factory=list)
    cancel_reasons: list[Named] = field(default_factory=list)
    hold_reasons: list[Named] = field(default_factory=list)
    call_reasons: list[tuple[Named, bool]] = field(default_factory=list)
    campaigns: list[Campaign] = field(default_factory=list)
    booking_provider_id: int = 0
    payment_types: list[tuple[Named, float]] = field(default_factory=list)
    payment_terms: dict[str, tuple[int, int]] = field(default_factory=dict)
    gl: dict[str, GlAccount] = field(default_factory=dict)
    services: list[Sku] = field(default_factory=list)
    materials: list[Sku] = field(default_factory=list)
    equipment: list[Sku] = field(default_factory=list)
    discounts: list[Sku] = field(default_factory=list)
    equipment_types: dict[str, int] = field(default_factory=dict)
    membership_types: list[MembershipType] = field(default_factory=list)
    vendors: list[Named] = field(default_factory=list)
    warehouses: list[Named] = field(default_factory=list)
    trucks: list[Truck] = field(default_factory=list)
    po_types: dict[str, int] = field(default_factory=dict)
    timesheet_codes: dict[str, int] = field(default_factory=dict)
    activity_codes: dict[str, int] = field(default_factory=dict)
    forms: list[tuple[Named, str | None]] = field(default_factory=list)
    rate_sheets: list[int] = field(default_factory=list)
    activity_types: dict[str, int] = field(default_factory=dict)  # code -> id
    project_statuses: dict[str, int] = field(default_factory=dict)
    project_substatuses: dict[str, list[int]] = field(default_factory=dict)
    project_types: dict[str, int] = field(default_factory=dict)
    estimate_template_ids: list[int] = field(default_factory=list)
    invoice_template_ids: dict[int, int] = field(default_factory=dict)  # membership type id
    return_types: list[Named] = field(default_factory=list)
    remittance_vendors: dict[int, int] = field(default_factory=dict)  # vendor id -> its id
    # (employee or technician id, period index) -> payroll id
    payrolls: dict[tuple[int, int], int] = field(default_factory=dict)
    # Filled by build steps for quick lookups.
    _techs_by_bu: dict[int, list[Tech]] = field(default_factory=dict)
    _job_types_by_trade: dict[str, list[JobType]] = field(default_factory=dict)
    _skus_by_job_type: dict[str, dict[str, list[Sku]]] = field(default_factory=dict)

    # ------------------------------------------------------------ time

    def day(self, offset: float) -> datetime:
        return self.anchor + timedelta(days=offset)

    @property
    def window_start(self) -> datetime:
        """Jobs span the past year and the next two weeks."""
        return self.anchor - timedelta(days=365)

    @property
    def window_end(self) -> datetime:
        return self.anchor + timedelta(days=14)

    def period_index(self, when: datetime) -> int:
        return int((when - self.window_start).total_seconds() // (PAYROLL_PERIOD_DAYS * 86400))

    def period_bounds(self, index: int) -> tuple[datetime, datetime]:
        start = self.window_start + timedelta(days=index * PAYROLL_PERIOD_DAYS)
        return start, start + timedelta(days=PAYROLL_PERIOD_DAYS)

    @property
    def period_count(self) -> int:
        return self.period_index(self.window_end) + 1

    # ------------------------------------------------------------ people

    def staff_with(self, role: str) -> list[Staff]:
        return [s for s in self.staff if s.role == role] or self.staff

    def office_user(self, rng: random.Random, role: str) -> Staff:
        return pick(rng, self.staff_with(role))

    def techs_for(self, business_unit_id: int) -> list[Tech]:
        if not self._techs_by_bu:
            for t in self.technicians:
                self._techs_by_bu.setdefault(t.business_unit_id, []).append(t)
        return self._techs_by_bu.get(business_unit_id) or self.technicians

    # ------------------------------------------------------------ catalogue

    def business_unit(self, business_unit_id: int) -> BusinessUnit:
        for bu in self.business_units:
            if bu.id == business_unit_id:
                return bu
        raise KeyError(business_unit_id)

    def job_type(self, name: str) -> JobType:
        for jt in self.job_types:
            if jt.name == name:
                return jt
        raise KeyError(name)

    def job_type_by_id(self, job_type_id: int) -> JobType:
        for jt in self.job_types:
            if jt.id == job_type_id:
                return jt
        raise KeyError(job_type_id)

    def job_types_for(self, trade: str) -> list[JobType]:
        if not self._job_types_by_trade:
            for jt in self.job_types:
                self._job_types_by_trade.setdefault(jt.trade, []).append(jt)
        return self._job_types_by_trade[trade]

    def skus_for(self, job_type: str) -> dict[str, list[Sku]]:
        """Services, materials and equipment sold on a job type."""
        if not self._skus_by_job_type:
            for sku in (*self.services, *self.materials, *self.equipment):
                for jt in sku.job_types:
                    by_type = self._skus_by_job_type.setdefault(jt, {})
                    by_type.setdefault(sku.type, []).append(sku)
        return self._skus_by_job_type.get(job_type, {})

    def sku(self, code: str) -> Sku:
        for sku in (*self.services, *self.materials, *self.equipment, *self.discounts):
            if sku.code == code:
                return sku
        raise KeyError(code)

    def campaign(self, rng: random.Random, *, returning: bool) -> Campaign:
        if returning and rng.random() < 0.7:
            return next(c for c in self.campaigns if c.category == "Existing Customers")
        return weighted(
            rng, [(c, c.weight) for c in self.campaigns if c.category != "Existing Customers"]
        )

    def city(self, rng: random.Random) -> City:
        # Cities nearer the front of the list are bigger: a few carry most customers.
        n = len(self.cities)
        return self.cities[min(n - 1, int(n * rng.random() ** 1.6))]

    def phone(self, rng: random.Random) -> str:
        return f"{pick(rng, self.area_codes)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"

    def address(self, rng: random.Random, *, unit: bool = False) -> tuple[dict[str, Any], City]:
        """A street address in one of the company's cities, with coordinates near it."""
        city = self.city(rng)
        return {
            "street": self.vocab.street(rng),
            "unit": f"Apt {rng.randint(1, 40)}" if unit else None,
            "city": city.name,
            "state": self.state,
            "zip": pick(rng, city.zips),
            "country": "USA",
            "latitude": round(city.latitude + rng.uniform(-0.04, 0.04), 6),
            "longitude": round(city.longitude + rng.uniform(-0.04, 0.04), 6),
        }, city

    @property
    def domain(self) -> str:
        words = "".join(ch for ch in self.name.lower() if ch.isalnum())
        return f"{words[:24]}.com"


def new_out(out: Out) -> Out:
    """A fresh sink sharing ``out``'s catalog and filler."""
    return Out(out.catalog, out.filler)
