"""How big a demo company is: named sizes, and everything derived from the customer count.

Only the customer count is chosen; staff, zones, warehouses and the like follow from it so a
company of any size looks like a real one (a technician serves a few hundred customers).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CHUNK_CUSTOMERS",
    "IDS_PER_CUSTOMER",
    "SINGLE_TRANSACTION_LIMIT",
    "SIZES",
    "Plan",
    "chunk_id_block",
    "customers_for",
    "plan_for",
]

SIZES: dict[str, int] = {"small": 300, "medium": 10_000, "large": 100_000}

# Customers generated (and held in memory) at a time; everything a customer owns is made in
# the same chunk, so memory stays flat however many customers there are.
CHUNK_CUSTOMERS = 500

# Ids reserved per customer. A chunk takes a block of ids of its own (customers x this), so
# chunks are independent: any chunk can be generated (in another process, or when a seed
# resumes) knowing only its index. Customers use about 50 ids each; a chunk of 500 using
# twice the mean is practically impossible, and the generator raises if it ever did.
IDS_PER_CUSTOMER = 100

# Up to this many customers a seed is one transaction; beyond it, it commits as it goes and
# records its progress so an interrupted seed can resume.
SINGLE_TRANSACTION_LIMIT = SIZES["large"]

# Rough records per customer, for the progress bar's first estimate (refined as chunks land).
RECORDS_PER_CUSTOMER = 38


def chunk_id_block() -> int:
    # The constant covers the chunk's own records (prospects, calls, transfers) and the
    # wider spread of small chunks.
    return CHUNK_CUSTOMERS * IDS_PER_CUSTOMER + 5_000


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


@dataclass(frozen=True)
class Plan:
    """Counts for one company."""

    customers: int
    technicians: int
    office_staff: int
    zones: int
    cities: int
    teams: int
    warehouses: int
    vendors: int

    @property
    def chunks(self) -> int:
        return max(1, -(-self.customers // CHUNK_CUSTOMERS))

    def chunk_range(self, index: int) -> tuple[int, int]:
        """The customers (first index, count) of chunk ``index``."""
        first = index * CHUNK_CUSTOMERS
        return first, max(0, min(CHUNK_CUSTOMERS, self.customers - first))

    @property
    def estimated_records(self) -> int:
        return self.customers * RECORDS_PER_CUSTOMER + self.technicians * 60 + 400


def customers_for(size: str | None, customers: int | None) -> int:
    """The customer count for ``--size`` or ``--customers`` (exactly one must be given)."""
    if (size is None) == (customers is None):
        raise ValueError("Give a size (small, medium, large) or a number of customers.")
    if customers is not None:
        if customers < 1:
            raise ValueError("A demo company needs at least one customer.")
        return customers
    assert size is not None
    found = SIZES.get(size.strip().lower())
    if found is None:
        raise ValueError(f"Unknown size {size!r}: use small, medium or large.")
    return found


def plan_for(customers: int) -> Plan:
    technicians = _clamp(customers // 250, 8, 5_000)
    zones = _clamp(technicians // 4, 4, 80)
    return Plan(
        customers=customers,
        technicians=technicians,
        office_staff=_clamp(technicians // 3, 7, 1_500),
        zones=zones,
        cities=zones * 3,
        teams=_clamp(technicians // 10, 2, 60),
        warehouses=_clamp(technicians // 40, 1, 40),
        vendors=_clamp(technicians // 8, 6, 60),
    )
