"""The audit history of one record as sentences a reader understands ("Nina Okafor amended heart rate 76 → 67").

One module for the record view on screen and the audit-trail appendix of the PDF, so both say the same thing.
Each sentence is built from the audit row alone (who, when, what, before and after), never from the record as it
stands now: an auditor reads what was written at the time.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from monitor_app.domain.clock import fmt_time
from monitor_app.domain.discharge import scale_name
from monitor_app.domain.session import ACK_ACTIONS, EVENT_KINDS
from monitor_app.domain.thresholds import PARAMETER_LABELS
from monitor_app.domain.vitals import VITAL_FIELDS, format_bp, label as vital_label

LATE_AFTER = timedelta(minutes=10)

# What a change of the session row means, by the action the service wrote.
_SESSION_ACTIONS = {
    "start_infusion": ("started the infusion", "infusion_start_at"),
    "pause_infusion": ("paused the infusion", None),
    "resume_infusion": ("resumed the infusion", None),
    "stop_infusion": ("stopped the infusion", "infusion_end_at"),
    "discharge": ("discharged the patient", "discharged_at"),
    "lock": ("locked the record on signing", None),
    "review": ("marked the record reviewed", None),
    "flag_critical": ("marked the record as having a critical flag", None),
}
_STATUS_WORDS = {"in_progress": "in progress", "awaiting_signature": "awaiting signature", "signed": "signed",
                 "reviewed": "reviewed"}


@dataclass(frozen=True)
class AuditSentence:
    seq: int
    at: datetime
    who: str
    text: str  # the whole sentence, who and when included


def _parse_time(value) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _num(v) -> str:
    if v is None or v == "":
        return "\u2014"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _lower_first(text: str) -> str:
    """'Systolic BP' -> 'systolic BP' inside a sentence; 'SpO2' and 'MOAA/S' stay as they are."""
    first = text.split(" ", 1)[0]
    return text[:1].lower() + text[1:] if len(first) > 1 and first[1:].islower() else text


def _field(name: str) -> str:
    if name in VITAL_FIELDS:
        return _lower_first(vital_label(name))
    if name == "comment":
        return "comment"
    return name.replace("_", " ")


def _value(name: str, v) -> str:
    if name == "comment" or isinstance(v, str):
        return f"\u201c{v}\u201d" if v else "(empty)"
    return _num(v)


def vitals_text(values: dict) -> str:
    """'BP 128/82, heart rate 74, SpO2 98 %' from a reading's values (absent ones left out)."""
    parts = []
    bp = format_bp(values.get("systolic"), values.get("diastolic"))
    if bp:
        parts.append(f"BP {bp}")
    for name, unit in (("heart_rate", ""), ("spo2", " %"), ("resp_rate", ""), ("moaas", ""), ("pain_nrs", "")):
        v = values.get(name)
        if v is not None:
            parts.append(f"{_field(name)} {_num(v)}{unit}")
    if values.get("comment"):
        parts.append(f"comment \u201c{values['comment']}\u201d")
    return ", ".join(parts) or "no values"


