"""The PDF session record as a reader, a printer and an auditor see it: text, fonts, structure, QR, pages, CLI."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from monitor_app import DISCLAIMER, cli
from monitor_app.domain.clock import clinic_zone, fmt_time
from monitor_app.domain.vitals import Vitals
from monitor_app.reports import pdf_export
from monitor_app.reports.pdf import APPENDIX_HEADING, SECTION_HEADINGS, parse_qr_payload, session_pdf
from monitor_app.services import clinical as c, settings
from monitor_app.services.access import SYSTEM
from monitor_app.services.demo import ACCOUNTS
from monitor_app.services.integrity import check_paper_copy
from monitor_app.services.queries import get_record
from monitor_app.storage.models import AuditEvent

from conftest import T0, make_users, new_archive, new_demo_archive
from tests.session_flow import TICKED

STANDARD_14 = {"Courier", "Helvetica", "Times", "Symbol", "ZapfDingbats"}
PAGE_RE = re.compile(r"Page (\d+) of (\d+)")


def need(tool: str):
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is not installed (Debian packages qpdf, poppler-utils, zbar-tools)")


def pages_text(data: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text)


# ------------------------------------------------------------------------------------------------ fixtures

@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo clinic, built once through the services: sessions with flags, amendments, errors, addenda."""
    database = new_demo_archive(tmp_path_factory.mktemp("demo") / "data")
    yield database
    database.dispose()


def demo_session(db, want) -> int:
    """The id of the first demo session whose record satisfies `want`."""
    from monitor_app.services.queries import session_ids_between
    for sid in session_ids_between(db, SYSTEM, None, None):
        if want(get_record(db, SYSTEM, sid, with_hash=False)):
            return sid
    raise AssertionError("no such demo session")


@pytest.fixture(scope="module")
def critical_session(demo):
    return demo_session(demo, lambda r: any(f.level.value == "critical" for f in r.flags) and r.review_signature())


@pytest.fixture(scope="module")
def corrected_session(demo):
    return demo_session(demo, lambda r: any(x.entered_in_error for x in r.readings) and r.addenda)


@pytest.fixture(scope="module")
def corrected_pdf(demo, corrected_session):
    return session_pdf(demo, SYSTEM, corrected_session, appendix=True)


@pytest.fixture(scope="module")
def critical_pdf(demo, critical_session):
    return session_pdf(demo, SYSTEM, critical_session)


@pytest.fixture(scope="module")
def long_session(tmp_path_factory):
    """150 readings and 40 events: the record must paginate cleanly."""
    db = new_archive(tmp_path_factory.mktemp("long") / "data")
    actors = make_users(db)
    nurse = actors["nurse"]
    arrival = T0
    at = lambda m: arrival + timedelta(minutes=m)
    pid = c.create_patient(db, nurse, mrn="L-150", family_name="Nguyễn-Żółć", given_name="Zoë",
                           date_of_birth=date(1990, 1, 2), weight_kg=70)
    cid = c.create_course(db, nurse, patient_id=pid, indication="ptsd")
    sid = c.create_session(db, nurse, course_id=cid, chair="5", arrival_at=arrival, now=arrival,
                           checklist=TICKED)
    c.record_reading(db, nurse, sid, Vitals(126, 80, 72, 98), measured_at=at(2), now=at(2))
    c.start_infusion(db, nurse, sid, at=at(5), now=at(5))
    kinds = ["nausea", "dizziness", "headache", "dissociation", "oxygen_applied", "clinician_notified"]
    events = 0
    for i in range(1, 150):
        m = 5 + i * 2
        if i == 100:
            c.stop_infusion(db, nurse, sid, at=at(m - 1), now=at(m - 1))
        systolic = 130 + (i * 7) % 60  # rises into the warning and critical bands now and then
        c.record_reading(db, nurse, sid, Vitals(systolic, 80 + i % 25, 70 + i % 50, 93 + i % 7, 14, 5, None,
                                                f"reading {i}"), measured_at=at(m), now=at(m))
        if i == 30:
            c.pause_infusion(db, nurse, sid, note="event 39", at=at(m + 1), now=at(m + 1))
        if i == 33:
            c.resume_infusion(db, nurse, sid, note="event 40", at=at(m + 1), now=at(m + 1))
        if i % 3 == 0 and events < 38:
            kind = kinds[events % len(kinds)]
            c.record_event(db, nurse, sid, kind, severity="mild", note=f"event {events + 1}",
                           details={"clinician": "Dr. Ana Łopez"} if kind == "clinician_notified" else None,
                           at=at(m), now=at(m) + timedelta(seconds=20))
            events += 1
    record = get_record(db, SYSTEM, sid)
    assert len(record.readings) == 150 and len(record.events) == 40
    yield db, sid, session_pdf(db, SYSTEM, sid)
    db.dispose()


