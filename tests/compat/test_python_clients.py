"""Real ServiceTitan clients from PyPI against a running localtitan.

``servicepytan`` and ``Titanpy`` hard-code ServiceTitan's host names
(``https://auth-integration.servicetitan.io``, ``https://api.servicetitan.io``, ...) and
call them through ``requests``. Their files are left alone: ``localtitan serve`` runs as a
real server on a free 127.0.0.1 port, and while a test runs, ``requests`` hands every
request for a ServiceTitan host to a transport adapter that sends it to that port with the
same path and the original ``Host`` header (localtitan routes the real host names to their
environment without a path prefix). Any other host is left to ``requests`` as usual.

servicepytan is set up for the integration environment; Titanpy only knows production
(``auth.servicetitan.io``, ``api.servicetitan.io``). Both use the server's quickstart
credentials. The quickstart tenant may hold demo data, so the assertions look for the
records made here (by id and name) and compare counts with the server's own ``totalCount``.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import httpx
import pytest
import requests
from requests.adapters import HTTPAdapter

from conftest import BACKENDS, PG_ADMIN_URL, PG_HOST, free_port
from localtitan.engine.generic import EXPORT_PAGE_SIZE

CUSTOMERS = 120
PAGE_SIZE = 50
STARTUP_SECONDS = 120
ST_HOSTS = frozenset(
    {
        "auth.servicetitan.io",
        "api.servicetitan.io",
        "auth-integration.servicetitan.io",
        "api-integration.servicetitan.io",
    }
)
ENV_PREFIX = {"integration": "/api-integration", "production": "/api"}


# ---------------------------------------------------------------- the server


@dataclass
class Server:
    """A ``localtitan serve`` process and what the tests made in it."""

    backend: str
    origin: str  # http://127.0.0.1:PORT
    quickstart: dict[str, Any]
    http: httpx.Client
    # environment -> {id: name} of the customers made here
    customers: dict[str, dict[int, str]] = field(default_factory=dict)

    @property
    def tenant(self) -> int:
        return int(self.quickstart["tenantId"])

    @property
    def app_key(self) -> str:
        return str(self.quickstart["appKey"])

    def env(self, environment: str) -> dict[str, str]:
        return dict(self.quickstart["environments"][environment])

    def token(self, environment: str) -> str:
        e = self.env(environment)
        prefix = "/auth" if environment == "production" else "/auth-integration"
        r = self.http.post(
            f"{self.origin}{prefix}/connect/token",
            data={
                "grant_type": "client_credentials",
                "client_id": e["clientId"],
                "client_secret": e["clientSecret"],
            },
        )
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    def api(self, environment: str, path: str) -> str:
        return f"{self.origin}{ENV_PREFIX[environment]}/crm/v2/tenant/{self.tenant}/{path}"

    def headers(self, environment: str) -> dict[str, str]:
        return {"Authorization": self.token(environment), "ST-App-Key": self.app_key}

    def create_customer(self, environment: str, name: str, headers: dict[str, str]) -> int:
        address = {
            "street": "1 Compat Way",
            "city": "Fresno",
            "state": "CA",
            "zip": "93650",
            "country": "USA",
        }
        body = {"name": name, "address": address, "locations": [{"name": name, "address": address}]}
        r = self.http.post(self.api(environment, "customers"), json=body, headers=headers)
        assert r.status_code == 200, r.text
        made = int(r.json()["id"])
        self.customers.setdefault(environment, {})[made] = name
        return made

    def total(self, environment: str) -> int:
        """The server's own count of the tenant's customers."""
        r = self.http.get(
            self.api(environment, "customers"),
            params={"includeTotal": "true", "pageSize": 1},
            headers=self.headers(environment),
        )
        assert r.status_code == 200, r.text
        return int(r.json()["totalCount"])


def _admin(sql: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


@pytest.fixture(scope="module", params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """SQLite in the data dir, or a PostgreSQL database of this module's own.

    The server keeps its own server key (in its data dir), which encrypts the signing keys
    in the database, so it cannot share the session's PostgreSQL database.
    """
    if request.param == "sqlite":
        yield None
        return
    request.getfixturevalue("postgres_url")  # skips, or fails in CI, as conftest says
    name = f"localtitan_compat_{os.getpid()}_{secrets.token_hex(4)}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@{PG_HOST}:5432/{name}"
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def server(database_url: str | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    backend = "postgres" if database_url else "sqlite"
    data_dir = tmp_path_factory.mktemp(f"compat-{backend}")
    port = free_port()
    command = [
        sys.executable,
        "-c",
        "from localtitan.cli import main; main()",
        "serve",
        "--data-dir",
        str(data_dir),
        "--port",
        str(port),
        "--rate-limit",
        "0",
    ]
    if database_url:
        command += ["--database-url", database_url]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCALTITAN_")}
    log_path = data_dir / "server.log"
    origin = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                output = log_path.read_text()
                pytest.fail(f"localtitan serve exited with {process.returncode}:\n{output}")
            try:
                if httpx.get(f"{origin}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                output = log_path.read_text()
                pytest.fail(f"localtitan serve did not answer in {STARTUP_SECONDS}s:\n{output}")
            time.sleep(0.2)
        quickstart = json.loads((data_dir / "quickstart.json").read_text())
        with httpx.Client(timeout=30) as http:
            made = Server(backend, origin, quickstart, http)
            for environment in ("integration", "production"):
                headers = made.headers(environment)
                for n in range(1, CUSTOMERS + 1):
                    made.create_customer(environment, f"Compat {environment} {n:03d}", headers)
            yield made
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


# ---------------------------------------------------------------- redirecting requests


class LocalTitanAdapter(HTTPAdapter):
    """Sends a request for a ServiceTitan host to localtitan, keeping path, query and Host."""

    def __init__(self, origin: str) -> None:
        super().__init__()
        self.origin = urlsplit(origin)
        self.sent: list[tuple[str, str]] = []  # (method, original URL)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        assert request.url is not None
        original = urlsplit(request.url)
        self.sent.append((str(request.method), request.url))
        request.headers["Host"] = original.netloc
        request.url = urlunsplit(
            (self.origin.scheme, self.origin.netloc, original.path, original.query, "")
        )
        kwargs["proxies"] = {}
        return super().send(request, **kwargs)

    def pages(self, path_end: str) -> list[dict[str, list[str]]]:
        """Query strings of the GETs sent so far whose path ends with ``path_end``."""
        return [
            parse_qs(urlsplit(url).query, keep_blank_values=True)
            for method, url in self.sent
            if method == "GET" and urlsplit(url).path.endswith(path_end)
        ]


@pytest.fixture
def redirect(server: Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalTitanAdapter]:
    adapter = LocalTitanAdapter(server.origin)
    original = requests.Session.get_adapter

    def get_adapter(self: requests.Session, url: str) -> Any:
        if urlsplit(url).hostname in ST_HOSTS:
            return adapter
        return original(self, url)

    monkeypatch.setattr(requests.Session, "get_adapter", get_adapter)
    yield adapter
    adapter.close()


def _check_all_customers(server: Server, environment: str, records: list[dict[str, Any]]) -> None:
    ids = [int(r["id"]) for r in records]
    assert len(ids) == len(set(ids)), "a customer came back twice"
    assert len(ids) == server.total(environment)
    by_id = {int(r["id"]): r for r in records}
    for made, name in server.customers[environment].items():
        assert made in by_id, f"customer {made} ({name}) is missing"
        assert by_id[made]["name"] == name


# ---------------------------------------------------------------- servicepytan


@pytest.fixture
def servicepytan_conn(server: Server, redirect: LocalTitanAdapter) -> dict[str, Any]:
    servicepytan = pytest.importorskip(
        "servicepytan", reason="servicepytan is not installed (pip install -e '.[dev]')"
    )
    from servicepytan.auth import servicepytan_connect

    e = server.env("integration")
    conn: dict[str, Any] = servicepytan_connect(
        api_environment="integration",
        app_key=server.app_key,
        tenant_id=str(server.tenant),
        client_id=e["clientId"],
        client_secret=e["clientSecret"],
    )
    assert conn["api_root"] == "https://api-integration.servicetitan.io"
    assert conn["auth_root"] == "https://auth-integration.servicetitan.io"
    assert servicepytan.Endpoint  # the package's public entry point
    return conn


def test_servicepytan_get_all_follows_pages(
    server: Server, servicepytan_conn: dict[str, Any], redirect: LocalTitanAdapter
) -> None:
    from servicepytan import Endpoint

    customers = Endpoint("crm", "customers", conn=servicepytan_conn)
    records = customers.get_all({"pageSize": PAGE_SIZE})
    _check_all_customers(server, "integration", records)
    pages = redirect.pages("/customers")
    assert len(pages) == math.ceil(len(records) / PAGE_SIZE) >= 3
    assert [p["page"] for p in pages] == [[str(n)] for n in range(1, len(pages) + 1)]

    # A filter across three pages: exactly the customers asked for (50 ids at most).
    wanted = sorted(server.customers["integration"])[10:60]
    picked = customers.get_all({"pageSize": 20, "ids": ",".join(map(str, wanted))})
    assert sorted(int(r["id"]) for r in picked) == wanted
    assert len(redirect.pages("/customers")) == len(pages) + 3


def test_servicepytan_get_one_and_sub_resources(
    server: Server, servicepytan_conn: dict[str, Any]
) -> None:
    from servicepytan import Endpoint

    made, name = sorted(server.customers["integration"].items())[7]
    customer = Endpoint("crm", "customers", conn=servicepytan_conn).get_one(made)
    assert customer["id"] == made
    assert customer["name"] == name
    assert customer["address"]["city"] == "Fresno"

    locations = Endpoint("crm", "locations", conn=servicepytan_conn).get_all({"customerId": made})
    assert [loc["customerId"] for loc in locations] == [made]
    assert locations[0]["name"] == name

    with pytest.raises(requests.HTTPError) as raised:
        Endpoint("crm", "customers", conn=servicepytan_conn).get_one(9_000_000_000_001)
    assert raised.value.response.status_code == 404
    assert raised.value.response.json()["status"] == 404


def test_servicepytan_export_all_and_continue_from(
    server: Server, servicepytan_conn: dict[str, Any], redirect: LocalTitanAdapter
) -> None:
    from servicepytan import Endpoint

    # Enough customers for two export pages, so export_all follows hasMore/continueFrom.
    headers = server.headers("integration")
    for n in range(EXPORT_PAGE_SIZE + 10 - server.total("integration")):
        server.create_customer("integration", f"Compat bulk {n:04d}", headers)
    customers = Endpoint("crm", "customers", conn=servicepytan_conn)
    records = customers.export_all("customers")
    _check_all_customers(server, "integration", records)
    assert len(records) > EXPORT_PAGE_SIZE
    exports = redirect.pages("/export/customers")
    assert len(exports) == math.ceil(len(records) / EXPORT_PAGE_SIZE) >= 2
    assert exports[0]["from"] == [""]
    assert all(p["from"][0] for p in exports[1:]), "later pages must continue from a token"

    # The last page's continueFrom resumes after everything seen so far: nothing new yet.
    last = customers.export_one("customers")
    while last["hasMore"]:
        last = customers.export_one("customers", export_from=last["continueFrom"])
    token = last["continueFrom"]
    assert token
    empty = customers.export_one("customers", export_from=token)
    assert empty["data"] == []
    assert empty["hasMore"] is False

    # New and changed customers show up after the token, and only they.
    fresh = [server.create_customer("integration", f"Compat late {n}", headers) for n in (1, 2)]
    changed = sorted(server.customers["integration"])[3]
    r = server.http.patch(
        server.api("integration", f"customers/{changed}"),
        json={"name": "Compat renamed"},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    server.customers["integration"][changed] = "Compat renamed"
    later = customers.export_all("customers", export_from=token)
    assert sorted(int(r["id"]) for r in later) == sorted([*fresh, changed])
    assert {int(r["id"]): r["name"] for r in later}[changed] == "Compat renamed"
    exports = redirect.pages("/export/customers")
    assert exports and all(p.get("includeRecentChanges") == ["False"] for p in exports)


# ---------------------------------------------------------------- Titanpy


@pytest.fixture
def titanpy_client(server: Server, redirect: LocalTitanAdapter, tmp_path: Path) -> Any:
    titanpy = pytest.importorskip(
        "Titanpy", reason="Titanpy is not installed (pip install -e '.[dev]')"
    )
    e = server.env("production")
    credentials = tmp_path / "servicetitan_credentials.json"
    credentials.write_text(
        json.dumps(
            {
                "CLIENT_ID": e["clientId"],
                "CLIENT_SECRET": e["clientSecret"],
                "APP_ID": str(server.quickstart["appId"]),
                "APP_KEY": server.app_key,
                "TENANT_ID": str(server.tenant),
                "TIMEZONE": "UTC",
            }
        )
    )
    try:  # Titanpy 0.1.0 connects in Connect(); later versions in the constructor.
        client = titanpy.Titanpy()
        client.Connect(str(credentials))
    except TypeError:
        client = titanpy.Titanpy(str(credentials))
    assert client.access_token, "Titanpy could not get a token from auth.servicetitan.io"
    token_requests = [url for method, url in redirect.sent if method == "POST"]
    assert token_requests == ["https://auth.servicetitan.io/connect/token"]
    return client


def _ok(response: requests.Response | None) -> Any:
    assert response is not None, "Titanpy returned nothing (it prints errors instead)"
    assert response.status_code == 200, response.text
    return response.json()


def test_titanpy_lists_every_page(
    server: Server, titanpy_client: Any, redirect: LocalTitanAdapter
) -> None:
    records: list[dict[str, Any]] = []
    page = 1
    while True:
        body = _ok(titanpy_client.Get(endpoint="customers", query={"page": page, "pageSize": 50}))
        assert body["page"] == page
        records.extend(body["data"])
        if not body["hasMore"]:
            break
        page += 1
    assert page >= 3
    _check_all_customers(server, "production", records)
    hosts = {urlsplit(url).hostname for _, url in redirect.sent}
    assert hosts == {"auth.servicetitan.io", "api.servicetitan.io"}


def test_titanpy_gets_one(server: Server, titanpy_client: Any) -> None:
    made, name = sorted(server.customers["production"].items())[-1]
    body = _ok(titanpy_client.Get(endpoint="customers/", id=made))
    assert body["id"] == made
    assert body["name"] == name
    missing = titanpy_client.Get(endpoint="customers/", id=9_000_000_000_001)
    assert missing.status_code == 404


def test_titanpy_export_follows_continue_from(server: Server, titanpy_client: Any) -> None:
    records: list[dict[str, Any]] = []
    query: dict[str, Any] = {}
    while True:
        body = _ok(titanpy_client.Get(endpoint="export/customers", query=query))
        records.extend(body["data"])
        query = {"from": body["continueFrom"]}
        if not body["hasMore"]:
            break
    _check_all_customers(server, "production", records)

    fresh = server.create_customer("production", "Compat late export", server.headers("production"))
    body = _ok(titanpy_client.Get(endpoint="export/customers", query=query))
    assert [int(r["id"]) for r in body["data"]] == [fresh]
    assert body["data"][0]["name"] == "Compat late export"
    assert body["hasMore"] is False
