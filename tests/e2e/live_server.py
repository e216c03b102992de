"""A localtitan server on a free port in a thread, with the quickstart tenant and demo data.

Used by the browser tests and by the code-sample tests (which need no browser).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from conftest import free_port
from localtitan.app import LocalTitan
from localtitan.demo.seed import seed_tenant
from localtitan.platform import quickstart
from localtitan.runtime import Runtime
from localtitan.settings import Settings

__all__ = ["LiveServer", "serve"]

DEMO_CUSTOMERS = 30


@dataclass(frozen=True)
class LiveServer:
    origin: str
    quickstart: dict[str, Any]
    data_dir: Path

    def env(self, environment: str = "integration") -> dict[str, str]:
        """The four variables every code sample reads."""
        creds = self.quickstart["environments"][environment]
        return {
            "ST_CLIENT_ID": creds["clientId"],
            "ST_CLIENT_SECRET": creds["clientSecret"],
            "ST_APP_KEY": self.quickstart["appKey"],
            "ST_TENANT_ID": str(self.quickstart["tenantId"]),
        }


async def _prepare(settings: Settings) -> dict[str, Any]:
    runtime = Runtime(settings)
    await runtime.start()
    try:
        async with runtime.db.begin() as conn:
            data = await quickstart.create_quickstart(
                conn, runtime.server_key, settings.data_dir, settings.base_url,
                runtime.manifest.scopes,
            )  # fmt: skip
        await seed_tenant(
            runtime.db,
            runtime.manifest,
            environment="integration",
            tenant_id=int(data["tenantId"]),
            customers=DEMO_CUSTOMERS,
            seed=8,
        )
        return data
    finally:
        await runtime.close()


@contextmanager
def serve(data_dir: Path) -> Iterator[LiveServer]:
    port = free_port()
    settings = Settings(data_dir=data_dir, port=port, rate_limit=0, seed_demo=False)
    # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
    found: list[dict[str, Any]] = []
    prep = threading.Thread(target=lambda: found.append(asyncio.run(_prepare(settings))))
    prep.start()
    prep.join()
    if not found:
        raise RuntimeError("Preparing the e2e server's data failed; see the error above.")
    data = found[0]
    config = uvicorn.Config(
        LocalTitan(Runtime(settings)),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        ws="none",
        http="h11",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="e2e-server", daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("The e2e server did not start; see the log above.")
        time.sleep(0.05)
    assert httpx.get(f"{origin}/healthz", timeout=5).status_code == 200
    try:
        yield LiveServer(origin, data, data_dir)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
