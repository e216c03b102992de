"""CRM contacts (the people behind customers): per chunk, the homeowner of about half the
residential customers and one or two people at every commercial one, each with the phone
numbers and email of the customer's contact methods and a relationship naming the customer."""

from __future__ import annotations

import random
from datetime import timedelta

from localtitan.demo.context import Ids, Out, chance, guid, pick
from localtitan.demo.model import Company
from localtitan.store.records import Stored

__all__ = ["contacts_for_chunk"]

_TITLES = ("Facilities Manager", "Property Manager", "Owner", "Office Manager", "Controller")


def contacts_for_chunk(
    company: Company, ids: Ids, out: Out, rng: random.Random, kinds: dict[str, list[Stored]]
) -> None:
    methods: dict[int, list[Stored]] = {}
    for method in kinds.get("crm:customers/{}/contacts", []):
        methods.setdefault(int(method.data["customerId"]), []).append(method)
    csrs = company.staff_with("Customer Service Representative")
    for customer in kinds.get("crm:customers", []):
        commercial = customer.data.get("type") == "Commercial"
        if not commercial and not chance(rng, 0.5):
            continue
        created = customer.created_on or company.anchor
        author = pick(rng, csrs).id
        people: list[tuple[str, str | None]]
        if commercial:
            people = [(" ".join(company.vocab.person(rng)), pick(rng, _TITLES))]
            if chance(rng, 0.4):
                people.append((" ".join(company.vocab.person(rng)), pick(rng, _TITLES)))
        else:
            people = [(str(customer.data["name"]), "Homeowner")]
        for n, (name, title) in enumerate(people):
            when = created + timedelta(minutes=1 + n)
            cid = guid(rng)
            row = ids.take()
            out.add(
                "crm:contacts",
                {
                    "id": cid,
                    "name": name,
                    "title": title,
                    "referenceId": None,
                    "isArchived": False,
                    "createdBy": author,
                    "modifiedBy": author,
                },
                created=when,
                row_id=row,
                guid=cid,
            )
            for method in methods.get(customer.id, [])[: 2 if n == 0 else 1]:
                mid = guid(rng)
                out.add(
                    "crm:contacts/{}/contact-methods",
                    {
                        "id": mid,
                        "contactId": cid,
                        "type": method.data["type"],
                        "value": method.data["value"],
                        "memo": method.data.get("memo"),
                        "referenceId": None,
                        "createdBy": author,
                        "modifiedBy": author,
                    },
                    created=when,
                    parent_id=row,
                    row_id=ids.take(),
                    guid=mid,
                )
            rid = guid(rng)
            out.add(
                "crm:contacts/{}/relationships",
                {
                    "id": rid,
                    "relatedEntityId": customer.id,
                    "typeSlug": "customer",
                    "typeName": "Customer",
                    "createdBy": author,
                },
                created=when,
                parent_id=row,
                row_id=ids.take(),
                guid=rid,
            )
