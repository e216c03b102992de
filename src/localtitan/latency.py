"""Optional response latency, so a client meets the pacing it will meet against ServiceTitan.

localtitan answers in a few milliseconds; ServiceTitan's calls take hundreds, and its reports
seconds. A sequential client tuned against localtitan can therefore hit the 60 requests a second
limit here that it never reaches in production, and its timeouts go untested. ``--latency``
delays each call by operation kind: ``none`` (the default), ``realistic`` (the figures below,
with a small seeded jitter, see docs/decisions/0170-realistic-latency.md) or a fixed number of
milliseconds. The delay is an ``asyncio.sleep``: it holds no database connection and no CPU.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from localtitan.spec import Operation

__all__ = ["LATENCY_KINDS", "MAX_FIXED_MS", "REALISTIC_MS", "Latency", "kind_of", "parse_latency"]

LATENCY_KINDS = ("token", "list", "get", "write", "export", "report")

# Typical (median-like) milliseconds per kind; the evidence and its limits are in 0170.
REALISTIC_MS: dict[str, int] = {
    "token": 300,
    "get": 180,
    "list": 450,
    "write": 400,
    "export": 900,
    "report": 4000,
}
# Each realistic delay is scaled by a factor drawn from [1 - JITTER, 1 + JITTER].
JITTER = 0.2
# A fixed delay longer than ServiceTitan's gateway would wait is a typo, not a test.
MAX_FIXED_MS = 120_000
# The one sleep the delays use (tests watch it without touching other timers).
_sleep = asyncio.sleep
# Fixed so that two runs of the same client see the same sequence of delays.
_SEED = 12


def parse_latency(raw: str) -> tuple[str, int]:
    """``none`` | ``realistic`` | milliseconds -> (mode, fixed milliseconds)."""
    text = raw.strip().lower()
    if text in ("none", "realistic"):
        return text, 0
    if text.isdigit() and int(text) <= MAX_FIXED_MS:
        return ("none", 0) if int(text) == 0 else ("fixed", int(text))
    raise ValueError(
        f"The latency must be none, realistic or a number of milliseconds from 0 to "
        f"{MAX_FIXED_MS}, not {raw!r}."
    )


def kind_of(op: Operation) -> str:
    """The latency kind of an API operation (the token endpoint is ``token``)."""
    if op.module == "reporting" and op.operation_id.endswith("_GetData"):
        return "report"
    if op.kind == "export":
        return "export"
    if op.kind == "list":
        return "list"
    if op.kind in ("get", "download"):
        return "get"
    if op.kind == "other" and op.method == "GET":
        return "get"
    return "write"


@dataclass
class Latency:
    mode: str = "none"
    fixed_ms: int = 0
    _rng: random.Random = field(default_factory=lambda: random.Random(_SEED), repr=False)

    @classmethod
    def from_setting(cls, raw: str) -> Latency:
        mode, fixed = parse_latency(raw)
        return cls(mode, fixed)

    # Whether requests wait at all: read by the door on every request, so an attribute.
    active: bool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.active = self.mode != "none"

    def seconds(self, kind: str) -> float:
        if self.mode == "fixed":
            return self.fixed_ms / 1000.0
        if self.mode == "realistic":
            factor = 1.0 + self._rng.uniform(-JITTER, JITTER)
            return REALISTIC_MS[kind] * factor / 1000.0
        return 0.0

    async def pause(self, kind: str) -> None:
        delay = self.seconds(kind)
        if delay > 0:
            await _sleep(delay)
