"""What a handler receives (one authenticated, validated call) and what it returns."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from localtitan.platform.environments import Environment
from localtitan.spec import Operation

if TYPE_CHECKING:
    from localtitan.runtime import Runtime

__all__ = ["Call", "Handler", "Result"]


# slots: a call and its result are made on every request (fewer allocations, faster inits).
@dataclass(slots=True)
class Call:
    runtime: Runtime
    operation: Operation
    environment: Environment
    tenant_id: int
    app_id: int
    client_id: str
    path: dict[str, Any]
    query: dict[str, Any]
    body: Any
    raw_body: bytes
    content_type: str | None
    trace_id: str


@dataclass(slots=True)
class Result:
    status: int = 200
    body: bytes | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Call], Awaitable[Result]]
