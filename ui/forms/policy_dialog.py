"""Settings → Supervision policy…: every number of the due-status rules, the service's details,
the supervision types, and the versions saved so far.

Saving never overwrites: it makes a new version with an effective date, who saved it and why.
The dialog says what is wrong in words as you type, and how many workers' statuses the change
would move before anything is saved. Its settings pages are built from the policy's
declarations (``app.domain.policy.SETTINGS``), so a new setting appears here by itself.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.dates import moment, uk
from app.domain.catalogue import (
    KEY_PATTERN,
    TIERS,
    Kind,
    SupervisorRole,
    TypeSpec,
    new_type,
)
from app.domain.policy import SETTINGS, TYPE_CHOICE, Policy, Section, Setting, differences
from app.errors import KeelError
from ui.context import AppContext
from ui.widgets.dates import DateEdit

_PREVIEW_DELAY_MS = 400


def _plain(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    return label


def key_for(label: str, taken: set[str]) -> str:
    """A type or agenda key from words: "Safeguarding supervision" → "safeguarding"."""
    words = re.sub(r"[^a-z0-9]+", "_", label.casefold()).strip("_")
    words = words.removesuffix("_supervision") or words
    if not words or not words[0].isalpha():
        words = f"t_{words}".strip("_")
    words = words[:40]
    key, n = words, 2
    while key in taken:
        key = f"{words[:36]}_{n}"
        n += 1
    return key


class _SettingField:
    """One declared setting's editor: a spin box, a check box, a line or a combo per entry."""

    def __init__(self, setting: Setting, policy: Policy, changed: Any) -> None:
        self.setting = setting
        self.widgets: dict[str, QWidget] = {}
        keys = setting.per or ("",)
        for key in keys:
            widget = self._make(policy)
            name = f"{setting.label} — {key.replace('_', ' ')}" if key else setting.label
            widget.setAccessibleName(name)
            if setting.help:
                widget.setToolTip(setting.help)
            self.widgets[key] = widget
        self.load(policy)
        for widget in self.widgets.values():
            for signal in ("valueChanged", "textChanged", "toggled", "currentIndexChanged"):
                if hasattr(widget, signal):
                    getattr(widget, signal).connect(changed)
                    break

    def _make(self, policy: Policy) -> QWidget:
        s = self.setting
        if s.value_type is bool:
            return QCheckBox(s.label)
        if s.value_type is int:
            spin = QSpinBox()
            spin.setRange(int(s.minimum or 0), int(s.maximum if s.maximum is not None else 10**6))
            if s.unit:
                spin.setSuffix(f" {s.unit}")
            return spin
        if s.value_type is float:
            dspin = QDoubleSpinBox()
            dspin.setDecimals(2)
            dspin.setSingleStep(0.05)
            dspin.setRange(s.minimum or 0.0, s.maximum if s.maximum is not None else 10.0**6)
            return dspin
        if s.choices == TYPE_CHOICE:
            combo = QComboBox()
            for t in policy.catalogue.active:
                combo.addItem(t.name, t.key)
            return combo
        if isinstance(s.choices, tuple) and s.choices:
            # A fixed list (the UK nation, the service year's first day): chosen, not typed.
            combo = QComboBox()
            for choice in s.choices:
                combo.addItem(choice, choice)
            return combo
        return QLineEdit()

    def load(self, policy: Policy) -> None:
        value = getattr(policy, self.setting.name)
        for key, widget in self.widgets.items():
            one = value[key] if key else value
            if isinstance(widget, QCheckBox):
                widget.setChecked(bool(one))
            elif isinstance(widget, QSpinBox | QDoubleSpinBox):
                widget.setValue(one)
            elif isinstance(widget, QComboBox):
                widget.setCurrentIndex(max(widget.findData(one), 0))
            elif isinstance(widget, QLineEdit):
                widget.setText(str(one))

    def value(self) -> Any:
        out: dict[str, Any] = {}
        for key, widget in self.widgets.items():
            if isinstance(widget, QCheckBox):
                out[key] = widget.isChecked()
            elif isinstance(widget, QSpinBox | QDoubleSpinBox):
                out[key] = widget.value()
            elif isinstance(widget, QComboBox):
                out[key] = widget.currentData()
            elif isinstance(widget, QLineEdit):
                out[key] = widget.text().strip()
        return out if self.setting.per else out[""]


