"""Flag to governance from a session record, and the record's links forward to the items.

``FlagDialog`` asks for the forum (MDT, safeguarding meeting, quality and governance
meeting), a title, a description and, optionally, a theme, and raises a governance item linked
to the session (``app.services.governance.flag_session``). ``GovernanceLinks`` is what the
session form shows: a "Flag to governance…" button and one line per item the session fed,
"Flagged to MDT meeting: Duty cover gaps (decided)". Flagging never changes the record, so
it works on a signed record too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.dates import uk
from app.domain.governance import Forum
from app.domain.records import SessionRecord
from app.errors import KeelError
from app.services.governance import GovernanceItem
from app.services.themes import Theme
from ui.context import AppContext

NO_THEME = ""  # item data of "No theme" (never None: see ui/models/schedule_model.py)


def link_text(item: GovernanceItem) -> str:
    """ "Flagged to MDT meeting: Duty cover gaps (decided, 3 Dec 2026)"."""
    when = {
        "raised": item.raised_on,
        "tabled": item.tabled_on,
        "decided": item.decided_on,
        "closed": item.closed_on,
    }.get(item.status.value)
    status = item.status.value + (f" {uk(when)}" if when else "")
    text = f"Flagged to {item.forum.label}: {item.title} ({status})"
    if item.change_made.strip():
        text += f" — change made: {item.change_made.strip()}"
    return text


def record_theme_ids(record: SessionRecord) -> list[str]:
    """The themes the record carries, on itself first, then on its decisions."""
    ids = list(record.theme_ids)
    for decision in record.decisions:
        ids += [t for t in decision.theme_ids if t not in ids]
    return ids


def tagging_names(themes: Sequence[Theme]) -> list[Theme]:
    """Themes as a form lists them: a retired one the record carries says so."""
    return [t if t.active else replace(t, name=f"{t.name} (retired)") for t in themes]


class FlagDialog(QDialog):
    """Raise a governance item from one saved session."""

    def __init__(
        self,
        ctx: AppContext,
        session_id: str,
        *,
        themes: Sequence[Theme] = (),
        suggested_theme: str | None = None,
        raised_by: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._session_id = session_id
        self.item: GovernanceItem | None = None
        self.setWindowTitle("Flag to governance")
        self.setAccessibleName("Flag to governance")

        intro = QLabel(
            "Take what this supervision surfaced to a governance forum. The item links back "
            "to this record, and the record shows what the forum did with it. Use case "
            "references only — never a patient's name."
        )
        intro.setWordWrap(True)
        self.forum = QComboBox()
        self.forum.setAccessibleName("Forum")
        for forum in Forum:
            self.forum.addItem(forum.label, forum.value)
        self.title = QLineEdit()
        self.title.setAccessibleName("Title")
        self.title.setPlaceholderText("e.g. Duty cover gaps delay crisis responses")
        self.title.setMaxLength(200)
        self.description = QPlainTextEdit()
        self.description.setAccessibleName("Description")
        self.description.setTabChangesFocus(True)
        self.description.setPlaceholderText(
            "What the forum should know and what you are asking it to decide."
        )
        self.description.setFixedHeight(self.description.fontMetrics().lineSpacing() * 5 + 14)
        self.theme = QComboBox()
        self.theme.setAccessibleName("Theme (optional)")
        self.theme.addItem("No theme", NO_THEME)
        for theme in themes:
            self.theme.addItem(theme.name + ("" if theme.active else " (retired)"), theme.id)
        if suggested_theme:
            self.theme.setCurrentIndex(max(self.theme.findData(suggested_theme), 0))
        self.raised_by = QLineEdit(raised_by)
        self.raised_by.setAccessibleName("Raised by")
        self.raised_by.setPlaceholderText("Your name (kept in the audit trail)")

        form = QFormLayout()
        form.addRow("&Forum:", self.forum)
        form.addRow("&Title:", self.title)
        form.addRow("&Description:", self.description)
        form.addRow("T&heme:", self.theme)
        form.addRow("&Raised by:", self.raised_by)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.flag_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.flag_button.setText("Flag to governance")
        self.flag_button.setAccessibleName("Flag to governance")
        self.buttons.accepted.connect(self.flag)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.resize(560, self.sizeHint().height())
        self.title.setFocus()

    def chosen_forum(self) -> Forum:
        return Forum(self.forum.currentData())

    def flag(self) -> None:
        """Raise the item; on a problem say what to do and keep the dialog open."""
        if not self.title.text().strip():
            QMessageBox.warning(
                self, "Flag to governance", "Give the item a title: what the forum will see."
            )
            self.title.setFocus()
            return
        try:
            self.item = self._ctx.governance.flag_session(
                self._session_id,
                forum=self.chosen_forum(),
                title=self.title.text(),
                description=self.description.toPlainText(),
                raised_on=self._ctx.today(),
                raised_by=self.raised_by.text(),
                theme_id=self.theme.currentData() or None,
            )
        except KeelError as exc:
            QMessageBox.warning(self, "Not flagged", f"The item was not raised: {exc}")
            return
        self.accept()


class FlagHost(Protocol):
    """What ``GovernanceLinks`` needs of the session form."""

    @property
    def session_id(self) -> str: ...

    def ensure_saved(self) -> bool: ...

    def record(self) -> SessionRecord: ...


class GovernanceLinks(QObject):
    """The session form's link to governance: a button that flags the session and a label
    listing the items it fed (hidden while there are none)."""

    item_flagged = Signal(str)
    """item_id: an item was raised from this session."""

    def __init__(self, ctx: AppContext, host: FlagHost, parent: QWidget) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._host = host
        self._parent = parent
        self.items: list[GovernanceItem] = []
        self.flag_button = QPushButton("Flag to &governance…", parent)
        self.flag_button.setAccessibleName("Flag to governance")
        self.flag_button.setToolTip(
            "Raise an item for the MDT, safeguarding or quality meeting from this record"
        )
        self.label = QLabel(parent)
        self.label.setObjectName("governanceLinks")
        self.label.setAccessibleDescription("Taken to governance")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setStyleSheet(
            "#governanceLinks { background: #eef3e8; color: #23401a; border: 1px solid #b9cfa9;"
            " border-radius: 4px; padding: 5px; }"
        )
        self.label.hide()
        self.flag_button.clicked.connect(self.flag)

    def reload(self) -> None:
        """Show the items the saved session fed (none before the first save)."""
        session_id = self._host.session_id
        try:
            self.items = self._ctx.governance.items_for_session(session_id) if session_id else []
        except KeelError as exc:
            self.items = []
            self.label.setText(f"The governance items of this record could not be read: {exc}")
            self.label.show()
            return
        self.label.setText("\n".join(link_text(i) for i in self.items))
        self.label.setVisible(bool(self.items))

    def lines(self) -> list[str]:
        """What the label lists, one line per item."""
        return [link_text(i) for i in self.items]

    def flag(self) -> GovernanceItem | None:
        """Save the record if need be, then ask for the item and raise it."""
        if not self._host.ensure_saved() or not self._host.session_id:
            return None
        record = self._host.record()
        theme_ids = record_theme_ids(record)
        try:
            themes = self._ctx.themes.themes_for_tagging(already=theme_ids)
        except KeelError as exc:
            QMessageBox.warning(self._parent, "Flag to governance", str(exc))
            return None
        supervisor = self._ctx.workers.get(record.supervisor_id) if record.supervisor_id else None
        dialog = FlagDialog(
            self._ctx,
            self._host.session_id,
            themes=themes,
            suggested_theme=theme_ids[0] if theme_ids else None,
            raised_by=supervisor.name if supervisor else "",
            parent=self._parent,
        )
        dialog.exec()
        item = dialog.item
        dialog.deleteLater()
        if item is None:
            return None
        self.reload()
        self.item_flagged.emit(item.id)
        return item
