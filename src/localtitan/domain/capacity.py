"""Capacity: the bookable time frames of a date range, computed from the tenant's business
hours (``business_hours.py``), arrival windows, technician shifts, non-job appointments and
booked appointments, per business unit and job type (docs/decisions/0143-capacity.md)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from localtitan.domain.business_hours import TENANT_TIME_ZONE, day_ranges, stored_hours
from localtitan.handling import Tx, bad_request, respond, transaction
from localtitan.handling.call import Call, Result
from localtitan.handling.table import Handlers
from localtitan.spec._scalars import parse_duration
from localtitan.store.records import format_time, parse_time
from localtitan.store.unit_records import live_records

HANDLERS = Handlers(__name__)
register = HANDLERS.register

__all__: list[str] = []

ARRIVAL_WINDOWS = "dispatch:arrival-windows"
SHIFTS = "dispatch:technician-shifts"
NON_JOB = "dispatch:non-job-appointments"
SKILLS = "dispatch:technician-skills"
ASSIGNMENTS = "dispatch:appointment-assignments"
APPOINTMENTS = "jpm:appointments"
JOBS = "jpm:jobs"
JOB_TYPES = "jpm:job-types"
TECHNICIANS = "settings:technicians"
BUSINESS_UNITS = "settings:business-units"


DEFAULT_WINDOW = timedelta(hours=2)
# Booked above this share of a frame's capacity "exceeds the ideal booking percentage".
IDEAL_BOOKING = 0.8
# A request covers at most this long; a month of frames is what booking screens ask for.
MAX_RANGE = timedelta(days=31)
MAX_UNITS = 100
_CHUNK = 500
_EARLIEST = datetime(1, 1, 3, tzinfo=UTC)
_LATEST = datetime(9999, 12, 29, tzinfo=UTC)

Interval = tuple[datetime, datetime]


def _body(call: Call) -> Mapping[str, Any]:
    return call.body if isinstance(call.body, Mapping) else {}


# ---------------------------------------------------------------- loading


async def _rows(tx: Tx, kind: str, **match: Any) -> list[dict[str, Any]]:
    """Live records of ``kind`` as their data, with their id and active flag (see
    ``store.unit_records.live_records`` for what ``match`` takes)."""
    await tx.flush()
    out = []
    for rec in await live_records(tx.session, tx.env, tx.tenant, kind, **match):
        data = rec.data
        data["id"], data["active"] = data.get("id", rec.id), rec.active
        out.append(data)
    return out


async def _rows_in(tx: Tx, kind: str, column: str, values: Iterable[int]) -> list[dict[str, Any]]:
    wanted = sorted(set(values))
    out: list[dict[str, Any]] = []
    for i in range(0, len(wanted), _CHUNK):
        out.extend(await _rows(tx, kind, column_in=(column, wanted[i : i + _CHUNK])))
    return out


def _near(start: datetime, end: datetime) -> dict[str, Any]:
    """Records starting within a day of the range (their exact overlap is checked after)."""
    low, high = format_time(start - timedelta(days=1)), format_time(end + timedelta(days=1))
    return {"json_between": ("start", low, high)}


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_time(value)
    except ValueError:
        return None


def _span(value: Any) -> timedelta | None:
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_duration(value)
    except ValueError:
        return None


# ---------------------------------------------------------------- intervals


def _overlap(a: Interval, b: Interval) -> Interval | None:
    start, end = max(a[0], b[0]), min(a[1], b[1])
    return (start, end) if end > start else None


def _clip(intervals: Iterable[Interval], frame: Interval) -> list[Interval]:
    return [o for i in intervals if (o := _overlap(i, frame)) is not None]


def _minus(intervals: Iterable[Interval], cuts: Sequence[Interval]) -> list[Interval]:
    out = list(intervals)
    for cut in cuts:
        kept: list[Interval] = []
        for start, end in out:
            if cut[1] <= start or cut[0] >= end:
                kept.append((start, end))
                continue
            if cut[0] > start:
                kept.append((start, cut[0]))
            if cut[1] < end:
                kept.append((cut[1], end))
        out = kept
    return out


def _hours(intervals: Iterable[Interval]) -> float:
    """Length in hours of intervals that may overlap each other."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return sum((e - s).total_seconds() for s, e in merged) / 3600


