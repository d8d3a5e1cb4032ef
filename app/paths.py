"""Where Keel keeps its files: the user's data, log and config folders (platformdirs)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_DIR_NAME = "Keel"
APP_AUTHOR = "Keel"
DB_FILENAME = "keel.db"
DB_ENV = "KEEL_DB"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_DIR_NAME, APP_AUTHOR))


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_DIR_NAME, APP_AUTHOR))


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_DIR_NAME, APP_AUTHOR))


def state_dir() -> Path:
    """Keel's own state outside any database (the audit trail's witnesses)."""
    return Path(platformdirs.user_state_dir(APP_DIR_NAME, APP_AUTHOR))


def default_backup_dir() -> Path:
    """Where backups go until the user chooses a folder (a USB stick, a share)."""
    return data_dir() / "backups"


def default_db_path() -> Path:
    return data_dir() / DB_FILENAME


def resolve_db_path(cli_value: str | None) -> Path:
    """``--db`` wins, then the ``KEEL_DB`` environment variable, then the user data folder."""
    if cli_value:
        return Path(cli_value).expanduser().resolve()
    env = os.environ.get(DB_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return default_db_path()


def resource_path(relative: str) -> Path:
    """A file under ``resources/``, in a source checkout or a frozen (PyInstaller) build."""
    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent.parent))
    return base / "resources" / relative
