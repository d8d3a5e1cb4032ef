"""The Governance screen: trend alerts into items, the life of an item through its dialogs,
the learning log, links to sessions, the MDT agenda on screen and as PDF, supervisors' workload
and team wellbeing — driven through the real widgets with patched dialog answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QDialog
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.domain.catalogue import CLINICAL, LINE
from app.domain.governance import Forum, ItemSource, ItemStatus
from app.domain.model import SessionStatus
from app.domain.records import ActionOwner, CancelCategory, Workload
from app.errors import UsageError
from app.services import agenda as agenda_service
from app.services import governance as gov
from app.services import insight
from app.storage.db import Database
from tests.app.governance_support import (
    action,
    flat,
    pdf_text,
    person,
    session,
)
from ui.context import AppContext
from ui.forms.governance_dialogs import (
    ChangeDialog,
    DecideItemDialog,
    DismissAlertDialog,
    RaiseItemDialog,
    TableItemDialog,
)
from ui.models.governance_models import (
    AlertHistoryModel,
    AlertsModel,
    ItemsModel,
    LearningLogModel,
    SourcesModel,
    WellbeingModel,
    WorkloadModel,
)
from ui.screens import governance as screen_module
from ui.screens import governance_panels
from ui.screens.governance import GovernanceScreen
from ui.widgets.dates import to_qdate

THEME = "Delayed crisis response"


def read(qtbot: QtBot, *panels: Any) -> None:
    """Wait for the panels that read on a worker thread (agenda, workload, wellbeing)."""
    qtbot.waitUntil(lambda: not any(getattr(p, "reading", False) for p in panels), timeout=10000)


@pytest.fixture
def ctx(db: Database, db_path: Path, today: date) -> AppContext:
    return AppContext.for_database(db, db_path, today=lambda: today)


@pytest.fixture
def trend(db: Database) -> dict[str, Any]:
    """Four held sessions of three workers raising one theme in the last 8 weeks, one older
    session that does not count, and a session raising another theme only once."""
    lead = person(db, "Grace Lead", qualified=True)
    ada = person(db, "Ada Ahmed", line_sup=lead.id, clin_sup=lead.id)
    ben = person(db, "Ben <Brown> & Co 🙂", line_sup=lead.id, clin_sup=lead.id)
    cal = person(db, "كمال حداد", line_sup=lead.id, clin_sup=lead.id)
    ids = [
        session(db, ada, date(2026, 10, 20), supervisor=lead, themes=[THEME], case_refs="C-1"),
        session(db, ben, date(2026, 11, 2), type_=CLINICAL, supervisor=lead, themes=[THEME]),
        session(db, ada, date(2026, 11, 16), supervisor=lead, decision_themes=[THEME]),
        session(db, cal, date(2026, 11, 24), supervisor=lead, themes=[THEME]),
    ]
    old = session(db, cal, date(2026, 9, 1), supervisor=lead, themes=[THEME])
    other = session(db, ben, date(2026, 11, 20), supervisor=lead, themes=["Boundary issue"])
    return {"lead": lead, "ada": ada, "ben": ben, "cal": cal, "ids": ids, "old": old,
            "other": other}  # fmt: skip


@pytest.fixture(autouse=True)
def no_unexpected_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    """A message box nobody expected fails the test instead of waiting for a click."""
    from PySide6.QtWidgets import QMessageBox

    def unexpected(_parent: object, title: str, text: str, *_a: object) -> None:
        raise AssertionError(f"unexpected message box: {title}: {text}")

    for name in ("warning", "information", "critical", "question"):
        monkeypatch.setattr(QMessageBox, name, unexpected)


@pytest.fixture
def screen(qtbot: QtBot, ctx: AppContext) -> GovernanceScreen:
    s = GovernanceScreen(ctx)
    qtbot.addWidget(s)
    s.resize(1366, 700)
    s.show()
    return s


def answer(
    monkeypatch: pytest.MonkeyPatch, cls: type[QDialog], fill: Callable[[Any], None]
) -> list[Any]:
    """Make ``cls.exec`` fill the real dialog with ``fill`` and press OK; returns the dialogs
    shown (so a test can look at them)."""
    shown: list[Any] = []

    def fake_exec(self: Any) -> int:
        shown.append(self)
        fill(self)
        self.ok_button.click()
        return int(self.result())

    monkeypatch.setattr(cls, "exec", fake_exec)
    return shown


def _texts(model: Any, column: int) -> list[str]:
    return [model.index(r, column).data() for r in range(model.rowCount())]


# Trend alerts ------------------------------------------------------------------------------


def test_the_alert_reads_as_a_sentence_and_lists_its_sessions(
    qtbot: QtBot, trend: dict[str, Any], screen: GovernanceScreen
) -> None:
    alerts = screen.alerts
    assert [a.text for a in alerts.alerts()] == [
        "Delayed crisis response — raised in 4 sessions by 3 workers in the last 8 weeks"
    ]
    assert screen.tabs.tabText(0) == "Trend alerts (1)"
    assert alerts.alert_label.text() == alerts.alerts()[0].text
    sources = alerts.sources_model
    assert [s.session_id for s in sources.rows()] == trend["ids"]  # oldest first, not the old one
    assert _texts(sources, 0) == ["20 Oct 2026", "2 Nov 2026", "16 Nov 2026", "24 Nov 2026"]
    assert _texts(sources, 2)[1] == "Ben <Brown> & Co 🙂"
    assert _texts(sources, 2)[3] == "كمال حداد"

    alerts.sources_table.selectRow(2)
    with qtbot.waitSignal(screen.session_open_requested) as opened:
        qtbot.mouseClick(alerts.open_button, Qt.MouseButton.LeftButton)
    assert opened.args == [trend["ids"][2]]
    index = alerts.sources_table.model().index(3, 0)
    with qtbot.waitSignal(screen.session_open_requested) as opened:
        alerts.sources_table.activated.emit(index)
    assert opened.args == [trend["ids"][3]]


def test_alert_to_item_to_closed_with_a_change_then_in_the_learning_log(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    db: Database,
    trend: dict[str, Any],
    screen: GovernanceScreen,
) -> None:
    def fill_raise(d: RaiseItemDialog) -> None:
        assert d.title_edit.text() == THEME  # prefilled from the alert
        assert "raised in 4 sessions by 3 workers" in d.description_edit.toPlainText()
        d.forum_combo.setCurrentIndex(d.forum_combo.findData(Forum.QUALITY.value))
        d.title_edit.clear()
        qtbot.keyClicks(d.title_edit, "Crisis line waits <out of hours> & weekends")
        qtbot.keyClicks(d.raised_by, "Grace Lead")

    answer(monkeypatch, RaiseItemDialog, fill_raise)
    with qtbot.waitSignal(screen.items_changed):
        qtbot.mouseClick(screen.alerts.raise_button, Qt.MouseButton.LeftButton)

    # The alert is handled: gone from the live list, remembered in the history.
    assert screen.alerts.alerts() == []
    assert screen.tabs.tabText(0) == "Trend alerts"
    assert _texts(screen.alerts.history_model, 2) == ["Turned into a governance item"]
    # The screen shows the new item, linked to every session behind the alert.
    assert screen.tabs.currentWidget() is screen.items
    item = screen.items.selected_item()
    assert item is not None
    assert item.title == "Crisis line waits <out of hours> & weekends"
    assert (item.forum, item.source, item.status) == (Forum.QUALITY, ItemSource.ALERT,
                                                      ItemStatus.RAISED)  # fmt: skip
    assert list(item.session_ids) == trend["ids"]
    assert item.raised_by == "Grace Lead"
    assert screen.items.step_button.text().replace("&", "") == "Table at a meeting…"
    assert "Crisis line waits <out of hours> & weekends" in screen.items.detail_view.toPlainText()

    # Tabled at a meeting on 1 Dec.
    def fill_table(d: TableItemDialog) -> None:
        d.on_edit.setDate(to_qdate(date(2026, 12, 1)))

    answer(monkeypatch, TableItemDialog, fill_table)
    qtbot.mouseClick(screen.items.step_button, Qt.MouseButton.LeftButton)
    stored = gov.get_item(db, item.id)
    assert stored is not None
    assert (stored.status, stored.tabled_on) == (ItemStatus.TABLED, date(2026, 12, 1))
    assert gov.meetings(db, Forum.QUALITY) == [(Forum.QUALITY, date(2026, 12, 1))]
    assert screen.items.model.index(0, 2).data() == "Tabled (2 of 4)"

    # Decided: the decision is required.
    def fill_decide(d: DecideItemDialog) -> None:
        assert not d.ok_button.isEnabled()
        qtbot.keyClicks(d.decision_edit, "Revise the escalation protocol")
        d.on_edit.setDate(to_qdate(date(2026, 12, 1)))

    answer(monkeypatch, DecideItemDialog, fill_decide)
    qtbot.mouseClick(screen.items.step_button, Qt.MouseButton.LeftButton)
    stored = gov.get_item(db, item.id)
    assert stored is not None and stored.status is ItemStatus.DECIDED
    assert stored.decision == "Revise the escalation protocol"
    assert screen.items.change_button.isEnabled()

    # Closed with the change made.
    def fill_close(d: ChangeDialog) -> None:
        assert d.closing and not d.ok_button.isEnabled()
        qtbot.keyClicks(d.change_edit, "Escalation protocol revised; on-call rota clarified")
        d.change_on.setDate(to_qdate(date(2026, 12, 10)))
        d.closed_on.setDate(to_qdate(date(2026, 12, 14)))
        qtbot.keyClicks(d.note_edit, "Checked at the January meeting")

    answer(monkeypatch, ChangeDialog, fill_close)
    with qtbot.waitSignal(screen.items_changed):
        qtbot.mouseClick(screen.items.step_button, Qt.MouseButton.LeftButton)
    stored = gov.get_item(db, item.id)
    assert stored is not None and stored.status is ItemStatus.CLOSED
    assert stored.change_made == "Escalation protocol revised; on-call rota clarified"
    assert (stored.change_made_on, stored.closed_on) == (date(2026, 12, 10), date(2026, 12, 14))
    assert stored.closing_note == "Checked at the January meeting"
    assert not screen.items.step_button.isEnabled()

    # The learning log lists it: what supervision changed.
    screen.tabs.setCurrentWidget(screen.learning)
    log = screen.learning.model
    assert log.rowCount() == 1
    assert _texts(log, 0) == ["10 Dec 2026"]
    assert _texts(log, 1) == ["Escalation protocol revised; on-call rota clarified"]
    assert _texts(log, 2) == ["Crisis line waits <out of hours> & weekends"]
    assert _texts(log, 5) == ["4 sessions · 3 workers · 20 Oct to 24 Nov 2026"]
    assert [e.item.id for e in gov.learning_log(db)] == [item.id]

    # From the log back to the item.
    screen.learning.table.selectRow(0)
    qtbot.mouseClick(screen.learning.show_button, Qt.MouseButton.LeftButton)
    assert screen.tabs.currentWidget() is screen.items
    shown = screen.items.selected_item()
    assert shown is not None and shown.id == item.id


def test_closing_with_no_change_needs_the_box_ticked_and_stays_out_of_the_log(
    qtbot: QtBot, db: Database, trend: dict[str, Any], today: date
) -> None:
    item = gov.raise_item(db, forum=Forum.MDT, title="Rota", raised_on=today)
    item = gov.table_item(db, item.id, today)
    item = gov.decide_item(db, item.id, "No change", today)
    dialog = ChangeDialog(item, today, closing=True)
    qtbot.addWidget(dialog)
    assert not dialog.ok_button.isEnabled()
    assert "No change was needed" in dialog.hint.text()
    dialog.no_change.setChecked(True)
    assert dialog.ok_button.isEnabled()
    assert dialog.change() == ""


def test_dismissing_needs_a_reason_and_keeps_it(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    db: Database,
    trend: dict[str, Any],
    screen: GovernanceScreen,
) -> None:
    # OK with no reason: the dialog refuses and nothing is dismissed.
    shown = answer(monkeypatch, DismissAlertDialog, lambda d: None)
    qtbot.mouseClick(screen.alerts.dismiss_button, Qt.MouseButton.LeftButton)
    dialog = shown[0]
    assert not dialog.ok_button.isEnabled()
    assert dialog.hint.text().startswith("Say why the alert is dismissed")
    assert len(screen.alerts.alerts()) == 1
    assert gov.alert_history(db) == []

    reason = "Already on the risk register <RR-12> & reviewed monthly"

    def fill(d: DismissAlertDialog) -> None:
        qtbot.keyClicks(d.reason_edit, "   ")
        assert not d.ok_button.isEnabled()  # blanks are not a reason
        qtbot.keyClicks(d.reason_edit, reason)
        assert d.ok_button.isEnabled()

    answer(monkeypatch, DismissAlertDialog, fill)
    qtbot.mouseClick(screen.alerts.dismiss_button, Qt.MouseButton.LeftButton)
    assert screen.alerts.alerts() == []
    history = gov.alert_history(db)
    assert [(h.outcome, h.reason) for h in history] == [("dismissed", reason)]
    assert _texts(screen.alerts.history_model, 2) == [f"Dismissed: {reason}"]
    assert gov.list_items(db) == []


def test_a_refused_step_is_a_message_not_a_traceback(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    db: Database,
    trend: dict[str, Any],
    screen: GovernanceScreen,
    today: date,
) -> None:
    gov.raise_item(db, forum=Forum.MDT, title="Rota", raised_on=today)
    screen.refresh()
    screen.tabs.setCurrentWidget(screen.items)
    answer(monkeypatch, TableItemDialog, lambda d: None)

    def refuse(*_a: object, **_k: object) -> None:
        raise UsageError("The item was raised on 26 Nov 2026: pick that date or later.")

    monkeypatch.setattr(gov, "table_item", refuse)
    warnings: list[str] = []
    monkeypatch.setattr(
        screen_module.QMessageBox, "warning", lambda _p, _t, text: warnings.append(text)
    )
    qtbot.mouseClick(screen.items.step_button, Qt.MouseButton.LeftButton)
    assert warnings == ["The item was raised on 26 Nov 2026: pick that date or later."]
    assert gov.list_items(db)[0].status is ItemStatus.RAISED


# Links both ways -----------------------------------------------------------------------------


def test_an_items_sources_open_their_sessions_and_sessions_lead_to_the_item(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    db: Database,
    trend: dict[str, Any],
    screen: GovernanceScreen,
    today: date,
) -> None:
    flagged = gov.flag_session(
        db, trend["other"], forum=Forum.SAFEGUARDING, title="Boundary worry", raised_on=today
    )
    alert = gov.detect_trends(db, today)[0]
    from_alert = gov.alert_to_item(db, alert, forum=Forum.MDT)
    by_hand = gov.raise_item(db, forum=Forum.MDT, title="By hand", raised_on=today)
    screen.refresh()

    assert screen.show_item(from_alert.id)
    items = screen.items
    assert [s.session_id for s in items.sources_model.rows()] == trend["ids"]
    assert items.sources_heading.text() == "Source sessions (4)"
    for row, session_id in enumerate(trend["ids"]):
        items.sources_table.selectRow(row)
        with qtbot.waitSignal(screen.session_open_requested) as opened:
            qtbot.mouseClick(items.open_button, Qt.MouseButton.LeftButton)
        assert opened.args == [session_id]

    assert screen.show_item(flagged.id)
    assert [s.session_id for s in items.sources_model.rows()] == [trend["other"]]
    with qtbot.waitSignal(screen.session_open_requested) as opened:
        items.sources_table.activated.emit(items.sources_table.model().index(0, 0))
    assert opened.args == [trend["other"]]

    assert screen.show_item(by_hand.id)
    assert items.sources_model.rowCount() == 0
    assert items.sources_heading.text() == "Source sessions: none (raised by hand)"

    # Forward from a session: the items it fed, and the screen can show each.
    assert [i.id for i in gov.items_for_session(db, trend["ids"][0])] == [from_alert.id]
    assert [i.id for i in gov.items_for_session(db, trend["other"])] == [flagged.id]
    items.forum_combo.setCurrentIndex(items.forum_combo.findData(Forum.MDT.value))
    assert screen.show_item(flagged.id)  # switches the forum filter back to all
    selected = items.selected_item()
    assert selected is not None and selected.id == flagged.id


# The MDT agenda ------------------------------------------------------------------------------


@pytest.fixture
def meeting_case(db: Database) -> dict[str, Any]:
    """Items for several forums and states, actions owned by different people, a high-risk and
    a low-risk worker both overdue for clinical supervision."""
    lead = person(db, "Grace Lead", qualified=True)
    ada = person(db, "Ada Ahmed", line_sup=lead.id, clin_sup=lead.id, factors=(3, 3, 2, 2))
    ben = person(db, "Ben Brown", line_sup=lead.id, clin_sup=lead.id, factors=(1, 1, 1, 1))
    s1 = session(
        db, ada, date(2026, 11, 2), type_=LINE, supervisor=lead, themes=[THEME],
        actions=[
            action("Escalate the duty rota gap", ActionOwner.SUPERVISOR, date(2026, 11, 20)),
            action("Read the protocol", ActionOwner.SUPERVISEE, date(2026, 11, 10)),
            action("Future rota review", ActionOwner.SUPERVISOR, date(2026, 12, 10)),
        ],
    )  # fmt: skip
    session(db, ben, date(2026, 11, 5), type_=LINE, supervisor=lead, themes=[THEME])
    a = gov.flag_session(db, s1, forum=Forum.MDT, title="Duty rota gaps",
                         raised_on=date(2026, 10, 1))  # fmt: skip
    gov.table_item(db, a.id, date(2026, 10, 8))
    gov.decide_item(db, a.id, "Protect duty days", date(2026, 10, 8))
    gov.record_change(db, a.id, "Duty days protected", date(2026, 10, 20))
    b = gov.raise_item(db, forum=Forum.MDT, title="Housing letters <landlords> & crisis",
                       raised_on=date(2026, 11, 20))  # fmt: skip
    c = gov.raise_item(db, forum=Forum.MDT, title="Closed matter", raised_on=date(2026, 10, 1))
    gov.table_item(db, c.id, date(2026, 10, 8))
    gov.decide_item(db, c.id, "Change the form", date(2026, 10, 8))
    gov.close_item(db, c.id, date(2026, 11, 10), change_made="Form changed")
    d = gov.raise_item(db, forum=Forum.SAFEGUARDING, title="Threshold query",
                       raised_on=date(2026, 11, 1))  # fmt: skip
    gov.raise_item(db, forum=Forum.MDT, title="Next month item", raised_on=date(2026, 12, 1))
    return {"a": a.id, "b": b.id, "c": c.id, "d": d.id, "s1": s1}


def test_the_agenda_on_screen_lists_exactly_the_right_items(
    qtbot: QtBot, meeting_case: dict[str, Any], screen: GovernanceScreen
) -> None:
    panel = screen.agenda
    screen.tabs.setCurrentWidget(panel)
    panel.set_meeting(date(2026, 11, 26), Forum.MDT)
    read(qtbot, panel)
    agenda = panel.agenda()
    assert agenda is not None
    assert [a.item.id for a in agenda.items] == [meeting_case["a"], meeting_case["b"]]
    assert [a.description for a in agenda.overdue_actions] == ["Escalate the duty rota gap"]
    assert [w.name for w in agenda.overdue_high_risk] == ["Ada Ahmed"]
    assert [i.id for i in agenda.closed_since] == [meeting_case["c"]]

    text = panel.text()
    assert "MDT meeting — agenda for 26 Nov 2026" in text
    assert "last meeting: 8 Oct 2026" in text
    assert "2 open governance items · 0 theme trend alerts" in text
    # The theme was raised twice since the last meeting: listed, below the alert rule (3).
    assert [(t.name, t.sessions, t.workers, t.alert) for t in agenda.trends] == [
        (THEME, 2, 2, False)
    ]
    items_part = text.split("1. Governance items")[1].split("2. Themes")[0]
    assert "Duty rota gaps" in items_part
    assert "Change made: Duty days protected" in items_part
    assert "Housing letters <landlords> & crisis" in items_part
    assert items_part.index("Duty rota gaps") < items_part.index("Housing letters")
    for absent in ("Threshold query", "Next month item", "Read the protocol",
                   "Future rota review", "Ben Brown"):  # fmt: skip
        assert absent not in text
    themes_part = text.split("2. Themes")[1].split("3. Overdue")[0]
    assert "since the last MDT meeting (8 Oct 2026)" in themes_part
    assert THEME in themes_part
    assert "Escalate the duty rota gap" in text.split("3. Overdue actions")[1]
    assert "Ada Ahmed" in text.split("4. Overdue clinical")[1]
    assert "Closed matter" in text.split("For information")[1]

    panel.forum_combo.setCurrentIndex(panel.forum_combo.findData(Forum.SAFEGUARDING.value))
    read(qtbot, panel)
    agenda = panel.agenda()
    assert agenda is not None and [a.item.id for a in agenda.items] == [meeting_case["d"]]
    assert "Threshold query" in panel.text() and "Duty rota gaps" not in panel.text()


def test_a_session_link_on_the_agenda_opens_it(
    qtbot: QtBot, meeting_case: dict[str, Any], screen: GovernanceScreen
) -> None:
    screen.tabs.setCurrentWidget(screen.agenda)
    screen.agenda.set_meeting(date(2026, 11, 26), Forum.MDT)
    read(qtbot, screen.agenda)
    html = screen.agenda.view.toHtml()
    assert f"session:{meeting_case['s1']}" in html
    with qtbot.waitSignal(screen.session_open_requested) as opened:
        screen.agenda.view.anchorClicked.emit(QUrl(f"session:{meeting_case['s1']}"))
    assert opened.args == [meeting_case["s1"]]


def test_export_pdf_writes_the_agenda_and_opens_it(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    meeting_case: dict[str, Any],
    screen: GovernanceScreen,
) -> None:
    screen.tabs.setCurrentWidget(screen.agenda)
    screen.agenda.set_meeting(date(2026, 11, 26), Forum.MDT)
    target = tmp_path / "MDT agenda"
    asked: list[str] = []

    def save_name(_parent: object, caption: str, suggested: str, _filter: str) -> tuple[str, str]:
        asked.append(suggested)
        return str(target), "PDF documents (*.pdf)"

    opened: list[QUrl] = []
    monkeypatch.setattr(governance_panels.QFileDialog, "getSaveFileName", save_name)
    monkeypatch.setattr(
        governance_panels.QDesktopServices, "openUrl", lambda url: opened.append(url) or True
    )
    qtbot.mouseClick(screen.agenda.export_button, Qt.MouseButton.LeftButton)
    assert screen.agenda.last_export is not None  # written on a worker thread
    qtbot.waitUntil(lambda: screen.agenda.status_label.text().startswith("Saved"), timeout=20000)

    written = tmp_path / "MDT agenda.pdf"
    assert asked[0].endswith("MDT meeting agenda 2026-11-26.pdf")
    assert written.exists()
    assert [u.toLocalFile() for u in opened] == [str(written)]
    assert screen.agenda.status_label.text() == f"Saved the agenda to {written}"
    text = flat(pdf_text(written))
    assert flat("Duty rota gaps") in text
    assert flat("Housing letters <landlords> & crisis") in text
    assert flat("Escalate the duty rota gap") in text
    assert flat("Threshold query") not in text
    assert flat("Read the protocol") not in text


def test_export_pdf_cancelled_writes_nothing(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    meeting_case: dict[str, Any],
    screen: GovernanceScreen,
) -> None:
    monkeypatch.setattr(governance_panels.QFileDialog, "getSaveFileName", lambda *_a: ("", ""))
    opened: list[QUrl] = []
    monkeypatch.setattr(governance_panels.QDesktopServices, "openUrl", opened.append)
    screen.tabs.setCurrentWidget(screen.agenda)
    assert screen.agenda.export_pdf() is None
    assert opened == [] and list(tmp_path.glob("*.pdf")) == []


# Supervisors' workload and team wellbeing ------------------------------------------------------


def test_workload_counts_a_hand_built_month(
    qtbot: QtBot, db: Database, ctx: AppContext, screen: GovernanceScreen
) -> None:
    sup = person(db, "Sam Supervisor", qualified=True)
    other = person(db, "Olu Other", qualified=True)
    team = [
        person(db, name, line_sup=sup.id, clin_sup=other.id)
        for name in ("Ann One", "Bo Two", "Cy Three")
    ]
    for day, worker in ((3, team[0]), (10, team[1])):
        session(db, worker, date(2026, 11, day), supervisor=sup)
    for day, reason, category in (
        (4, "Caseload pressure", CancelCategory.WORKLOAD),
        (11, "Duty cover", CancelCategory.WORKLOAD),
        (12, "Short staffed on the ward", None),  # read from the reason as workload
        (18, "Supervisor off sick", CancelCategory.SICKNESS),
    ):
        session(db, team[2], date(2026, 11, day), supervisor=sup,
                status=SessionStatus.CANCELLED, cancel_reason=reason,
                cancel_category=category)  # fmt: skip
    session(db, team[0], date(2026, 11, 20), supervisor=sup, status=SessionStatus.DID_NOT_ATTEND)
    session(db, team[1], date(2026, 10, 14), supervisor=sup,
            status=SessionStatus.CANCELLED, cancel_reason="Caseload",
            cancel_category=CancelCategory.WORKLOAD)  # fmt: skip

    screen.tabs.setCurrentWidget(screen.workload)
    read(qtbot, screen.workload)
    model = screen.workload.model
    rows = {
        (model.index(r, 0).data(), model.index(r, 1).data()): [
            model.index(r, c).data() for c in range(model.columnCount())
        ]
        for r in range(model.rowCount())
    }
    nov = rows[("Nov 2026", "Sam Supervisor")]
    assert nov[2:7] == ["3", "2", "4", "Workload / caseload 3, Sickness 1", "1"]
    assert "Cy Three, line management" in nov[7]  # no held line session since starting
    assert nov[8] == "Yes: 3 of 7 planned sessions cancelled for workload"
    assert "Reasons as recorded" in model.index(
        list(rows).index(("Nov 2026", "Sam Supervisor")), 5
    ).data(Qt.ItemDataRole.ToolTipRole)
    oct_ = rows[("Oct 2026", "Sam Supervisor")]
    assert oct_[2:7] == ["3", "0", "1", "Workload / caseload 1", "0"]
    assert oct_[8] == "No"
    assert rows[("Nov 2026", "Olu Other")][2:5] == ["3", "0", "0"]
    # Newest month first.
    assert model.index(0, 0).data() == "Nov 2026"
    summary = screen.workload.summary_label.text()
    assert summary == (
        "Supervision crowded out: Sam Supervisor in Nov 2026 "
        "(3 of 7 planned sessions cancelled for workload)."
    )
    # The same figures as the service.
    month = next(
        m
        for m in insight.supervisor_workload(db, date(2026, 11, 1), date(2026, 11, 26))
        if m.supervisor_name == "Sam Supervisor"
    )
    assert (month.held, month.cancelled, month.did_not_attend) == (2, 4, 1)


def test_team_wellbeing_shows_aggregates_and_never_a_name(
    qtbot: QtBot, db: Database, screen: GovernanceScreen
) -> None:
    lead = person(db, "Grace Lead", qualified=True, team="North")
    names = ["Ada Ahmed", "Ben Brown", "Cat Chen"]
    workers = [person(db, n, line_sup=lead.id, team="North") for n in names]
    south = person(db, "Dan South", line_sup=lead.id, team="South")
    for n, (worker, score) in enumerate(zip(workers, (6, 7, 8), strict=True)):
        session(db, worker, date(2026, 11, 3 + n), supervisor=lead, wellbeing=score,
                workload=Workload.STRETCHED, moral_distress=n == 0)  # fmt: skip
    session(db, south, date(2026, 11, 9), supervisor=lead, wellbeing=2)
    session(db, workers[0], date(2026, 10, 6), supervisor=lead, wellbeing=5)

    panel = screen.wellbeing
    screen.tabs.setCurrentWidget(panel)
    panel.team_combo.setCurrentIndex(panel.team_combo.findData("North"))
    read(qtbot, panel)
    model = panel.model
    assert model.rowCount() == 12
    nov = [model.index(0, c).data() for c in range(model.columnCount())]
    assert nov == ["Nov 2026", "3", "3", "7.0 / 10", "0", "3", "0", "1", "0"]
    oct_ = [model.index(1, c).data() for c in range(3)] + [model.index(1, 3).data()]
    assert oct_ == ["Oct 2026", "1", "1", "— (too few readings)"]
    everything = " ".join(
        str(model.index(r, c).data(role))
        for r in range(model.rowCount())
        for c in range(model.columnCount())
        for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole)
    )
    for name in [*names, "Dan South", "Grace Lead"]:
        assert name not in everything
    panel.team_combo.setCurrentIndex(0)  # all teams: the south reading counts too
    read(qtbot, panel)
    assert model.index(0, 1).data() == "4"


# Models, text and layout -----------------------------------------------------------------------


def test_every_model_passes_the_model_tester(
    qtmodeltester: ModelTester,
    db: Database,
    trend: dict[str, Any],
    today: date,
) -> None:
    alert = gov.detect_trends(db, today)[0]
    item = gov.alert_to_item(db, alert, forum=Forum.MDT)
    gov.table_item(db, item.id, today)
    gov.decide_item(db, item.id, "Decided", today)
    gov.close_item(db, item.id, today, change_made="Changed")
    gov.raise_item(db, forum=Forum.QUALITY, title="Open one", raised_on=today)
    models: list[Any] = [
        (AlertsModel(), [alert]),
        (AlertHistoryModel(), gov.alert_history(db)),
        (SourcesModel(), gov.sources(db, alert.session_ids)),
        (ItemsModel(), gov.list_items(db)),
        (LearningLogModel(), gov.learning_log(db)),
        (WorkloadModel(), insight.supervisor_workload(db, date(2026, 10, 1), today)),
        (WellbeingModel(), insight.team_wellbeing(db, date(2026, 10, 1), today)),
    ]
    for model, rows in models:
        assert rows, type(model).__name__
        model.set_rows(rows)
        qtmodeltester.check(model, force_py=True)
        model.set_rows([])
        qtmodeltester.check(model, force_py=True)


def test_user_text_shows_as_typed(
    qtbot: QtBot, db: Database, trend: dict[str, Any], screen: GovernanceScreen,
    today: date,
) -> None:  # fmt: skip
    title = "Waits <b>not bold</b> & “quotes” 🙂 انتظار طويل"
    item = gov.raise_item(db, forum=Forum.MDT, title=title, description="a < b && c > d",
                          raised_on=today)  # fmt: skip
    screen.refresh()
    assert screen.show_item(item.id)
    assert screen.items.model.index(0, 1).data() == title
    detail = screen.items.detail_view.toPlainText()
    assert title in detail and "a < b && c > d" in detail
    screen.tabs.setCurrentWidget(screen.agenda)
    read(qtbot, screen.agenda)
    assert title in screen.agenda.text()


def test_the_screen_is_empty_but_helpful_on_a_new_database(
    qtbot: QtBot, ctx: AppContext, screen: GovernanceScreen
) -> None:
    assert screen.alerts.alerts() == []
    assert not screen.alerts.empty_label.isHidden()
    assert not screen.alerts.raise_button.isEnabled()
    assert screen.summary_label.text() == "0 trend alerts · 0 open governance items"
    for panel in (screen.items, screen.learning, screen.heat_map, screen.agenda,
                  screen.workload, screen.wellbeing):  # fmt: skip
        screen.tabs.setCurrentWidget(panel)
    read(qtbot, screen.agenda, screen.workload, screen.wellbeing)
    assert not screen.items.step_button.isEnabled()
    assert "No open item for the MDT meeting" in screen.agenda.text()


def test_controls_have_accessible_names(trend: dict[str, Any], screen: GovernanceScreen) -> None:
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractItemView,
        QComboBox,
        QHeaderView,
        QTextBrowser,
    )

    from ui.widgets.dates import DateEdit

    kinds = (QAbstractButton, QComboBox, DateEdit, QAbstractItemView, QTextBrowser)
    missing: set[str] = set()
    for index in range(screen.tabs.count()):
        screen.tabs.setCurrentIndex(index)
        for kind in kinds:
            for w in screen.findChildren(kind):
                if isinstance(w, QHeaderView) or not w.isVisibleTo(screen):
                    continue
                if not w.accessibleName():
                    missing.add(f"{type(w).__name__} on tab {index}")
    assert missing == set()


def test_the_tabs_are_read_when_shown(
    monkeypatch: pytest.MonkeyPatch, trend: dict[str, Any], screen: GovernanceScreen
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(screen.workload, "refresh", lambda: calls.append("workload"))
    screen.refresh()
    assert calls == []
    screen.tabs.setCurrentWidget(screen.workload)
    screen.tabs.setCurrentWidget(screen.alerts)
    screen.tabs.setCurrentWidget(screen.workload)
    assert calls == ["workload"]  # once per refresh, when first shown


def test_a_hidden_screen_reads_nothing_until_shown(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, ctx: AppContext, trend: dict[str, Any]
) -> None:
    calls: list[date] = []
    real = gov.detect_trends

    def counting(db: Database, as_of: date, *args: Any, **kw: Any) -> Any:
        calls.append(as_of)
        return real(db, as_of, *args, **kw)

    monkeypatch.setattr(gov, "detect_trends", counting)
    screen = GovernanceScreen(ctx)
    qtbot.addWidget(screen)
    screen.refresh()
    assert calls == []
    screen.show()
    assert len(calls) == 1
    assert len(screen.alerts.alerts()) == 1
    screen.hide()
    screen.refresh()  # after a session is saved elsewhere, say
    assert len(calls) == 1
    screen.show()
    assert len(calls) == 2


def test_the_main_window_has_a_governance_tab_that_opens_sessions(
    qtbot: QtBot, ctx: AppContext, trend: dict[str, Any]
) -> None:
    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QAction, QKeySequence
    from PySide6.QtWidgets import QApplication

    from ui.forms.session_form import SessionForm
    from ui.main_window import MainWindow

    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    assert w.tabs.widget(3) is w.governance_page
    assert w.tabs.tabText(3) == "&Governance"
    actions = {a.text(): a for a in w.findChildren(QAction)}
    assert actions["Governance"].shortcut() == QKeySequence("Ctrl+4")
    actions["Governance"].trigger()
    assert w.current_screen() is w.governance
    assert len(w.governance.alerts.alerts()) == 1

    def open_forms() -> list[SessionForm]:
        return [f for f in QApplication.topLevelWidgets() if isinstance(f, SessionForm)]

    earlier = {id(f) for f in open_forms()}  # other tests' forms may await deletion
    w.governance.alerts.sources_table.selectRow(0)
    w.governance.alerts.open_button.click()
    forms = [f for f in open_forms() if id(f) not in earlier]
    assert [f.session_id for f in forms] == [trend["ids"][0]]
    for form in forms:
        form.close_keeping_draft()  # deletes itself (the window opened it that way)
    # Qt keeps settings for the whole test process: leave the next window on its first tab.
    w.tabs.setCurrentIndex(0)
    w.close()
    QSettings().remove("main")


def test_a_tab_reading_its_figures_shows_the_busy_cursor_then_puts_it_back(
    screen: GovernanceScreen, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtGui import QGuiApplication

    seen: list[object] = []

    def refresh() -> None:
        cursor = QGuiApplication.overrideCursor()
        seen.append(None if cursor is None else cursor.shape())

    monkeypatch.setattr(screen.workload, "refresh", refresh)
    screen.refresh()  # every tab is stale again
    screen.tabs.setCurrentWidget(screen.workload)
    assert seen == [Qt.CursorShape.WaitCursor]
    assert QGuiApplication.overrideCursor() is None


# Reading on a worker thread (a very large service takes seconds per tab) ----------------------


def test_a_slow_tab_reads_behind_a_responsive_window(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, trend: dict[str, Any], screen: GovernanceScreen
) -> None:
    import threading
    import time

    real = insight.supervisor_workload
    gate = threading.Event()
    threads: list[str] = []

    def slow(db: Database, *args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        gate.wait(10)  # as long as 10,000 workers take, or longer
        return real(db, *args, **kwargs)

    monkeypatch.setattr(insight, "supervisor_workload", slow)
    started = time.monotonic()
    screen.tabs.setCurrentWidget(screen.workload)
    assert time.monotonic() - started < 1  # the tab came up at once
    ticks: list[int] = []
    timer_fired = lambda: ticks.append(1)  # noqa: E731
    from PySide6.QtCore import QTimer

    QTimer.singleShot(50, timer_fired)
    qtbot.waitUntil(lambda: bool(ticks), timeout=2000)  # the event loop runs meanwhile
    assert screen.workload.reading and screen.workload.model.rowCount() == 0
    gate.set()
    read(qtbot, screen.workload)
    assert threads and threads[0] != threading.main_thread().name
    assert screen.workload.model.rowCount() > 0
    assert "Grace Lead" in {
        screen.workload.model.index(r, 1).data() for r in range(screen.workload.model.rowCount())
    }


def test_a_newer_choice_wins_over_a_slower_older_read(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, db: Database, screen: GovernanceScreen
) -> None:
    import threading

    person(db, "Nia North", team="North")
    person(db, "Sol South", team="South")
    real = insight.team_wellbeing
    north_may_finish = threading.Event()

    def team_wellbeing(db: Database, *args: Any, team: str | None = None) -> Any:
        if team == "North":
            north_may_finish.wait(10)
        return real(db, *args, team=team)

    monkeypatch.setattr(insight, "team_wellbeing", team_wellbeing)
    panel = screen.wellbeing
    screen.tabs.setCurrentWidget(panel)
    read(qtbot, panel)
    shown: list[str | None] = []
    monkeypatch.setattr(
        panel, "_wellbeing_read", lambda rows: shown.append(panel.team_combo.currentData())
    )
    panel._reader._show = panel._wellbeing_read  # type: ignore[method-assign]
    panel.team_combo.setCurrentIndex(panel.team_combo.findData("North"))
    qtbot.waitUntil(lambda: panel._reader._running == 1, timeout=5000)  # North is being read
    panel.team_combo.setCurrentIndex(panel.team_combo.findData("South"))
    qtbot.waitUntil(lambda: shown == ["South"], timeout=5000)
    north_may_finish.set()
    read(qtbot, panel)
    assert shown == ["South"]  # North's late figures were dropped, not shown over South's


def test_an_agenda_that_cannot_be_read_says_why_in_its_place(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, screen: GovernanceScreen
) -> None:
    from app.errors import StorageError

    def fails(*_args: Any, **_kwargs: Any) -> Any:
        raise StorageError("The database is locked by another program. Try again in a moment.")

    monkeypatch.setattr(agenda_service, "mdt_agenda", fails)
    screen.tabs.setCurrentWidget(screen.agenda)
    read(qtbot, screen.agenda)
    assert screen.agenda.agenda() is None
    assert screen.agenda.text() == (
        "The agenda could not be gathered: "
        "The database is locked by another program. Try again in a moment."
    )


def test_a_long_agenda_list_shows_the_most_overdue_and_says_the_pdf_has_them_all(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    db: Database,
    meeting_case: dict[str, Any],
    screen: GovernanceScreen,
) -> None:
    lead = person(db, "Kim Lead", qualified=True)
    cy = person(db, "Cy Worker", line_sup=lead.id)
    session(db, cy, date(2026, 10, 1), type_=LINE, supervisor=lead,
            actions=[action("Oldest overdue & <urgent>", ActionOwner.OTHER, date(2026, 10, 2))])  # fmt: skip
    monkeypatch.setattr(governance_panels, "SCREEN_ROWS", 1)
    screen.tabs.setCurrentWidget(screen.agenda)
    screen.agenda.set_meeting(date(2026, 11, 26), Forum.MDT)
    read(qtbot, screen.agenda)
    agenda = screen.agenda.agenda()
    assert agenda is not None and len(agenda.overdue_actions) == 2  # both are read
    actions = screen.agenda.text().split("3. Overdue actions")[1].split("4. Overdue clinical")[0]
    assert "Oldest overdue & <urgent>" in actions  # the most overdue is shown…
    assert "Escalate the duty rota gap" not in actions  # …the other is not
    assert "The 1 most overdue of 2 overdue actions are shown here." in actions
    assert "Export the PDF for the full list." in actions


def test_a_tab_read_does_not_wait_for_the_start_up_integrity_check(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    db: Database,
    db_path: Path,
    today: date,
    trend: dict[str, Any],
) -> None:
    """Only writes must wait for the file's check; a tab's read is read-only, like the
    window's own reads, so it shows while a long check of a large file is still running."""
    import threading

    from app.storage import db as store

    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # as a file Keel closed cleanly
    gate = threading.Event()
    real = store._quick_check
    monkeypatch.setattr(store, "_quick_check", lambda p: (gate.wait(20), real(p))[1])
    opened = store.open_database(db_path, check_in_background=True)
    try:
        assert store.pending_check(db_path) is not None
        screen = GovernanceScreen(AppContext.for_database(opened, db_path, today=lambda: today))
        qtbot.addWidget(screen)
        screen.show()
        screen.tabs.setCurrentWidget(screen.workload)
        read(qtbot, screen.workload)
        check = store.pending_check(db_path)
        assert check is not None and not check.done  # still checking…
        assert screen.workload.model.rowCount() > 0  # …and the figures are there
    finally:
        gate.set()
        store.close_database(opened)


