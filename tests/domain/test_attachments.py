"""Files as an integration sends and fetches them: uploads (multipart, raw, base64 JSON), the
302 to a signed download link, job attachments, and call recordings."""

from __future__ import annotations

import base64
import io
import wave

import httpx
import pytest
from domain_kit import World, connect, insert

from conftest import Creds, make_creds
from localtitan.app import LocalTitan
from localtitan.domain import attachments

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


async def test_image_upload_and_download(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    url = creds.api("/pricebook/v2/tenant/{tenant}/images")
    r = await client.post(
        url, headers=api.headers, files={"file": ("boiler.png", PNG, "image/png")}
    )
    assert r.status_code == 201, r.text
    path = r.json()["path"]
    assert path.startswith("Images/") and path.endswith("/boiler.png")

    r = await client.get(url, headers=api.headers, params={"path": path})
    assert r.status_code == 302
    link = r.headers["location"]
    assert link.startswith("/files/")
    # The signed link needs no credentials, like the blob-storage URL ServiceTitan sends.
    r = await client.get(link)
    assert r.status_code == 200
    assert r.content == PNG
    assert r.headers["content-type"] == "image/png"
    assert 'filename="boiler.png"' in r.headers["content-disposition"]

    tampered = link[:-2] + ("AA" if not link.endswith("AA") else "BB")
    assert (await client.get(tampered)).status_code == 404


async def test_upload_forms_and_bad_input(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    url = creds.api("/equipmentsystems/v2/tenant/{tenant}/installed-equipment/attachments")
    raw = await client.post(
        url,
        headers={**api.headers, "Content-Type": "application/octet-stream"},
        content=b"manual",
    )
    assert raw.status_code in (200, 201), raw.text
    as_json = await client.post(
        url, headers=api.headers, json={"file": base64.b64encode(b"warranty").decode()}
    )
    assert as_json.status_code in (200, 201), as_json.text
    for path, data in ((raw.json()["path"], b"manual"), (as_json.json()["path"], b"warranty")):
        r = await client.get(url, headers=api.headers, params={"path": path})
        assert (await client.get(r.headers["location"])).content == data

    bad = await client.post(url, headers=api.headers, json={"file": "not base64!"})
    assert bad.status_code == 400 and "file" in bad.json()["errors"]
    empty = await client.post(url, headers=api.headers, files={"other": ("a.txt", b"x")})
    assert empty.status_code == 400 and "file" in empty.json()["errors"]
    unknown = await client.get(url, headers=api.headers, params={"path": "Attachments/1/x"})
    assert unknown.status_code == 404
    nonsense = await client.get(url, headers=api.headers, params={"path": "nonsense"})
    assert nonsense.status_code == 400


async def test_another_tenant_cannot_fetch_a_file(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    url = creds.api("/findings/v2/tenant/{tenant}/assets")
    r = await client.post(
        url, headers=api.headers, files={"file": ("a.jpg", b"jpeg", "image/jpeg")}
    )
    path = r.json()["path"]
    other = await make_creds(app.runtime)
    other_api = await connect(client, other)
    r = await client.get(
        other.api("/findings/v2/tenant/{tenant}/assets"),
        headers=other_api.headers,
        params={"path": path},
    )
    assert r.status_code == 404


async def test_expired_link(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = await connect(client, creds)
    url = creds.api("/pricebook/v2/tenant/{tenant}/images")
    r = await client.post(url, headers=api.headers, files={"file": ("a.png", PNG, "image/png")})
    link = (await client.get(url, headers=api.headers, params={"path": r.json()["path"]})).headers[
        "location"
    ]
    real = attachments.time.time
    monkeypatch.setattr(attachments.time, "time", lambda: real() + attachments.FILE_URL_SECONDS + 1)
    assert (await client.get(link)).status_code == 404


async def test_job_attachments(client: httpx.AsyncClient, creds: Creds, app: LocalTitan) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    job = await api.ok("jpm.Jobs_Create", json=await world.job_body())
    r = await client.post(
        creds.api(f"/forms/v2/tenant/{{tenant}}/jobs/{job['id']}/attachments"),
        headers=api.headers,
        files={"file": ("photo.jpg", b"jpeg bytes", "image/jpeg")},
    )
    assert r.status_code == 200 and r.json() == {"fileName": "photo.jpg"}
    listed = await client.get(
        creds.api(f"/forms/v2/tenant/{{tenant}}/jobs/{job['id']}/attachments"),
        headers=api.headers,
    )
    (item,) = listed.json()["data"]
    assert item["fileName"] == "photo.jpg"
    got = await client.get(
        creds.api(f"/forms/v2/tenant/{{tenant}}/jobs/attachment/{item['id']}"),
        headers=api.headers,
    )
    assert got.status_code == 200 and got.content == b"jpeg bytes"
    missing_job = await client.post(
        creds.api("/forms/v2/tenant/{tenant}/jobs/1/attachments"),
        headers=api.headers,
        files={"file": ("x.jpg", b"x", "image/jpeg")},
    )
    assert missing_job.status_code == 404


async def test_call_recording(client: httpx.AsyncClient, creds: Creds, app: LocalTitan) -> None:
    api = await connect(client, creds)
    (call,) = await insert(app, creds, "telecom:calls", [{"duration": "00:01:00"}])
    r = await client.get(
        creds.api(f"/telecom/v2/tenant/{{tenant}}/calls/{call['id']}/recording"),
        headers=api.headers,
    )
    assert r.status_code == 200
    with wave.open(io.BytesIO(r.content)) as w:
        assert w.getnchannels() == 1 and w.getnframes() > 0
    missing = await client.get(
        creds.api("/telecom/v2/tenant/{tenant}/calls/1/voicemail"), headers=api.headers
    )
    assert missing.status_code == 404


async def test_uploaded_html_downloads_and_never_renders_as_a_page(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    url = creds.api("/pricebook/v2/tenant/{tenant}/images")
    page = b"<html><script>document.cookie</script></html>"
    r = await client.post(
        url, headers=api.headers, files={"file": ("résumé ü.html", page, "text/html")}
    )
    assert r.status_code == 201, r.text
    r = await client.get(url, headers=api.headers, params={"path": r.json()["path"]})
    r = await client.get(r.headers["location"])
    assert r.status_code == 200 and r.content == page
    # A download, not a page of the portal's origin: saved, never sniffed, and sandboxed
    # (no script, nothing loaded) should a browser render it anyway.
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert 'filename="r_sum_ _.html"' in disposition
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9%20%C3%BC.html" in disposition
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-security-policy"] == "sandbox; default-src 'none'"


def test_download_headers_quote_any_stored_name() -> None:
    # Names from snapshots are not cleaned on the way in: the header must be safe anyway.
    headers = attachments.download_headers('a"b\\c;d%e\r\nSet-Cookie: x=1.html')
    disposition = headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    assert disposition.startswith('attachment; filename="a_b_c_d_e__Set-Cookie: x=1.html";')
    assert disposition.endswith(
        "filename*=UTF-8''a%22b%5Cc%3Bd%25e%0D%0ASet-Cookie%3A%20x%3D1.html"
    )
    plain = attachments.download_headers("report.pdf")["Content-Disposition"]
    assert plain == 'attachment; filename="report.pdf"'
