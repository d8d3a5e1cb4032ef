"""The service's supervision policy: its versions, what a change would do, and saving one.

The desktop app's Settings → Supervision policy… and the command line's ``keel policy``
both go through here. Saving never overwrites: it adds a version with an effective date, who
saved it and why, and an audit entry.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from app.dates import uk
from app.domain.catalogue import Catalogue
from app.domain.model import STATUS_LABELS, DueStatus
from app.domain.policy import BEGINNING, Policy, PolicyHistory, PolicyVersion, differences
from app.errors import UsageError
from app.storage.db import Database, transaction
from app.storage.policies import policy_history, save_policy, type_kinds, types_with_records


@dataclass(frozen=True, slots=True)
class StatusChanges:
    """How many workers' statuses a policy would change on a date, against the one in force."""

    as_of: date
    workers: int  # workers in post
    workers_changed: int  # with any status that would change (a type's or the overall one)
    cells_changed: int  # worker–type statuses that would change (or appear, or go)
    moves: tuple[tuple[str, str, int], ...]  # overall (from, to, how many workers), most first
    examples: tuple[str, ...]  # a few "Name: on track → overdue (clinical)" lines

    def summary(self) -> str:
        if not self.workers_changed:
            return (
                f"No worker's status would change on {uk(self.as_of)} "
                f"({self.workers} workers in post)."
            )
        cells = (
            "1 worker–type status"
            if self.cells_changed == 1
            else (f"{self.cells_changed} worker–type statuses")
        )
        if self.moves:
            moves = "; ".join(f"{n} {a} → {b}" for a, b, n in self.moves[:4])
            overall = f"overall: {moves}; {cells} in all"
        else:
            overall = f"no overall status moves; {cells} change"
        return (
            f"{self.workers_changed} of {self.workers} workers would change status on "
            f"{uk(self.as_of)} ({overall})."
        )


@dataclass(frozen=True, slots=True)
class SavedPolicy:
    version: PolicyVersion
    changes: tuple[str, ...]


def _words(status: DueStatus) -> str:
    return STATUS_LABELS[status].lower()


class PolicyService:
    """Use cases about the policy. Every write is one transaction with its audit entry."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def history(self) -> PolicyHistory:
        return policy_history(self._db)

    def in_force(self, on: date) -> PolicyVersion:
        return self.history().in_force(on)

    def catalogue(self, on: date) -> Catalogue:
        """The types in force on ``on``, then every other type a version names (retired)."""
        return self.history().display_catalogue(on)

    def types_with_records(self) -> set[str]:
        return types_with_records(self._db)

    def kinds(self) -> dict[str, str]:
        """Every type ever saved: key → kind (one-to-one or group; fixed once saved)."""
        return type_kinds(self._db)

    def status_changes(self, policy: Policy, as_of: date) -> StatusChanges:
        """What saving ``policy`` would change on ``as_of``, against the version in force."""
        from app.services.scheduling import compute_schedule  # loads the engine when asked

        before = compute_schedule(self._db, as_of)
        # A new type required by default is required for every worker in post once saved.
        known = set(self.history().latest.policy.catalogue.keys)
        added = frozenset(
            t.key for t in policy.types if t.key not in known and t.required_by_default
        )
        after = compute_schedule(self._db, as_of, policy=policy, also_required=added)
        by_id = {r.worker_id: r for r in after.rows}
        moves: Counter[tuple[str, str]] = Counter()
        cells = 0
        changed = 0
        examples: list[str] = []
        for row in before.rows:
            new = by_id.get(row.worker_id)
            if new is None:
                continue
            keys = set(row.status.by_type) | set(new.status.by_type)
            differ = []
            for key in sorted(keys):
                old_s = row.status.by_type.get(key)
                new_s = new.status.by_type.get(key)
                old_v = old_s.status if old_s else None
                new_v = new_s.status if new_s else None
                if old_v != new_v:
                    cells += 1
                    differ.append(key)
            if row.status.overall is not new.status.overall:
                moves[(_words(row.status.overall), _words(new.status.overall))] += 1
            if differ or row.status.overall is not new.status.overall:
                changed += 1
                if len(examples) < 8:
                    examples.append(
                        f"{row.facts.name}: {_words(row.status.overall)} → "
                        f"{_words(new.status.overall)} ({', '.join(differ)})"
                    )
        ordered = tuple((a, b, n) for (a, b), n in moves.most_common())
        return StatusChanges(as_of, len(before.rows), changed, cells, ordered, tuple(examples))

    def check_effective(self, effective_from: date) -> None:
        """Refuse an effective date before the latest version's (the timeline only moves on)."""
        latest = self.history().latest
        if latest.effective_from != BEGINNING and effective_from < latest.effective_from:
            raise UsageError(
                f"The effective date cannot be before {uk(latest.effective_from)}, when version "
                f"{latest.version} takes effect: a new version never reaches back before the "
                "one saved before it."
            )

    def save(
        self,
        policy: Policy,
        *,
        effective_from: date,
        reason: str,
        by: str,
        today: date,
    ) -> SavedPolicy:
        """Save ``policy`` as a new version in force from ``effective_from``.

        Raises ``UsageError`` when it is unsound (every problem named), changes nothing, has
        no reason or no name, reaches back before the latest version, changes a type's kind or
        leaves out a type with records.
        """
        problems = policy.problems()
        if problems:
            raise UsageError("The policy was not saved: " + "; ".join(problems))
        if not reason.strip():
            raise UsageError("Say why the policy changes: the reason is kept with the version.")
        if not by.strip():
            raise UsageError("Give your name: it is kept with the version.")
        self.check_effective(effective_from)
        current = self.history().latest
        changes = tuple(differences(current.policy, policy))
        if not changes:
            raise UsageError("Nothing was saved: the policy is the same as the latest version.")
        with transaction(self._db, "save the policy"):
            try:
                number = save_policy(
                    self._db,
                    policy,
                    by.strip(),
                    effective_from=effective_from,
                    reason=reason,
                    today=today,
                    detail={"changes": list(changes[:50]), "changes_total": len(changes)},
                )
            except ValueError as exc:
                raise UsageError(str(exc)) from exc
        saved = next(v for v in self.history().versions if v.version == number)
        return SavedPolicy(saved, changes)
