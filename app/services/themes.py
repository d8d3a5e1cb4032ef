"""Themes: the service's controlled list (add, rename, retire, restore, usage) and the theme
heat map's counts.

Tagging: a session carries themes (``SessionRecord.theme_ids``) and so does each decision or
piece of guidance in it (``Decision.theme_ids``), because one supervision often covers several
unrelated matters: tagging the decision says which discussion raised the theme. A session
*raises* a theme when it or any of its decisions is tagged with it, and counts once per theme.

Retiring keeps history: a retired theme stays on every record that used it and in counts of
the past, but is not offered for new tagging (``themes_for_tagging``) and cannot be added to a
record that did not already carry it (``refuse_retired_tags``). Renaming changes the label
everywhere (the concept is the same); when the meaning changes, retire it and add a new one.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from app.dates import day_month, month_year
from app.domain.records import SessionRecord
from app.domain.rows import Theme, ThemeUsage
from app.errors import UsageError
from app.services.bound import BoundService, bound
from app.storage import audit
from app.storage import themes as store
from app.storage.db import Database, transaction

__all__ = [
    "Bucket",
    "Theme",
    "ThemeCountRow",
    "ThemeCounts",
    "ThemeUsage",
    "add_theme",
    "bucket_starts",
    "refuse_retired_tags",
    "rename_theme",
    "restore_theme",
    "retire_theme",
    "theme_counts",
    "theme_usage",
    "themes_for_tagging",
]


def theme_usage(db: Database, *, include_retired: bool = True) -> list[ThemeUsage]:
    """Every theme with how many sessions and decisions use it, in name order."""
    return store.theme_usage(db, include_retired=include_retired)


def themes_for_tagging(db: Database, already: Iterable[str] = ()) -> list[Theme]:
    """Themes a form offers: the active ones, plus retired ones the record already carries."""
    keep = set(already)
    return [t for t in store.list_themes(db, include_retired=True) if t.active or t.id in keep]


def _clean_name(name: str) -> str:
    clean = " ".join(name.split())
    if not clean:
        raise UsageError("A theme needs a name.")
    if len(clean) > 80:
        raise UsageError("Keep a theme's name under 80 characters.")
    return clean


def _refuse_duplicate(db: Database, name: str, own_id: str | None = None) -> None:
    other = store.theme_by_name(db, name)
    if other is not None and other.id != own_id:
        hint = " (it is retired: restore it instead)" if not other.active else ""
        raise UsageError(f"There is already a theme called “{other.name}”{hint}.")


def _get(db: Database, theme_id: str) -> Theme:
    theme = store.get_theme(db, theme_id)
    if theme is None:
        raise UsageError("That theme no longer exists.")
    return theme


def add_theme(db: Database, name: str) -> Theme:
    """Add one of the service's own themes."""
    clean = _clean_name(name)
    _refuse_duplicate(db, clean)
    with transaction(db):
        theme = store.add_theme(db, clean)
        audit.append(db, "create", "theme", theme.id, {"name": clean})
    return theme


def rename_theme(db: Database, theme_id: str, name: str) -> Theme:
    """Rename a theme; every record tagged with it shows the new name."""
    old = _get(db, theme_id)
    clean = _clean_name(name)
    _refuse_duplicate(db, clean, own_id=theme_id)
    with transaction(db):
        store.rename_theme(db, theme_id, clean)
        audit.append(db, "rename", "theme", theme_id, {"from": old.name, "to": clean})
    return _get(db, theme_id)


def retire_theme(db: Database, theme_id: str, on: date) -> Theme:
    """Stop offering a theme for new tagging from ``on``; its history stays."""
    theme = _get(db, theme_id)
    if not theme.active:
        return theme
    with transaction(db):
        store.set_retired(db, theme_id, on)
        audit.append(db, "retire", "theme", theme_id, {"name": theme.name, "on": on.isoformat()})
    return _get(db, theme_id)


def restore_theme(db: Database, theme_id: str) -> Theme:
    """Bring a retired theme back into use."""
    theme = _get(db, theme_id)
    if theme.active:
        return theme
    with transaction(db):
        store.set_retired(db, theme_id, None)
        audit.append(db, "restore", "theme", theme_id, {"name": theme.name})
    return _get(db, theme_id)


