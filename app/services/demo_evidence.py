"""The demo's evidence: signed records, the supervisees' responses and addenda.

What it shows, by design (all relative to the demo's "today"):

* about two thirds of the held records older than a week signed by the supervisor on the record,
  a day or two after the session; the last week's records, and a third of the older ones, still
  drafts (what a real service looks like);
* most supervisees acknowledging their signed records; a few disagreeing, each with what they
  disagree with, and a later addendum by the supervisor answering it; the most recently signed
  records still awaiting a response;
* addenda a service writes: a mistyped case reference corrected, an outcome added after the
  session;
* every signature, response and addendum in the audit trail with the hash of what was signed or
  written (``app.storage.evidence_registry``), exactly as when a team lead does it on screen.

Everything is drawn from its own seeded generator, so two loads with the same "today" give the
same evidence (apart from the time stamps of the audit entries themselves).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from app.dates import uk
from app.storage.db import Database, new_id
from app.storage.evidence import Signature, sign_many
from app.storage.evidence_registry import record_many

SIGNED_SHARE = 0.67  # of the held records older than a week
LATE_COPY_SHARE = 0.06  # of the copies given: after the policy's deadline
RESPONSE_SHARE = 0.9  # of the signed one-to-one records old enough to have been responded to
DISAGREEMENTS = (
    "I don't agree that my caseload is manageable: the two referrals allocated after this "
    "session are not mentioned, and I have not been able to keep to the agreed visit plan.",
    "The record says I agreed to close C-case reviews within two weeks. I said I would try; "
    "with duty cover that is not realistic and I asked for it to be reviewed.",
    "I disagree with the risk summary: I raised my concern about lone visits twice and it is "
    "recorded as resolved. It is not resolved for me.",
)
ANSWERS = (
    "Met {who} on {on} to go through the disagreement. Agreed: the two new referrals are now "
    "on the caseload review list, and the visit plan is reduced to fortnightly until then.",
    "Discussed with {who} on {on}. The timescale was my wording, not an agreement: review of "
    "the timescale added to the next supervision's agenda.",
    "Spoke with {who} on {on}. Lone visits to this address stay joint visits until the risk "
    "assessment is reviewed at the MDT; the record above should have said so.",
)


@dataclass(frozen=True)
class HeldRecord:
    id: str
    on: date
    supervisor_id: str | None
    worker_id: str | None
    case_refs: str
    gaps: int
    issues: str = ""


@dataclass
class EvidencePlan:
    today: date
    held: list[HeldRecord]
    names: dict[str, str]
    rng: random.Random


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _at(day: date, rng: random.Random, latest: datetime) -> datetime:
    """An office-hours moment on ``day``, never later than ``latest``."""
    moment = datetime.combine(day, time(rng.randint(9, 16), rng.randint(0, 59)), tzinfo=UTC)
    return min(moment, latest)


def add_demo_evidence(db: Database, plan: EvidencePlan) -> dict[str, int]:
    """Sign, respond and add addenda (inside the demo's transaction). Returns the counts."""
    now = datetime.combine(plan.today, time(8, 0), tzinfo=UTC)
    signed = _sign(db, plan, now)
    responses = _respond(db, plan, signed, now)
    _attendees_respond(db, plan, signed, now)
    addenda = _addenda(db, plan, signed, responses, now)
    return {
        "signed": len(signed),
        "acknowledged": sum(1 for r in responses.values() if r[0] == "acknowledged"),
        "disagreed": sum(1 for r in responses.values() if r[0] == "disagreed"),
        "addenda": addenda,
    }


def _sign(
    db: Database, plan: EvidencePlan, now: datetime
) -> dict[str, tuple[HeldRecord, datetime]]:
    rng = plan.rng
    cutoff = plan.today - timedelta(days=7)
    chosen: dict[str, tuple[HeldRecord, datetime]] = {}
    signatures = []
    for rec in sorted(plan.held, key=lambda r: (r.on, r.id)):
        if rec.on > cutoff or not rec.supervisor_id or rec.supervisor_id not in plan.names:
            continue
        if rng.random() >= SIGNED_SHARE:
            continue
        when = _at(rec.on + timedelta(days=rng.choice((0, 0, 1, 1, 2, 3))), rng, now)
        chosen[rec.id] = (rec, when)
        signatures.append(
            Signature(rec.id, _stamp(when), plan.names[rec.supervisor_id], rec.supervisor_id)
        )
    fingerprints = sign_many(db, signatures)
    gaps = {rec.id: rec.gaps for rec in plan.held}
    record_many(
        db, "sign", "signed_record", [s.session_id for s in signatures],
        detail=lambda sid, _c: {"by": plan.names[chosen[sid][0].supervisor_id or ""],
                                "fingerprint": fingerprints[sid], "gaps": gaps[sid]},
        actor=lambda sid, _c: plan.names[chosen[sid][0].supervisor_id or ""],
    )  # fmt: skip
    return chosen


def _respond(
    db: Database,
    plan: EvidencePlan,
    signed: dict[str, tuple[HeldRecord, datetime]],
    now: datetime,
) -> dict[str, tuple[str, str, str]]:
    """Most supervisees respond within days; a few disagree (the first ones in each of the
    last few months, so the disagreements are spread out). Returns id -> (response, name,
    comment)."""
    rng = plan.rng
    answered: dict[str, tuple[str, str, str]] = {}
    updates = []
    old_enough = [
        (rec, when)
        for rec, when in signed.values()
        if rec.worker_id in plan.names and when <= now - timedelta(days=5)
    ]
    old_enough.sort(key=lambda x: (x[1], x[0].id))
    disagree_on = {rec.id for rec, _ in old_enough[-120::40][: len(DISAGREEMENTS)]}
    for rec, when in old_enough:
        if rec.id not in disagree_on and rng.random() >= RESPONSE_SHARE:
            continue
        name = plan.names[rec.worker_id or ""]
        if rec.id in disagree_on:
            response = "disagreed"
            comment = DISAGREEMENTS[len([a for a in answered.values() if a[0] == "disagreed"])]
        else:
            response = "acknowledged"
            comment = rng.choice(("", "", "", "Agreed.", "Agreed; thank you."))
        # The copy is given within a few days of signing; now and then it is late (a
        # supervisor on leave, a copy left in a tray), which the compliance pack counts.
        late = rng.random() < LATE_COPY_SHARE
        given = when + timedelta(days=rng.randint(8, 12) if late else rng.choice((0, 0, 1, 2)))
        at = when + timedelta(days=rng.randint(1, 4), hours=rng.randint(0, 3))
        at = min(max(at, given + timedelta(hours=1)), now)
        given = min(given, at)
        answered[rec.id] = (response, name, comment)
        updates.append((response, name, comment, _stamp(at), given.date().isoformat(), rec.id))
    db.conn.executemany(
        "UPDATE sessions SET supervisee_response = ?, supervisee_name = ?, "
        "supervisee_comment = ?, supervisee_responded_at = ?, supervisee_copy_received = 1, "
        "copy_given_on = ? WHERE id = ?",
        updates,
    )
    for response in ("acknowledged", "disagreed"):
        ids = [u[5] for u in updates if u[0] == response]
        record_many(
            db, response, "response", ids,
            detail=lambda sid, _c: {"by": answered[sid][1], "comment": answered[sid][2],
                                    "copy_received": True},
            actor=lambda sid, _c: answered[sid][1],
        )  # fmt: skip
    return answered


def _attendees_respond(
    db: Database,
    plan: EvidencePlan,
    signed: dict[str, tuple[HeldRecord, datetime]],
    now: datetime,
) -> int:
    """Each attendee of a signed group record responds in their own name, most within days;
    some not yet (the compliance pack counts those groups as awaiting). Its own random
    sequence, so the rest of the demo is as before. Returns how many responded."""
    rng = random.Random(f"attendees {plan.today.isoformat()}")
    groups = sorted(
        ((rec, when) for rec, when in signed.values()
         if rec.worker_id is None and when <= now - timedelta(days=5)),
        key=lambda x: (x[1], x[0].id),
    )  # fmt: skip
    rows = []
    for rec, when in groups:
        attendees = db.execute(
            "SELECT worker_id FROM session_attendees WHERE session_id = ? ORDER BY worker_id",
            [rec.id],
        ).fetchall()
        for (worker_id,) in attendees:
            if worker_id not in plan.names or rng.random() >= RESPONSE_SHARE:
                continue
            at = min(when + timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 3)), now)
            given = min(when + timedelta(days=rng.choice((0, 0, 1, 2))), at)
            rows.append((new_id(), rec.id, worker_id, plan.names[worker_id], _stamp(at),
                         given.date().isoformat()))  # fmt: skip
    db.conn.executemany(
        "INSERT INTO attendee_responses (id, session_id, worker_id, response, name, comment, "
        "responded_at, copy_received, copy_given_on) "
        "VALUES (?, ?, ?, 'acknowledged', ?, '', ?, 1, ?)",
        rows,
    )
    names = {r[0]: r[3] for r in rows}
    record_many(
        db, "acknowledged", "attendee_response", [r[0] for r in rows],
        detail=lambda rid, _c: {"by": names[rid], "copy_received": True},
        actor=lambda rid, _c: names[rid],
    )  # fmt: skip
    return len(rows)