def _local(day: date, at: time) -> datetime:
    """A wall-clock time of the tenant's zone on ``day``, as a UTC instant."""
    if at == time.max:
        return datetime.combine(day + timedelta(days=1), time(), TENANT_TIME_ZONE).astimezone(UTC)
    return datetime.combine(day, at, TENANT_TIME_ZONE).astimezone(UTC)


# ---------------------------------------------------------------- the computation


@dataclass
class _Tech:
    id: int
    name: str
    unit: int | None
    skills: set[str]
    # Job types the technician's skill records say they apply to.
    job_types: set[int] = field(default_factory=set)
    working: dict[date, list[Interval]] = field(default_factory=dict)
    off: list[Interval] = field(default_factory=list)
    busy: list[Interval] = field(default_factory=list)


@dataclass
class _Frame:
    start: datetime
    end: datetime
    units: set[int] = field(default_factory=set)


def _windows_for(
    windows: list[dict[str, Any]], unit: int | None
) -> list[tuple[timedelta, timedelta]]:
    out = []
    for w in windows:
        applies = w.get("businessUnitIds") or []
        if unit is not None and applies and unit not in applies:
            continue
        start, length = _span(w.get("start")), _span(w.get("duration"))
        if start is not None and length is not None and length > timedelta(0):
            out.append((start, length))
    return out


def _frames(
    hours: Mapping[str, Any],
    windows: list[dict[str, Any]],
    units: list[int],
    start: datetime,
    end: datetime,
) -> list[_Frame]:
    """The arrival windows of each local day in the range that start within business hours
    (two-hour windows across business hours when none apply), each with the units it serves."""
    found: dict[tuple[datetime, datetime], _Frame] = {}
    day = start.astimezone(TENANT_TIME_ZONE).date()
    last = end.astimezone(TENANT_TIME_ZONE).date()
    while day <= last:
        ranges = day_ranges(hours, day)
        choices: list[int | None] = [*units] or [None]
        for unit in choices:
            own = _windows_for(windows, unit)
            slots: list[tuple[datetime, datetime]] = []
            if own:
                for offset, length in own:
                    local = datetime.combine(day, time(), TENANT_TIME_ZONE) + offset
                    if local.date() == day and any(a <= local.time() < b for a, b in ranges):
                        slots.append((local.astimezone(UTC), (local + length).astimezone(UTC)))
            else:
                for a, b in ranges:
                    cursor, close = _local(day, a), _local(day, b)
                    while cursor + DEFAULT_WINDOW <= close:
                        slots.append((cursor, cursor + DEFAULT_WINDOW))
                        cursor += DEFAULT_WINDOW
            for first, stop in slots:
                if first >= start and stop <= end:
                    frame = found.setdefault((first, stop), _Frame(first, stop))
                    if unit is not None:
                        frame.units.add(unit)
        day += timedelta(days=1)
    return sorted(found.values(), key=lambda f: (f.start, f.end))


def _working(
    tech: _Tech, day: date, hours: Mapping[str, Any], profile: Mapping[str, Any]
) -> list[Interval]:
    """A technician's working time on a local day: its Normal and OnCall shifts, else its
    shift hours (``shiftStart``/``shiftEnd``), else the business hours."""
    if day in tech.working:
        return tech.working[day]
    ranges = day_ranges(hours, day)
    if not ranges:
        return []
    start, end = _span(profile.get("shiftStart")), _span(profile.get("shiftEnd"))
    if start is not None and end is not None and end > start:
        base = datetime.combine(day, time(), TENANT_TIME_ZONE)
        return [((base + start).astimezone(UTC), (base + end).astimezone(UTC))]
    return [(_local(day, a), _local(day, b)) for a, b in ranges]