class _Writer:
    def __init__(self, names: dict[str, str], zone: tzinfo, day: date | None):
        self.names, self.zone, self.day = names, zone, day
        self.readings: dict[str, datetime] = {}  # reading id -> measured-at, as the trail first wrote it
        self.flags: dict[str, tuple[str, str]] = {}  # flag id -> (parameter, reading id)
        self.events: dict[str, str] = {}  # event id -> its label

    def when(self, moment: datetime | None) -> str:
        if moment is None:
            return ""
        local = moment.astimezone(self.zone)
        if self.day is not None and local.date() == self.day:
            return f"at {fmt_time(moment, self.zone)}"
        return f"on {local:%Y-%m-%d} at {fmt_time(moment, self.zone)}"

    def reading_name(self, reading_id) -> str:
        t = self.readings.get(str(reading_id))
        return f"the reading of {fmt_time(t, self.zone)}" if t else f"reading {reading_id}"

    def sentence(self, line) -> str:
        who = self.names.get(line.username) or line.username or "Someone"
        before, after = line.before or {}, line.after or {}
        action, entity = line.action, line.entity
        when = self.when(line.at)
        reason = f": {line.reason}" if line.reason else ""

        if entity == "session" and action == "create":
            lot = after.get("lot_number")
            extra = [f"chair {after['chair']}"] if after.get("chair") else []
            if lot:
                extra.append(f"lot {lot}")
            return f"{who} opened the session record {when}" + (f" ({', '.join(extra)})" if extra else "") + "."
        if entity == "session" and action in _SESSION_ACTIONS:
            verb, stamp = _SESSION_ACTIONS[action]
            clinical = _parse_time(after.get(stamp)) if stamp else None
            text = f"{who} {verb} {when}"
            if clinical is not None and abs(clinical - line.at) > timedelta(minutes=2):
                text += f" (clinical time {fmt_time(clinical, self.zone)})"
            return text + reason + "."
        if entity == "session" and action in ("export", "print"):
            verb = "printed" if action == "print" else "exported"
            return f"{who} {verb} the record {when}" + (f" ({line.reason})" if line.reason else "") + "."
        if entity == "session":
            changed = [k for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)]
            if "status" in changed:
                return (f"{who} set the status to {_STATUS_WORDS.get(after.get('status'), after.get('status'))} "
                        f"{when}{reason}.")
            fields = ", ".join(_field(k) for k in changed) or "the session details"
            return f"{who} changed {fields} {when}{reason}."

        if entity == "reading" and action == "create":
            measured = _parse_time(after.get("measured_at"))
            recorded = _parse_time(after.get("recorded_at")) or line.at
            self.readings[str(after.get("id", line.entity_id))] = measured
            text = f"{who} recorded a reading measured {self.when(measured)}: {vitals_text(after)}"
            if measured is not None and recorded - measured > LATE_AFTER:
                text += f" (late entry, recorded {fmt_time(recorded, self.zone)})"
            return text + "."
        if entity == "amendment":
            target = after.get("target")
            target_id = after.get("target_id")
            what = self.reading_name(target_id) if target == "reading" else (
                f"event {self.events.get(str(target_id), target_id)}" if target == "event" else f"{target} {target_id}")
            at = _parse_time(after.get("at")) or line.at
            why = after.get("reason") or line.reason
            if action == "entered_in_error" or after.get("kind") == "entered_in_error":
                return f"{who} marked {what} as entered in error {self.when(at)}: {why}."
            changes = after.get("changes") or {}
            parts = "; ".join(f"{_field(k)} {_value(k, old)} \u2192 {_value(k, new)}"
                              for k, (old, new) in changes.items())
            addendum = " in an addendum" if after.get("addendum_id") else ""
            subject = f" in {what}" if what else ""
            return f"{who} amended {parts}{subject}{addendum} {self.when(at)}: {why}."
        if entity == "flag" and action == "create":
            self.flags[str(after.get("id", line.entity_id))] = (after.get("parameter", ""), after.get("reading_id"))
            param = _lower_first(PARAMETER_LABELS.get(after.get("parameter"), after.get("parameter", "a value")))
            level = after.get("level", "")
            side = {"high": "above", "low": "below"}.get(after.get("kind"), "outside")
            if str(after.get("kind", "")).startswith("baseline"):
                limit_text = f"a change from baseline beyond {_num(after.get('limit'))} %"
            else:
                limit_text = f"{side} the limit of {_num(after.get('limit'))}"
            return (f"Chairside raised a {level} flag on {param} {_num(after.get('value'))} ({limit_text}) "
                    f"in {self.reading_name(after.get('reading_id'))}, entered by {who} {when}.")
        if entity == "flag" and action == "clear":
            param, reading = self.flags.get(str(line.entity_id), (before.get("parameter", ""), before.get("reading_id")))
            label = _lower_first(PARAMETER_LABELS.get(param, param or "a value"))
            return f"The {label} flag of {self.reading_name(reading)} was cleared {when}{reason} (by {who})."
        if entity == "flag_acknowledgement":
            param, reading = self.flags.get(str(after.get("flag_id")), ("", None))
            label = _lower_first(PARAMETER_LABELS.get(param, param)) if param else "a"
            act = ACK_ACTIONS.get(after.get("action"), after.get("action", ""))
            if after.get("action_text"):
                act += f" ({after['action_text']})"
            at = _parse_time(after.get("at")) or line.at
            where = f" of {self.reading_name(reading)}" if reading is not None else ""
            return f"{who} acknowledged the {label} flag{where} {self.when(at)}: {act.lower()}."
        if entity == "event" and action == "create":
            kind = EVENT_KINDS.get(after.get("kind"), after.get("kind", "event"))
            self.events[str(after.get("id", line.entity_id))] = kind.lower()
            at = _parse_time(after.get("at"))
            details = after.get("details") or {}
            bits = [after.get("severity", "")]
            if after.get("kind") == "medication_given":
                bits.append(" ".join(str(details.get(k, "")) for k in ("medication", "dose", "route")).strip())
            if details.get("clinician"):
                bits.append(str(details["clinician"]))
            if after.get("note"):
                bits.append(f"\u201c{after['note']}\u201d")
            extra = ", ".join(b for b in bits if b)
            text = f"{who} recorded the event \u201c{kind}\u201d {self.when(at)}" + (f" ({extra})" if extra else "")
            recorded = _parse_time(after.get("recorded_at"))
            if at is not None and recorded is not None and recorded - at > LATE_AFTER:
                text += f", a late entry recorded {fmt_time(recorded, self.zone)}"
            return text + "."
        if entity == "discharge_assessment":
            at = _parse_time(after.get("assessed_at")) or line.at
            escort = "with an escort" if after.get("escort_present") else "without an escort"
            return (f"{who} assessed discharge {self.when(at)}: {scale_name(after.get('scale', ''))} "
                    f"{after.get('total')}, {escort}.")
        if entity == "signature":
            at = _parse_time(after.get("signed_at")) or line.at
            meaning = str(after.get("meaning", "")).lower()
            name = after.get("printed_name") or who
            cred = f", {after['credentials']}" if after.get("credentials") else ""
            verb = {"authored": "signed the record as its author", "reviewed": "co-signed the record as reviewer",
                    "addendum": "signed an addendum"}.get(meaning, f"signed ({meaning})")
            return f"{name}{cred} {verb} {self.when(at)}."
        if entity == "addendum":
            at = _parse_time(after.get("created_at")) or line.at
            return f"{who} added an addendum {self.when(at)}: \u201c{after.get('text', '')}\u201d"
        # Anything else still reads as a sentence: who did what to which part of the record.
        return f"{who} {action.replace('_', ' ')} {entity.replace('_', ' ')} {line.entity_id} {when}{reason}."


def audit_sentences(trail, names: dict[str, str], zone: tzinfo, day: date | None = None) -> list[AuditSentence]:
    """One sentence per audit row of a record, in sequence.

    `trail` is a list of services.exports.AuditLine; `names` maps user names to full names; times are shown in
    `zone`, with the date only when it is not `day` (the session's day).
    """
    w = _Writer(names, zone, day)
    return [AuditSentence(line.seq, line.at, w.names.get(line.username, line.username), w.sentence(line))
            for line in trail]
