"""Pricebook bulk update (``PATCH /pricebook/v2/tenant/{t}/pricebook``): services, materials,
equipment and discounts/fees changed in one request, all or nothing (docs/decisions/0156)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from localtitan.domain._kit import Tx, bad_request, empty, transaction
from localtitan.engine.call import Call, Result
from localtitan.engine.dispatch import register
from localtitan.store.records import Stored

__all__ = ["SECTIONS"]

# body section -> (kind, what one item is called)
SECTIONS = {
    "services": ("pricebook:services", "service"),
    "materials": ("pricebook:materials", "material"),
    "equipment": ("pricebook:equipment", "equipment"),
    "discountAndFees": ("pricebook:discounts-and-fees", "discount or fee"),
}
CATEGORIES = "pricebook:categories"
MAX_ITEMS = 500
# Request fields that are no record field, or that need translating.
_NOT_COPIED = frozenset({"id", "categories", "externalData", "intacctGlGroupAccount"})
_VARIATIONS = {
    "variationMaterials": "variationsOrConfigurableMaterials",
    "variationEquipment": "variationsOrConfigurableEquipment",
}


def _external_data(current: Any, change: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Replace (the default) sets the pairs as given; Merge changes the named keys only and a
    null value removes a key."""
    pairs = [p for p in change.get("externalData") or [] if isinstance(p, Mapping)]
    if change.get("patchMode") == "Merge":
        merged = {
            str(p.get("key")): p.get("value")
            for p in current or []
            if isinstance(p, Mapping) and p.get("key") is not None
        }
    else:
        merged = {}
    for pair in pairs:
        key = str(pair.get("key"))
        if pair.get("value") is None:
            merged.pop(key, None)
        else:
            merged[key] = pair["value"]
    return [{"key": k, "value": v} for k, v in merged.items()]


async def _categories(tx: Tx, ids: Sequence[Any], where: str) -> list[dict[str, Any]]:
    out = []
    for n, cid in enumerate(ids):
        found = await tx.find(CATEGORIES, cid)
        if found is None:
            raise bad_request(f"{where}.categories[{n}]", f"There is no category with ID {cid}.")
        out.append({"id": found.id, "name": found.data.get("name") or "", "active": found.active})
    return out


async def _apply(
    tx: Tx, rec: Stored, change: Mapping[str, Any], where: str, codes: dict[str, int]
) -> None:
    d = rec.data
    code = change.get("code")
    if isinstance(code, str):
        owner = codes.get(code.strip().lower())
        if owner is not None and owner != rec.id:
            raise bad_request(f"{where}.code", f"The code '{code}' is already used by {owner}.")
        codes.pop(str(d.get("code") or "").strip().lower(), None)
        codes[code.strip().lower()] = rec.id
    for name, value in change.items():
        if name in _NOT_COPIED:
            continue
        d[_VARIATIONS.get(name, name)] = value
    if isinstance(change.get("categories"), list):
        d["categories"] = await _categories(tx, change["categories"], where)
    if isinstance(change.get("externalData"), Mapping):
        d["externalData"] = _external_data(d.get("externalData"), change["externalData"])
    if isinstance(change.get("active"), bool):
        rec.active = change["active"]


@register("pricebook.PricebookBulk_Update")
async def bulk_update(call: Call) -> Result:
    body: Mapping[str, Any] = call.body if isinstance(call.body, Mapping) else {}
    sections = {k: v for k, v in body.items() if k in SECTIONS and isinstance(v, list)}
    count = sum(len(v) for v in sections.values())
    if count == 0:
        raise bad_request("$", "Send at least one pricebook item to update.")
    if count > MAX_ITEMS:
        raise bad_request("$", f"At most {MAX_ITEMS} pricebook items per request.")

    async def work(tx: Tx) -> Result:
        for section, items in sections.items():
            kind, label = SECTIONS[section]
            # One read of the section's codes: a code stays unique within its kind.
            existing = await tx.children(kind)
            codes = {
                str(r.data.get("code") or "").strip().lower(): r.id
                for r in existing
                if r.data.get("code")
            }
            seen: set[int] = set()
            for n, change in enumerate(items):
                where = f"{section}[{n}]"
                if not isinstance(change, Mapping):
                    raise bad_request(where, f"Each {label} is an object.")
                rec = await tx.find(kind, change.get("id"))
                if rec is None:
                    raise bad_request(
                        f"{where}.id", f"There is no {label} with ID {change.get('id')}."
                    )
                if rec.id in seen:
                    raise bad_request(f"{where}.id", f"The {label} {rec.id} is given twice.")
                seen.add(rec.id)
                await _apply(tx, rec, change, where, codes)
                await tx.save(rec)
        return empty(call)

    return await transaction(call, work)
