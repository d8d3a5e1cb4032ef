"""Sign-off, the supervisee's response and addenda (DOMAIN.md §6).

Signing is never a bare OK button: the record-quality gaps come first, the supervisor types
their full name and ticks an explicit confirmation, and gaps must be accepted with a tick of
their own (or, when the policy blocks, signing is refused with the reason). The supervisee
responds in their own name — acknowledging, or disagreeing with a reason — and nobody responds
for them. Corrections to a signed record are addenda: author, reason and text.

Each dialog writes through ``RecordService`` on its main button, shows a message and stays
open when something is missing or refused, and keeps what it wrote for the caller.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.quality import QualityGap
from app.domain.records import SUPERVISOR_DECLARATION
from app.domain.rows import Addendum
from app.errors import KeelError, UsageError
from app.services.records import QualityGapsFound
from ui.context import AppContext
from ui.widgets.dates import DateEdit
from ui.widgets.focus import set_tab_order

CONFIRMATION = SUPERVISOR_DECLARATION


def _either(names: list[str]) -> str:
    """'Zoë', 'Zoë or Ben', 'Aisha, Ben or Zoë'."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def plain_label(text: str = "", *, name: str = "", style: str = "") -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    if name:
        label.setAccessibleDescription(name)
    if style:
        label.setStyleSheet(style)
    return label


def heading_label(text: str, *, name: str, scale: float = 1.0) -> QLabel:
    """The record a dialog acts on, as its bold heading (plain text: a title is data)."""
    label = plain_label(text, name=name)
    font = label.font()
    font.setBold(True)
    if scale != 1.0:
        font.setPointSizeF(font.pointSizeF() * scale)
    label.setFont(font)
    return label


def _box_style(background: str, colour: str, border: str) -> str:
    return (
        f"background: {background}; color: {colour}; border: 1px solid {border};"
        " border-radius: 4px; padding: 8px;"
    )


_WARN = _box_style("#fde7b0", "#5c3d00", "#e0b54a")
_BLOCK = _box_style("#f4c7c3", "#7a1010", "#d98b84")
_OK = _box_style("#cde8cf", "#1d5223", "#8cc493")


def _line(name: str, placeholder: str = "") -> QLineEdit:
    edit = QLineEdit()
    edit.setAccessibleName(name)
    edit.setPlaceholderText(placeholder)
    return edit


def _text(name: str, placeholder: str, lines: int) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setAccessibleName(name)
    edit.setPlaceholderText(placeholder)
    edit.setTabChangesFocus(True)
    edit.setFixedHeight(edit.fontMetrics().lineSpacing() * lines + 14)
    return edit


def _buttons(dialog: QDialog, ok_text: str, cancel_text: str = "Cancel") -> QDialogButtonBox:
    box = QDialogButtonBox()
    ok = box.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
    ok.setAccessibleName(ok_text)
    cancel = box.addButton(cancel_text, QDialogButtonBox.ButtonRole.RejectRole)
    cancel.setAccessibleName(cancel_text)
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    return box


