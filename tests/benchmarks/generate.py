"""Generate a big reference database for the benchmarks, fast.

The reference service (issue 2, "Performance"): about 1,000 workers and 10 years of history,
≈100k sessions of the three types and four statuses, group sessions with their attendees, risk
assessments, leave, overrides, trigger events, decisions, actions and themes. ``--stress`` makes
it ten times bigger (10,000 workers, ≈1M sessions).

Rows are built in Python from a seeded generator and written with ``executemany`` in one
transaction, through Keel's real schema (the file is created and migrated by
``app.storage.db.open_database``, so every CHECK and foreign key applies). Deterministic for a
given seed and end date, UUIDs included (except the seeded themes', made by the migration).

    python tests/benchmarks/generate.py OUT.db [--workers N] [--years Y] [--seed S] [--stress]
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.domain.model import RiskFactors, Tier
from app.domain.policy import Policy
from app.domain.schedule import tier_for
from app.storage.db import close_database, open_database, transaction

TYPES = ("line", "clinical", "group")
TEAM_SIZE = 12
STAMP = "2026-01-01T00:00:00Z"
ROLES = (
    ("Community Mental Health Nurse", "Registered mental health nurse"),
    ("Social Worker", "Social worker (SWE)"),
    ("Support Worker", ""),
    ("Occupational Therapist", "Occupational therapist (HCPC)"),
    ("Support, Time and Recovery Worker", ""),
    ("Crisis Practitioner", "Registered mental health nurse"),
    ("Peer Support Worker", ""),
)
TEAM_KINDS = ("Community Team", "Crisis & Home Treatment", "Early Intervention", "Older Adults")
FIRST = (
    "Sarah", "Łukasz", "Zoë", "Amira", "Noa", "Priya", "Tom", "Chloe", "Kwame", "Olivia", "Rhys",
    "Fatima", "Yusuf", "Hannah", "Marcus", "Mei", "Siobhan", "Graham", "Grace", "Ben", "Jade",
    "Ellie", "Gareth", "Rosa", "Callum", "Aisha", "Dev", "Ioana", "Tariq", "Yael", "Mohammed",
    "Niamh", "Oluwaseun", "Agnieszka", "Hamza", "Ruth", "Kofi", "Lena", "Samir", "Bethan",
)  # fmt: skip
LAST = (
    "Okafor", "Nowak", "Hartley", "Haddad", "Ben-David", "Raman", "Gallagher", "Bennett",
    "Mensah", "Brooks", "Evans", "Begum", "Al-Sayed", "Schmidt", "Reid", "Chen", "O'Neill",
    "Whitfield", "Mwangi", "Adeyemi", "Thompson", "Marsh", "Price", "Martínez", "Fraser",
    "Kowalski", "Patel", "Cohen", "Jones", "Williams", "Hughes", "Murphy", "Ahmed", "Ali",
)  # fmt: skip
ISSUES = {
    "line": (
        "Caseload at {n} against an agreed ceiling of 28; two new allocations this month and "
        "reviews slipping. Agreed which reviews move to duty and which need continuity.",
        "Recording: {k} progress notes entered more than 48 hours after contact. Friday "
        "afternoon protected for recording.",
        "Lone working: late visits to C-{c} where a relative has been aggressive; joint visits "
        "agreed until the risk assessment is reviewed.",
        "Attendance and wellbeing after a difficult month; occupational health self-referral "
        "supported.",
    ),
    "clinical": (
        "C-{c}: self-harm escalating after a benefits sanction; formulation and safety plan "
        "reviewed, contact increased for four weeks.",
        "C-{c} disclosed financial abuse by a family member; safeguarding threshold discussed "
        "and a concern raised with her agreement.",
        "C-{c} wants to stop depot medication; capacity discussed, planned reduction with "
        "relapse-signature plan agreed with the consultant.",
        "C-{c} waited {k} hours for a crisis assessment out of hours; delay reported and "
        "escalation discussed.",
    ),
    "group": (
        "Case discussion: repeated crisis presentations linked to housing threats across "
        "caseloads (C-{c} and others).",
        "Reflective practice after a serious incident: drift towards risk-averse decisions.",
        "Waiting times for therapy: staff holding people without a plan for many months.",
    ),
}
DECISIONS = (
    ("Increase contact for four weeks and review.", "Risk has risen with a clear trigger."),
    ("Hold new allocations for two weeks.", "Caseload above the agreed ceiling."),
    ("Raise a safeguarding concern.", "Threshold met; the person's wishes are recorded."),
    ("Escalate to the quality meeting.", "A system problem individual supervision cannot fix."),
)
ACTIONS = (
    ("Update the risk assessment and safety plan", "supervisee", 3, "Updated plan on record"),
    ("Bring progress notes up to date", "supervisee", 7, "Spot check of the last 10 notes"),
    ("Raise the delay with the ward manager", "supervisor", 10, "Email and agreed process"),
    ("Complete the safeguarding refresher", "supervisee", 28, "Certificate on record"),
)
CANCEL_REASONS = ("Workload / caseload pressure",) * 7 + ("Sickness",) * 2 + ("Annual leave",)


class _Ids:
    """Deterministic UUID-shaped text ids from the seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.bits = rng.getrandbits

    def __call__(self) -> str:
        h = f"{self.bits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:32]}"


