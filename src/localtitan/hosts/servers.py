"""One process serving the plain port, the HTTPS port and the proxy with one application.

uvicorn runs the plain port as usual; the HTTPS port and the proxy are extra listeners on the
same event loop that build the same HTTP protocol with the same server state, so the
application starts once, every connection is counted, and a graceful shutdown closes them
all. While the proxy listens, ``<data-dir>/proxy.json`` says where, for ``localtitan run``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import os
import socket
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from localtitan.hosts.proxy import InterceptingProxy

__all__ = [
    "PROXY_STATE",
    "HostsServer",
    "ProxyAddress",
    "bind",
    "is_loopback",
    "read_proxy_state",
]

PROXY_STATE = "proxy.json"


@dataclass(frozen=True)
class ProxyAddress:
    """Where a running proxy listens, as recorded in its data dir."""

    host: str
    port: int
    pid: int

    @property
    def connect_host(self) -> str:
        """Where a client on this machine reaches it (a wildcard bind answers on loopback)."""
        return "127.0.0.1" if self.host in ("0.0.0.0", "", "::") else self.host  # noqa: S104

    @property
    def url(self) -> str:
        host = self.connect_host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, bound now so a port in use is reported before anything starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def read_proxy_state(data_dir: Path) -> ProxyAddress | None:
    """The proxy recorded in ``data_dir`` if its process is alive and its port answers."""
    path = data_dir / PROXY_STATE
    try:
        raw = json.loads(path.read_text())
        found = ProxyAddress(str(raw["host"]), int(raw["port"]), int(raw["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(found.pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, someone else's
    try:
        with socket.create_connection((found.connect_host, found.port), timeout=2):
            return found
    except OSError:
        return None


class HostsServer(uvicorn.Server):
    """uvicorn's server plus the HTTPS listener and the proxy."""

    def __init__(
        self,
        config: uvicorn.Config,
        *,
        tls: ssl.SSLContext,
        https_sock: socket.socket | None = None,
        proxy_sock: socket.socket | None = None,
        data_dir: Path | None = None,
    ) -> None:
        super().__init__(config)
        self.tls = tls
        self.https_sock = https_sock
        self.proxy_sock = proxy_sock
        self.data_dir = data_dir
        self.extra: list[asyncio.Server] = []
        self.ready = threading.Event()  # set once every listener accepts (or startup failed)

    @property
    def proxy_port(self) -> int | None:
        return int(self.proxy_sock.getsockname()[1]) if self.proxy_sock else None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets)
            if not self.started:
                return
            loop = asyncio.get_running_loop()
            config = self.config

            def make_http() -> Any:
                return config.http_protocol_class(  # type: ignore[call-arg]
                    config=config, server_state=self.server_state, app_state=self.lifespan.state
                )

            if self.https_sock is not None:
                self.extra.append(
                    await loop.create_server(make_http, sock=self.https_sock, ssl=self.tls)
                )
            if self.proxy_sock is not None:
                proxy = InterceptingProxy(make_http, self.tls)
                self.extra.append(await loop.create_server(proxy, sock=self.proxy_sock))
                self._record_proxy()
        finally:
            self.ready.set()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._forget_proxy()
        for server in self.extra:
            server.close()
        await super().shutdown(sockets)

    def _record_proxy(self) -> None:
        if self.data_dir is None or self.proxy_sock is None:
            return
        host = str(self.proxy_sock.getsockname()[0])
        state = {"host": host, "port": self.proxy_port, "pid": os.getpid()}
        path = self.data_dir / PROXY_STATE
        tmp = path.with_name(f".{PROXY_STATE}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(state) + "\n")
        tmp.replace(path)

    def _forget_proxy(self) -> None:
        if self.data_dir is None or self.proxy_sock is None:
            return
        path = self.data_dir / PROXY_STATE
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            if int(json.loads(path.read_text())["pid"]) == os.getpid():
                path.unlink()
