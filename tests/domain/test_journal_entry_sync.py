"""An accounting system's sync report on a journal entry: status, synced version, message and
custom fields, visible on later reads."""

from __future__ import annotations

import httpx
from domain_kit import connect, insert

from conftest import Creds
from localtitan.app import LocalTitan


async def test_sync_update_is_kept_on_the_entry(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    (entry,) = await insert(
        app,
        creds,
        "accounting:journal-entries",
        [
            {
                "number": 12,
                "versionId": 3,
                "syncStatus": "NotSynced",
                "status": "Closed",
                "source": "ServiceTitan",
                "customFields": [{"name": "Batch", "value": "A"}],
            }
        ],
    )
    eid = entry["id"]
    body = await api.ok(
        "accounting.JournalEntries_SyncUpdate",
        json={
            "syncStatus": "Synced",
            "versionId": 3,
            "message": "Posted as JE-881",
            "customFields": {"QuickBooksId": "881", "Batch": None},
        },
        id=eid,
    )
    assert body["syncStatus"] == "Synced" and body["lastSyncVersionId"] == 3
    assert body["message"] == "Posted as JE-881"
    assert body["customFields"] == [{"name": "QuickBooksId", "value": "881"}]
    assert body["exportedOn"] is not None
    got = await api.ok("accounting.JournalEntries_Get", id=eid)
    assert got["syncStatus"] == "Synced" and got["lastSyncVersionId"] == 3
    assert got["customFields"] == [{"name": "QuickBooksId", "value": "881"}]
    assert got["modifiedOn"] > entry["modifiedOn"]

    # Syncing an older version than the entry has leaves it out of sync.
    body = await api.ok(
        "accounting.JournalEntries_SyncUpdate",
        json={"syncStatus": "Synced", "versionId": 2},
        id=eid,
    )
    assert body["syncStatus"] == "OutOfSync" and body["lastSyncVersionId"] == 2
    body = await api.ok(
        "accounting.JournalEntries_SyncUpdate",
        json={"syncStatus": "Error", "message": "Account 4000 is closed"},
        id=eid,
    )
    assert body["syncStatus"] == "Error" and body["lastSyncVersionId"] == 2
    assert body["message"] == "Account 4000 is closed"

    error = await api.fails(
        400,
        "accounting.JournalEntries_SyncUpdate",
        json={"syncStatus": "Synced", "versionId": 4},
        id=eid,
    )
    assert error["errors"]["versionId"]
    await api.fails(400, "accounting.JournalEntries_SyncUpdate", json={"message": "x"}, id=eid)
    await api.fails(
        400, "accounting.JournalEntries_SyncUpdate", json={"syncStatus": "Done"}, id=eid
    )
    await api.fails(
        404,
        "accounting.JournalEntries_SyncUpdate",
        json={"syncStatus": "Synced"},
        id="00000000-0000-0000-0000-000000000001",
    )
