"""Publishing to the service from the window: Data → Publish to the service…, then in the
background whenever the server is reachable, and the status-bar line that says how long ago.

The URL is saved in the team's database without its password; the password goes to the
operating system's keyring (``keyring``), never the database or a settings file. On a computer
with no keyring Keel keeps it in memory until it closes, and asks again next time. Background
publishes run on a worker thread with no dialog: a slow or absent server never blocks the
window, and a failure only changes the status bar's tooltip.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QDialog, QLabel, QMainWindow, QMessageBox

from app.errors import KeelError
from ui.context import AppContext
from ui.tasks import TaskHandle, run_task

if TYPE_CHECKING:  # the publishing machinery (psycopg, keyring) loads when first used
    from app.services.context import Services
    from app.services.publishing import PublishResult

log = logging.getLogger(__name__)

BACKGROUND_EVERY_MS = 5 * 60 * 1000
FIRST_TRY_MS = 8000
STATUS_EVERY_MS = 60 * 1000


class PublishActions(QObject):
    """Data → Publish to the service…, the background publisher and its status-bar line."""

    def __init__(self, ctx: AppContext, window: QMainWindow) -> None:
        super().__init__(window)
        self._ctx = ctx
        self._window = window
        self._password: str | None = None  # typed this session (no keyring): memory only
        self._running: TaskHandle[PublishResult] | None = None
        self._last_error: str | None = None
        self.status_label = QLabel()
        self.status_label.setAccessibleDescription("Last publish to the service")
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.publish_in_background)
        self._status_timer = QTimer(self)
        self._status_timer.timeout.connect(self.update_status)

    def start(self) -> None:
        """Begin background publishing (a first try a few seconds after the window is up)."""
        self.update_status()
        self._timer.start(BACKGROUND_EVERY_MS)
        self._status_timer.start(STATUS_EVERY_MS)
        QTimer.singleShot(FIRST_TRY_MS, self, self.publish_in_background)

    def stop(self) -> None:
        self._timer.stop()
        self._status_timer.stop()

    @property
    def busy(self) -> bool:
        return self._running is not None and self._running.is_running()

    # The status bar --------------------------------------------------------------------------

    def update_status(self) -> None:
        try:
            state = self._ctx.publish_status.publish_state()
        except Exception as exc:  # the database is closing: nothing to show
            log.debug("no publish status: %s", exc)
            return
        words = state.words(datetime.now(UTC))
        self.status_label.setVisible(words is not None)
        if words is None:
            return
        stale = state.published_at is None or (datetime.now(UTC) - state.published_at).days >= 7
        self.status_label.setText(("⚠ " if stale else "") + words)
        self.status_label.setStyleSheet("color: #7a1010; font-weight: bold;" if stale else "")
        tip = f"Publishes to {state.url}" + (f" as “{state.team}”." if state.team else ".")
        if self._last_error:
            tip += f"\n\nThe last try failed: {self._last_error}"
        self.status_label.setToolTip(tip)

    # Data → Publish to the service… ----------------------------------------------------------

    def publish_dialog(self) -> None:
        from app.services import service_login
        from ui.service_login_dialog import LoginDialog

        dialog = LoginDialog(
            self._window,
            title="Publish to the service",
            intro=(
                "Publish this team's supervision facts (who is due, sessions held, sign-off, "
                "actions' state, themes, governance changes, the policy) to the service's "
                "database, so the service manager sees every team. Record text, decisions, "
                "notes, wellbeing and case codes never leave this laptop. Paste the URL your "
                "administrator gave you; Keel then publishes by itself whenever the server "
                "can be reached."
            ),
            url=self._ctx.publish_status.saved_url(),
            action="Publish",
        )
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.target is None:
            dialog.deleteLater()
            return
        target, password, remember = dialog.target, dialog.password, dialog.remember.isChecked()
        dialog.deleteLater()
        try:
            self._ctx.publish_status.save_url(target)
        except KeelError as exc:
            QMessageBox.warning(self._window, "Publish to the service", str(exc))
            return
        self._password = password or None
        if remember and password:
            service_login.save_to_keyring(target, password)
        self._publish(interactive=True)

    # Publishing ------------------------------------------------------------------------------

    def publish_in_background(self) -> None:
        """A quiet publish when a service is set up and a password is at hand (never asks)."""
        if self.busy:
            return
        try:
            url = self._ctx.publish_status.saved_url()
        except Exception:
            return
        if url is None:
            return
        self._publish(interactive=False)

    def _publish(self, *, interactive: bool) -> None:
        if self.busy:
            if interactive:
                self._window.statusBar().showMessage("A publish is already running…", 5000)
            return
        password = self._password

        def work(services: Services, progress: Any, cancelled: Any) -> PublishResult:
            return services.publishing.publish_with_saved_login(
                password=password, progress=progress, cancelled=cancelled
            )

        self._running = run_task(
            self._window,
            "Publishing to the service…",
            work,
            db_path=self._ctx.db_path,
            on_success=lambda result: self._published(result, interactive),
            on_failure=lambda exc: self._failed(exc, interactive),
            cancellable=interactive,
            silent=not interactive,
        )

    def _published(self, result: PublishResult, interactive: bool) -> None:
        self._last_error = None
        self.update_status()
        self._window.statusBar().showMessage(result.summary(), 10000)
        if interactive:
            QMessageBox.information(self._window, "Published", result.summary())

    def _failed(self, exc: BaseException, interactive: bool) -> None:
        if not isinstance(exc, KeelError):
            raise exc  # a bug: the crash handler reports it
        log.info("publish failed: %s", exc)
        self._last_error = str(exc)
        self.update_status()
        if interactive:
            QMessageBox.warning(self._window, "Publish to the service", str(exc))