@register("dispatch.Capacity_GetList")
async def capacity(call: Call) -> Result:
    body = _body(call)
    start, end = _time(body.get("startsOnOrAfter")), _time(body.get("endsOnOrBefore"))
    if start is None or end is None or end <= start:
        raise bad_request("endsOnOrBefore", "The end must be after the start.")
    if end - start > MAX_RANGE:
        raise bad_request("endsOnOrBefore", f"At most {MAX_RANGE.days} days at once.")
    # Frames exist only where local days do: far from DateTime's ends (year 1, year 9999).
    start, end = max(start, _EARLIEST), min(end, _LATEST)
    asked = [u for u in body.get("businessUnitIds") or [] if isinstance(u, int)]
    if len(asked) > MAX_UNITS:
        raise bad_request("businessUnitIds", f"At most {MAX_UNITS} business units at once.")
    skill_based = body.get("skillBasedAvailability") is True

    async def work(tx: Tx) -> Result:
        for i, unit in enumerate(asked):
            if await tx.find(BUSINESS_UNITS, unit) is None:
                raise bad_request(
                    f"businessUnitIds[{i}]", f"Business unit with ID {unit} was not found."
                )
        job_type = None
        if body.get("jobTypeId") is not None:
            job_type = await tx.find(JOB_TYPES, body.get("jobTypeId"))
            if job_type is None:
                raise bad_request(
                    "jobTypeId", f"Job type with ID {body.get('jobTypeId')} was not found."
                )
        type_units = list(job_type.data.get("businessUnitIds") or []) if job_type else []
        units = list(dict.fromkeys(asked or [u for u in type_units if isinstance(u, int)]))
        required = {
            str(s).strip().lower() for s in (job_type.data.get("skills") or [] if job_type else [])
        }
        seconds = job_type.data.get("duration") if job_type else None
        duration = (
            timedelta(seconds=seconds)
            if isinstance(seconds, int) and not isinstance(seconds, bool) and seconds > 0
            else None
        )

        if end <= start:
            return respond(call, {"timeStamp": format_time(tx.now), "availabilities": []})
        hours = await stored_hours(tx)
        windows = [w for w in await _rows(tx, ARRIVAL_WINDOWS) if w.get("active")]
        frames = _frames(hours, windows, units, start, end)
        if not frames:
            return respond(call, {"timeStamp": format_time(tx.now), "availabilities": []})

        techs, profiles = await _technicians(tx, units)
        await _schedules(tx, techs, start, end)
        booked = await _booked(tx, techs, start, end)
        out = []
        for frame in frames:
            span = (frame.start, frame.end)
            scope = [t for t in techs.values() if not units or t.unit in frame.units]
            total = 0.0
            listed = []
            need = min(duration, frame.end - frame.start) if duration else None
            for tech in scope:
                local_day = frame.start.astimezone(TENANT_TIME_ZONE).date()
                working = _clip(_working(tech, local_day, hours, profiles[tech.id]), span)
                open_time = _minus(working, tech.off)
                has_skills = (
                    required <= tech.skills or job_type.id in tech.job_types
                    if job_type is not None
                    else None
                )
                counted = not (skill_based and has_skills is False)
                if counted:
                    total += _hours(open_time)
                free = _minus(open_time, tech.busy)
                longest = max((e - s for s, e in free), default=timedelta(0))
                available = counted and (longest >= need if need else longest > timedelta(0))
                listed.append(
                    {
                        "id": tech.id,
                        "name": tech.name,
                        "status": "Available" if available else "Unavailable",
                        "hasRequiredSkills": has_skills,
                    }
                )
            taken = _hours(
                o
                for unit, interval in booked
                if not units or unit in frame.units
                if (o := _overlap(interval, span)) is not None
            )
            open_hours = max(0.0, total - taken)
            need_hours = need.total_seconds() / 3600 if need else 0.0
            any_tech = any(t["status"] == "Available" for t in listed)
            out.append(
                {
                    "start": _wall(frame.start),
                    "end": _wall(frame.end),
                    "startUtc": format_time(frame.start),
                    "endUtc": format_time(frame.end),
                    "businessUnitIds": sorted(frame.units),
                    "totalAvailability": round(total, 2),
                    "openAvailability": round(open_hours, 2),
                    "technicians": listed,
                    "isAvailable": any_tech
                    and (open_hours >= need_hours if need_hours else open_hours > 0),
                    "isExceedingIdealBookingPercentage": taken > total * IDEAL_BOOKING
                    if total
                    else taken > 0,
                }
            )
        return respond(call, {"timeStamp": format_time(tx.now), "availabilities": out})

    # A POST that only reads: a read unit, which takes no write lock.
    return await transaction(call, work, write=False)


def _wall(instant: datetime) -> str:
    """The tenant's wall-clock time, written as ServiceTitan writes it: with a Z."""
    return format_time(instant.astimezone(TENANT_TIME_ZONE).replace(tzinfo=UTC))