def test_cancelling_the_agenda_pdf_writes_nothing(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    meeting_case: dict[str, Any],
    screen: GovernanceScreen,
) -> None:
    import time

    from app.services.reports import mdt
    from app.services.reports.common import ExportCancelled

    def slow_build(*_args: Any, cancelled: Any = None, **_kwargs: Any) -> Path:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # a 600-page agenda, checking for Cancel
            if cancelled is not None and cancelled():
                raise ExportCancelled("The export was cancelled.")
            time.sleep(0.01)
        raise AssertionError("Cancel never reached the agenda's build")

    monkeypatch.setattr(mdt, "build_mdt_agenda_pdf", slow_build)
    target = tmp_path / "agenda.pdf"
    monkeypatch.setattr(
        governance_panels.QFileDialog, "getSaveFileName", lambda *_a: (str(target), "")
    )
    opened: list[QUrl] = []
    monkeypatch.setattr(governance_panels.QDesktopServices, "openUrl", opened.append)
    screen.tabs.setCurrentWidget(screen.agenda)
    read(qtbot, screen.agenda)
    assert screen.agenda.export_pdf() == target
    handle = screen.agenda.last_export
    assert handle is not None
    with qtbot.waitSignal(handle.finished, timeout=10000):
        handle.cancel()
    assert screen.agenda.status_label.text() == "Export cancelled: no file was written."
    assert not target.exists() and opened == []
    assert [p.name for p in tmp_path.iterdir() if "keel-tmp" in p.name] == []
