"""An intercepting HTTP proxy that answers for ServiceTitan's hosts and nowhere else.

A client configured with ``HTTPS_PROXY`` sends ``CONNECT api-integration.servicetitan.io:443``;
the proxy answers 200, terminates TLS with the local certificate (``localtitan.hosts.ca``) and
gives the decrypted connection to the same HTTP protocol that serves the plain port, bound
to the application in this process. Plain-HTTP proxy requests (``GET http://host/path``) are
rewritten to the origin form and served the same way. Every other destination, any port but
443 and 80, and a request that names no host get an error in ServiceTitan's shape: the proxy
never opens a connection and never even resolves a name.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import urlsplit

from localtitan.errors import error_body
from localtitan.hosts.names import SERVED_HOSTS, SERVED_PORTS, served_list

__all__ = ["MAX_HEAD_BYTES", "InterceptingProxy", "ProxyRefusal", "pin_host"]

logger = logging.getLogger("localtitan.proxy")

MAX_HEAD_BYTES = 16 * 1024
MAX_HEADERS = 100
HEAD_TIMEOUT = 10.0
HANDSHAKE_TIMEOUT = 10.0
_TOKEN = re.compile(rb"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# Headers meant for the proxy itself, never passed on to the application.
_HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"proxy-authorization",
        b"proxy-authenticate",
        b"te",
        b"trailer",
        b"upgrade",
    }
)
_REASONS = {400: b"Bad Request", 403: b"Forbidden", 421: b"Misdirected Request", 431: b"Too Large"}

ASGIApp = Callable[[Any, Any, Any], Any]
# Makes one HTTP/1.1 server protocol (uvicorn's) whose ``app`` attribute serves a connection.
ProtocolFactory = Callable[[], Any]


class ProxyRefusal(Exception):
    """A request the proxy will not serve; ``status`` and ``title`` go to the client."""

    def __init__(self, status: int, title: str) -> None:
        super().__init__(title)
        self.status = status
        self.title = title


def _not_served(where: str) -> ProxyRefusal:
    return ProxyRefusal(
        403,
        f"localtitan's proxy does not connect to {where}: it serves only {served_list()} "
        "(ports 443 and 80) and connects nowhere else.",
    )


def _host_port(authority: str, default_port: int) -> tuple[str, int]:
    """``host[:port]`` split, the host lower-cased without a trailing dot."""
    host, sep, port_text = authority.rpartition(":")
    if not sep or "]" in port_text:
        host, port_text = authority, ""
    if port_text and not port_text.isdigit():
        raise ProxyRefusal(400, f"{authority!r} is not a host and port.")
    port = int(port_text) if port_text else default_port
    return host.strip().lower().rstrip("."), port


def _check_served(host: str, port: int) -> None:
    if not host:
        raise ProxyRefusal(400, "The request names no host: localtitan's proxy needs one.")
    if host not in SERVED_HOSTS:
        raise _not_served(f"{host}:{port}")
    if port not in SERVED_PORTS:
        raise ProxyRefusal(
            403,
            f"localtitan's proxy serves {host} on ports 443 (HTTPS) and 80 only, not {port}.",
        )


class _Head:
    """The request line and headers of the first request on a proxy connection."""

    def __init__(self, raw: bytes) -> None:
        lines = raw.split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) != 3 or not _TOKEN.match(parts[0]):
            raise ProxyRefusal(400, "The request line is not 'METHOD TARGET HTTP/1.1'.")
        self.method, self.target, self.version = parts
        if self.version not in (b"HTTP/1.0", b"HTTP/1.1"):
            raise ProxyRefusal(400, "localtitan's proxy speaks HTTP/1.0 and HTTP/1.1 only.")
        if len(lines) - 1 > MAX_HEADERS:
            raise ProxyRefusal(431, f"More than {MAX_HEADERS} request headers.")
        self.headers: list[tuple[bytes, bytes]] = []
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep or not _TOKEN.match(name):
                raise ProxyRefusal(400, "A request header is malformed.")
            self.headers.append((name, value.strip(b" \t")))

    def header(self, name: bytes) -> bytes | None:
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    def origin_form(self, host: str, path: bytes) -> bytes:
        """The same request for the application: origin-form target, one connection, one Host."""
        dropped = set(_HOP_BY_HOP)
        connection = self.header(b"connection") or b""
        dropped |= {t.strip().lower() for t in connection.split(b",") if t.strip()}
        dropped.add(b"host")
        lines = [b" ".join((self.method, path, self.version)), b"Host: " + host.encode()]
        lines += [k + b": " + v for k, v in self.headers if k.lower() not in dropped]
        # One request per connection: the next one on it may name another host.
        lines.append(b"Connection: close")
        return b"\r\n".join(lines) + b"\r\n\r\n"


def _name_of(host_header: str) -> str:
    """The host of a ``Host`` header, without its port, lower-cased."""
    name, sep, port = host_header.rpartition(":")
    if not sep or not port.isdigit():
        name = host_header
    return name.strip().lower().rstrip(".")


def pin_host(app: ASGIApp, host: str) -> ASGIApp:
    """The application as seen through a tunnel to ``host``: every request reaches ``host``."""
    encoded = host.encode()

    async def pinned(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            given = [v.decode("latin-1") for k, v in scope["headers"] if k == b"host"]
            named = _name_of(given[0]) if given else host
            if named != host:
                body = error_body(
                    421,
                    f"This connection was opened to {host}; a request for {named[:200]} "
                    "needs a connection of its own.",
                )
                await send(
                    {
                        "type": "http.response.start",
                        "status": 421,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
            headers = [(k, v) for k, v in scope["headers"] if k != b"host"]
            scope = {**scope, "headers": [(b"host", encoded), *headers]}
        await app(scope, receive, send)

    return pinned


class InterceptingProxy:
    """The protocol factory for ``loop.create_server``: one ``_ProxyConnection`` per client."""

    def __init__(self, make_http: ProtocolFactory, tls: ssl.SSLContext) -> None:
        self.make_http = make_http
        self.tls = tls
        self.head_timeout = HEAD_TIMEOUT

    def __call__(self) -> asyncio.Protocol:
        return _ProxyConnection(self)


class _ProxyConnection(asyncio.Protocol):
    def __init__(self, proxy: InterceptingProxy) -> None:
        self.proxy = proxy
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.head_done = False
        self.timer: asyncio.TimerHandle | None = None
        self.task: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but behave as one.
        self.transport = cast(asyncio.Transport, transport)
        self.timer = asyncio.get_running_loop().call_later(self.proxy.head_timeout, self._expire)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timer()
        if self.task is not None and not self.task.done():
            self.task.cancel()

    def data_received(self, data: bytes) -> None:
        # After CONNECT the TLS layer may hand over the first decrypted bytes before the
        # tunnel's HTTP protocol is in place; they wait in the buffer.
        self.buffer += data
        if self.head_done:
            return
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > MAX_HEAD_BYTES:
                self._refuse(ProxyRefusal(431, "The request head is larger than 16 KiB."))
            return
        if end > MAX_HEAD_BYTES:
            self._refuse(ProxyRefusal(431, "The request head is larger than 16 KiB."))
            return
        self.head_done = True
        self._cancel_timer()
        head_bytes = bytes(self.buffer[:end])
        rest = bytes(self.buffer[end + 4 :])
        self.buffer.clear()
        assert self.transport is not None
        self.transport.pause_reading()
        try:
            self._route(_Head(head_bytes), rest)
        except ProxyRefusal as refusal:
            self._refuse(refusal)

    def _route(self, head: _Head, rest: bytes) -> None:
        target = head.target.decode("latin-1")
        if head.method == b"CONNECT":
            if ":" not in target:
                raise ProxyRefusal(400, "CONNECT needs host:port, as in api.servicetitan.io:443.")
            host, port = _host_port(target, 443)
            _check_served(host, port)
            if rest:
                raise ProxyRefusal(400, "Data arrived before the tunnel was open.")
            self.task = asyncio.ensure_future(self._tunnel(host, tls=port == 443))
            return
        if target.startswith("/"):
            # Origin form: someone sent the proxy a plain request; its Host says where.
            host_header = head.header(b"host")
            if not host_header:
                raise ProxyRefusal(400, "The request has no Host header: localtitan needs one.")
            host, port = _host_port(host_header.decode("latin-1"), 80)
            path = head.target
        else:
            url = urlsplit(target)
            if url.scheme.lower() == "https":
                raise ProxyRefusal(400, "Send HTTPS through CONNECT, not as a plain proxy request.")
            if url.scheme.lower() != "http" or not url.netloc:
                raise ProxyRefusal(400, f"{target[:200]!r} is not an http:// URL or a path.")
            host, port = _host_port(url.netloc.rpartition("@")[2], 80)
            path = (url.path or "/").encode("latin-1")
            if url.query:
                path += b"?" + url.query.encode("latin-1")
        _check_served(host, port)
        assert self.transport is not None
        self._hand_off(self.transport, host, head.origin_form(host, path) + rest)
        self.transport.resume_reading()

    async def _tunnel(self, host: str, *, tls: bool) -> None:
        transport = self.transport
        assert transport is not None
        transport.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        if not tls:
            self._hand_off(transport, host, b"")
            transport.resume_reading()
            return
        loop = asyncio.get_running_loop()
        try:
            inner = await loop.start_tls(
                transport,
                self,
                self.proxy.tls,
                server_side=True,
                ssl_handshake_timeout=HANDSHAKE_TIMEOUT,
            )
        except (OSError, ssl.SSLError, TimeoutError, ConnectionError) as exc:
            # Most often a client that does not trust the local CA yet.
            logger.info("TLS handshake for %s failed: %s", host, exc)
            transport.abort()
            return
        if inner is None:  # the client went away during the handshake
            return
        early = bytes(self.buffer)
        self.buffer.clear()
        self._hand_off(inner, host, early)

    def _hand_off(self, transport: asyncio.Transport, host: str, first: bytes) -> None:
        protocol = self.proxy.make_http()
        protocol.app = pin_host(protocol.app, host)
        transport.set_protocol(protocol)
        protocol.connection_made(transport)
        if first:
            protocol.data_received(first)

    def _refuse(self, refusal: ProxyRefusal) -> None:
        logger.info("refused: %s", refusal.title)
        body = error_body(refusal.status, refusal.title)
        reason = _REASONS.get(refusal.status, b"Error")
        head = (
            b"HTTP/1.1 %d %s\r\n" % (refusal.status, reason)
            + b"Content-Type: application/json\r\n"
            + b"Content-Length: %d\r\n" % len(body)
            + b"Connection: close\r\n\r\n"
        )
        assert self.transport is not None
        self.transport.write(head + body)
        self.transport.close()

    def _expire(self) -> None:
        if self.transport is not None and not self.head_done:
            self.transport.close()

    def _cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
