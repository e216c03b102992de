"""The token ceiling: the least an ASGI app can do to answer the server's client-credentials
token request.

A bare ASGI app (no framework) that reads the form, finds the client id's active secrets with
the server's own statement and row shapes (``client_secret_rows``) on the driver itself
(``sqlite3`` on the event loop's thread, or asyncpg connections it keeps), checks the presented
secret with the server's own function (``credentials._identity``: its keyed hash compared in
constant time against every active secret, the connection, app and environment checked),
signs the same claims with the same key through the server's own ``TokenService.issue`` (the
key loaded from the server's database at start, with the server key of its data dir), and
answers the server's JSON and headers. The app's scope set is read once, as the server reads
it (a version never changes). uvicorn runs it with the baseline's settings
(:mod:`bench.baseline`), so ``ceiling / bare`` is what the lookup, the hash and above all the
RS256 signature cost, and ``localtitan / ceiling`` what the server spends beyond them (its
failure limits, form handling through Starlette, the request log, response building).

No failure penalties: a good client is never delayed, and the least a server can keep for
that is no bookkeeping at all on success. Any failure answers a bare 400.

``GET /_ceiling/sign?n=N`` signs N tokens on the server's CPU and answers the CPU time per
signature (the RSA operation alone) and per ``issue`` (claims, encoding and signature), so a
benchmark can print what the signature costs on the machine at hand, in the same run.

Run by ``token_endpoint`` as ``python -m bench.token_ceiling --port P --config FILE``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import parse_qsl

import msgspec

from bench.ceiling import _PostgresDb, _SqliteDb, serve_from_config
from localtitan.auth.keys import KeyRing, SigningKey
from localtitan.auth.token_endpoint import _form_pairs, _Granted, token_body
from localtitan.auth.tokens import _PKCS1, _SHA256, TOKEN_LIFETIME, TokenService
from localtitan.platform.credentials import _identity
from localtitan.platform.environments import Environment
from localtitan.platform.server_key import load_server_key
from localtitan.store.client_reads import client_secret_rows, scope_set_text
from localtitan.store.drivers import DriverReads, Sql

__all__ = ["TokenCeiling", "TokenCeilingSettings", "main"]

T = TypeVar("T")
# The server's headers in its order: content-length goes between these and content-type.
_HEADERS = [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]
_JSON_TYPE = (b"content-type", b"application/json")
_BAD = b'{"error":"invalid_client"}'
_json = msgspec.json.Encoder()


@dataclass(frozen=True)
class TokenCeilingSettings:
    """What the ceiling needs to know; written to a file the ceiling's process reads."""

    data_dir: str  # the server's: its server key
    database_url: str  # the server's SQLAlchemy URL: its signing keys, loaded once
    environment: str  # "integration"
    prefix: str  # "/auth-integration"
    sqlite_path: str | None = None
    postgres_dsn: str | None = None

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.__dict__))

    @classmethod
    def load(cls, path: Path) -> TokenCeilingSettings:
        return cls(**json.loads(path.read_text()))


class _Driver(DriverReads):
    """The server's read functions run on the ceiling's own connection: each call is one
    statement (its own snapshot), as a lookup of one client needs."""

    def __init__(self, db: Any) -> None:
        self._db = db

    async def read(self, work: Callable[[Any], Awaitable[T]], *, short: bool) -> T:
        return await work(self)

    async def one(self, sql: Sql, args: Sequence[Any]) -> list[Sequence[Any]]:
        return cast("list[Sequence[Any]]", await self._db.rows(sql, args))

    async def rows(self, sql: Sql, args: Sequence[Any]) -> list[Sequence[Any]]:
        return cast("list[Sequence[Any]]", await self._db.rows(sql, args))

    async def value(self, sql: Sql, args: Sequence[Any]) -> Any:
        found = await self._db.rows(sql, args)
        return found[0][0] if found else None

    async def close(self) -> None:
        await self._db.close()


class _OneKey:
    """The key ring ``TokenService.issue`` asks: the environment's key, loaded at start."""

    def __init__(self, key: SigningKey) -> None:
        self.key = key

    async def signing_key(self, env: Environment) -> SigningKey:
        return self.key


