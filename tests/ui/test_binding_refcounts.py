"""Guard against a Qt binding that drops references it does not own.

PySide6 6.12.0 lowered the reference count of ``None`` on every void call (and of ``True`` on
every ``emit``); on Python 3.11 the app then dies with "Fatal Python error: none_dealloc" after
some thousands of calls. pyproject.toml keeps PySide6 below 6.12; this test fails if a binding
with that defect is ever installed again.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot


class _Probe(QObject):
    fired = Signal()


def test_void_calls_and_emits_keep_none_and_true_alive(qtbot: QtBot) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    probe = _Probe()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(500):
        label.setText("x")
        label.hide()
        probe.fired.emit()
    assert sys.getrefcount(None) - none_before > -50
    assert sys.getrefcount(True) - true_before > -50