# ------------------------------------------------------------------------------------------------ content

def test_every_section_and_the_page_furniture(demo, corrected_session, corrected_pdf):
    record = get_record(demo, SYSTEM, corrected_session)
    texts = pages_text(corrected_pdf)
    whole = one_line("\n".join(texts))
    for heading in SECTION_HEADINGS + (APPENDIX_HEADING, "Infusion session record"):
        assert heading in whole, heading
    assert len(texts) > 1
    for n, text in enumerate(texts, start=1):
        flat = one_line(text)
        assert DISCLAIMER in flat
        assert f"Page {n} of {len(texts)}" in flat
        assert record.patient.name in flat and f"MRN {record.patient.mrn}" in flat
        assert record.infusion_label in flat and "Date of birth 1986-04-12" in flat
        assert f"Record {record.record_uid}" in flat and record.content_hash[:12] in flat
        assert "Generated " in flat and "by Chairside" in flat


def test_every_reading_with_its_time_and_flag_symbol(demo, critical_session, critical_pdf):
    record = get_record(demo, SYSTEM, critical_session)
    zone = clinic_zone(settings.read_settings(demo).timezone)
    whole = one_line(" ".join(pages_text(critical_pdf)))
    readings_part = whole[whole.index("Readings"):whole.index("Flags and acknowledgements")]
    for r in record.readings:
        assert fmt_time(r.measured_at, zone) in readings_part
        v = r.current
        sys_mark = r.flag_for("systolic").symbol if r.flag_for("systolic") else ""
        dia_mark = r.flag_for("diastolic").symbol if r.flag_for("diastolic") else ""
        assert f"{v.systolic}{sys_mark}/{v.diastolic}{dia_mark}" in readings_part
    flagged = [r for r in record.readings if r.flags]
    assert any("\u25c6" in f.symbol for r in flagged for f in r.flags)  # the demo has a critical BP
    assert "186\u25c6/104\u25b2" in readings_part
    flags_part = whole[whole.index("Flags and acknowledgements"):whole.index("Events and interventions")]
    for f in record.flags:
        assert f"{f.symbol} {f.level.value}" in flags_part
        assert f.description in flags_part
        assert f"Rechecked \u2014 {f.ack.by}" in flags_part
    events_part = whole[whole.index("Events and interventions"):whole.index("Discharge assessment")]
    for e in record.events:
        assert fmt_time(e.at, zone) in events_part and e.label in events_part


