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


_HOUR = timedelta(hours=1)


def near_clock_change(moment: datetime, zone: tzinfo) -> bool:
    """True when the local wall time could be misread: in the hour repeated when the clocks go back (both
    01:10s), or in the hour either side of the one skipped when they go forward."""
    off = moment.astimezone(zone).utcoffset()
    return (moment - _HOUR).astimezone(zone).utcoffset() != off or (moment + _HOUR).astimezone(zone).utcoffset() != off


def zone_label(moment: datetime, zone: tzinfo) -> str:
    """The zone's abbreviation at that moment (EDT, EST), or its UTC offset (-04:00) where the zone has none or
    uses the same one on both sides of the change."""
    local = moment.astimezone(zone)
    abbr = local.tzname() or ""
    other = [(moment + d).astimezone(zone) for d in (-_HOUR, _HOUR)]
    clash = any(o.tzname() == abbr and o.utcoffset() != local.utcoffset() for o in other)
    if not abbr or abbr[0] in "+-" or clash:
        return _offset(local)
    return abbr


def _offset(local: datetime) -> str:
    minutes = int(local.utcoffset().total_seconds() // 60)
    return f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def fmt_time(moment: datetime | None, zone: tzinfo, with_date: bool = False) -> str:
    """A clock time as every screen and report shows it: 'HH:MM', with its zone (01:10 EDT, 01:10 EST) when it
    lies in a repeated or skipped hour, so two readings an hour apart never print alike; with_date adds the
    local date before it."""
    if moment is None:
        return ""
    local = moment.astimezone(zone)
    text = local.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")
    return f"{text} {zone_label(moment, zone)}" if near_clock_change(moment, zone) else text


def fmt_datetime(moment: datetime | None, zone: tzinfo) -> str:
    """Date, time and zone always ('2026-11-01 01:10 EST'): for lines that stand alone (generated at)."""
    if moment is None:
        return ""
    return f"{moment.astimezone(zone).strftime('%Y-%m-%d %H:%M')} {zone_label(moment, zone)}".strip()


def zone_statement(zone: tzinfo, moment: datetime | None = None) -> str:
    """The clinic's time zone in words, once per record: 'Times are local to America/New_York (EST, UTC-05:00)'."""
    moment = moment or utcnow()
    key = getattr(zone, "key", None) or str(zone)
    local = moment.astimezone(zone)
    minutes = int(local.utcoffset().total_seconds() // 60)
    offset = f"UTC{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    abbr = local.tzname() or ""
    detail = f"{abbr}, {offset}" if abbr and abbr[0] not in "+-" and abbr != key else offset
    return f"Times are local to {key} ({detail})"


def fmt_duration(delta: timedelta) -> str:
    """'7 min', '1 h 05 min': whole minutes, never negative."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def parse_clock_time(text: str, now: datetime, zone: tzinfo) -> datetime:
    """Turn a typed 'HH:MM' (or 'HHMM') into the latest such local time not more than 12 hours ahead of now.

    Around a DST change a wall time of the repeated hour resolves to its second occurrence once that has come
    (and to the first before), so readings typed through the change keep their order and never coincide. A zone
    typed after the time, as the screens show it ('01:10 EDT', '01:10 -05:00'), chooses the occurrence itself.
    """
    cleaned = text.strip().replace(".", ":")
    if not cleaned:
        return now
    cleaned, _, label = cleaned.partition(" ")
    label = label.strip().upper()
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
    days = (today - timedelta(days=1), today, today + timedelta(days=1))
    if label:
        instants = {datetime.combine(d, wall).replace(tzinfo=zone, fold=fold).astimezone(UTC)
                    for d in days for fold in (0, 1)}
        plausible = [m for m in instants if m - now <= timedelta(hours=12)
                     and label in ((m.astimezone(zone).tzname() or "").upper(), _offset(m.astimezone(zone)))]
        if not plausible:
            raise FieldError("time", f"{cleaned} {label} is not a time of the clinic's zone near now: type HH:MM, "
                                     "and the zone only as the screen shows it in the hour the clocks change.")
        return max(plausible)
    candidates = [_at(d, wall, zone, now) for d in days]
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
