"""Supervision that feeds governance: theme trend alerts, governance items and the learning log.

An item is raised from a session ("flag to governance"), from a trend alert, or by hand; it
moves raised → tabled → decided → closed, one step at a time (``TransitionRefused``
otherwise); closing it with a change made puts it in the learning log ("what supervision
changed"). Sessions link forward to the items they fed (``items_for_session``) and items back
to every source session (``GovernanceItem.session_ids``).

Every write is one transaction with its entry in the audit trail. Trend rules and what
"handled" means for an alert are in ``app.domain.governance``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from app.dates import uk
from app.domain.governance import (
    OPEN_STATUSES,
    Forum,
    ItemSource,
    ItemStatus,
    TrendAlert,
    find_trends,
)
from app.domain.policy import Policy
from app.domain.rows import AlertOutcome, GovernanceItem, SourceSession
from app.errors import UsageError
from app.services.bound import BoundService, bound
from app.storage import audit
from app.storage import governance as store
from app.storage.db import Database, transaction
from app.storage.policies import current_policy
from app.storage.themes import get_theme, list_themes, theme_mentions

__all__ = [
    "AlertOutcome",
    "GovernanceItem",
    "LearningEntry",
    "SourceSession",
    "TransitionRefused",
    "alert_history",
    "alert_to_item",
    "close_item",
    "decide_item",
    "detect_trends",
    "dismiss_alert",
    "edit_item",
    "flag_session",
    "get_item",
    "items_for_session",
    "learning_log",
    "link_sessions",
    "list_items",
    "meetings",
    "raise_item",
    "record_change",
    "record_meeting",
    "sources",
    "table_item",
    "unlink_session",
]


class TransitionRefused(UsageError):
    """A governance item was asked to skip a step or go back (raised → tabled → decided →
    closed only)."""


# --- Trend alerts --------------------------------------------------------------------------


def detect_trends(
    db: Database,
    as_of: date,
    policy: Policy | None = None,
    *,
    team: str | None = None,
    include_handled: bool = False,
) -> list[TrendAlert]:
    """Theme trend alerts on ``as_of`` (rules in ``app.domain.governance``), strongest first.

    Retired themes (retired on or before ``as_of``) never alert. Alerts already dismissed or
    turned into an item stay away until a new session raises the theme, unless
    ``include_handled``. With ``team``, only sessions involving a worker of that team count.
    """
    policy = policy or current_policy(db)
    start = as_of - timedelta(days=policy.trend_window_days)
    names = {
        t.id: t.name
        for t in list_themes(db, include_retired=True)
        if t.retired_on is None or t.retired_on > as_of
    }
    return find_trends(
        theme_mentions(db, start, as_of, team=team),
        names,
        as_of,
        min_sessions=policy.trend_min_sessions,
        min_workers=policy.trend_min_workers,
        window_days=policy.trend_window_days,
        handled=None if include_handled else store.handled_sessions(db),
    )


def dismiss_alert(db: Database, alert: TrendAlert, reason: str, *, by: str = "") -> str:
    """Dismiss an alert with a reason (kept). It returns only when a new session raises the
    theme. Returns the stored outcome's id."""
    if not reason.strip():
        raise UsageError("Say why the alert is dismissed: the reason is kept with it.")
    with transaction(db):
        outcome_id = store.add_alert_outcome(
            db, theme_id=alert.theme_id, as_of=alert.as_of, summary=alert.text,
            outcome="dismissed", reason=reason.strip(), item_id=None, decided_by=by.strip(),
            session_ids=alert.session_ids,
        )  # fmt: skip
        audit.append(
            db, "dismiss", "trend_alert", outcome_id,
            {"theme": alert.theme_id, "alert": alert.text, "reason": reason.strip(),
             "sessions": list(alert.session_ids)},
            actor=by.strip(),
        )  # fmt: skip
    return outcome_id


