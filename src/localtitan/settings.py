"""Typed settings, read from flags first, then ``LOCALTITAN_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_RATE_LIMIT", "Settings", "normalize_database_url"]

DEFAULT_RATE_LIMIT = 60


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
    # The public base URL printed in quickstart output; derived from host and port when unset.
    public_url: str | None = None
    seed_demo: bool = True
    # Approve Request Access at once; None means on for the embedded SQLite default only.
    auto_approve_access: bool | None = None
    # Where the portal's mail goes (smtp:// or smtps://, optional ?from=); unset: the outbox.
    smtp_url: str | None = None

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
            public_url=env.get("LOCALTITAN_PUBLIC_URL") or None,
            auto_approve_access=_env_bool("LOCALTITAN_AUTO_APPROVE_ACCESS"),
            smtp_url=env.get("LOCALTITAN_SMTP_URL") or None,
        )
        clean = {k: v for k, v in overrides.items() if v is not None}
        if "data_dir" in clean:
            clean["data_dir"] = Path(clean["data_dir"])
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
        if self.smtp_url and not self.smtp_url.startswith(("smtp://", "smtps://")):
            raise ValueError("The SMTP URL must start with smtp:// or smtps://.")

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
