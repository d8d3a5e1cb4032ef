"""Names a screen reader needs that Qt does not give by itself.

A text field's clear button and a combo box's drop-down list are widgets Qt makes inside the
field; without a name they are read as "button" and "list". ``name_inner_controls`` names them
after their field ("Clear Search workers", "Filter by team: choices") for every field under a
widget: the main window calls it once it is built, each lazily built screen and each form when
they are made.

Value labels (a status, a count, "Saved at 10:42") keep Qt's default accessible name — their
text — and say what they are in their accessible description: a name set to "Status" would be
read instead of "✖ Overdue".
"""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit, QWidget


def name_inner_controls(root: QWidget) -> None:
    for edit in root.findChildren(QLineEdit):
        what = edit.accessibleName() or edit.placeholderText() or "the field"
        for button in edit.findChildren(QAbstractButton):
            if not button.accessibleName():
                button.setAccessibleName(f"Clear {what}")
    for combo in root.findChildren(QComboBox):
        view = combo.view()
        if view is not None and not view.accessibleName():
            view.setAccessibleName(f"{combo.accessibleName() or 'Choices'}: choices")
