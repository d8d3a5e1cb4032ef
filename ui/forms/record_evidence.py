"""What a session form shows and does about a record's evidence: sign-off, the supervisee's
response, addenda, export and print, the signed banner and the read-only state of a signed
record.

A signed record is locked in the database (a trigger refuses any change); the form says so
plainly and makes every field read-only, so nobody types into a record that cannot take it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from app.dates import moment
from app.domain.model import SessionStatus
from app.domain.qa import Countersignature
from app.domain.records import SessionRecord
from app.domain.rows import Addendum, AttendeeResponse, SignOff
from app.errors import KeelError
from ui.context import AppContext
from ui.exporting import Exporter
from ui.forms.common_sections import lock_pixmap
from ui.forms.record_tables import RecordTable
from ui.forms.signoff_dialogs import AddendumDialog, SignOffDialog, SuperviseeResponseDialog


def local_time(stamp: str | None) -> str:
    """'2026-11-26T14:32:05Z' → '26 Nov 2026 at 14:32' in local time."""
    return moment(stamp)


def _plain(text: str = "", name: str = "") -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if name:
        label.setAccessibleDescription(name)
    return label


def supervisee_line(state: SignOff) -> str:
    """The supervisee's part, in words."""
    if state.supervisee_response == "acknowledged":
        return (
            f"Supervisee: acknowledged by {state.supervisee_name} on "
            f"{local_time(state.supervisee_responded_at)}."
        )
    if state.supervisee_response == "disagreed":
        return (
            f"Supervisee: {state.supervisee_name} recorded disagreement on "
            f"{local_time(state.supervisee_responded_at)}: “{state.supervisee_comment}”"
        )
    return "Supervisee: not yet responded (they acknowledge the record, or say why they disagree)."


def attendees_line(
    attendees: list[str], said: Mapping[str, AttendeeResponse], names: Mapping[str, str]
) -> str:
    """A group record's attendees' responses, in words: how many acknowledged, and who has
    not yet responded."""
    acknowledged = [w for w in attendees if w in said and said[w].response == "acknowledged"]
    disagreed = [w for w in attendees if w in said and said[w].response == "disagreed"]
    waiting = [names.get(w, "an attendee no longer on the staff list")
               for w in attendees if w not in said]  # fmt: skip
    parts = [f"Attendees: {len(acknowledged)} of {len(attendees)} acknowledged"]
    if disagreed:
        who = ", ".join(said[w].name for w in disagreed)
        parts.append(f"{len(disagreed)} recorded disagreement ({who})")
    parts.append(f"not yet responded: {', '.join(waiting)}" if waiting else "all have responded")
    return "; ".join(parts) + "."


def qa_line(countersignature: Countersignature | None) -> str:
    """The record's quality assurance, in words."""
    if countersignature is None:
        return "Quality assurance: not yet quality-assured (a QA reviewer may countersign it)."
    c = countersignature
    role = f" ({c.reviewer_role})" if c.reviewer_role else ""
    return (
        f"Quality assurance: countersigned by {c.reviewer_name}{role} on "
        f"{local_time(c.countersigned_at)}: “{c.comments}” — countersignature {c.hash}"
    )