def test_late_entry_amendment_and_entered_in_error(demo, corrected_session, corrected_pdf):
    record = get_record(demo, SYSTEM, corrected_session)
    zone = clinic_zone(settings.read_settings(demo).timezone)
    whole = one_line(" ".join(pages_text(corrected_pdf)))
    late = next(r for r in record.readings if r.late)
    measured, recorded = fmt_time(late.measured_at, zone), fmt_time(late.recorded_at, zone)
    assert f"{measured} rec. {recorded} late entry" in whole
    assert f"Late entry: measured {measured}, recorded {recorded}" in whole

    amended = next(r for r in record.readings if r.amended)
    change = amended.amendments[0]
    (field, (old, new)), = change.changes.items()
    assert (old, new) == (48, 84)
    assert f"Heart rate {old} \u2192 {new} \u2014 reason: {change.reason}" in whole
    assert f"{old} {new}" in whole  # the original, struck through, beside the value in force

    wrong = next(r for r in record.readings if r.entered_in_error)
    assert f"Entered in error \u2014 reason: {wrong.error.reason}" in whole
    assert f"{wrong.original.systolic}/{wrong.original.diastolic}" in whole  # still shown, struck through


def _words(data: bytes, page_number: int) -> list[tuple[str, float, float, float, float]]:
    """(text, x0, y0, x1, y1) of every word of one page, in PDF points with the origin at the bottom left."""
    need("pdftotext")
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(page_number), "-l", str(page_number), "-", "-"],
                          input=data, capture_output=True, check=True).stdout.decode("utf-8")
    height = float(re.search(r'<page width="[\d.]+" height="([\d.]+)"', html).group(1))
    return [(w, float(x0), height - float(y1), float(x1), height - float(y0)) for x0, y0, x1, y1, w in
            re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', html)]


def _stroked_segments(page) -> list[tuple[float, float, float, float]]:
    """Every straight stroked segment (m ... l S) of a page, in page coordinates (the CTM of q/cm/Q applied)."""
    from pypdf.generic import ContentStream
    ctm, stack, path, segments = (1, 0, 0, 1, 0, 0), [], [], []

    def apply(m, x, y):
        return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]

    for operands, op in ContentStream(page.get_contents(), page.pdf).operations:
        if op == b"q":
            stack.append(ctm)
        elif op == b"Q":
            ctm = stack.pop()
        elif op == b"cm":
            a, b, c_, d, e, f = (float(x) for x in operands)
            m = ctm
            ctm = (a * m[0] + b * m[2], a * m[1] + b * m[3], c_ * m[0] + d * m[2], c_ * m[1] + d * m[3],
                   e * m[0] + f * m[2] + m[4], e * m[1] + f * m[3] + m[5])
        elif op == b"m":
            path = [apply(ctm, float(operands[0]), float(operands[1]))]
        elif op == b"l" and path:
            end = apply(ctm, float(operands[0]), float(operands[1]))
            path.append(end)
        elif op in (b"S", b"s"):
            segments += [(*a, *b) for a, b in zip(path, path[1:])]
            path = []
        elif op in (b"n", b"f", b"F", b"f*", b"B", b"b", b"re"):
            path = []
    return segments


def _struck(word, segments) -> bool:
    """A horizontal line runs through the middle band of the word, across at least most of its width."""
    _, x0, y0, x1, y1 = word
    for sx0, sy0, sx1, sy1 in segments:
        if abs(sy0 - sy1) > 0.1:
            continue
        lo, hi = min(sx0, sx1), max(sx0, sx1)
        inside = min(hi, x1) - max(lo, x0)
        if y0 + 0.2 * (y1 - y0) < sy0 < y1 - 0.2 * (y1 - y0) and inside >= 0.8 * (x1 - x0):
            return True
    return False


