"""Everything one server process shares: settings, database, keys, tokens, limits, manifest."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from localtitan.auth.keys import KeyRing
from localtitan.auth.tokens import TokenService
from localtitan.latency import Latency
from localtitan.limits import Limiter, open_limiter
from localtitan.operations import OperationTable, table_for
from localtitan.platform.server_key import ServerKey, load_server_key
from localtitan.requestlog.recorder import RequestLog
from localtitan.settings import Settings
from localtitan.spec import Manifest, Router, load_manifest
from localtitan.store import Database, migrate, open_database
from localtitan.store.client_reads import client_row

__all__ = ["ClientInfo", "Runtime"]

# How long a worker trusts what it knows of a client id: a deactivated connection or app stops
# working within this many seconds.
_CLIENT_TTL = 5.0


@dataclass(frozen=True)
class ClientInfo:
    client_id: str
    app_id: int
    app_key: str
    tenant_id: int
    environment: str
    active: bool
    # The app was deleted: its key is revoked (403), not merely paused (401).
    revoked: bool = False
    # The key as the bytes of an ST-App-Key header that carries it (the door compares the
    # header's bytes; its text would be them decoded as latin-1), or None for a key no header
    # could carry.
    app_key_bytes: bytes | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            encoded: bytes | None = self.app_key.encode("latin-1")
        except UnicodeEncodeError:
            encoded = None
        object.__setattr__(self, "app_key_bytes", encoded)


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.manifest: Manifest = load_manifest()
        # operation id -> (handler, "generic" | "behaviour"), checked against the manifest now:
        # a handler for no operation, or two for one, stops the start here, before
        # anything is opened.
        self.handlers: OperationTable = table_for(self.manifest)
        self.server_key: ServerKey = load_server_key(settings.data_dir)
        self.db: Database = open_database(settings.resolved_database_url)
        self.keys = KeyRing(self.db, self.server_key)
        self.tokens = TokenService(self.keys)
        self.limiter: Limiter = open_limiter(settings.redis_url, settings.resolved_limits_file)
        self.router = Router(self.manifest.operations)
        self.request_log = RequestLog(self.db, settings)
        self.latency = Latency.from_setting(settings.latency)
        self._clients: dict[str, tuple[float, ClientInfo | None]] = {}

    async def start(self) -> None:
        await migrate(self.db)
        await self.keys.ensure()
        await self.db.refresh_statistics()

    async def close(self) -> None:
        await self.limiter.close()
        await self.db.close()

    def forget_clients(self) -> None:
        """Drop what this process knows of clients, after a change made in this process
        (disable, delete) that must take effect now rather than within the cache's lifetime."""
        self._clients.clear()

    async def client(self, client_id: str) -> ClientInfo | None:
        now = time.monotonic()
        hit = self._clients.get(client_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        row = await client_row(self.db.reads, client_id)
        info = (
            ClientInfo(
                client_id,
                row.app_id,
                row.app_key,
                row.tenant_id,
                row.environment,
                row.active and row.app_active,
                row.app_deleted,
            )
            if row
            else None
        )
        if len(self._clients) > 50_000:
            self._clients.clear()
        self._clients[client_id] = (now + _CLIENT_TTL, info)
        return info