def alert_to_item(
    db: Database,
    alert: TrendAlert,
    *,
    forum: Forum,
    title: str | None = None,
    description: str | None = None,
    raised_on: date | None = None,
    raised_by: str = "",
) -> GovernanceItem:
    """Turn an alert into a governance item linked to every session the alert listed."""
    title = (title or alert.theme_name).strip()
    if description is None:
        description = (
            f"{alert.text} (held sessions from {uk(alert.first_on)} to {uk(alert.last_on)})."
        )
    raised_on = raised_on or alert.as_of
    with transaction(db):
        item_id = _insert(db, forum, title, description, ItemSource.ALERT, alert.theme_id,
                          raised_on, raised_by, alert.session_ids)  # fmt: skip
        outcome_id = store.add_alert_outcome(
            db, theme_id=alert.theme_id, as_of=alert.as_of, summary=alert.text, outcome="item",
            reason="", item_id=item_id, decided_by=raised_by.strip(),
            session_ids=alert.session_ids,
        )  # fmt: skip
        audit.append(db, "to_item", "trend_alert", outcome_id,
                     {"theme": alert.theme_id, "alert": alert.text, "item": item_id},
                     actor=raised_by.strip())  # fmt: skip
    return _get(db, item_id)


def alert_history(db: Database, theme_id: str | None = None) -> list[AlertOutcome]:
    """What was done with earlier alerts (dismissed with a reason, or the item made), newest
    first: the Governance screen's "dismissed" list."""
    return store.alert_outcomes(db, theme_id)


# --- Raising items -------------------------------------------------------------------------


def _insert(
    db: Database,
    forum: Forum,
    title: str,
    description: str,
    source: ItemSource,
    theme_id: str | None,
    raised_on: date,
    raised_by: str,
    session_ids: Sequence[str],
) -> str:
    """Insert an item with its links and audit entry (inside the caller's transaction)."""
    if not title.strip():
        raise UsageError("A governance item needs a title.")
    if theme_id is not None and get_theme(db, theme_id) is None:
        raise UsageError("That theme no longer exists.")
    _require_sessions(db, session_ids)
    item_id = store.insert_item(
        db, forum=forum, title=title.strip(), description=description.strip(), source=source,
        theme_id=theme_id, raised_on=raised_on, raised_by=raised_by.strip(),
    )  # fmt: skip
    store.link_sessions(db, item_id, session_ids)
    audit.append(
        db, "raise", "governance_item", item_id,
        {"forum": forum.value, "title": title.strip(), "source": source.value,
         "theme": theme_id, "raised_on": raised_on.isoformat(), "sessions": list(session_ids)},
        actor=raised_by.strip(),
    )  # fmt: skip
    return item_id


def _require_sessions(db: Database, session_ids: Iterable[str]) -> None:
    for session_id in session_ids:
        if db.execute("SELECT 1 FROM sessions WHERE id = ?", [session_id]).fetchone() is None:
            raise UsageError("A session to link no longer exists.")


def flag_session(
    db: Database,
    session_id: str,
    *,
    forum: Forum,
    title: str,
    description: str = "",
    raised_on: date,
    raised_by: str = "",
    theme_id: str | None = None,
) -> GovernanceItem:
    """ "Flag to governance" from a session record (signed or not: the record is unchanged)."""
    with transaction(db):
        item_id = _insert(db, forum, title, description, ItemSource.SESSION, theme_id,
                          raised_on, raised_by, [session_id])  # fmt: skip
    return _get(db, item_id)


def raise_item(
    db: Database,
    *,
    forum: Forum,
    title: str,
    description: str = "",
    raised_on: date,
    raised_by: str = "",
    session_ids: Sequence[str] = (),
    theme_id: str | None = None,
) -> GovernanceItem:
    """Raise an item by hand (optionally linked to sessions and a theme)."""
    with transaction(db):
        item_id = _insert(db, forum, title, description, ItemSource.MANUAL, theme_id, raised_on,
                          raised_by, list(session_ids))  # fmt: skip
    return _get(db, item_id)


# --- Reading ---------------------------------------------------------------------------------


def _get(db: Database, item_id: str) -> GovernanceItem:
    item = store.get_item(db, item_id)
    if item is None:
        raise UsageError("That governance item no longer exists.")
    return item


def get_item(db: Database, item_id: str) -> GovernanceItem | None:
    return store.get_item(db, item_id)


def list_items(
    db: Database,
    *,
    forum: Forum | None = None,
    open_only: bool = False,
) -> list[GovernanceItem]:
    """Items, oldest raised first; ``open_only`` leaves out closed ones."""
    return store.list_items(db, forum=forum, statuses=OPEN_STATUSES if open_only else None)


def items_for_session(db: Database, session_id: str) -> list[GovernanceItem]:
    """The items a session fed (shown on the record as "taken to governance")."""
    return store.items_for_session(db, session_id)


# --- Changing ------------------------------------------------------------------------------


