"""The cyclic collector is paused for work that makes many objects and no cycles, and the
caller's setting comes back whatever happens (a check that left it off would leave the app to
grow without bound)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.collector import collection_paused
from app.services import integrity


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_paused_inside_and_back_on_after(collector_on: None) -> None:
    with collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_back_on_after_an_error(collector_on: None) -> None:
    with pytest.raises(RuntimeError), collection_paused():
        raise RuntimeError("a failure half-way")
    assert gc.isenabled()


def test_a_caller_that_had_it_off_keeps_it_off(collector_on: None) -> None:
    gc.disable()
    try:
        with collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_check_runs_its_reads_without_collection_and_restores_it(
    collector_on: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.storage.db import close_database, open_database

    path = tmp_path / "keel.db"
    close_database(open_database(path, create=True))
    during: list[bool] = []
    real = integrity._read_checks

    def spy(*args: object, **kwargs: object) -> None:
        during.append(gc.isenabled())
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(integrity, "_read_checks", spy)
    report = integrity.check_database(path)
    assert report.ok, report.lines()
    assert during == [False]
    assert gc.isenabled()
