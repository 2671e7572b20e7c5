"""Names as the patient writes them, in any script: composition, and the PDF record drawn, read back and named.

The PDF is read back with pdftotext (poppler), as an auditor's tools read it. Arabic comes back in logical order
as the shaped letters' presentation forms, which NFKC folds to the letters typed.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import unicodedata
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pypdf import PdfReader

from monitor_app.domain.names import compact_key, full_name, initials, search_key
from monitor_app.reports import fonts
from monitor_app.reports.pdf import Letterhead, build_pdf
from monitor_app.services import clinical as c
from monitor_app.services.queries import get_record

from session_flow import complete_session

# (family, given, the name as written)
PATIENTS = [
    ("Nguyễn", "Zoë", "Zoë Nguyễn"),
    ("Żółć", "Łukasz", "Łukasz Żółć"),
    ("O'Brien-Smith", "Aoife", "Aoife O'Brien-Smith"),
    ("الحسن", "مريم", "مريم الحسن"),
    ("李", "小龙", "李小龙"),
]
NEW_YORK = "America/New_York"


def pdftotext(data: bytes, tmp_path, name="record") -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is not installed (Debian package poppler-utils)")
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout
    return unicodedata.normalize("NFKC", out.decode("utf-8")).replace("\u202b", "").replace("\u202c", "") \
        .replace("\u202a", "")


def header_line(text: str) -> str:
    """The patient's name line on page 1: the line after the title."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[lines.index("Infusion session record") + 1]


def embedded_fonts(data: bytes) -> set[str]:
    import io
    names = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for f in page["/Resources"]["/Font"].values():
            names.add(str(f.get_object()["/BaseFont"]))
    return names


@pytest.mark.parametrize("family,given,written", PATIENTS)
def test_a_full_name_is_composed_in_the_order_its_script_writes_it(family, given, written):
    assert full_name(family, given) == written


def test_family_name_first_is_a_choice_per_patient():
    assert full_name("Nagy", "István", True) == "Nagy István"
    assert full_name("Nagy", "István") == "István Nagy"
    assert full_name("李", "小龙", False) == "小龙 李"
    assert initials("Nagy", "István", True) == "NI"
    assert initials("Nguyễn", "Zoë") == "ZN" and initials("nguyễn", "zoë") == "ZN" and initials("Żółć", "") == "Ż"


def test_search_keys_ignore_case_accents_and_normalisation():
    nfd = unicodedata.normalize("NFD", "Nguyễn")
    assert nfd != "Nguyễn"
    assert search_key(nfd) == search_key("Nguyễn") == search_key("NGUYEN") == "nguyen"
    assert search_key("Łukasz  Żółć") == "lukasz zolc"
    assert compact_key("Zoë Nguyễn") == "zoenguyen"
    assert search_key("李小龙") == "李小龙"


@pytest.fixture
def five_pdfs(db, actors, t0, tmp_path):
    out = {}
    head = Letterhead("Harbour Clinic", page_size="A4", zone=timezone.utc, generated_by="Nina Nurse, RN",
                      generated_at=datetime(2026, 11, 2, tzinfo=timezone.utc))
    for family, given, written in PATIENTS:
        sid = complete_session(db, actors["nurse"], t0, family=family, given=given)
        rec = get_record(db, actors["nurse"], sid, with_hash=True)
        out[written] = build_pdf(rec, head)
    return out


def test_the_five_names_print_and_read_back_in_logical_order(five_pdfs, tmp_path):
    shots = Path(os.environ.get("CHAIRSIDE_SHOTS", tmp_path))
    for written, data in five_pdfs.items():
        text = pdftotext(data, tmp_path, "p")
        assert header_line(text) == written, written
        assert fonts.NOTE not in text
        (shots / f"{compact_key(written) or 'name'}.pdf").write_bytes(data)
    arabic, chinese = five_pdfs["مريم الحسن"], five_pdfs["李小龙"]
    # The Arabic name is drawn in the Arabic face, shaped (its letters joined); the Chinese one in the CJK face.
    assert any("NotoSansArabic" in f for f in embedded_fonts(arabic))
    assert any("DroidSansFallback" in f for f in embedded_fonts(chinese))
    assert not any("DroidSansFallback" in f for f in embedded_fonts(five_pdfs["Zoë Nguyễn"]))


def test_the_arabic_name_is_joined_and_right_to_left():
    line = fonts.layout("مريم الحسن", fonts.BOLD, 11, rtl_base=None)
    drawn = "".join(r.text for r in line.runs)
    # Shaped: contextual forms (initial, medial, final) instead of the isolated letters typed.
    assert any(unicodedata.name(ch, "").endswith(("INITIAL FORM", "MEDIAL FORM", "FINAL FORM")) for ch in drawn)
    # Right to left: the family name (the second word typed) is drawn first, at the left; the given name last.
    words = unicodedata.normalize("NFKC", drawn).split(" ")
    assert set(words[0]) == set("الحسن") and set(words[-1]) == set("مريم")