def _open_item(db: Database, item_id: str) -> GovernanceItem:
    item = _get(db, item_id)
    if item.status is ItemStatus.CLOSED:
        raise TransitionRefused("This item is closed: a closed item is final.")
    return item


def edit_item(
    db: Database,
    item_id: str,
    *,
    title: str | None = None,
    description: str | None = None,
    forum: Forum | None = None,
) -> GovernanceItem:
    """Correct an open item's title, description or forum."""
    item = _open_item(db, item_id)
    values: dict[str, object] = {}
    if title is not None:
        if not title.strip():
            raise UsageError("A governance item needs a title.")
        values["title"] = title.strip()
    if description is not None:
        values["description"] = description.strip()
    if forum is not None:
        values["forum"] = forum
    if not values:
        return item
    with transaction(db):
        store.update_item(db, item_id, **values)
        audit.append(db, "edit", "governance_item", item_id,
                     {k: getattr(v, "value", v) for k, v in values.items()})  # fmt: skip
    return _get(db, item_id)


def link_sessions(db: Database, item_id: str, session_ids: Sequence[str]) -> GovernanceItem:
    """Add source sessions to an open item."""
    _open_item(db, item_id)
    _require_sessions(db, session_ids)
    with transaction(db):
        if store.link_sessions(db, item_id, session_ids):
            audit.append(db, "link", "governance_item", item_id, {"sessions": list(session_ids)})
    return _get(db, item_id)


def unlink_session(db: Database, item_id: str, session_id: str) -> GovernanceItem:
    """Remove a source session linked by mistake (open items only)."""
    _open_item(db, item_id)
    with transaction(db):
        if store.unlink_session(db, item_id, session_id):
            audit.append(db, "unlink", "governance_item", item_id, {"session": session_id})
    return _get(db, item_id)


_STEP_NEEDED = {
    ItemStatus.TABLED: "Only a raised item can be tabled",
    ItemStatus.DECIDED: "Table the item at a meeting before recording the forum's decision",
    ItemStatus.CLOSED: "Record the forum's decision before closing the item",
}


def _step(item: GovernanceItem, to: ItemStatus) -> None:
    if item.status.next is not to:
        raise TransitionRefused(
            f"{_STEP_NEEDED[to]}: this item is {item.status.label.lower()} "
            "(items move raised → tabled → decided → closed)."
        )


def _not_before(on: date, earlier: date | None, what: str) -> None:
    if earlier is not None and on < earlier:
        raise UsageError(f"The item was {what} on {uk(earlier)}: pick that date or later.")


def table_item(db: Database, item_id: str, on: date) -> GovernanceItem:
    """Put a raised item on the agenda of its forum's meeting on ``on`` (the meeting is
    recorded, which sets where the next agenda's "since the last meeting" starts)."""
    item = _get(db, item_id)
    _step(item, ItemStatus.TABLED)
    _not_before(on, item.raised_on, "raised")
    with transaction(db):
        store.update_item(db, item_id, status=ItemStatus.TABLED, tabled_on=on)
        if store.add_meeting(db, item.forum, on):
            audit.append(db, "create", "governance_meeting", None,
                         {"forum": item.forum.value, "date": on.isoformat()})  # fmt: skip
        audit.append(db, "table", "governance_item", item_id, {"on": on.isoformat()})
    return _get(db, item_id)


def decide_item(db: Database, item_id: str, decision: str, on: date) -> GovernanceItem:
    """Record what the forum decided."""
    item = _get(db, item_id)
    _step(item, ItemStatus.DECIDED)
    if not decision.strip():
        raise UsageError("Write down what the forum decided.")
    _not_before(on, item.tabled_on, "tabled")
    with transaction(db):
        store.update_item(
            db, item_id, status=ItemStatus.DECIDED, decided_on=on, decision=decision.strip()
        )
        audit.append(db, "decide", "governance_item", item_id,
                     {"on": on.isoformat(), "decision": decision.strip()})  # fmt: skip
    return _get(db, item_id)


def record_change(db: Database, item_id: str, change: str, on: date) -> GovernanceItem:
    """Record the change made because of the decision (for example "escalation protocol
    revised; on-call rota clarified") and its date. A decided item only; may be corrected
    until the item is closed."""
    item = _open_item(db, item_id)
    if item.status is not ItemStatus.DECIDED:
        raise TransitionRefused(
            "Record the forum's decision before the change it led to "
            f"(this item is {item.status.label.lower()})."
        )
    if not change.strip():
        raise UsageError("Describe the change that was made.")
    _not_before(on, item.raised_on, "raised")
    with transaction(db):
        store.update_item(db, item_id, change_made=change.strip(), change_made_on=on)
        audit.append(db, "change", "governance_item", item_id,
                     {"on": on.isoformat(), "change": change.strip()})  # fmt: skip
    return _get(db, item_id)


