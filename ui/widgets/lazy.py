"""A tab page that builds its screen the first time it is shown or asked for.

Keel opens on the scheduler; the Workers, Actions and Governance screens (and the modules
behind them) cost start-up time the user has not asked for yet. A ``LazyPage`` stands in their
tab until then, and from the moment it is built it is just a frame around the real screen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

from PySide6.QtWidgets import QVBoxLayout, QWidget

from ui.widgets.accessibility import name_inner_controls

if TYPE_CHECKING:  # an annotation only: Qt's event types are not created at start-up
    from PySide6.QtGui import QShowEvent

S = TypeVar("S", bound=QWidget)


class LazyPage(QWidget, Generic[S]):
    """Holds ``factory``'s screen, made on first show or on the first call to :meth:`content`."""

    def __init__(self, factory: Callable[[], S], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._factory = factory
        self._screen: S | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    @property
    def is_built(self) -> bool:
        return self._screen is not None

    def content(self) -> S:
        """The real screen (built now if it was not yet)."""
        if self._screen is None:
            self._screen = self._factory()
            name_inner_controls(self._screen)
            self._layout.addWidget(self._screen)
            self.setFocusProxy(self._screen)
            if self.isVisible():  # a child added to a shown widget stays hidden until told
                self._screen.show()
        return self._screen

    def built_screen(self) -> S | None:
        """The screen if it has been built (for refreshes that only matter once it exists)."""
        return self._screen

    def showEvent(self, event: QShowEvent) -> None:
        self.content()
        super().showEvent(event)