class SignedBanner(QFrame):
    """ "Signed by … on … — locked. Corrections are addenda." with the fingerprint."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("signedBanner")
        self.setAccessibleName("Signed and locked")
        self.setStyleSheet(
            "#signedBanner { background: #eeeaf6; border: 1px solid #b7a9d6;"
            " border-radius: 4px; }"
            "#signedBanner QLabel { color: #2d2250; }"
        )
        lock = QLabel(self)
        lock.setPixmap(lock_pixmap(self.fontMetrics().height() * 2))
        lock.setAccessibleName("Locked")
        lock.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.headline = _plain(name="Signature")
        font = self.headline.font()
        font.setBold(True)
        self.headline.setFont(font)
        self.supervisee = _plain(name="Supervisee's response")
        self.fingerprint = _plain(name="Fingerprint")
        self.fingerprint.setStyleSheet("color: #4b3b7a;")
        self.qa = _plain(name="Quality assurance")
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(self.headline)
        text.addWidget(self.supervisee)
        text.addWidget(self.fingerprint)
        text.addWidget(self.qa)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 6, 8, 6)
        row.addWidget(lock)
        row.addLayout(text, 1)
        self.hide()

    def show_state(self, state: SignOff, addenda: int) -> None:
        if not state.signed:
            self.hide()
            return
        more = f" {addenda} addend{'a' if addenda != 1 else 'um'} below." if addenda else ""
        self.headline.setText(
            f"Signed by {state.signed_by_name} on {local_time(state.signed_at)} — locked. "
            f"Corrections are addenda.{more}"
        )
        self.supervisee.setText(supervisee_line(state))
        self.fingerprint.setText(
            f"Fingerprint (SHA-256), printed on every copy: {state.fingerprint}"
        )
        self.show()

    def text(self) -> str:
        """Everything the banner says, as one string."""
        parts = (
            self.headline.text(), self.supervisee.text(), self.fingerprint.text(),
            self.qa.text(),
        )  # fmt: skip
        return "\n".join(p for p in parts if p)


class AddendaSection(QGroupBox):
    """Addenda to a signed record, oldest first: author, time, reason and text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Addenda — corrections and additions after sign-off", parent)
        self.setObjectName("addendaSection")
        self.setAccessibleName("Addenda")
        self._layout = QVBoxLayout(self)
        self._entries: list[QWidget] = []
        self._addenda: list[Addendum] = []
        self.hide()

    def set_addenda(self, addenda: list[Addendum]) -> None:
        if addenda == self._addenda:
            return
        self._addenda = list(addenda)
        for entry in self._entries:
            self._layout.removeWidget(entry)
            entry.hide()
            entry.deleteLater()
        self._entries = []
        for n, addendum in enumerate(addenda, start=1):
            entry = self._entry(n, addendum)
            self._layout.addWidget(entry)
            self._entries.append(entry)
        self.setVisible(bool(addenda))

    def _entry(self, n: int, addendum: Addendum) -> QWidget:
        entry = QFrame(self)
        entry.setObjectName("addendumEntry")
        entry.setStyleSheet(
            "#addendumEntry { border-left: 3px solid #8c7bc0; background: palette(base); }"
        )
        head = _plain(
            f"Addendum {n} — {addendum.author}, {local_time(addendum.created_at)}",
            f"Addendum {n}",
        )
        font = head.font()
        font.setBold(True)
        head.setFont(font)
        reason = _plain(f"Reason: {addendum.reason}", f"Addendum {n} reason")
        body = _plain(addendum.text, f"Addendum {n} text")
        layout = QVBoxLayout(entry)
        layout.setContentsMargins(10, 4, 6, 6)
        layout.setSpacing(3)
        layout.addWidget(head)
        layout.addWidget(reason)
        layout.addWidget(body)
        return entry

    def addenda(self) -> list[Addendum]:
        return list(self._addenda)

    def text(self) -> str:
        """What the section shows, as one string (for tests and accessibility checks)."""
        labels = (label for entry in self._entries for label in entry.findChildren(QLabel))
        return "\n".join(label.text() for label in labels)


def lock_fields(root: QWidget) -> None:
    """Make every field under ``root`` read-only: text stays readable and selectable, choices
    are shown but cannot be changed, tables lose their editors and buttons."""
    for table in root.findChildren(RecordTable):
        table.set_read_only(True)
    # Disabled choices keep their words in the text colour: the record must stay readable.
    readable = (
        "QCheckBox:disabled, QRadioButton:disabled, QComboBox:disabled"
        " { color: palette(window-text); }"
    )
    if readable not in root.styleSheet():
        root.setStyleSheet(root.styleSheet() + readable)
    for widget in root.findChildren(QWidget):
        if not isValid(widget):
            continue  # a line edit's clear button, deleted when its line edit is locked
        if isinstance(widget, QLineEdit):
            widget.setReadOnly(True)
            widget.setClearButtonEnabled(False)
            widget.setPlaceholderText("")
        elif isinstance(widget, QPlainTextEdit):
            widget.setReadOnly(True)
            widget.setPlaceholderText("")
        elif isinstance(widget, QAbstractSpinBox):
            widget.setReadOnly(True)
            widget.setButtonSymbols(QAbstractSpinBox.ButtonSymbols.NoButtons)
            if isinstance(widget, QDateTimeEdit):
                widget.setCalendarPopup(False)
        elif isinstance(widget, QComboBox | QAbstractButton):
            widget.setEnabled(False)
        elif isinstance(widget, QAbstractItemView) and not _in_record_table(widget):
            widget.setEnabled(False)  # checkable lists (attendees)


def _in_record_table(view: QWidget) -> bool:
    parent = view.parentWidget()
    while parent is not None:
        if isinstance(parent, RecordTable):
            return True
        parent = parent.parentWidget()
    return False


