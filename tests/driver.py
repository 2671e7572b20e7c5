"""The user-level driver every GUI test uses: it sees, types and clicks as a person at the workstation does.

A test starts where a user starts, at the sign-in window as the application builds it (`User.start`), or at a
main window shown for a signed-in user (`User.at_main_window`). From there it only has what a person has:

- **keys**: `type("128/82\\t74\\t97\\n")` and `press("Ctrl+N")` go to `QApplication.focusWidget()`, the widget
  with the cursor. When nothing has the cursor the driver fails with "nothing has the keyboard focus": that is
  a product bug (a nurse's keys would go nowhere), never something for a test to repair.
- **clicks**: `click("Start infusion")` clicks a visible, enabled button (or any widget showing that text) of
  the window in front; `click(widget)` clicks a widget the test has read from the screen, in its middle;
  `click_item(list_or_table, "NEWS2 bands")` and `click_tab("Users")` click a row or a tab where it is drawn.
- **dialogs**: a dialog is answered through its own fields and buttons. A modal dialog blocks the action that
  opened it, so the answer is given first: `with user.expect_dialog(answer): user.press("F8")`, where
  `answer(dialog)` receives a `Dialog` that types, ticks, chooses and clicks inside it. An action that must
  not ask anything runs under `with user.expect_no_dialog():`, so a question asked anyway fails the test.
- **the screen**: `focus`, `window`, `visible_text()`, `find(...)` read what is shown.

There is deliberately no way to set focus, activate a window, call a slot or fill a model. On the offscreen
platform a window is activated when it is shown and nothing is re-activated when a dialog closes (a desktop's
window manager usually does that): if the cursor is not where the nurse types after a dialog, the product must
put it there itself.
"""
from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Callable, Iterable

import pytest
from PySide6.QtCore import QEvent, QPoint, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (QAbstractButton, QAbstractItemView, QAbstractScrollArea, QAbstractSpinBox, QApplication,
                               QCheckBox, QComboBox, QDialog, QHeaderView, QLabel, QLineEdit, QListView, QPlainTextEdit,
                               QRadioButton, QStyle, QStyleOptionComboBox, QTabBar, QTextEdit, QWidget)

DEFAULT_TIMEOUT_MS = 8000

# Characters of `type()` that are keys, not text.
SPECIAL = {"\t": Qt.Key.Key_Tab, "\n": Qt.Key.Key_Return, "\b": Qt.Key.Key_Backspace, "\x1b": Qt.Key.Key_Escape}


def settle() -> None:
    """Let the work already queued run (window activation, zero-time timers), as it does before a person's next
    key arrives: a key typed on a keyboard is queued behind it."""
    for _ in range(3):
        QApplication.processEvents()


