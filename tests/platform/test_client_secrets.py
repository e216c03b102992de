"""Client ids and secrets: their shape, two active secrets, deactivate and restore."""

from __future__ import annotations

import re

import httpx
import pytest

from conftest import Creds, make_creds
from localtitan.app import LocalTitan
from localtitan.platform.credentials import (
    CredentialError,
    connect_app,
    create_secret,
    deactivate_secret,
    list_secrets,
    restore_secret,
)
from localtitan.platform.environments import Environment
from localtitan.runtime import Runtime

CLIENT_ID = re.compile(r"cid\.[a-z0-9]{25}")
SECRET = re.compile(r"cs([12])\.[A-Za-z0-9]{43,}")


async def _token_status(client: httpx.AsyncClient, creds: Creds, secret: str) -> int:
    r = await client.post(
        creds.token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": creds.client_id,
            "client_secret": secret,
        },
    )
    if r.status_code != 200:
        assert r.json()["error"] == "invalid_client", r.text
    return r.status_code


async def _new_secret(runtime: Runtime, client_id: str) -> tuple[int, str]:
    async with runtime.db.begin() as conn:
        issued = await create_secret(conn, runtime.server_key, client_id)
    return issued.id, issued.secret


async def _secret_ids(runtime: Runtime, client_id: str) -> dict[int, bool]:
    async with runtime.db.read() as conn:
        return {int(s["id"]): bool(s["active"]) for s in await list_secrets(conn, client_id)}


async def _set_active(runtime: Runtime, client_id: str, secret_id: int, active: bool) -> None:
    async with runtime.db.begin() as conn:
        if active:
            await restore_secret(conn, client_id, secret_id)
        else:
            await deactivate_secret(conn, client_id, secret_id)


async def test_client_id_and_secret_formats(app: LocalTitan) -> None:
    for env in Environment:
        creds = await make_creds(app.runtime, environment=env)
        assert CLIENT_ID.fullmatch(creds.client_id), creds.client_id
        match = SECRET.fullmatch(creds.client_secret)
        assert match and match.group(1) == "1", creds.client_secret
        assert creds.app_key.startswith("ak1.")
        _, second = await _new_secret(app.runtime, creds.client_id)
        match = SECRET.fullmatch(second)
        assert match and match.group(1) == "2", second
        assert second != creds.client_secret


async def test_two_secrets_work_side_by_side_and_a_third_is_refused(
    client: httpx.AsyncClient, app: LocalTitan, creds: Creds
) -> None:
    runtime = app.runtime
    _, second = await _new_secret(runtime, creds.client_id)
    assert second.startswith("cs2.")
    assert await _token_status(client, creds, creds.client_secret) == 200
    assert await _token_status(client, creds, second) == 200
    with pytest.raises(CredentialError, match="2 active secrets"):
        await _new_secret(runtime, creds.client_id)
    assert len(await _secret_ids(runtime, creds.client_id)) == 2


async def test_deactivate_and_restore(
    client: httpx.AsyncClient, app: LocalTitan, creds: Creds
) -> None:
    runtime = app.runtime
    [first_id] = await _secret_ids(runtime, creds.client_id)
    second_id, second = await _new_secret(runtime, creds.client_id)

    await _set_active(runtime, creds.client_id, first_id, False)
    assert await _secret_ids(runtime, creds.client_id) == {first_id: False, second_id: True}
    assert await _token_status(client, creds, creds.client_secret) == 400
    assert await _token_status(client, creds, second) == 200

    await _set_active(runtime, creds.client_id, first_id, True)
    assert await _secret_ids(runtime, creds.client_id) == {first_id: True, second_id: True}
    assert await _token_status(client, creds, creds.client_secret) == 200
    assert await _token_status(client, creds, second) == 200

    # Deactivating every secret locks the client out entirely.
    await _set_active(runtime, creds.client_id, first_id, False)
    await _set_active(runtime, creds.client_id, second_id, False)
    assert await _token_status(client, creds, creds.client_secret) == 400
    assert await _token_status(client, creds, second) == 400


async def test_a_freed_slot_is_reused(app: LocalTitan, creds: Creds) -> None:
    """With cs1 deactivated and cs2 active, the next secret takes slot 1 again."""
    runtime = app.runtime
    [first_id] = await _secret_ids(runtime, creds.client_id)
    await _new_secret(runtime, creds.client_id)
    await _set_active(runtime, creds.client_id, first_id, False)
    _, third = await _new_secret(runtime, creds.client_id)
    assert third.startswith("cs1."), third


async def test_restoring_beyond_two_active_is_refused(app: LocalTitan, creds: Creds) -> None:
    runtime = app.runtime
    [first_id] = await _secret_ids(runtime, creds.client_id)
    await _set_active(runtime, creds.client_id, first_id, False)
    await _new_secret(runtime, creds.client_id)
    await _new_secret(runtime, creds.client_id)
    with pytest.raises(CredentialError, match="deactivate one"):
        await _set_active(runtime, creds.client_id, first_id, True)


async def test_secret_ids_belong_to_their_connection(app: LocalTitan, creds: Creds) -> None:
    other = await make_creds(app.runtime)
    [other_secret] = await _secret_ids(app.runtime, other.client_id)
    with pytest.raises(CredentialError, match="has no secret"):
        await _set_active(app.runtime, creds.client_id, other_secret, False)
    with pytest.raises(CredentialError, match="no connection"):
        await _new_secret(app.runtime, "cid." + "x" * 25)
    assert await _secret_ids(app.runtime, other.client_id) == {other_secret: True}


async def test_secret_list_shows_hints_only(app: LocalTitan, creds: Creds) -> None:
    async with app.runtime.db.read() as conn:
        [entry] = await list_secrets(conn, creds.client_id)
    hint = str(entry["hint"])
    assert hint.startswith("cs1.")
    assert len(hint) < 16
    assert creds.client_secret[4:-4] not in hint
    assert creds.client_secret not in repr(entry)


async def test_connecting_twice_is_refused(app: LocalTitan, creds: Creds) -> None:
    runtime = app.runtime
    async with runtime.db.begin() as conn:
        with pytest.raises(CredentialError, match="already connected"):
            await connect_app(
                conn,
                runtime.server_key,
                app_id=creds.app_id,
                tenant_id=creds.tenant_id,
                environment=Environment.INTEGRATION,
            )
        # The other environment is a separate connection with its own client id.
        connection, issued = await connect_app(
            conn,
            runtime.server_key,
            app_id=creds.app_id,
            tenant_id=creds.tenant_id,
            environment=Environment.PRODUCTION,
        )
    assert connection.client_id != creds.client_id
    assert issued.secret.startswith("cs1.")