class TokenCeiling:
    """The ASGI app; see the module's docstring."""

    def __init__(self, settings: TokenCeilingSettings) -> None:
        self.s = settings
        self.env = Environment(settings.environment)
        self._path = settings.prefix + "/connect/token"
        self._server_key = load_server_key(Path(settings.data_dir))
        self._driver: _Driver | None = None
        self._tokens: TokenService | None = None
        self._key: SigningKey | None = None
        self._granted: dict[tuple[int, int], _Granted] = {}

    async def _start(self) -> None:
        from localtitan.store.database import open_database

        db = open_database(self.s.database_url)
        try:
            ring = KeyRing(db, self._server_key)
            self._key = await ring.signing_key(self.env)
        finally:
            await db.close()
        self._tokens = TokenService(cast("KeyRing", _OneKey(self._key)))
        if self.s.sqlite_path:
            self._driver = _Driver(_SqliteDb(self.s.sqlite_path))
        else:
            assert self.s.postgres_dsn
            pg = _PostgresDb(self.s.postgres_dsn)
            await pg.open()
            self._driver = _Driver(pg)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await self._start()
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    if self._driver is not None:
                        await self._driver.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if scope["method"] == "POST" and scope["path"] == self._path:
            status, payload = await self._token(scope, body)
        elif scope["path"] == "/_ceiling/sign":
            status, payload = 200, self._sign_cpu(scope.get("query_string", b""))
        else:
            status, payload = 404, b'{"status":404}'
        headers = [*_HEADERS, (b"content-length", b"%d" % len(payload)), _JSON_TYPE]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    async def _token(self, scope: dict[str, Any], body: bytes) -> tuple[int, bytes]:
        host = b""
        form_type = False
        for key, value in scope["headers"]:
            if key == b"host":
                host = value
            elif key == b"content-type":
                form_type = value.split(b";")[0].strip().lower() == (
                    b"application/x-www-form-urlencoded"
                )
        if not form_type:
            return 400, _BAD
        form = dict(_form_pairs(body.decode()))
        client_id = form.get("client_id", "")
        secret = form.get("client_secret", "")
        if form.get("grant_type") != "client_credentials" or not client_id or not secret:
            return 400, _BAD
        assert self._driver is not None and self._tokens is not None
        rows = await client_secret_rows(self._driver, client_id)
        identity = _identity(rows, self._server_key, self.env, client_id, secret)
        if identity is None:
            return 400, _BAD
        granted = await self._scopes(identity.app_id, identity.scope_version)
        if granted is None:
            return 400, _BAD
        issuer = f"{scope.get('scheme', 'http')}://{host.decode('latin-1')}{self.s.prefix}"
        token, lifetime = await self._tokens.issue(
            environment=self.env,
            issuer=issuer,
            client_id=identity.client_id,
            tenant_id=identity.tenant_id,
            scopes=granted.ordered,
        )
        assert lifetime == TOKEN_LIFETIME
        # The server's own assembly of the answer (the least a server could do: nothing
        # but the token is encoded per request).
        return 200, token_body(token, granted.text_json)

    async def _scopes(self, app_id: int, version: int) -> _Granted | None:
        found = self._granted.get((app_id, version))
        if found is None:
            assert self._driver is not None
            raw = await scope_set_text(self._driver, app_id, version)
            if raw is None:
                return None
            found = self._granted[(app_id, version)] = _Granted.of(frozenset(json.loads(raw)))
        return found

    def _sign_cpu(self, query: bytes) -> bytes:
        """CPU per signature and per issued token, signing ``n`` times here and now."""
        assert self._key is not None and self._tokens is not None
        n = int(dict(parse_qsl(query.decode())).get("n", "200"))
        granted = next(iter(self._granted.values()), None)
        # The claims of a served token (a POST came first; else a one-scope stand-in).
        scopes = granted.ordered if granted is not None else ("tn.customers:read",)

        def issue() -> str:
            assert self._tokens is not None
            token, _ = _drive(
                self._tokens.issue(
                    environment=self.env,
                    issuer="http://127.0.0.1:12345" + self.s.prefix,
                    client_id="cid." + "x" * 25,
                    tenant_id=1,
                    scopes=scopes,
                )
            )
            return str(token)

        signing_input = issue().rpartition(".")[0].encode()
        began = time.thread_time()
        for _ in range(n):
            self._key.private_key.sign(signing_input, _PKCS1, _SHA256)
        sign_us = (time.thread_time() - began) / n * 1e6
        began = time.thread_time()
        for _ in range(n):
            issue()
        issue_us = (time.thread_time() - began) / n * 1e6
        return _json.encode({"n": n, "sign_us": sign_us, "issue_us": issue_us})


def _drive(work: Any) -> Any:
    """Run ``issue`` (which awaits only the fixed key ring) to its end."""
    try:
        work.send(None)
    except StopIteration as stop:
        return stop.value
    work.close()
    raise RuntimeError("issue suspended")


def main(argv: list[str] | None = None) -> None:
    serve_from_config(
        "python -m bench.token_ceiling",
        __doc__,
        lambda config: TokenCeiling(TokenCeilingSettings.load(config)),
        argv,
    )


if __name__ == "__main__":
    main()