class SignOffDialog(QDialog):
    """The supervisor signs and locks one saved, held record."""

    def __init__(
        self,
        ctx: AppContext,
        session_id: str,
        *,
        title: str,
        supervisor_name: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._session_id = session_id
        self._supervisor_name = supervisor_name
        self.fingerprint = ""
        self.gaps, self.blocking = ctx.records.gaps_before_signing(session_id)
        self.setWindowTitle("Sign off the record")
        self.setAccessibleName("Sign off the record")
        self.setMinimumWidth(560)

        heading = heading_label(title, name="Record being signed", scale=1.15)

        self.gap_box = self._gap_box()
        self.accept_gaps = QCheckBox("Sign with these gaps (they stay listed with the record)")
        self.accept_gaps.setAccessibleName("Sign with these gaps")
        self.accept_gaps.setVisible(bool(self.gaps) and not self.blocking)

        who = (
            f"The supervisor signs: type your full name as it appears on the record "
            f"({supervisor_name}), then tick the confirmation."
            if supervisor_name
            else "The supervisor signs: type your full name, then tick the confirmation."
        )
        self.who = plain_label(who, name="Who signs")
        self.name_edit = _line("Supervisor's full name", "Your full name")
        self.confirm = QCheckBox(CONFIRMATION)
        self.confirm.setAccessibleName(CONFIRMATION)
        locked = plain_label(
            "Once signed the record is locked: nothing in it can be edited. Corrections and "
            "later additions are made as addenda, shown with the record.",
            style="color: #444444;",
        )
        form = QFormLayout()
        name_label = QLabel("&Full name:")
        name_label.setBuddy(self.name_edit)
        form.addRow(name_label, self.name_edit)

        self.buttons = _buttons(self, "Sign and lock")
        self.sign_button = self.buttons.buttons()[0]
        assert isinstance(self.sign_button, QPushButton)
        self.sign_button.setAutoDefault(False)
        self.sign_button.setDefault(False)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.gap_box)
        layout.addWidget(self.accept_gaps)
        layout.addSpacing(6)
        layout.addWidget(self.who)
        layout.addLayout(form)
        layout.addWidget(self.confirm)
        layout.addWidget(locked)
        layout.addWidget(self.buttons)

        if self.blocking:
            for widget in (self.name_edit, self.confirm, self.sign_button):
                widget.setEnabled(False)
            self.sign_button.setToolTip("Your service's policy does not allow signing with gaps")
        set_tab_order(self.accept_gaps, self.name_edit, self.confirm)
        self.name_edit.setFocus()

    def _gap_box(self) -> QLabel:
        if not self.gaps:
            return plain_label(
                "✔ Record quality: nothing is missing from this record.",
                name="Record quality",
                style=_OK,
            )
        n = len(self.gaps)
        lines = [f"✖ {n} thing{'s are' if n != 1 else ' is'} missing from this record:"]
        lines += [f"  •  {g.message}" for g in self.gaps]
        if self.blocking:
            lines += [
                "",
                "Your service's policy does not allow a record with gaps to be signed. "
                "Close this, fix each gap (click it in the Record quality panel to go there), "
                "save, and sign again.",
            ]
            style = _BLOCK
        else:
            lines += [
                "",
                "You can fix them first (close this and click a gap in the Record quality "
                "panel), or sign with them: tick “Sign with these gaps” below.",
            ]
            style = _WARN
        return plain_label("\n".join(lines), name="Record quality gaps", style=style)

    def gap_messages(self) -> list[str]:
        return [g.message for g in self.gaps]

    def accept(self) -> None:
        problem = self._problem()
        if problem is None:
            try:
                self.fingerprint = self._ctx.records.sign_off(
                    self._session_id,
                    self.name_edit.text(),
                    confirmed=self.confirm.isChecked(),
                    accept_gaps=self.accept_gaps.isChecked(),
                )
            except QualityGapsFound as exc:
                problem = self._gaps_changed(exc.gaps, exc.blocking)
            except UsageError as exc:
                problem = str(exc)
            except KeelError as exc:
                QMessageBox.critical(self, "Not signed", f"The record was not signed: {exc}")
                return
        if problem is not None:
            QMessageBox.warning(self, "Not signed", problem)
            return
        super().accept()

    def _problem(self) -> str | None:
        """What the dialog refuses before asking the service (which checks everything)."""
        if self.blocking:
            return "This record cannot be signed until its gaps are fixed."
        if not self.name_edit.text().strip():
            self.name_edit.setFocus()
            return "Type your full name to sign."
        if self._supervisor_name and not _same_name(self.name_edit.text(), self._supervisor_name):
            self.name_edit.setFocus()
            return (
                f"The typed name does not match the supervisor on this record "
                f"({self._supervisor_name}). Only the supervisor signs: type their full name."
            )
        if not self.confirm.isChecked():
            self.confirm.setFocus()
            return f"Tick “{CONFIRMATION}” to sign."
        if self.gaps and not self.accept_gaps.isChecked():
            self.accept_gaps.setFocus()
            return (
                "This record has gaps. Tick “Sign with these gaps” to sign it as it is, or "
                "close this and fix them first."
            )
        return None

    def _gaps_changed(self, gaps: list[QualityGap], blocking: bool) -> str:
        """The record changed since the dialog opened (another window saved it)."""
        self.gaps, self.blocking = gaps, blocking
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        old = self.gap_box
        self.gap_box = self._gap_box()
        layout.replaceWidget(old, self.gap_box)
        old.deleteLater()
        self.accept_gaps.setChecked(False)
        self.accept_gaps.setVisible(not blocking)
        return "The record changed since this opened; check the gaps listed and sign again."


