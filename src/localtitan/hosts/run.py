"""``localtitan run``: a program's environment pointed at localtitan's proxy and CA.

The variables are the ones clients already read: ``HTTPS_PROXY``/``HTTP_PROXY`` (curl,
requests, httpx, Go, ...), the CA bundle variables (``SSL_CERT_FILE`` for OpenSSL and httpx,
``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``, ``NODE_EXTRA_CA_CERTS``), and for Node, whose
``fetch`` and ``http``/``https`` ignore proxies before 22.21/24.5, ``NODE_USE_ENV_PROXY`` plus a
preload module (``node_preload.cjs``) that stands in for it on older versions.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn

from localtitan.hosts.ca import LocalCA, server_ssl_context
from localtitan.hosts.servers import HostsServer, bind

__all__ = [
    "LOOPBACK_NO_PROXY",
    "PRELOAD",
    "BackgroundProxy",
    "child_environment",
    "export_lines",
    "run_command",
]

PRELOAD = Path(__file__).with_name("node_preload.cjs")
LOOPBACK_NO_PROXY = "localhost,127.0.0.1,::1"
STARTUP_SECONDS = 60.0


def _node_options(existing: str | None) -> str:
    """``NODE_OPTIONS`` with the preload added once, quoted for Node's own parser."""
    require = f'--require "{PRELOAD}"'
    if existing and str(PRELOAD) in existing:
        return existing
    return f"{existing} {require}" if existing else require


def child_environment(
    proxy_url: str, bundle: Path, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The variables ``localtitan run`` sets (not the whole environment)."""
    base = os.environ if base is None else base
    bundle_text = str(bundle)
    changes = {
        "HTTPS_PROXY": proxy_url,
        "https_proxy": proxy_url,
        "HTTP_PROXY": proxy_url,
        "http_proxy": proxy_url,
        # Loopback only: any other entry would let a ServiceTitan host slip past the proxy.
        "NO_PROXY": LOOPBACK_NO_PROXY,
        "no_proxy": LOOPBACK_NO_PROXY,
        "SSL_CERT_FILE": bundle_text,
        "REQUESTS_CA_BUNDLE": bundle_text,
        "CURL_CA_BUNDLE": bundle_text,
        "NODE_EXTRA_CA_CERTS": bundle_text,
        "NODE_USE_ENV_PROXY": "1",
        "NODE_OPTIONS": _node_options(base.get("NODE_OPTIONS")),
    }
    return changes


def export_lines(changes: Mapping[str, str]) -> str:
    """``export NAME=value`` lines a POSIX shell can ``eval``."""
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in changes.items())


def run_command(command: Sequence[str], changes: Mapping[str, str]) -> int:
    """Run ``command`` with ``changes`` on top of this environment; its exit status back.

    Ctrl-C reaches the program (it shares the terminal); this process waits for it to exit
    instead of dying first, and passes SIGTERM on.
    """
    env = {**os.environ, **changes}
    try:
        child = subprocess.Popen(list(command), env=env)  # noqa: S603 - the user's own command
    except FileNotFoundError:
        raise RunError(f"Cannot run {command[0]!r}: no such program on PATH.", 127) from None
    except PermissionError:
        raise RunError(f"Cannot run {command[0]!r}: it is not executable.", 126) from None

    def forward(signum: int, frame: FrameType | None) -> None:
        if signum != signal.SIGINT:
            child.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = child.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return 128 - code if code < 0 else code


class RunError(Exception):
    """The program could not be started; ``code`` is the shell's status for that."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class BackgroundProxy:
    """The application and its proxy on a thread of this process, for one command's lifetime.

    Bound to 127.0.0.1 on a free port; no plain or HTTPS port, and nothing recorded in the
    data dir (another ``localtitan run`` must not come to depend on it).
    """

    def __init__(self, ca: LocalCA, app: Any) -> None:
        self.sock = bind("127.0.0.1", 0)
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        self.server = HostsServer(config, tls=server_ssl_context(ca), proxy_sock=self.sock)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": []}, name="localtitan-proxy", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def __enter__(self) -> BackgroundProxy:
        self.thread.start()
        if not self.server.ready.wait(STARTUP_SECONDS) or not self.server.started:
            self.server.should_exit = True
            self.thread.join(STARTUP_SECONDS)
            raise RunError("localtitan's proxy did not start; see the messages above.", 1)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        self.sock.close()
