"""Keel's composition root: parse arguments, set up paths and logging, then run a command
or open the desktop app."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from app.cli import parse, run
    from app.logging_setup import configure_logging
    from app.paths import log_dir, resolve_db_path

    args = parse(sys.argv[1:] if argv is None else argv)
    configure_logging(log_dir())
    if args.command:
        return run(args)
    from ui.app import run_gui

    return int(run_gui(resolve_db_path(args.db)))


if __name__ == "__main__":
    sys.exit(main())
