"""What the widgets are given: the service objects over one open database, and today's date
(``app.services.context.Services``). Built once in ``ui.app`` (the GUI's composition root)
and passed down; widgets never hold the database handle (tests/ui/test_no_handle_in_ui.py).
"""

from __future__ import annotations

from app.services.context import Services


class AppContext(Services):
    """The window's services (the name the widgets know them by)."""
