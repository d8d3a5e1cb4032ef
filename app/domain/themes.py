"""The themes a new database starts with. A service renames, retires and adds its own (the
themes table, ``app.services.themes``); the blank paper form lists these when it is given no
other list.

A module of its own, with nothing else in it: the schema seeds a new file with it, and opening
Keel must not load the governance domain (tests/app/test_database_handle.py).
"""

from __future__ import annotations

SEEDED_THEMES = (
    "Repeated crisis trigger",
    "System blockage or delay",
    "Delayed crisis response",
    "Drift to risk-averse practice",
    "Drift to risk-blind practice",
    "Safeguarding threshold uncertainty",
    "Workload pressure",
    "Lone working safety",
    "Recording backlog",
    "Boundary issue",
    "Moral distress",
)
