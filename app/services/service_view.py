"""The service view: every team's workers, computed from the published facts by the same engine
as a laptop (app.domain.schedule), with each team's own policy, as of any date — never
statuses frozen at publish time.

Read with the reader's login (read-only). The rows handed to screens and reports are the
laptop's own shapes (``ScheduleRow``, ``Schedule``), plus the team database each came from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.domain.model import DueStatus, TypeKey, WorkerFacts
from app.domain.policy import BEGINNING, Policy, PolicyHistory, PolicyVersion
from app.domain.qa import QaFigures, QaRow, month_of, qa_figures
from app.domain.schedule import (
    Compliance,
    WorkerStatus,
    compliance,
    compliance_table,
    is_active_on,
    statuses_for,
)
from app.server import facts as published
from app.server.connection import connect, translated
from app.server.schema import require_current
from app.server.target import ServiceTarget
from app.services.scheduling import Schedule, ScheduleRow, sort_worst_first, status_records
from app.services.service_login import resolve_password, target_from

if TYPE_CHECKING:
    from app.services.themes import ThemeCounts

# A team whose last publish is older than this is flagged stale (as a backup is after 7 days).
STALE_DAYS = 7


@dataclass(frozen=True, slots=True)
class TeamPublish:
    """A team database and when the service last heard from it."""

    id: int
    name: str
    published_at: datetime | None
    now: datetime

    @property
    def stale(self) -> bool:
        return self.published_at is None or (self.now - self.published_at).days >= STALE_DAYS

    @property
    def last_publish_words(self) -> str:
        if self.published_at is None:
            return "never published"
        age = self.now - self.published_at
        minutes = int(age.total_seconds() // 60)
        if age.days >= 1:
            return f"last published {age.days} day{'' if age.days == 1 else 's'} ago"
        if minutes < 1:
            return "last published just now"
        if minutes < 60:
            return f"last published {minutes} min ago"
        return f"last published {minutes // 60} h ago"


@dataclass(frozen=True, slots=True)
class ServiceRow:
    """One worker of one team database, with the engine's answer."""

    source: str
    row: ScheduleRow

    @property
    def facts(self) -> WorkerFacts:
        return self.row.facts

    @property
    def status(self) -> WorkerStatus:
        return self.row.status


@dataclass(frozen=True)
class ServiceSchedule:
    as_of: date
    teams: list[TeamPublish]
    rows: list[ServiceRow]
    policies: dict[str, Policy]

    def counted_pairs(self) -> list[tuple[str, WorkerStatus]]:
        """(team database, status) for every worker in post on the as-of date."""
        return [(r.source, r.status) for r in self.rows if is_active_on(r.facts, self.as_of)]

    def compliance(self, type_: TypeKey | None = None) -> Compliance:
        return compliance(self.counted_pairs(), type_)

    def compliance_table(self) -> dict[tuple[str | None, TypeKey | None], Compliance]:
        return compliance_table(self.counted_pairs(), self.union_policy().catalogue.active_keys)

    def union_policy(self) -> Policy:
        """The teams' types together (each team keeps its own policy for its statuses): every
        type some team uses, with the words of the first team that has it."""
        types: dict[TypeKey, object] = {}
        for policy in self.policies.values():
            for spec in policy.catalogue.active:
                types.setdefault(spec.key, spec)
        return Policy(types=tuple(types.values())) if types else Policy()  # type: ignore[arg-type]

    def worst_first(self) -> list[ServiceRow]:
        """Overdue first, as the laptop's ``status`` sorts (ties keep the teams' order)."""
        by_row = {id(r.row): r for r in self.rows}
        return [by_row[id(x)] for x in sort_worst_first([r.row for r in self.rows])]

    def for_screen(self) -> Schedule:
        """The laptop scheduler's ``Schedule``, each worker's team shown as the team database
        it came from (so the scheduler's team filter picks a team database)."""
        rows = [
            ScheduleRow(dataclasses.replace(r.facts, team=r.source), r.status) for r in self.rows
        ]
        version = PolicyVersion(0, self.as_of, "", "", "each team's own", self.union_policy())
        return Schedule(self.as_of, version, rows)

    def count(self, status: DueStatus) -> int:
        return sum(1 for r in self.rows if r.status.overall is status)


@contextmanager
def reader_connection(
    url: str | ServiceTarget | None, ask: Callable[[str], str] | None = None,
    password: str | None = None,
) -> Iterator[tuple[Any, ServiceTarget]]:  # fmt: skip
    """The reader's connection (autocommit, read-only), its server schema checked."""
    target = url if isinstance(url, ServiceTarget) else target_from(url)
    conn = connect(target, password or resolve_password(target, ask), autocommit=True)
    try:
        with translated(target, "reading the service"):
            require_current(conn, f"{target.host}:{target.port}/{target.dbname}")
            conn.execute("SET default_transaction_read_only = on")
            yield conn, target
    finally:
        conn.close()


def _policies(conn: Any, teams: Sequence[published.TeamRow], as_of: date) -> dict[int, Policy]:
    """Each team's policy in force on ``as_of``: of the versions it published, the one its
    own laptop would use on that date (``PolicyHistory.in_force``)."""
    stored = published.read_policies(conn)
    out: dict[int, Policy] = {}
    for team in teams:
        history = PolicyHistory(
            PolicyVersion(p.version, p.effective_from or BEGINNING, p.created_at, "", "",
                          Policy.from_dict(p.data))
            for p in stored.get(team.id, [])
        )  # fmt: skip
        out[team.id] = history.in_force(as_of).policy
    return out


