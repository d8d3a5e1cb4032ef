"""Governance items, their source sessions, the forums' meetings and trend alert outcomes.

Plain reads and writes; the rules (allowed transitions, dates, audit) live in
``app.services.governance``. Triggers back the rules up: the status only moves one step
forward, a closed item is final, and nothing here is ever deleted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from app.domain.governance import Forum, ItemSource, ItemStatus
from app.domain.model import SessionStatus
from app.domain.rows import AlertOutcome, GovernanceItem, SourceSession
from app.storage.db import Database, new_id, utc_now
from app.storage.rows import to_date

_ITEM_COLUMNS = (
    "g.id, g.forum, g.title, g.description, g.status, g.source, g.theme_id, "
    "coalesce(t.name, ''), g.raised_on, g.raised_by, g.tabled_on, g.decided_on, g.decision, "
    "g.change_made, g.change_made_on, g.closed_on, g.closing_note"
)


def _items(db: Database, where: str, params: Sequence[Any]) -> list[GovernanceItem]:
    rows = db.execute(
        f"SELECT {_ITEM_COLUMNS} FROM governance_items g "
        f"LEFT JOIN themes t ON t.id = g.theme_id WHERE {where} "
        "ORDER BY g.raised_on, g.created_at, g.id",
        list(params),
    ).fetchall()
    links: dict[str, list[str]] = defaultdict(list)
    ids = [r[0] for r in rows]
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        marks = ",".join("?" for _ in chunk)
        for item_id, session_id in db.execute(
            "SELECT l.item_id, l.session_id FROM governance_item_sessions l "
            f"JOIN sessions s ON s.id = l.session_id WHERE l.item_id IN ({marks}) "
            "ORDER BY s.session_date, s.id",
            chunk,
        ).fetchall():
            links[item_id].append(session_id)
    return [
        GovernanceItem(
            id=r[0], forum=Forum(r[1]), title=r[2], description=r[3], status=ItemStatus(r[4]),
            source=ItemSource(r[5]), theme_id=r[6], theme_name=r[7],
            raised_on=date.fromisoformat(r[8]), raised_by=r[9], tabled_on=to_date(r[10]),
            decided_on=to_date(r[11]), decision=r[12], change_made=r[13],
            change_made_on=to_date(r[14]), closed_on=to_date(r[15]), closing_note=r[16],
            session_ids=tuple(links.get(r[0], ())),
        )
        for r in rows
    ]  # fmt: skip


def get_item(db: Database, item_id: str) -> GovernanceItem | None:
    found = _items(db, "g.id = ?", [item_id])
    return found[0] if found else None


def list_items(
    db: Database,
    *,
    forum: Forum | None = None,
    statuses: Iterable[ItemStatus] | None = None,
) -> list[GovernanceItem]:
    """Items, oldest raised first, optionally for one forum and some statuses."""
    clauses, params = ["1"], []
    if forum is not None:
        clauses.append("g.forum = ?")
        params.append(forum.value)
    if statuses is not None:
        wanted = [s.value for s in statuses]
        clauses.append(f"g.status IN ({','.join('?' for _ in wanted) or 'NULL'})")
        params += wanted
    return _items(db, " AND ".join(clauses), params)


def items_for_session(db: Database, session_id: str) -> list[GovernanceItem]:
    """Items a session was taken to (the forward link from a record)."""
    return _items(
        db,
        "g.id IN (SELECT item_id FROM governance_item_sessions WHERE session_id = ?)",
        [session_id],
    )


def closed_with_change(
    db: Database, date_from: date | None, date_to: date | None
) -> list[GovernanceItem]:
    """Closed items with a change made dated in the period (either end may be open)."""
    clauses = ["g.status = 'closed'", "trim(g.change_made) <> ''"]
    params: list[str] = []
    if date_from is not None:
        clauses.append("g.change_made_on >= ?")
        params.append(date_from.isoformat())
    if date_to is not None:
        clauses.append("g.change_made_on <= ?")
        params.append(date_to.isoformat())
    found = _items(db, " AND ".join(clauses), params)
    return sorted(found, key=lambda i: (i.change_made_on or i.raised_on, i.title.casefold()))


def insert_item(
    db: Database,
    *,
    forum: Forum,
    title: str,
    description: str,
    source: ItemSource,
    theme_id: str | None,
    raised_on: date,
    raised_by: str,
) -> str:
    item_id, now = new_id(), utc_now()
    db.execute(
        "INSERT INTO governance_items (id, forum, title, description, status, source, theme_id, "
        "raised_on, raised_by, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, 'raised', ?, ?, ?, ?, ?, ?)",
        [item_id, forum.value, title, description, source.value, theme_id,
         raised_on.isoformat(), raised_by, now, now],
    )  # fmt: skip
    return item_id


def update_item(db: Database, item_id: str, **values: object) -> None:
    """Set columns of an item (dates as ``date``, enums as their values)."""
    cleaned = {
        k: (v.isoformat() if isinstance(v, date) else getattr(v, "value", v))
        for k, v in values.items()
    }
    sets = ", ".join(f"{k} = ?" for k in cleaned)
    db.execute(
        f"UPDATE governance_items SET {sets}, updated_at = ? WHERE id = ?",
        [*cleaned.values(), utc_now(), item_id],
    )


def link_sessions(db: Database, item_id: str, session_ids: Iterable[str]) -> int:
    """Link sessions to an item (already linked ones are skipped). Returns how many were new."""
    added = 0
    now = utc_now()
    for session_id in dict.fromkeys(session_ids):
        exists = db.execute(
            "SELECT 1 FROM governance_item_sessions WHERE item_id = ? AND session_id = ?",
            [item_id, session_id],
        ).fetchone()
        if exists is None:
            db.execute(
                "INSERT INTO governance_item_sessions (item_id, session_id, linked_at) "
                "VALUES (?, ?, ?)",
                [item_id, session_id, now],
            )
            added += 1
    return added


def unlink_session(db: Database, item_id: str, session_id: str) -> bool:
    cur = db.execute(
        "DELETE FROM governance_item_sessions WHERE item_id = ? AND session_id = ?",
        [item_id, session_id],
    )
    return bool(cur.rowcount)


def source_sessions(db: Database, session_ids: Sequence[str]) -> list[SourceSession]:
    """The sessions with these ids, oldest first."""
    out: list[SourceSession] = []
    for start in range(0, len(session_ids), 500):
        chunk = list(session_ids[start : start + 500])
        marks = ",".join("?" for _ in chunk)
        rows = db.execute(
            "SELECT s.id, s.session_date, s.type, s.status, coalesce(w.name, ''), "
            "(SELECT count(*) FROM session_attendees a WHERE a.session_id = s.id), s.case_refs "
            f"FROM sessions s LEFT JOIN workers w ON w.id = s.worker_id WHERE s.id IN ({marks})",
            chunk,
        ).fetchall()
        out += [
            SourceSession(r[0], date.fromisoformat(r[1]), r[2],
                          SessionStatus(r[3]), r[4], int(r[5]), r[6])
            for r in rows
        ]  # fmt: skip
    return sorted(out, key=lambda s: (s.session_date, s.session_id))


# --- Meetings ------------------------------------------------------------------------------


def add_meeting(db: Database, forum: Forum, on: date, note: str = "") -> bool:
    """Record that a forum met on a date. Returns False when it was already recorded."""
    exists = db.execute(
        "SELECT 1 FROM governance_meetings WHERE forum = ? AND meeting_date = ?",
        [forum.value, on.isoformat()],
    ).fetchone()
    if exists is not None:
        return False
    db.execute(
        "INSERT INTO governance_meetings (id, forum, meeting_date, note, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [new_id(), forum.value, on.isoformat(), note, utc_now()],
    )
    return True


def last_meeting_before(db: Database, forum: Forum, before: date) -> date | None:
    row = db.execute(
        "SELECT max(meeting_date) FROM governance_meetings WHERE forum = ? AND meeting_date < ?",
        [forum.value, before.isoformat()],
    ).fetchone()
    return to_date(row[0])


def meetings(db: Database, forum: Forum | None = None) -> list[tuple[Forum, date]]:
    """Recorded meetings, newest first."""
    rows = db.execute(
        "SELECT forum, meeting_date FROM governance_meetings "
        + ("WHERE forum = ? " if forum else "")
        + "ORDER BY meeting_date DESC",
        [forum.value] if forum else [],
    ).fetchall()
    return [(Forum(r[0]), date.fromisoformat(r[1])) for r in rows]


# --- Trend alert outcomes ------------------------------------------------------------------


def add_alert_outcome(
    db: Database,
    *,
    theme_id: str,
    as_of: date,
    summary: str,
    outcome: str,
    reason: str,
    item_id: str | None,
    decided_by: str,
    session_ids: Iterable[str],
) -> str:
    alert_id = new_id()
    db.execute(
        "INSERT INTO trend_alerts (id, theme_id, as_of, summary, outcome, reason, item_id, "
        "decided_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [alert_id, theme_id, as_of.isoformat(), summary, outcome, reason, item_id, decided_by,
         utc_now()],
    )  # fmt: skip
    for session_id in dict.fromkeys(session_ids):
        db.execute(
            "INSERT INTO trend_alert_sessions (alert_id, session_id) VALUES (?, ?)",
            [alert_id, session_id],
        )
    return alert_id


def handled_sessions(db: Database) -> dict[str, set[str]]:
    """Per theme, the sessions listed by alerts already dismissed or turned into items."""
    out: dict[str, set[str]] = defaultdict(set)
    for theme_id, session_id in db.execute(
        "SELECT a.theme_id, s.session_id FROM trend_alerts a "
        "JOIN trend_alert_sessions s ON s.alert_id = a.id"
    ).fetchall():
        out[theme_id].add(session_id)
    return dict(out)


def alert_outcomes(db: Database, theme_id: str | None = None) -> list[AlertOutcome]:
    """Dismissed and converted alerts, newest first."""
    rows = db.execute(
        "SELECT a.id, a.theme_id, coalesce(t.name, ''), a.as_of, a.summary, a.outcome, a.reason, "
        "a.item_id, a.decided_by, a.created_at FROM trend_alerts a "
        "LEFT JOIN themes t ON t.id = a.theme_id "
        + ("WHERE a.theme_id = ? " if theme_id else "")
        + "ORDER BY a.created_at DESC, a.id",
        [theme_id] if theme_id else [],
    ).fetchall()
    return [
        AlertOutcome(r[0], r[1], r[2], date.fromisoformat(r[3]), r[4], r[5], r[6], r[7], r[8],
                     r[9])
        for r in rows
    ]  # fmt: skip
