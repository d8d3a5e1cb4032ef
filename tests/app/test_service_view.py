"""The service view: statuses computed from the published facts by the same engine, with each
team's own policy, as of any date — compared row for row with each team's own `status --json`
(a real PostgreSQL cluster, the command line run as a separate process)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from app.domain.model import DueStatus
from app.domain.policy import BEGINNING, Policy
from app.server.target import parse_target
from app.services.demo import load_demo
from app.services.publishing import connect_team, publish_database
from app.services.service_view import load_service_schedule, service_status_records
from app.storage.db import Database, close_database, open_database, transaction
from app.storage.policies import save_policy
from tests.app.service_support import Service, make_service
from tests.app.test_cli import JSON_KEYS, error_lines, keel
from tests.pg_cluster import Cluster

TODAY = date(2026, 11, 26)


def _publish(db: Database, url: str) -> None:
    target = parse_target(url)
    conn = connect_team(target, target.url_password)
    try:
        publish_database(db, conn, target)
    finally:
        conn.close()


@pytest.fixture
def two_teams(pg_cluster: Cluster, service_db: str, tmp_path: Path) -> tuple[Service, dict]:
    """North on the default policy; South on its own (clinical every 21 days for standard,
    a shorter first window), with a worker changed so the two files differ."""
    service = make_service(pg_cluster, service_db, "North", "South")
    files = {}
    for name in ("North", "South"):
        path = tmp_path / f"{name.lower()}.db"
        db = open_database(path)
        load_demo(db, today=TODAY - timedelta(days=10 if name == "South" else 0))
        if name == "South":
            base = Policy()
            policy = replace(base, types=tuple(
                replace(t, intervals={**t.intervals, "standard": 21}) if t.key == "clinical"
                else replace(t, first_window_days=3) if t.key == "line" else t
                for t in base.types
            ))  # fmt: skip
            with transaction(db):
                save_policy(db, policy, "South lead", effective_from=BEGINNING)
        _publish(db, service.team_urls[name])
        close_database(db)
        files[name] = path
    return service, files


def _json(done: object) -> list[dict]:
    assert done.returncode == 0, done.stderr  # type: ignore[attr-defined]
    return json.loads(done.stdout)  # type: ignore[attr-defined]


@pytest.mark.parametrize("as_of", ["2026-11-26", "2026-06-30", "2027-02-01"])
def test_service_status_json_equals_each_teams_status_json_row_for_row(
    two_teams: tuple[Service, dict], tmp_path: Path, as_of: str
) -> None:
    service, files = two_teams
    rows = _json(keel("service", "status", "--url", service.reader_url, "--as-of", as_of,
                      "--json", cwd=tmp_path))  # fmt: skip
    assert rows and all(set(r) == JSON_KEYS | {"source"} for r in rows)
    for name, path in files.items():
        own = _json(keel("--db", str(path), "status", "--as-of", as_of, "--json", cwd=tmp_path))
        theirs = [{k: v for k, v in r.items() if k != "source"} for r in rows
                  if r["source"] == name]  # fmt: skip
        assert len(theirs) == len(own)
        for mine, published in zip(own, theirs, strict=True):
            assert published == mine
    # The two policies really differ (South's clinical standard interval is 21 days).
    south = {r["interval_days"] for r in rows if r["source"] == "South"
             and r["type"] == "clinical" and r["tier"] == "standard"}  # fmt: skip
    assert 21 in south


def test_service_status_table_lists_each_team_and_flags_stale_ones(
    two_teams: tuple[Service, dict], tmp_path: Path
) -> None:
    service, _files = two_teams
    done = keel("service", "status", "--url", service.reader_url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "North: last published" in done.stdout and "South: last published" in done.stdout
    assert "(stale)" not in done.stdout
    service.add("East")  # never published
    later = keel("service", "status", "--url", service.reader_url, cwd=tmp_path)
    assert "East: never published (stale)" in later.stdout


def test_statuses_are_computed_on_read_not_frozen_at_publish(
    two_teams: tuple[Service, dict],
) -> None:
    service, _files = two_teams
    now = load_service_schedule(service.reader_url, TODAY)
    later = load_service_schedule(service.reader_url, TODAY + timedelta(days=120))
    assert later.count(DueStatus.OVERDUE) > now.count(DueStatus.OVERDUE)
    records = service_status_records(later)
    assert {r["source"] for r in records} == {"North", "South"}


def test_service_status_with_a_team_login_or_a_bad_url(
    two_teams: tuple[Service, dict], tmp_path: Path
) -> None:
    service, _files = two_teams
    # A team's login reads only its own rows: the service view shows only that team.
    team = _json(keel("service", "status", "--url", service.team_urls["North"], "--json",
                      cwd=tmp_path))  # fmt: skip
    assert {r["source"] for r in team} == {"North"}
    bad = keel("service", "status", "--url", "mysql://x/y", cwd=tmp_path)
    assert bad.returncode == 2 and len(error_lines(bad.stderr)) == 1


def test_the_service_compliance_pack_names_every_team_and_leaves_no_file_on_failure(
    two_teams: tuple[Service, dict], tmp_path: Path
) -> None:
    from pypdf import PdfReader

    from app.errors import ServiceAuthError
    from app.services.service_view import export_service_pack

    service, _files = two_teams
    out = tmp_path / "service pack.pdf"
    export_service_pack(service.reader_url, date(2025, 12, 1), TODAY, out, today=TODAY)
    text = "\n".join(page.extract_text() for page in PdfReader(out).pages)
    for words in ("Service supervision compliance pack", "North", "South",
                  "Teams and when they last published", "Compliance at each month end",
                  "Learning log", "Themes across teams", "Records awaiting sign-off"):  # fmt: skip
        assert words in text, words
    # Its figures are the service view's: compliance on the last day, all teams.
    view = load_service_schedule(service.reader_url, TODAY)
    pct = view.compliance().percent
    assert pct is not None and f"{pct:.0f}%" in text
    failed = tmp_path / "not written.pdf"
    target = parse_target(service.reader_url)
    with pytest.raises(ServiceAuthError):
        export_service_pack(target.url_for(target.user, "wrong"), date(2026, 1, 1), TODAY,
                            failed, today=TODAY)  # fmt: skip
    assert not failed.exists() and not list(tmp_path.glob(".keel-*"))


def _north_with_version_2_from_june(path: Path, service: Service) -> Database:
    """North's demo file (left open) with version 2 — clinical every 21 days for the standard
    tier — in force from 1 Jun 2026, published."""
    db = open_database(path)
    load_demo(db, today=TODAY)
    base = Policy()
    shorter = replace(base, types=tuple(
        replace(t, intervals={**t.intervals, "standard": 21}) if t.key == "clinical" else t
        for t in base.types
    ))  # fmt: skip
    with transaction(db):
        save_policy(db, shorter, "North lead", effective_from=date(2026, 6, 1), reason="CQC")
    _publish(db, service.team_urls["North"])
    return db


def _clinical_standard(reader_url: str, as_of: date) -> set[int]:
    """The intervals the service view gives clinical supervision at the standard tier (with
    any new starter's cap, trigger response or override among them)."""
    view = load_service_schedule(reader_url, as_of)
    return {
        r["interval_days"]
        for r in service_status_records(view)
        if r["type"] == "clinical" and r["tier"] == "standard"
    }


def test_the_service_view_uses_each_teams_policy_in_force_on_its_as_of_date(
    pg_cluster: Cluster, service_db: str, tmp_path: Path
) -> None:
    """A team saved version 2 (clinical every 21 days for the standard tier) in force from
    1 Jun 2026: the service view before that date uses version 1 (28 days), after it version 2
    — as the team's own laptop does on each date — whichever version was saved last."""
    service = make_service(pg_cluster, service_db, "North")
    path = tmp_path / "north.db"
    db = _north_with_version_2_from_june(path, service)
    close_database(db)

    # (Other intervals in the set: a new starter's cap, a trigger's response, an override.)
    for before in (date(2026, 5, 15), date(2026, 5, 31)):
        found = _clinical_standard(service.reader_url, before)
        assert 28 in found and 21 not in found, (before, found)
    for after in (date(2026, 6, 1), date(2026, 9, 1)):
        found = _clinical_standard(service.reader_url, after)
        assert 21 in found and 28 not in found, (after, found)
    # Row for row what the laptop says on each side of the effective date.
    for as_of in ("2026-05-15", "2026-07-01"):
        rows = _json(keel("service", "status", "--url", service.reader_url, "--as-of", as_of,
                          "--json", cwd=tmp_path))  # fmt: skip
        own = _json(keel("--db", str(path), "status", "--as-of", as_of, "--json", cwd=tmp_path))
        assert [{k: v for k, v in r.items() if k != "source"} for r in rows] == own


def test_a_server_made_before_effective_dates_learns_them_on_the_next_publish(
    pg_cluster: Cluster, service_db: str, tmp_path: Path
) -> None:
    """A server at schema 1 (no effective dates) is upgraded by `service init`: until the team
    publishes again its versions read as in force from the start (the newest wins, as
    before); the team's next publish compares every row and sends the dates."""
    from app.server.schema import SCHEMA, SERVER_SCHEMA_VERSION

    service = make_service(pg_cluster, service_db, "North")
    path = tmp_path / "north.db"
    db = _north_with_version_2_from_june(path, service)
    # As the released Keel left it: schema 1, no effective dates (its rows hashed without).
    pg_cluster.admin_sql(
        f"ALTER TABLE {SCHEMA}.policies DROP COLUMN effective_from; "
        f"UPDATE {SCHEMA}.policies SET row_hash = 'hashed by schema 1'; "
        f"UPDATE {SCHEMA}.schema_version SET version = 1",
        service_db,
    )
    assert SERVER_SCHEMA_VERSION >= 2
    done = keel("service", "init", "--url", service.admin_url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr

    # No dates yet: the newest version is in force on every date.
    assert 21 in _clinical_standard(service.reader_url, date(2026, 5, 15))
    _publish(db, service.team_urls["North"])
    close_database(db)
    early = _clinical_standard(service.reader_url, date(2026, 5, 15))
    assert 28 in early and 21 not in early
    assert 21 in _clinical_standard(service.reader_url, date(2026, 7, 1))


def test_the_service_pack_prints_its_time_in_the_services_zone(
    pg_cluster: Cluster, service_db: str, tmp_path: Path
) -> None:
    """ "Printed … at HH:MM ZONE" is in the zone the teams' policies name, not the computer's."""
    from pypdf import PdfReader

    from app.services.service_view import export_service_pack

    service = make_service(pg_cluster, service_db, "Tokyo")
    db = open_database(tmp_path / "tokyo.db")
    load_demo(db, today=TODAY)
    with transaction(db):
        save_policy(db, replace(Policy(), time_zone="Asia/Tokyo"), "Lead", effective_from=BEGINNING)
    _publish(db, service.team_urls["Tokyo"])
    close_database(db)
    out = tmp_path / "pack.pdf"
    export_service_pack(service.reader_url, date(2026, 6, 1), TODAY, out, today=TODAY)
    first = PdfReader(out).pages[0].extract_text()
    assert re.search(r"Printed \d+ \w+ \d{4} at \d\d:\d\d JST", first), first[:300]