def schedule_from(conn: Any, as_of: date, *, now: datetime | None = None) -> ServiceSchedule:
    """Every team's statuses on ``as_of`` (teams by name; workers as each laptop orders
    them)."""
    teams = published.read_teams(conn)
    policies = _policies(conn, teams, as_of)
    by_team = published.read_worker_facts(conn, as_of)
    moment = now or datetime.now(UTC)
    rows: list[ServiceRow] = []
    for team in teams:
        facts = by_team.get(team.id, [])
        statuses = statuses_for(facts, policies[team.id], as_of)
        rows += [
            ServiceRow(team.name, ScheduleRow(f, s)) for f, s in zip(facts, statuses, strict=True)
        ]
    return ServiceSchedule(
        as_of,
        [TeamPublish(t.id, t.name, t.published_at, moment) for t in teams],
        rows,
        {t.name: policies[t.id] for t in teams},
    )


def load_service_schedule(
    url: str | ServiceTarget | None,
    as_of: date,
    *,
    ask: Callable[[str], str] | None = None,
    password: str | None = None,
) -> ServiceSchedule:
    with reader_connection(url, ask, password) as (conn, _target):
        return schedule_from(conn, as_of)


def service_status_records(view: ServiceSchedule) -> list[dict[str, Any]]:
    """``service status --json``: the keys of ``status --json`` plus ``source``, team by team
    (each team's rows in the order its own ``status --json`` prints them)."""
    out: list[dict[str, Any]] = []
    for r in view.rows:
        own = view.policies.get(r.source, Policy())
        version = PolicyVersion(0, view.as_of, "", "", "the team's", own)
        for record in status_records(Schedule(view.as_of, version, [r.row])):
            out.append({**record, "source": r.source})
    return out


__all__ = [
    "STALE_DAYS",
    "ServiceRow",
    "ServiceSchedule",
    "TeamPublish",
    "export_service_pack",
    "load_service_schedule",
    "load_service_view",
    "reader_connection",
    "schedule_from",
    "service_status_records",
]


def export_service_pack(
    url: str | ServiceTarget | None,
    date_from: date,
    date_to: date,
    out: Path,
    *,
    today: date,
    password: str | None = None,
    ask: Callable[[str], str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Path:
    """The service compliance pack as a PDF: written beside ``out`` and renamed into place, so
    a failed or cancelled export leaves no half-written file (and an old one as it was)."""
    import os
    import tempfile

    from app.services.reports.service_pack import build_service_pack

    with reader_connection(url, ask, password) as (conn, target):
        handle, name = tempfile.mkstemp(prefix=".keel-", suffix=".pdf", dir=out.parent)
        os.close(handle)
        part = Path(name)
        try:
            with translated(target, "reading the service"):
                build_service_pack(
                    conn, date_from, date_to, part, today=today, progress=progress,
                    cancelled=cancelled,
                )  # fmt: skip
            with part.open("rb") as fh:
                os.fsync(fh.fileno())
            os.replace(part, out)
        finally:
            part.unlink(missing_ok=True)
    return out


@dataclass(frozen=True)
class ServiceThemes:
    """Held sessions raising each theme (by name), per team database, in a period."""

    date_from: date
    date_to: date
    mentions: tuple[tuple[str, str, date], ...]  # (team, theme, date)

    def counts(self, team: str | None = None) -> ThemeCounts:
        """The heat map's counts by month, for one team or (None) across every team."""
        from app.services.themes import ThemeCountRow, ThemeCounts, _bucket_start, _label
        from app.services.themes import bucket_starts as starts_of

        starts = starts_of(self.date_from, self.date_to, "month")
        index = {s: i for i, s in enumerate(starts)}
        grid: dict[str, list[int]] = {}
        for source, theme, on in self.mentions:
            if team is not None and source != team:
                continue
            grid.setdefault(theme, [0] * len(starts))[index[_bucket_start(on, "month")]] += 1
        rows = [ThemeCountRow(name, name, False, tuple(c)) for name, c in grid.items()]
        rows.sort(key=lambda r: (-r.total, r.name.casefold()))
        return ThemeCounts(
            self.date_from, self.date_to, "month", tuple(starts),
            tuple(_label(s, "month") for s in starts), tuple(rows),
        )  # fmt: skip


def service_themes(conn: Any, date_from: date, date_to: date) -> ServiceThemes:
    names = {t.id: t.name for t in published.read_teams(conn)}
    return ServiceThemes(
        date_from,
        date_to,
        tuple(
            (names.get(m.team_id, ""), m.theme, m.on)
            for m in published.read_theme_mentions(conn, date_from, date_to)
        ),
    )


@dataclass(frozen=True)
class ServiceViewData:
    """What the service view window shows: the schedule and the themes of recent months."""

    schedule: ServiceSchedule
    themes: ServiceThemes
    qa: QaFigures | None = None  # the month of the as-of date, per team database (issue 16)


def load_service_view(
    target: ServiceTarget, password: str | None, as_of: date, *, months: int = 6
) -> ServiceViewData:
    start = date(as_of.year - (1 if as_of.month <= months else 0),
                 (as_of.month - months - 1) % 12 + 1, 1)  # fmt: skip
    with reader_connection(target, None, password) as (conn, _t):
        return ServiceViewData(
            schedule_from(conn, as_of), service_themes(conn, start, as_of), service_qa(conn, as_of)
        )


def service_qa(conn: Any, as_of: date) -> QaFigures:
    """Signed records of the month of ``as_of`` (to that day) and their countersignatures, per
    team database."""
    names = {t.id: t.name for t in published.read_teams(conn)}
    start = month_of(as_of)
    rows = (
        QaRow(names.get(t, ""), on, done) for t, on, done in published.read_qa(conn, start, as_of)
    )
    return qa_figures(rows, start, as_of)
