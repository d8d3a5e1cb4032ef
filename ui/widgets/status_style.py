"""How due statuses look: RAG colours plus a word and a symbol, so meaning never rests on
colour alone (it prints in black and white and reads for colour-blind users)."""

from __future__ import annotations

from PySide6.QtGui import QColor

from app.domain.model import DueStatus

# Soft fills that keep black text readable; the symbol and word carry the meaning.
BACKGROUND = {
    DueStatus.OVERDUE: QColor("#f4c7c3"),
    DueStatus.DUE_SOON: QColor("#fde7b0"),
    DueStatus.ON_TRACK: QColor("#cde8cf"),
    DueStatus.PAUSED: QColor("#e3e3e3"),
    DueStatus.NOT_REQUIRED: QColor("#efefef"),
}
FOREGROUND = {
    DueStatus.OVERDUE: QColor("#7a1010"),
    DueStatus.DUE_SOON: QColor("#6b4a00"),
    DueStatus.ON_TRACK: QColor("#1d5223"),
    DueStatus.PAUSED: QColor("#444444"),
    DueStatus.NOT_REQUIRED: QColor("#666666"),
}
SYMBOL = {
    DueStatus.OVERDUE: "✖",
    DueStatus.DUE_SOON: "▲",
    DueStatus.ON_TRACK: "✔",
    DueStatus.PAUSED: "‖",  # ⏸ is missing from DejaVu Sans and would draw as a box
    DueStatus.NOT_REQUIRED: "–",
}


def status_text(status: DueStatus) -> str:
    """ "✖ Overdue" — symbol and word together."""
    return f"{SYMBOL[status]} {status.label}"