def test_strike_through_is_drawn_over_corrected_values(demo, corrected_session, corrected_pdf):
    """SPEC 3 rule 3: the original of an amended value, and every value of an entered-in-error row, are struck
    through: a line runs through those words, and through no word that is still in force."""
    record = get_record(demo, SYSTEM, corrected_session)
    amended = next(r for r in record.readings if r.amended)
    (field, (old, new)), = amended.amendments[0].changes.items()
    wrong = next(r for r in record.readings if r.entered_in_error)
    reader = PdfReader(io.BytesIO(corrected_pdf))
    number, page = next((n, p) for n, p in enumerate(reader.pages, 1) if "Entered in error" in p.extract_text())
    words, segments = _words(corrected_pdf, number), _stroked_segments(page)
    struck = [w[0] for w in words if _struck(w, segments)]
    # the amended heart rate: the original struck, and the value in force just right of it on its line not
    line = [w for w in words if w[0] == str(old) and _struck(w, segments)]
    assert len(line) == 1
    _, x0, y0, x1, y1 = line[0]
    after = min((w for w in words if abs(w[2] - y0) < 1 and x1 <= w[1] < x1 + 30), key=lambda w: w[1])
    assert after[0] == str(new) and not _struck(after, segments)
    # the entered-in-error row: its BP as typed, struck
    assert f"{wrong.original.systolic}/{wrong.original.diastolic}" in struck
    # nothing else: no heading, time of a valid reading, reason or grid-crossed word counts as struck
    allowed = {str(old), f"{wrong.original.systolic}/{wrong.original.diastolic}", wrong.phase.label,
               *[str(getattr(wrong.original, f)) for f in ("heart_rate", "spo2", "resp_rate", "moaas", "pain_nrs")],
               *wrong.original.comment.split(), *one_line(fmt_time(wrong.measured_at, clinic_zone(
                   settings.read_settings(demo).timezone))).split()}
    mean = (wrong.original.systolic + 2 * wrong.original.diastolic) / 3 if wrong.original.systolic else None
    if mean is not None:
        allowed.add(str(round(mean)))
    assert set(struck) <= allowed, set(struck) - allowed


def test_nothing_is_struck_through_in_a_record_without_corrections(demo, critical_session, critical_pdf):
    """The table's grid lines run between the rows, never through a word: no word of a record without amendments
    or entries in error is crossed out."""
    record = get_record(demo, SYSTEM, critical_session)
    assert not any(r.amended or r.entered_in_error for r in record.readings)
    reader = PdfReader(io.BytesIO(critical_pdf))
    for number, page in enumerate(reader.pages, 1):
        segments = _stroked_segments(page)
        assert segments  # the grid is there
        assert [w[0] for w in _words(critical_pdf, number) if _struck(w, segments)] == [], number


def test_signatures_addenda_and_the_handwritten_review_line(demo, corrected_session, corrected_pdf):
    record = get_record(demo, SYSTEM, corrected_session)
    zone = clinic_zone(settings.read_settings(demo).timezone)
    whole = one_line(" ".join(pages_text(corrected_pdf)))
    part = whole[whole.index("Signatures"):]
    for sig in record.signatures:
        when = sig.signed_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        assert f"{sig.meaning} {sig.printed_name} {sig.credentials} {when}" in part
    assert {"Authored", "Addendum"} <= {s.meaning for s in record.signatures}
    assert record.review_signature() is None
    assert "Reviewed by ____" in part and "Date ____" in part
    addendum = record.addenda[0]
    assert addendum.text in part and f"Addendum 1 \u2014 {addendum.by}" in part


def test_a_normal_record_is_two_pages_with_the_chart_on_the_first(demo):
    """Every demo session, signed and co-signed ones included: the chart on page 1 and nothing on a page 3; a
    section heading never left at the foot of a page without its table."""
    from monitor_app.services.queries import session_ids_between
    ids = session_ids_between(demo, SYSTEM, None, None)
    assert len(ids) >= 5
    for sid in ids:
        texts = pages_text(session_pdf(demo, SYSTEM, sid))
        assert len(texts) == 2, (sid, len(texts))
        assert "Chart" in texts[0].splitlines()
        page = next(t.splitlines() for t in texts if "Readings" in t.splitlines())
        assert "Measured" in [line.strip() for line in page], (sid, page)  # the table's head under it


def test_reviewed_record_has_no_handwritten_line(demo, critical_session, critical_pdf):
    record = get_record(demo, SYSTEM, critical_session)
    whole = one_line(" ".join(pages_text(critical_pdf)))
    review = record.review_signature()
    assert review is not None and f"Reviewed {review.printed_name} {review.credentials}" in whole
    assert "Reviewed by ____" not in whole


