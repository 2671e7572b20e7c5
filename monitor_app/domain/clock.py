"""Time: everything is stored in UTC and shown in the clinic's local time zone."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from monitor_app.domain.errors import FieldError

UTC = timezone.utc


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: Chairside only handles aware times")
    return moment.astimezone(UTC)


def clinic_zone(name: str | None) -> tzinfo:
    """The clinic's zone; the workstation's local zone when none is set."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return datetime.now().astimezone().tzinfo or UTC


def local(moment: datetime | None, zone: tzinfo) -> datetime | None:
    return None if moment is None else moment.astimezone(zone)


def fmt_time(moment: datetime | None, zone: tzinfo) -> str:
    return "" if moment is None else moment.astimezone(zone).strftime("%H:%M")


def fmt_datetime(moment: datetime | None, zone: tzinfo) -> str:
    return "" if moment is None else moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z").strip()


def fmt_duration(delta: timedelta) -> str:
    """'7 min', '1 h 05 min': whole minutes, never negative."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def parse_clock_time(text: str, now: datetime, zone: tzinfo) -> datetime:
    """Turn a typed 'HH:MM' (or 'HHMM') into the latest such local time not more than 12 hours ahead of now.

    Around a DST change a wall time of the repeated hour resolves to its second occurrence once that has come
    (and to the first before), so readings typed through the change keep their order and never coincide.
    """
    cleaned = text.strip().replace(".", ":")
    if not cleaned:
        return now
    try:
        if ":" in cleaned:
            h, m = cleaned.split(":", 1)
        elif cleaned.isdigit() and len(cleaned) in (3, 4):
            h, m = cleaned[:-2], cleaned[-2:]
        else:
            raise ValueError
        hour, minute = int(h), int(m)
        wall = time(hour, minute)
    except ValueError:
        raise FieldError("time", "Time must be typed as HH:MM (00:00-23:59), or left blank for now.") from None
    today = now.astimezone(zone).date()
    candidates = [_at(d, wall, zone, now) for d in (today - timedelta(days=1), today, today + timedelta(days=1))]
    plausible = [c for c in candidates if c - now <= timedelta(hours=12)]
    return max(plausible)


# A wall time in the repeated hour is taken as its second occurrence only once that is no longer ahead.
_REPEAT_TOLERANCE = timedelta(minutes=2)


def _at(day: date, wall: time, zone: tzinfo, now: datetime) -> datetime:
    """The UTC instant of a wall time on a day; in the hour the clocks go back, the latest one not ahead of now."""
    first = datetime.combine(day, wall).replace(tzinfo=zone).astimezone(UTC)
    second = datetime.combine(day, wall).replace(tzinfo=zone, fold=1).astimezone(UTC)
    if second > first and second - now <= _REPEAT_TOLERANCE:  # (in the hour skipped in spring, second < first)
        return second
    return first
