"""Walk a window by Tab alone, as a keyboard user does, and check where focus went.

``walk`` presses Tab on whatever has the focus (a real key event: each widget's own handling of
Tab — a table's, an editor's, a date field's — takes part) until the focus is back where it
started. A focus that cycles without coming back is a trap, and the walk says among what.
``fields`` is what a sighted user sees that takes keyboard focus; ``check_walk`` asserts each
was reached and that focus never jumped back up the page (a move up is allowed only into a
column to the right, as in side-by-side panes read column by column).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from PySide6.QtCore import QEvent, QPoint, QRect, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QRadioButton,
    QScrollArea,
    QTabBar,
    QWidget,
)

# Every field is one Tab stop: Tab leaves it (a time field too, not hours then minutes).
_MOST_TABS_IN_ONE_FIELD = 1
# How far up (pixels) a field in the same column may be and still count as "on the same row".
_SAME_ROW = 8


def describe(widget: QWidget | None) -> str:
    if widget is None:
        return "nothing"
    name = widget.accessibleName() or widget.objectName() or ""
    return f"{type(widget).__name__}({name!r})"


def press(widget: QWidget, key: Qt.Key, modifiers: Qt.KeyboardModifier) -> None:
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QApplication.sendEvent(widget, QKeyEvent(kind, key, modifiers))


def walk(
    window: QWidget, start: QWidget, *, backwards: bool = False, limit: int = 400
) -> list[QWidget]:
    """The widgets Tab (Shift+Tab when ``backwards``) visits from ``start`` until focus is
    back on it, each once, in order. Fails on a trap."""
    start.setFocus(Qt.FocusReason.TabFocusReason)
    first = window.focusWidget()
    assert first is not None, "nothing has the focus"
    order: list[QWidget] = [first]
    stay = 0
    key = Qt.Key.Key_Backtab if backwards else Qt.Key.Key_Tab
    modifiers = Qt.KeyboardModifier.ShiftModifier if backwards else Qt.KeyboardModifier.NoModifier
    for _ in range(limit):
        current = window.focusWidget()
        assert current is not None, f"the focus left the window after {describe(order[-1])}"
        press(current, key, modifiers)
        QApplication.processEvents()
        now = window.focusWidget()
        if now is current:
            stay += 1
            assert stay < _MOST_TABS_IN_ONE_FIELD, f"Tab does not leave {describe(now)}"
            continue
        if now is first:
            return order
        stay = 0
        assert now not in order, (
            f"a keyboard trap: Tab came back to {describe(now)} without reaching the start; "
            f"it went round {[describe(w) for w in order[order.index(now) :]]}"
        )
        order.append(now)
    raise AssertionError(f"{limit} Tabs and the focus never came back; last {describe(order[-1])}")


def _inside_another_field(widget: QWidget) -> bool:
    """An item view's cell editor, a spin box's or combo box's own line edit, a tab widget's
    bar inside it: reached through the field that holds it."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, (QAbstractSpinBox, QComboBox)):
            return True
        if isinstance(parent, QAbstractItemView) and parent.viewport().isAncestorOf(widget):
            return True
        parent = parent.parentWidget()
    return False


def _radio_group(widget: QWidget) -> list[QWidget]:
    """The buttons of ``widget``'s exclusive radio group (one Tab stop: arrows choose)."""
    if not isinstance(widget, QRadioButton):
        return [widget]
    group = widget.group()
    if group is not None:
        return list(group.buttons())
    parent = widget.parentWidget()
    if widget.autoExclusive() and parent is not None:
        return [
            w
            for w in parent.findChildren(
                QRadioButton, options=Qt.FindChildOption.FindDirectChildrenOnly
            )
            if w.autoExclusive()
        ]
    return [widget]


def fields(window: QWidget) -> list[QWidget]:
    """What a sighted user sees that takes the keyboard focus by Tab (a radio group counts
    once, by its checked button or else its first)."""
    found: list[QWidget] = []
    for widget in window.findChildren(QWidget):
        if widget.focusProxy() is not None or _inside_another_field(widget):
            continue
        if not (widget.focusPolicy() & Qt.FocusPolicy.TabFocus):
            continue
        if not (widget.isVisibleTo(window) and widget.isEnabled()):
            continue
        if isinstance(widget, QTabBar) and widget.count() < 2:
            continue
        found.append(widget)
    return found


def reached(widget: QWidget, order: list[QWidget]) -> bool:
    return any(w in order for w in _radio_group(widget))


def place(widget: QWidget, window: QWidget) -> QRect:
    """Where ``widget`` is on the page: in a scrolled area, where it is on the whole scrolled
    page (as if scrolled to the top), so a Tab that scrolled the page does not move it."""
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        if isinstance(parent, QScrollArea) and parent.widget() is not None:
            content = parent.widget()
            if content.isAncestorOf(widget):
                origin = parent.viewport().mapTo(window, QPoint(0, 0))
                return QRect(origin + widget.mapTo(content, QPoint(0, 0)), widget.size())
        parent = parent.parentWidget()
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def backward_jumps(order: Iterable[QWidget], window: QWidget) -> list[str]:
    """Moves that go up the page without going into a column to the right."""
    jumps = []
    items = list(order)
    for a, b in itertools.pairwise(items):
        ra, rb = place(a, window), place(b, window)
        went_up = rb.top() + _SAME_ROW < ra.top()
        to_the_right = rb.left() >= ra.right()  # a column of its own, right of a
        same_row_leftwards = abs(rb.top() - ra.top()) <= _SAME_ROW and rb.right() < ra.left()
        if (went_up and not to_the_right) or same_row_leftwards:
            jumps.append(f"{describe(a)} at {ra.topLeft().toTuple()} → "
                         f"{describe(b)} at {rb.topLeft().toTuple()}")  # fmt: skip
    return jumps


def first_field(window: QWidget) -> QWidget:
    """The field at the top left, where reading starts."""
    found = fields(window)
    assert found, f"{describe(window)} has no field"
    return min(found, key=lambda w: (place(w, window).top() // _SAME_ROW, place(w, window).left()))


def check_walk(
    window: QWidget, start: QWidget | None = None, *, must_reach: Iterable[QWidget] = ()
) -> list[QWidget]:
    """Tab from ``start`` (the top-left field) round the whole window: every field reached,
    none twice, never back up the page; Shift+Tab goes round the same way backwards. Returns
    the order."""
    start = start or first_field(window)
    order = walk(window, start)
    missed = [describe(w) for w in fields(window) if not reached(w, order)]
    assert missed == [], f"never reached by Tab: {missed}"
    for widget in must_reach:
        assert widget in order, f"never reached by Tab: {describe(widget)}"
    jumps = backward_jumps(order, window)
    assert jumps == [], f"Tab went back up the page: {jumps}"
    back = walk(window, start, backwards=True)
    expected = [order[0], *reversed(order[1:])]
    assert back == expected, (
        f"Shift+Tab does not retrace Tab: {[describe(w) for w in back]} "
        f"instead of {[describe(w) for w in expected]}"
    )
    return order
