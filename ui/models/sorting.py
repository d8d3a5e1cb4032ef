"""A proxy that filters but leaves sorting to its source model.

Keel's long lists (the schedule, workers, actions) sort themselves in one Python sort on keys
they already hold: a QSortFilterProxyModel sort calls the model's ``data()`` twice per
comparison, which for thousands of rows takes seconds on the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt


class SourceSortProxy(QSortFilterProxyModel):
    """Filters here; the view's sort goes to the source model's own ``sort``."""

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        source = self.sourceModel()
        if source is not None:
            source.sort(column, order)