def test_a_character_no_bundled_font_has_is_named_not_boxed(db, actors, t0, tmp_path):
    # U+2D7F TIFINAGH CONSONANT JOINER: in none of the bundled faces.
    sid = complete_session(db, actors["nurse"], t0, family="Amazigh\u2D7F", given="Tala")
    rec = get_record(db, actors["nurse"], sid, with_hash=True)
    data = build_pdf(rec, Letterhead("Harbour Clinic", zone=timezone.utc))
    text = pdftotext(data, tmp_path)
    assert "name contains characters this record cannot print: U+2D7F" in text
    assert "Tala Amazigh" in header_line(text)
    assert "\u2D7F" not in text and "\ufffd" not in text and "\u25a1" not in text


def test_a_character_outside_dejavu_prints_in_a_fallback_face_in_paragraphs():
    assert fonts.markup("李 & 小龙", fonts.REGULAR).startswith("<font name='Chairside-DroidSansFallbackFull'>李")
    assert "&amp;" in fonts.markup("李 & 小龙", fonts.REGULAR)
    assert fonts.markup("Tala\u2D7F", fonts.REGULAR) == "Tala[U+2D7F]"


# ------------------------------------------------------------------------------------------ times near DST

def new_york_session(db, actors):
    """A session across the autumn change in New York: arrival 00:50 EDT, readings at 01:10 EDT and 01:10 EST."""
    from monitor_app.services import settings
    from session_flow import v
    admin, nurse = actors["admin"], actors["nurse"]
    cs = settings.read_settings(db)
    settings.update_clinic(db, admin, settings.ClinicDetails(
        cs.name, cs.address or "", cs.page_size or "A4", NEW_YORK, cs.inactivity_lock_min, cs.discharge_scale,
        tuple(cs.checklist_items or ())))
    arrival = datetime(2026, 11, 1, 4, 50, tzinfo=timezone.utc)  # 00:50 EDT
    pid = c.create_patient(db, nurse, mrn="DST-1", family_name="Nguyễn", given_name="Zoë", weight_kg=64)
    cid = c.create_course(db, nurse, patient_id=pid, indication="depression")
    sid = c.create_session(db, nurse, course_id=cid, chair="2", arrival_at=arrival, now=arrival)
    first = datetime(2026, 11, 1, 5, 10, tzinfo=timezone.utc)    # 01:10 EDT
    second = datetime(2026, 11, 1, 6, 10, tzinfo=timezone.utc)   # 01:10 EST, an hour later
    c.record_reading(db, nurse, sid, v("128/82", "72", "98"), measured_at=first, now=first)
    c.record_reading(db, nurse, sid, v("131/84", "75", "97"), measured_at=second, now=second)
    return sid, second


def test_the_two_0110_readings_are_told_apart_in_the_pdf(db, actors, tmp_path):
    from monitor_app.reports.pdf import session_pdf
    sid, second = new_york_session(db, actors)
    text = pdftotext(session_pdf(db, actors["nurse"], sid, now=second), tmp_path)
    assert "01:10 EDT" in text and "01:10 EST" in text
    assert "Times are local to America/New_York" in text
    # The arrival (00:50, an hour before the change) needs no zone; nothing prints a bare, ambiguous 01:10.
    assert "00:50 EDT" not in text
    assert not [ln for ln in text.splitlines() if "01:10" in ln and "01:10 E" not in ln]


def test_the_two_0110_readings_are_told_apart_on_screen(qtbot, db, actors, tmp_path):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QTableView
    from driver import User
    from monitor_app.ui.session.screen import SessionScreen
    sid, second = new_york_session(db, actors)
    now = second + timedelta(minutes=5)
    user = User.at_main_window(qtbot, db, actors["nurse"], tmp_path / "workstation", clock=lambda: now)
    try:
        from monitor_app.ui.floor import SessionCard
        card = next(w for w in user.main.findChildren(SessionCard) if w.isVisible() and w.record.id == sid)
        user.click(card)  # a card on the floor opens its session
        user.wait_until(lambda: isinstance(user.page, SessionScreen))
        table = next(t for t in user.page.findChildren(QTableView) if t.isVisible() and t.model().rowCount())
        model = table.model()
        shown = [model.data(model.index(row, 0), Qt.ItemDataRole.DisplayRole) for row in range(model.rowCount())]
        assert sorted(shown) == ["01:10 EDT", "01:10 EST"], shown
        assert "America/New_York" not in shown
    finally:
        user.close()



