"""The About box: version, where the archive is and its schema, the licences of the fonts and libraries shipped."""
from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass
from importlib import metadata

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTextBrowser, QVBoxLayout

from monitor_app import DISCLAIMER, __version__
from monitor_app.ui.widgets import heading, resources_dir

log = logging.getLogger(__name__)

DISTRIBUTION = "chairside"
NOT_A_DEVICE = ("Chairside is documentation only, not a medical device. It never connects to a monitor or a pump, "
                "never diagnoses and never recommends treatment; its flags and reminders are documentation aids.")


@dataclass(frozen=True)
class Library:
    name: str
    version: str
    licence: str
    home: str


def _licence(md) -> str:
    """The licence as the distribution declares it: SPDX expression, License field, or its classifiers."""
    expression = (md.get("License-Expression") or "").strip()
    if expression:
        return expression
    field = (md.get("License") or "").strip()
    if field and "\n" not in field and len(field) <= 80:
        return field
    classifiers = [c.split("::")[-1].strip() for c in md.get_all("Classifier") or [] if c.startswith("License ::")]
    if classifiers:
        return ", ".join(classifiers)
    return field.splitlines()[0][:80] if field else "see the distribution's licence file"


def _needed(requirements: list[str], extras: set[str]) -> list[tuple[str, set[str]]]:
    """(name, extras asked for) of each requirement that applies here: its marker evaluated for this machine
    and the extras asked for (psycopg[binary]), never the test or build extras."""
    from packaging.requirements import InvalidRequirement, Requirement
    needed = []
    for text in requirements:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue
        if req.marker is not None and not any(req.marker.evaluate({"extra": e}) for e in (extras or {""})):
            continue
        needed.append((req.name, set(req.extras)))
    return needed


def libraries() -> list[Library]:
    """Every library Chairside runs on, its own requirements and theirs, from the installed metadata."""
    seen: dict[str, Library] = {}
    try:
        pending = _needed(metadata.requires(DISTRIBUTION) or [], set())
    except metadata.PackageNotFoundError:
        log.warning("no metadata for %s: the About box lists no libraries", DISTRIBUTION)
        return []
    while pending:
        name, extras = pending.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen and not extras:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        md = dist.metadata
        home = md.get("Home-page") or next((u.split(",", 1)[-1].strip() for u in md.get_all("Project-URL") or []),
                                           "")
        seen[key] = Library(md["Name"].replace("_", "-"), dist.version, _licence(md), home)
        pending += _needed(dist.requires or [], extras)
    return sorted(seen.values(), key=lambda lib: lib.name.lower())


def font_licences() -> list[tuple[str, str]]:
    """(file name, text) of each licence shipped with the fonts in resources/fonts."""
    folder = resources_dir() / "fonts"
    return [(p.name, p.read_text(encoding="utf-8", errors="replace"))
            for p in sorted(folder.glob("LICENSE*")) + sorted(folder.glob("OFL*"))]


def archive_description(db) -> tuple[str, str]:
    """Where the archive is (a file, or a server database without its password) and its schema revision."""
    from monitor_app.storage.migrate import current_revision
    if db is None:
        return "not open", "unknown"
    if db.sqlite_path is not None:
        where = str(db.sqlite_path)
    else:
        where = db.engine.url.render_as_string(hide_password=True)
    try:
        schema = current_revision(db) or "none"
    except Exception as exc:  # the About box opens even when the server is away
        log.warning("schema revision unreadable: %s", exc)
        schema = "unreadable"
    return where, schema


def about_html(db) -> str:
    where, schema = archive_description(db)
    rows = "".join(f"<tr><td>{html.escape(lib.name)}</td><td>{html.escape(lib.version)}</td>"
                   f"<td>{html.escape(lib.licence)}</td></tr>" for lib in libraries())
    fonts = "".join(f"<h4>{html.escape(name)}</h4><pre style='white-space: pre-wrap'>{html.escape(text)}</pre>"
                    for name, text in font_licences())
    return (f"<p><b>Chairside {__version__}</b> \u2014 documentation of ketamine infusion sessions at the chair."
            f"</p><p><b>{html.escape(NOT_A_DEVICE)}</b></p>"
            f"<p>Archive: {html.escape(where)}<br>Schema version: {html.escape(schema)}</p>"
            f"<h3>Libraries</h3><table cellpadding='3'><tr><th align='left'>Library</th><th align='left'>Version"
            f"</th><th align='left'>Licence</th></tr>{rows}</table>"
            f"<p>Qt is used under the LGPL 3.0; its source is at https://download.qt.io.</p>"
            f"<h3>Fonts</h3><p>DejaVu fonts, for the printed records.</p>{fonts}")


class AboutDialog(QDialog):
    def __init__(self, db, parent=None):
        super().__init__(parent)
        self.setWindowTitle("About Chairside")
        self.setObjectName("about")
        self.resize(720, 640)
        box = QVBoxLayout(self)
        box.addWidget(heading(f"Chairside {__version__}", 18))
        disclaimer = QLabel(DISCLAIMER)
        disclaimer.setObjectName("aboutDisclaimer")
        box.addWidget(disclaimer)
        self.text = QTextBrowser()
        self.text.setObjectName("aboutText")
        self.text.setAccessibleName("About Chairside")
        self.text.setOpenExternalLinks(False)
        self.text.setHtml(about_html(db))
        box.addWidget(self.text, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        box.addWidget(buttons)
        buttons.button(QDialogButtonBox.Close).setFocus()