def _plain(text: str) -> str:
    """A label as read on screen: without the mnemonic '&', the trailing '…' and surrounding space."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("\u2026").strip()


def _shown_text(w: QWidget) -> str:
    if isinstance(w, (QAbstractButton, QLabel)):
        return w.text()
    if isinstance(w, QLineEdit):
        return w.text()
    if isinstance(w, QComboBox):
        return w.currentText()
    if isinstance(w, (QPlainTextEdit, QTextEdit)):
        return w.toPlainText()
    return w.accessibleName()


def _readable(text: str) -> str:
    """Rich text as a person reads it (tags dropped, entities decoded)."""
    if "<" not in text and "&" not in text:
        return text
    from PySide6.QtGui import QTextDocumentFragment
    return QTextDocumentFragment.fromHtml(text).toPlainText()


def visible_widgets(root: QWidget, kind: type = QWidget) -> list[QWidget]:
    """Widgets of `kind` under `root` that a person can see now (shown, not hidden behind a hidden parent)."""
    return [w for w in root.findChildren(kind) if w.isVisible() and w.window() is root.window()]


def _matches(w: QWidget, text: str, exact: bool) -> bool:
    shown = _plain(_readable(_shown_text(w)))
    names = {shown, _plain(w.accessibleName())}
    want = _plain(text)
    if exact:
        return want in names
    return any(want.lower() in n.lower() for n in names if n)


def key_sequence(keys: str) -> tuple[Qt.Key, Qt.KeyboardModifier]:
    """'Ctrl+N', 'F5', 'Space', 'Alt+Left', 'Shift+Tab' as one key and its modifiers."""
    seq = QKeySequence(keys)
    if seq.isEmpty():
        raise ValueError(f"not a key: {keys!r}")
    combo = seq[0]
    return combo.key(), combo.keyboardModifiers()


class Screen:
    """What a person can see and do within one window (the main window, or a dialog in front of it)."""

    keystrokes = 0  # every key typed or pressed through any driver, so a test can count a task's keys

    def __init__(self, qtbot, window_getter: Callable[[], QWidget | None]):
        self.qtbot = qtbot
        self._window = window_getter

    # ------------------------------------------------------------------------------------------ seeing
    @property
    def window(self) -> QWidget:
        w = self._window()
        assert w is not None and w.isVisible(), "no window is shown"
        return w

    @property
    def focus(self) -> QWidget | None:
        """The widget with the keyboard cursor (where typed keys go), or None, once the work already queued is
        done (as a person's next key would find it)."""
        settle()
        return QApplication.focusWidget()

    def visible_text(self) -> str:
        """Every visible label, button and field text of the window, one per line, as read on screen."""
        parts = []
        for w in visible_widgets(self.window):
            if isinstance(w, (QLabel, QAbstractButton, QLineEdit, QComboBox)):
                t = _readable(_shown_text(w))
                if t:
                    parts.append(t)
        return "\n".join(parts)

    def find(self, text: str, kind: type = QWidget, exact: bool = False) -> QWidget:
        """The one visible widget of `kind` showing `text` (or named so for screen readers); fails otherwise."""
        found = self.find_all(text, kind, exact)
        if len(found) > 1:
            exact_ones = [w for w in found if _matches(w, text, True)]
            found = exact_ones or found
        assert found, f"nothing visible shows {text!r} ({kind.__name__}); visible:\n{self.visible_text()}"
        assert len(found) == 1, f"{len(found)} widgets show {text!r}: " + ", ".join(
            repr(_shown_text(w)) for w in found)
        return found[0]

    def find_all(self, text: str, kind: type = QWidget, exact: bool = False) -> list[QWidget]:
        return [w for w in visible_widgets(self.window, kind) if _matches(w, text, exact)]

    def button(self, text: str) -> QAbstractButton:
        """The visible button labelled `text` (mnemonic '&' and a trailing '…' ignored)."""
        return self.find(text, QAbstractButton)

    def field(self, label: str) -> QWidget:
        """The input a visible label names ("Details:" finds the field beside it), or one named so."""
        want = _plain(label).rstrip(":").lower()
        labels = [(lab, _plain(_readable(lab.text())).rstrip(":").lower())
                  for lab in visible_widgets(self.window, QLabel) if lab.buddy() is not None]
        for match in (lambda t: t == want, lambda t: t.startswith(want + " ") or t.startswith(want + "(")):
            for lab, text in labels:
                if match(text):
                    return _input_of(lab.buddy())
        for w in visible_widgets(self.window):
            if not isinstance(w, QLabel) and _plain(w.accessibleName()).rstrip(":").lower() == want:
                return _input_of(w)
        raise AssertionError(f"no field labelled {label!r}; visible:\n{self.visible_text()}")

    # ------------------------------------------------------------------------------------------ keys
    def type(self, text: str) -> None:
        """Type `text` into whatever has the cursor: '\\t' Tab, '\\n' Enter, '\\b' Backspace, '\\x1b' Escape.

        Every character goes to the widget with the cursor at that moment, so a Tab that moves the cursor sends
        the next digits to the next field, exactly as on a keyboard. Any Unicode text can be typed.
        """
        for ch in text:
            target = self._focus_or_fail(ch)
            Screen.keystrokes += 1
            if ch in SPECIAL:
                QTest.keyClick(target, SPECIAL[ch])
            elif ch.isascii():
                QTest.keyClick(target, ch)
            else:  # QTest composes Latin-1 only: a key event carrying the text, as an input method sends it
                for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                    QApplication.sendEvent(target, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier,
                                                             ch))
            QApplication.processEvents()

    def press(self, keys: str) -> None:
        """Press one key or combination ("F5", "Ctrl+N", "Space", "Down", "Shift+Tab") where the cursor is."""
        key, modifiers = key_sequence(keys)
        target = self._focus_or_fail(keys)
        Screen.keystrokes += 1
        QTest.keyClick(target, key, modifiers)
        QApplication.processEvents()

    def _focus_or_fail(self, what: str) -> QWidget:
        settle()
        target = QApplication.focusWidget()
        assert target is not None, (f"nothing has the keyboard focus: {what!r} would go nowhere "
                                    f"(active window: {QApplication.activeWindow()!r})")
        return target

    # ------------------------------------------------------------------------------------------ mouse
    def click(self, target: str | QWidget, kind: type = QWidget) -> None:
        """Click a visible, enabled widget in its middle: by the text it shows, or a widget read off the screen."""
        w = self._clickable(target, kind)
        QTest.mouseClick(w, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, _click_point(w))
        QApplication.processEvents()

    def double_click(self, target: str | QWidget, kind: type = QWidget) -> None:
        w = self._clickable(target, kind)
        QTest.mouseDClick(w, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, w.rect().center())
        QApplication.processEvents()

    def click_at(self, widget: QWidget, pos: QPoint) -> None:
        """Click a point of a visible widget (a table cell's middle, a spot on a chart)."""
        assert widget.isVisible(), f"{widget!r} is not visible"
        QTest.mouseClick(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
        QApplication.processEvents()

    def click_cell(self, view: QAbstractItemView, row: int, column: int) -> None:
        """Click one cell of a visible table or list."""
        index = view.model().index(row, column)
        view.scrollTo(index)  # as a person scrolls to it
        rect = view.visualRect(index)
        assert rect.isValid(), f"cell {row},{column} is not on screen"
        self.click_at(view.viewport(), rect.center())

    def click_item(self, view: QAbstractItemView, text: str) -> None:
        """Click the item of a visible list or table that reads `text`, where it is drawn: an item whose first
        line or whole text is `text`, else the one item containing it. A list scrolls to it first, as a person
        scrolls; nothing is selected any other way than by the click."""
        assert view.isVisible(), f"{view.accessibleName() or view!r} is not visible"
        model, root = view.model(), view.rootIndex()
        columns = 1 if isinstance(view, QListView) else model.columnCount(root)
        items = [model.index(r, c, root) for r in range(model.rowCount(root)) for c in range(columns)]
        shown = {i: _plain(str(i.data() or "")) for i in items}
        want = _plain(text)
        match = [i for i in items if want in (shown[i], shown[i].split("\n")[0].strip())]
        if not match:
            match = [i for i in items if want.lower() in shown[i].lower()]
        assert match, f"{view.accessibleName() or 'the list'} shows no {text!r}: " + "; ".join(shown.values())
        rows = {i.row() for i in match}
        assert len(rows) == 1, f"{len(rows)} rows show {text!r}"
        view.scrollTo(match[0])
        rect = view.visualRect(match[0])
        assert rect.isValid() and view.viewport().rect().intersects(rect), f"{text!r} is not on screen"
        self.click_at(view.viewport(), rect.center())

    def click_tab(self, text: str) -> None:
        """Click the visible tab that reads `text` (a tab of a settings window, say)."""
        tabs = [(bar, i) for bar in visible_widgets(self.window, QTabBar) for i in range(bar.count())
                if bar.isTabVisible(i) and _plain(bar.tabText(i)) == _plain(text)]
        assert len(tabs) == 1, f"{len(tabs)} visible tabs read {text!r}"
        bar, i = tabs[0]
        assert bar.isTabEnabled(i), f"the tab {text!r} is greyed out"
        self.click_at(bar, bar.tabRect(i).center())

    def _clickable(self, target: str | QWidget, kind: type) -> QWidget:
        if isinstance(target, str):
            if kind is QWidget:
                buttons = self.find_all(target, QAbstractButton)
                w = self.button(target) if buttons else self.find(target, kind)
            else:
                w = self.find(target, kind)
        else:
            w = target
        assert w.isVisible(), f"{_shown_text(w)!r} is not visible"
        assert w.isEnabled(), f"{_shown_text(w)!r} is greyed out"
        assert w.window() is self.window or w.window().isVisible(), f"{_shown_text(w)!r} is not on screen"
        return w

    # ------------------------------------------------------------------------------------------ forms
    def fill(self, label: str, text: str, replace: bool = True) -> None:
        """Click the field a label names and type `text` into it (after selecting what it holds)."""
        field = self.field(label)
        self.click(field)
        settle()
        assert QApplication.focusWidget() is field or field.isAncestorOf(QApplication.focusWidget()), \
            f"clicking {label!r} did not put the cursor in it"
        if replace:
            self.press("Ctrl+A")
            if field_text(field):
                self.press("Backspace")
        self.type(text)

    def tick(self, text: str, on: bool = True) -> None:
        """Tick (or untick) the check box or choose the radio button that reads `text`."""
        box = self.find(text, QAbstractButton)
        if isinstance(box, (QCheckBox, QRadioButton)) and box.isChecked() == on:
            return
        self.click(box)
        if isinstance(box, QCheckBox):
            assert box.isChecked() == on, f"{text!r} did not change"

    def choose(self, label: str, item: str) -> None:
        """Open the drop-down a label names with a click and click the item that reads `item`."""
        combo = self.field(label)
        assert isinstance(combo, QComboBox), f"{label!r} is not a drop-down"
        self.click(combo)
        view = combo.view()
        self.qtbot.waitUntil(view.isVisible, timeout=DEFAULT_TIMEOUT_MS)
        model = view.model()
        rows = [model.index(r, combo.modelColumn()) for r in range(model.rowCount())]
        match = [i for i in rows if _plain(str(i.data())) == _plain(item)] or \
            [i for i in rows if _plain(item).lower() in str(i.data()).lower()]
        assert match, f"{label!r} offers no {item!r}: " + ", ".join(str(i.data()) for i in rows)
        view.scrollTo(match[0])
        # A drop-down ignores a release within a double-click's time of opening (no one is that quick).
        self.qtbot.wait(QApplication.doubleClickInterval() + 50)
        QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         view.visualRect(match[0]).center())
        QApplication.processEvents()
        self.qtbot.waitUntil(lambda: not view.isVisible(), timeout=DEFAULT_TIMEOUT_MS)
        assert combo.currentIndex() == match[0].row(), f"{item!r} was not chosen"

    def wait_until(self, condition: Callable[[], bool], timeout_ms: int = DEFAULT_TIMEOUT_MS) -> None:
        """Wait (the event loop running) until the screen shows what a person would wait for."""
        self.qtbot.waitUntil(condition, timeout=timeout_ms)


