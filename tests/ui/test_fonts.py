"""Text must never be drawn as empty boxes: a real font family has to be available."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase, QFontMetrics
from pytestqt.qtbot import QtBot

from ui.app import load_bundled_fonts


def test_a_real_font_family_is_available(qtbot: QtBot) -> None:
    assert QFontDatabase.families(), "no font families: Qt would draw every glyph as a box"


def test_bundled_font_covers_names_from_many_scripts(qtbot: QtBot) -> None:
    families = load_bundled_fonts()
    assert "DejaVu Sans" in families
    metrics = QFontMetrics(QFont("DejaVu Sans"))
    for text in ("Łukasz", "Zoë", "عائشة", "נועה"):
        assert all(metrics.inFontUcs4(ord(ch)) for ch in text), text
