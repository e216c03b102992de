"""Pricebook bulk update (``PATCH /pricebook/v2/tenant/{t}/pricebook``): services, materials,
equipment and discounts/fees changed in one request, all or nothing (docs/decisions/0156)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from localtitan.handling import Tx, bad_request, empty, respond, transaction
from localtitan.handling.call import Call, Result
from localtitan.handling.table import Handlers
from localtitan.store.records import Stored

HANDLERS = Handlers(__name__)
register = HANDLERS.register

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


# ---------------------------------------------------------------- bulk create

# Link fields of a created item -> whether each link carries a quantity.
_LINKS = {
    "serviceMaterials": True,
    "serviceEquipment": True,
    "equipmentMaterials": True,
    "recommendations": False,
    "upgrades": False,
}
_SKU_KINDS = tuple(kind for kind, _ in SECTIONS.values())


class _Refs:
    """The SKUs a bulk create may link to: those it creates (by customId) and stored ones."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx
        self.custom: dict[str, int] = {}

    async def resolve(self, link: Mapping[str, Any], where: str) -> int:
        custom = link.get("customId")
        if custom:
            found = self.custom.get(str(custom))
            if found is None:
                raise bad_request(
                    f"{where}.customId", f"No item of this request has customId '{custom}'."
                )
            return found
        sku_id = link.get("skuId")
        for kind in _SKU_KINDS:
            sku = await self.tx.find(kind, sku_id)
            if sku is not None:
                return sku.id
        raise bad_request(f"{where}.skuId", f"There is no pricebook item with ID {sku_id}.")


async def _link_fields(refs: _Refs, rec: Stored, item: Mapping[str, Any], where: str) -> bool:
    changed = False
    for name, with_quantity in _LINKS.items():
        links = item.get(name)
        if not isinstance(links, list):
            continue
        resolved: list[Any] = []
        for n, link in enumerate(links):
            if not isinstance(link, Mapping):
                raise bad_request(f"{where}.{name}[{n}]", "Each link is an object.")
            sku = await refs.resolve(link, f"{where}.{name}[{n}]")
            if with_quantity:
                resolved.append({"skuId": sku, "quantity": link.get("quantity")})
            else:
                resolved.append(sku)
        rec.data[name] = resolved
        changed = True
    return changed


@register("pricebook.PricebookBulk_Create")
async def bulk_create(call: Call) -> Result:
    body: Mapping[str, Any] = call.body if isinstance(call.body, Mapping) else {}
    sections = {k: v for k, v in body.items() if k in SECTIONS and isinstance(v, list)}
    count = sum(len(v) for v in sections.values())
    if count == 0:
        raise bad_request("$", "Send at least one pricebook item to create.")
    if count > MAX_ITEMS:
        raise bad_request("$", f"At most {MAX_ITEMS} pricebook items per request.")

    async def work(tx: Tx) -> Result:
        refs = _Refs(tx)
        made: list[tuple[Stored, Mapping[str, Any], str]] = []
        mapping: dict[str, list[dict[str, Any]]] = {}
        # First every record (so links may name items later in the request), then the links.
        for section, items in sections.items():
            kind, label = SECTIONS[section]
            codes = {
                str(r.data.get("code") or "").strip().lower()
                for r in await tx.children(kind)
                if r.data.get("code")
            }
            mapping[section] = []
            for n, item in enumerate(items):
                where = f"{section}[{n}]"
                if not isinstance(item, Mapping):
                    raise bad_request(where, f"Each {label} is an object.")
                code = str(item.get("code") or "").strip().lower()
                if code in codes:
                    raise bad_request(f"{where}.code", f"The code '{item.get('code')}' is used.")
                codes.add(code)
                custom = item.get("customId")
                if custom and str(custom) in refs.custom:
                    raise bad_request(f"{where}.customId", f"The customId '{custom}' is repeated.")
                data = {
                    k: v
                    for k, v in item.items()
                    if k not in _NOT_COPIED
                    and k not in _LINKS
                    and k != "customId"
                    and v is not None
                }
                data = {_VARIATIONS.get(k, k): v for k, v in data.items()}
                data["active"] = item.get("active") is not False
                if isinstance(item.get("categories"), list):
                    data["categories"] = await _categories(tx, item["categories"], where)
                if isinstance(item.get("externalData"), Mapping):
                    data["externalData"] = _external_data([], item["externalData"])
                rec = await tx.create(kind, data)
                if custom:
                    refs.custom[str(custom)] = rec.id
                made.append((rec, item, where))
                mapping[section].append({"customId": str(custom or ""), "id": rec.id})
        for rec, item, where in made:
            if await _link_fields(refs, rec, item, where):
                await tx.save(rec)
        return respond(call, mapping)

    return await transaction(call, work)
