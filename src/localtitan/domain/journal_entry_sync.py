"""An accounting system reporting how far it synced a journal entry
(``PATCH .../journal-entries/{id}/sync``): the sync status, the version it synced, its message
and custom fields, kept on the entry for later reads (docs/decisions/0154)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from localtitan.domain._guid_records import find_by_guid
from localtitan.handling import Tx, bad_request, not_found, respond, transaction
from localtitan.handling.call import Call, Result
from localtitan.handling.table import Handlers
from localtitan.store.records import format_time

HANDLERS = Handlers(__name__)
register = HANDLERS.register

__all__: list[str] = []

JOURNAL_ENTRIES = "accounting:journal-entries"
MAX_MESSAGE = 4000


def _merge_custom_fields(current: Any, changes: Mapping[str, Any]) -> list[dict[str, Any]]:
    fields: dict[str, dict[str, Any]] = {
        str(f["name"]): {"name": f["name"], "value": f.get("value")}
        for f in current or []
        if isinstance(f, Mapping) and f.get("name")
    }
    for name, value in changes.items():
        if value is None:
            fields.pop(name, None)  # a null value clears the field
        else:
            fields[name] = {"name": name, "value": value}
    return list(fields.values())


@register("accounting.JournalEntries_SyncUpdate")
async def sync_journal_entry(call: Call) -> Result:
    body: Mapping[str, Any] = call.body if isinstance(call.body, Mapping) else {}
    status = body.get("syncStatus")
    if not status:
        raise bad_request("syncStatus", "The syncStatus field is required.")
    message = body.get("message")
    if isinstance(message, str) and len(message) > MAX_MESSAGE:
        raise bad_request("message", f"The message must be at most {MAX_MESSAGE} characters.")

    async def work(tx: Tx) -> Result:
        entry = await find_by_guid(tx, JOURNAL_ENTRIES, call.path.get("id"))
        if entry is None:
            raise not_found("Journal entry", call.path.get("id"))
        d = entry.data
        found = d.get("versionId")
        current: int = found if isinstance(found, int) and found > 0 else 1
        asked = body.get("versionId")
        synced: int | None = asked if isinstance(asked, int) else None
        if synced is not None and (synced < 1 or synced > current):
            raise bad_request(
                "versionId",
                f"Journal entry {d.get('id')} has versions 1 to {current}; got {synced}.",
            )
        new_status = status
        if status in ("Synced", "OutOfSync"):
            version = current if synced is None else synced
            d["lastSyncVersionId"] = version
            # Synced an older version than the entry now has: it changed since.
            if status == "Synced" and version < current:
                new_status = "OutOfSync"
            d["exportedOn"] = format_time(tx.now)
            d["exportedBy"] = {"id": call.app_id, "name": call.client_id}
        d["syncStatus"] = new_status
        if "message" in body:
            d["message"] = message
        if isinstance(body.get("customFields"), Mapping):
            d["customFields"] = _merge_custom_fields(d.get("customFields"), body["customFields"])
        await tx.save(entry)
        return respond(call, entry.data)

    return await transaction(call, work)
