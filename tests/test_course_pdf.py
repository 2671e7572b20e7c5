"""The course summary PDF of a demo course: every planned infusion, the trend, fonts embedded, and the command line."""
from __future__ import annotations

import shutil
import subprocess

import pytest
from pypdf import PdfReader

from monitor_app.cli import run
from monitor_app.domain.anchor import course_anchor, course_digest, parse_anchor
from monitor_app.reports.course_pdf import course_pdf
from monitor_app.services import users
from monitor_app.services.demo import create_demo
from monitor_app.services.queries import ArchiveQuery, get_record, search_archive
from monitor_app.storage.db import open_database


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    db = open_database(None, folder, create=True)
    create_demo(db)
    yield db, folder
    db.dispose()


def zoe_course(db, actor) -> int:
    sid = search_archive(db, actor, ArchiveQuery(text="Nguy"))[0].session_id
    return get_record(db, actor, sid, with_hash=False).course.id


def text_of(data: bytes, tmp_path) -> str:
    path = tmp_path / "c.pdf"
    path.write_bytes(data)
    return " ".join((p.extract_text() or "") for p in PdfReader(str(path)).pages)


def test_course_summary_lists_every_planned_infusion_with_its_vitals(demo, tmp_path):
    db, _ = demo
    carla = users.sign_in(db, "carla", "carla-demo-pass")
    course = zoe_course(db, carla)
    text = " ".join(text_of(course_pdf(db, carla, course), tmp_path).split())
    assert "Course summary" in text and "Zoë Nguyễn" in text and "MRN 100231" in text
    assert "4 of 6 done" in text
    assert text.count("Planned") == 2 and "5 planned" in text and "6 planned" in text
    assert "132/84 / 186/104 \u25c6 / 134/84" in text  # baseline, peak with its critical flag, last
    assert "Modified Aldrete 9/10" in text and "Reviewed" in text and "Signed" in text
    assert "PHQ-9" in text and "latest 11 (moderate)" in text
    assert "Page 1 of 1" in text and "not a medical device" in text and "Generated" in text


def test_course_code_carries_the_digest_of_the_records(demo):
    db, _ = demo
    carla = users.sign_in(db, "carla", "carla-demo-pass")
    course = zoe_course(db, carla)
    hashes = [get_record(db, carla, r.session_id).content_hash
              for r in sorted(search_archive(db, carla, ArchiveQuery(text="Nguy")), key=lambda r: r.number)]
    assert course_anchor(course, course_digest(hashes), None).text.startswith(f"chairside-course:{course}:")
    assert course_digest(hashes) != course_digest(hashes[:-1])


def test_export_course_pdf_command_writes_a_clean_pdf_with_embedded_fonts(demo, tmp_path, capsys, monkeypatch):
    db, folder = demo
    monkeypatch.setenv("CHAIRSIDE_USER", "audrey")  # the command acts as a signed-in user (SPEC 7)
    monkeypatch.setenv("CHAIRSIDE_PASSWORD", "audrey-demo-pass")
    course = zoe_course(db, users.sign_in(db, "audrey", "audrey-demo-pass"))
    out = tmp_path / "course.pdf"
    assert run(["--data-dir", str(folder), "export-course-pdf", str(course), "-o", str(out)]) == 0
    assert "Course summary written" in capsys.readouterr().out
    if shutil.which("qpdf"):
        subprocess.run(["qpdf", "--check", str(out)], check=True, capture_output=True)
    if shutil.which("pdffonts"):
        rows = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout
        for row in rows.splitlines()[2:]:
            assert row.split()[-5] == "yes", row
    assert run(["--data-dir", str(folder), "export-course-pdf", "999", "-o", str(tmp_path / "no.pdf")]) == 2
    assert "no course with id 999" in capsys.readouterr().err
    assert not (tmp_path / "no.pdf").exists()


