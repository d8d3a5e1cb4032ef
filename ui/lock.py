"""The lock: after the policy's idle minutes, or on Ctrl+L, every Keel window is covered and
asks for the passphrase before it shows anything again.

While locked:

* every top-level window (the main window, session forms, open dialogs) is covered by an opaque
  panel that fills it: a screenshot, a ``grab()`` or a glance shows no name;
* every window title says only "Keel — locked" (the taskbar shows titles), and the original
  titles come back on unlock;
* every key press, shortcut and click that is not meant for a lock panel is swallowed by an
  application-wide event filter, so nothing behind the panels can be used or opened;
* nothing is closed or thrown away: a half-typed form stays in its widgets (in memory), and its
  draft is saved, as always, into the database — which is encrypted.

A forgotten passphrase: "Forgot the passphrase? Use the recovery key…" on the lock panel turns
it into the start-up route (the recovery key, which must open this database, and a new
passphrase typed twice; the key file is written anew), all inside the panel.

The lock needs encryption (a lock on a file anyone can copy and read protects nothing): on an
unencrypted database, Ctrl+L explains that and offers to encrypt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.services import encryption

log = logging.getLogger(__name__)

LOCKED_TITLE = "Keel — locked"
_INPUT = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.KeyRelease,
        QEvent.Type.ShortcutOverride,
        QEvent.Type.Shortcut,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonRelease,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.Wheel,
        QEvent.Type.ContextMenu,
        QEvent.Type.ToolTip,
        QEvent.Type.WhatsThis,
    }
)
_ACTIVITY = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
    }
)


class LockPanel(QFrame):
    """The opaque cover of one window; the main window's holds the passphrase prompt."""

    def __init__(
        self, window: QWidget, prompt: QWidget | None, retitled: Callable[[str], None]
    ) -> None:
        super().__init__(window)
        self._retitled = retitled
        self.setObjectName("keelLockPanel")
        self.setAutoFillBackground(True)
        self.setStyleSheet("#keelLockPanel { background: #263238; } QLabel { color: white; }")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        title = QLabel("Keel is locked")
        font = title.font()
        font.setPointSize(font.pointSize() + 8)
        font.setBold(True)
        title.setFont(font)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(title)
        if prompt is not None:
            box = QWidget()
            inner = QVBoxLayout(box)
            inner.addWidget(prompt)
            box.setMaximumWidth(560)
            layout.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
        else:
            hint = QLabel("Unlock Keel in its main window.")
            hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(hint)
        layout.addStretch(2)
        self.cover()
        window.installEventFilter(self)

    def cover(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.raise_()
        self.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Resize:
            self.cover()  # at once: a grab() that lays the window out must find it covered
        elif kind in (QEvent.Type.Show, QEvent.Type.ChildAdded):
            QTimer.singleShot(0, self, self.cover)
        elif kind == QEvent.Type.WindowTitleChange and isinstance(watched, QWidget):
            title = watched.windowTitle()
            if title != LOCKED_TITLE:  # the window renamed itself while locked
                self._retitled(title)
                watched.setWindowTitle(LOCKED_TITLE)
        return False

    def remove(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            parent.removeEventFilter(self)
        self.hide()
        self.deleteLater()


class LockPrompt(QStackedWidget):
    """What the main window's lock panel asks: the passphrase, or — "Forgot the passphrase?" —
    the recovery key and a new passphrase, as at start-up (``RecoveryKeyForm``: the key must
    open this database; the key file is written anew). Everything stays inside the panel, so
    the lock's event filter lets it be typed into and nothing behind it."""

    recovered = Signal()

    def __init__(self, prompt: QWidget, db_path: Path) -> None:
        super().__init__()
        from ui.encryption_dialogs import RecoveryKeyForm

        self.setStyleSheet(
            "QLabel { color: white; }"
            " QPushButton#lockLink { color: #bbdefb; border: none; text-decoration: underline;"
            " background: transparent; text-align: left; }"
        )
        first = QWidget()
        layout = QVBoxLayout(first)
        hint = QLabel("Type the database's passphrase to go on. Nothing you typed is lost.")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setWordWrap(True)
        layout.addWidget(hint)
        layout.addWidget(prompt)
        for label in prompt.findChildren(QLabel):
            _readable_on_the_panel(label)
        self.forgot = QPushButton("Forgot the passphrase? Use the recovery key…")
        self.forgot.setObjectName("lockLink")
        self.forgot.setAutoDefault(False)
        self.forgot.setCursor(Qt.CursorShape.PointingHandCursor)
        self.forgot.clicked.connect(self.show_recovery)
        layout.addWidget(self.forgot, 0, Qt.AlignmentFlag.AlignLeft)
        self.addWidget(first)

        second = QWidget()
        layout = QVBoxLayout(second)
        self.recovery = RecoveryKeyForm(db_path)
        _readable_on_the_panel(self.recovery.message)
        _readable_on_the_panel(self.recovery.new.problem)
        self.recovery.accepted.connect(self.recovered)
        self.recovery.key.returnPressed.connect(self.recovery.new.first.setFocus)
        self.recovery.new.first.returnPressed.connect(self.recovery.new.second.setFocus)
        self.recovery.new.second.returnPressed.connect(self.recovery.submit)
        layout.addWidget(self.recovery)
        row = QHBoxLayout()
        self.back = QPushButton("Back to the passphrase")
        self.back.setAutoDefault(False)
        self.back.clicked.connect(self.show_passphrase)
        self.unlock_button = QPushButton("Unlock and set the new passphrase")
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self.recovery.submit)
        row.addWidget(self.back)
        row.addStretch(1)
        row.addWidget(self.unlock_button)
        layout.addLayout(row)
        self.addWidget(second)
        self._prompt = prompt

    def show_recovery(self) -> None:
        self.setCurrentIndex(1)
        self.recovery.key.setFocus()

    def show_passphrase(self) -> None:
        self.setCurrentIndex(0)
        self.recovery.message.clear()
        field = getattr(self._prompt, "field", None)
        if isinstance(field, QWidget):
            field.setFocus()


def _readable_on_the_panel(label: QLabel) -> None:
    """A message under a field (dark red in a dialog) in light red on the dark panel, with
    room for three lines, so that a long sentence is never squeezed out of sight."""
    label.setStyleSheet("color: #ffcdd2;")
    label.setWordWrap(True)
    label.setMinimumHeight(label.fontMetrics().lineSpacing() * 3)


class LockController(QObject):
    """Locks every Keel window after ``idle_minutes()`` without input, or when asked."""

    locked_changed = Signal(bool)
    recovered = Signal()  # unlocked with the recovery key: a new passphrase is in force

    def __init__(
        self,
        main_window: QWidget,
        db_path: Path,
        idle_minutes: Callable[[], int],
        *,
        before_lock: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(main_window)
        self._main = main_window
        self._db_path = db_path
        self._idle_minutes = idle_minutes
        self._before_lock = before_lock
        self._panels: dict[QWidget, LockPanel] = {}
        self._titles: dict[QWidget, str] = {}
        self.prompt: QWidget | None = None
        self.pages: LockPrompt | None = None
        self.paused = False  # True while the database file is being converted
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.timeout.connect(self._idle_timeout)
        self._watch = QTimer(self)  # windows opened while locked are covered too
        self._watch.setInterval(200)
        self._watch.timeout.connect(self._cover_new_windows)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        main_window.destroyed.connect(self._detach)
        self.restart_idle_timer()

    def _detach(self) -> None:
        """The window is going: stop watching the application's events."""
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self._panels.clear()

    @property
    def locked(self) -> bool:
        return bool(self._panels)

    def restart_idle_timer(self) -> None:
        try:
            minutes = int(self._idle_minutes())
        except Exception:  # the policy could not be read: the default
            minutes = 10
        self._idle.start(max(1, minutes) * 60_000)

    def _idle_timeout(self) -> None:
        if self.paused:  # the database is being converted: lock once that is over
            self._idle.start(60_000)
            return
        if encryption.encryption_status(self._db_path):
            self.lock()
        else:
            self.restart_idle_timer()

    def lock(self) -> bool:
        """Cover every window; False (nothing done) for an unencrypted database."""
        if self.locked:
            return True
        if not encryption.encryption_status(self._db_path):
            return False
        if self._before_lock is not None:
            try:
                self._before_lock()
            except Exception:  # saving drafts must never stop the lock
                log.exception("saving drafts before locking failed")
        popup = QApplication.activePopupWidget()
        if popup is not None:
            popup.close()
        from ui.encryption_dialogs import PassphrasePrompt

        prompt = PassphrasePrompt(
            lambda p: encryption.verify_passphrase(self._db_path, p), button="Unlock"
        )
        prompt.accepted.connect(self.unlock)
        self.prompt = prompt
        self.pages = LockPrompt(prompt, self._db_path)
        self.pages.recovered.connect(self._unlocked_with_recovery_key)
        # A modal dialog blocks input to every other window: the prompt goes on top of it.
        modal = QApplication.activeModalWidget()
        self._cover(modal if modal is not None else self._main, self.pages)
        self._cover_new_windows()
        self._watch.start()
        prompt.field.setFocus()
        log.info("Keel locked")
        self.locked_changed.emit(True)
        return True

    def _cover(self, window: QWidget, prompt: QWidget | None) -> None:
        self._titles[window] = window.windowTitle()
        window.setWindowTitle(LOCKED_TITLE)

        def retitled(title: str) -> None:
            self._titles[window] = title

        self._panels[window] = LockPanel(window, prompt, retitled)

    def _cover_new_windows(self) -> None:
        for window in QApplication.topLevelWidgets():
            if window in self._panels or not window.isVisible() or not window.isWindow():
                continue
            if window.windowType() in (Qt.WindowType.Popup, Qt.WindowType.ToolTip):
                window.close()
                continue
            self._cover(window, None)

    def _unlocked_with_recovery_key(self) -> None:
        """The recovery key was typed and a new passphrase set (the key file written anew, as
        at start-up): go on, and say that the passphrase changed."""
        log.info("Keel unlocked with the recovery key; a new passphrase was set")
        self.unlock()
        self.recovered.emit()

    def unlock(self) -> None:
        self._watch.stop()
        for window, panel in list(self._panels.items()):
            panel.remove()
            title = self._titles.get(window)
            if title is not None:
                window.setWindowTitle(title)
        self._panels.clear()
        self._titles.clear()
        self.prompt = None
        self.pages = None
        self.restart_idle_timer()
        self._main.activateWindow()
        log.info("Keel unlocked")
        self.locked_changed.emit(False)

    def _inside_panel(self, obj: QObject) -> bool:
        widget = obj if isinstance(obj, QWidget) else None
        while widget is not None:
            if isinstance(widget, LockPanel):
                return True
            widget = widget.parentWidget()
        return False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if not self._panels:
            if kind in _ACTIVITY:
                self._idle.start()  # any input: idle again from now
            return False
        try:
            if not self._main.isVisible():  # the window was closed: nothing left to guard
                return False
        except RuntimeError:  # the window is being destroyed
            return False
        # Nothing behind the lock can be used.
        return kind in _INPUT and not self._inside_panel(watched)
