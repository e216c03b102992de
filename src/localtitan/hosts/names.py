"""The host names localtitan answers for when a client believes it talks to ServiceTitan."""

from __future__ import annotations

from localtitan.platform.environments import API_HOSTS, AUTH_HOSTS

__all__ = ["LOOPBACK_IP", "LOOPBACK_NAME", "SERVED_HOSTS", "SERVED_PORTS", "served_list"]

# Auth first, integration before production: the order people read them in.
SERVED_HOSTS: tuple[str, ...] = (
    *sorted(AUTH_HOSTS, key=lambda h: ("integration" not in h, h)),
    *sorted(API_HOSTS, key=lambda h: ("integration" not in h, h)),
)
# HTTPS and plain HTTP; nothing else is tunnelled.
SERVED_PORTS: frozenset[int] = frozenset({443, 80})
LOOPBACK_NAME = "localhost"
LOOPBACK_IP = "127.0.0.1"


def served_list() -> str:
    """``a, b, c and d`` for messages."""
    return ", ".join(SERVED_HOSTS[:-1]) + " and " + SERVED_HOSTS[-1]