def test_discharge_assessment(demo, critical_session, critical_pdf):
    record = get_record(demo, SYSTEM, critical_session)
    whole = one_line(" ".join(pages_text(critical_pdf)))
    part = whole[whole.index("Discharge assessment"):whole.index("Signatures")]
    d = record.discharge
    assert "Modified Aldrete" in part and f"Total {d.total} / 10" in part
    assert "Activity 2 Moves 4 extremities" in part and "Escort: Present: Partner" in part
    assert "Minimum observation met" in part


def test_audit_trail_appendix(demo, corrected_session, corrected_pdf):
    from monitor_app.services.exports import audit_trail_of
    trail = audit_trail_of(demo, SYSTEM, corrected_session)
    whole = one_line(" ".join(pages_text(corrected_pdf)))
    part = whole[whole.index(APPENDIX_HEADING):]
    assert trail and all(str(line.seq) in part for line in trail)
    # Sentences with the users' full names, never key=value dumps.
    assert "as entered in error" in part and "Entered for the wrong chair" in part
    assert "Nina Okafor amended heart rate 48 \u2192 84" in part and "Transcribed 48 instead of 84" in part
    assert "heart_rate" not in part and "systolic=" not in part


def test_unicode_names_extract_exactly(long_session):
    db, sid, data = long_session
    first = pages_text(data)[0]
    assert "Zoë Nguyễn-Żółć" in first


# ------------------------------------------------------------------------------------------------ structure

def test_every_font_is_embedded(corrected_pdf, tmp_path):
    need("pdffonts")
    path = tmp_path / "record.pdf"
    path.write_bytes(corrected_pdf)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()[2:]
    assert rows, out
    for row in rows:
        name, emb = row.split()[0], row.split()[-5]
        assert emb == "yes", row
        assert not any(name.split("+")[-1].startswith(std) for std in STANDARD_14), row
    assert any("DejaVuSans" in row for row in rows)


def test_qpdf_finds_no_structural_errors(corrected_pdf, critical_pdf, tmp_path):
    need("qpdf")
    for n, data in enumerate((corrected_pdf, critical_pdf)):
        path = tmp_path / f"r{n}.pdf"
        path.write_bytes(data)
        result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "No syntax or stream encoding errors" in result.stdout


