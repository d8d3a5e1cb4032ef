"""The session form: one window per session, for each of the three supervision types.

The form holds a ``SessionRecord`` spread over its sections. Every change refreshes the
record-quality panel and, after a short pause or when a field loses focus, is kept as a draft
in the database, so a laptop that dies mid-session loses nothing. Saving writes the record in
one transaction and discards the draft.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.dates import uk
from app.domain.model import SessionStatus, TypeKey, Worker
from app.domain.records import (
    ActionOwner,
    ActionStatus,
    Escalation,
    SessionRecord,
    SupportKind,
    Workload,
)
from app.domain.rows import Draft
from app.errors import KeelError, UsageError
from ui.context import AppContext
from ui.forms.common_sections import (
    ConfidentialSection,
    DetailsSection,
    DiscussionSection,
    RiskSection,
    Section,
    ThemesSection,
)
from ui.forms.flag_dialog import GovernanceLinks, record_theme_ids, tagging_names
from ui.forms.form_state import record_from_state, record_to_state
from ui.forms.quality_panel import QualityPanel
from ui.forms.record_evidence import RecordEvidence, lock_fields
from ui.forms.record_tables import (
    OWNER_LABELS,
    ActionsSection,
    CarriedAction,
    CarriedForwardSection,
    DecisionsSection,
    IncidentsSection,
    RecordTable,
)
from ui.forms.session_sections import (
    AgendaSection,
    AttendeesSection,
    CaseDiscussionSection,
    GroupThemesSection,
    NextSessionSection,
    StaffViewSection,
    WellbeingSection,
)
from ui.tasks import exclusive_task_running
from ui.widgets.accessibility import name_inner_controls
from ui.widgets.focus import set_tab_order

DRAFT_DELAY_MS = 700


def _local_time(stamp: str) -> str:
    """'2026-11-26T14:32:05Z' → '26 Nov 2026 at 14:32' in local time."""
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone()
    except ValueError:
        return stamp
    return f"{uk(when.date())} at {when:%H:%M}"


class SessionForm(QMainWindow):
    """A top-level, non-modal window recording one session of one type (a main window, so a
    screen reader announces it as a window, named with its worker and date)."""

    session_saved = Signal(list)  # ids of the workers whose schedule the save changed

    # Construction -------------------------------------------------------------------------

    @classmethod
    def for_new(
        cls,
        ctx: AppContext,
        type_: TypeKey,
        worker_id: str | None,
        on: date,
        parent: QWidget | None = None,
    ) -> SessionForm:
        """A new session; an unsaved draft of one for this worker and type is restored."""
        record = ctx.sessions.new_record(type_, worker_id, on)
        draft = ctx.sessions.draft_for(session_id=None, worker_id=worker_id, type_=type_)
        return cls(ctx, record, draft=draft, draft_worker=worker_id, parent=parent)

    @classmethod
    def for_existing(
        cls, ctx: AppContext, session_id: str, parent: QWidget | None = None
    ) -> SessionForm:
        """A saved session; a draft written after its last save is restored."""
        record = ctx.sessions.get(session_id)
        if record is None:
            raise UsageError("That session no longer exists. Refresh the list and try again.")
        draft = ctx.sessions.draft_for(session_id=session_id, worker_id=None, type_=record.type)
        worker = record.worker_id or (record.attendees[0] if record.attendees else None)
        return cls(ctx, record, draft=draft, draft_worker=worker, parent=parent)

    def __init__(
        self,
        ctx: AppContext,
        record: SessionRecord,
        *,
        draft: Draft | None = None,
        draft_worker: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._type = record.type
        # The type's catalogue entry (title, kind, agenda) as the policy words it today.
        self._spec = ctx.catalogue.spec(record.type)
        self._base = replace(record)
        self.evidence = RecordEvidence(ctx, self, self)
        dropped = draft if draft is not None and self.locked else None
        if dropped is not None:
            draft = None  # a signed record takes no edits: see _drop_draft
        self._draft_worker = draft_worker
        self._draft_id = draft.id if draft else ctx.sessions.new_draft_id()
        self._draft_written = draft is not None
        self._last_draft: dict[str, Any] | None = draft.data if draft else None
        self._loading = False
        self._refreshing = False
        self._quitting = False
        self._second_ok: date | None = None  # a second session that day, confirmed
        self._supervisee = ctx.workers.get(record.worker_id) if record.worker_id else None
        self._template_blocks = ctx.sessions.template_items_block()
        self.setAccessibleName(self._spec.label)
        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_DELAY_MS)
        self._draft_timer.timeout.connect(self.keep_draft)
        self._build()
        self._load(record)
        self._baseline = self.state()
        if draft is not None:
            self._load(record_from_state(draft.data))
            self._last_draft = self.state()
            self.show_info(
                f"Restored your unsaved draft from {_local_time(draft.updated_at)}. "
                "Save to keep it as the record, or close and discard it."
            )
        if dropped is not None:
            self._drop_draft(dropped)
        self.evidence.show()
        self.governance.reload()
        self._update_status_line()
        self.resize(1300, 740)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self._on_app_quitting)

    def _build(self) -> None:
        ctx, spec = self._ctx, self._spec
        group = spec.is_group
        workers = ctx.workers.all()
        # Active themes, plus retired ones this record carries (so re-saving keeps them).
        themes = tagging_names(ctx.themes.themes_for_tagging(already=record_theme_ids(self._base)))
        self.info_banner = self._banner("infoBanner", "#e3effb", "#0b3d66", "#9cc3e6")
        self.error_banner = self._banner("errorBanner", "#f4c7c3", "#7a1010", "#d98b84")
        self.heading = QLabel(self)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.heading.setFont(font)

        self.details = DetailsSection(spec, self._supervisee, workers)
        self.attendees = AttendeesSection(workers) if group else None
        self.agenda = None if group else AgendaSection(spec)
        self.carried = None if group else CarriedForwardSection()
        self.case_discussion = CaseDiscussionSection() if group else None
        self.discussion = DiscussionSection()
        self.decisions = DecisionsSection()
        self.decisions.set_themes(themes)
        self.actions_section = ActionsSection(group=group, default_date=self._default_due)
        self.risk = RiskSection()
        self.themes: ThemesSection | GroupThemesSection = (
            GroupThemesSection(themes, spec) if group else ThemesSection(themes)
        )
        self.wellbeing = None if group else WellbeingSection()
        self.incidents = IncidentsSection()
        self.staff_view = None if group else StaffViewSection()
        self.next_session = NextSessionSection(self._frequency_words())
        self.confidential = ConfidentialSection()
        candidates: list[Section | None] = [
            self.details,
            self.attendees,
            self.agenda,
            self.carried,
            self.case_discussion,
            self.discussion,
            self.decisions,
            self.actions_section,
            self.risk,
            self.themes,
            self.wellbeing,
            self.incidents,
            self.staff_view,
            self.next_session,
            self.confidential,
        ]
        self.sections: list[Section] = [s for s in candidates if s is not None]
        self.content = content = QWidget()
        content.setObjectName("formContent")
        content.setStyleSheet(
            "QGroupBox { font-weight: bold; }"
            "QGroupBox::title { subcontrol-origin: margin; left: 2px; padding: 0 2px; }"
        )
        column = QVBoxLayout(content)
        column.setSpacing(10)
        column.addWidget(self.heading)
        column.addWidget(self.evidence.addenda)
        for section in self.sections:
            column.addWidget(section)
            section.changed.connect(self._on_changed)
        column.addStretch(1)
        self.scroll_area = QScrollArea(self)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setWidget(content)
        self.scroll_area.setAccessibleName("Session record")

        self.quality = QualityPanel(self)
        self.quality.setFixedWidth(300)
        body = QHBoxLayout()
        body.addWidget(self.scroll_area, 1)
        body.addWidget(self.quality)

        self.governance = GovernanceLinks(ctx, self, self)  # items this session fed
        column.insertWidget(1, self.governance.label)
        self.status_line = QLabel(self)
        self.status_line.setAccessibleDescription("Save status")
        self.save_button = QPushButton("Save", self)
        self.save_button.setAccessibleName("Save the session")
        self.save_button.setToolTip("Save the session (Ctrl+S)")
        self.save_button.setDefault(False)
        self.close_button = QPushButton("Close", self)
        self.close_button.setAccessibleName("Close the form")
        self.close_button.setToolTip("Close (Esc)")
        footer = QHBoxLayout()
        footer.addWidget(self.status_line, 1)
        for button in (
            self.governance.flag_button,
            *self.evidence.buttons(),
            self.save_button,
            self.close_button,
        ):
            footer.addWidget(button)
        # The evidence buttons exist before the form's fields: Tab reaches them after the
        # fields, just before Save.
        previous: QWidget = self.save_button
        while (earlier := previous.previousInFocusChain()) is not None and earlier is not self:
            previous = earlier
            if previous.focusPolicy() & Qt.FocusPolicy.TabFocus:
                break
        set_tab_order(previous, *self.evidence.buttons(), self.save_button)

        central = QWidget(self)
        self.setCentralWidget(central)
        layout = QVBoxLayout(central)
        layout.addWidget(self.info_banner)
        layout.addWidget(self.error_banner)
        layout.addWidget(self.evidence.banner)
        layout.addLayout(body, 1)
        layout.addLayout(footer)

        self.quality.gap_activated.connect(self.go_to_gap)
        self.save_button.clicked.connect(self.save)
        self.close_button.clicked.connect(self.close)
        self.evidence.evidence_changed.connect(self._update_status_line)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)
        name_inner_controls(self)
        for widget in content.findChildren(QWidget):
            if widget.focusPolicy() != Qt.FocusPolicy.NoFocus:
                widget.installEventFilter(self)

    def _banner(self, name: str, background: str, colour: str, border: str) -> QLabel:
        label = QLabel(self)
        label.setObjectName(name)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setWordWrap(True)
        label.setStyleSheet(
            f"#{name} {{ background: {background}; color: {colour};"
            f" border: 1px solid {border}; border-radius: 4px; padding: 6px; }}"
        )
        label.hide()
        return label

    # Public -------------------------------------------------------------------------------

    @property
    def session_id(self) -> str:
        """The saved session's id ("" until the first save)."""
        return self._base.id

    @property
    def draft_id(self) -> str:
        return self._draft_id

    def record(self) -> SessionRecord:
        """The record as the form holds it now (nothing is written)."""
        record = replace(
            self._base,
            attendees=list(self._base.attendees),
            checklist=dict(self._base.checklist),
        )
        for section in self.sections:
            section.fill(record)
        return record

    def state(self) -> dict[str, Any]:
        """The form's state as JSON-serialisable values (what a draft keeps)."""
        return record_to_state(self.record())

    def has_unsaved_changes(self) -> bool:
        return self.state() != self._baseline

    def save(self) -> bool:
        """Save the record; on failure say why and keep everything typed."""
        if self.locked:
            QMessageBox.warning(
                self,
                "This record is signed",
                "This record is signed and locked: it cannot be changed. Corrections and "
                "additions are addenda — use “Add addendum…”.",
            )
            return False
        self._commit_tables()
        self._draft_timer.stop()
        record = self.record()
        problem = self._problem(record)
        if problem is None and not self._second_session_confirmed(record):
            return False
        if problem is None:
            try:
                saved = self._ctx.sessions.save(record, draft_id=self._draft_id)
            except UsageError as exc:
                problem = str(exc)
            except KeelError as exc:
                message = f"Your last change was not saved: {exc}"
                self.show_error(message)
                QMessageBox.critical(self, "Not saved", f"{message}\n\nWhat you typed is kept.")
                return False
        if problem is not None:
            QMessageBox.warning(self, "This session cannot be saved yet", problem)
            return False
        before = [*self._base.attendees, self._base.worker_id]
        affected = list(dict.fromkeys(w for w in (*saved.affected_workers, *before) if w))
        stored = self._ctx.sessions.get(saved.record.id) or saved.record
        self._base = replace(stored)
        self._load(stored)
        self._baseline = self.state()
        self._draft_id = self._ctx.sessions.new_draft_id()
        self._draft_written = False
        self._last_draft = None
        self.error_banner.hide()
        self.info_banner.hide()
        self.evidence.reload()
        self.governance.reload()
        self._update_status_line(f"Saved at {datetime.now():%H:%M}.")
        self.session_saved.emit(affected)
        return True

    def _second_session_confirmed(self, record: SessionRecord) -> bool:
        """A second session of this type for this worker on one day is most often a slip
        (the booking was there to be recorded): ask before saving it, once per date."""
        if record.status is SessionStatus.CANCELLED or self._second_ok == record.session_date:
            return True
        from app.services.sessions import same_day_words

        if record.worker_id is not None:
            others = self._ctx.sessions.same_day(
                record.worker_id, record.type, record.session_date, besides=record.id
            )
            if not others:
                return True
            name = self._supervisee.name if self._supervisee else "This worker"
            already = f"{name} already has"
            what = same_day_words(others)
        else:
            # A group session: each attendee who already has one of this type that day.
            found = self._ctx.sessions.same_day_for(
                record.attendees, record.type, record.session_date, besides=record.id
            )
            if not found:
                return True
            names = list(dict.fromkeys(name for name, _s in found))
            shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            already = f"{shown} already {'has' if len(names) == 1 else 'have'}"
            what = same_day_words([found[0][1]])
        answer = QMessageBox.question(
            self,
            "A second session that day?",
            f"{already} a {self._spec.name.lower()} session on "
            f"{uk(record.session_date)} ({what}). Save this one as a second session that day? "
            "(To record a booked session, open it from the scheduler's cell instead.)",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        self._second_ok = record.session_date
        return True

    def keep_draft(self) -> bool:
        """Write the form's state as a draft now (it is also done as the user types). While
        the database file is being converted the draft waits (the text stays in the form)."""
        self._draft_timer.stop()
        if exclusive_task_running():
            self._draft_timer.start()
            return False
        state = self.state()
        try:
            if state == self._baseline:
                if self._draft_written:
                    self._ctx.sessions.discard_draft(self._draft_id)
                    self._draft_written = False
                    self._last_draft = None
            elif state != self._last_draft:
                self._ctx.sessions.save_draft(
                    self._draft_id,
                    self._type,
                    state,
                    session_id=self._base.id or None,
                    worker_id=self._draft_worker,
                )
                self._draft_written = True
                self._last_draft = state
        except KeelError as exc:
            self.show_error(f"Your last change was not saved: {exc}")
            self._update_status_line()
            return False
        if self.error_banner.property("from_draft"):
            self.error_banner.hide()
        self._update_status_line()
        return True

    def close_keeping_draft(self) -> None:
        """Close without asking, keeping any unsaved work as a draft (the app is quitting)."""
        self._quitting = True
        self.close()

    def show_info(self, text: str) -> None:
        self.info_banner.setText(text)
        self.info_banner.show()

    def show_error(self, text: str) -> None:
        self.error_banner.setText(text)
        self.error_banner.setProperty("from_draft", True)
        self.error_banner.show()

    def go_to_gap(self, code: str) -> None:
        """Scroll to the field a quality gap is about and put the cursor in it."""
        target = self._gap_targets().get(code)
        if target is None:
            return
        section = next((s for s in self.sections if s.isAncestorOf(target)), target)
        self.scroll_area.ensureWidgetVisible(section, 0, 0)
        self.scroll_area.ensureWidgetVisible(target)
        target.setFocus(Qt.FocusReason.OtherFocusReason)

    def _gap_targets(self) -> dict[str, QWidget]:
        issues: QWidget = (
            self.case_discussion.text
            if self.case_discussion is not None
            else self.discussion.issues
        )
        targets: dict[str, QWidget] = {
            "issues": issues,
            "decision": self.decisions.table.add_button or self.decisions.table.view,
            "rationale": self.decisions.table.view,
            "action": self.actions_section.table.view,
            "risk": self.risk.answer.button(True),
            "risk_refs": self.risk.case_refs,
            "qualified": self.details.supervisor,
            "supervisor": self.details.supervisor,
        }
        if self.attendees is not None and self.attendees.list.filter is not None:
            targets["attendees"] = self.attendees.list.filter
        targets["safeguarding"] = self.risk.safeguarding.button(True)
        targets["safeguarding_notes"] = self.risk.safeguarding_notes
        targets["incident"] = self.incidents.table.view
        targets["next_session"] = self.next_session.book
        if self.wellbeing is not None:
            targets["workload"] = self.wellbeing.workload.button(Workload.MANAGEABLE)
            targets["workload_support"] = self.wellbeing.workload_support
            targets["sickness"] = self.wellbeing.sickness_days
            targets["return_to_work"] = self.wellbeing.return_to_work.button(True)
            targets["support"] = self.wellbeing.support_kinds[SupportKind.OCCUPATIONAL_HEALTH]
        if self.staff_view is not None:
            targets["escalation"] = self.staff_view.escalation.button(Escalation.NONE)
        return targets

    def quality_messages(self) -> list[str]:
        """What the quality panel lists now."""
        return self.quality.messages()

    # Evidence: sign-off, supervisee response, addenda, export and print -------------------

    @property
    def locked(self) -> bool:
        """True once the record is signed: it takes no edits, only addenda."""
        return self.evidence.locked

    def saved_record(self) -> SessionRecord:
        """The record as last saved (what is signed and exported)."""
        return self._base

    def form_status(self) -> SessionStatus:
        status = self.details.status.value()
        return status if isinstance(status, SessionStatus) else SessionStatus.HELD

    def ensure_saved(self) -> bool:
        """What is signed or exported is the saved record: save the form first if need be."""
        self._commit_tables()
        if self._base.id and (self.locked or not self.has_unsaved_changes()):
            return True
        return self.save()

    def lock(self) -> None:
        """The record is signed: every field read-only, no saving, no drafts."""
        self._draft_timer.stop()
        lock_fields(self.content)
        self.quality.set_signed(True)
        self.save_button.hide()

    def _drop_draft(self, draft: Draft) -> None:
        """Typing kept as a draft after the record was signed (in another window) cannot
        change it: say so, keep nothing the record cannot take, and point to addenda."""
        try:
            self._ctx.sessions.discard_draft(draft.id)
        except KeelError as exc:
            self.show_error(f"An old draft of this record could not be deleted: {exc}")
            return
        self.show_info(
            f"Changes kept as a draft on {_local_time(draft.updated_at)} were not applied: "
            "this record was signed and is locked. Add any correction as an addendum."
        )

    # Loading and refreshing ---------------------------------------------------------------

    def _load(self, record: SessionRecord) -> None:
        self._loading = True
        try:
            if self.attendees is not None:
                self._add_missing_attendees(record.attendees)
            if record.supervisor_id and self.details.supervisor.findData(record.supervisor_id) < 0:
                supervisor = self._ctx.workers.get(record.supervisor_id)
                if supervisor is not None:
                    self.details.add_supervisor(supervisor)
            if self.carried is not None:
                self.carried.set_actions(self._carried_actions(record))
            for section in self.sections:
                section.load(record)
        finally:
            self._loading = False
        self._refresh()

    def _add_missing_attendees(self, ids: list[str]) -> None:
        """Attendees of a saved session who have left since still show, ticked."""
        assert self.attendees is not None
        listed = {i for i, _ in self.attendees.list.model._items}
        missing = [w for w in (self._ctx.workers.get(i) for i in ids if i not in listed) if w]
        if missing:
            current = self._ctx.workers.all()
            self.attendees.set_workers(sorted([*current, *missing], key=_name_key))

    def _carried_actions(self, record: SessionRecord) -> list[CarriedAction]:
        """Open actions of this supervisee from earlier sessions, plus any this one reviewed."""
        if not record.worker_id:
            return []
        known = {
            a.id: a for a in self._ctx.sessions.actions(status=None, worker_id=record.worker_id)
        }
        open_ids = [
            a.id
            for a in self._ctx.sessions.carried_forward(
                record.worker_id, excluding_session=record.id or None
            )
        ]
        reviewed = [r.action_id for r in record.reviews]
        closed_here = {r.action_id: r.outcome is not ActionStatus.OPEN for r in self._base.reviews}
        out: list[CarriedAction] = []
        wanted = set(open_ids) | set(reviewed)
        for row in known.values():  # earliest due first, undated last
            action_id = row.id
            if action_id not in wanted:
                continue
            later = record.id and row.session_date > record.session_date
            if later and action_id not in reviewed:
                continue  # agreed after this session: not this session's to review
            owner = OWNER_LABELS.get(row.owner.value, "") if row.owner else "—"
            if row.owner is ActionOwner.OTHER and row.owner_name:
                owner = row.owner_name
            out.append(
                CarriedAction(
                    action_id=row.id,
                    description=row.description,
                    owner=owner,
                    due_date=row.due_date,
                    origin=f"{self._ctx.catalogue.name(row.session_type)} · {uk(row.session_date)}",
                    evidence=row.evidence,
                    status=row.status,
                    closed_here=closed_here.get(row.id, False),
                )
            )
        return out

    def _on_changed(self) -> None:
        if self._loading or self._refreshing or self.locked:
            return
        self._refresh()
        self._draft_timer.start()
        self._update_status_line()

    def _refresh(self) -> None:
        """Everything derived from the record: quality panel, title, group's action owners."""
        self._refreshing = True
        try:
            if self.attendees is not None:
                self.actions_section.model.set_attendees(self.attendees.attendees())
            record = self.record()
            if self.carried is not None:  # overdue on the session's date
                self.carried.model.set_as_of(record.session_date)
            decision_themes = [t for d in record.decisions for t in d.theme_ids]
            self.themes.set_decision_themes(decision_themes)
            self.quality.show_advice(
                self._ctx.sessions.template_gaps(record),
                blocking=self._template_blocks,
                held=record.status is SessionStatus.HELD,
            )
            self.quality.show_gaps(self._ctx.sessions.quality(record), record.status)
            self._order_quality_panel()
            title = f"{self._spec.label} — {self._who(record)} — {uk(record.session_date)}"
            self.setWindowTitle(title)
            self.setAccessibleName(title)
            self.heading.setText(f"{self._spec.label} — {self._who(record)}")
            self.evidence.update_buttons()
        finally:
            self._refreshing = False

    def _order_quality_panel(self) -> None:
        """Tab reads the quality panel's gaps after the form's fields (the panel stands to
        their right) and before the buttons below both. Gaps are made as they appear, at
        the end of the focus chain, so they are put in place each time."""
        labels = [label for label in self.quality.gap_labels() if label.isVisibleTo(self)]
        if not labels:
            return
        first_button = self.governance.flag_button
        before: QWidget = first_button
        while (earlier := before.previousInFocusChain()) is not None and earlier is not self:
            before = earlier
            if (
                before.focusPolicy() & Qt.FocusPolicy.TabFocus
                and not self.quality.isAncestorOf(before)
                and before is not first_button
            ):
                break
        set_tab_order(before, *labels, first_button)

    def _who(self, record: SessionRecord) -> str:
        if self._spec.is_group:
            n = len(record.attendees)
            return f"{n} attendee{'s' if n != 1 else ''}"
        return self._supervisee.name if self._supervisee else "no supervisee"

    def _update_status_line(self, text: str | None = None) -> None:
        if text is None:
            if not self.has_unsaved_changes():
                text = "No unsaved changes." if self._base.id else "Not saved yet."
            elif self._draft_timer.isActive():
                text = "Unsaved changes — keeping a draft…"
            elif self._draft_written:
                text = (
                    "Unsaved changes — kept as a draft on this computer. Save to keep the record."
                )
            else:
                text = "Unsaved changes."
        self.status_line.setText(text)

    def _frequency_words(self) -> str:
        if self._spec.is_group or self._base.worker_id is None:
            return "As the group meets"
        interval = self._ctx.sessions.interval_for(
            self._base.worker_id, self._type, self._ctx.today()
        )
        if interval is None:
            return "Not set (the worker has no interval for this type yet)"
        return f"Every {interval} days — the worker's current interval (not changed here)"

    def _default_due(self) -> date:
        return self.details.date.value() + timedelta(days=14)

    def _tables(self) -> list[RecordTable]:
        tables = [self.decisions.table, self.actions_section.table, self.incidents.table]
        if self.carried is not None:
            tables.append(self.carried.table)
        return tables

    def _commit_tables(self) -> None:
        for table in self._tables():
            table.commit_pending()

    def _problem(self, record: SessionRecord) -> str | None:
        """What the form refuses before asking the service (which checks the rest)."""
        if self.carried is not None:
            for row in self.carried.model.missing_reasons():
                return (
                    f"Say why the action “{row.description}” is dropped (type it in its Note "
                    "column), or mark it still open."
                )
        for action in record.actions:
            what = action.description.strip() or "with no description"
            if self._spec.is_group and not action.worker_id:
                return f"Choose who the action “{what}” is for (the For column)."
            if self._spec.is_group and action.worker_id not in record.attendees:
                return f"The action “{what}” is for someone not ticked as an attendee."
            if action.owner is ActionOwner.OTHER and not action.owner_name.strip():
                return f"Name the owner of the action “{what}”, or choose another owner."
        if record.status is SessionStatus.CANCELLED and not record.cancel_reason.strip():
            self.details.cancel_reason.setFocus()
            return "A cancelled session needs a reason. Type why it was cancelled."
        return None

    # Events -------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusOut and self._draft_timer.isActive():
            self.keep_draft()
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and not event.modifiers():
            self.close()
            return
        super().keyPressEvent(event)

    def _on_app_quitting(self) -> None:
        if self.isVisible():
            self._quitting = True
            self.keep_draft()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.isVisible():  # closed already (a window closing its forms on quit)
            event.accept()
            return
        self._commit_tables()
        self._draft_timer.stop()
        if self._quitting:
            self.keep_draft()
            event.accept()
            return
        if not self.has_unsaved_changes():
            self.keep_draft()  # discards a draft the user has undone
            event.accept()
            return
        answer = QMessageBox.question(
            self,
            "Unsaved changes",
            "Save the changes to this session before closing?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            if self.save():
                event.accept()
            else:
                event.ignore()
            return
        if answer == QMessageBox.StandardButton.Discard and self._confirm_discard():
            event.accept()
            return
        event.ignore()
        self._draft_timer.start()

    def _confirm_discard(self) -> bool:
        sure = QMessageBox.question(
            self,
            "Discard changes?",
            "Discard what you typed in this session? The draft kept for it will be deleted "
            "and cannot be recovered.",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if sure != QMessageBox.StandardButton.Discard:
            return False
        try:
            self._ctx.sessions.discard_draft(self._draft_id)
        except KeelError as exc:
            QMessageBox.warning(self, "Draft not deleted", f"The draft could not be deleted: {exc}")
        self._draft_written = False
        return True


def _name_key(worker: Worker) -> str:
    return worker.name.casefold()
