"""MainWindow composes the screens, menus and status bar, and routes signals between them.

It holds no state of its own beyond the open forms and never touches the database.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QTabWidget,
    QWidget,
)

from app import __version__
from app.paths import log_dir
from ui.context import AppContext
from ui.data_actions import DataActions
from ui.encryption_actions import EncryptionActions
from ui.publishing import PublishActions
from ui.screens.scheduler import SchedulerScreen
from ui.tasks import run_task, running_tasks
from ui.widgets.accessibility import name_inner_controls
from ui.widgets.lazy import LazyPage

if TYPE_CHECKING:  # the other screens and the forms are imported when first used
    from PySide6.QtGui import QCloseEvent  # an annotation only

    from ui.exporting import Exporter
    from ui.forms.session_form import SessionForm
    from ui.screens.actions import ActionsScreen
    from ui.screens.governance import GovernanceScreen
    from ui.screens.search import SearchDialog
    from ui.screens.welcome import WelcomeScreen
    from ui.screens.workers import WorkersScreen

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    """Keel's main window: a welcome page for an empty database, else the three screens."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._forms: list[SessionForm] = []
        self._service_views: list[QMainWindow] = []
        self.search_dialog: SearchDialog | None = None  # made when first asked for
        self.setWindowTitle(f"Keel — {ctx.db_path.name}")
        self.setMinimumSize(1024, 640)

        self.scheduler = SchedulerScreen(ctx)
        # Built when first shown (or needed), so start-up pays only for the scheduler; the
        # welcome page only ever shows on an empty database.
        self.welcome_page = LazyPage(self._make_welcome)
        self.workers_page = LazyPage(self._make_workers)
        self.actions_page = LazyPage(self._make_actions)
        self.governance_page = LazyPage(self._make_governance)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.scheduler, "&Scheduler")
        self.tabs.addTab(self.workers_page, "&Workers")
        self.tabs.addTab(self.actions_page, "&Actions")
        self.tabs.addTab(self.governance_page, "&Governance")
        self.tabs.setAccessibleName("Screens")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.welcome_page)
        self.stack.addWidget(self.tabs)
        self.setCentralWidget(self.stack)

        self._exporter: Exporter | None = None  # the export and print flows, made when first used
        self.data = DataActions(ctx, self)
        self.encryption = EncryptionActions(
            ctx, self, file_checked=self.data.file_checked, before_lock=self._keep_drafts
        )
        self.statusBar().addPermanentWidget(self.encryption.reminder)
        self.statusBar().addPermanentWidget(self.data.status_label)
        self.publishing = PublishActions(ctx, self)
        self.statusBar().addPermanentWidget(self.publishing.status_label)
        self._db_label = QLabel(str(ctx.db_path))
        self._db_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.statusBar().addPermanentWidget(self._db_label)

        self._build_menus()
        self._connect()
        name_inner_controls(self)
        self._restore_layout()
        self._show_right_page()
        self.data.update_status()
        # The daily backup runs once the window is up, so start-up is not held back by it.
        self._backup_timer = QTimer(self)
        self._backup_timer.setSingleShot(True)
        self._backup_timer.timeout.connect(self.data.auto_backup_when_checked)
        self._backup_timer.start(1500)
        # Publishing to the service (when one is set up) runs in the background from now on.
        self.publishing.start()
        QTimer.singleShot(0, self._warn_about_location)

    # Composition ----------------------------------------------------------------------------

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.import_action = self._action(
            file_menu, "&Import staff CSV…", self.import_staff, "Ctrl+I"
        )
        self.demo_action = self._action(file_menu, "Load &demo data", self.load_demo)
        file_menu.addSeparator()
        self.compliance_action = self._action(
            file_menu,
            "&Export compliance pack…",
            lambda _checked=False: self.exporter.export_compliance(),
        )
        self.blank_menu = file_menu.addMenu("&Blank paper form")
        self.blank_form_actions: dict[str, QAction] = {}
        self._fill_blank_menu()
        file_menu.addSeparator()
        self.service_view_action = self._action(
            file_menu, "Open &service view…", self.open_service_view
        )
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        session_menu = self.menuBar().addMenu("&Session")
        self.new_session_action = self._action(
            session_menu, "&New session…", self.new_session, QKeySequence.StandardKey.New
        )
        self._action(session_menu, "Add &worker…", self.add_worker, "Ctrl+Shift+W")
        session_menu.addSeparator()
        self.themes_action = self._action(session_menu, "Manage &themes…", self.manage_themes)

        view = self.menuBar().addMenu("&View")
        self._action(view, "&Find worker", self.find_worker, QKeySequence.StandardKey.Find)
        self.search_action = self._action(
            view, "&Search records…", self.search_records, "Ctrl+Shift+F"
        )
        for index, name in enumerate(("Scheduler", "Workers", "Actions", "Governance")):
            self._action(
                view, name, lambda _checked=False, i=index: self._show_tab(i), f"Ctrl+{index + 1}"
            )
        self._action(view, "&Refresh", self.refresh_all, QKeySequence.StandardKey.Refresh)

        data_menu = self.menuBar().addMenu("&Data")
        self.data.build_menu(data_menu)
        self.encryption.build_menu(data_menu)
        data_menu.addSeparator()
        self.publish_action = self._action(
            data_menu, "&Publish to the service…", self.publishing.publish_dialog
        )

        settings_menu = self.menuBar().addMenu("Se&ttings")
        self.policy_action = self._action(settings_menu, "Supervision &policy…", self.edit_policy)
        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "Open the &log folder", self.open_log_folder)
        self._action(help_menu, "&About Keel", self.about)

    def _action(
        self,
        menu: object,
        text: str,
        slot: object,
        shortcut: str | QKeySequence.StandardKey | None = None,
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)  # type: ignore[attr-defined]
        return action

    def _connect(self) -> None:
        self.scheduler.session_requested.connect(self.open_new_session)
        self.scheduler.booking_open_requested.connect(self.open_session)
        self.scheduler.worker_requested.connect(self.show_worker)
        self.scheduler.booking_made.connect(lambda _wid: self._refresh_workers())
        self.data.data_replaced.connect(self.refresh_all)

    def _make_welcome(self) -> WelcomeScreen:
        from ui.screens.welcome import WelcomeScreen

        screen = WelcomeScreen(self._ctx)
        screen.demo_requested.connect(self.load_demo)
        screen.import_requested.connect(self.import_staff)
        screen.add_worker_requested.connect(self.add_worker)
        return screen

    def _make_workers(self) -> WorkersScreen:
        from ui.screens.workers import WorkersScreen

        screen = WorkersScreen(self._ctx)
        screen.workers_changed.connect(self._workers_changed)
        screen.session_open_requested.connect(self.open_session)
        screen.new_session_requested.connect(self.open_new_session)
        screen.export_reported.connect(self._report)
        return screen

    def _make_actions(self) -> ActionsScreen:
        from ui.screens.actions import ActionsScreen

        screen = ActionsScreen(self._ctx)
        screen.session_open_requested.connect(self.open_session)
        screen.actions_changed.connect(lambda _ids: self._refresh_workers())
        return screen

    def _make_governance(self) -> GovernanceScreen:
        from ui.screens.governance import GovernanceScreen

        screen = GovernanceScreen(self._ctx)
        screen.session_open_requested.connect(self.open_session)
        return screen

    @property
    def exporter(self) -> Exporter:
        """The window's export and print flows (made on first use: their dialogs' modules are
        not needed to show the scheduler)."""
        if self._exporter is None:
            from ui.exporting import Exporter

            self._exporter = Exporter(self._ctx, self)
            self._exporter.status_message.connect(self._report)
        return self._exporter

    @property
    def welcome(self) -> WelcomeScreen:
        """The welcome page (built now if it has not been shown yet)."""
        return self.welcome_page.content()

    @property
    def workers(self) -> WorkersScreen:
        """The Workers screen (built now if it has not been shown yet)."""
        return self.workers_page.content()

    @property
    def actions_screen(self) -> ActionsScreen:
        return self.actions_page.content()

    @property
    def governance(self) -> GovernanceScreen:
        return self.governance_page.content()

    def current_screen(self) -> QWidget | None:
        """The screen on the tab being shown (the real screen, not its lazy frame)."""
        page = self.tabs.currentWidget()
        return page.content() if isinstance(page, LazyPage) else page

    def _refresh_workers(self) -> None:
        screen = self.workers_page.built_screen()
        if screen is not None:
            screen.refresh()

    def _refresh_built_screens(self) -> None:
        """Refresh the screens that exist; one not built yet reads fresh data when shown."""
        self._refresh_workers()
        for page in (self.actions_page, self.governance_page):
            screen = page.built_screen()
            if screen is not None:
                screen.refresh()

    def _show_right_page(self) -> None:
        empty = self._ctx.workers.count() == 0
        self.stack.setCurrentWidget(self.welcome_page if empty else self.tabs)
        for action in (self.new_session_action, self.compliance_action):
            action.setEnabled(not empty)

    @Slot(str)
    def _report(self, message: str) -> None:
        self.statusBar().showMessage(message, 15000)

    # Routing --------------------------------------------------------------------------------

    @Slot(str, str)
    def open_new_session(self, worker_id: str, type_value: str) -> None:
        from ui.forms.session_form import SessionForm

        form = SessionForm.for_new(self._ctx, type_value, worker_id, self._ctx.today())
        self._show_form(form)

    @Slot(str)
    def open_session(self, session_id: str) -> None:
        from ui.forms.session_form import SessionForm

        form = SessionForm.for_existing(self._ctx, session_id)
        self._show_form(form)

    def _show_form(self, form: SessionForm) -> None:
        form.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        form.session_saved.connect(self._session_saved)
        form.evidence.countersigned.connect(lambda _id: self.scheduler.refresh_qa())
        form.destroyed.connect(lambda _=None, f=form: self._forget_form(f))
        self._forms.append(form)
        form.show()
        form.raise_()
        form.activateWindow()

    def _keep_drafts(self) -> None:
        """Before the lock covers the windows: every open form's typing saved as its draft
        (in the database, encrypted); the text also stays in the form."""
        for form in list(self._forms):
            form.keep_draft()

    def _forget_form(self, form: SessionForm) -> None:
        if form in self._forms:
            self._forms.remove(form)

    @Slot(list)
    def _session_saved(self, worker_ids: list[str]) -> None:
        self.scheduler.refresh(worker_ids)
        self._refresh_built_screens()
        self.statusBar().showMessage("Session saved.", 5000)

    @Slot(list)
    def _workers_changed(self, worker_ids: list[str]) -> None:
        self._show_right_page()
        self.scheduler.refresh(worker_ids or None)
        screen = self.actions_page.built_screen()
        if screen is not None:
            screen.refresh()

    @Slot(str)
    def show_worker(self, worker_id: str) -> None:
        self.tabs.setCurrentWidget(self.workers_page)
        self.workers.show_worker(worker_id)

    def _show_tab(self, index: int) -> None:
        if self.stack.currentWidget() is self.tabs:
            self.tabs.setCurrentIndex(index)

    def refresh_all(self) -> None:
        self._show_right_page()
        self.scheduler.refresh()
        self._refresh_built_screens()

    # Menu actions ---------------------------------------------------------------------------

    def _fill_blank_menu(self) -> None:
        """One blank form per supervision type in use, in the policy's order."""
        self.blank_menu.clear()
        self.blank_form_actions = {
            spec.key: self._action(
                self.blank_menu,
                f"{spec.label}…",
                lambda _checked=False, t=spec.key: self.exporter.export_blank(t),
            )
            for spec in self._ctx.catalogue.active
        }

    def edit_policy(self) -> None:
        """Settings → Supervision policy…: the editor; a saved version refreshes every screen."""
        from ui.forms.policy_dialog import PolicyDialog

        dialog = PolicyDialog(self._ctx, self)
        dialog.policy_saved.connect(self.policy_saved)
        dialog.exec()
        dialog.deleteLater()

    @Slot()
    def policy_saved(self) -> None:
        self._ctx.policy_changed()
        self._fill_blank_menu()
        self.refresh_all()
        self.statusBar().showMessage("Supervision policy saved as a new version.", 8000)

    def new_session(self) -> None:
        from ui.forms.new_session_dialog import NewSessionDialog

        dialog = NewSessionDialog(self._ctx, self)
        if dialog.exec():
            worker_id, type_ = dialog.choice()
            self.open_new_session(worker_id, type_)

    def add_worker(self) -> None:
        self.stack.setCurrentWidget(self.tabs)
        self.tabs.setCurrentWidget(self.workers_page)
        self.workers.add_worker()
        self._show_right_page()

    def find_worker(self) -> None:
        if self.stack.currentWidget() is self.tabs:
            self.tabs.setCurrentWidget(self.scheduler)
            self.scheduler.focus_search()

    def search_records(self) -> SearchDialog:
        """Show the search dialog (one, kept between uses so the last search stays)."""
        if self.search_dialog is None:
            from ui.screens.search import SearchDialog

            self.search_dialog = SearchDialog(self._ctx, self)
            self.search_dialog.session_open_requested.connect(self.open_session)
        else:
            self.search_dialog.reload_choices()
        self.search_dialog.show()
        self.search_dialog.raise_()
        self.search_dialog.activateWindow()
        self.search_dialog.focus_query()
        return self.search_dialog

    def manage_themes(self) -> None:
        from ui.forms.themes_dialog import ThemesDialog

        dialog = ThemesDialog(self._ctx, self)
        dialog.exec()
        dialog.deleteLater()
        if self.search_dialog is not None:
            self.search_dialog.reload_choices()

    def import_staff(self) -> None:
        from ui.forms.import_dialog import ImportDialog

        dialog = ImportDialog(self._ctx, parent=self)
        first = self._ctx.workers.count() == 0
        dialog.imported.connect(lambda ids: self._workers_changed(list(ids)))
        if first:  # a team brought in from the welcome page: show its schedule
            dialog.imported.connect(lambda _ids: self.tabs.setCurrentWidget(self.scheduler))
        dialog.imported.connect(lambda _ids: self._refresh_workers())
        dialog.exec()

    def load_demo(self) -> None:

        if self._ctx.workers.count() > 0:
            QMessageBox.information(
                self,
                "Demo data",
                "This database already holds workers, so the demo was not loaded. "
                "Open an empty database (keel --db demo.db) to explore the demo.",
            )
            return
        if running_tasks():
            return  # a second click while the demo is already loading
        self.demo_action.setEnabled(False)
        today = self._ctx.today()
        run_task(
            self,
            "Loading the demo service…",
            lambda services, _progress, _cancelled: services.demo.load_demo(today=today),
            db_path=self._ctx.db_path,
            on_success=self._demo_loaded,
            on_failure=self._demo_failed,
            cancellable=False,
        )

    def _demo_failed(self, error: BaseException) -> None:
        self.demo_action.setEnabled(True)
        QMessageBox.warning(self, "Demo data", f"The demo was not loaded: {error}")

    def _demo_loaded(self, summary: str) -> None:
        self.refresh_all()
        # The demo is a service to look at: its scheduler first, whichever tab was last used.
        self.tabs.setCurrentWidget(self.scheduler)
        self.statusBar().showMessage(summary, 10000)

    def open_log_folder(self) -> None:
        from PySide6.QtCore import QUrl  # only here: not created at start-up
        from PySide6.QtGui import QDesktopServices

        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def about(self) -> None:
        QMessageBox.about(
            self,
            "About Keel",
            f"Keel {__version__}\n\nPlan, record and evidence staff supervision — offline.\n"
            f"Database: {self._ctx.db_path}",
        )

    def bring_to_front(self) -> None:
        """Another launch on this database asked us to show ourselves."""
        self.setWindowState(
            (self.windowState() & ~Qt.WindowState.WindowMinimized) | Qt.WindowState.WindowActive
        )
        self.show()
        self.raise_()
        self.activateWindow()

    # Window state ---------------------------------------------------------------------------

    def _settings(self) -> QSettings:
        return QSettings()

    def _restore_layout(self) -> None:
        settings = self._settings()
        geometry = settings.value("main/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 720)
            screen = self.screen().availableGeometry() if self.screen() else None
            if screen is not None and screen.width() <= 1440:
                # A laptop screen: the scheduler needs every pixel of width on first start. The
                # geometry too, not only the state: without a window manager honouring the
                # maximise request (a bare X session, some kiosks) the window stayed 1280 wide
                # and the team column was cut.
                self.setGeometry(screen)
                self.setWindowState(Qt.WindowState.WindowMaximized)
        state = settings.value("main/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        tab = settings.value("main/tab", 0, type=int)
        if isinstance(tab, int) and 0 <= tab < self.tabs.count():
            self.tabs.setCurrentIndex(tab)

    def _warn_about_location(self) -> None:
        from app.services.location import location_warning

        warning = location_warning(self._ctx.db_path)
        if warning:
            QMessageBox.warning(self, "A risky place for your database", warning)

    def open_service_view(self) -> None:
        """File → Open service view…: every team, read from the service's PostgreSQL."""
        from ui.service_view import open_service_view  # loads when first used

        window = open_service_view(self, today=self._ctx.today())
        if window is not None:
            self._service_views.append(window)

    def closeEvent(self, event: QCloseEvent) -> None:
        workers = self.workers_page.built_screen()
        if workers is not None and workers.has_unsaved_changes():
            answer = QMessageBox.question(
                self,
                "Unsaved risk assessment",
                "A risk assessment was typed but not saved. Quit and discard it?",
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Discard:
                event.ignore()
                return
        # Quitting never loses typing: open forms keep their drafts, restored on next opening.
        for form in list(self._forms):
            form.close_keeping_draft()
        self._backup_timer.stop()
        self.publishing.stop()
        self.data.auto_backup()
        settings = self._settings()
        settings.setValue("main/geometry", self.saveGeometry())
        settings.setValue("main/state", self.saveState())
        settings.setValue("main/tab", self.tabs.currentIndex())
        event.accept()

    @property
    def db_path(self) -> Path:
        return self._ctx.db_path
