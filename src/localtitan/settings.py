"""Typed settings, read from flags first, then ``LOCALTITAN_*`` environment variables."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

__all__ = [
    "ACCESS_LOG_FORMATS",
    "DEFAULT_RATE_LIMIT",
    "DEFAULT_REPORT_LIMIT",
    "Settings",
    "normalize_database_url",
]

DEFAULT_RATE_LIMIT = 60
# ServiceTitan allows 5 runs of the same report per minute per tenant.
DEFAULT_REPORT_LIMIT = 5
# One line per request on standard output: "text", "json", or "off" (serve --quiet).
ACCESS_LOG_FORMATS = ("text", "json", "off")


def normalize_database_url(url: str) -> str:
    """Pick the async driver for a URL a user may have written without one."""
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from exc


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number of seconds, not {raw!r}") from exc


def _env_list(name: str) -> tuple[str, ...]:
    raw = os.environ.get(name) or ""
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _env_bool(name: str) -> bool | None:
    raw = (os.environ.get(name) or "").strip().lower()
    if not raw:
        return None
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be true or false, not {raw!r}")


@dataclass(frozen=True)
class Settings:
    """Everything the server and the admin commands need to know about their deployment."""

    data_dir: Path = field(default_factory=lambda: Path(".localtitan"))
    database_url: str | None = None
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    rate_limit: int = DEFAULT_RATE_LIMIT
    # Runs of one report per minute per tenant and environment; 0 (or rate_limit 0) is off.
    report_limit: int = DEFAULT_REPORT_LIMIT
    # The limiter's shared table when there is no Redis; <data-dir>/limits.bin when unset.
    limits_file: Path | None = None
    # Addresses or networks of reverse proxies whose X-Forwarded-For / -Proto are believed.
    trusted_proxies: tuple[str, ...] = ()
    # Seconds a client may take to send a request's headers, and then its whole body.
    header_timeout: float = 10.0
    body_timeout: float = 60.0
    # Open connections per worker before new requests get 503.
    max_connections: int = 1000
    # The public base URL printed in quickstart output; derived from host and port when unset.
    public_url: str | None = None
    seed_demo: bool = True
    # Where the portal's mail goes (smtp:// or smtps://, optional ?from=); unset: the outbox.
    smtp_url: str | None = None
    # The request log (localtitan.requestlog): on/off, bytes kept of each body, and its bounds.
    access_log: str = "text"
    request_log: bool = True
    request_log_body_bytes: int = 2048
    # Of a successful response (status below 400) the log keeps less (decision 0190).
    request_log_success_body_bytes: int = 256
    request_log_days: int = 90
    request_log_rows: int = 100_000
    request_log_queue: int = 10_000
    # Approve Request Access at once; None means on for the embedded SQLite default only.
    auto_approve_access: bool | None = None
    # Delay API and token responses: "none", "realistic" or milliseconds (localtitan.latency).
    latency: str = "none"

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Build settings from the environment, then apply non-None overrides (the CLI flags)."""
        env = os.environ
        base = cls(
            data_dir=Path(env.get("LOCALTITAN_DATA_DIR") or ".localtitan"),
            database_url=env.get("LOCALTITAN_DATABASE_URL") or None,
            redis_url=env.get("LOCALTITAN_REDIS_URL") or None,
            host=env.get("LOCALTITAN_HOST") or "127.0.0.1",
            port=_env_int("LOCALTITAN_PORT", 8080),
            workers=_env_int("LOCALTITAN_WORKERS", 1),
            rate_limit=_env_int("LOCALTITAN_RATE_LIMIT", DEFAULT_RATE_LIMIT),
            report_limit=_env_int("LOCALTITAN_REPORT_LIMIT", DEFAULT_REPORT_LIMIT),
            limits_file=Path(env["LOCALTITAN_LIMITS_FILE"])
            if env.get("LOCALTITAN_LIMITS_FILE")
            else None,
            trusted_proxies=_env_list("LOCALTITAN_TRUSTED_PROXIES"),
            header_timeout=_env_float("LOCALTITAN_HEADER_TIMEOUT", 10.0),
            body_timeout=_env_float("LOCALTITAN_BODY_TIMEOUT", 60.0),
            max_connections=_env_int("LOCALTITAN_MAX_CONNECTIONS", 1000),
            public_url=env.get("LOCALTITAN_PUBLIC_URL") or None,
            smtp_url=env.get("LOCALTITAN_SMTP_URL") or None,
            access_log=(env.get("LOCALTITAN_ACCESS_LOG") or "text").strip().lower(),
            request_log=(env.get("LOCALTITAN_REQUEST_LOG") or "on").strip().lower()
            not in ("off", "0", "false", "no"),
            request_log_body_bytes=_env_int("LOCALTITAN_REQUEST_LOG_BODY_BYTES", 2048),
            request_log_success_body_bytes=_env_int(
                "LOCALTITAN_REQUEST_LOG_SUCCESS_BODY_BYTES", 256
            ),
            request_log_days=_env_int("LOCALTITAN_REQUEST_LOG_DAYS", 90),
            request_log_rows=_env_int("LOCALTITAN_REQUEST_LOG_ROWS", 100_000),
            request_log_queue=_env_int("LOCALTITAN_REQUEST_LOG_QUEUE", 10_000),
            auto_approve_access=_env_bool("LOCALTITAN_AUTO_APPROVE_ACCESS"),
            latency=(env.get("LOCALTITAN_LATENCY") or "none").strip().lower(),
        )
        clean = {k: v for k, v in overrides.items() if v is not None}
        if "data_dir" in clean:
            clean["data_dir"] = Path(clean["data_dir"])
        if "trusted_proxies" in clean:
            clean["trusted_proxies"] = tuple(clean["trusted_proxies"])
        if "latency" in clean:
            clean["latency"] = str(clean["latency"]).strip().lower()
        settings = replace(base, **clean)
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.rate_limit < 0:
            raise ValueError("The rate limit must be 0 (off) or a positive number of requests.")
        if not 0 < self.port < 65536:
            raise ValueError(f"The port must be between 1 and 65535, not {self.port}.")
        if self.workers < 1:
            raise ValueError("At least one worker is needed.")
        if self.report_limit < 0:
            raise ValueError("The report limit must be 0 (off) or a positive number of runs.")
        if self.header_timeout <= 0 or self.body_timeout <= 0:
            raise ValueError("The header and body timeouts must be more than 0 seconds.")
        if self.max_connections < 1:
            raise ValueError("At least one connection per worker must be allowed.")
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(
                    f"The trusted proxy {proxy!r} is not an IP address or network "
                    "such as 10.0.0.1 or 10.0.0.0/8."
                ) from None
        if self.smtp_url and not self.smtp_url.startswith(("smtp://", "smtps://")):
            raise ValueError("The SMTP URL must start with smtp:// or smtps://.")
        if self.access_log not in ACCESS_LOG_FORMATS:
            raise ValueError(
                f"The access log format must be one of {', '.join(ACCESS_LOG_FORMATS)}, "
                f"not {self.access_log!r}."
            )
        if not 0 <= self.request_log_body_bytes <= 1_048_576:
            raise ValueError("The request log keeps 0 to 1,048,576 bytes of each body.")
        if not 0 <= self.request_log_success_body_bytes <= 1_048_576:
            raise ValueError(
                "The request log keeps 0 to 1,048,576 bytes of a successful response's body."
            )
        if self.request_log_days < 1 or self.request_log_rows < 1 or self.request_log_queue < 1:
            raise ValueError("The request log's days, rows and queue size must each be at least 1.")
        from localtitan.latency import parse_latency

        parse_latency(self.latency)

    @property
    def resolved_limits_file(self) -> Path:
        return self.limits_file or self.data_dir / "limits.bin"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return normalize_database_url(self.database_url)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'localtitan.db').resolve()}"

    @property
    def approves_access_at_once(self) -> bool:
        if self.auto_approve_access is not None:
            return self.auto_approve_access
        return self.database_url is None

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host  # noqa: S104
        return f"http://{host}:{self.port}"