def refuse_retired_tags(db: Database, record: SessionRecord) -> None:
    """Raise ``UsageError`` when a record gains a retired (or unknown) theme it did not carry
    when last saved. Tags it already had are kept, so old records still save."""
    wanted = set(record.theme_ids)
    for decision in record.decisions:
        wanted.update(decision.theme_ids)
    if not wanted:
        return
    before: set[str] = set()
    if record.id:
        before = {
            r[0]
            for r in db.execute(
                "SELECT theme_id FROM session_raised_themes WHERE session_id = ?", [record.id]
            ).fetchall()
        }
    themes = {t.id: t for t in store.list_themes(db, include_retired=True)}
    for theme_id in sorted(wanted - before):
        theme = themes.get(theme_id)
        if theme is None:
            raise UsageError("A theme on this record no longer exists. Pick another.")
        if not theme.active:
            raise UsageError(
                f"The theme “{theme.name}” is retired and cannot be added to a record. "
                "Pick another, or restore the theme first."
            )


# --- Heat map ------------------------------------------------------------------------------

Bucket = Literal["week", "month"]


def _bucket_start(day: date, bucket: Bucket) -> date:
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _next_bucket(start: date, bucket: Bucket) -> date:
    if bucket == "week":
        return start + timedelta(days=7)
    days = calendar.monthrange(start.year, start.month)[1]
    return start + timedelta(days=days)


def bucket_starts(date_from: date, date_to: date, bucket: Bucket) -> list[date]:
    """The first day of every week (Monday) or month that overlaps the period."""
    if bucket not in ("week", "month"):
        raise UsageError("Count themes by 'week' or by 'month'.")
    if date_to < date_from:
        raise UsageError("The period ends before it starts.")
    starts = []
    current = _bucket_start(date_from, bucket)
    while current <= date_to:
        starts.append(current)
        current = _next_bucket(current, bucket)
    return starts


def _label(start: date, bucket: Bucket) -> str:
    if bucket == "week":
        return day_month(start)
    return month_year(start)


@dataclass(frozen=True, slots=True)
class ThemeCountRow:
    """One theme across the buckets."""

    theme_id: str
    name: str
    retired: bool
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True, slots=True)
class ThemeCounts:
    """Themes × weeks or months: how many held sessions raised each theme in each bucket.

    ``starts[i]`` is the first day of bucket ``i`` (weeks start on Monday); the first and last
    buckets count only days inside the period. Rows are ordered by total, then name.
    """

    date_from: date
    date_to: date
    bucket: Bucket
    starts: tuple[date, ...]
    labels: tuple[str, ...]
    rows: tuple[ThemeCountRow, ...]

    @property
    def max_count(self) -> int:
        return max((c for r in self.rows for c in r.counts), default=0)

    def count(self, theme_id: str, start: date) -> int:
        index = self.starts.index(start)
        for row in self.rows:
            if row.theme_id == theme_id:
                return row.counts[index]
        return 0


def theme_counts(
    db: Database,
    date_from: date,
    date_to: date,
    bucket: Bucket = "week",
    *,
    team: str | None = None,
    include_unused: bool = False,
) -> ThemeCounts:
    """Counts for the heat map. A held session counts once per theme it raises (on the session
    or on a decision), in the bucket of its date. ``include_unused`` adds active themes with no
    count; with ``team``, only sessions involving a worker of that team count."""
    starts = bucket_starts(date_from, date_to, bucket)
    index = {s: i for i, s in enumerate(starts)}
    grid: dict[str, list[int]] = defaultdict(lambda: [0] * len(starts))
    for mention in store.theme_mentions(db, date_from, date_to, team=team):
        grid[mention.theme_id][index[_bucket_start(mention.on, bucket)]] += 1
    rows = [
        ThemeCountRow(t.id, t.name, not t.active, tuple(grid.get(t.id, [0] * len(starts))))
        for t in store.list_themes(db, include_retired=True)
        if t.id in grid or (include_unused and t.active)
    ]
    rows.sort(key=lambda r: (-r.total, r.name.casefold()))
    return ThemeCounts(
        date_from, date_to, bucket, tuple(starts), tuple(_label(s, bucket) for s in starts),
        tuple(rows),
    )  # fmt: skip


class ThemeService(BoundService):
    """The service's themes: the list, tagging, and counts over time. (The open database given: see ``app.services.bound``.)"""

    theme_usage = bound(theme_usage)
    themes_for_tagging = bound(themes_for_tagging)
    add_theme = bound(add_theme)
    rename_theme = bound(rename_theme)
    retire_theme = bound(retire_theme)
    restore_theme = bound(restore_theme)
    theme_counts = bound(theme_counts)
