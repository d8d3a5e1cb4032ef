"""Keel's log file: where support looks first, so it must be there, readable and bounded."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from app.logging_setup import configure_logging, rotate


def _files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir())}


def _start_and_log(folder: Path, message: str) -> Path | None:
    """configure_logging as Keel's start does, log ``message``, then take the handler off."""
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        path = configure_logging(folder)
        logging.getLogger("keel.test").info(message)
    finally:
        for handler in [h for h in root.handlers if h not in before]:
            root.removeHandler(handler)
            handler.close()  # flushes
    return path


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    folder = tmp_path / "logs"
    folder.mkdir()
    return folder


def test_a_small_log_is_kept_as_it_is(logs: Path) -> None:
    (logs / "keel.log").write_text("small\n", encoding="utf-8")
    rotate(logs / "keel.log", max_bytes=100)
    assert _files(logs) == {"keel.log": "small\n"}


def test_a_full_log_moves_aside_and_the_oldest_of_five_goes(logs: Path) -> None:
    log = logs / "keel.log"
    log.write_text("now " * 30, encoding="utf-8")
    for n in range(1, 6):
        (logs / f"keel.log.{n}").write_text(f"old {n}", encoding="utf-8")
    rotate(log, max_bytes=100, kept=5)
    assert _files(logs) == {
        "keel.log.1": "now " * 30,
        "keel.log.2": "old 1",
        "keel.log.3": "old 2",
        "keel.log.4": "old 3",
        "keel.log.5": "old 4",
    }


def test_start_up_logs_to_the_file_after_rotating(logs: Path) -> None:
    (logs / "keel.log").write_text("x" * 1_000_001, encoding="utf-8")
    path = _start_and_log(logs, "opened Zoë's database & <more>")
    assert path == logs / "keel.log"
    assert "opened Zoë's database & <more>" in path.read_text(encoding="utf-8")
    assert (logs / "keel.log.1").stat().st_size == 1_000_001


def test_a_folder_that_cannot_be_written_gives_no_log_and_no_error(tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("", encoding="utf-8")
    root = logging.getLogger()
    before = list(root.handlers)
    assert configure_logging(blocked / "logs") is None
    assert root.handlers == before


@pytest.mark.parametrize("size", [0, 99])
def test_nothing_moves_below_the_limit(logs: Path, size: int) -> None:
    (logs / "keel.log").write_text("y" * size, encoding="utf-8")
    rotate(logs / "keel.log", max_bytes=100)
    assert list(_files(logs)) == ["keel.log"]


def test_a_log_another_keel_holds_open_is_still_written_to(
    logs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows will not rename a file another process has open: no rotation, but a log."""
    import os

    (logs / "keel.log").write_text("x" * 1_000_001, encoding="utf-8")

    def locked(*_args: object) -> None:
        raise PermissionError(32, "The file is being used by another process")

    monkeypatch.setattr(os, "replace", locked)
    path = _start_and_log(logs, "still logging")
    assert path == logs / "keel.log"
    assert path.read_text(encoding="utf-8").endswith("still logging\n")