class _TypeEditor(QGroupBox):
    """The fields of one supervision type (its key and, once saved, its kind never change)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Type", parent)
        self._spec: TypeSpec | None = None
        self._loading = False
        self.key_label = QLabel()
        self.key_label.setTextFormat(Qt.TextFormat.PlainText)
        self.label_edit = QLineEdit()
        self.label_edit.setAccessibleName("Type label")
        self.short_edit = QLineEdit()
        self.short_edit.setAccessibleName("Column heading")
        self.kind_combo = QComboBox()
        self.kind_combo.setAccessibleName("Kind")
        for kind in Kind:
            self.kind_combo.addItem(kind.label, kind.value)
        self.required_check = QCheckBox("A new worker's role requires it")
        self.required_check.setAccessibleName("Required by default")
        self.intervals = {
            t.value: self._days(f"{t.value.capitalize()}-tier interval") for t in TIERS
        }
        self.first_spin = self._days("First session within", minimum=0)
        self.caps_edit = QLineEdit()
        self.caps_edit.setAccessibleName("New-starter caps")
        self.caps_edit.setPlaceholderText("e.g. 42 → 7; 182 → 14   (days in post → every)")
        self.supervisor_combo = QComboBox()
        self.supervisor_combo.setAccessibleName("Led by")
        for role in SupervisorRole:
            self.supervisor_combo.addItem(role.label, role.value)
        self.qualified_check = QCheckBox("Its supervisor must be qualified (clinical in nature)")
        self.qualified_check.setAccessibleName("Qualified supervisor")
        self.duration_spin = QSpinBox()
        self.duration_spin.setRange(1, 24 * 60)
        self.duration_spin.setSuffix(" min")
        self.duration_spin.setAccessibleName("Usual length")
        self.intro_edit = QLineEdit()
        self.intro_edit.setAccessibleName("Agenda introduction")
        self.agenda_edit = QPlainTextEdit()
        self.agenda_edit.setAccessibleName("Agenda areas, one a line")
        self.agenda_edit.setTabChangesFocus(True)
        self.agenda_edit.setMinimumHeight(86)
        every = QHBoxLayout()
        for tier in TIERS:
            every.addWidget(QLabel(f"{tier.value.capitalize()}:"))
            every.addWidget(self.intervals[tier.value])
        every.addStretch(1)
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Key:", self.key_label)
        form.addRow("&Label:", self.label_edit)
        form.addRow("Column &heading:", self.short_edit)
        form.addRow("&Kind:", self.kind_combo)
        form.addRow("", self.required_check)
        form.addRow("Every (days):", every)
        form.addRow("&First session:", self.first_spin)
        form.addRow("&New starters:", self.caps_edit)
        form.addRow("Led &by:", self.supervisor_combo)
        form.addRow("", self.qualified_check)
        form.addRow("Usual len&gth:", self.duration_spin)
        form.addRow("Agenda &intro:", self.intro_edit)
        form.addRow("&Agenda areas:", self.agenda_edit)
        for signal in (
            self.label_edit.textChanged,
            self.short_edit.textChanged,
            self.kind_combo.currentIndexChanged,
            self.required_check.toggled,
            *(s.valueChanged for s in self.intervals.values()),
            self.first_spin.valueChanged,
            self.caps_edit.textChanged,
            self.supervisor_combo.currentIndexChanged,
            self.qualified_check.toggled,
            self.duration_spin.valueChanged,
            self.intro_edit.textChanged,
            self.agenda_edit.textChanged,
        ):
            signal.connect(self._edited)

    @staticmethod
    def _days(name: str, *, minimum: int = 1) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(minimum, 3650)
        spin.setSuffix(" days")
        spin.setAccessibleName(name)
        return spin

    def load(self, spec: TypeSpec, *, kind_fixed: bool) -> None:
        self._loading = True
        self._spec = spec
        self.setTitle(spec.label + (" (retired)" if spec.retired else ""))
        self.key_label.setText(f"{spec.key}  (stored on every record; never changes)")
        self.label_edit.setText(spec.label)
        self.short_edit.setText(spec.short_label)
        self.kind_combo.setCurrentIndex(max(self.kind_combo.findData(spec.kind.value), 0))
        self.kind_combo.setEnabled(not kind_fixed)
        self.kind_combo.setToolTip(
            "A saved type keeps its kind: add a new type instead." if kind_fixed else ""
        )
        self.required_check.setChecked(spec.required_by_default)
        for tier in TIERS:
            self.intervals[tier.value].setValue(int(spec.intervals.get(tier.value, 1)))
        self.first_spin.setValue(spec.first_window_days)
        self.caps_edit.setText("; ".join(f"{a} → {b}" for a, b in spec.new_starter_caps))
        self.supervisor_combo.setCurrentIndex(
            max(self.supervisor_combo.findData(spec.supervisor.value), 0)
        )
        self.qualified_check.setChecked(spec.qualified_supervisor)
        self.duration_spin.setValue(spec.duration_minutes)
        self.intro_edit.setText(spec.agenda_intro)
        self.agenda_edit.setPlainText("\n".join(words for _k, words in spec.agenda))
        self._loading = False

    def _edited(self, *_args: object) -> None:
        if not self._loading:
            self.changed.emit()

    def caps(self) -> tuple[tuple[int, int], ...] | str:
        """The new-starter caps typed, or why they cannot be read."""
        text = self.caps_edit.text().strip()
        if not text:
            return ()
        out = []
        for part in re.split(r"[;,]", text):
            numbers = re.findall(r"\d+", part)
            if len(numbers) != 2:
                return (
                    f"New starters: write each cap as days in post → interval, e.g. “42 → 7”, "
                    f"separated by ';' (not “{part.strip()}”)"
                )
            out.append((int(numbers[0]), int(numbers[1])))
        return tuple(out)

    def spec(self) -> TypeSpec | str:
        """The type as the fields say, or why it cannot be read."""
        assert self._spec is not None
        caps = self.caps()
        if isinstance(caps, str):
            return caps
        old = dict(self._spec.agenda)
        by_words = {v: k for k, v in old.items()}
        agenda: list[tuple[str, str]] = []
        for line in self.agenda_edit.toPlainText().splitlines():
            words = line.strip()
            if not words:
                continue
            key = by_words.get(words) or key_for(words, {k for k, _ in agenda} | set(old))
            agenda.append((key, words))
        return replace(
            self._spec,
            label=self.label_edit.text().strip(),
            short_label=self.short_edit.text().strip(),
            kind=Kind(self.kind_combo.currentData()),
            required_by_default=self.required_check.isChecked(),
            intervals={t.value: self.intervals[t.value].value() for t in TIERS},
            first_window_days=self.first_spin.value(),
            new_starter_caps=caps,
            supervisor=SupervisorRole(self.supervisor_combo.currentData()),
            qualified_supervisor=self.qualified_check.isChecked(),
            duration_minutes=self.duration_spin.value(),
            agenda_intro=self.intro_edit.text().strip(),
            agenda=tuple(agenda),
        )


class PolicyDialog(QDialog):
    """The policy editor. ``policy_saved`` is emitted after a new version is saved."""

    policy_saved = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.setWindowTitle("Supervision policy")
        self.setAccessibleName("Supervision policy")
        history = ctx.policies.history()
        self._latest = history.latest
        self._saved_keys = {k for k in ctx.policies.kinds()}
        self._with_records = ctx.policies.types_with_records()
        self._types: list[TypeSpec] = list(self._latest.policy.types)
        self._type_problem = ""
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(_PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self.update_preview)
        self._build(history.versions)
        self._select_type(0)
        self._check()
        self.resize(1060, 720)

    # Building -------------------------------------------------------------------------------

    def _build(self, versions: Any) -> None:
        intro = _plain(
            f"Editing version {self._latest.version} ({self._latest.since}). Saving makes a new "
            "version — earlier ones are kept and never changed — in force from the date you "
            "choose; the scheduler and every report use the version in force on their date."
        )
        self.tabs = QTabWidget()
        self.tabs.addTab(self._types_page(), "&Types")
        self.fields: list[_SettingField] = []
        for section in Section.ORDER:
            group = [s for s in SETTINGS if s.section == section]
            if group:
                self.tabs.addTab(self._settings_page(group), section)
        self.tabs.addTab(self._versions_page(versions), "&Versions")

        self.effective_edit = DateEdit(self._ctx.today(), self)
        self.effective_edit.setAccessibleName("In force from")
        self.name_edit = QLineEdit()
        self.name_edit.setAccessibleName("Your name")
        self.name_edit.setPlaceholderText("Your full name (kept with the version)")
        self.reason_edit = QLineEdit()
        self.reason_edit.setAccessibleName("Why the policy changes")
        self.reason_edit.setPlaceholderText("Why, e.g. “Trust policy 2027: clinical monthly”")
        save_row = QGridLayout()
        labels = []
        for text, buddy in (
            ("In force &from:", self.effective_edit),
            ("&Your name:", self.name_edit),
            ("&Why:", self.reason_edit),
        ):
            label = QLabel(text)
            label.setBuddy(buddy)
            labels.append(label)
        save_row.addWidget(labels[0], 0, 0)
        save_row.addWidget(self.effective_edit, 0, 1)
        save_row.addWidget(labels[1], 0, 2)
        save_row.addWidget(self.name_edit, 0, 3)
        save_row.addWidget(labels[2], 1, 0)
        save_row.addWidget(self.reason_edit, 1, 1, 1, 3)
        save_row.setColumnStretch(3, 1)

        self.problems_label = _plain()
        self.problems_label.setObjectName("policyProblems")
        self.problems_label.setAccessibleName("What is wrong")
        self.problems_label.setStyleSheet(
            "#policyProblems { background: #f4c7c3; color: #7a1010; border: 1px solid #d98b84;"
            " border-radius: 4px; padding: 6px; }"
        )
        self.preview_label = _plain()
        self.preview_label.setAccessibleName("What the change does")
        self.preview_label.setStyleSheet("color: #0b3d66;")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("&Save as a new version")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        for signal in (
            self.effective_edit.dateChanged,
            self.name_edit.textChanged,
            self.reason_edit.textChanged,
        ):
            signal.connect(self._check)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(save_row)
        layout.addWidget(self.problems_label)
        layout.addWidget(self.preview_label)
        layout.addWidget(self.buttons)

    def _types_page(self) -> QWidget:
        page = QWidget()
        self.type_list = QListWidget()
        self.type_list.setAccessibleName("Supervision types")
        self.type_list.setMaximumWidth(300)
        self.add_button = QPushButton("&Add a type…")
        self.retire_button = QPushButton("&Retire")
        self.remove_button = QPushButton("Re&move")
        self.remove_button.setToolTip("Only a type no record names can be removed")
        self.editor = _TypeEditor()
        self._fill_type_list()
        self.type_list.currentRowChanged.connect(self._select_type)
        self.add_button.clicked.connect(self.add_type)
        self.retire_button.clicked.connect(self.toggle_retired)
        self.remove_button.clicked.connect(self.remove_type)
        self.editor.changed.connect(self._type_edited)
        left = QVBoxLayout()
        left.addWidget(self.type_list, 1)
        for button in (self.add_button, self.retire_button, self.remove_button):
            left.addWidget(button)
        row = QHBoxLayout(page)
        row.addLayout(left)
        row.addWidget(self.editor, 1)
        return page

    def _settings_page(self, group: list[Setting]) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for s in group:
            field = _SettingField(s, self._latest.policy, self._check)
            self.fields.append(field)
            if s.per:
                box = QGroupBox(s.label)
                box.setToolTip(s.help)
                inner = QFormLayout(box)
                for key, widget in field.widgets.items():
                    inner.addRow(f"{key.replace('_', ' ').capitalize()}:", widget)
                form.addRow(box)
            elif s.value_type is bool:
                form.addRow("", field.widgets[""])
            else:
                form.addRow(f"{s.label}:", field.widgets[""])
            if s.help:
                note = _plain(s.help)
                note.setStyleSheet("color: #555555;")
                form.addRow("", note)
        return page

    def _versions_page(self, versions: Any) -> QWidget:
        page = QWidget()
        table = QTableWidget(len(versions), 5)
        table.setAccessibleName("Policy versions")
        table.setHorizontalHeaderLabels(["Version", "In force", "Saved", "By", "Why"])
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        # Saved times in the service's own time zone (the policy's ``time_zone``), named.
        zone = self._latest.policy.zone()
        for row, v in enumerate(reversed(list(versions))):
            cells = (f"v{v.version}", v.since, moment(v.created_at, zone, zone_name=True),
                     v.created_by or "—", v.reason or "—")  # fmt: skip
            for column, text in enumerate(cells):
                table.setItem(row, column, QTableWidgetItem(text))
        table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        table.resizeColumnsToContents()
        self.versions_table = table
        layout = QVBoxLayout(page)
        layout.addWidget(
            _plain("Every saved version, newest first. Versions are never changed or deleted.")
        )
        layout.addWidget(table)
        return page

    # Types ----------------------------------------------------------------------------------

    def _fill_type_list(self) -> None:
        current = self.type_list.currentRow()
        self.type_list.blockSignals(True)
        self.type_list.clear()
        for spec in self._types:
            text = f"{spec.label}  ({spec.key})" + ("  — retired" if spec.retired else "")
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, spec.key)
            self.type_list.addItem(item)
        self.type_list.blockSignals(False)
        if 0 <= current < self.type_list.count():
            self.type_list.setCurrentRow(current)

    def _select_type(self, row: int) -> None:
        if not 0 <= row < len(self._types):
            return
        if self.type_list.currentRow() != row:
            self.type_list.setCurrentRow(row)
        spec = self._types[row]
        self.editor.load(spec, kind_fixed=spec.key in self._saved_keys)
        self.retire_button.setText("Bring &back" if spec.retired else "&Retire")
        self.remove_button.setEnabled(spec.key not in self._with_records)

    def _row(self) -> int:
        return self.type_list.currentRow()

    def _type_edited(self) -> None:
        row = self._row()
        spec = self.editor.spec()
        if isinstance(spec, str):
            self._type_problem = spec
        else:
            self._type_problem = ""
            self._types[row] = spec
            item = self.type_list.item(row)
            item.setText(f"{spec.label}  ({spec.key})" + ("  — retired" if spec.retired else ""))
        self._check()

    def add_type(self) -> None:
        label, ok = QInputDialog.getText(
            self, "Add a supervision type", "Its name (e.g. Safeguarding supervision):"
        )
        if not ok or not label.strip():
            return
        taken = {t.key for t in self._types} | self._saved_keys
        spec = new_type(key_for(label, taken), label.strip())
        self._types.append(spec)
        self._fill_type_list()
        self._select_type(len(self._types) - 1)
        self._check()

    def toggle_retired(self) -> None:
        row = self._row()
        if row < 0:
            return
        spec = self._types[row]
        self._types[row] = replace(spec, retired=not spec.retired)
        self._fill_type_list()
        self._select_type(row)
        self._check()

    def remove_type(self) -> None:
        row = self._row()
        if row < 0:
            return
        spec = self._types[row]
        if spec.key in self._with_records:
            QMessageBox.information(
                self, "Supervision policy", f"{spec.label} has records: retire it instead."
            )
            return
        del self._types[row]
        self._fill_type_list()
        self._select_type(min(row, len(self._types) - 1))
        self._check()

    # The policy as edited -----------------------------------------------------------------

    def policy(self) -> Policy:
        values = {f.setting.name: f.value() for f in self.fields}
        return replace(self._latest.policy, types=tuple(self._types), **values)

    def problems(self) -> list[str]:
        out = [self._type_problem] if self._type_problem else []
        policy = self.policy()
        out += policy.problems()
        if not out and not differences(self._latest.policy, policy):
            return []
        latest = self._latest
        effective = self.effective_edit.value()
        if latest.effective_from > date(1, 1, 1) and effective < latest.effective_from:
            out.append(
                f"The version can take effect from {uk(latest.effective_from)} at the "
                f"earliest, when version {latest.version} does."
            )
        for spec in self._types:
            if not KEY_PATTERN.fullmatch(spec.key):
                out.append(f"The type key {spec.key!r} cannot be used.")
        return out

    def _check(self, *_args: object) -> None:
        problems = self.problems()
        changed = bool(differences(self._latest.policy, self.policy()))
        missing = []
        if changed and not problems:
            if not self.name_edit.text().strip():
                missing.append("your name")
            if not self.reason_edit.text().strip():
                missing.append("why the policy changes")
        self.problems_label.setText("\n".join(f"• {p}" for p in problems))
        self.problems_label.setVisible(bool(problems))
        self.save_button.setEnabled(changed and not problems and not missing)
        if not changed:
            self.save_button.setToolTip("Nothing has changed yet")
        elif missing:
            self.save_button.setToolTip(f"Give {' and '.join(missing)} to save")
        else:
            self.save_button.setToolTip("")
        if problems or not changed:
            self.preview_label.setText("" if problems else "Nothing changed yet.")
        else:
            self.preview_label.setText("Working out what the change does…")
            if self.isVisible():  # (a dialog never shown, or closed, previews when asked)
                self._preview_timer.start()

    def done(self, result: int) -> None:
        self._preview_timer.stop()  # closed: no preview is wanted (the file may be closed too)
        super().done(result)

    def hideEvent(self, event: QHideEvent) -> None:
        self._preview_timer.stop()
        super().hideEvent(event)

    def update_preview(self) -> None:
        """How many workers would change status (on the effective date, or today if later)."""
        if self.problems():
            return
        policy = self.policy()
        on = max(self.effective_edit.value(), self._ctx.today())
        try:
            changes = self._ctx.policies.status_changes(policy, on)
        except KeelError as exc:
            self.preview_label.setText(f"The change could not be previewed: {exc}")
            return
        text = changes.summary()
        if changes.examples:
            text += "\n" + "\n".join(f"  {e}" for e in changes.examples[:4])
        self.preview_label.setText(text)

    def save(self) -> None:
        self._check()
        if not self.save_button.isEnabled():
            return
        try:
            saved = self._ctx.policies.save(
                self.policy(),
                effective_from=self.effective_edit.value(),
                reason=self.reason_edit.text(),
                by=self.name_edit.text(),
                today=self._ctx.today(),
            )
        except KeelError as exc:
            QMessageBox.warning(self, "The policy was not saved", str(exc))
            return
        self.saved = saved
        self.policy_saved.emit()
        QMessageBox.information(
            self,
            "Supervision policy",
            f"Saved as version {saved.version.version}, in force {saved.version.since}.",
        )
        self.accept()
