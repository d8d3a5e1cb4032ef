"""Shared fixtures. Every test gets its own folders: nothing touches the real user data."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LANG", "C.UTF-8")

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings as hypothesis_settings

from app.storage.db import Database, close_database, open_database

if TYPE_CHECKING:
    from tests.pg_cluster import Cluster

TODAY = date(2026, 11, 26)

# CI explores the same examples on every run (a failure there is reproducible, not luck);
# locally hypothesis keeps searching for new ones.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


@pytest.fixture(autouse=True)
def isolated_user_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point HOME and every XDG folder into the test's own temporary folder."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var, sub in (
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_STATE_HOME", ".local/state"),
    ):
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.delenv("KEEL_DB", raising=False)
    # Never the real keyring, service URL or password (tests that need a keyring set their own).
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    for var in ("KEEL_SERVICE_URL", "KEEL_SERVICE_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture(autouse=True)
def no_keys_left_behind() -> Iterator[None]:
    """Data keys registered by a test (an unlocked database) are forgotten after it."""
    from app.storage import keys

    yield
    with keys._keys_lock:
        keys._keys.clear()


@pytest.fixture
def fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cheap scrypt for in-process tests of the flows (the real cost is tested where the
    command line runs as users run it)."""
    from app.storage import keys

    monkeypatch.setattr(keys, "SCRYPT_N", 2**12)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """A throw-away PostgreSQL cluster for the whole run (see tests/pg_cluster.py)."""
    from tests.pg_cluster import start_cluster

    cluster = start_cluster()
    yield cluster
    cluster.destroy()


@pytest.fixture
def service_db(pg_cluster: Cluster) -> str:
    """A fresh, empty PostgreSQL database in the run's cluster (one per test)."""
    return pg_cluster.new_database()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "keel.db"


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    """A fresh, fully migrated Keel database for one test."""
    database = open_database(db_path)
    yield database
    close_database(database)


@pytest.fixture
def today() -> date:
    return TODAY
