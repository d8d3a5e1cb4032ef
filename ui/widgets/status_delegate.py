"""Paints a due-status cell so it reads in colour, in black and white and when selected.

The status word (with its symbol) is drawn bold and the dates after it in the normal weight,
so "✖ Overdue" stands out on a greyscale printout. When the full text does not fit, the
model's compact text (no year on this year's dates) is drawn instead of cutting off a booking. A selected cell keeps its status colour and
gets a frame in the selection colour instead of being flooded with it.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from ui.models.schedule_model import COMPACT_ROLE, STATUS_ROLE

_PAD = 6
_SEPARATOR = " · "
_Index = QModelIndex | QPersistentModelIndex


def split_cell_text(text: str) -> tuple[str, str]:
    """ "✖ Overdue · 12 Nov 2026" → ("✖ Overdue", " · 12 Nov 2026")."""
    head, sep, tail = text.partition(_SEPARATOR)
    return head, sep + tail


class StatusDelegate(QStyledItemDelegate):
    """For cells that carry ``STATUS_ROLE``; other cells are painted the usual way."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        if index.data(STATUS_ROLE) is None:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        rect: QRect = opt.rect
        background = index.data(Qt.ItemDataRole.BackgroundRole)
        foreground = index.data(Qt.ItemDataRole.ForegroundRole)
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        base: QFont = opt.font
        bold = QFont(base)
        bold.setBold(True)
        text_rect = rect.adjusted(_PAD, 0, -_PAD, 0)
        compact = index.data(COMPACT_ROLE)
        if compact and _width(text, base, bold) > text_rect.width():
            text = str(compact)
        head, tail = split_cell_text(text)
        painter.save()
        if isinstance(background, QColor):
            painter.fillRect(rect, background)
        state = opt.state
        if state & QStyle.StateFlag.State_Selected:
            highlight = opt.palette.highlight().color()
            painter.setPen(QPen(highlight, 2))
            painter.drawRect(rect.adjusted(1, 1, -1, -1))
        painter.setPen(foreground if isinstance(foreground, QColor) else QColor("black"))
        flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        head_metrics = QFontMetrics(bold)
        head = head_metrics.elidedText(head, Qt.TextElideMode.ElideRight, text_rect.width())
        painter.setFont(bold)
        painter.drawText(text_rect, flags, head)
        used = head_metrics.horizontalAdvance(head)
        rest = text_rect.adjusted(used, 0, 0, 0)
        if tail and rest.width() > 0:
            painter.setFont(base)
            tail = QFontMetrics(base).elidedText(tail, Qt.TextElideMode.ElideRight, rest.width())
            painter.drawText(rest, flags, tail)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        size = super().sizeHint(option, index)
        if index.data(STATUS_ROLE) is None:
            return size
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        base: QFont = option.font
        bold = QFont(base)
        bold.setBold(True)
        width = _width(text, base, bold) + 2 * _PAD + 2
        return QSize(max(size.width(), width), size.height())


def _width(text: str, base: QFont, bold: QFont) -> int:
    """Pixels the cell's text takes: the status word in bold, the rest in the base font."""
    head, tail = split_cell_text(text)
    return QFontMetrics(bold).horizontalAdvance(head) + QFontMetrics(base).horizontalAdvance(tail)
