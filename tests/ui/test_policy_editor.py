"""Settings → Supervision policy…: the editor, and the screens following the saved policy (a
fourth type gets its scheduler column, form, menus and buttons)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QMessageBox

from app.domain.catalogue import BUILTIN_KEYS
from app.domain.model import DueStatus, Worker
from app.storage.db import Database
from ui.context import AppContext
from ui.forms.policy_dialog import PolicyDialog, key_for
from ui.forms.session_form import SessionForm
from ui.main_window import MainWindow
from ui.models.schedule_model import FIRST_TYPE_COLUMN


@pytest.fixture
def ctx(db: Database, db_path: Path, today: date) -> AppContext:
    context = AppContext.for_database(db, db_path, today=lambda: today)
    lead = context.workers.save(Worker(id="", name="Amara Okafor", team="North"))
    context.workers.save(
        Worker(id="", name="Zoë Hartley", team="North", start_date=today - timedelta(days=400),
               line_supervisor_id=lead.id)
    )  # fmt: skip
    return context


@pytest.fixture
def quiet(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a: said.append(str(a[2])))
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: said.append(str(a[2])))
    return said


def add_safeguarding(qtbot: Any, dialog: PolicyDialog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QInputDialog, "getText", lambda *a: ("Safeguarding supervision", True))
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    for spin in dialog.editor.intervals.values():
        spin.setValue(91)


def test_key_for_makes_keys_from_words() -> None:
    assert key_for("Safeguarding supervision", set()) == "safeguarding"
    assert key_for("Safeguarding supervision", {"safeguarding"}) == "safeguarding_2"
    assert key_for("1:1 & ASYE", set()) == "t_1_1_asye"


def test_saving_a_fourth_type_makes_a_version_and_every_screen_follows(
    qtbot: Any, ctx: AppContext, today: date, quiet: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    assert window.scheduler.model.types == BUILTIN_KEYS
    dialog = PolicyDialog(ctx, window)
    qtbot.addWidget(dialog)
    dialog.policy_saved.connect(window.policy_saved)
    assert not dialog.save_button.isEnabled()  # nothing changed yet
    add_safeguarding(qtbot, dialog, monkeypatch)
    # Validation explains itself, in words.
    dialog.editor.intervals["standard"].setValue(60)
    assert not dialog.problems_label.isHidden()
    assert (
        "high-tier safeguarding supervision interval (91 days) is longer than standard (60 days)"
        in dialog.problems_label.text()
    )
    assert not dialog.save_button.isEnabled()
    dialog.editor.intervals["standard"].setValue(91)
    assert dialog.problems_label.isHidden()
    assert not dialog.save_button.isEnabled()  # who and why are still missing
    qtbot.keyClicks(dialog.name_edit, "Amara Okafor")
    qtbot.keyClicks(dialog.reason_edit, "Children's service: safeguarding every quarter")
    assert dialog.save_button.isEnabled()
    # The preview says how many workers' statuses change before anything is saved: on its
    # own while the dialog is open (a moment after the last edit)...
    dialog.show()
    qtbot.keyClicks(dialog.reason_edit, ".")
    qtbot.waitUntil(lambda: "2 of 2 workers would change status" in dialog.preview_label.text())
    dialog.update_preview()  # ... and when asked
    assert "2 of 2 workers would change status" in dialog.preview_label.text()
    assert [v.version for v in ctx.policies.history().versions] == [1]
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert quiet and "Saved as version 2" in quiet[-1]
    versions = ctx.policies.history().versions
    assert [v.version for v in versions] == [1, 2]
    assert versions[-1].created_by == "Amara Okafor" and "quarter" in versions[-1].reason

    # The scheduler: a fourth column, its heading, cells, and tooltips naming the version.
    model = window.scheduler.model
    assert model.types == (*BUILTIN_KEYS, "safeguarding")
    column = model.column_of("safeguarding")
    assert column == FIRST_TYPE_COLUMN + 3
    assert model.headerData(column, Qt.Orientation.Horizontal) == "Safeguarding"
    row = next(r for r in range(model.rowCount()) if model.row_at(r).facts.name == "Zoë Hartley")
    index = model.index(row, column)
    assert index.data().startswith("✖ Overdue")
    tip = index.data(Qt.ItemDataRole.ToolTipRole)
    assert "Safeguarding supervision" in tip and "policy v2" in tip
    assert model.index(row, 0).data() == "Zoë Hartley"
    assert model.row_at(row).status.by_type["safeguarding"].status is DueStatus.OVERDUE
    # The File menu's blank forms and the worker's buttons name it too.
    assert "safeguarding" in window.blank_form_actions
    assert window.blank_form_actions["safeguarding"].text() == "Safeguarding supervision…"

    # Its form: one-to-one, titled by the label, with its own agenda section.
    worker_id = model.row_at(row).worker_id
    form = SessionForm.for_new(ctx, "safeguarding", worker_id, today)
    qtbot.addWidget(form)
    assert form.heading.text().startswith("Safeguarding supervision — Zoë Hartley")
    assert form.attendees is None and form.wellbeing is not None


def test_a_type_with_records_cannot_be_removed_only_retired(
    qtbot: Any, ctx: AppContext, today: date, quiet: list[str]
) -> None:
    zoe = next(w for w in ctx.workers.all() if w.name.startswith("Zoë"))
    ctx.sessions.save(ctx.sessions.new_record("group", zoe.id, today))
    dialog = PolicyDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.type_list.setCurrentRow(2)  # group
    assert not dialog.remove_button.isEnabled()
    dialog.remove_type()
    assert [t.key for t in dialog.policy().types] == list(BUILTIN_KEYS)
    qtbot.mouseClick(dialog.retire_button, Qt.MouseButton.LeftButton)
    assert dialog.policy().catalogue["group"].retired
    assert dialog.type_list.item(2).text().endswith("retired")
    # The kind of a saved type is fixed.
    assert not dialog.editor.kind_combo.isEnabled()


def test_the_versions_page_shows_saved_times_in_the_services_time_zone(
    qtbot: Any, ctx: AppContext, today: date
) -> None:
    """The Versions page lists when each version was saved in the service's own time zone
    (the policy's ``time_zone``), named — not the stored UTC text."""
    from dataclasses import replace
    from datetime import UTC, datetime

    from app.dates import uk

    tokyo = replace(ctx.policies.history().latest.policy, time_zone="Asia/Tokyo")
    ctx.policies.save(tokyo, effective_from=today, reason="We moved", by="Amara", today=today)
    newest = ctx.policies.history().latest
    dialog = PolicyDialog(ctx)
    qtbot.addWidget(dialog)
    shown = dialog.versions_table.item(0, 2).text()
    saved = datetime.fromisoformat(newest.created_at.replace("Z", "+00:00"))
    saved = saved.replace(tzinfo=saved.tzinfo or UTC)
    there = saved + timedelta(hours=9) - (saved.utcoffset() or timedelta())
    assert shown == f"{uk(there.date())} at {there:%H:%M} JST"
    assert newest.created_at[11:16] not in shown  # not the UTC clock time
    assert dialog.versions_table.item(0, 4).text() == "We moved"


def test_a_setting_with_a_fixed_list_is_chosen_from_it_not_typed(
    qtbot: Any, ctx: AppContext, quiet: list[str]
) -> None:
    """The UK nation and the service year's first day are chosen from their lists (a typed
    "scotland" was refused only when saving)."""
    from PySide6.QtWidgets import QComboBox

    dialog = PolicyDialog(ctx)
    qtbot.addWidget(dialog)
    field = next(f for f in dialog.fields if f.setting.name == "bank_holiday_nation")
    combo = field.widgets[""]
    assert isinstance(combo, QComboBox)
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "England and Wales", "Scotland", "Northern Ireland",
    ]  # fmt: skip
    assert combo.currentText() == "England and Wales"  # the policy's value is shown
    combo.setFocus()
    qtbot.keyClicks(combo, "S")  # by keyboard, as a combo box is used
    assert combo.currentText() == "Scotland"
    year = next(f for f in dialog.fields if f.setting.name == "service_year_start")
    assert isinstance(year.widgets[""], QComboBox) and year.widgets[""].count() == 12
    qtbot.keyClicks(dialog.name_edit, "Amara Okafor")
    qtbot.keyClicks(dialog.reason_edit, "We are a Scottish service")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert quiet and "Saved as version 2" in quiet[-1]
    assert ctx.policies.history().versions[-1].policy.bank_holiday_nation == "Scotland"
