"""The verified-token cache (auth/tokens.py) lets a token it has seen skip RSA, and nothing
else: a token that only shares its ending with a verified one is checked in full."""

from __future__ import annotations

import base64
import json

import httpx

from conftest import Creds

CUSTOMERS = "/crm/v2/tenant/{tenant}/customers"


def _with_claims(token: str, **changes: object) -> str:
    """The same token (same signature, so the same ending) with other claims in its payload."""
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{forged}.{signature}"


async def test_a_token_sharing_a_verified_tokens_signature_is_refused(
    client: httpx.AsyncClient, creds: Creds
) -> None:
    token = await creds.token(client)
    url = creds.api(CUSTOMERS) + "?pageSize=5"
    headers = {"Authorization": token, "ST-App-Key": creds.app_key}
    assert (await client.get(url, headers=headers)).status_code == 200  # now cached

    forged = _with_claims(token, scope=["tn.crm.customers:r", "tn.everything:rw"])
    for _ in range(2):
        r = await client.get(url, headers={**headers, "Authorization": forged})
        assert r.status_code == 401, r.text
        assert r.json()["title"] == "The access token is invalid."
    # The genuine token still works after the forged one was refused.
    assert (await client.get(url, headers=headers)).status_code == 200
    assert (
        await client.get(url, headers={**headers, "Authorization": f"Bearer {token}"})
    ).status_code == 200


async def test_a_token_of_the_same_length_and_signature_is_refused(
    client: httpx.AsyncClient, creds: Creds
) -> None:
    """Only the signature is compared in constant time; the claims before it must match too."""
    token = await creds.token(client)
    url = creds.api(CUSTOMERS) + "?pageSize=5"
    headers = {"Authorization": token, "ST-App-Key": creds.app_key}
    assert (await client.get(url, headers=headers)).status_code == 200  # now cached

    head, payload, signature = token.split(".")
    middle = len(payload) // 2
    swapped = "B" if payload[middle] != "B" else "C"
    forged = f"{head}.{payload[:middle]}{swapped}{payload[middle + 1 :]}.{signature}"
    assert len(forged) == len(token) and forged[-64:] == token[-64:]
    r = await client.get(url, headers={**headers, "Authorization": forged})
    assert r.status_code == 401, r.text
    assert (await client.get(url, headers=headers)).status_code == 200


async def test_a_known_token_is_accepted_however_the_header_spaces_it(
    client: httpx.AsyncClient, creds: Creds
) -> None:
    """The door finds a verified token as the header's bytes; a header it cannot match so
    (here a trailing no-break space, latin-1 0xA0, which text stripping removes) is read as
    text as before, with the same answer."""
    token = await creds.token(client)
    url = creds.api(CUSTOMERS) + "?pageSize=5"
    for value in (token, f"Bearer {token}", f"  bearer   {token}  ", f"BEARER {token}\t"):
        r = await client.get(url, headers={"Authorization": value, "ST-App-Key": creds.app_key})
        assert r.status_code == 200, (value[:10], r.text)
    spaced = {"Authorization": b"Bearer " + token.encode() + b"\xa0", "ST-App-Key": creds.app_key}
    assert (await client.get(url, headers=spaced)).status_code == 200
    # An app key is compared as it arrived: one more byte, or a non-ASCII one, is another key.
    for key in (creds.app_key.encode() + b" ", creds.app_key.encode()[:-1] + b"\xe9"):
        r = await client.get(url, headers={"Authorization": token, "ST-App-Key": key})
        assert r.status_code == 403, r.text
        assert r.json()["title"] == "The app key does not belong to the app of this access token."
