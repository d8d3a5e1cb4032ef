"""Search across session records: stemmed words, every part of a record, quotes and operators
typed by a person, the confidential-notes choice, filters, an index that follows every change,
and the v3 → v4 migration that indexes text already there."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest

from app.domain.catalogue import CLINICAL, GROUP
from app.domain.model import SessionStatus
from app.domain.records import ActionOwner, ActionStatus
from app.services.records import RecordService
from app.services.search import rebuild_search_index, search_sessions
from app.services.sessions import SessionService
from app.storage import db as store
from app.storage.db import Database, close_database, open_database
from app.storage.schema import MIGRATIONS
from app.storage.search import match_expression
from tests.app.governance_support import (
    action,
    person,
    session,
    theme_id,
)

DAY = date(2026, 11, 2)


@pytest.fixture
def people(db: Database) -> dict:
    lead = person(db, "Amara Okafor", qualified=True)
    return {
        "lead": lead,
        "a": person(db, "Ben Adeyemi", line_sup=lead.id),
        "b": person(db, "Ellie Marsh", line_sup=lead.id),
    }


def ids(hits) -> set[str]:
    return {h.session_id for h in hits}


def test_stemmed_words_match(db, people) -> None:
    a = people["a"]
    crisis = session(db, a, DAY, issues="Called the crisis line twice.")
    crises = session(db, a, DAY, issues="Two crises this month after discharge.")
    delayed = session(db, a, DAY, issues="The assessment was delayed overnight.")
    delay = session(db, a, DAY, issues="A delay in the home treatment start.")
    psychoses = session(db, a, DAY, issues="Managing early psychoses in the community.")
    assert ids(search_sessions(db, "crises")) == {crisis, crises}
    assert ids(search_sessions(db, "crisis")) == {crisis, crises}
    assert ids(search_sessions(db, "delayed")) == {delayed, delay}
    assert ids(search_sessions(db, "delay")) == {delayed, delay}
    assert ids(search_sessions(db, "DELAYS")) == {delayed, delay}
    assert ids(search_sessions(db, "psychosis")) == {psychoses}


def test_every_part_of_a_record_is_searched(db, people) -> None:
    a, lead = people["a"], people["lead"]
    where = {
        "issues": session(db, a, DAY, issues="Rang the crisis line."),
        "case discussion": session(db, a, DAY, case_discussion="Used the crisis line at 2am."),
        "decision": session(db, a, DAY, decisions=[("Share the crisis line number", "")]),
        "rationale": session(db, a, DAY, decisions=[("Share it", "The crisis line is busy")]),
        "action": session(db, a, DAY, actions=[action("Test the crisis line",
                                                       ActionOwner.SUPERVISOR, DAY)]),
        "evidence": session(db, a, DAY, actions=[action("Check", ActionOwner.SUPERVISOR, DAY,
                                                         "Crisis line log")]),
        "support": session(db, a, DAY, support_offered="Crisis line for staff given."),
        "refs": session(db, a, DAY, case_refs="C-4242"),
        "cancel": session(db, a, DAY, status=SessionStatus.CANCELLED,
                          cancel_reason="Covering the crisis line"),
    }  # fmt: skip
    signed = session(db, a, DAY, supervisor=lead, issues="Nothing of note.")
    records = RecordService(db)
    records.sign_off(signed, "Amara Okafor", confirmed=True, accept_gaps=True)
    records.add_addendum(signed, author="Amara Okafor", reason="Omission",
                         text="Also discussed the crisis line rota.")  # fmt: skip
    where["addendum"] = signed
    found = ids(search_sessions(db, '"crisis line"'))
    missing = {k for k, sid in where.items() if sid not in found and k != "refs"}
    assert missing == set()
    assert ids(search_sessions(db, "C-4242")) == {where["refs"]}
    # An action completed later from the actions view: its note is found too.
    act = SessionService(db).get(where["action"])
    assert act is not None
    SessionService(db).close_action(
        act.actions[0].id, ActionStatus.DONE, "Numbers checked weekly", DAY
    )
    assert ids(search_sessions(db, "checked weekly")) == {where["action"]}


def test_words_may_be_apart_but_a_quoted_phrase_must_be_together(db, people) -> None:
    a = people["a"]
    together = session(db, a, DAY, issues="The crisis line was engaged.")
    apart = session(db, a, DAY, issues="A line manager handled the crisis.")
    assert ids(search_sessions(db, "crisis line")) == {together, apart}
    assert ids(search_sessions(db, '"crisis line"')) == {together}


@pytest.mark.parametrize(
    "query",
    [
        '"', '""', '"crisis', 'crisis"line', "crisis AND", "AND", "OR", "NOT", "NOT crisis",
        "crisis -line", "-", "*", "cris*", "(", ")", "(crisis", "NEAR(crisis line)", "NEAR",
        "crisis:line", "{body}", "{confidential}: secret", "body:crisis", "^crisis", "+crisis",
        "'; DROP TABLE sessions; --", "crisis\x00line", "a" * 2000, "crisis " * 300, "½ ∑ 😀",
        "confidential", "session_id", "\\", "%", "_",
    ],
)  # fmt: skip
def test_typed_quotes_and_operators_never_error(db, people, query: str) -> None:
    a = people["a"]
    session(db, a, DAY, issues="Crisis line not answered; NOT good, AND getting worse.",
            confidential="secret")  # fmt: skip
    hits = search_sessions(db, query)
    assert all(not h.in_confidential for h in hits)
    assert "secret" not in " ".join(h.snippet for h in hits)


def test_operators_are_plain_words(db, people) -> None:
    a = people["a"]
    with_not = session(db, a, DAY, issues="The duty worker did NOT call back.")
    session(db, a, DAY, issues="The duty worker called back.")
    assert ids(search_sessions(db, "NOT")) == {with_not}
    assert ids(search_sessions(db, "did NOT call")) == {with_not}
    assert match_expression("crisis NOT line") == '("crisis" OR "crises") AND ("NOT") AND ("line")'
    assert match_expression('"') is None and match_expression(" - * ( ") is None


def test_confidential_notes_are_searched_only_when_asked(db, people) -> None:
    a = people["a"]
    private = session(db, a, DAY, issues="Routine review.", confidential="Bereavement in July.")
    both = session(db, a, DAY, issues="Bereavement leave policy explained.",
                   confidential="Bereavement of a parent.")  # fmt: skip
    hits = search_sessions(db, "bereavement")
    assert ids(hits) == {both}
    assert all("parent" not in h.snippet for h in hits)
    hits = search_sessions(db, "bereavement", include_confidential=True)
    assert ids(hits) == {private, both}
    by_id = {h.session_id: h for h in hits}
    assert by_id[private].in_confidential and "July" in by_id[private].snippet
    # Words split between the record and the notes match only when the notes are searched.
    assert ids(search_sessions(db, "routine july")) == set()
    assert ids(search_sessions(db, "routine july", include_confidential=True)) == {private}


def test_filters_by_type_worker_date_and_theme(db, people) -> None:
    a, b, lead = people["a"], people["b"], people["lead"]
    line_a = session(db, a, DAY, issues="crisis", themes=["Delayed crisis response"])
    clin_b = session(db, b, DAY + timedelta(days=5), type_=CLINICAL, issues="crisis",
                     decision_themes=["Delayed crisis response"])  # fmt: skip
    group = session(db, None, DAY + timedelta(days=9), type_=GROUP, supervisor=lead,
                    attendees=[a, b], issues="crisis")  # fmt: skip
    assert ids(search_sessions(db, "crisis", type_=CLINICAL)) == {clin_b}
    assert ids(search_sessions(db, "crisis", worker_id=a.id)) == {line_a, group}
    assert ids(search_sessions(db, "crisis", date_from=DAY + timedelta(days=1),
                               date_to=DAY + timedelta(days=5))) == {clin_b}  # fmt: skip
    theme = theme_id(db, "Delayed crisis response")
    assert ids(search_sessions(db, "crisis", theme_id=theme)) == {line_a, clin_b}
    # No words: the filters alone choose, newest first.
    hits = search_sessions(db, "  ", worker_id=b.id)
    assert [h.session_id for h in hits] == [group, clin_b]
    assert hits[0].worker_name == "Group (2 attendees)" and hits[0].worker_id is None
    assert hits[1].worker_name == "Ellie Marsh"


def test_results_carry_a_plain_snippet_with_the_match_marked(db, people) -> None:
    a = people["a"]
    sid = session(db, a, DAY, issues="Waited nine hours after calling the crisis line.",
                  decisions=[("Escalate long waits", "")])  # fmt: skip
    [hit] = search_sessions(db, "crises")
    assert hit.session_id == sid and hit.session_date == DAY and hit.worker_name == "Ben Adeyemi"
    assert "\x02" not in hit.snippet and "\n" not in hit.snippet
    assert [hit.snippet[s:e] for s, e in hit.highlights] == ["crisis"]
    [hit] = search_sessions(db, "escalate")
    assert " · " in hit.snippet  # fields are separated, never run together


def test_the_index_follows_edits_and_deletes(db, people) -> None:
    a = people["a"]
    service = SessionService(db)
    sid = session(db, a, DAY, issues="Original wording about housing.")
    rec = service.get(sid)
    assert rec is not None
    rec.issues = "Rewritten about benefits."
    rec.decisions[0].text = "Refer to welfare rights"
    service.save(rec)
    assert ids(search_sessions(db, "housing")) == set()
    assert ids(search_sessions(db, "benefits")) == {sid}
    assert ids(search_sessions(db, "welfare")) == {sid}
    assert db.execute("SELECT count(*) FROM session_text").fetchone()[0] == 1
    db.execute("DELETE FROM decisions WHERE session_id = ?", [sid])
    db.execute("DELETE FROM sessions WHERE id = ?", [sid])
    assert search_sessions(db, "benefits") == []
    assert db.execute("SELECT count(*) FROM session_text").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM search_docs").fetchone()[0] == 0


def test_rebuilding_the_index_gives_the_same_answers(db, people) -> None:
    a = people["a"]
    sid = session(db, a, DAY, issues="Crisis line.", confidential="Private matter.")
    db.execute("DELETE FROM session_text")
    assert search_sessions(db, "crisis") == []
    assert rebuild_search_index(db) == 1
    assert ids(search_sessions(db, "crisis")) == {sid}
    assert ids(search_sessions(db, "private", include_confidential=True)) == {sid}


# --------------------------------------------------------------------------- migration


def _build_v3(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A schema-v3 file (as released before governance) holding one of everything."""
    with monkeypatch.context() as m:
        m.setattr(store, "MIGRATIONS", MIGRATIONS[:3])
        m.setattr(store, "SCHEMA_VERSION", 3)
        db = store.connect(path)
        store.migrate(db)
        assert db.execute("PRAGMA user_version").fetchone()[0] == 3
        now = "2026-01-01T00:00:00Z"
        db.execute(
            "INSERT INTO workers (id, name, created_at, updated_at) VALUES "
            "('w1', 'Ada Okafor', ?, ?), ('w2', 'Ben Price', ?, ?)",
            [now, now, now, now],
        )
        db.execute(
            "INSERT INTO sessions (id, type, status, session_date, worker_id, supervisor_id, "
            "issues, confidential_notes, case_refs, created_at, updated_at) VALUES "
            "('s1', 'clinical', 'held', '2026-03-02', 'w1', 'w2', 'Two crises after discharge', "
            "'A family bereavement', 'C-7001', ?, ?), "
            "('s2', 'line', 'held', '2026-03-09', 'w1', 'w2', '', '', '', ?, ?)",
            [now, now, now, now],
        )
        db.execute(
            "UPDATE sessions SET status = 'cancelled', cancel_reason = 'Caseload pressure' "
            "WHERE id = 's2'"
        )
        db.execute(
            "INSERT INTO decisions (id, session_id, position, text, rationale) VALUES "
            "('d1', 's1', 0, 'Escalate delayed assessments', 'Waits are growing')"
        )
        db.execute(
            "INSERT INTO actions (id, session_id, worker_id, description, owner, created_at, "
            "updated_at) VALUES ('a1', 's1', 'w1', 'Ring the ward manager', 'supervisor', ?, ?)",
            [now, now],
        )
        db.execute(
            "INSERT INTO session_themes (session_id, theme_id) "
            "SELECT 's1', id FROM themes WHERE name = 'Delayed crisis response'"
        )
        close_database(db)