INPUTS = (QLineEdit, QPlainTextEdit, QTextEdit, QComboBox, QAbstractSpinBox, QAbstractButton)


def _input_of(w: QWidget) -> QWidget:
    """The input a form row holds: the widget itself, or the first visible input inside its holder."""
    if isinstance(w, INPUTS):
        return w
    for child in w.findChildren(QWidget):
        if isinstance(child, INPUTS) and child.isVisible():
            return child
    return w


def _click_point(w: QWidget) -> QPoint:
    """Where a person clicks: the middle, or the box of a check box or radio button wider than its label."""
    centre = w.rect().center()
    if isinstance(w, (QCheckBox, QRadioButton)) and not w.hitButton(centre):
        return QPoint(min(10, w.width() // 2), w.height() // 2)
    return centre


def field_text(w: QWidget) -> str:
    if isinstance(w, (QPlainTextEdit, QTextEdit)):
        return w.toPlainText()
    if isinstance(w, QLineEdit):
        return w.text()
    return ""


class Dialog(Screen):
    """A dialog in front of the main window, answered through its own fields and buttons."""

    def __init__(self, qtbot, dialog: QWidget):
        super().__init__(qtbot, lambda: dialog)
        self.widget = dialog

    @property
    def title(self) -> str:
        return self.widget.windowTitle()

    @property
    def is_open(self) -> bool:
        return self.widget.isVisible()

    def visible_text(self) -> str:
        text = super().visible_text()
        return f"{self.title}\n{text}"


def front_dialog() -> QWidget | None:
    """The dialog a person sees in front: the active modal one, else any visible dialog window."""
    modal = QApplication.activeModalWidget()
    if modal is not None and modal.isVisible():
        return modal
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]
    return dialogs[-1] if dialogs else None


class User(Screen):
    """A person at the workstation: from the sign-in window to every screen, with keys, clicks and their eyes."""

    def __init__(self, qtbot, shell=None, window: QWidget | None = None):
        self.shell = shell
        self._main = window
        super().__init__(qtbot, self._front_window)

    # ------------------------------------------------------------------------------------------ starting
    @classmethod
    def start(cls, qtbot, data_dir, settings_dir, *, clock: Callable | None = None, large_type: bool = False,
              size: tuple[int, int] | None = None) -> "User":
        """Start Chairside as `python main.py --data-dir DIR` does: the sign-in window, the archive opening.

        `settings_dir` holds this workstation's own preferences (window geometry, large type) so that no test
        reads or writes the tester's; `large_type` is that preference as saved before the start; `clock` is
        the "now" every screen uses (the wall clock when omitted); `size` the window size to use once signed in.
        """
        use_workstation_settings(settings_dir, large_type=large_type)
        from monitor_app.ui.application import Shell, make_application
        make_application()
        from monitor_app.ui import errors
        errors.set_error_dialog_enabled(False)  # an unexpected error fails the test through the log, not a box
        shell = Shell(None, str(data_dir), clock=clock)
        qtbot.addWidget(shell.signin)
        user = cls(qtbot, shell)
        user.size = size
        shell.start()
        qtbot.waitExposed(shell.signin)
        user.wait_until(lambda: QApplication.focusWidget() is not None)
        return user

    @classmethod
    def at_main_window(cls, qtbot, db, actor, settings_dir, *, clock: Callable | None = None,
                       large_type: bool = False, size: tuple[int, int] | None = None, **window_kwargs) -> "User":
        """A main window shown for a user already signed in (the screen right after the sign-in window)."""
        use_workstation_settings(settings_dir, large_type=large_type)
        from monitor_app.ui.application import make_application
        from monitor_app.ui.context import UiContext
        from monitor_app.ui.main_window import MainWindow
        from monitor_app.ui.preferences import large_type_saved
        make_application()
        from monitor_app.ui import errors
        errors.set_error_dialog_enabled(False)
        ctx = UiContext(db, actor)
        if clock is not None:
            ctx.clock = clock
        ctx.reload_settings()
        ctx.large_type = large_type_saved()
        window = MainWindow(ctx, **window_kwargs)
        qtbot.addWidget(window)
        user = cls(qtbot, None, window)
        user.size = size
        window.show()
        user._settle_size()
        qtbot.waitExposed(window)
        return user

    def sign_in(self, username: str, password: str) -> None:
        """Type the user name, Enter, the password, Enter, as at the sign-in window; wait for the main window."""
        assert self.shell is not None, "this user started at the main window"
        self.type(f"{username}\n{password}\n")
        self.wait_until(lambda: self.shell.main_window is not None and self.shell.main_window.isVisible(),
                        timeout_ms=15000)
        self._main = self.shell.main_window  # the shell owns it (closed and deleted at sign-out or close())
        self._settle_size()
        self.qtbot.waitExposed(self._main)

    def _settle_size(self) -> None:
        if getattr(self, "size", None) and self._main is not None:
            self.resize_window(*self.size)

    def resize_window(self, width: int, height: int) -> None:
        """Set the main window to a screen's size, as a maximised window on that screen (the title bar and
        panel of a desktop apart, which the offscreen platform does not draw)."""
        w = self.main
        w.setWindowState(Qt.WindowState.WindowNoState)
        w.setMinimumSize(0, 0) if w.minimumWidth() > width or w.minimumHeight() > height else None
        w.resize(width, height)
        QApplication.processEvents()
        self.qtbot.waitUntil(lambda: w.size().width() == width and w.size().height() == height,
                             timeout=DEFAULT_TIMEOUT_MS)

    # ------------------------------------------------------------------------------------------ seeing
    @property
    def main(self) -> QWidget:
        """The main window (after sign-in)."""
        assert self._main is not None, "not signed in yet"
        return self._main

    def _front_window(self) -> QWidget | None:
        dialog = front_dialog()
        if dialog is not None:
            return dialog
        if self._main is not None and self._main.isVisible():
            return self._main
        if self.shell is not None and self.shell.signin.isVisible():
            return self.shell.signin
        return QApplication.activeWindow()

    @property
    def page(self) -> QWidget:
        """The screen shown in the main window's work area (floor, a session screen, the archive, ...)."""
        return self.main.workspace.currentWidget()

    def dialog(self) -> Dialog:
        """The dialog in front now; fails when none is shown."""
        d = front_dialog()
        assert d is not None, "no dialog is shown"
        return Dialog(self.qtbot, d)

    # ------------------------------------------------------------------------------------------ dialogs
    @contextlib.contextmanager
    def expect_dialog(self, answer: Callable[[Dialog], None], timeout_ms: int = DEFAULT_TIMEOUT_MS):
        """Answer the dialog that the action inside the `with` opens, with `answer(dialog)`.

        A modal dialog blocks the key or click that opened it until it closes, so the answer is set up first
        and given as soon as the dialog shows. `answer` must close it through its own buttons (or Escape);
        a dialog left open afterwards fails the test (and is closed with Escape, as a person would), as does a
        dialog that never appears. Failed assertions inside `answer` are raised here.
        """
        state = {"seen": None, "error": None, "left_open": False}
        before = front_dialog()
        deadline = time.monotonic() + timeout_ms / 1000

        def check():
            d = front_dialog()
            if d is None or d is before or state["seen"] is not None:
                if state["seen"] is None and time.monotonic() < deadline:
                    QTimer.singleShot(10, check)
                return
            state["seen"] = d
            try:
                answer(Dialog(self.qtbot, d))
            except BaseException as exc:  # noqa: BLE001 (handed to the test below)
                state["error"] = exc
            if d.isVisible():
                state["left_open"] = True
                if QApplication.focusWidget() is None or QApplication.focusWidget().window() is not d:
                    d.close()
                else:
                    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
                    if d.isVisible():
                        d.close()

        QTimer.singleShot(0, check)
        yield
        if state["seen"] is None:
            self.wait_until(lambda: state["seen"] is not None, timeout_ms)
        if state["error"] is not None:
            raise state["error"]
        assert not state["left_open"], f"the dialog {state['seen'].windowTitle()!r} was left open"

    @contextlib.contextmanager
    def expect_no_dialog(self):
        """The action inside the `with` must not open a dialog (a refusal said on the screen, say). A dialog that
        opens all the same is closed with Escape, as a person would, and fails the test instead of waiting
        for an answer forever."""
        state = {"seen": None, "watching": True}
        before = front_dialog()

        def check():
            if not state["watching"]:
                return
            d = front_dialog()
            if d is not None and d is not before:
                state["seen"] = state["seen"] or d.windowTitle() or type(d).__name__
                focus = QApplication.focusWidget()
                if focus is not None and focus.window() is d:
                    QTest.keyClick(focus, Qt.Key.Key_Escape)
                if d.isVisible():
                    d.close()
            QTimer.singleShot(10, check)

        QTimer.singleShot(0, check)
        try:
            yield
            settle()
        finally:
            state["watching"] = False
        assert state["seen"] is None, f"the dialog {state['seen']!r} opened"

    # ------------------------------------------------------------------------------------------ the end
    def close(self) -> None:
        """Quit as a person does (Ctrl+Q), and put the type size back for the next test."""
        from monitor_app.ui.widgets import apply_type_size
        for w in (self._main, self.shell.signin if self.shell is not None else None):
            try:
                if w is not None and w.isVisible():
                    w.close()
            except RuntimeError:  # already deleted (signed out, closed)
                pass
        if self.shell is not None:
            self.shell.shutdown()
        apply_type_size(False)
        QApplication.processEvents()


@pytest.fixture
def chairside(qtbot, tmp_path):
    """`chairside(data_dir, clock=..., large_type=..., size=...)` starts Chairside at its sign-in window and
    returns the `User` in front of it; everything is closed after the test, passed or failed."""
    started: list[User] = []

    def start(data_dir, **kwargs) -> User:
        user = User.start(qtbot, data_dir, tmp_path / f"workstation{len(started)}", **kwargs)
        started.append(user)
        return user

    yield start
    for user in started:
        user.close()


def use_workstation_settings(folder, *, large_type: bool = False) -> None:
    """This workstation's preferences file in `folder` (the tester's own are never read or written)."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(folder))
    from monitor_app.ui.preferences import app_settings
    s = app_settings()
    s.clear()
    s.setValue("view/large_type", bool(large_type))
    s.sync()


def texts(widgets: Iterable[QWidget]) -> list[str]:
    return [_readable(_shown_text(w)) for w in widgets]


def clipped(root: QWidget) -> list[str]:
    """What a person would see elided, clipped or overlapping under `root`: every visible label, button, table
    header, empty field's hint and choice whose text needs more room than it is given, or that is cut by a parent
    or covered, and fields or texts of one parent drawn over one another."""
    def outside_lists(w: QWidget) -> bool:  # inside a list or table a text is scrolled, not clipped
        p = w.parentWidget()
        while p is not None and p is not root:
            if isinstance(p, QAbstractScrollArea):
                return False
            p = p.parentWidget()
        return True

    problems = []
    texts_shown = [w for w in root.findChildren(QLabel) + root.findChildren(QAbstractButton)
                   if w.isVisible() and w.text() and outside_lists(w)]
    for w in texts_shown:
        need = w.sizeHint()
        if isinstance(w, QLabel) and w.wordWrap():
            if w.heightForWidth(w.width()) > w.height() + 1:
                problems.append(f"{type(w).__name__} {w.text()[:60]!r}: needs {w.heightForWidth(w.width())} px "
                                f"high, has {w.height()}")
        elif need.width() > w.width() + 1 or (not isinstance(w, QLabel) and need.height() > w.height() + 1):
            problems.append(f"{type(w).__name__} {w.text()[:60]!r}: needs {need.width()}x{need.height()}, "
                            f"has {w.width()}x{w.height()}")
        if w.visibleRegion().boundingRect().size() != w.rect().size():
            problems.append(f"{type(w).__name__} {w.text()[:60]!r}: cut or covered "
                            f"({w.visibleRegion().boundingRect().size().toTuple()} of {w.size().toTuple()})")
    fields = [w for w in root.findChildren(QLineEdit) + root.findChildren(QComboBox)
              if w.isVisible() and outside_lists(w) and not isinstance(w.parentWidget(), QComboBox)]
    for w in fields:
        if isinstance(w, QComboBox):  # the choice shown, beside the arrow
            option = QStyleOptionComboBox()
            w.initStyleOption(option)
            text = w.currentText()
            need = w.style().sizeFromContents(QStyle.ContentsType.CT_ComboBox, option,
                                              QSize(w.fontMetrics().horizontalAdvance(text), w.fontMetrics().height()),
                                              w).width()
        else:  # an empty field's hint (a typed text scrolls within its field)
            text = "" if w.text() else w.placeholderText()
            need = w.fontMetrics().horizontalAdvance(text) + 12
        if text and need > w.width() + 1:
            problems.append(f"{type(w).__name__} {text[:60]!r}: needs {need} px, has {w.width()}")
    by_parent: dict[int, list[QWidget]] = {}
    for w in texts_shown + fields:
        by_parent.setdefault(id(w.parentWidget()), []).append(w)
    for group in by_parent.values():
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                if a.geometry().intersects(b.geometry()):
                    names = [_shown_text(w)[:40] or w.accessibleName() or type(w).__name__ for w in (a, b)]
                    problems.append(f"{names[0]!r} and {names[1]!r} overlap")
    for header in root.findChildren(QHeaderView):
        if not header.isVisible() or header.orientation() != Qt.Orientation.Horizontal:
            continue
        model = header.model()
        for i in range(header.count()):
            if header.isSectionHidden(i):
                continue
            text = str(model.headerData(i, Qt.Orientation.Horizontal))
            need = header.fontMetrics().horizontalAdvance(text) + 12
            if header.sectionSize(i) < need:
                problems.append(f"table header {text!r}: needs {need} px, has {header.sectionSize(i)}")
    return problems
