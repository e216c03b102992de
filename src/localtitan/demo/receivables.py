"""Receivables after the invoice: the week's customer payments deposited at the bank in one
deposit (card fees withheld), and goodwill credit memos applied to a customer's next invoice."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from localtitan.demo.context import Ids, Out, chance, iso
from localtitan.demo.model import Company, GlAccount
from localtitan.store.records import Stored, parse_time

__all__ = ["receivables_for_chunk"]


def _gl(account: GlAccount) -> dict[str, Any]:
    return {
        "id": account.id,
        "name": account.name,
        "number": account.number,
        "type": account.type,
        "detailType": account.detail_type,
    }


def _deposits(
    company: Company, ids: Ids, out: Out, rng: random.Random, kinds: dict[str, list[Stored]]
) -> None:
    """Each week's customer payments go to the bank in one deposit (card fees withheld)."""
    weeks: dict[int, list[Stored]] = {}
    for payment in kinds.get("accounting:payments", []):
        when = parse_time(payment.data["date"])
        age = (company.anchor - when).days
        if age < 3:
            continue  # not deposited yet
        weeks.setdefault((when - company.founded).days // 7, []).append(payment)
    accountant = company.staff_with("Accounting")[0]
    for week, payments in sorted(weeks.items()):
        day = company.founded + timedelta(days=week * 7 + 7, hours=16)
        day = min(day, company.anchor - timedelta(hours=1))
        gross = round(sum(float(p.data["total"]) for p in payments), 2)
        cards = sum(float(p.data["total"]) for p in payments if p.data["type"] == "Credit Card")
        fees = round(cards * 0.029, 2)
        did = ids.take()
        name = f"Deposit {day:%Y-%m-%d}"
        for payment in payments:
            payment.data["deposit"] = {"id": did, "name": name}
        out.add(
            "accounting:bank-deposits",
            {
                "id": did,
                "name": name,
                "depositDate": iso(day),
                "grossAmount": gross,
                "fees": fees,
                "netAmount": round(gross - fees, 2),
                "depositStatus": "Deposited",
                "reviewStatus": "Reviewed",
                "reviewedOn": iso(day + timedelta(days=1)),
                "syncStatus": "Posted",
                "createdBy": accountant.name,
                "bankAccount": _gl(company.gl["1010"]),
                "feeAccount": _gl(company.gl["1010"]),
                "importId": None,
                "batch": None,
            },
            created=day,
        )


def _credit_memos(
    company: Company, ids: Ids, out: Out, rng: random.Random, kinds: dict[str, list[Stored]]
) -> None:
    """A goodwill credit on a few paid invoices, applied to the customer's next one."""
    by_customer: dict[int, list[Stored]] = {}
    for invoice in kinds.get("accounting:invoices", []):
        if invoice.data.get("invoiceDate"):
            by_customer.setdefault(invoice.data["customer"]["id"], []).append(invoice)
    csr = company.staff_with("Customer Service Representative")[0]
    for invoices in by_customer.values():
        if len(invoices) < 2 or not chance(rng, 0.06):
            continue
        first, nxt = invoices[0], invoices[1]
        lines = [i for i in first.data["items"] if float(i["total"]) > 0][:1]
        if not lines:
            continue
        line = lines[0]
        amount = round(min(75.0, float(line["total"]) * 0.2), 2)
        when = parse_time(first.data["invoiceDate"]) + timedelta(days=rng.randint(1, 10))
        if when > company.anchor:
            continue
        mid = ids.take()
        out.add(
            "accounting:credit-memos",
            {
                "id": mid,
                "referenceNumber": f"CM{mid}",
                "date": when.date().isoformat(),
                "description": "Goodwill credit for a return visit.",
                "subTotal": amount,
                "salesTax": 0,
                "total": amount,
                "balance": 0,
                "customer": first.data["customer"],
                "customerAddress": first.data["customerAddress"],
                "location": first.data["location"],
                "locationAddress": first.data["locationAddress"],
                "businessUnit": first.data["businessUnit"],
                "salesTaxCode": first.data["salesTaxCode"],
                "syncStatus": "Posted",
                "createdBy": csr.name,
                "modifiedBy": csr.name,
                "appliedTo": [
                    {
                        "appliedId": mid,
                        "appliedTo": nxt.id,
                        "appliedAmount": amount,
                        "appliedOn": when.date().isoformat(),
                        "appliedBy": csr.name,
                        "appliedToReferenceNumber": nxt.data["referenceNumber"],
                    }
                ],
                "customFields": [],
                "batch": None,
                "importId": None,
                "exportId": None,
            },
            created=when,
        )
        out.add(
            "accounting:credit-memos/credit-memo-items",
            {
                "id": ids.take(),
                "creditMemoId": mid,
                "skuId": line["skuId"],
                "skuName": line["skuName"],
                "description": "Goodwill credit",
                "type": line["type"],
                "quantity": 1,
                "price": amount,
                "cost": 0,
                "total": amount,
                "taxable": False,
                "createdBy": csr.name,
                "businessUnit": first.data["businessUnit"],
                "revenueGeneralLedgerAccount": line.get("generalLedgerAccount"),
                "expensesGeneralLedgerAccount": None,
            },
            created=when,
        )


def receivables_for_chunk(
    company: Company, ids: Ids, out: Out, rng: random.Random, kinds: dict[str, list[Stored]]
) -> None:
    _deposits(company, ids, out, rng, kinds)
    _credit_memos(company, ids, out, rng, kinds)
