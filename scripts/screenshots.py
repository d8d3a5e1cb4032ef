"""Regenerate Keel's screenshots offscreen at 1366×768 from the demo service.

    QT_QPA_PLATFORM=offscreen PYTHONPATH=. .venv/bin/python scripts/screenshots.py [OUT_DIR]

Writes welcome.png, scheduler.png, workers.png, actions.png, governance.png and one PNG per session form into
OUT_DIR (default docs/screenshots). The README shows scheduler.png.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication, QWidget

from app.services.demo import load_demo
from app.storage.db import close_database, open_database
from ui.app import load_bundled_fonts
from ui.context import AppContext
from ui.forms.session_form import SessionForm
from ui.main_window import MainWindow

SIZE = (1366, 768)


def grab(widget: QWidget, path: Path) -> None:
    widget.resize(*SIZE)
    widget.show()
    QApplication.processEvents()  # a script, not product code: let layouts settle
    widget.grab().save(str(path))
    print(f"saved {path}")


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    QCoreApplication.setOrganizationName("KeelScreenshots")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    load_bundled_fonts()
    today = date.today()
    with tempfile.TemporaryDirectory() as tmp:
        empty_db = open_database(Path(tmp) / "empty.db")
        window = MainWindow(AppContext.for_database(empty_db, Path(tmp) / "empty.db"))
        grab(window, out / "welcome.png")
        window.close()
        close_database(empty_db)

        path = Path(tmp) / "demo.db"
        db = open_database(path)
        load_demo(db, today=today)
        ctx = AppContext.for_database(db, path, today=lambda: today)
        window = MainWindow(ctx)
        window.tabs.setCurrentWidget(window.scheduler)
        grab(window, out / "scheduler.png")
        window.tabs.setCurrentWidget(window.workers_page)
        first = ctx.workers.all()[0]
        window.workers.show_worker(first.id)
        grab(window, out / "workers.png")
        window.tabs.setCurrentWidget(window.actions_page)
        grab(window, out / "actions.png")
        window.tabs.setCurrentWidget(window.governance_page)
        grab(window, out / "governance.png")
        workers = ctx.workers.all()
        for spec in ctx.catalogue.active:  # a form per type of the service's policy
            worker = next(w for w in workers if spec.key in w.requires)
            supervisee = None if spec.is_group else worker.id
            form = SessionForm.for_new(ctx, spec.key, supervisee, today)
            grab(form, out / f"form-{spec.key}.png")
            form.deleteLater()
        window.close()
        close_database(db)
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/screenshots")))