def _spans(rng: random.Random, first: date, last: date, mean: int) -> Iterator[date]:
    """Dates from ``first`` to ``last`` about ``mean`` days apart, with slippage."""
    day = first + timedelta(days=rng.randint(0, max(0, mean // 2)))
    while day <= last:
        yield day
        day += timedelta(days=max(1, round(mean * rng.uniform(0.9, 2.3))))


def generate_reference(
    path: Path | str,
    *,
    workers: int = 1000,
    years: int = 10,
    seed: int = 1,
    today: date | None = None,
) -> dict[str, Any]:
    """Build the reference database at ``path`` (replacing any file there) and return figures.

    The returned dict holds the row count of each table, the file size in bytes, the seconds
    it took and the end date of the history (``as_of``).
    """
    started = time.perf_counter()
    path = Path(path)
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    today = today or date.today()
    rng = random.Random(seed)
    new_id = _Ids(rng)
    policy = Policy()
    horizon = today - timedelta(days=round(365.25 * years))

    rows: dict[str, list[tuple[Any, ...]]] = {
        name: []
        for name in (
            # Children before their sessions (foreign keys are deferred to the commit), so
            # per-session trigger work (the search index) runs once per session.
            "workers", "worker_required_types", "risk_assessments", "leave_periods", "overrides",
            "trigger_events",
            "session_attendees", "decisions", "actions", "session_themes", "sessions",
        )
    }  # fmt: skip

    # --- Workers in teams: a lead (qualified) and members; one service manager over leads.
    teams = max(1, math.ceil(workers / TEAM_SIZE))
    team_names = [
        f"{['North', 'South', 'East', 'West', 'Central'][i % 5]} "
        f"{TEAM_KINDS[(i // 5) % len(TEAM_KINDS)]} {i // 20 + 1}"
        for i in range(teams)
    ]
    people: list[dict[str, Any]] = []
    for i in range(workers):
        team = i % teams
        is_lead = i < teams
        start = today - timedelta(days=rng.randint(10, 365 * (years + 8)))
        left = None
        if not is_lead and rng.random() < 0.12:
            left_day = start + timedelta(days=rng.randint(60, 365 * 4))
            left = left_day if left_day < today else None
        role, profession = ("Team Lead", "Registered mental health nurse") if is_lead else (
            rng.choice(ROLES)
        )  # fmt: skip
        roll = rng.random()
        requires = (1, 1, 1) if roll < 0.85 else (1, 1, 0) if roll < 0.95 else (1, 0, 1)
        people.append(
            {
                "id": new_id(),
                "team": team,
                "lead": is_lead,
                "start": start,
                "left": left,
                "requires": requires,
                "role": role,
                "profession": profession,
            }
        )
    leads = [p for p in people if p["lead"]]
    for p in people:
        team_lead = leads[p["team"]]
        p["line_sup"] = people[0]["id"] if p["lead"] else team_lead["id"]
        p["clin_sup"] = (leads[(p["team"] + 1) % teams] if p["lead"] else team_lead)["id"]
        if p["clin_sup"] == p["id"]:
            p["clin_sup"] = None
    for i, p in enumerate(people):
        employment = rng.choices(("permanent", "bank", "agency", "student"), (86, 6, 4, 4))[0]
        rows["workers"].append(
            (p["id"], f"B{i + 1:05d}", f"{rng.choice(FIRST)} {rng.choice(LAST)}", p["role"],
             team_names[p["team"]], p["start"].isoformat(), employment, p["profession"],
             p["line_sup"], p["clin_sup"], int(p["lead"]),
             p["left"].isoformat() if p["left"] else None, STAMP, STAMP)
        )  # fmt: skip
        rows["worker_required_types"].extend(
            (p["id"], type_) for type_, flag in zip(TYPES, p["requires"], strict=True) if flag
        )

    # --- Risk assessments (history; 3% never assessed), leave, overrides, triggers.
    for p in people:
        tier = "standard"
        if rng.random() >= 0.03:
            day = max(p["start"], horizon - timedelta(days=200))
            end = p["left"] or today
            while day <= end:
                factors = RiskFactors(*(rng.choices((1, 2, 3), (3, 5, 2))[0] for _ in range(4)))
                tier = tier_for(factors, policy)[0].value
                rows["risk_assessments"].append(
                    (new_id(), p["id"], day.isoformat(), factors.cohort_risk,
                     factors.decision_complexity, factors.support_need, factors.volatility,
                     tier, "Team lead", "Periodic review.", "manual", STAMP)
                )  # fmt: skip
                day += timedelta(days=rng.randint(150, 400))
        p["tier"] = tier
        p["leave"] = []
        for _ in range(rng.choices((0, 1, 2, 3), (60, 25, 10, 5))[0]):
            lo = max(p["start"], horizon)
            span = (today - lo).days
            if span < 30:
                break
            begin = lo + timedelta(days=rng.randint(0, span - 1))
            kind = rng.choices(("sickness", "parental", "other"), (80, 8, 12))[0]
            length = rng.randint(150, 300) if kind == "parental" else rng.randint(3, 40)
            end_day: date | None = begin + timedelta(days=length)
            if end_day is not None and end_day >= today and rng.random() < 0.5:
                end_day = None
            p["leave"].append((begin, end_day))
            rows["leave_periods"].append(
                (new_id(), p["id"], kind, begin.isoformat(),
                 end_day.isoformat() if end_day else None, "", STAMP)
            )  # fmt: skip
        if rng.random() < 0.04:
            expires = today + timedelta(days=rng.randint(-200, 120))
            rows["overrides"].append(
                (new_id(), p["id"], rng.choice(TYPES), rng.choice((14, 21, 28)),
                 "Agreed with the service manager.", None, expires.isoformat(), STAMP)
            )  # fmt: skip
        for _ in range(rng.choices((0, 1, 2), (92, 6, 2))[0]):
            event = today - timedelta(days=rng.randint(0, 365 * years))
            rows["trigger_events"].append(
                (new_id(), p["id"], rng.choice(("incident", "safeguarding", "complaint",
                                                "boundary", "return_from_leave", "other")),
                 event.isoformat(), rng.choice(("line", "clinical")), rng.choice((2, 3, 7, 14)),
                 "", STAMP)
            )  # fmt: skip

    def on_leave(p: dict[str, Any], day: date) -> bool:
        return any(b <= day and (e is None or day <= e) for b, e in p["leave"])

    sessions: list[tuple[Any, ...]] = []
    themes = _theme_ids(path)

    def add_session(type_: str, status: str, day: date, sup: str | None, worker: str | None,
                    p: dict[str, Any] | None) -> str:  # fmt: skip
        sid = new_id()
        reason = rng.choice(CANCEL_REASONS) if status == "cancelled" else ""
        issues = risk = wellbeing = workload = distress = None
        refs = ""
        if status == "held":
            c = rng.randint(1000, 9999)
            refs = f"C-{c}"
            issues = rng.choice(ISSUES[type_]).format(n=rng.randint(29, 34), k=rng.randint(3, 9),
                                                      c=c)  # fmt: skip
            risk = int(rng.random() < 0.6)
            if worker is not None:
                wellbeing = rng.randint(4, 9)
                workload = rng.choice(("manageable", "manageable", "stretched", "excessive"))
                distress = int(rng.random() < 0.08)
            text, why = rng.choice(DECISIONS)
            rows["decisions"].append((new_id(), sid, 0, text, why))
            if worker is not None and rng.random() < 0.7:
                desc, owner, days, evidence = rng.choice(ACTIONS)
                due = day + timedelta(days=days)
                done = due < today - timedelta(days=30) and rng.random() < 0.95
                rows["actions"].append(
                    (new_id(), sid, worker, desc, owner, "", due.isoformat(), evidence,
                     "done" if done else "open", "Done; evidence seen." if done else "",
                     (due.isoformat() if done else None), 0, STAMP, STAMP)
                )  # fmt: skip
            if rng.random() < 0.15:
                rows["session_themes"].append((sid, rng.choice(themes)))
        sessions.append(
            (sid, type_, status, day.isoformat(), "10:00", 60 if worker else 90,
             "in_person", sup, worker, reason, 0, STAMP, STAMP, issues or "", risk, refs,
             wellbeing, workload, distress)
        )  # fmt: skip
        return sid

    # --- One-to-one sessions at roughly each worker's interval, with slippage.
    for p in people:
        first = max(p["start"], horizon)
        last = p["left"] or today
        for type_, required in (("line", p["requires"][0]), ("clinical", p["requires"][1])):
            if not required:
                continue
            sup = p["line_sup"] if type_ == "line" else p["clin_sup"]
            mean = policy.interval(type_, Tier(p["tier"]))
            for day in _spans(rng, first, last, mean):
                if on_leave(p, day):
                    continue
                roll = rng.random()
                if roll < 0.1:
                    add_session(type_, "cancelled" if roll < 0.08 else "dna", day, sup, p["id"], p)
                    day += timedelta(days=rng.randint(2, 9))
                    if day > last:
                        continue
                add_session(type_, "held", day, sup, p["id"], p)
            if p["left"] is None and rng.random() < 0.5:
                ahead = today + timedelta(days=rng.randint(1, 35))
                add_session(type_, "planned", ahead, sup, p["id"], None)

    # --- Monthly reflective groups per team, with the members who attended.
    members: dict[int, list[dict[str, Any]]] = {}
    for p in people:
        if p["requires"][2]:
            members.setdefault(p["team"], []).append(p)
    for team in range(teams):
        facilitator = leads[team]["id"]
        for day in _spans(rng, horizon, today + timedelta(days=28), 28):
            status = "planned" if day > today else "cancelled" if rng.random() < 0.07 else "held"
            present = [
                p["id"] for p in members.get(team, [])
                if p["start"] <= day and (p["left"] is None or day < p["left"])
                and not on_leave(p, day) and (status == "planned" or rng.random() < 0.85)
            ]  # fmt: skip
            if len(present) < 2:
                continue
            sid = add_session("group", status, day, facilitator, None, None)
            rows["session_attendees"].extend((sid, wid) for wid in present)

    sessions.sort(key=lambda r: r[3])  # stored in the order they happened
    rows["sessions"] = sessions

    db = open_database(path)
    try:
        # A throwaway file: no journal and no syncing while loading, then back to Keel's own
        # settings (WAL) so the benchmark reads a file like the app's.
        db.conn.execute("PRAGMA cache_size = -262144")
        db.conn.execute("PRAGMA journal_mode = OFF")
        db.conn.execute("PRAGMA synchronous = OFF")
        with transaction(db, "generate the reference database"):
            db.conn.execute("PRAGMA defer_foreign_keys = ON")
            for table, data in rows.items():
                if data:
                    marks = ", ".join("?" for _ in data[0])
                    columns = _COLUMNS.get(table, "")
                    db.conn.executemany(f"INSERT INTO {table} {columns} VALUES ({marks})", data)
            _evidence(db, rng, today, sessions, rows["workers"])
        db.conn.execute("PRAGMA journal_mode = WAL")
        counts = {
            table: int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]) for table in rows
        }
    finally:
        close_database(db)
    return {
        **counts,
        "teams": teams,
        "years": years,
        "as_of": today.isoformat(),
        "bytes": path.stat().st_size,
        "seconds": time.perf_counter() - started,
        "path": str(path),
    }


def _evidence(
    db: Any,
    rng: random.Random,
    today: date,
    sessions: list[tuple[Any, ...]],
    workers: list[tuple[Any, ...]],
) -> None:
    """What a real service's database holds as evidence, written as Keel writes it: two thirds
    of the held records older than a week signed by their supervisor, most acknowledged by the
    supervisee, a few disagreed with; an addendum now and then; and the audit entry, with its
    hash, of every signature, response, addendum, risk assessment, leave period, override and
    trigger event (``check`` verifies them all)."""
    from app.storage.evidence import Signature, sign_many
    from app.storage.evidence_registry import record_many

    names = {w[0]: w[2] for w in workers}
    cutoff = (today - timedelta(days=7)).isoformat()
    signatures, one_to_one = [], []
    for row in sessions:
        sid, status, day, sup, worker = row[0], row[2], row[3], row[7], row[8]
        if status != "held" or day > cutoff or sup is None or rng.random() >= 0.67:
            continue
        signatures.append(Signature(sid, f"{day}T16:30:00Z", names[sup], sup))
        if worker is not None:
            one_to_one.append((sid, day, worker))
    fingerprints = sign_many(db, signatures)
    by = {s.session_id: s.signed_by_name for s in signatures}
    record_many(db, "sign", "signed_record", [s.session_id for s in signatures],
                detail=lambda i, _c: {"by": by[i], "fingerprint": fingerprints[i], "gaps": 0},
                actor=lambda i, _c: by[i])  # fmt: skip
    answered: dict[str, list[tuple[Any, ...]]] = {"acknowledged": [], "disagreed": []}
    addenda = []
    for sid, day, worker in one_to_one:
        roll = rng.random()
        if roll < 0.85:
            response = "disagreed" if roll < 0.01 else "acknowledged"
            comment = "I do not agree with the caseload figure recorded." if roll < 0.01 else ""
            answered[response].append((response, names[worker], comment, f"{day}T18:00:00Z", sid))
        if roll > 0.995:
            addenda.append((f"add-{sid}", sid, by[sid], "Correction",
                            "The case reference above was mistyped.", f"{day}T19:00:00Z"))  # fmt: skip
    for response, updates in answered.items():
        db.conn.executemany(
            "UPDATE sessions SET supervisee_response = ?, supervisee_name = ?, "
            "supervisee_comment = ?, supervisee_responded_at = ? WHERE id = ?", updates,
        )  # fmt: skip
        record_many(db, response, "response", [u[4] for u in updates],
                    detail={"by": "supervisee"})  # fmt: skip
    db.conn.executemany(
        "INSERT INTO addenda (id, session_id, author, reason, text, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)", addenda,
    )  # fmt: skip
    session_of = {a[0]: a[1] for a in addenda}
    record_many(db, "addendum", "addendum", [a[0] for a in addenda],
                entity_id=lambda i, _c: session_of[i])  # fmt: skip
    for kind in ("risk_assessment", "leave", "override", "trigger"):
        record_many(db, "create", kind)


_COLUMNS = {
    "workers": "(id, staff_id, name, role, team, start_date, employment, profession, "
    "line_supervisor_id, clinical_supervisor_id, qualified_clinical, left_on, created_at, "
    "updated_at)",
    "worker_required_types": "(worker_id, type)",
    "sessions": "(id, type, status, session_date, start_time, duration_minutes, mode, "
    "supervisor_id, worker_id, cancel_reason, imported, created_at, updated_at, issues, "
    "risk_link, case_refs, wellbeing, workload, moral_distress)",
    "actions": "(id, session_id, worker_id, description, owner, owner_name, due_date, evidence, "
    "status, completion_note, closed_on, position, created_at, updated_at)",
    "risk_assessments": "(id, worker_id, assessed_on, cohort_risk, decision_complexity, "
    "support_need, volatility, tier, assessed_by, rationale, source, created_at)",
    "leave_periods": "(id, worker_id, kind, start_date, end_date, note, created_at)",
    "overrides": "(id, worker_id, type, interval_days, reason, starts_on, expires_on, created_at)",
    "trigger_events": "(id, worker_id, kind, event_date, type, response_days, note, created_at)",
    "decisions": "(id, session_id, position, text, rationale)",
    "session_attendees": "(session_id, worker_id)",
    "session_themes": "(session_id, theme_id)",
}


def _theme_ids(path: Path) -> list[str]:
    """The seeded themes' ids, from a freshly created database at ``path``."""
    db = open_database(path)
    try:
        return [r[0] for r in db.execute("SELECT id FROM themes ORDER BY name").fetchall()]
    finally:
        close_database(db)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("out", type=Path, help="database file to create (replaced if present)")
    parser.add_argument("--workers", type=int, default=1000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--stress", action="store_true", help="ten times the workers")
    args = parser.parse_args(argv)
    workers = args.workers * 10 if args.stress else args.workers
    figures = generate_reference(args.out, workers=workers, years=args.years, seed=args.seed)
    print(
        f"{figures['path']}: {figures['workers']:,} workers in {figures['teams']:,} teams, "
        f"{figures['sessions']:,} sessions, {figures['session_attendees']:,} attendances, "
        f"{figures['actions']:,} actions, {figures['risk_assessments']:,} assessments, "
        f"{figures['bytes'] / 1e6:.1f} MB in {figures['seconds']:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