def test_every_bundled_face_is_truetype_with_its_licence():
    """reportlab embeds TrueType outlines (glyf) as subsets; each family ships with its licence."""
    from reportlab.pdfbase.ttfonts import TTFontFile
    files = fonts.font_files()
    assert len(files) >= 20
    for path in files:
        face = TTFontFile(str(path))  # refuses CFF (PostScript-outline) fonts
        assert face.numGlyphs > 0, path.name
    licences = {p.name for p in fonts.FONT_DIR.glob("LICENSE-*")}
    assert {"LICENSE-DejaVu.txt", "LICENSE-Noto-OFL.txt", "LICENSE-DroidSansFallback-Apache-2.0.txt"} <= licences
    assert "SIL OPEN FONT LICENSE" in (fonts.FONT_DIR / "LICENSE-Noto-OFL.txt").read_text().upper()
    assert sum(p.stat().st_size for p in fonts.FONT_DIR.iterdir()) < 20_000_000


def test_a_nurse_records_a_family_name_first_patient_in_new_session(qtbot, db, actors, tmp_path):
    from sqlalchemy import select
    from driver import User
    from monitor_app.storage.models import Patient
    from conftest import PASSWORDS
    user = User.start(qtbot, db.sqlite_path.parent, tmp_path / "workstation")
    try:
        user.sign_in("nurse", PASSWORDS["nurse"])
        user.click("New session")
        user.click("New patient")  # the cursor goes to MRN; the form is typed through with Tab
        user.type("300001\tNagy\tIstván\t")
        assert "Written: István Nagy" in user.visible_text()  # as Latin script writes it, until told otherwise
        user.press("Down")  # Name order: the next choice, family name first
        assert "Written: Nagy István" in user.visible_text()
        user.press("Ctrl+Return")
        user.wait_until(lambda: "Nagy István" in user.visible_text())
        with db.reader() as s:
            patient = s.scalar(select(Patient).where(Patient.mrn == "300001"))
            assert patient.family_first is True and patient.family_name == "Nagy"
    finally:
        user.close()


def test_hebrew_and_mixed_lines_read_back_in_logical_order(tmp_path):
    """Right-to-left names beside left-to-right text (an MRN) keep both in order."""
    import io
    from reportlab.pdfgen.canvas import Canvas
    lines = ["שרה כהן", "مريم الحسن", "MRN 100240 · مريم الحسن", "Ναταλία Παπαδοπούλου", "Анна Иванова",
             "राम शर्मा"]
    buf = io.BytesIO()
    c = Canvas(buf)
    for i, text in enumerate(lines):
        fonts.draw(c, 50, 780 - 40 * i, text, fonts.REGULAR, 12, rtl_base=False)
    c.save()
    out = [ln.strip() for ln in pdftotext(buf.getvalue(), tmp_path).splitlines() if ln.strip()]
    assert out[0] == "שרה כהן" and out[1] == "مريم الحسن"
    assert out[2].startswith("MRN 100240") and out[2].endswith("مريم الحسن")
    assert out[3] == "Ναταλία Παπαδοπούλου" and out[4] == "Анна Иванова"


@pytest.mark.parametrize("typed,utc_hour", [("01:10", 6), ("01:10 EDT", 5), ("01:10 est", 6), ("01:10 -04:00", 5),
                                            ("01:10 -05:00", 6), ("00:50", 4)])
def test_a_time_typed_with_its_zone_picks_that_occurrence(typed, utc_hour):
    from monitor_app.domain.clock import clinic_zone, parse_clock_time
    now = datetime(2026, 11, 1, 6, 30, tzinfo=timezone.utc)  # 01:30 EST, after the change
    assert parse_clock_time(typed, now, clinic_zone(NEW_YORK)).hour == utc_hour


def test_a_zone_the_clinic_does_not_have_then_is_refused_naming_the_time_field():
    from monitor_app.domain.clock import clinic_zone, parse_clock_time
    from monitor_app.domain.errors import FieldError
    with pytest.raises(FieldError) as info:
        parse_clock_time("01:10 PST", datetime(2026, 11, 1, 6, 30, tzinfo=timezone.utc), clinic_zone(NEW_YORK))
    assert info.value.field == "time" and "01:10 PST" in str(info.value)


def test_arabic_inside_a_paragraph_is_joined_and_right_to_left():
    """Typed text in the record's paragraphs (an escort's name, a comment) is shaped and ordered too."""
    import re
    shown = re.sub(r"<[^>]+>", "", fonts.markup("Present: أحمد الحسن", fonts.REGULAR))
    assert shown.startswith("Present: ")
    arabic = shown[len("Present: "):]
    assert any(unicodedata.name(ch, "").endswith(("INITIAL FORM", "MEDIAL FORM", "FINAL FORM")) for ch in arabic)
    words = unicodedata.normalize("NFKC", arabic).split(" ")
    assert set(words[0]) == set("الحسن") and set(words[-1]) == set("أحمد")  # the family name drawn leftmost
