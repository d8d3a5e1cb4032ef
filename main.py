"""Keel's composition root: parse arguments, set up paths and logging, then run a command,
the self-test (``--self-test``) or the desktop app."""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    # Opening the app builds tens of thousands of objects that live as long as its window and
    # no garbage: the cyclic collector's passes over them (≈15 ms of the start) find nothing.
    # It is paused until the window is up (run_gui turns it back on); commands run with it on.
    gc.disable()
    try:
        from app.cli import parse
        from app.logging_setup import configure_logging
        from app.paths import log_dir, resolve_db_path

        args = parse(sys.argv[1:] if argv is None else argv)
        configure_logging(log_dir())
        if args.self_test or args.self_test_window or args.command:
            gc.enable()
        if args.self_test_window:
            from ui.self_test import window_check

            return window_check(Path(args.self_test_window))
        if args.self_test:
            from ui.self_test import run_self_test

            return run_self_test(Path(args.self_test_report) if args.self_test_report else None)
        if args.command:
            from app.commands import run

            return run(args)
        from ui.app import run_gui

        return int(run_gui(resolve_db_path(args.db)))
    finally:
        gc.enable()


if __name__ == "__main__":
    sys.exit(main())
