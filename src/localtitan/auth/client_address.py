"""Which address a request comes from, for counting failed logins per address.

The address is the connection's peer (the ASGI ``client``). ``X-Forwarded-For`` is believed
only from the reverse proxies named in the trusted-proxy setting, whose handling is uvicorn's
``ProxyHeadersMiddleware`` wrapped around the app (see ``localtitan.app``); uvicorn's own
default of trusting it from 127.0.0.1 is turned off by ``serve``, or any local client could
claim any address. IPv6 peers count per /64, the block one host usually holds.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

__all__ = ["client_address"]


def client_address(scope: Mapping[str, Any]) -> str:
    client = scope.get("client")
    return _address_of(client[0] if client else "")


# Parsing an address costs more than the rest of a token request's bookkeeping; a client calls
# from the same few addresses again and again.
@lru_cache(maxsize=4096)
def _address_of(host: str) -> str:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host[:100] or "unknown"  # a Unix socket or a test transport's name
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)