def _addenda(
    db: Database,
    plan: EvidencePlan,
    signed: dict[str, tuple[HeldRecord, datetime]],
    responses: dict[str, tuple[str, str, str]],
    now: datetime,
) -> int:
    rng = plan.rng
    rows: list[tuple[Any, ...]] = []

    def add(rec: HeldRecord, after: datetime, reason: str, text: str) -> None:
        author = plan.names[rec.supervisor_id or ""]
        at = min(after + timedelta(days=rng.randint(2, 6), hours=rng.randint(0, 5)), now)
        rows.append((new_id(), rec.id, author, reason, text, _stamp(at)))

    disagreed = [sid for sid, r in responses.items() if r[0] == "disagreed"]
    for n, sid in enumerate(disagreed):
        rec, when = signed[sid]
        met = (when + timedelta(days=5)).date()
        who = responses[sid][1]
        add(rec, when + timedelta(days=4), "Response to the supervisee's disagreement",
            ANSWERS[n % len(ANSWERS)].format(who=who.split()[0], on=uk(met)))  # fmt: skip
    with_refs = [
        (rec, when) for rec, when in signed.values() if rec.case_refs.strip() and rec.worker_id
    ]
    with_refs.sort(key=lambda x: (x[1], x[0].id))
    for rec, when in with_refs[-90::45][:2]:
        ref = rec.case_refs.split(",")[0].strip()
        right = ref[:-2] + ref[-1] + ref[-2] if len(ref) > 3 else ref
        add(rec, when, "Correction: a case reference was mistyped",
            f"The case reference {ref} in this record is a typing error: the case discussed "
            f"was {right}. Nothing else in the record changes.")  # fmt: skip
    safeguarding = [(rec, when) for rec, when in with_refs if "safeguard" in rec.issues.lower()]
    for rec, when in safeguarding[-1:]:
        add(rec, when, "Outcome added after the session",
            "The safeguarding concern discussed in this session was raised with the local "
            "authority the same day; it was accepted and a strategy meeting was held a week "
            "later. The actions above stand.")  # fmt: skip
    db.conn.executemany(
        "INSERT INTO addenda (id, session_id, author, reason, text, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    by_id = {r[0]: r for r in rows}
    record_many(
        db, "addendum", "addendum", [r[0] for r in sorted(rows, key=lambda r: r[5])],
        detail=lambda aid, _c: {"addendum": aid, "reason": by_id[aid][3]},
        actor=lambda aid, _c: by_id[aid][2],
        entity_id=lambda aid, _c: by_id[aid][1],
    )  # fmt: skip
    return len(rows)
