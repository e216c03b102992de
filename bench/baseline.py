"""The baseline server: a bare ASGI app (no framework) that answers every request with fixed bytes.

A benchmark first captures the response localtitan gives to the request it measures, saves it
with :meth:`Captured.save`, and starts this app on it, so both servers send the same status,
headers and body and the ratio compares equal payloads. The app still reads the whole request
body, as any server must. uvicorn runs it with the settings ``localtitan serve`` uses (same
event loop, HTTP parser, log level and lifespan), so the only difference left is the work done
between reading the request and writing the response.

Run by the harness as ``python -m bench.baseline --port P --response FILE``.
"""

from __future__ import annotations

import argparse
import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Captured", "FixedResponse", "main"]

# Headers uvicorn writes itself on every response: a captured copy would be sent twice.
_SERVER_ADDED = frozenset({"date", "server"})


@dataclass(frozen=True)
class Captured:
    """One HTTP response as a server sent it: status, headers in order, body bytes."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def replayable_headers(self) -> list[tuple[bytes, bytes]]:
        """The headers to send again: all but ``date`` and ``server``, with an exact length."""
        out = [
            (k.lower().encode("latin-1"), v.encode("latin-1"))
            for k, v in self.headers
            if k.lower() not in _SERVER_ADDED and k.lower() != "content-length"
        ]
        out.append((b"content-length", str(len(self.body)).encode()))
        return out

    def same_payload(self, other: Captured) -> bool:
        """True when status, body and headers (apart from date and server) are equal."""

        def key(c: Captured) -> list[tuple[str, str]]:
            return sorted((k.lower(), v) for k, v in c.headers if k.lower() not in _SERVER_ADDED)

        return self.status == other.status and self.body == other.body and key(self) == key(other)

    def save(self, path: Path) -> None:
        data = {
            "status": self.status,
            "headers": [list(h) for h in self.headers],
            "body_b64": base64.b64encode(self.body).decode(),
        }
        path.write_text(json.dumps(data))

    @classmethod
    def load(cls, path: Path) -> Captured:
        data = json.loads(path.read_text())
        return cls(
            status=int(data["status"]),
            headers=tuple((str(k), str(v)) for k, v in data["headers"]),
            body=base64.b64decode(data["body_b64"]),
        )


class FixedResponse:
    """ASGI app: drain the request, then send the same status, headers and body."""

    def __init__(self, response: Captured) -> None:
        self.status = response.status
        self.headers = response.replayable_headers()
        self.body = response.body

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if kind != "http":
            return
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m bench.baseline", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--response", type=Path, required=True, help="A file Captured.save wrote.")
    args = parser.parse_args(argv)
    app = FixedResponse(Captured.load(args.response))
    # The same options as ``localtitan serve``: only the application differs.
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", lifespan="on")


if __name__ == "__main__":
    main()
