"""Keyboard focus helpers shared by the screens and dialogs."""

from __future__ import annotations

import itertools

from PySide6.QtWidgets import QWidget


def set_tab_order(*widgets: QWidget) -> None:
    """Tab moves through ``widgets`` in the order given (Qt takes them two at a time)."""
    for first, second in itertools.pairwise(widgets):
        QWidget.setTabOrder(first, second)
