"""Schema migrations, in order. Each step runs in one transaction and bumps ``user_version``.

Never edit a released step: add a new one. ``MIGRATIONS[i]`` takes the schema from version
``i`` to ``i + 1``.
"""

from __future__ import annotations

from collections.abc import Callable

# The themes a new database starts with (their words are the domain's: app.domain.themes).
from app.domain.themes import SEEDED_THEMES as SEEDED_THEMES
from app.storage.group_ack_schema import ATTENDEE_RESPONSES as ATTENDEE_RESPONSES
from app.storage.qa_schema import QA_COUNTERSIGNATURES

V1_CORE = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE policies (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL CHECK (json_valid(data))
) STRICT;

CREATE TABLE workers (
    id TEXT PRIMARY KEY,
    staff_id TEXT UNIQUE,
    name TEXT NOT NULL CHECK (trim(name) <> ''),
    role TEXT NOT NULL DEFAULT '',
    team TEXT NOT NULL DEFAULT '',
    start_date TEXT,
    employment TEXT NOT NULL DEFAULT 'permanent'
        CHECK (employment IN ('permanent', 'bank', 'agency', 'student')),
    profession TEXT NOT NULL DEFAULT '',
    line_supervisor_id TEXT REFERENCES workers(id),
    clinical_supervisor_id TEXT REFERENCES workers(id),
    qualified_clinical INTEGER NOT NULL DEFAULT 0 CHECK (qualified_clinical IN (0, 1)),
    requires_line INTEGER NOT NULL DEFAULT 1 CHECK (requires_line IN (0, 1)),
    requires_clinical INTEGER NOT NULL DEFAULT 1 CHECK (requires_clinical IN (0, 1)),
    requires_group INTEGER NOT NULL DEFAULT 1 CHECK (requires_group IN (0, 1)),
    left_on TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE risk_assessments (
    id TEXT PRIMARY KEY,
    worker_id TEXT NOT NULL REFERENCES workers(id),
    assessed_on TEXT NOT NULL,
    cohort_risk INTEGER NOT NULL CHECK (cohort_risk BETWEEN 1 AND 3),
    decision_complexity INTEGER NOT NULL CHECK (decision_complexity BETWEEN 1 AND 3),
    support_need INTEGER NOT NULL CHECK (support_need BETWEEN 1 AND 3),
    volatility INTEGER NOT NULL CHECK (volatility BETWEEN 1 AND 3),
    tier TEXT NOT NULL CHECK (tier IN ('high', 'standard', 'low')),
    assessed_by TEXT NOT NULL DEFAULT '',
    rationale TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT 'manual',
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX risk_assessments_worker ON risk_assessments(worker_id, assessed_on);
CREATE TRIGGER risk_assessments_never_updated BEFORE UPDATE ON risk_assessments
BEGIN
    SELECT RAISE(ABORT, 'risk assessments are history: add a new assessment instead');
END;
CREATE TRIGGER risk_assessments_never_deleted BEFORE DELETE ON risk_assessments
BEGIN
    SELECT RAISE(ABORT, 'risk assessments are history and cannot be deleted');
END;

CREATE TABLE leave_periods (
    id TEXT PRIMARY KEY,
    worker_id TEXT NOT NULL REFERENCES workers(id),
    kind TEXT NOT NULL DEFAULT 'other' CHECK (kind IN ('sickness', 'parental', 'other')),
    start_date TEXT NOT NULL,
    end_date TEXT CHECK (end_date IS NULL OR end_date >= start_date),
    note TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX leave_periods_worker ON leave_periods(worker_id);

CREATE TABLE overrides (
    id TEXT PRIMARY KEY,
    worker_id TEXT NOT NULL REFERENCES workers(id),
    type TEXT NOT NULL CHECK (type IN ('line', 'clinical', 'group')),
    interval_days INTEGER NOT NULL CHECK (interval_days >= 1),
    reason TEXT NOT NULL CHECK (trim(reason) <> ''),
    starts_on TEXT,
    expires_on TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX overrides_worker ON overrides(worker_id);

CREATE TABLE trigger_events (
    id TEXT PRIMARY KEY,
    worker_id TEXT NOT NULL REFERENCES workers(id),
    kind TEXT NOT NULL CHECK (kind IN ('incident', 'safeguarding', 'complaint', 'boundary',
                                       'return_from_leave', 'other')),
    event_date TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('line', 'clinical', 'group')),
    response_days INTEGER NOT NULL CHECK (response_days >= 0),
    note TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX trigger_events_worker ON trigger_events(worker_id);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL CHECK (type IN ('line', 'clinical', 'group')),
    status TEXT NOT NULL CHECK (status IN ('planned', 'held', 'cancelled', 'dna')),
    session_date TEXT NOT NULL,
    start_time TEXT,
    duration_minutes INTEGER CHECK (duration_minutes IS NULL OR duration_minutes > 0),
    mode TEXT CHECK (mode IS NULL OR mode IN ('in_person', 'video', 'phone')),
    supervisor_id TEXT REFERENCES workers(id),
    worker_id TEXT REFERENCES workers(id),
    cancel_reason TEXT NOT NULL DEFAULT '',
    imported INTEGER NOT NULL DEFAULT 0 CHECK (imported IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (type = 'group' OR worker_id IS NOT NULL),
    CHECK (status <> 'cancelled' OR trim(cancel_reason) <> '')
) STRICT;
CREATE INDEX sessions_worker_type ON sessions(worker_id, type, status, session_date);
CREATE INDEX sessions_type_date ON sessions(type, status, session_date);

CREATE TABLE session_attendees (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    worker_id TEXT NOT NULL REFERENCES workers(id),
    PRIMARY KEY (session_id, worker_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX session_attendees_worker ON session_attendees(worker_id, session_id);
"""

V2_RECORDS = """
ALTER TABLE sessions ADD COLUMN checklist TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(checklist));
ALTER TABLE sessions ADD COLUMN issues TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN case_discussion TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN risk_link INTEGER CHECK (risk_link IS NULL OR risk_link IN (0, 1));
ALTER TABLE sessions ADD COLUMN case_refs TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN referral_refs TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN wellbeing INTEGER CHECK (wellbeing IS NULL OR wellbeing BETWEEN 1 AND 10);
ALTER TABLE sessions ADD COLUMN workload TEXT
    CHECK (workload IS NULL OR workload IN ('manageable', 'stretched', 'excessive'));
ALTER TABLE sessions ADD COLUMN moral_distress INTEGER CHECK (moral_distress IS NULL OR moral_distress IN (0, 1));
ALTER TABLE sessions ADD COLUMN support_offered TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN confidential_notes TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN location TEXT NOT NULL DEFAULT '';

CREATE TABLE decisions (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    position INTEGER NOT NULL DEFAULT 0,
    text TEXT NOT NULL CHECK (trim(text) <> ''),
    rationale TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX decisions_session ON decisions(session_id, position);

CREATE TABLE actions (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id),
    worker_id TEXT NOT NULL REFERENCES workers(id),
    description TEXT NOT NULL CHECK (trim(description) <> ''),
    owner TEXT CHECK (owner IS NULL OR owner IN ('supervisee', 'supervisor', 'other')),
    owner_name TEXT NOT NULL DEFAULT '',
    due_date TEXT,
    evidence TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'dropped')),
    completion_note TEXT NOT NULL DEFAULT '',
    closed_on TEXT,
    position INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (status <> 'dropped' OR trim(completion_note) <> '')
) STRICT;
CREATE INDEX actions_worker_status ON actions(worker_id, status, due_date);
CREATE INDEX actions_session ON actions(session_id);

CREATE TABLE action_reviews (
    id TEXT PRIMARY KEY,
    action_id TEXT NOT NULL REFERENCES actions(id),
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    outcome TEXT NOT NULL CHECK (outcome IN ('done', 'open', 'dropped')),
    note TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    UNIQUE (action_id, session_id)
) STRICT;
CREATE INDEX action_reviews_session ON action_reviews(session_id);

CREATE TABLE themes (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (trim(name) <> ''),
    seeded INTEGER NOT NULL DEFAULT 0 CHECK (seeded IN (0, 1)),
    retired_on TEXT,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE session_themes (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    theme_id TEXT NOT NULL REFERENCES themes(id),
    PRIMARY KEY (session_id, theme_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX session_themes_theme ON session_themes(theme_id);

CREATE TABLE drafts (
    id TEXT PRIMARY KEY,
    session_id TEXT REFERENCES sessions(id) ON DELETE CASCADE,
    worker_id TEXT REFERENCES workers(id),
    type TEXT NOT NULL CHECK (type IN ('line', 'clinical', 'group')),
    data TEXT NOT NULL CHECK (json_valid(data)),
    updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX drafts_worker ON drafts(worker_id, type);
"""

# Columns of a session record that sign-off locks (everything but the supervisee's response).
LOCKED_SESSION_COLUMNS = (
    "type", "status", "session_date", "start_time", "duration_minutes", "mode", "supervisor_id",
    "worker_id", "cancel_reason", "imported", "checklist", "issues", "case_discussion",
    "risk_link", "case_refs", "referral_refs", "wellbeing", "workload", "moral_distress",
    "support_offered", "confidential_notes", "location", "signed_at", "signed_by_name",
    "signed_by_id", "fingerprint",
)  # fmt: skip


def _child_lock(table: str, row: str, event: str) -> str:
    return f"""
CREATE TRIGGER {table}_locked_{event.lower()} BEFORE {event} ON {table}
WHEN (SELECT signed_at FROM sessions WHERE id = {row}.session_id) IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'this record is signed and locked: add an addendum instead');
END;
"""


def _append_only(table: str, what: str) -> str:
    return f"""
CREATE TRIGGER {table}_never_updated BEFORE UPDATE ON {table}
BEGIN
    SELECT RAISE(ABORT, '{what} cannot be changed');
END;
CREATE TRIGGER {table}_never_deleted BEFORE DELETE ON {table}
BEGIN
    SELECT RAISE(ABORT, '{what} cannot be deleted');
END;
"""


V3_EVIDENCE = (
    """
ALTER TABLE sessions ADD COLUMN signed_at TEXT;
ALTER TABLE sessions ADD COLUMN signed_by_name TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN signed_by_id TEXT REFERENCES workers(id);
ALTER TABLE sessions ADD COLUMN fingerprint TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN supervisee_response TEXT
    CHECK (supervisee_response IS NULL OR supervisee_response IN ('acknowledged', 'disagreed'));
ALTER TABLE sessions ADD COLUMN supervisee_name TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN supervisee_comment TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN supervisee_responded_at TEXT;

CREATE TRIGGER sessions_locked BEFORE UPDATE OF """
    + ", ".join(LOCKED_SESSION_COLUMNS)
    + """ ON sessions
WHEN OLD.signed_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'this record is signed and locked: add an addendum instead');
END;
CREATE TRIGGER sessions_response_final BEFORE UPDATE OF supervisee_response, supervisee_name,
    supervisee_comment, supervisee_responded_at ON sessions
WHEN OLD.supervisee_response IS NOT NULL OR OLD.signed_at IS NULL
BEGIN
    SELECT RAISE(ABORT, 'the supervisee responds once, after the supervisor has signed');
END;
CREATE TRIGGER sessions_signed_never_deleted BEFORE DELETE ON sessions
WHEN OLD.signed_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a signed record cannot be deleted');
END;
"""
    + "".join(
        _child_lock(table, row, event)
        for table in ("decisions", "session_themes", "session_attendees", "action_reviews")
        for row, event in (("NEW", "INSERT"), ("OLD", "UPDATE"), ("OLD", "DELETE"))
    )
    + _child_lock("actions", "NEW", "INSERT")
    + _child_lock("actions", "OLD", "DELETE")
    + """
CREATE TRIGGER actions_locked_update BEFORE UPDATE OF description, owner, owner_name, due_date,
    evidence, session_id, worker_id ON actions
WHEN (SELECT signed_at FROM sessions WHERE id = OLD.session_id) IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'this action belongs to a signed record: add an addendum instead');
END;

CREATE TABLE addenda (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id),
    author TEXT NOT NULL CHECK (trim(author) <> ''),
    reason TEXT NOT NULL CHECK (trim(reason) <> ''),
    text TEXT NOT NULL CHECK (trim(text) <> ''),
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX addenda_session ON addenda(session_id, created_at);
"""
    + _append_only("addenda", "an addendum")
    + """
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    at TEXT NOT NULL,
    actor TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT,
    detail TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail)),
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
) STRICT;
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id);
"""
    + _append_only("audit_log", "the audit trail")
)


# --- V4: supervision that feeds governance -------------------------------------------------
#
# Themes on individual decisions (``decision_themes``); a cancellation category; governance
# items with their source sessions, the forums' meetings and what became of trend alerts;
# supervision agreements; and full-text search.
#
# Search: ``session_text`` is an FTS5 table with one document per session. ``body`` holds
# every piece of the record that reports may show (issues, case discussion, references,
# support offered, the cancellation reason, location, the supervisee's comment, decisions and
# their rationale, actions with their evidence and completion notes, review notes, addenda);
# ``confidential`` holds the confidential reflective notes alone, so a search leaves them out
# unless it names that column. Triggers on every table that feeds a document rebuild it;
# ``search_docs`` gives each session a stable FTS rowid (a plain table's rowid may change on
# VACUUM). The porter tokenizer makes "delayed" find "delay".


def session_document_sql() -> str:
    """An SQL expression over ``sessions s``: the search document of session ``s``."""
    nl = "char(10)"
    return f"""s.issues || {nl} || s.case_discussion || {nl} || s.case_refs || {nl} ||
    s.referral_refs || {nl} || s.support_offered || {nl} || s.cancel_reason || {nl} ||
    s.location || {nl} || s.supervisee_comment || {nl} ||
    coalesce((SELECT group_concat(d.text || {nl} || d.rationale, {nl}) FROM decisions d
              WHERE d.session_id = s.id), '') || {nl} ||
    coalesce((SELECT group_concat(a.description || {nl} || a.evidence || {nl} ||
              a.completion_note, {nl}) FROM actions a WHERE a.session_id = s.id), '') || {nl} ||
    coalesce((SELECT group_concat(r.note, {nl}) FROM action_reviews r
              WHERE r.session_id = s.id), '') || {nl} ||
    coalesce((SELECT group_concat(x.reason || {nl} || x.text, {nl}) FROM addenda x
              WHERE x.session_id = s.id), '')"""


def _reindex(session: str, columns: str = "", values: str = "") -> str:
    """Trigger statements that rebuild the search document of session ``session`` (schema 4's
    two columns, or the ``columns`` and their ``values`` given)."""
    columns = columns or "body, confidential"
    values = values or f"{session_document_sql()}, s.confidential_notes"
    return f"""
    INSERT INTO search_docs (session_id, doc)
        SELECT {session}, (SELECT coalesce(max(doc), 0) + 1 FROM search_docs)
        WHERE EXISTS (SELECT 1 FROM sessions WHERE id = {session})
          AND NOT EXISTS (SELECT 1 FROM search_docs WHERE session_id = {session});
    DELETE FROM session_text WHERE rowid = (SELECT doc FROM search_docs WHERE session_id = {session});
    INSERT INTO session_text (rowid, session_id, {columns})
        SELECT d.doc, s.id, {values}
        FROM sessions s JOIN search_docs d ON d.session_id = s.id WHERE s.id = {session};"""


# Session columns that feed the search document.
SEARCHED_SESSION_COLUMNS = (
    "issues", "case_discussion", "case_refs", "referral_refs", "support_offered",
    "cancel_reason", "location", "supervisee_comment", "confidential_notes",
)  # fmt: skip


def _search_triggers(reindex: Callable[[str], str] = _reindex) -> str:
    out = f"""