async def _technicians(
    tx: Tx, units: list[int]
) -> tuple[dict[int, _Tech], dict[int, dict[str, Any]]]:
    match = {"json_in": ("businessUnitId", units)} if units else {}
    found = [t for t in await _rows(tx, TECHNICIANS, **match) if t.get("active")]
    techs: dict[int, _Tech] = {}
    profiles: dict[int, dict[str, Any]] = {}
    for t in found:
        own = {
            str(s.get("name")).strip().lower()
            for s in t.get("skills") or []
            if isinstance(s, Mapping) and s.get("name")
        }
        unit = t.get("businessUnitId")
        techs[t["id"]] = _Tech(
            t["id"], str(t.get("name") or ""), unit if isinstance(unit, int) else None, own
        )
        profiles[t["id"]] = t
    if techs:
        ids = list(techs)
        for i in range(0, len(ids), _CHUNK):
            for skill in await _rows(tx, SKILLS, json_in=("technicianId", ids[i : i + _CHUNK])):
                tech = techs.get(_key(skill.get("technicianId")))
                if tech is None or not skill.get("active"):
                    continue
                if skill.get("name"):
                    tech.skills.add(str(skill["name"]).strip().lower())
                tech.job_types.update(_key(j) for j in skill.get("jobTypeIds") or [])
    return techs, profiles


def _key(value: Any) -> int:
    """An id read from stored JSON; -1 (no record's) when it is not one."""
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


async def _schedules(tx: Tx, techs: dict[int, _Tech], start: datetime, end: datetime) -> None:
    """Each technician's shifts and non-job appointments around the range."""
    for shift in await _rows(tx, SHIFTS, **_near(start, end)):
        tech = techs.get(_key(shift.get("technicianId")))
        s, e = _time(shift.get("start")), _time(shift.get("end"))
        if tech is None or not shift.get("active") or s is None or e is None or e <= s:
            continue
        if shift.get("shiftType") == "TimeOff":
            tech.off.append((s, e))
        else:
            day = s.astimezone(TENANT_TIME_ZONE).date()
            tech.working.setdefault(day, []).append((s, e))
    for nja in await _rows(tx, NON_JOB, **_near(start, end)):
        tech = techs.get(_key(nja.get("technicianId")))
        s, length = _time(nja.get("start")), _span(nja.get("duration"))
        if tech is None or not nja.get("active") or s is None:
            continue
        if nja.get("allDay"):
            day = s.astimezone(TENANT_TIME_ZONE).date()
            tech.off.append((_local(day, time()), _local(day, time.max)))
        elif nja.get("removeTechnicianFromCapacityPlanning") and length:
            tech.off.append((s, s + length))


async def _booked(
    tx: Tx, techs: dict[int, _Tech], start: datetime, end: datetime
) -> list[tuple[int | None, Interval]]:
    """The range's live appointments as (their job's business unit, when); each assigned
    technician is busy for it."""
    appts = []
    for appt in await _rows(tx, APPOINTMENTS, **_near(start, end)):
        s, e = _time(appt.get("start")), _time(appt.get("end"))
        if s is None or e is None or e <= s or appt.get("status") == "Canceled":
            continue
        if s < end + timedelta(days=1) and e > start - timedelta(days=1):
            appts.append((appt, (s, e)))
    if not appts:
        return []
    job_ids = {_key(a.get("jobId")) for a, _ in appts}
    jobs = {j["id"]: j for j in await _rows_in(tx, JOBS, "id", job_ids)}
    by_appt: dict[int, list[int]] = {}
    for a in await _rows_in(tx, ASSIGNMENTS, "job_id", job_ids):
        if a.get("active") and isinstance(a.get("appointmentId"), int):
            by_appt.setdefault(a["appointmentId"], []).append(_key(a.get("technicianId")))
    out: list[tuple[int | None, Interval]] = []
    for appt, interval in appts:
        job = jobs.get(_key(appt.get("jobId")))
        if job is None or job.get("jobStatus") == "Canceled":
            continue
        unit = job.get("businessUnitId")
        out.append((unit if isinstance(unit, int) else None, interval))
        for tech_id in by_appt.get(appt["id"], []):
            if tech_id in techs:
                techs[tech_id].busy.append(interval)
    return out