class SuperviseeResponseDialog(QDialog):
    """The supervisee acknowledges the signed record, or records that they disagree and why."""

    def __init__(
        self,
        ctx: AppContext,
        session_id: str,
        *,
        supervisee_names: list[str],
        attendees: list[tuple[str, str]] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """``attendees``: for a group record, (worker id, name) of each attendee yet to
        respond; the dialog then asks who is responding, and takes that attendee's name."""
        super().__init__(parent)
        self._ctx = ctx
        self._session_id = session_id
        self._names = [n for n in supervisee_names if n.strip()]
        self._attendees = list(attendees or [])
        self.attendee: QComboBox | None = None
        if attendees is not None:
            self.attendee = QComboBox()
            self.attendee.setAccessibleName("Attendee responding")
            for worker_id, name in self._attendees:
                self.attendee.addItem(name, worker_id)
            self.attendee.setCurrentIndex(-1)
        self.setWindowTitle("Supervisee's response")
        self.setAccessibleName("Supervisee's response")
        self.setMinimumWidth(560)
        who = _either(self._names) if self._names else "the supervisee"
        intro = plain_label(
            f"For {who} to complete in their own words. Read the record (export or print it "
            "if you need to), then say whether you agree with it. If you disagree, or do not "
            "want to sign, say why: that is kept with the record. Nobody responds for you.",
            name="About the supervisee's response",
        )
        self.acknowledge = QRadioButton("Supervisee &acknowledges the record as accurate")
        self.acknowledge.setAccessibleName("Supervisee acknowledges")
        self.disagree = QRadioButton("Supervisee &disagrees with the record (or will not sign)")
        self.disagree.setAccessibleName("Supervisee disagrees")
        self._choice = QButtonGroup(self)
        self._choice.addButton(self.acknowledge)
        self._choice.addButton(self.disagree)
        self.reason = _text(
            "What the supervisee disagrees with",
            "Required when disagreeing: what is inaccurate or missing, in the supervisee's words",
            4,
        )
        self.reason_label = QLabel("&Why (required):")
        self.reason_label.setBuddy(self.reason)
        self.name_edit = _line("Supervisee's full name", "The supervisee types their own name")
        name_label = QLabel("Supervisee's &full name:")
        name_label.setBuddy(self.name_edit)
        self.copy_received = QCheckBox("I have &received a copy of this record")
        self.copy_received.setAccessibleName("Supervisee has received a copy")
        self.copy_date = DateEdit(ctx.today())
        self.copy_date.setAccessibleName("Date the copy was given")
        copy_label = QLabel("Copy &given on:")
        copy_label.setBuddy(self.copy_date)
        self.copy_deadline = plain_label()
        form = QFormLayout()
        form.addRow(self.reason_label, self.reason)
        form.addRow(self.copy_received)
        form.addRow(copy_label, self.copy_date)
        form.addRow(self.copy_deadline)
        form.addRow(name_label, self.name_edit)
        self._copy_label = copy_label
        self.buttons = _buttons(self, "Record response", "Later")
        self.record_button = self.buttons.buttons()[0]
        later = plain_label(
            "“Later” leaves the record awaiting the supervisee; respond from the record at any "
            "time.",
            style="color: #444444;",
        )
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        if self.attendee is not None:  # who responds comes first
            attendee_label = QLabel("A&ttendee responding:")
            attendee_label.setBuddy(self.attendee)
            chooser = QFormLayout()
            chooser.addRow(attendee_label, self.attendee)
            layout.addLayout(chooser)
        layout.addWidget(self.acknowledge)
        layout.addWidget(self.disagree)
        layout.addLayout(form)
        layout.addWidget(later)
        layout.addWidget(self.buttons)
        self.disagree.toggled.connect(self._update)
        self.copy_received.toggled.connect(self._update)
        self.copy_date.dateChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        disagreeing = self.disagree.isChecked()
        self.reason.setEnabled(disagreeing)
        self.reason_label.setEnabled(disagreeing)
        received = self.copy_received.isChecked()
        self.copy_date.setEnabled(received)
        self._copy_label.setEnabled(received)
        self.copy_deadline.setText(
            self._ctx.records.copy_words(
                self._session_id, self.copy_date.value() if received else None
            )
        )

    def accept(self) -> None:
        problem = self._problem()
        if problem is None:
            try:
                self._ctx.records.respond(
                    self._session_id,
                    agree=self.acknowledge.isChecked(),
                    name=self.name_edit.text(),
                    comment=self.reason.toPlainText() if self.disagree.isChecked() else "",
                    copy_received=self.copy_received.isChecked(),
                    copy_given_on=(
                        self.copy_date.value() if self.copy_received.isChecked() else None
                    ),
                    attendee_id=self._attendee_id(),
                )
            except UsageError as exc:
                problem = str(exc)
            except KeelError as exc:
                QMessageBox.critical(self, "Not recorded", f"The response was not saved: {exc}")
                return
        if problem is not None:
            QMessageBox.warning(self, "Response not recorded", problem)
            return
        super().accept()

    def _attendee_id(self) -> str | None:
        if self.attendee is None or self.attendee.currentIndex() < 0:
            return None
        return str(self.attendee.currentData())

    def _problem(self) -> str | None:
        if self.attendee is not None:
            if self.attendee.currentIndex() < 0:
                self.attendee.setFocus()
                return "Choose the attendee who is responding: each responds in their own name."
            self._names = [self.attendee.currentText()]
        if not (self.acknowledge.isChecked() or self.disagree.isChecked()):
            return "Choose whether the supervisee acknowledges the record or disagrees with it."
        if self.disagree.isChecked() and not self.reason.toPlainText().strip():
            self.reason.setFocus()
            return "Say what the supervisee disagrees with: a disagreement needs its reason."
        typed = self.name_edit.text()
        if not typed.strip():
            self.name_edit.setFocus()
            return "The supervisee types their full name."
        if self._names and not any(_same_name(typed, n) for n in self._names):
            self.name_edit.setFocus()
            return (
                f"The typed name does not match the supervisee on this record "
                f"({_either(self._names)}). The supervisee types their own name: nobody "
                "responds for them."
            )
        return None


class AddendumDialog(QDialog):
    """A correction or addition to a signed record: author, reason and text, all required."""

    def __init__(
        self, ctx: AppContext, session_id: str, *, title: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._session_id = session_id
        self.addendum: Addendum | None = None
        self.setWindowTitle("Add an addendum")
        self.setAccessibleName("Add an addendum")
        self.setMinimumWidth(600)
        heading = heading_label(title, name="Record")
        intro = plain_label(
            "The record is signed and locked. An addendum corrects or adds to it without "
            "changing it. It is shown with the record on screen and in every export, with its "
            "author, the date and time it was added, and the reason.",
            name="About addenda",
        )
        self.author = _line("Author", "Your full name")
        self.reason = _line("Reason", "e.g. Due date of an action typed wrongly")
        self.text = _text(
            "Addendum text", "The correction or addition, as it should be read with the record", 6
        )
        form = QFormLayout()
        for text, field in (
            ("&Author:", self.author),
            ("&Reason:", self.reason),
            ("&Text:", self.text),
        ):
            label = QLabel(text)
            label.setBuddy(field)
            form.addRow(label, field)
        self.buttons = _buttons(self, "Add addendum")
        self.add_button = self.buttons.buttons()[0]
        assert isinstance(self.add_button, QPushButton)
        self.add_button.setAutoDefault(False)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.author.setFocus()

    def accept(self) -> None:
        missing = [
            (field, what)
            for field, what, value in (
                (self.author, "who is writing it (Author)", self.author.text()),
                (self.reason, "why it is needed (Reason)", self.reason.text()),
                (self.text, "the addendum itself (Text)", self.text.toPlainText()),
            )
            if not value.strip()
        ]
        if missing:
            missing[0][0].setFocus()
            QMessageBox.warning(
                self,
                "Addendum not added",
                "An addendum needs its author, a reason and the text. Fill in "
                + " and ".join(what for _, what in missing)
                + ".",
            )
            return
        try:
            self.addendum = self._ctx.records.add_addendum(
                self._session_id,
                author=self.author.text(),
                reason=self.reason.text(),
                text=self.text.toPlainText(),
            )
        except UsageError as exc:
            QMessageBox.warning(self, "Addendum not added", str(exc))
            return
        except KeelError as exc:
            QMessageBox.critical(self, "Addendum not added", f"The addendum was not saved: {exc}")
            return
        super().accept()