CREATE TRIGGER sessions_search_insert AFTER INSERT ON sessions
BEGIN{reindex("NEW.id")}
END;
CREATE TRIGGER sessions_search_update AFTER UPDATE OF {", ".join(SEARCHED_SESSION_COLUMNS)}
    ON sessions
BEGIN{reindex("NEW.id")}
END;
CREATE TRIGGER sessions_search_delete AFTER DELETE ON sessions
BEGIN
    DELETE FROM session_text
        WHERE rowid = (SELECT doc FROM search_docs WHERE session_id = OLD.id);
    DELETE FROM search_docs WHERE session_id = OLD.id;
END;
"""
    children = (
        ("decisions", ""),
        ("actions", " OF description, evidence, completion_note"),
        ("action_reviews", ""),
        ("addenda", None),
    )
    for table, update_of in children:
        out += f"""
CREATE TRIGGER {table}_search_insert AFTER INSERT ON {table}
BEGIN{reindex("NEW.session_id")}
END;
"""
        if update_of is None:  # append-only
            continue
        out += f"""
CREATE TRIGGER {table}_search_update AFTER UPDATE{update_of} ON {table}
BEGIN{reindex("NEW.session_id")}
END;
CREATE TRIGGER {table}_search_delete AFTER DELETE ON {table}
BEGIN{reindex("OLD.session_id")}
END;
"""
    return out


def _decision_theme_lock(row: str, event: str) -> str:
    return f"""