def test_qr_code_on_page_one_verifies_the_paper_copy(demo, critical_session, critical_pdf, actors_demo, tmp_path):
    need("pdftoppm")
    need("zbarimg")
    path = tmp_path / "record.pdf"
    path.write_bytes(critical_pdf)
    subprocess.run(["pdftoppm", "-r", "200", "-f", "1", "-l", "1", "-gray", "-png", str(path),
                    str(tmp_path / "p")], check=True)
    image = next(tmp_path.glob("p*.png"))
    out = subprocess.run(["zbarimg", "-q", "--raw", str(image)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    uid, digest = parse_qr_payload(out.stdout.strip())
    record = get_record(demo, SYSTEM, critical_session)
    assert (uid, digest) == (record.record_uid, record.content_hash)
    ok, message = check_paper_copy(demo, actors_demo, uid, digest)
    assert ok, message
    ok, _ = check_paper_copy(demo, actors_demo, uid, digest[:12])  # the short hash printed in every footer
    assert ok
    ok, message = check_paper_copy(demo, actors_demo, uid, "0" * 64)
    assert not ok and "Does NOT match" in message


@pytest.fixture(scope="module")
def actors_demo(demo):
    from monitor_app.services.users import sign_in
    username, password, _ = next(a for a in ACCOUNTS if a[2] == "auditor")[:3]
    return sign_in(demo, username, password)


def test_long_session_paginates_with_repeated_header_rows(long_session):
    db, sid, data = long_session
    texts = pages_text(data)
    assert len(texts) > 3
    for n, text in enumerate(texts, start=1):
        flat = one_line(text)
        assert f"Page {n} of {len(texts)}" in flat and DISCLAIMER in flat
        assert "Zoë Nguyễn-Żółć" in flat and "MRN L-150" in flat
    reading_pages = [t for t in texts if re.search(r"\breading \d+\b", t)]
    assert len(reading_pages) >= 2
    for t in reading_pages:
        assert "Measured Phase Min BP MAP HR SpO2 RR MOAA/S NRS Notes" in one_line(t)  # header repeated
    whole = one_line(" ".join(texts))
    assert all(f"reading {i} " in whole + " " for i in range(1, 150))
    event_pages = [t for t in texts if "Events and interventions" in t or re.search(r"\bevent \d+\b", t)]
    assert all(f"event {i}" in whole for i in range(1, 41))
    assert event_pages


def test_page_size_follows_the_clinic_setting(db, actors):
    nurse, admin = actors["nurse"], actors["admin"]
    now = T0
    pid = c.create_patient(db, nurse, mrn="P-1", family_name="Żółć", given_name="Łukasz")
    cid = c.create_course(db, nurse, patient_id=pid, indication="ocd")
    sid = c.create_session(db, nurse, course_id=cid, arrival_at=now, now=now, checklist=TICKED)
    c.record_reading(db, nurse, sid, Vitals(120, 80, 70, 98), measured_at=now, now=now)

    def size():
        box = PdfReader(io.BytesIO(session_pdf(db, nurse, sid))).pages[0].mediabox
        return round(float(box.width)), round(float(box.height))

    assert size() == (595, 842)  # A4, the default
    cs = settings.read_settings(db)
    settings.update_clinic(db, admin, settings.ClinicDetails(
        name="Clinique Zoë", address="1 Rue Żółć\nLyon", page_size="Letter", timezone="Europe/Paris",
        inactivity_lock_min=cs.inactivity_lock_min, discharge_scale=cs.discharge_scale,
        checklist_items=tuple(cs.checklist_items)))
    assert size() == (612, 792)
    text = one_line(pages_text(session_pdf(db, nurse, sid))[0])
    assert "Clinique Zoë" in text and "1 Rue Żółć · Lyon" in text
    assert "Łukasz Żółć" in text and "In progress (not signed)" in text


# ------------------------------------------------------------------------------------------------ command line

def export_rows(db, session_id: int) -> list[AuditEvent]:
    from sqlalchemy import select
    with db.reader() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.session_id == session_id,
                                                       AuditEvent.action == "export")))


@pytest.fixture
def auditor_env(monkeypatch):
    """The command line acts as a signed-in person (SPEC 7): here the demo's auditor, from the environment."""
    monkeypatch.setenv("CHAIRSIDE_USER", "audrey")
    monkeypatch.setenv("CHAIRSIDE_PASSWORD", "audrey-demo-pass")


def test_cli_exports_one_record_and_audits_it(demo, corrected_session, tmp_path, capsys, auditor_env):
    before = len(export_rows(demo, corrected_session))
    out = tmp_path / "one.pdf"
    code = cli.run(["--data-dir", str(demo.data_dir), "export-pdf", str(corrected_session), "-o", str(out),
                    "--audit-appendix"])
    assert code == 0, capsys.readouterr().err
    text = one_line(" ".join(pages_text(out.read_bytes())))
    by = "by Audrey Mbeki, CPHQ via the command line"
    assert APPENDIX_HEADING in text and by in text
    rows = export_rows(demo, corrected_session)
    assert len(rows) == before + 1
    assert rows[-1].username == "audrey" and rows[-1].reason == f"pdf one.pdf with audit trail appendix; {by}"
    assert not list(tmp_path.glob(".*.part"))


