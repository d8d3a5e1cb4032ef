"""The kinds of evidence Keel keeps (see ``app.storage.evidence_registry`` for the mechanism).

* ``signed_record``: a signed session with its decisions, their themes, actions (as signed),
  reviews, themes and attendees; recorded when it is signed. Its printed fingerprint is checked
  too, and against the one its sign-off's entry recorded.
* ``response``: the supervisee's response and comment on a signed record.
* ``addendum``: an addendum to a signed record.
* ``risk_assessment``, ``leave``, ``override``, ``trigger``: what moves a worker's due dates.
* ``policy``: a policy version.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from app.storage.db import Database
from app.storage.evidence import (
    ACTION_PROGRESS_COLUMNS,
    DECISION_COLUMNS,
    RESPONSE_COLUMNS,
    RESPONSE_COLUMNS_2,
    REVIEW_COLUMNS,
    REVIEW_COLUMNS_1,
    SIGNED_ACTION_COLUMNS,
    SIGNED_ACTION_COLUMNS_1,
    SIGNED_SESSION_COLUMNS,
    SIGNED_SESSION_COLUMNS_1,
    fingerprint_of,
    signed_rows,
)
from app.storage.evidence_registry import (
    Kind,
    Labels,
    Last,
    Row,
    day,
    quoted,
    register,
    table_kind,
    whose,
)

# The kinds the migration that began keeping evidence baselined, in the order it wrote them.
TRACKED_AT_BASELINE = (
    "signed_record", "response", "addendum", "risk_assessment", "leave", "override", "trigger",
    "policy",
)  # fmt: skip


# --------------------------------------------------------------------------- signed records


# The rows that belong to a signed record, each as (section, table, its columns in the form,
# the SQL from that table, alias ``x``, that names the record it belongs to).
def _parts(
    action_columns: tuple[str, ...], review_columns: tuple[str, ...]
) -> tuple[tuple[Any, ...], ...]:
    return (
        ("decisions", "decisions", DECISION_COLUMNS, "x.session_id", ""),
        ("decision_themes", "decision_themes", ("decision_id", "theme_id"), "d.session_id",
         "JOIN decisions d ON d.id = x.decision_id"),
        ("actions", "actions", action_columns, "x.session_id", ""),
        ("reviews", "action_reviews", review_columns, "x.session_id", ""),
        ("themes", "session_themes", ("session_id", "theme_id"), "x.session_id", ""),
        ("attendees", "session_attendees", ("session_id", "worker_id"), "x.session_id", ""),
    )  # fmt: skip


# Form 1: a signed record as schema 8 stored it. Form 2 (schema v11 on): with the columns the
# inspection template added to sessions and actions.
_SIGNED_FORMS = {
    1: (SIGNED_SESSION_COLUMNS_1, _parts(SIGNED_ACTION_COLUMNS_1, REVIEW_COLUMNS_1)),
    2: (SIGNED_SESSION_COLUMNS, _parts(SIGNED_ACTION_COLUMNS, REVIEW_COLUMNS)),
}


def _load_signed(db: Database, ids: Sequence[str] | None, form: int) -> dict[str, Row]:
    """Form 1 of a signed record: its session row, then each kind of row that belongs to it
    (sorted), every row as its quoted values (``quoted``); sections split by U+001E, rows
    within one by U+001F. Everything but the sorting and joining is done by SQLite."""
    if form not in _SIGNED_FORMS:
        raise ValueError(f"signed_record has no form {form}")
    session_columns, form_parts = _SIGNED_FORMS[form]
    only, args = "", []
    if ids is not None:
        only, args = " AND s.id IN (SELECT value FROM json_each(?))", [json.dumps(list(ids))]
    sessions = {
        str(sid): (text, {"worker": worker, "date": on, "type": type_})
        for sid, worker, on, type_, text in db.execute(
            "SELECT s.id, s.worker_id, s.session_date, s.type, "
            f"{quoted(session_columns, 's')} FROM sessions s "
            f"WHERE s.signed_at IS NOT NULL{only}",
            args,
        )
    }
    # One dictionary per section, record -> its rows (rows of unsigned records are collected
    # and never looked up: cheaper than making a section list for every record).
    sections: list[defaultdict[str, list[str]]] = []
    for _section, table, columns, owner, join in form_parts:
        if ids is None:  # every row: cheaper than a join with the signed records
            rows = db.execute(f"SELECT {owner}, {quoted(columns, 'x')} FROM {table} x {join}")
        else:
            rows = db.execute(
                f"SELECT {owner}, {quoted(columns, 'x')} FROM {table} x {join} "
                f"WHERE {owner} IN (SELECT value FROM json_each(?))",
                args,
            )
        by_record: defaultdict[str, list[str]] = defaultdict(list)
        for sid, text in rows:
            by_record[sid].append(text)
        sections.append(by_record)
    out: dict[str, Row] = {}
    for sid, (text, labels) in sessions.items():
        pieces = [text]
        for by_record in sections:
            found = by_record.get(sid)
            if found is None:
                pieces.append("")
            elif len(found) == 1:
                pieces.append(found[0])
            else:
                pieces.append("\x1f".join(sorted(found)))
        out[sid] = ("\x1e".join(pieces), labels)
    return out


def _signed_title(labels: Labels, names: Mapping[str, str]) -> str:
    what = f"signed {labels.get('type') or 'supervision'} record"
    if labels.get("worker"):
        return f"the {what} of {whose(labels, names)} dated {day(labels.get('date'))}"
    return f"the {what} of a group dated {day(labels.get('date'))}"


def _signed_inspect(
    db: Database, current: dict[str, Row], last: Mapping[str, Last], failed: set[str]
) -> dict[str, str]:
    """The printed fingerprint against the record's content, and against the one its sign-off's
    entry recorded. A record that matches the entry Keel wrote when it was signed is, byte for
    byte, what Keel fingerprinted then (the stored fingerprint is part of its form): only the
    others are fingerprinted again — records whose last entry is a migration's baseline, and
    those whose replay failed."""
    doubtful = [
        sid for sid in current if sid in failed or sid not in last or last[sid].action == "baseline"
    ]
    if not doubtful:
        return {}
    signed_with: dict[str, tuple[int, str]] = {}
    for seq, session_id, fingerprint in db.execute(
        "SELECT seq, entity_id, json_extract(detail, '$.fingerprint') FROM audit_log "
        "WHERE action = 'sign' AND entity = 'session' AND json_valid(detail) "
        "AND entity_id IN (SELECT value FROM json_each(?)) ORDER BY seq",
        [json.dumps(doubtful)],
    ):
        if isinstance(fingerprint, str):
            signed_with[str(session_id)] = (int(seq), fingerprint)
    rows = signed_rows(db, doubtful)
    out: dict[str, str] = {}
    for session_id in doubtful:
        clauses = []
        stored = None
        if session_id in rows.sessions:
            stored = rows.sessions[session_id]["fingerprint"]
            try:
                printed = fingerprint_of(rows.fingerprint_content(session_id))
            except (ValueError, TypeError, AttributeError):
                printed = ""
            if printed != stored:
                clauses.append("its printed fingerprint no longer matches its content")
        recorded = signed_with.get(session_id)
        if recorded is not None and stored is not None and recorded[1] != stored:
            clauses.append(
                f"its fingerprint is not the one audit entry #{recorded[0]} recorded when it "
                "was signed"
            )
        if clauses:
            out[session_id] = " and ".join(clauses)
    return out


def _signed_absent(db: Database, gone: dict[str, int]) -> dict[str, str]:
    present = {
        r[0]
        for r in db.execute(
            "SELECT id FROM sessions WHERE id IN (SELECT value FROM json_each(?))",
            [json.dumps(list(gone))],
        )
    }
    return {
        session_id: (
            f"is no longer signed: the signature that audit entry #{seq} recorded was removed "
            "outside Keel"
            if session_id in present
            else f"was deleted outside Keel: audit entry #{seq} recorded its signature"
        )
        for session_id, seq in gone.items()
    }


SIGNED_RECORD = register(
    Kind(
        name="signed_record",
        entity="session",
        noun="signed record",
        load=_load_signed,
        title=_signed_title,
        form=2,
        forms=(1, 2),
        tables={
            "sessions": SIGNED_SESSION_COLUMNS,
            "decisions": DECISION_COLUMNS,
            "decision_themes": ("decision_id", "theme_id"),
            "actions": SIGNED_ACTION_COLUMNS,
            "action_reviews": REVIEW_COLUMNS,
            "session_themes": ("session_id", "theme_id"),
            "session_attendees": ("session_id", "worker_id"),
        },
        exempt={
            "actions": {
                c: "an action's progress moves on after its record is signed (closed on the "
                "Actions screen, or reviewed in a later record), each step audited"
                for c in ACTION_PROGRESS_COLUMNS
            },
        },
        absent=_signed_absent,
        inspect=_signed_inspect,
    )
)


# --------------------------------------------------------------------------- on signed records


def _of_record(labels: Labels, names: Mapping[str, str]) -> str:
    return _signed_title(labels, names)


def _response_absent(db: Database, gone: dict[str, int]) -> dict[str, str]:
    return {
        session_id: f"was removed outside Keel: audit entry #{seq} recorded it"
        for session_id, seq in gone.items()
    }


def _response_kind(columns: tuple[str, ...]) -> Kind:
    return table_kind(
        "response",
        entity="session",
        noun="supervisee's response",
        table="sessions",
        columns=("id", *columns),
        where="t.supervisee_response IS NOT NULL",
        labels={"worker": "t.worker_id", "date": "t.session_date", "type": "t.type"},
        title=lambda labels, names: f"the supervisee's response to {_of_record(labels, names)}",
        absent=_response_absent,
    )


# Form 1: the response as schema 3 stored it. Form 2 (schema v11 on): with the supervisee's
# declaration (a copy received, and the date it was given).
_RESPONSE_FORMS = {1: _response_kind(RESPONSE_COLUMNS), 2: _response_kind(RESPONSE_COLUMNS_2)}


def _load_response(db: Database, ids: Sequence[str] | None, form: int) -> dict[str, Row]:
    if form not in _RESPONSE_FORMS:
        raise ValueError(f"response has no form {form}")
    return _RESPONSE_FORMS[form].load(db, ids, 1)


RESPONSE = register(replace(_RESPONSE_FORMS[2], load=_load_response, form=2, forms=(1, 2)))

ADDENDUM = register(
    table_kind(
        "addendum",
        entity="session",
        noun="addendum",
        plural="addenda",
        table="addenda",
        columns=("id", "session_id", "author", "reason", "text", "created_at"),
        joins="LEFT JOIN sessions s ON s.id = t.session_id",
        labels={
            "worker": "s.worker_id",
            "date": "s.session_date",
            "type": "s.type",
            "written": "t.created_at",
        },
        title=lambda labels, names: (
            f"the addendum of {day(labels.get('written'))} to {_of_record(labels, names)}"
        ),
    )
)


# --------------------------------------------------------------------------- what moves due dates

_LEAVE = {"sickness": "sick leave", "parental": "parental leave"}
_EVENTS = {"return_from_leave": "return-from-leave"}


def _named(what: str, date_label: str, prefix: str = "dated") -> Any:
    def title(labels: Labels, names: Mapping[str, str]) -> str:
        return f"the {what} of {whose(labels, names)} {prefix} {day(labels.get(date_label))}"

    return title


RISK_ASSESSMENT = register(
    table_kind(
        "risk_assessment",
        entity="risk_assessment",
        noun="risk assessment",
        table="risk_assessments",
        columns=(
            "id",
            "worker_id",
            "assessed_on",
            "cohort_risk",
            "decision_complexity",
            "support_need",
            "volatility",
            "tier",
            "assessed_by",
            "rationale",
            "source",
            "created_at",
        ),
        labels={"worker": "t.worker_id", "date": "t.assessed_on"},
        title=_named("risk assessment", "date"),
    )
)

LEAVE = register(
    table_kind(
        "leave",
        entity="leave",
        noun="leave period",
        table="leave_periods",
        columns=("id", "worker_id", "kind", "start_date", "end_date", "note", "created_at"),
        labels={"worker": "t.worker_id", "date": "t.start_date", "kind": "t.kind"},
        title=lambda labels, names: (
            f"the {_LEAVE.get(str(labels.get('kind')), 'leave')} of {whose(labels, names)} "
            f"from {day(labels.get('date'))}"
        ),
    )
)

OVERRIDE = register(
    table_kind(
        "override",
        entity="override",
        noun="override",
        table="overrides",
        columns=(
            "id",
            "worker_id",
            "type",
            "interval_days",
            "reason",
            "starts_on",
            "expires_on",
            "created_at",
        ),
        labels={"worker": "t.worker_id", "date": "t.expires_on", "type": "t.type"},
        title=lambda labels, names: (
            f"the {labels.get('type') or ''} supervision interval override of "
            f"{whose(labels, names)} expiring {day(labels.get('date'))}"
        ).replace("the  ", "the "),
    )
)

TRIGGER = register(
    table_kind(
        "trigger",
        entity="trigger",
        noun="trigger event",
        table="trigger_events",
        columns=(
            "id",
            "worker_id",
            "kind",
            "event_date",
            "type",
            "response_days",
            "note",
            "created_at",
        ),
        labels={"worker": "t.worker_id", "date": "t.event_date", "kind": "t.kind"},
        title=lambda labels, names: (
            f"the {_EVENTS.get(str(labels.get('kind')), str(labels.get('kind') or ''))} "
            f"trigger event of {whose(labels, names)} dated {day(labels.get('date'))}"
        ),
    )
)


def _policy_kind(columns: tuple[str, ...]) -> Kind:
    return table_kind(
        "policy",
        entity="policy",
        noun="policy version",
        table="policies",
        columns=columns,
        labels={"version": "t.version", "date": "t.created_at"},
        title=lambda labels, _names: (
            f"policy version {labels.get('version')} saved on {day(labels.get('date'))}"
        ),
    )


# Form 1: a version as schema 8 stored it. Form 2 (from the types-as-data step on): with the
# date it takes effect and why it was saved.
_POLICY_FORMS = {
    1: _policy_kind(("id", "version", "created_at", "created_by", "data")),
    2: _policy_kind(
        ("id", "version", "created_at", "created_by", "data", "effective_from", "reason")
    ),
}


def _load_policy(db: Database, ids: Sequence[str] | None, form: int) -> dict[str, Row]:
    if form not in _POLICY_FORMS:
        raise ValueError(f"policy has no form {form}")
    return _POLICY_FORMS[form].load(db, ids, 1)


POLICY = register(replace(_POLICY_FORMS[2], load=_load_policy, form=2, forms=(1, 2)))
