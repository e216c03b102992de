"""Text parsers that mirror .NET's converters (DateTime, Guid, TimeSpan, numbers)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

__all__ = [
    "INT_RANGES",
    "clr_type",
    "format_bound",
    "parse_date",
    "parse_datetime",
    "parse_decimal_text",
    "parse_dotnet_number",
    "parse_duration",
    "parse_guid",
    "parse_int_text",
]

INT_RANGES = {
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
}

_CLR = {
    ("integer", "int32"): "System.Int32",
    ("integer", "int64"): "System.Int64",
    ("integer", None): "System.Int32",
    ("number", "decimal"): "System.Decimal",
    ("number", "double"): "System.Double",
    ("number", "float"): "System.Single",
    ("number", None): "System.Double",
    ("boolean", None): "System.Boolean",
    ("string", "date-time"): "System.DateTime",
    ("string", "date"): "System.DateTime",
    ("string", "guid"): "System.Guid",
    ("string", "uuid"): "System.Guid",
    ("string", "duration"): "System.TimeSpan",
}

_ISO = (
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T{sep}](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,16}))?)?)?"
    r"(Z|[+-]\d{2}(?::?\d{2})?)?"
)
_ISO_STRICT = re.compile(_ISO.replace("{sep}", ""), re.IGNORECASE | re.ASCII)
_ISO_LOOSE = re.compile(_ISO.replace("{sep}", " "), re.IGNORECASE | re.ASCII)
_US = re.compile(
    r"(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AP]M)?)?",
    re.IGNORECASE | re.ASCII,
)
_DURATION = re.compile(r"(-)?(?:(\d+)\.)?(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?", re.ASCII)
_DAYS = re.compile(r"-?\d+", re.ASCII)
_INT_TEXT = re.compile(r"\s*[+-]?\d+\s*", re.ASCII)
_JSON_INT_TEXT = re.compile(r"-?\d+", re.ASCII)
_DECIMAL_TEXT = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*", re.ASCII)
_JSON_NUMBER_TEXT = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?", re.ASCII)
_GUID = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}", re.IGNORECASE
)


def clr_type(type_name: str, fmt: str | None) -> str:
    """The .NET type System.Text.Json would name in a conversion error."""
    return _CLR.get((type_name, fmt)) or _CLR.get((type_name, None)) or "System.String"


def format_bound(value: float | int | Decimal) -> str:
    """Render a Range bound the way .NET prints it (``25000`` not ``25000.0``)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_int_text(text: str, fmt: str | None, *, json_string: bool = False) -> int:
    """Int32/Int64 ``TypeConverter`` rules (or STJ's AllowReadingFromString when flagged)."""
    pattern = _JSON_INT_TEXT if json_string else _INT_TEXT
    if not pattern.fullmatch(text):
        raise ValueError(text)
    value = int(text)
    low, high = INT_RANGES.get(fmt or "int32", INT_RANGES["int32"])
    if not low <= value <= high:
        raise ValueError(text)
    return value


def parse_decimal_text(text: str, *, json_string: bool = False) -> Decimal:
    pattern = _JSON_NUMBER_TEXT if json_string else _DECIMAL_TEXT
    if not pattern.fullmatch(text):
        raise ValueError(text)
    try:
        return Decimal(text.strip())
    except InvalidOperation as exc:
        raise ValueError(text) from exc


_DOTNET_NUMBER = re.compile(
    r"\s*([+-]?)((?:\d[\d,]*)?(?:\.\d*)?)(?:[eE]([+-]?\d+))?([+-]?)\s*", re.ASCII
)


