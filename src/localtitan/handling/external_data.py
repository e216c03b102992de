"""External data as clients write it: ``{applicationGuid, externalData: [{key, value}],
patchMode}`` in a create or update body, kept as the record's ``externalData`` list, which
lists return and ``externalDataKey=``/``externalDataValues=`` filter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["unwrap_external_data"]


def unwrap_external_data(body: Mapping[str, Any], current: Any = None) -> dict[str, Any]:
    """``body`` with its external-data request turned into the stored list. An update's
    ``patchMode=Merge`` keeps the entries of ``current`` whose keys it does not name;
    ``Replace`` (the default) leaves only those it names."""
    request = body.get("externalData")
    # None first: most bodies have none, and isinstance against an ABC is a Python call.
    if request is None or not isinstance(request, Mapping) or "externalData" not in request:
        return dict(body)
    entries: list[Mapping[str, Any]] = [
        {"key": e.get("key"), "value": e.get("value")}
        for e in request.get("externalData") or []
        if isinstance(e, Mapping)
    ]
    if str(request.get("patchMode") or "").lower() == "merge" and isinstance(current, list):
        kept = {e.get("key"): e for e in current if isinstance(e, Mapping)}
        kept.update({e["key"]: e for e in entries})
        entries = list(kept.values())
    return {**body, "externalData": entries}