def test_migrating_v3_to_v4_keeps_data_and_indexes_existing_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "keel.db"
    _build_v3(path, monkeypatch)
    before = sqlite3.connect(path)
    rows = {}
    for t in ("workers", "sessions", "decisions", "actions", "session_themes"):
        cursor = before.execute(f"SELECT * FROM {t} ORDER BY 1")
        rows[t] = ([c[0] for c in cursor.description], cursor.fetchall())
    before.close()
    db = open_database(path)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        for table, (columns, old) in rows.items():
            # Every value is kept; the required types moved to rows of their own (below).
            kept = [c for c in columns if not c.startswith("requires_")]
            new = db.execute(f"SELECT {', '.join(kept)} FROM {table} ORDER BY 1").fetchall()
            assert new == [tuple(r[columns.index(c)] for c in kept) for r in old], table
        required = db.execute("SELECT worker_id, type FROM worker_required_types").fetchall()
        assert sorted(required) == sorted(
            (w, t) for w in ("w1", "w2") for t in ("line", "clinical", "group")
        )
        assert db.execute("SELECT cancel_category FROM sessions").fetchall() == [(None,), (None,)]
        assert ids(search_sessions(db, "crisis")) == {"s1"}
        assert ids(search_sessions(db, "delay")) == {"s1"}  # the decision's "delayed"
        assert ids(search_sessions(db, "ward manager")) == {"s1"}
        assert ids(search_sessions(db, "caseload")) == {"s2"}
        assert search_sessions(db, "bereavement") == []
        assert ids(search_sessions(db, "bereavement", include_confidential=True)) == {"s1"}
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        # The index keeps in step from then on.
        db.execute("UPDATE sessions SET issues = 'Housing letters' WHERE id = 's1'")
        assert ids(search_sessions(db, "housing")) == {"s1"}
    finally:
        close_database(db)
    backups = [p.name for p in tmp_path.iterdir() if "pre-migration-v3" in p.name]
    assert len(backups) == 1
