"""Search every session record: "find every session mentioning crisis line".

What is searched (one document per session, kept in step by triggers): what was discussed —
issues, case discussion, decisions and their rationale, actions with their evidence and
completion notes, notes from reviewing earlier actions, addenda — and the case and referral
references, support offered, the cancellation reason and the supervisee's comment. The place
a session was held is searched only with ``include_places=True`` (a search for "housing" once
found every session held at "Ashcroft House"), and the confidential reflective notes only
with ``include_confidential=True``; otherwise they can neither match nor appear in a snippet.

Results are ranked: sessions whose discussion, decisions or actions (or, when asked, their
confidential notes) hold every word come first, then those that need the references and
notes, then those found only through their place; recent first within each. Each hit says
where it was found and carries a snippet with the matched words' positions, to highlight.
How typed text is read: ``app.storage.search``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from app.domain.model import SessionStatus, TypeKey
from app.services.bound import BoundService, bound
from app.storage import search as store
from app.storage.db import Database, transaction

_START, _END = "\x02", "\x03"
# Where a hit's words were found, best first (the rank of a hit).
DISCUSSION = "discussion, decisions or actions"
NOTES = "references and notes"
PLACE = "place"
_FOUND_IN = (DISCUSSION, NOTES, PLACE)
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
    found_in: str = DISCUSSION
    """Where the words were found: ``DISCUSSION``, ``NOTES`` or ``PLACE`` (the rank)."""


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
    include_places: bool = False,
    limit: int | None = None,
) -> list[SearchHit]:
    """Sessions whose record mentions every word (or quoted phrase) of ``query``, best first
    (see the module: what was discussed, then references and notes, then the place; recent
    first among equals).

    Never raises on what a person types. A ``query`` with no words returns the sessions the
    filters select, newest first (the snippet is then the start of the issues discussed).
    ``worker_id`` matches a supervisee or a group attendee; ``theme_id`` a session raising the
    theme on itself or on a decision. ``limit`` caps the number of hits (None: every match).
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
            "substr(s.issues, 1, 200), '', 0 FROM sessions s "
            f"LEFT JOIN workers w ON w.id = s.worker_id WHERE {where} "
            "ORDER BY s.session_date DESC, s.id LIMIT ?",
            [*params, -1 if limit is None else limit],
        ).fetchall()
    else:
        rows = _ranked(db, expression, who, clauses, params, include_confidential,
                       include_places, limit)  # fmt: skip
    hits = []
    for r in rows:
        snippet, spans = _plain(r[6] or "")
        hits.append(
            SearchHit(
                r[0], date.fromisoformat(r[1]), r[2], SessionStatus(r[3]),
                r[4], r[5], snippet, spans, _START in (r[7] or ""), _FOUND_IN[int(r[8])],
            )
        )  # fmt: skip
    return hits


def _ranked(
    db: Database,
    expression: str,
    who: str,
    clauses: list[str],
    params: list[object],
    include_confidential: bool,
    include_places: bool,
    limit: int | None,
) -> list[tuple[object, ...]]:
    """Matching sessions with their rank: 0 when the discussion (or the confidential notes,
    when asked) holds every word, 1 when the references and notes are needed too, 2 when only
    the place completes the match. The snippet comes from the part that ranked the hit."""

    def within(columns: str) -> str:
        return store.column_filtered(expression, include_confidential=False, only=columns)

    member = "session_text.rowid IN (SELECT rowid FROM session_text WHERE session_text MATCH ?)"
    core = "body confidential" if include_confidential else "body"
    mark = f"'{_START}', '{_END}', '…', 16"
    snippet = f"CASE WHEN {member} THEN snippet(session_text, 1, {mark}) "
    snippet_params: list[object] = [within("body")]
    if include_confidential:
        snippet += f"WHEN {member} THEN snippet(session_text, 4, {mark}) "
        snippet_params.append(within("confidential"))
    snippet += f"ELSE snippet(session_text, -1, {mark}) END"
    rank = f"CASE WHEN {member} THEN 0 WHEN {member} THEN 1 ELSE 2 END"
    rank_params = [within(core), within(f"{core} other")]
    confidential = (
        f"snippet(session_text, 4, '{_START}', '{_END}', '…', 12)" if include_confidential else "''"
    )
    where = " AND ".join(["session_text MATCH ?", *clauses])
    return db.execute(
        f"SELECT s.id, s.session_date, s.type, s.status, s.worker_id, {who}, {snippet}, "
        f"{confidential}, {rank} AS found "
        "FROM session_text JOIN sessions s ON s.id = session_text.session_id "
        f"LEFT JOIN workers w ON w.id = s.worker_id WHERE {where} "
        "ORDER BY found, s.session_date DESC, s.id LIMIT ?",
        [
            *snippet_params,
            *rank_params,
            store.column_filtered(
                expression,
                include_confidential=include_confidential,
                include_places=include_places,
            ),
            *params,
            -1 if limit is None else limit,
        ],
    ).fetchall()


def rebuild_search_index(db: Database) -> int:
    """Rebuild the search index from the records (a repair; triggers normally keep it in
    step). Returns the number of sessions indexed."""
    with transaction(db, "rebuild the search index"):
        return store.rebuild_index(db)


class SearchService(BoundService):
    """Searching the records. (The open database given: see ``app.services.bound``.)"""

    search_sessions = bound(search_sessions)