CREATE TRIGGER decision_themes_locked_{event.lower()} BEFORE {event} ON decision_themes
WHEN (SELECT s.signed_at FROM decisions d JOIN sessions s ON s.id = d.session_id
      WHERE d.id = {row}.decision_id) IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'this record is signed and locked: add an addendum instead');
END;
"""


def _closed_item_lock(row: str, event: str) -> str:
    return f"""
CREATE TRIGGER governance_item_sessions_closed_{event.lower()} BEFORE {event}
    ON governance_item_sessions
WHEN (SELECT status FROM governance_items WHERE id = {row}.item_id) = 'closed'
BEGIN
    SELECT RAISE(ABORT, 'a closed governance item is final: its sources cannot change');
END;
"""


V4_GOVERNANCE = (
    """
CREATE TABLE decision_themes (
    decision_id TEXT NOT NULL REFERENCES decisions(id) ON DELETE CASCADE,
    theme_id TEXT NOT NULL REFERENCES themes(id),
    PRIMARY KEY (decision_id, theme_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX decision_themes_theme ON decision_themes(theme_id);
"""
    + "".join(
        _decision_theme_lock(row, event)
        for row, event in (("NEW", "INSERT"), ("OLD", "UPDATE"), ("OLD", "DELETE"))
    )
    + """
-- A session raises a theme when the session, or any decision in it, is tagged with it.
CREATE VIEW session_raised_themes AS
    SELECT session_id, theme_id FROM session_themes
    UNION
    SELECT d.session_id, dt.theme_id FROM decision_themes dt
        JOIN decisions d ON d.id = dt.decision_id;

-- The workers a session involves: the supervisee, or every attendee of a group.
CREATE VIEW session_workers AS
    SELECT id AS session_id, worker_id FROM sessions WHERE worker_id IS NOT NULL
    UNION
    SELECT session_id, worker_id FROM session_attendees;

ALTER TABLE sessions ADD COLUMN cancel_category TEXT CHECK (cancel_category IS NULL OR
    cancel_category IN ('workload', 'sickness', 'leave', 'other'));

CREATE TABLE governance_items (
    id TEXT PRIMARY KEY,
    forum TEXT NOT NULL CHECK (forum IN ('mdt', 'safeguarding', 'quality')),
    title TEXT NOT NULL CHECK (trim(title) <> ''),
    description TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'raised'
        CHECK (status IN ('raised', 'tabled', 'decided', 'closed')),
    source TEXT NOT NULL CHECK (source IN ('session', 'alert', 'manual')),
    theme_id TEXT REFERENCES themes(id),
    raised_on TEXT NOT NULL,
    raised_by TEXT NOT NULL DEFAULT '',
    tabled_on TEXT CHECK (tabled_on IS NULL OR tabled_on >= raised_on),
    decided_on TEXT CHECK (decided_on IS NULL OR decided_on >= tabled_on),
    decision TEXT NOT NULL DEFAULT '',
    change_made TEXT NOT NULL DEFAULT '',
    change_made_on TEXT CHECK (change_made_on IS NULL OR change_made_on >= raised_on),
    closed_on TEXT CHECK (closed_on IS NULL OR closed_on >= decided_on),
    closing_note TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (status = 'raised' OR tabled_on IS NOT NULL),
    CHECK (status IN ('raised', 'tabled') OR (decided_on IS NOT NULL AND trim(decision) <> '')),
    CHECK (status <> 'closed' OR closed_on IS NOT NULL),
    CHECK ((change_made_on IS NULL) = (trim(change_made) = ''))
) STRICT;
CREATE INDEX governance_items_forum ON governance_items(forum, status);
CREATE TRIGGER governance_items_status_flow BEFORE UPDATE OF status ON governance_items
WHEN NEW.status <> OLD.status AND NOT (
    (OLD.status = 'raised' AND NEW.status = 'tabled')
    OR (OLD.status = 'tabled' AND NEW.status = 'decided')
    OR (OLD.status = 'decided' AND NEW.status = 'closed'))
BEGIN
    SELECT RAISE(ABORT, 'a governance item moves raised → tabled → decided → closed');
END;
CREATE TRIGGER governance_items_closed_final BEFORE UPDATE ON governance_items
WHEN OLD.status = 'closed'
BEGIN
    SELECT RAISE(ABORT, 'a closed governance item is final');
END;
CREATE TRIGGER governance_items_never_deleted BEFORE DELETE ON governance_items
BEGIN
    SELECT RAISE(ABORT, 'a governance item cannot be deleted');
END;

CREATE TABLE governance_item_sessions (
    item_id TEXT NOT NULL REFERENCES governance_items(id),
    session_id TEXT NOT NULL REFERENCES sessions(id),
    linked_at TEXT NOT NULL,
    PRIMARY KEY (item_id, session_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX governance_item_sessions_session ON governance_item_sessions(session_id, item_id);
"""
    + _closed_item_lock("NEW", "INSERT")
    + _closed_item_lock("OLD", "DELETE")
    + """
CREATE TABLE governance_meetings (
    id TEXT PRIMARY KEY,
    forum TEXT NOT NULL CHECK (forum IN ('mdt', 'safeguarding', 'quality')),
    meeting_date TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    UNIQUE (forum, meeting_date)
) STRICT;

-- What became of a trend alert: dismissed with a reason, or turned into a governance item.
-- The sessions it listed are kept: the same theme alerts again only when a session not listed
-- by any earlier outcome raises it.
CREATE TABLE trend_alerts (
    id TEXT PRIMARY KEY,
    theme_id TEXT NOT NULL REFERENCES themes(id),
    as_of TEXT NOT NULL,
    summary TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('dismissed', 'item')),
    reason TEXT NOT NULL DEFAULT '',
    item_id TEXT REFERENCES governance_items(id),
    decided_by TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    CHECK (outcome <> 'dismissed' OR trim(reason) <> ''),
    CHECK (outcome <> 'item' OR item_id IS NOT NULL)
) STRICT;
CREATE INDEX trend_alerts_theme ON trend_alerts(theme_id);
"""
    + _append_only("trend_alerts", "the outcome of a trend alert")
    + """
CREATE TABLE trend_alert_sessions (
    alert_id TEXT NOT NULL REFERENCES trend_alerts(id),
    session_id TEXT NOT NULL REFERENCES sessions(id),
    PRIMARY KEY (alert_id, session_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX trend_alert_sessions_session ON trend_alert_sessions(session_id);

CREATE TABLE supervision_agreements (
    id TEXT PRIMARY KEY,
    worker_id TEXT NOT NULL REFERENCES workers(id),
    line_supervisor_id TEXT REFERENCES workers(id),
    clinical_supervisor_id TEXT REFERENCES workers(id),
    reflective_supervisor_id TEXT REFERENCES workers(id),
    line_every_days INTEGER CHECK (line_every_days IS NULL OR line_every_days >= 1),
    clinical_every_days INTEGER CHECK (clinical_every_days IS NULL OR clinical_every_days >= 1),
    reflective_every_days INTEGER
        CHECK (reflective_every_days IS NULL OR reflective_every_days >= 1),
    duration_minutes INTEGER CHECK (duration_minutes IS NULL OR duration_minutes > 0),
    location TEXT NOT NULL DEFAULT '',
    recorded TEXT NOT NULL DEFAULT '',
    access TEXT NOT NULL DEFAULT '',
    starts_on TEXT NOT NULL,
    review_on TEXT NOT NULL CHECK (review_on >= starts_on),
    ended_on TEXT CHECK (ended_on IS NULL OR ended_on >= starts_on),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX supervision_agreements_worker ON supervision_agreements(worker_id, starts_on);

CREATE TABLE search_docs (
    session_id TEXT PRIMARY KEY,
    doc INTEGER NOT NULL UNIQUE
) STRICT;
CREATE VIRTUAL TABLE session_text USING fts5(
    session_id UNINDEXED, body, confidential,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO search_docs (session_id, doc)
    SELECT id, row_number() OVER (ORDER BY session_date, created_at, id) FROM sessions;
INSERT INTO session_text (rowid, session_id, body, confidential)
    SELECT d.doc, s.id, """
    + session_document_sql()
    + """, s.confidential_notes
    FROM sessions s JOIN search_docs d ON d.session_id = s.id;
"""
    + _search_triggers()
)


# --- What the scheduler reads for every worker, kept by triggers ------------------------------
#
# Two small derived tables let the due-status loader (app.storage.schedule_facts) read one row
# per worker instead of grouping ten years of history on every refresh.
#
# ``latest_held`` holds, for every worker and type, the date of the latest held session of
# that type (for group: the latest held group session the worker attended, or led as its
# worker), whatever its date: exactly what ``LATEST_HELD_SQL`` computes when the as-of date is
# on or after every held session. Triggers keep it true after every write: a held session or
# an attendance added raises a cell to its date; anything else that touches a held session
# (its status, date, type, worker or id changed; the session or an attendance deleted,
# cascades included) recomputes the cells it touched, old and new, from the sessions
# themselves.
#
# ``latest_assessment`` holds each worker's latest risk assessment (the latest date, then the
# latest recorded, then the greatest id, as the engine orders them). Assessments are history,
# never updated or deleted, so only an insert can change it.
#
# The loader uses a cached row only when its date is on or before the as-of date (then it is
# the answer for that date too) and computes the other workers as before. The triggers write
# only these two tables, never a session, so the locks on signed records are not involved.


def _held_on(worker: str, type_: str) -> str:
    """An SQL expression: the latest held session date of that worker and type, or NULL.

    CROSS JOIN keeps SQLite starting from the worker's attendances: left to itself it may
    start from every held group session instead (tens of milliseconds per cell).
    """
    return f"""nullif(max(
        coalesce((SELECT max(h.session_date) FROM sessions h
                   WHERE h.worker_id = {worker} AND h.type = {type_} AND h.status = 'held'), ''),
        coalesce((SELECT max(h.session_date) FROM session_attendees x
                    CROSS JOIN sessions h ON h.id = x.session_id
                   WHERE {type_} = 'group' AND x.worker_id = {worker}
                     AND h.type = 'group' AND h.status = 'held'), '')), '')"""


def _recompute_cell(worker: str, type_: str) -> str:
    return f"""
    DELETE FROM latest_held WHERE worker_id = {worker} AND type = {type_};
    INSERT INTO latest_held (worker_id, type, session_date)
        SELECT {worker}, {type_}, d FROM (SELECT {_held_on(worker, type_)} AS d)
         WHERE d IS NOT NULL;"""


def _recompute_attendees(session: str, when: str) -> str:
    """Recompute the group cell of every attendee of ``session``, when ``when`` holds."""
    return f"""
    DELETE FROM latest_held WHERE {when} AND type = 'group' AND worker_id IN
        (SELECT worker_id FROM session_attendees WHERE session_id = {session});
    INSERT INTO latest_held (worker_id, type, session_date)
        SELECT w, 'group', d FROM (
            SELECT a.worker_id AS w, {_held_on("a.worker_id", "'group'")} AS d
              FROM session_attendees a WHERE {when} AND a.session_id = {session})
         WHERE d IS NOT NULL;"""


_RAISE_CELL = """
        ON CONFLICT (worker_id, type)
        DO UPDATE SET session_date = max(session_date, excluded.session_date);"""

# Every cell from scratch, as schema 5 knew the types (see LATEST_HELD_FILL_SQL for today's).
_LATEST_HELD_FILL_V5 = """
SELECT worker_id, type, max(d) FROM (
    SELECT worker_id, type, max(session_date) AS d FROM sessions
     WHERE status = 'held' AND worker_id IS NOT NULL
     GROUP BY worker_id, type
    UNION ALL
    SELECT a.worker_id, 'group', max(s.session_date)
      FROM session_attendees a JOIN sessions s ON s.id = a.session_id
     WHERE s.type = 'group' AND s.status = 'held'
     GROUP BY a.worker_id)
 GROUP BY worker_id, type"""

LATEST_ASSESSMENT_FILL_SQL = """
SELECT worker_id, id, assessed_on, created_at, cohort_risk, decision_complexity, support_need,
       volatility
  FROM (SELECT r.*, row_number() OVER (PARTITION BY worker_id
                                       ORDER BY assessed_on DESC, created_at DESC, id DESC) AS n
          FROM risk_assessments r)
 WHERE n = 1"""

SCHEDULE_CACHE = (
    """
CREATE TABLE latest_held (
    worker_id TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('line', 'clinical', 'group')),
    session_date TEXT NOT NULL,
    PRIMARY KEY (worker_id, type)
) STRICT, WITHOUT ROWID;
INSERT INTO latest_held (worker_id, type, session_date)"""
    + _LATEST_HELD_FILL_V5
    + """;

CREATE TRIGGER latest_held_session_insert AFTER INSERT ON sessions
WHEN NEW.status = 'held'
BEGIN
    INSERT INTO latest_held (worker_id, type, session_date)
        SELECT NEW.worker_id, NEW.type, NEW.session_date WHERE NEW.worker_id IS NOT NULL"""
    + _RAISE_CELL
    + """
    INSERT INTO latest_held (worker_id, type, session_date)
        SELECT a.worker_id, 'group', NEW.session_date FROM session_attendees a
         WHERE a.session_id = NEW.id AND NEW.type = 'group'"""
    + _RAISE_CELL
    + """
END;
CREATE TRIGGER latest_held_session_update
    AFTER UPDATE OF id, type, status, session_date, worker_id ON sessions
WHEN (OLD.status = 'held' OR NEW.status = 'held')
 AND (OLD.id IS NOT NEW.id OR OLD.type IS NOT NEW.type OR OLD.status IS NOT NEW.status
      OR OLD.session_date IS NOT NEW.session_date OR OLD.worker_id IS NOT NEW.worker_id)
BEGIN"""
    + _recompute_cell("OLD.worker_id", "OLD.type")
    + _recompute_cell("NEW.worker_id", "NEW.type")
    + _recompute_attendees("OLD.id", "(OLD.type = 'group' OR NEW.type = 'group')")
    + _recompute_attendees(
        "NEW.id", "OLD.id IS NOT NEW.id AND (OLD.type = 'group' OR NEW.type = 'group')"
    )
    + """
END;
CREATE TRIGGER latest_held_session_delete AFTER DELETE ON sessions
WHEN OLD.status = 'held'
BEGIN"""
    + _recompute_cell("OLD.worker_id", "OLD.type")
    + _recompute_attendees("OLD.id", "OLD.type = 'group'")
    + """
END;
CREATE TRIGGER latest_held_attendee_insert AFTER INSERT ON session_attendees
BEGIN
    INSERT INTO latest_held (worker_id, type, session_date)
        SELECT NEW.worker_id, 'group', s.session_date FROM sessions s
         WHERE s.id = NEW.session_id AND s.type = 'group' AND s.status = 'held'"""
    + _RAISE_CELL
    + """
END;
CREATE TRIGGER latest_held_attendee_update AFTER UPDATE ON session_attendees
BEGIN"""
    + _recompute_cell("OLD.worker_id", "'group'")
    + _recompute_cell("NEW.worker_id", "'group'")
    + """
END;
CREATE TRIGGER latest_held_attendee_delete AFTER DELETE ON session_attendees
BEGIN"""
    + _recompute_cell("OLD.worker_id", "'group'")
    + """
END;

CREATE TABLE latest_assessment (
    worker_id TEXT PRIMARY KEY,
    assessment_id TEXT NOT NULL,
    assessed_on TEXT NOT NULL,
    created_at TEXT NOT NULL,
    cohort_risk INTEGER NOT NULL,
    decision_complexity INTEGER NOT NULL,
    support_need INTEGER NOT NULL,
    volatility INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO latest_assessment (worker_id, assessment_id, assessed_on, created_at, cohort_risk,
                               decision_complexity, support_need, volatility)"""
    + LATEST_ASSESSMENT_FILL_SQL
    + """;
CREATE TRIGGER latest_assessment_insert AFTER INSERT ON risk_assessments
BEGIN
    INSERT INTO latest_assessment (worker_id, assessment_id, assessed_on, created_at,
                                   cohort_risk, decision_complexity, support_need, volatility)
        VALUES (NEW.worker_id, NEW.id, NEW.assessed_on, NEW.created_at, NEW.cohort_risk,
                NEW.decision_complexity, NEW.support_need, NEW.volatility)
        ON CONFLICT (worker_id) DO UPDATE SET
            assessment_id = excluded.assessment_id, assessed_on = excluded.assessed_on,
            created_at = excluded.created_at, cohort_risk = excluded.cohort_risk,
            decision_complexity = excluded.decision_complexity,
            support_need = excluded.support_need, volatility = excluded.volatility
        WHERE (excluded.assessed_on, excluded.created_at, excluded.assessment_id)
            > (assessed_on, created_at, assessment_id);
END;
"""
)


# --- V6: the database's identity ------------------------------------------------------------
#
# A random id, made once when the file is created (or upgraded to this schema) and never
# changed: backups name the database they are of by it, and the audit trail's witness outside
# the file is keyed by it. A restore brings the backup's id with its data.

IDENTITY = """
INSERT OR IGNORE INTO meta (key, value) VALUES ('database_id',
    lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2)
          || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2)
          || '-' || hex(randomblob(6))));
"""


# --- V7: what changed since the last publish to the service --------------------------------
#
# ``publish_log`` holds one entry per published row that changed (kind and id, e.g. a session
# and its id), with a sequence number that only grows: triggers on every table that feeds a
# published row set the entry's number to the next one on insert, on an update of a published
# column and on delete (the row then being gone tells the publisher to delete it on the
# server). A session's row also carries its attendees and theme tags, so those tables log the
# session. The publisher sends the rows whose entries are newer than the watermark the server
# acknowledged, then forgets the entries up to it (keeping the newest, so the numbers go on
# growing). Editing a record's text, which is never published, logs nothing.
#
# ``publish_acks`` remembers the tokens this file gave the server with each publish's
# watermark: a server whose token this file does not know (a restore from an older backup, a
# new server) is brought into line by comparing every row instead.

_PUBLISHED_SOURCES: tuple[tuple[str, str, str, tuple[str, ...] | None], ...] = (
    # (table, kind, the published row's id in that table, columns whose update matters)
    ("workers", "worker", "id", ("id", "staff_id", "name", "role", "team", "start_date",
     "left_on", "requires_line", "requires_clinical", "requires_group")),
    ("risk_assessments", "assessment", "id", ("id", "worker_id", "assessed_on", "cohort_risk",
     "decision_complexity", "support_need", "volatility", "tier", "created_at")),
    ("leave_periods", "leave", "id", ("id", "worker_id", "start_date", "end_date")),
    ("overrides", "override", "id", ("id", "worker_id", "type", "interval_days", "reason",
     "starts_on", "expires_on")),
    ("trigger_events", "trigger", "id", ("id", "worker_id", "kind", "event_date", "type",
     "response_days")),
    ("sessions", "session", "id", ("id", "type", "status", "session_date", "worker_id",
     "supervisor_id", "signed_at", "supervisee_response")),
    ("session_attendees", "session", "session_id", ("session_id", "worker_id")),
    ("session_themes", "session", "session_id", ("session_id", "theme_id")),
    ("actions", "action", "id", ("id", "session_id", "worker_id", "owner", "due_date",
     "status", "closed_on")),
    ("themes", "theme", "id", ("id", "name", "retired_on")),
    ("governance_items", "governance", "id", ("id", "forum", "title", "status", "theme_id",
     "raised_on", "tabled_on", "decided_on", "closed_on", "change_made", "change_made_on")),
    ("policies", "policy", "id", None),
)  # fmt: skip


def _log_change(kind: str, row_id: str) -> str:
    return f"""
    INSERT INTO publish_log (kind, row_id, seq)
        SELECT '{kind}', {row_id}, (SELECT coalesce(max(seq), 0) + 1 FROM publish_log)
         WHERE {row_id} IS NOT NULL
        ON CONFLICT (kind, row_id) DO UPDATE SET seq = excluded.seq;"""


def _publish_triggers() -> str:
    out = ""
    for table, kind, key, columns in _PUBLISHED_SOURCES:
        of = f" OF {', '.join(columns)}" if columns else ""
        out += f"""
CREATE TRIGGER publish_{table}_insert AFTER INSERT ON {table}
BEGIN{_log_change(kind, f"NEW.{key}")}
END;
CREATE TRIGGER publish_{table}_update AFTER UPDATE{of} ON {table}
BEGIN{_log_change(kind, f"OLD.{key}")}{_log_change(kind, f"NEW.{key}")}
END;
CREATE TRIGGER publish_{table}_delete AFTER DELETE ON {table}
BEGIN{_log_change(kind, f"OLD.{key}")}
END;
"""
    # A decision's theme tags are its session's (its decision text is never published).
    session_of = "(SELECT session_id FROM decisions WHERE id = {row}.decision_id)"
    out += f"""
CREATE TRIGGER publish_decision_themes_insert AFTER INSERT ON decision_themes
BEGIN{_log_change("session", session_of.format(row="NEW"))}
END;
CREATE TRIGGER publish_decision_themes_delete AFTER DELETE ON decision_themes
BEGIN{_log_change("session", session_of.format(row="OLD"))}
END;
CREATE TRIGGER publish_decisions_delete AFTER DELETE ON decisions
BEGIN{_log_change("session", "OLD.session_id")}
END;
"""
    return out


PUBLISH_LOG = """
CREATE TABLE publish_log (
    kind TEXT NOT NULL,
    row_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (kind, row_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX publish_log_seq ON publish_log(seq);
CREATE TABLE publish_acks (
    token TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    made_at TEXT NOT NULL
) STRICT;
""" + _publish_triggers()

# --- V8: evidence kept in the audit trail ------------------------------------------------
#
# From this schema on, every write of evidence (signed records, responses, addenda, risk
# assessments, leave, overrides, trigger events, policy versions) is recorded with a hash of the
# row (app.storage.evidence_registry). This step's Python part (``_AFTER_STEP`` in
# app.storage.db) writes the starting point: one "baseline" entry per existing row.

EVIDENCE_BASELINE = """
-- The baseline entries are written by app.storage.db's step after this one.
CREATE INDEX IF NOT EXISTS audit_log_action ON audit_log(action, entity);
"""


# --- V9: search ranks what was discussed above where it happened ----------------------------
#
# A search for "housing" found 181 sessions, nearly all because they were held at "Ashcroft
# House". The search document is split into columns so a search can rank and choose: ``body``
# is what was discussed and decided (issues, case discussion, decisions and their rationale,
# actions with their evidence and completion notes, review notes, addenda); ``other`` the
# references, support offered, the cancellation reason and the supervisee's comment; ``place``
# the location, searched only when asked; ``confidential`` as before. The schema 4 triggers
# are replaced by ones that fill the four columns.


def session_parts_sql() -> tuple[str, str, str]:
    """SQL expressions over ``sessions s``: the ``body``, ``other`` and ``place`` of its
    search document (schema 9 on)."""
    nl = "char(10)"
    body = f"""s.issues || {nl} || s.case_discussion || {nl} ||
    coalesce((SELECT group_concat(d.text || {nl} || d.rationale, {nl}) FROM decisions d
              WHERE d.session_id = s.id), '') || {nl} ||
    coalesce((SELECT group_concat(a.description || {nl} || a.evidence || {nl} ||
              a.completion_note, {nl}) FROM actions a WHERE a.session_id = s.id), '') || {nl} ||
    coalesce((SELECT group_concat(r.note, {nl}) FROM action_reviews r
              WHERE r.session_id = s.id), '') || {nl} ||
    coalesce((SELECT group_concat(x.reason || {nl} || x.text, {nl}) FROM addenda x
              WHERE x.session_id = s.id), '')"""
    other = f"""s.case_refs || {nl} || s.referral_refs || {nl} || s.support_offered || {nl} ||
    s.cancel_reason || {nl} || s.supervisee_comment"""
    return body, other, "s.location"


SEARCH_COLUMNS = "body, other, place, confidential"


def search_values_sql() -> str:
    return ", ".join([*session_parts_sql(), "s.confidential_notes"])


def _reindex_parts(session: str) -> str:
    return _reindex(session, SEARCH_COLUMNS, search_values_sql())


_SEARCH_TRIGGER_NAMES = (
    "sessions_search_insert", "sessions_search_update", "sessions_search_delete",
    "decisions_search_insert", "decisions_search_update", "decisions_search_delete",
    "actions_search_insert", "actions_search_update", "actions_search_delete",
    "action_reviews_search_insert", "action_reviews_search_update",
    "action_reviews_search_delete", "addenda_search_insert",
)  # fmt: skip

SEARCH_PARTS = (
    "".join(f"DROP TRIGGER IF EXISTS {name};\n" for name in _SEARCH_TRIGGER_NAMES)
    + f"""
DROP TABLE session_text;
CREATE VIRTUAL TABLE session_text USING fts5(
    session_id UNINDEXED, body, other, place, confidential,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO session_text (rowid, session_id, {SEARCH_COLUMNS})
    SELECT d.doc, s.id, {search_values_sql()}
    FROM sessions s JOIN search_docs d ON d.session_id = s.id;
"""
    + _search_triggers(_reindex_parts)
)


# --- V10: supervision types are data --------------------------------------------------------
#
# (After issue 14's evidence baseline, V8, and issue 13's search split, V9: both released.)
#
# The types a service uses are rows of ``supervision_types`` (key and kind: what a record's
# meaning depends on; labels, intervals and the rest are in the versioned policy). Every
# ``type`` column references it instead of a CHECK naming three types; which types a worker's
# role requires is ``worker_required_types`` instead of a column per type. A type is never
# renamed (its key is on every record) and never changes kind; one with records is never
# deleted (retired in the policy instead).
#
# Policy versions gain an effective date and a reason, and become append-only.
#
# The rebuild of the tables whose CHECK named the types, and the schedule cache's triggers
# (which named 'group'), are in app.storage.type_migration (they run with foreign keys off).

TYPES_AS_DATA = (
    """
CREATE TABLE supervision_types (
    key TEXT PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 40 AND key GLOB '[a-z]*'
                                AND key NOT GLOB '*[^a-z0-9_]*'),
    kind TEXT NOT NULL CHECK (kind IN ('one-to-one', 'group')),
    created_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO supervision_types (key, kind, created_at)
    SELECT key, kind, strftime('%Y-%m-%dT%H:%M:%SZ', 'now') FROM (
        SELECT 'line' AS key, 'one-to-one' AS kind
        UNION ALL SELECT 'clinical', 'one-to-one'
        UNION ALL SELECT 'group', 'group');
CREATE TRIGGER supervision_types_fixed BEFORE UPDATE OF key, kind ON supervision_types
BEGIN
    SELECT RAISE(ABORT, 'a supervision type keeps its key and kind: add a new type instead');
END;
CREATE TRIGGER supervision_types_in_use BEFORE DELETE ON supervision_types
WHEN EXISTS (SELECT 1 FROM sessions WHERE type = OLD.key)
  OR EXISTS (SELECT 1 FROM overrides WHERE type = OLD.key)
  OR EXISTS (SELECT 1 FROM trigger_events WHERE type = OLD.key)
  OR EXISTS (SELECT 1 FROM drafts WHERE type = OLD.key)
BEGIN
    SELECT RAISE(ABORT, 'a supervision type with records cannot be deleted: retire it instead');
END;

CREATE TABLE worker_required_types (
    worker_id TEXT NOT NULL REFERENCES workers(id) ON DELETE CASCADE,
    type TEXT NOT NULL REFERENCES supervision_types(key) ON DELETE CASCADE,
    PRIMARY KEY (worker_id, type)
) STRICT, WITHOUT ROWID;
CREATE INDEX worker_required_types_type ON worker_required_types(type);
INSERT INTO worker_required_types (worker_id, type)
    SELECT id, 'line' FROM workers WHERE requires_line = 1
    UNION ALL SELECT id, 'clinical' FROM workers WHERE requires_clinical = 1
    UNION ALL SELECT id, 'group' FROM workers WHERE requires_group = 1;
DROP TRIGGER publish_workers_update;
ALTER TABLE workers DROP COLUMN requires_line;
ALTER TABLE workers DROP COLUMN requires_clinical;
ALTER TABLE workers DROP COLUMN requires_group;
CREATE TRIGGER publish_workers_update AFTER UPDATE OF id, staff_id, name, role, team,
    start_date, left_on ON workers
BEGIN"""
    + _log_change("worker", "OLD.id")
    + _log_change("worker", "NEW.id")
    + """
END;
-- A worker's required types are part of the worker's published row.
CREATE TRIGGER publish_worker_required_types_insert AFTER INSERT ON worker_required_types
BEGIN"""
    + _log_change("worker", "NEW.worker_id")
    + """
END;
CREATE TRIGGER publish_worker_required_types_delete AFTER DELETE ON worker_required_types
BEGIN"""
    + _log_change("worker", "OLD.worker_id")
    + """
END;

ALTER TABLE policies ADD COLUMN effective_from TEXT NOT NULL DEFAULT '0001-01-01';
ALTER TABLE policies ADD COLUMN reason TEXT NOT NULL DEFAULT '';
"""
    + _append_only("policies", "a saved policy version")
)

# A one-to-one session names its supervisee (was: CHECK (type = 'group' OR worker_id ...)).
SESSION_KIND_TRIGGERS = """
CREATE TRIGGER sessions_supervisee_insert BEFORE INSERT ON sessions
WHEN NEW.worker_id IS NULL
 AND (SELECT kind FROM supervision_types WHERE key = NEW.type) IS NOT 'group'
BEGIN
    SELECT RAISE(ABORT, 'a one-to-one session needs its supervisee');
END;
CREATE TRIGGER sessions_supervisee_update BEFORE UPDATE OF type, worker_id ON sessions
WHEN NEW.worker_id IS NULL
 AND (SELECT kind FROM supervision_types WHERE key = NEW.type) IS NOT 'group'
BEGIN
    SELECT RAISE(ABORT, 'a one-to-one session needs its supervisee');
END;
"""


def _is_group(type_: str) -> str:
    return f"(SELECT kind FROM supervision_types WHERE key = {type_}) = 'group'"


def _held_on_v10(worker: str, type_: str) -> str:
    """An SQL expression: the latest held session date of that worker and type, or NULL (a
    session of a group type counts for every attendee)."""
    return f"""nullif(max(
        coalesce((SELECT max(h.session_date) FROM sessions h
                   WHERE h.worker_id = {worker} AND h.type = {type_} AND h.status = 'held'), ''),
        coalesce((SELECT max(h.session_date) FROM session_attendees x
                    CROSS JOIN sessions h ON h.id = x.session_id
                   WHERE {_is_group(type_)} AND x.worker_id = {worker}
                     AND h.type = {type_} AND h.status = 'held'), '')), '')"""


def _recompute_cell_v10(worker: str, type_: str) -> str:
    return f"""
    DELETE FROM latest_held WHERE worker_id = {worker} AND type = {type_};
    INSERT INTO latest_held (worker_id, type, session_date)
        SELECT {worker}, {type_}, d FROM (SELECT {_held_on_v10(worker, type_)} AS d)
         WHERE d IS NOT NULL;"""


def _recompute_group_cells(workers: str) -> str:
    """Recompute every group type's cell of each worker ``workers`` (an SQL query of one
    column named ``w``) selects."""
    return f"""
    DELETE FROM latest_held
     WHERE type IN (SELECT key FROM supervision_types WHERE kind = 'group')
       AND worker_id IN (SELECT w FROM ({workers}));
    INSERT INTO latest_held (worker_id, type, session_date)
        SELECT w, k, d FROM (
            SELECT v.w AS w, t.key AS k, {_held_on_v10("v.w", "t.key")} AS d
              FROM (SELECT DISTINCT w FROM ({workers})) v
             CROSS JOIN supervision_types t WHERE t.kind = 'group')
         WHERE d IS NOT NULL;"""


# Every cell from scratch: the migration fills the table with it, tests and ``check`` compare.
LATEST_HELD_FILL_SQL = """
SELECT worker_id, type, max(d) FROM (
    SELECT worker_id, type, max(session_date) AS d FROM sessions
     WHERE status = 'held' AND worker_id IS NOT NULL
     GROUP BY worker_id, type
    UNION ALL
    SELECT a.worker_id, s.type, max(s.session_date)
      FROM session_attendees a JOIN sessions s ON s.id = a.session_id
      JOIN supervision_types t ON t.key = s.type
     WHERE t.kind = 'group' AND s.status = 'held'
     GROUP BY a.worker_id, s.type)
 GROUP BY worker_id, type"""

_ATTENDEES_OF = "SELECT worker_id AS w FROM session_attendees WHERE session_id IN ({ids})"

SCHEDULE_CACHE_V10 = (
    """
DROP TRIGGER IF EXISTS latest_held_session_insert;
DROP TRIGGER IF EXISTS latest_held_session_update;
DROP TRIGGER IF EXISTS latest_held_session_delete;
DROP TRIGGER IF EXISTS latest_held_attendee_insert;
DROP TRIGGER IF EXISTS latest_held_attendee_update;
DROP TRIGGER IF EXISTS latest_held_attendee_delete;
DROP TABLE latest_held;
CREATE TABLE latest_held (
    worker_id TEXT NOT NULL,
    type TEXT NOT NULL,
    session_date TEXT NOT NULL,
    PRIMARY KEY (worker_id, type)
) STRICT, WITHOUT ROWID;
INSERT INTO latest_held (worker_id, type, session_date)"""
    + LATEST_HELD_FILL_SQL
    + """;

CREATE TRIGGER latest_held_session_insert AFTER INSERT ON sessions
WHEN NEW.status = 'held'
BEGIN
    INSERT INTO latest_held (worker_id, type, session_date)
        SELECT NEW.worker_id, NEW.type, NEW.session_date WHERE NEW.worker_id IS NOT NULL"""
    + _RAISE_CELL
    + """
    INSERT INTO latest_held (worker_id, type, session_date)
        SELECT a.worker_id, NEW.type, NEW.session_date FROM session_attendees a
         WHERE a.session_id = NEW.id AND """
    + _is_group("NEW.type")
    + _RAISE_CELL
    + """
END;
CREATE TRIGGER latest_held_session_update
    AFTER UPDATE OF id, type, status, session_date, worker_id ON sessions
WHEN (OLD.status = 'held' OR NEW.status = 'held')
 AND (OLD.id IS NOT NEW.id OR OLD.type IS NOT NEW.type OR OLD.status IS NOT NEW.status
      OR OLD.session_date IS NOT NEW.session_date OR OLD.worker_id IS NOT NEW.worker_id)
BEGIN"""
    + _recompute_cell_v10("OLD.worker_id", "OLD.type")
    + _recompute_cell_v10("NEW.worker_id", "NEW.type")
    + _recompute_group_cells(
        _ATTENDEES_OF.format(ids="OLD.id, NEW.id")
        + f" AND ({_is_group('OLD.type')} OR {_is_group('NEW.type')})"
    )
    + """
END;
CREATE TRIGGER latest_held_session_delete AFTER DELETE ON sessions
WHEN OLD.status = 'held'
BEGIN"""
    + _recompute_cell_v10("OLD.worker_id", "OLD.type")
    + _recompute_group_cells(_ATTENDEES_OF.format(ids="OLD.id") + f" AND {_is_group('OLD.type')}")
    + """
END;
CREATE TRIGGER latest_held_attendee_insert AFTER INSERT ON session_attendees
BEGIN
    INSERT INTO latest_held (worker_id, type, session_date)
        SELECT NEW.worker_id, s.type, s.session_date FROM sessions s
         WHERE s.id = NEW.session_id AND s.status = 'held' AND """
    + _is_group("s.type")
    + _RAISE_CELL
    + """
END;
CREATE TRIGGER latest_held_attendee_update AFTER UPDATE ON session_attendees
BEGIN"""
    + _recompute_group_cells("SELECT OLD.worker_id AS w UNION SELECT NEW.worker_id")
    + """
END;
CREATE TRIGGER latest_held_attendee_delete AFTER DELETE ON session_attendees
BEGIN"""
    + _recompute_group_cells("SELECT OLD.worker_id AS w")
    + """
END;
"""
    + SESSION_KIND_TRIGGERS
)


# Supervision agreements per type of the catalogue: the three fixed pairs of columns
# (line/clinical/reflective supervisor and frequency) become rows, one per type an agreement
# names; a type added later gets its own. The old columns stay (unused, their values copied).
AGREEMENT_TYPES = """
CREATE TABLE agreement_types (
    agreement_id TEXT NOT NULL REFERENCES supervision_agreements(id),
    type TEXT NOT NULL REFERENCES supervision_types(key),
    supervisor_id TEXT REFERENCES workers(id),
    every_days INTEGER CHECK (every_days IS NULL OR every_days >= 1),
    PRIMARY KEY (agreement_id, type)
) STRICT, WITHOUT ROWID;
INSERT INTO agreement_types (agreement_id, type, supervisor_id, every_days)
SELECT id, 'line', line_supervisor_id, line_every_days FROM supervision_agreements
 WHERE (line_supervisor_id IS NOT NULL OR line_every_days IS NOT NULL)
   AND EXISTS (SELECT 1 FROM supervision_types WHERE key = 'line');
INSERT INTO agreement_types (agreement_id, type, supervisor_id, every_days)
SELECT id, 'clinical', clinical_supervisor_id, clinical_every_days FROM supervision_agreements
 WHERE (clinical_supervisor_id IS NOT NULL OR clinical_every_days IS NOT NULL)
   AND EXISTS (SELECT 1 FROM supervision_types WHERE key = 'clinical');
INSERT INTO agreement_types (agreement_id, type, supervisor_id, every_days)
SELECT id, 'group', reflective_supervisor_id, reflective_every_days FROM supervision_agreements
 WHERE (reflective_supervisor_id IS NOT NULL OR reflective_every_days IS NOT NULL)
   AND EXISTS (SELECT 1 FROM supervision_types WHERE key = 'group');
"""


# --- V11: the record an inspection template asks for --------------------------------------
#
# "v11" (here, in names such as RECORD_COLUMNS_V11 and in comments elsewhere) is this step's
# name from when it was written as the 11th; the agreements-per-type step landed first, so it
# runs as step 12. Code finds its columns by name (``has_v11``), never by the number.
#
# Issue 16: what a published inspection-body supervision record asks for that Keel did not
# keep. Every column defaults to "not recorded" (NULL, '' or an empty JSON list), so a record
# signed before keeps its stored values, its fingerprint and its evidence form unchanged. A
# signed record's new columns are locked like the others (``sessions_locked_record``); the
# supervisee's declaration is part of their response (set once, after sign-off).
RECORD_COLUMNS_V11 = (
    "supervisor_title", "sickness_days", "return_to_work", "wellbeing_concerns",
    "support_kinds", "incidents", "safeguarding", "safeguarding_notes", "workload_support",
    "staff_comments", "escalation", "escalation_notes", "next_date", "next_time",
    "next_place", "next_focus",
)  # fmt: skip
ACTION_COLUMNS_V11 = ("review_date", "shared")
DECLARATION_COLUMNS_V11 = ("supervisee_copy_received", "copy_given_on")
REVIEW_COLUMNS_V11 = ("progress",)  # an open action reviewed: in progress, or not started

RECORD_TEMPLATE = (
    """
ALTER TABLE workers ADD COLUMN employment_start TEXT;
ALTER TABLE sessions ADD COLUMN supervisor_title TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN sickness_days INTEGER
    CHECK (sickness_days IS NULL OR sickness_days BETWEEN 0 AND 3660);
ALTER TABLE sessions ADD COLUMN return_to_work INTEGER
    CHECK (return_to_work IS NULL OR return_to_work IN (0, 1));
ALTER TABLE sessions ADD COLUMN wellbeing_concerns TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN support_kinds TEXT NOT NULL DEFAULT '[]'
    CHECK (json_valid(support_kinds) AND json_type(support_kinds) = 'array');
ALTER TABLE sessions ADD COLUMN incidents TEXT NOT NULL DEFAULT '[]'
    CHECK (json_valid(incidents) AND json_type(incidents) = 'array');
ALTER TABLE sessions ADD COLUMN safeguarding INTEGER
    CHECK (safeguarding IS NULL OR safeguarding IN (0, 1));
ALTER TABLE sessions ADD COLUMN safeguarding_notes TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN workload_support TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN staff_comments TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN escalation TEXT CHECK (escalation IS NULL OR escalation IN
    ('none', 'hr', 'senior_management', 'occupational_health', 'capability_conduct'));
ALTER TABLE sessions ADD COLUMN escalation_notes TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN next_date TEXT;
ALTER TABLE sessions ADD COLUMN next_time TEXT;
ALTER TABLE sessions ADD COLUMN next_place TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN next_focus TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN supervisee_copy_received INTEGER
    CHECK (supervisee_copy_received IS NULL OR supervisee_copy_received IN (0, 1));
ALTER TABLE sessions ADD COLUMN copy_given_on TEXT;
ALTER TABLE action_reviews ADD COLUMN progress TEXT
    CHECK (progress IS NULL OR progress IN ('in_progress', 'not_started'));
ALTER TABLE actions ADD COLUMN review_date TEXT;
ALTER TABLE actions ADD COLUMN shared INTEGER NOT NULL DEFAULT 0 CHECK (shared IN (0, 1));

CREATE TRIGGER sessions_locked_record BEFORE UPDATE OF """
    + ", ".join(RECORD_COLUMNS_V11)
    + """ ON sessions
WHEN OLD.signed_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'this record is signed and locked: add an addendum instead');
END;
CREATE TRIGGER sessions_declaration_final BEFORE UPDATE OF """
    + ", ".join(DECLARATION_COLUMNS_V11)
    + """ ON sessions
WHEN OLD.supervisee_response IS NOT NULL OR OLD.signed_at IS NULL
BEGIN
    SELECT RAISE(ABORT, 'the supervisee responds once, after the supervisor has signed');
END;
CREATE TRIGGER actions_locked_record BEFORE UPDATE OF review_date, shared ON actions
WHEN (SELECT signed_at FROM sessions WHERE id = OLD.session_id) IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'this action belongs to a signed record: add an addendum instead');
END;
"""
)


MIGRATIONS: tuple[str, ...] = (
    V1_CORE,
    V2_RECORDS,
    V3_EVIDENCE,
    V4_GOVERNANCE,
    SCHEDULE_CACHE,
    IDENTITY,
    PUBLISH_LOG,
    EVIDENCE_BASELINE,
    SEARCH_PARTS,
    TYPES_AS_DATA,
    AGREEMENT_TYPES,
    RECORD_TEMPLATE,
    QA_COUNTERSIGNATURES,
    ATTENDEE_RESPONSES,
)
SCHEMA_VERSION = len(MIGRATIONS)
