"""What every generator module shares: ids, the record sink, seeded randomness, vocabulary.

Determinism rests on three rules: every random draw comes from a ``random.Random`` seeded from
(seed, part) strings (string seeds hash with SHA-512, so they do not depend on the process),
ids are taken in generation order from a known first id, and every timestamp is computed from
the anchor date rather than the clock.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from faker import Faker

from localtitan.demo.shaper import Filler
from localtitan.handling.catalog import Catalog
from localtitan.store.records import Stored, format_time

__all__ = [
    "Ids",
    "Out",
    "Vocab",
    "cents",
    "chance",
    "guid",
    "iso",
    "money",
    "pick",
    "rng_for",
    "stamp",
    "weighted",
]

T = TypeVar("T")


def rng_for(seed: int, part: str) -> random.Random:
    """An independent, reproducible random stream for one part of the company."""
    return random.Random(f"localtitan-demo:{seed}:{part}")


def chance(rng: random.Random, p: float) -> bool:
    return rng.random() < p


def pick(rng: random.Random, items: Sequence[T]) -> T:
    return items[int(rng.random() * len(items))]


def weighted(rng: random.Random, items: Sequence[tuple[T, float]]) -> T:
    total = sum(w for _, w in items)
    x = rng.random() * total
    for item, w in items:
        x -= w
        if x < 0:
            return item
    return items[-1][0]


def guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def cents(amount: float) -> int:
    return round(amount * 100)


def money(value_cents: int) -> str:
    """Accounting amounts are decimal strings in the API."""
    sign = "-" if value_cents < 0 else ""
    value_cents = abs(value_cents)
    return f"{sign}{value_cents // 100}.{value_cents % 100:02d}"


def iso(value: datetime) -> str:
    """``format_time`` for the UTC datetimes the generator works in, without strftime."""
    if value.tzinfo is UTC:
        value = value.replace(tzinfo=None)
    elif value.tzinfo is not None:
        if value.utcoffset():
            return format_time(value)
        value = value.replace(tzinfo=None)
    return value.isoformat(timespec="microseconds") + "0Z"


def stamp(value: datetime | None) -> str | None:
    return None if value is None else iso(value)


class Ids:
    """Record ids in generation order, from the tenant's counter."""

    def __init__(self, first: int) -> None:
        self.first = first
        self.next = first

    def take(self) -> int:
        value = self.next
        self.next += 1
        return value

    @property
    def used(self) -> int:
        return self.next - self.first


@dataclass
class Out:
    """The records one generation step made, already in their stored shape."""

    catalog: Catalog
    filler: Filler
    items: list[Stored] = field(default_factory=list)

    def add(
        self,
        kind: str,
        data: dict[str, Any],
        *,
        created: datetime,
        modified: datetime | None = None,
        parent_id: int | None = None,
        row_id: int | None = None,
        guid: str | None = None,
        active: bool = True,
    ) -> dict[str, Any]:
        """Store one record; ``createdOn``, ``modifiedOn`` and ``active`` are filled in when the
        collection declares them and ``data`` does not set them."""
        coll = self.catalog.collections[kind]
        modified = modified or created
        props = coll.properties
        if "createdOn" in props:
            data.setdefault("createdOn", iso(created))
        if "modifiedOn" in props:
            data.setdefault("modifiedOn", iso(modified))
        if "active" in props:
            data.setdefault("active", active)
        filled = self.filler.fill(coll, data)
        record_id = row_id if row_id is not None else int(data["id"])
        self.items.append(
            Stored(
                kind,
                record_id,
                filled,
                parent_id=parent_id,
                guid=guid,
                active=active,
                created_on=created,
                modified_on=modified,
            )
        )
        return filled

    def add_unlisted(
        self,
        kind: str,
        record_id: int,
        data: dict[str, Any],
        *,
        created: datetime,
        parent_id: int | None = None,
    ) -> None:
        """Store a record of a kind no operation declares (so no schema to fill it from), kept
        as a behaviour writes it, e.g. the reason under a held appointment."""
        self.items.append(
            Stored(
                kind,
                record_id,
                data,
                parent_id=parent_id,
                active=True,
                created_on=created,
                modified_on=created,
            )
        )


@dataclass
class Vocab:
    """Words drawn once from a seeded Faker, then combined with a fast random stream.

    Faker takes 80-250 µs for a name or an address; a million customers would spend most of
    the seed there. Pools drawn from Faker keep its realism (and its frequency weighting) at
    the cost of a random choice per use.
    """

    first_names: list[str]
    last_names: list[str]
    streets: list[str]
    companies: list[str]
    email_domains: list[str]
    cities: list[str]
    zips: list[str]

    @classmethod
    def build(cls, seed: int, state: str, cities: int) -> Vocab:
        fake = Faker("en_US")
        fake.seed_instance(seed)
        cities_seen: list[str] = []
        for _ in range(cities * 20):
            name = fake.city()
            if name not in cities_seen:
                cities_seen.append(name)
            if len(cities_seen) >= cities:
                break
        zips: list[str] = []
        for _ in range(cities * 30):
            z = fake.zipcode_in_state(state)
            if z not in zips:
                zips.append(z)
            if len(zips) >= cities * 4:
                break
        return cls(
            first_names=[fake.first_name() for _ in range(400)],
            last_names=[fake.last_name() for _ in range(600)],
            streets=list(dict.fromkeys(fake.street_name() for _ in range(300))),
            companies=list(dict.fromkeys(fake.company() for _ in range(250))),
            email_domains=list(dict.fromkeys(fake.free_email_domain() for _ in range(40))),
            cities=cities_seen,
            zips=zips,
        )

    def person(self, rng: random.Random) -> tuple[str, str]:
        return pick(rng, self.first_names), pick(rng, self.last_names)

    def street(self, rng: random.Random) -> str:
        return f"{rng.randint(100, 19999)} {pick(rng, self.streets)}"

    def email(self, rng: random.Random, first: str, last: str) -> str:
        style = rng.randint(0, 3)
        local = (
            f"{first}.{last}",
            f"{first[0]}{last}",
            f"{first}{last}{rng.randint(1, 99)}",
            f"{last}.{first}{rng.randint(1, 9)}",
        )[style]
        clean = "".join(ch for ch in local.lower() if ch.isalnum() or ch == ".")
        return f"{clean}@{pick(rng, self.email_domains)}"
