"""Reading the request log back: filtered lists (newest first, or after an id for ``tail``)
and one request in full (their statements are in ``store.request_log``), and the filters'
words (``4xx``, ``15m``) read into what those statements take. Every read names the app or
the tenant it is for; callers check that the person asking may see that app or tenant before
they call.
"""

from __future__ import annotations

import re

from localtitan.store.request_log import (
    LogEntry,
    LogFilter,
    get_entry,
    last_id,
    list_entries,
)

__all__ = [
    "LogEntry",
    "LogFilter",
    "get_entry",
    "last_id",
    "list_entries",
    "parse_since",
    "parse_status",
]

_STATUS = re.compile(r"^([1-5])(?:xx|XX)$|^([1-5][0-9][0-9])$")
_SINCE = re.compile(r"^(\d+)\s*([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_status(text: str) -> tuple[int, int]:
    """``4xx`` -> (400, 500); ``429`` -> (429, 430). ValueError for anything else."""
    match = _STATUS.match(text.strip())
    if match is None:
        raise ValueError(
            f"Cannot read {text!r} as a status: use a class like 4xx or a code like 429."
        )
    if match.group(1):
        low = int(match.group(1)) * 100
        return low, low + 100
    code = int(match.group(2))
    return code, code + 1


def parse_since(text: str, now_ms: int) -> int:
    """``15m``, ``2h``, ``7d`` ago as Unix milliseconds. ValueError for anything else."""
    match = _SINCE.match(text.strip().lower())
    if match is None:
        raise ValueError(f"Cannot read {text!r} as a time span: use forms like 30s, 15m, 2h or 7d.")
    return now_ms - int(match.group(1)) * _UNITS[match.group(2)] * 1000
