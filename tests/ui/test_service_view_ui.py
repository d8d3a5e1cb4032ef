"""The service view window and publishing from the window, against a real PostgreSQL cluster:
five demo teams published, one of them stale; the window shows every team's workers worst first,
filters by team, flags the stale team and draws the theme heat map; the window publishes in the
background with the password from the keyring and says so in the status bar."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend

from app.domain.model import DueStatus
from app.server.target import parse_target
from app.services.demo import load_demo
from app.services.publishing import connect_team, publish_database, publish_state, save_url
from app.services.service_view import load_service_schedule
from app.storage.db import close_database, open_database
from tests.app.service_support import Service, make_service
from tests.pg_cluster import Cluster
from ui.models.schedule_model import STATUS_ROLE, Column
from ui.service_view import ServiceViewWindow

TODAY = date(2026, 11, 26)
TEAMS = ("North CMHT", "South CMHT", "East Early Intervention", "West Crisis Team",
         "Central Rehab")  # fmt: skip
NOTES = Path("/work/notes/issue19")


def _publish_demo(path: Path, url: str, offset: int) -> None:
    db = open_database(path)
    try:
        load_demo(db, today=TODAY - timedelta(days=offset))
        target = parse_target(url)
        conn = connect_team(target, target.url_password)
        try:
            publish_database(db, conn, target)
        finally:
            conn.close()
    finally:
        close_database(db)


@pytest.fixture
def five_teams(pg_cluster: Cluster, service_db: str, tmp_path: Path) -> Service:
    service = make_service(pg_cluster, service_db, *TEAMS)
    for n, name in enumerate(TEAMS):
        _publish_demo(tmp_path / f"team{n}.db", service.team_urls[name], offset=n * 9)
    pg_cluster.admin_sql(
        "UPDATE keel.teams SET published_at = now() - interval '12 days' "
        "WHERE name = 'West Crisis Team'",
        service_db,
    )
    return service


def test_the_service_view_shows_every_team_worst_first_and_flags_the_stale_one(
    qtbot, five_teams: Service
) -> None:
    target = parse_target(five_teams.reader_url)
    window = ServiceViewWindow(target, target.url_password, today=TODAY)
    qtbot.addWidget(window)
    window.show()
    window.refresh()
    qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=30000)
    qtbot.waitUntil(window.refresh_button.isEnabled, timeout=30000)
    expected = load_service_schedule(five_teams.reader_url, TODAY)
    assert window.model.rowCount() == len(expected.rows) > 20 * len(TEAMS)
    south = sum(1 for r in expected.rows if r.source == "South CMHT")
    assert [window.team_combo.itemText(i) for i in range(window.team_combo.count())] == [
        "All teams",
        *sorted(TEAMS, key=str.casefold),
    ]
    # Worst first: the first row shown is overdue.
    first = window.proxy.index(0, int(Column.OVERALL))
    assert DueStatus(first.data(STATUS_ROLE)) is DueStatus.OVERDUE
    # The stale team is flagged (and listed first).
    assert window.teams.item(0, 0).text() == "West Crisis Team"
    assert window.teams.item(0, 1).text() == "⚠ 12 days ago"
    assert "has not published for 7 days" in window.teams.item(0, 0).toolTip()
    assert "1 stale" in window.counts.text()
    # The team filter shows one team database.
    window.team_combo.setCurrentIndex(window.team_combo.findData("South CMHT"))
    assert window.proxy.rowCount() == south
    teams_shown = {window.proxy.index(r, int(Column.TEAM)).data() for r in range(south)}
    assert teams_shown == {"South CMHT"}
    assert window.counts.text().startswith(f"1 team · {south} workers")
    # QA (issue 16): that team's signed records of the month awaiting QA and its sampling rate.
    assert " awaiting QA · QA Nov 2026: " in window.counts.text()
    assert "South CMHT: " in window.counts.toolTip()
    assert window.heat_model.rowCount() > 0
    window.team_combo.setCurrentIndex(0)
    window.resize(1366, 740)
    NOTES.mkdir(parents=True, exist_ok=True)
    qtbot.wait(50)
    window.grab().save(str(NOTES / "service-view.png"))
    window.tabs.setCurrentIndex(1)
    qtbot.wait(50)
    window.grab().save(str(NOTES / "service-view-heat-map.png"))


class MemoryKeyring(KeyringBackend):
    """A keyring backend that keeps passwords in memory (this machine has none)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.kept: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.kept.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.kept[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.kept.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    import keyring

    before = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(before)


def test_the_window_publishes_in_the_background_with_the_keyrings_password(
    qtbot, pg_cluster: Cluster, service_db: str, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    from app.services.service_login import KEYRING_SERVICE
    from ui.context import AppContext
    from ui.main_window import MainWindow

    service = make_service(pg_cluster, service_db, "North")
    target = parse_target(service.team_urls["North"])
    path = tmp_path / "north.db"
    db = open_database(path)
    load_demo(db, today=TODAY)
    save_url(db, target)
    memory_keyring.set_password(KEYRING_SERVICE, target.display(), target.url_password or "")
    window = MainWindow(AppContext.for_database(db, path, today=lambda: TODAY))
    qtbot.addWidget(window)
    window.show()
    assert window.publishing.status_label.text().endswith("Not published yet")
    window.publishing.publish_in_background()  # what the timer does
    assert window.publishing.busy
    qtbot.waitUntil(lambda: not window.publishing.busy, timeout=30000)
    assert window.publishing.status_label.text() == "Published just now"
    assert publish_state(db).published_at is not None
    # No dialog was shown for it: the window stayed usable throughout.
    assert not [w for w in qtbot_top_levels() if w.isVisible() and w.isModal()]
    window.close()
    close_database(db)


def qtbot_top_levels() -> list:
    from PySide6.QtWidgets import QApplication

    return list(QApplication.topLevelWidgets())


def test_the_publish_dialog_splits_a_pasted_url_and_keeps_the_password_out_of_the_url(
    qtbot, memory_keyring: MemoryKeyring
) -> None:
    from ui.service_login_dialog import LoginDialog

    dialog = LoginDialog(None, title="t", intro="i", url=None, action="Publish")
    qtbot.addWidget(dialog)
    dialog.url_edit.setText("postgresql://team_login:s3cret@db.example.org/keel")
    dialog.url_edit.editingFinished.emit()
    assert dialog.url_edit.text() == "postgresql://team_login@db.example.org/keel"
    assert dialog.password == "s3cret"
    assert dialog.remember.isEnabled() and dialog.remember.isChecked()
    dialog.url_edit.setText("mysql://nope")
    dialog._accept()
    assert not dialog.error.isHidden() and "not a PostgreSQL URL" in dialog.error.text()
    assert dialog.result() != dialog.DialogCode.Accepted