def parse_dotnet_number(text: str) -> Decimal:
    """``decimal.TryParse``/``double.TryParse`` on a JSON string (invariant culture): blanks,
    a sign, thousands separators (``"1,234.5"``) and an exponent are all taken."""
    match = _DOTNET_NUMBER.fullmatch(text)
    if not match:
        raise ValueError(text)
    lead, digits, exponent, trail = match.groups()
    if lead and trail:
        raise ValueError(text)
    mantissa = digits.replace(",", "")
    if digits.startswith(",") or not any(c.isdigit() for c in mantissa):
        raise ValueError(text)
    try:
        value = Decimal(mantissa + (f"e{exponent}" if exponent else ""))
    except InvalidOperation as exc:
        raise ValueError(text) from exc
    return -value if "-" in (lead, trail) else value


def _tz(offset: str | None) -> timezone:
    if offset is None or offset.upper() == "Z":
        return UTC
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 14 or minutes > 59:
        raise ValueError(offset)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_datetime(text: str, *, loose: bool = False) -> datetime:
    """ISO-8601 date or date-time, with or without offset, as an aware UTC datetime.

    ``loose`` adds what the query-string ``DateTime`` converter also takes: a space
    separator, surrounding blanks and US ``M/d/yyyy [h:mm[:ss] [AM|PM]]``.
    """
    candidate = text.strip() if loose else text
    match = (_ISO_LOOSE if loose else _ISO_STRICT).fullmatch(candidate)
    if match:
        y, mo, d, h, mi, s, frac, off = match.groups()
        micro = int((frac or "0")[:6].ljust(6, "0"))
        if off is not None and h is None:
            raise ValueError(text)
        value = datetime(
            int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), micro, _tz(off)
        )
        try:
            value = value.astimezone(UTC)
            if (frac or "")[6:].strip("0") and value.replace(tzinfo=None) < datetime.max:
                # ServiceTitan's times have 100 ns ticks, ours whole microseconds: rounding a
                # finer bound up keeps ``OnOrAfter`` (>=) and ``Before`` (<) filters exact
                # (DateTime's last tick stays the last microsecond).
                value += timedelta(microseconds=1)
            return value
        except OverflowError:
            # 0001-01-01T00:00+01:00 or 9999-12-31T23:00-05:00: outside DateTime in UTC.
            raise ValueError(text) from None
    us = _US.fullmatch(candidate) if loose else None
    if us:
        mo, d, y, h, mi, s, ampm = us.groups()
        hour = int(h or 0)
        if ampm:
            if not 1 <= hour <= 12:
                raise ValueError(text)
            hour = hour % 12 + (12 if ampm.upper() == "PM" else 0)
        return datetime(int(y), int(mo), int(d), hour, int(mi or 0), int(s or 0), tzinfo=UTC)
    raise ValueError(text)


def parse_date(text: str, *, loose: bool = False) -> date:
    """A calendar date; a full date-time is accepted and truncated like ``DateTime.Date``."""
    return parse_datetime(text, loose=loose).date()


def parse_duration(text: str) -> timedelta:
    """``TimeSpan`` constant format ``[-][d.]hh:mm[:ss[.fffffff]]`` or a bare day count."""
    candidate = text.strip()
    if _DAYS.fullmatch(candidate):
        return timedelta(days=int(candidate))
    match = _DURATION.fullmatch(candidate)
    if not match:
        raise ValueError(text)
    neg, days, hours, minutes, seconds, frac = match.groups()
    if int(hours) > 23 or int(minutes) > 59 or int(seconds or 0) > 59:
        raise ValueError(text)
    value = timedelta(
        days=int(days or 0),
        hours=int(hours),
        minutes=int(minutes),
        seconds=int(seconds or 0),
        microseconds=int((frac or "0")[:6].ljust(6, "0")),
    )
    return -value if neg else value


def parse_guid(text: str) -> str:
    """``Guid.Parse`` formats D, N, B and P; returned in canonical lower-case D form."""
    candidate = text.strip()
    if len(candidate) > 2 and (candidate[0], candidate[-1]) in (("{", "}"), ("(", ")")):
        candidate = candidate[1:-1]
    if not _GUID.fullmatch(candidate):
        raise ValueError(text)
    return str(uuid.UUID(candidate))