def test_cli_refuses_to_export_without_a_person(demo, corrected_session, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CHAIRSIDE_USER", raising=False)
    before = len(export_rows(demo, corrected_session))
    code = cli.run(["--data-dir", str(demo.data_dir), "export-pdf", str(corrected_session), "-o",
                    str(tmp_path / "one.pdf")])
    err = capsys.readouterr().err
    assert code != 0 and "needs a signed-in user" in err and len(err.strip().splitlines()) == 1
    assert not list(tmp_path.glob("*.pdf")) and len(export_rows(demo, corrected_session)) == before


def test_cli_exports_all_with_worker_processes(demo, tmp_path, capsys, monkeypatch, auditor_env):
    from monitor_app.services.queries import session_ids_between
    monkeypatch.setattr(pdf_export, "PARALLEL_FROM", 2)  # the demo has fewer sessions than a real batch
    ids = session_ids_between(demo, SYSTEM, None, None)
    before = {sid: len(export_rows(demo, sid)) for sid in ids}
    out_dir = tmp_path / "all"
    code = cli.run(["--data-dir", str(demo.data_dir), "export-pdf", "--all", "--out-dir", str(out_dir),
                    "--jobs", "2"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert f"{len(ids)}/{len(ids)}" in captured.err  # the progress bar
    files = sorted(out_dir.glob("*.pdf"))
    assert len(files) == len(ids)
    zone = clinic_zone(settings.read_settings(demo).timezone)
    for sid in ids:
        record = get_record(demo, SYSTEM, sid, with_hash=False)
        name = f"{record.arrival_at.astimezone(zone).date().isoformat()}_{record.patient.mrn}_infusion-{record.number}_{sid}.pdf"
        assert (out_dir / name).is_file(), name
        assert len(export_rows(demo, sid)) == before[sid] + 1
        assert PdfReader(out_dir / name).pages[0].extract_text().count(record.patient.mrn) >= 1


def test_cli_exports_a_period_only(demo, tmp_path, capsys, auditor_env):
    from monitor_app.services.queries import session_ids_between
    ids = session_ids_between(demo, SYSTEM, None, None)
    zone = clinic_zone(settings.read_settings(demo).timezone)
    last = get_record(demo, SYSTEM, ids[-1], with_hash=False).arrival_at.astimezone(zone).date()
    code = cli.run(["--data-dir", str(demo.data_dir), "export-pdf", "--all", "--from", last.isoformat(),
                    "--to", last.isoformat(), "--out-dir", str(tmp_path / "day")])
    assert code == 0, capsys.readouterr().err
    names = [p.name for p in (tmp_path / "day").glob("*.pdf")]
    assert names and all(n.startswith(last.isoformat()) for n in names)


@pytest.mark.parametrize("argv, message", [
    (["export-pdf", "999999", "-o", "{tmp}/x.pdf"], "There is no session with id 999999."),
    (["export-pdf", "--all"], "--all needs --out-dir"),
    (["export-pdf"], "Give a session id"),
    (["export-pdf", "1"], "Name the PDF file with -o FILE."),
    (["export-pdf", "--all", "--out-dir", "{tmp}/d", "--from", "2025-02-01", "--to", "2025-01-01"], "is after"),
])
def test_cli_errors_are_one_clear_line(demo, tmp_path, capsys, argv, message, auditor_env):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code = cli.run(["--data-dir", str(demo.data_dir)] + argv)
    err = capsys.readouterr().err
    assert code != 0
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not list(tmp_path.glob("*.pdf"))


def test_export_one_needs_the_export_permission(db, actors, tmp_path, monkeypatch):
    from monitor_app.domain.errors import PermissionDenied
    from monitor_app.services import access
    monkeypatch.setitem(access.PERMISSIONS, "export", frozenset())  # every shipped role may export
    with pytest.raises(PermissionDenied):
        pdf_export.export_one(db, actors["auditor"], 1, tmp_path / "x.pdf")
    assert not list(tmp_path.glob("*.pdf")) and not list(tmp_path.glob(".*.part"))
