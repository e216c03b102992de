"""The two ServiceTitan environments and how a request reaches each one."""

from __future__ import annotations

from enum import StrEnum
from operator import attrgetter
from typing import TYPE_CHECKING

__all__ = [
    "API_HOSTS",
    "AUTH_HOSTS",
    "ENVIRONMENTS",
    "Environment",
    "api_prefix",
    "auth_prefix",
    "parse_environment",
]


class Environment(StrEnum):
    INTEGRATION = "integration"
    PRODUCTION = "production"

    if TYPE_CHECKING:

        @property
        def value(self) -> str: ...

    else:
        # Read on every request; enum's own ``value`` is two Python calls (its descriptor and
        # the getter), this one none. The same string either way. A descriptor, so not a member.
        value = property(attrgetter("_value_"))


ENVIRONMENTS: tuple[Environment, ...] = (Environment.INTEGRATION, Environment.PRODUCTION)

# A request addressed to a real host name (say, through /etc/hosts or a proxy) needs no prefix.
AUTH_HOSTS = {
    "auth.servicetitan.io": Environment.PRODUCTION,
    "auth-integration.servicetitan.io": Environment.INTEGRATION,
}
API_HOSTS = {
    "api.servicetitan.io": Environment.PRODUCTION,
    "api-integration.servicetitan.io": Environment.INTEGRATION,
}


def auth_prefix(env: Environment) -> str:
    return "/auth" if env is Environment.PRODUCTION else "/auth-integration"


def api_prefix(env: Environment) -> str:
    return "/api" if env is Environment.PRODUCTION else "/api-integration"


def parse_environment(value: str) -> Environment:
    try:
        return Environment(value.strip().lower())
    except ValueError:
        raise ValueError(
            f"Unknown environment {value!r}: use 'integration' or 'production'."
        ) from None