def test_missing_readings_and_planned_infusions_of_a_new_course(db, actors, t0, tmp_path):
    """A course of 3 with one infusion stopped and no BP after it, and a Y-BOCS score in the severe band."""
    from datetime import timedelta

    from monitor_app.domain.vitals import Vitals
    from monitor_app.services import clinical as c
    from monitor_app.services.queries import course_report
    nurse = actors["nurse"]
    patient = c.create_patient(db, nurse, mrn="M-77", family_name="Kowalska", given_name="Ewa")
    course = c.create_course(db, nurse, patient_id=patient, indication="ocd", planned_infusions=3,
                             outcome_measure="ybocs")
    sid = c.create_session(db, nurse, course_id=course, arrival_at=t0, now=t0, outcome_score_before=26,
                           checklist={"Consent current": True, "Fasting per protocol": True,
                                      "Escort confirmed": True, "No-driving advice given": True})
    c.record_reading(db, nurse, sid, Vitals(128, 80, 72, 98), measured_at=t0 + timedelta(minutes=5),
                     now=t0 + timedelta(minutes=5))
    c.start_infusion(db, nurse, sid, at=t0 + timedelta(minutes=10), now=t0 + timedelta(minutes=10))
    c.record_reading(db, nurse, sid, Vitals(192, 114, 104, 97), measured_at=t0 + timedelta(minutes=30),
                     now=t0 + timedelta(minutes=30))
    c.stop_infusion(db, nurse, sid, at=t0 + timedelta(minutes=50), now=t0 + timedelta(minutes=50))
    report = course_report(db, actors["auditor"], course)
    first, *planned = report.infusions
    assert first.baseline.bp == "128/80" and first.peak.bp == "192/114" and first.peak.critical
    assert first.last is None and first.missing == ("no BP after the infusion",)
    assert [(i.number, i.status) for i in planned] == [(2, "Planned"), (3, "Planned")]
    text = " ".join(text_of(course_pdf(db, actors["auditor"], course), tmp_path).split())
    assert "128/80 / 192/114 \u25c6 / \u2013 \u2205 no BP after the infusion" in text
    assert "192/114 \u25c6" in text and "latest 26 (severe)" in text and "3 planned" in text


def test_the_course_code_checks_the_paper_summary_against_the_archive(tmp_path):
    """Scanned from the printed page: the course, the digest of its records and the chain's head. It matches
    the archive; with an infusion recorded since it still matches what was printed; a changed record does not."""
    from datetime import timedelta
    from monitor_app.services import clinical, integrity
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        pytest.fail("pdftoppm and zbarimg are needed (poppler-utils, zbar-tools)")
    db = open_database(None, tmp_path / "clinic", create=True)
    create_demo(db)
    carla, audrey = users.sign_in(db, "carla", "carla-demo-pass"), users.sign_in(db, "audrey", "audrey-demo-pass")
    course = zoe_course(db, carla)
    pdf = tmp_path / "course.pdf"
    pdf.write_bytes(course_pdf(db, carla, course))
    subprocess.run(["pdftoppm", "-r", "200", "-f", "1", "-l", "1", "-gray", "-png", str(pdf), str(tmp_path / "p")],
                   check=True)
    scanned = subprocess.run(["zbarimg", "-q", "--raw", str(next(tmp_path.glob("p*.png")))], capture_output=True,
                             text=True, check=True).stdout.strip()
    anchor = parse_anchor(scanned)
    assert anchor.course_id == course and anchor.chain is not None
    ok, said = integrity.check_printed_code(db, audrey, scanned)
    assert ok and "Matches: the course summary" in said and f"row {anchor.chain.seq}" in said, said
    assert run(["--data-dir", str(tmp_path / "clinic"), "verify", "--anchor", scanned]) == 0

    record = get_record(db, carla, search_archive(db, carla, ArchiveQuery(text="Nguy"))[0].session_id)
    later = clinical.create_session(db, carla, course_id=course, chair="4", arrival_at=record.arrival_at
                                    + timedelta(days=7), now=record.arrival_at + timedelta(days=7))
    ok, said = integrity.check_printed_code(db, audrey, scanned)
    assert ok and "1 more recorded since" in said, said

    signed = next(r for r in (get_record(db, carla, x.session_id)
                              for x in search_archive(db, carla, ArchiveQuery(text="Nguy"))) if r.signatures)
    nina = users.sign_in(db, "nina", "nina-demo-pass")
    clinical.add_addendum(db, nina, signed.id, "Follow-up call: well.", "nina-demo-pass",
                          now=signed.signatures[-1].signed_at + timedelta(days=1))
    ok, said = integrity.check_printed_code(db, audrey, scanned)
    assert not ok and "Does NOT match" in said, said
    db.dispose()