# What the form does about evidence --------------------------------------------------------


class EvidenceHost(Protocol):
    """What ``RecordEvidence`` needs of the session form it serves."""

    def ensure_saved(self) -> bool: ...
    def saved_record(self) -> SessionRecord: ...
    def form_status(self) -> SessionStatus: ...
    def lock(self) -> None: ...
    def windowTitle(self) -> str: ...


class RecordEvidence(QObject):
    """The session form's sign-off, supervisee response, addenda, export and print.

    Owns the buttons, the signed banner and the addenda section (the form places them) and
    the record's signature state. Everything it writes goes through ``RecordService`` and
    ``ExportService``; ``evidence_changed`` carries a sentence for the form's status line.
    """

    evidence_changed = Signal(str)
    countersigned = Signal(str)  # the record's id: a QA reviewer countersigned it

    def __init__(self, ctx: AppContext, host: EvidenceHost, window: QWidget) -> None:
        super().__init__(window)
        self._ctx = ctx
        self._host = host
        self._window = window
        record = host.saved_record()
        self.state: SignOff | None = ctx.records.state(record.id) if record.id else None
        self.banner = SignedBanner(window)
        self.addenda = AddendaSection()
        self.exporter = Exporter(ctx, window)
        self.sign_button = self._button("Sign off…", "Sign off the record", self.sign_off)
        self.respond_button = self._button(
            "Supervisee's response…", "Record the supervisee's response", self.respond
        )
        self.addendum_button = self._button("Add addendum…", "Add an addendum", self.add_addendum)
        self.countersign_button = self._button(
            "Countersign (QA)…", "Countersign the record for quality assurance", self.countersign
        )
        self.export_button = self._button(
            "Export PDF…", "Export the record as PDF", self.export_pdf
        )
        self.print_button = self._button("Print…", "Print the record", self.print_record)
        self.exporter.status_message.connect(self.evidence_changed)

    def _button(self, text: str, name: str, slot: Callable[[], object]) -> QPushButton:
        button = QPushButton(text, self._window)
        button.setAccessibleName(name)
        button.setAutoDefault(False)
        button.clicked.connect(slot)
        return button

    def buttons(self) -> list[QPushButton]:
        """In the order they sit in the footer."""
        return [
            self.sign_button,
            self.respond_button,
            self.addendum_button,
            self.countersign_button,
            self.export_button,
            self.print_button,
        ]

    @property
    def locked(self) -> bool:
        """True once the record is signed: it takes no edits, only addenda."""
        return self.state is not None and self.state.signed

    # Actions ------------------------------------------------------------------------------

    def sign_off(self) -> bool:
        """Save if need be, then the supervisor signs (and the supervisee may respond)."""
        if self.locked or not self._host.ensure_saved():
            return False
        record = self._host.saved_record()
        if record.status is not SessionStatus.HELD:
            QMessageBox.information(
                self._window,
                "Not signed",
                "Only the record of a held session is signed off. Set the status to Held and save.",
            )
            return False
        supervisor = self._ctx.workers.get(record.supervisor_id) if record.supervisor_id else None
        try:
            dialog = SignOffDialog(
                self._ctx,
                record.id,
                title=self._host.windowTitle(),
                supervisor_name=supervisor.name if supervisor else "",
                parent=self._window,
            )
        except KeelError as exc:
            QMessageBox.warning(self._window, "Not signed", str(exc))
            return False
        if not self._run(dialog):
            return False
        self.reload("Signed and locked.")
        self.respond()
        return True

    def respond(self) -> bool:
        """The supervisee acknowledges the signed record or says why they disagree (for a
        group record: one attendee, chosen in the dialog, in their own name)."""
        state = self.state
        if state is None or not state.signed:
            return False
        record = self._host.saved_record()
        pending = self._yet_to_respond(record)
        if pending is None and state.supervisee_response is not None:
            return False
        if pending is not None and not pending:
            return False
        dialog = SuperviseeResponseDialog(
            self._ctx, record.id, supervisee_names=self._supervisee_names(record),
            attendees=pending, parent=self._window,
        )  # fmt: skip
        if not self._run(dialog):
            return False
        self.reload(
            "The attendee's response is recorded." if pending is not None
            else "The supervisee's response is recorded."
        )  # fmt: skip
        return True

    def _yet_to_respond(self, record: SessionRecord) -> list[tuple[str, str]] | None:
        """For a group record, (id, name) of each attendee yet to respond; None otherwise."""
        if not self._ctx.catalogue.is_group(record.type):
            return None
        said = self._ctx.records.attendee_responses(record.id)
        out = []
        for worker_id in record.attendees:
            worker = self._ctx.workers.get(worker_id)
            if worker is not None and worker_id not in said:
                out.append((worker_id, worker.name))
        return out

    def add_addendum(self) -> bool:
        """A correction or addition to the signed record."""
        if not self.locked:
            return False
        record = self._host.saved_record()
        dialog = AddendumDialog(
            self._ctx, record.id, title=self._host.windowTitle(), parent=self._window
        )
        if not self._run(dialog):
            return False
        self.reload("Addendum added.")
        return True

    def countersign(self) -> bool:
        """A QA reviewer countersigns the signed record, with comments (its own evidence)."""
        if not self.locked:
            return False
        from ui.forms.countersign_dialog import CountersignDialog

        record = self._host.saved_record()
        dialog = CountersignDialog(
            self._ctx, record.id, title=self._host.windowTitle(), parent=self._window
        )
        if not self._run(dialog):
            return False
        self.reload("Countersigned for quality assurance.")
        self.countersigned.emit(record.id)
        return True

    def export_pdf(self) -> Path | None:
        """Save if need be, then export the record as it is saved."""
        if not self._host.ensure_saved():
            return None
        return self.exporter.export_record(self._host.saved_record().id)

    def print_record(self) -> Path | None:
        """Save if need be, then open a print copy in the PDF viewer."""
        if not self._host.ensure_saved():
            return None
        return self.exporter.print_record(self._host.saved_record().id)

    # Showing the state --------------------------------------------------------------------

    def reload(self, message: str = "") -> None:
        """Read the signature state again (after a save, a signature, a response…)."""
        record_id = self._host.saved_record().id
        self.state = self._ctx.records.state(record_id) if record_id else None
        self.show()
        if message:
            self.evidence_changed.emit(message)

    def show(self) -> None:
        """Banner, addenda, read-only fields and buttons for the signature state."""
        state = self.state
        signed = self.locked
        addenda = self._ctx.records.addenda(self._record_id()) if signed else []
        if state is not None:
            self.banner.show_state(state, len(addenda))
        self.addenda.set_addenda(addenda)
        if signed:
            self._host.lock()
        self.sign_button.setVisible(not signed)
        self.addendum_button.setVisible(signed)
        countersigned = self._ctx.qa.countersignature(self._record_id()) if signed else None
        self.banner.qa.setText(qa_line(countersigned) if signed else "")
        self.banner.qa.setVisible(signed)
        self.countersign_button.setVisible(signed and countersigned is None)
        record = self._host.saved_record()
        pending = self._yet_to_respond(record) if signed else None
        if signed and pending is not None:
            said = self._ctx.records.attendee_responses(record.id)
            names = self._names(record.attendees)
            self.banner.supervisee.setText(attendees_line(record.attendees, said, names))
        self.respond_button.setVisible(
            signed
            and state is not None
            and (bool(pending) if pending is not None else state.supervisee_response is None)
        )
        self.update_buttons()

    def update_buttons(self) -> None:
        """Enable what the form's state allows (called as the user edits)."""
        saved = bool(self._record_id())
        held = self._host.form_status() is SessionStatus.HELD
        self.sign_button.setEnabled(saved and held and not self.locked)
        if not saved:
            tip = "Save the session first"
        elif not held:
            tip = "Only the record of a held session is signed off"
        else:
            tip = "Sign off the saved record (your changes are saved first)"
        self.sign_button.setToolTip(tip)
        for button in (self.export_button, self.print_button):
            button.setEnabled(saved)
            button.setToolTip("" if saved else "Save the session first")

    # Internals ----------------------------------------------------------------------------

    def _record_id(self) -> str:
        return self._host.saved_record().id

    def _names(self, ids: list[str]) -> dict[str, str]:
        found = ((i, self._ctx.workers.get(i)) for i in ids)
        return {i: w.name for i, w in found if w is not None}

    def _supervisee_names(self, record: SessionRecord) -> list[str]:
        ids = record.attendees if self._ctx.catalogue.is_group(record.type) else [record.worker_id]
        workers = (self._ctx.workers.get(i) for i in ids if i)
        return [w.name for w in workers if w is not None]

    @staticmethod
    def _run(dialog: QDialog) -> bool:
        try:
            return dialog.exec() == QDialog.DialogCode.Accepted
        finally:
            dialog.deleteLater()
