"""The intercepting proxy and the HTTPS port, in-process on SQLite and PostgreSQL.

``HostsServer`` (what ``serve --https-port --proxy-port`` runs) is started in the test's own
event loop on free 127.0.0.1 ports with the ``app`` fixture's application. An audit hook
records every socket connect and name lookup this process makes, which shows that the
proxy, refusing other hosts, never connects or resolves anything.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy.engine import make_url

from conftest import Creds
from localtitan.app import LocalTitan
from localtitan.hosts import proxy as proxy_module
from localtitan.hosts.ca import LocalCA, ensure_ca, server_ssl_context
from localtitan.hosts.servers import HostsServer, bind

HOSTS = (
    "auth.servicetitan.io",
    "auth-integration.servicetitan.io",
    "api.servicetitan.io",
    "api-integration.servicetitan.io",
)

# ---------------------------------------------------------------- watching the sockets

_recording: list[list[tuple[str, Any]]] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _recording and event in ("socket.connect", "socket.getaddrinfo"):
        _recording[-1].append((event, args[1] if event == "socket.connect" else args[0]))


sys.addaudithook(_audit)  # audit hooks cannot be removed; this one only records on demand


@pytest.fixture
def sockets_opened() -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []
    _recording.append(seen)
    try:
        yield seen
    finally:
        _recording.remove(seen)


# ---------------------------------------------------------------- the server


@dataclass
class Running:
    ca: LocalCA
    proxy_port: int
    https_port: int
    app: LocalTitan

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}"

    def trusting(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca.cert_path))

    def client(self, verify: ssl.SSLContext | bool | None = None) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            proxy=self.proxy_url,
            verify=self.trusting() if verify is None else verify,
            trust_env=False,
            timeout=20,
        )


@pytest.fixture
async def running(
    app: LocalTitan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Running]:
    monkeypatch.setattr(proxy_module, "HEAD_TIMEOUT", 0.5)
    ca = ensure_ca(tmp_path)
    https_sock, proxy_sock = bind("127.0.0.1", 0), bind("127.0.0.1", 0)
    config = uvicorn.Config(app, lifespan="off", log_level="warning")
    server = HostsServer(
        config,
        tls=server_ssl_context(ca),
        https_sock=https_sock,
        proxy_sock=proxy_sock,
        data_dir=tmp_path,
    )
    task = asyncio.create_task(server.serve(sockets=[]))
    # HostsServer.ready is a threading.Event (localtitan run waits on it from another thread).
    await asyncio.to_thread(server.ready.wait, 30)
    assert server.started
    state = json.loads((tmp_path / "proxy.json").read_text())
    assert state["port"] == proxy_sock.getsockname()[1]
    try:
        yield Running(ca, proxy_sock.getsockname()[1], https_sock.getsockname()[1], app)
    finally:
        server.should_exit = True
        await task
        assert not (tmp_path / "proxy.json").exists()


async def _token(http: httpx.AsyncClient, creds: Creds, host: str) -> httpx.Response:
    return await http.post(
        f"https://{host}/connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
        },
    )


async def _make_customer(client: httpx.AsyncClient, creds: Creds, name: str) -> int:
    address = {
        "street": "1 Proxy Way",
        "city": "Fresno",
        "state": "CA",
        "zip": "93650",
        "country": "USA",
    }
    r = await client.post(
        creds.api("/crm/v2/tenant/{tenant}/customers"),
        json={"name": name, "address": address, "locations": [{"name": name, "address": address}]},
        headers=await creds.headers(client),
    )
    assert r.status_code == 200, r.text
    return int(r.json()["id"])


async def _raw(port: int, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return answer


def _refusal(answer: bytes) -> tuple[int, dict[str, Any]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    return status, json.loads(body)


# ---------------------------------------------------------------- serving the real hosts


async def test_the_two_step_call_through_connect_reaches_the_integration_environment(
    running: Running, client: httpx.AsyncClient, creds: Creds, sockets_opened: list[Any]
) -> None:
    made = await _make_customer(client, creds, "Proxy Customer")
    async with running.client() as http:
        r = await _token(http, creds, "auth-integration.servicetitan.io")
        assert r.status_code == 200, r.text
        token = r.json()["access_token"]
        r = await http.get(
            f"https://api-integration.servicetitan.io/crm/v2/tenant/{creds.tenant_id}/customers",
            params={"ids": str(made)},
            headers={"Authorization": token, "ST-App-Key": creds.app_key},
        )
        assert r.status_code == 200, r.text
        assert [c["name"] for c in r.json()["data"]] == ["Proxy Customer"]
        # The production host is production: these integration credentials are unknown there.
        r = await _token(http, creds, "auth.servicetitan.io")
        assert r.status_code in (400, 401)
        assert r.json()["error"] == "invalid_client"
    # The client reached nothing but the proxy. The server in this process may open database
    # connections of its own meanwhile (a pool grows when it needs to): those are not the
    # client's.
    database = make_url(running.app.runtime.settings.resolved_database_url)
    own = {(database.host, database.port or 5432)} if database.host else set()
    client_made = {addr for _, addr in sockets_opened} - own
    assert client_made <= {("127.0.0.1", running.proxy_port)}


async def test_plain_http_proxy_requests_reach_the_application(
    running: Running, client: httpx.AsyncClient, creds: Creds
) -> None:
    made = await _make_customer(client, creds, "Plain Customer")
    async with running.client() as http:
        r = await http.post(
            "http://auth-integration.servicetitan.io/connect/token",
            data={
                "grant_type": "client_credentials",
                "client_id": creds.client_id,
                "client_secret": creds.client_secret,
            },
        )
        assert r.status_code == 200, r.text
        r = await http.get(
            f"http://api-integration.servicetitan.io/crm/v2/tenant/{creds.tenant_id}/customers/{made}",
            headers={"Authorization": r.json()["access_token"], "ST-App-Key": creds.app_key},
        )
        assert r.status_code == 200, r.text
        assert r.json()["name"] == "Plain Customer"
        # One request per connection: the next one may be for another host.
        assert r.headers["connection"] == "close"


async def test_the_https_port_serves_the_real_host_names(running: Running, creds: Creds) -> None:
    async with httpx.AsyncClient(verify=running.trusting(), trust_env=False) as http:
        r = await http.post(
            f"https://127.0.0.1:{running.https_port}/connect/token",
            headers={"Host": "auth-integration.servicetitan.io"},
            data={
                "grant_type": "client_credentials",
                "client_id": creds.client_id,
                "client_secret": creds.client_secret,
            },
        )
        assert r.status_code == 200, r.text
        r = await http.get(
            f"https://localhost:{running.https_port}/crm/v2/tenant/{creds.tenant_id}/customers",
            headers={
                "Host": "api-integration.servicetitan.io",
                "Authorization": r.json()["access_token"],
                "ST-App-Key": creds.app_key,
            },
        )
        assert r.status_code == 200, r.text
        assert "data" in r.json()


async def test_certificates_verify_with_the_ca_and_fail_without_it(running: Running) -> None:
    untrusting = ssl.create_default_context()  # the system's CAs, not localtitan's
    async with running.client(verify=untrusting) as http:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await http.get("https://api-integration.servicetitan.io/")
    async with httpx.AsyncClient(verify=untrusting, trust_env=False) as http:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await http.get(f"https://127.0.0.1:{running.https_port}/healthz")
    async with running.client() as http:
        r = await http.get("https://api-integration.servicetitan.io/")
        assert r.status_code == 404  # reached localtitan, which has nothing at /


# ---------------------------------------------------------------- refusing everything else


async def test_other_hosts_and_ports_are_refused_and_nothing_else_is_connected(
    running: Running, sockets_opened: list[Any]
) -> None:
    bait = socket.socket()
    bait.bind(("127.0.0.1", 0))
    bait.listen()
    bait.setblocking(False)
    bait_port = bait.getsockname()[1]
    try:
        for request, where in (
            (b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", "example.com"),
            (f"CONNECT 127.0.0.1:{bait_port} HTTP/1.1\r\n\r\n".encode(), "127.0.0.1"),
            (b"CONNECT localhost:443 HTTP/1.1\r\n\r\n", "localhost"),
            (b"GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n", "example.com"),
            (b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", "example.com"),
        ):
            status, body = _refusal(await _raw(running.proxy_port, request))
            assert status == 403, request
            assert where in body["title"]
            for host in HOSTS:
                assert host in body["title"]
            assert body["status"] == 403
        for request in (
            b"CONNECT api.servicetitan.io:8443 HTTP/1.1\r\n\r\n",
            f"CONNECT api.servicetitan.io:{bait_port} HTTP/1.1\r\n\r\n".encode(),
            b"GET http://api.servicetitan.io:8080/ HTTP/1.1\r\nHost: api.servicetitan.io\r\n\r\n",
        ):
            status, body = _refusal(await _raw(running.proxy_port, request))
            assert status == 403, request
            assert "ports 443 (HTTPS) and 80 only" in body["title"]
        with pytest.raises(BlockingIOError):
            bait.accept()  # nobody came
    finally:
        bait.close()
    assert sockets_opened, "the audit hook saw nothing: it is not working"
    assert {addr for _, addr in sockets_opened} == {("127.0.0.1", running.proxy_port)}


async def test_clients_refused_by_the_proxy_get_a_clear_error(running: Running) -> None:
    async with running.client() as http:
        with pytest.raises(httpx.ProxyError, match="403"):
            await http.get("https://example.com/")
        r = await http.get("http://example.com/")
        assert r.status_code == 403
        assert "auth-integration.servicetitan.io" in r.json()["title"]


@pytest.mark.parametrize(
    ("request_bytes", "status", "words"),
    [
        (b"GET / HTTP/1.0\r\n\r\n", 400, "no Host header"),
        (b"CONNECT api.servicetitan.io HTTP/1.1\r\n\r\n", 400, "host:port"),
        (b"GET https://api.servicetitan.io/ HTTP/1.1\r\n\r\n", 400, "CONNECT"),
        (b"GET ftp://api.servicetitan.io/ HTTP/1.1\r\n\r\n", 400, "not an http:// URL"),
        (b"GET / HTTP/2.0\r\nHost: api.servicetitan.io\r\n\r\n", 400, "HTTP/1.1"),
        (b"BAD\r\n\r\n", 400, "request line"),
        (b"GET / HTTP/1.1\r\nno colon here\r\n\r\n", 400, "malformed"),
        (b"GET / HTTP/1.1\r\nX: " + b"a" * 20_000 + b"\r\n\r\n", 431, "16 KiB"),
        (b"GET / HTTP/1.1\r\nX: " + b"a" * 20_000, 431, "16 KiB"),
    ],
)
async def test_malformed_proxy_requests_get_an_error_and_lose_nothing(
    running: Running, request_bytes: bytes, status: int, words: str
) -> None:
    got, body = _refusal(await _raw(running.proxy_port, request_bytes))
    assert got == status
    assert words in body["title"]
    # The proxy is still serving.
    got, _ = _refusal(await _raw(running.proxy_port, b"CONNECT example.com:443 HTTP/1.1\r\n\r\n"))
    assert got == 403


async def test_a_silent_client_is_disconnected(running: Running) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", running.proxy_port)
    writer.write(b"CONNECT api.servicetitan.io:443 HTTP/1.1\r\n")  # and never finishes
    assert await asyncio.wait_for(reader.read(), 5) == b""
    writer.close()


async def test_a_tunnel_serves_only_the_host_it_was_opened_to(
    running: Running, creds: Creds
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", running.proxy_port)
    writer.write(b"CONNECT api-integration.servicetitan.io:443 HTTP/1.1\r\n\r\n")
    await writer.drain()
    assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
    await writer.start_tls(running.trusting(), server_hostname="api-integration.servicetitan.io")
    writer.write(
        b"POST /connect/token HTTP/1.1\r\nHost: auth-integration.servicetitan.io\r\n"
        b"Content-Length: 0\r\nConnection: close\r\n\r\n"
    )
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    status, body = _refusal(answer)
    assert status == 421
    assert "opened to api-integration.servicetitan.io" in body["title"]
