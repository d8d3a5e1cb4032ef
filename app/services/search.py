"""Search every session record: "find every session mentioning crisis line".

What is searched (one document per session, kept in step by triggers): issues discussed, case
discussion, case and referral references, support offered, the cancellation reason, location,
the supervisee's comment, decisions and their rationale, actions with their evidence and
completion notes, notes from reviewing earlier actions, and addenda. Confidential reflective
notes are searched only when the caller passes ``include_confidential=True``; otherwise they
can neither match nor appear in a snippet. How typed text is read: ``app.storage.search``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from app.domain.model import SessionStatus, TypeKey
from app.storage import search as store
from app.storage.db import Database, transaction

_START, _END = "\x02", "\x03"
_LINE_BREAKS = re.compile(r"\s*\n[\s\n]*")
_SPACES = re.compile(r"[ \t\r\f\v]+")


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One session that matched, with a plain-text snippet around the match."""

    session_id: str
    session_date: date
    type: TypeKey
    status: SessionStatus
    worker_id: str | None  # the supervisee; None for a group
    worker_name: str  # the supervisee's name, or "Group (n attendees)"
    snippet: str  # plain text; record fields are separated by " · "
    highlights: tuple[tuple[int, int], ...]  # (start, end) of each matched word in snippet
    in_confidential: bool  # the match includes the confidential notes (only when asked)


def _plain(marked: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Snippet text with the match markers removed, and where the marked words were."""
    flat = _SPACES.sub(" ", _LINE_BREAKS.sub(" · ", marked)).strip(" ·")
    flat = flat.replace("… · ", "… ").replace(" · …", " …")
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0
    start = None
    for ch in flat:
        if ch == _START:
            start = length
        elif ch == _END:
            if start is not None:
                spans.append((start, length))
            start = None
        else:
            out.append(ch)
            length += 1
    return "".join(out), tuple(spans)


def _filters(
    type_: TypeKey | None,
    worker_id: str | None,
    date_from: date | None,
    date_to: date | None,
    theme_id: str | None,
) -> tuple[list[str], list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if type_ is not None:
        clauses.append("s.type = ?")
        params.append(type_)
    if worker_id is not None:
        clauses.append(
            "(s.worker_id = ? OR EXISTS (SELECT 1 FROM session_attendees a "
            "WHERE a.session_id = s.id AND a.worker_id = ?))"
        )
        params += [worker_id, worker_id]
    if date_from is not None:
        clauses.append("s.session_date >= ?")
        params.append(date_from.isoformat())
    if date_to is not None:
        clauses.append("s.session_date <= ?")
        params.append(date_to.isoformat())
    if theme_id is not None:
        clauses.append(
            "EXISTS (SELECT 1 FROM session_raised_themes r WHERE r.session_id = s.id "
            "AND r.theme_id = ?)"
        )
        params.append(theme_id)
    return clauses, params


def search_sessions(
    db: Database,
    query: str,
    *,
    type_: TypeKey | None = None,
    worker_id: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    theme_id: str | None = None,
    include_confidential: bool = False,
    limit: int | None = None,
) -> list[SearchHit]:
    """Sessions whose record mentions every word (or quoted phrase) of ``query``, newest first.

    Never raises on what a person types. A ``query`` with no words returns the sessions the
    filters select (the snippet is then the start of the issues discussed). ``worker_id``
    matches a supervisee or a group attendee; ``theme_id`` a session raising the theme on
    itself or on a decision. ``limit`` caps the number of hits (None: every match).
    """
    clauses, params = _filters(type_, worker_id, date_from, date_to, theme_id)
    expression = store.match_expression(query)
    who = (
        "CASE WHEN (SELECT kind FROM supervision_types WHERE key = s.type) = 'group' "
        "THEN 'Group (' || (SELECT count(*) FROM session_attendees a "
        "WHERE a.session_id = s.id) || ' attendees)' ELSE coalesce(w.name, '') END"
    )
    if expression is None:
        where = " AND ".join(clauses) or "1"
        rows = db.execute(
            f"SELECT s.id, s.session_date, s.type, s.status, s.worker_id, {who}, "
            "substr(s.issues, 1, 200), '' FROM sessions s "
            f"LEFT JOIN workers w ON w.id = s.worker_id WHERE {where} "
            "ORDER BY s.session_date DESC, s.id LIMIT ?",
            [*params, -1 if limit is None else limit],
        ).fetchall()
    else:
        body_col = -1 if include_confidential else 1
        confidential = (
            f"snippet(session_text, 2, '{_START}', '{_END}', '…', 12)"
            if include_confidential
            else "''"
        )
        where = " AND ".join(["session_text MATCH ?", *clauses])
        rows = db.execute(
            f"SELECT s.id, s.session_date, s.type, s.status, s.worker_id, {who}, "
            f"snippet(session_text, {body_col}, '{_START}', '{_END}', '…', 16), {confidential} "
            "FROM session_text JOIN sessions s ON s.id = session_text.session_id "
            f"LEFT JOIN workers w ON w.id = s.worker_id WHERE {where} "
            "ORDER BY s.session_date DESC, s.id LIMIT ?",
            [
                store.column_filtered(expression, include_confidential=include_confidential),
                *params,
                -1 if limit is None else limit,
            ],
        ).fetchall()
    hits = []
    for r in rows:
        snippet, spans = _plain(r[6] or "")
        hits.append(
            SearchHit(
                r[0], date.fromisoformat(r[1]), r[2], SessionStatus(r[3]),
                r[4], r[5], snippet, spans, _START in (r[7] or ""),
            )
        )  # fmt: skip
    return hits


def rebuild_search_index(db: Database) -> int:
    """Rebuild the search index from the records (a repair; triggers normally keep it in
    step). Returns the number of sessions indexed."""
    with transaction(db, "rebuild the search index"):
        return store.rebuild_index(db)