def close_item(
    db: Database,
    item_id: str,
    on: date,
    *,
    change_made: str | None = None,
    change_made_on: date | None = None,
    note: str = "",
) -> GovernanceItem:
    """Close a decided item. With a change made (given here or recorded before) the item
    enters the learning log; without one it closes as "no change needed"."""
    item = _get(db, item_id)
    _step(item, ItemStatus.CLOSED)
    _not_before(on, item.decided_on, "decided")
    values: dict[str, object] = {"status": ItemStatus.CLOSED, "closed_on": on,
                                 "closing_note": note.strip()}  # fmt: skip
    if change_made is not None and change_made.strip():
        changed_on = change_made_on or on
        _not_before(changed_on, item.raised_on, "raised")
        values.update(change_made=change_made.strip(), change_made_on=changed_on)
    with transaction(db):
        store.update_item(db, item_id, **values)
        audit.append(
            db, "close", "governance_item", item_id,
            {"on": on.isoformat(), "note": note.strip(),
             "change": str(values.get("change_made", item.change_made))},
        )  # fmt: skip
    return _get(db, item_id)


def record_meeting(db: Database, forum: Forum, on: date, note: str = "") -> None:
    """Record that a forum met (tabling an item records its meeting too)."""
    with transaction(db):
        if store.add_meeting(db, forum, on, note.strip()):
            audit.append(db, "create", "governance_meeting", None,
                         {"forum": forum.value, "date": on.isoformat()})  # fmt: skip


def meetings(db: Database, forum: Forum | None = None) -> list[tuple[Forum, date]]:
    """Recorded meetings (forum, date), newest first."""
    return store.meetings(db, forum)


# --- Learning log --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LearningEntry:
    """One line of "what supervision changed": a closed item with its change and sources."""

    item: GovernanceItem
    sources: tuple[SourceSession, ...]
    workers: int  # different workers across the source sessions

    @property
    def changed_on(self) -> date:
        return self.item.change_made_on or self.item.closed_on or self.item.raised_on


def learning_log(
    db: Database, date_from: date | None = None, date_to: date | None = None
) -> list[LearningEntry]:
    """Every closed item with a change made dated in the period (oldest change first)."""
    entries = []
    for item in store.closed_with_change(db, date_from, date_to):
        sources = store.source_sessions(db, item.session_ids)
        workers = _worker_count(db, item.session_ids)
        entries.append(LearningEntry(item, tuple(sources), workers))
    return entries


def _worker_count(db: Database, session_ids: Sequence[str]) -> int:
    if not session_ids:
        return 0
    marks = ",".join("?" for _ in session_ids)
    row = db.execute(
        f"SELECT count(DISTINCT worker_id) FROM session_workers WHERE session_id IN ({marks})",
        list(session_ids),
    ).fetchone()
    return int(row[0])


def sources(db: Database, session_ids: Sequence[str]) -> list[SourceSession]:
    """The sessions behind an alert or an item, oldest first, as an agenda lists them: date,
    type, status, supervisee (blank for a group) and case references — no narrative."""
    return store.source_sessions(db, session_ids)


class GovernanceService(BoundService):
    """Trend alerts and the items raised to the MDT, safeguarding and quality meetings. (The open database given: see ``app.services.bound``.)"""

    detect_trends = bound(detect_trends)
    dismiss_alert = bound(dismiss_alert)
    alert_to_item = bound(alert_to_item)
    alert_history = bound(alert_history)
    flag_session = bound(flag_session)
    raise_item = bound(raise_item)
    get_item = bound(get_item)
    list_items = bound(list_items)
    items_for_session = bound(items_for_session)
    edit_item = bound(edit_item)
    link_sessions = bound(link_sessions)
    unlink_session = bound(unlink_session)
    table_item = bound(table_item)
    decide_item = bound(decide_item)
    record_change = bound(record_change)
    close_item = bound(close_item)
    record_meeting = bound(record_meeting)
    meetings = bound(meetings)
    learning_log = bound(learning_log)
    sources = bound(sources)
