"""What a screen reader hears: walked through Qt's accessibility interface (what AT-SPI, and
so Orca, reads on Linux), every value a sighted user reads is exposed — a label's accessible
name carries its text, not only what it is — and every control has a name: clear buttons,
drop-down lists, the carried-forward Outcome drop-downs; the form window is a window named
with its worker and date."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QAccessibleInterface
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLabel, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from app.domain.catalogue import CLINICAL, LINE
from app.services.demo import load_demo
from app.storage.db import close_database, open_database
from ui.context import AppContext
from ui.forms.session_form import SessionForm
from ui.main_window import MainWindow

Role = QAccessible.Role
Text = QAccessible.Text
# Roles a person acts on: each must say what it is.
NAMED_ROLES = {
    Role.PushButton, Role.CheckBox, Role.RadioButton, Role.ComboBox, Role.EditableText,
    Role.SpinBox, Role.Table, Role.List, Role.Slider, Role.PageTab, Role.ButtonMenu,
}  # fmt: skip
_TAGS = re.compile(r"<[^>]+>")
# Marks drawn beside words for the eye (a status's symbol, a list's bullet): the words carry
# the meaning, and a name may leave the mark out.
_MARKS = re.compile(r"[•✖▲✔‖–⚠🔒]\s*")


def _plain(text: str) -> str:
    """A label's text as read: tags gone, entities and the mnemonic & undone, spaces single."""
    text = _TAGS.sub(" ", text.replace("<br>", " ").replace("<br/>", " "))
    text = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    text = re.sub(r"&(?=\w)", "", text)
    return " ".join(text.split())


def _walk(iface: QAccessibleInterface, depth: int = 0) -> Iterator[QAccessibleInterface]:
    yield iface
    if depth > 40:
        return
    for n in range(iface.childCount()):
        child = iface.child(n)
        if child is not None and child.isValid():
            yield from _walk(child, depth + 1)


def _unnamed(window: QWidget) -> list[str]:
    """Controls in the accessibility tree that a screen reader would read without a name."""
    missing = []
    for iface in _walk(QAccessible.queryAccessibleInterface(window)):
        if iface.state().invisible or iface.role() not in NAMED_ROLES:
            continue
        if not iface.text(Text.Name).strip():
            obj = iface.object()
            owner = obj.parent() if obj is not None else None
            missing.append(f"{iface.role().name} {type(obj).__name__} in {type(owner).__name__}")
    return missing


def _silent_values(window: QWidget) -> list[str]:
    """Text a sighted user reads in a label that the label's accessible name does not carry."""
    silent = []
    for label in window.findChildren(QLabel):
        if not label.isVisibleTo(window) or not label.text().strip():
            continue
        shown = _MARKS.sub("", _plain(label.text())).strip()
        iface = QAccessible.queryAccessibleInterface(label)
        heard = " ".join(iface.text(t) for t in (Text.Name, Text.Value))
        if shown and _MARKS.sub("", _plain(heard)).find(shown) < 0:
            silent.append(f"{shown[:60]!r} read as {iface.text(Text.Name)[:60]!r}")
    return silent


@pytest.fixture
def demo(tmp_path: Path, today: date) -> Any:
    db = open_database(tmp_path / "demo.db")
    load_demo(db, today=today)
    yield AppContext.for_database(db, tmp_path / "demo.db", today=lambda: today)
    close_database(db)


def test_the_main_window_exposes_every_value_and_names_every_control(
    qtbot: QtBot, demo: AppContext
) -> None:
    window = MainWindow(demo)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.scheduler.table.selectRow(0)  # the details pane shows a worker
    qtbot.waitUntil(lambda: bool(window.scheduler.details.isVisible()))
    for tab in range(window.tabs.count()):
        window.tabs.setCurrentIndex(tab)
        qtbot.wait(50)
        assert _silent_values(window) == [], window.tabs.tabText(tab)
        assert _unnamed(window) == [], window.tabs.tabText(tab)
    window.tabs.setCurrentIndex(0)
    # The clear buttons of text fields and the combo boxes' lists are named too.
    for edit in window.findChildren(QLineEdit):
        for button in edit.findChildren(QAbstractButton):
            assert button.accessibleName(), edit.accessibleName()
    for combo in window.findChildren(QComboBox):
        assert combo.view().accessibleName(), combo.accessibleName()


def test_a_form_is_a_window_named_with_its_worker_and_date(
    qtbot: QtBot, demo: AppContext, today: date
) -> None:
    zoe = demo.db.execute("SELECT id FROM workers WHERE name = 'Zoë Hartley'").fetchone()[0]
    form = SessionForm.for_new(demo, CLINICAL, zoe, today)
    qtbot.addWidget(form, before_close_func=lambda w: setattr(w, "_quitting", True))
    form.show()
    qtbot.waitExposed(form)
    iface = QAccessible.queryAccessibleInterface(form)
    assert iface.role() == Role.Window
    assert iface.text(Text.Name) == f"Clinical supervision — Zoë Hartley — {today.day} Nov 2026"
    assert _silent_values(form) == []
    assert _unnamed(form) == []
    # The carried-forward Outcome drop-downs say what they are and what they hold.
    assert form.carried is not None
    model = form.carried.model
    assert model.rowCount() > 0
    outcome = model.index(0, model.column_of("outcome"))
    spoken = str(outcome.data(Qt.ItemDataRole.AccessibleTextRole))
    assert spoken.startswith("Outcome: ") and "drop-down" in spoken


def test_a_signed_records_signature_response_and_fingerprint_are_heard(
    qtbot: QtBot, demo: AppContext, today: date
) -> None:
    from app.domain.records import Decision

    zoe = demo.db.execute("SELECT id FROM workers WHERE name = 'Zoë Hartley'").fetchone()[0]
    record = demo.sessions.new_record(LINE, zoe, today)
    record.issues = "Caseload"
    record.risk_link = False
    record.decisions = [Decision("Carry on", "Stable")]
    sid = demo.sessions.save(record).record.id
    supervisor = demo.workers.get(record.supervisor_id or "")
    assert supervisor is not None
    fingerprint = demo.records.sign_off(sid, supervisor.name, confirmed=True, accept_gaps=True)
    demo.records.respond(sid, agree=True, name="Zoë Hartley")
    form = SessionForm.for_existing(demo, sid)
    qtbot.addWidget(form, before_close_func=lambda w: setattr(w, "_quitting", True))
    form.show()
    qtbot.waitExposed(form)
    assert _silent_values(form) == []
    heard = [
        QAccessible.queryAccessibleInterface(label).text(Text.Name)
        for label in form.findChildren(QLabel)
        if label.isVisibleTo(form)
    ]
    assert any(fingerprint in h for h in heard)
    assert any(supervisor.name in h for h in heard)
    assert any("acknowledged" in h for h in heard)
