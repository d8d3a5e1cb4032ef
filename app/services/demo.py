"""The demo service: a realistic, deterministic year of supervision in three teams.

``load_demo`` fills an *empty* database through the ordinary storage functions (so the demo is
exactly what a user's own records would look like) in one transaction. Everything is relative
to ``today`` and drawn from a seeded random generator, so two loads with the same ``today``
give the same service, apart from the random UUIDs and the time stamps.

What the demo shows, by design:

* 25 staff in three teams: team leads who may give clinical supervision, a psychologist,
  nurses, social workers, support workers, a new starter 20 days in post (support need 3), a
  student on placement, a bank worker who was never assessed, and one nurse who has left;
* every tier, dated risk assessments (some reassessed), a per-worker override, leave (one
  worker off sick now, one back from parental leave), an open safeguarding trigger, and two
  closed ones;
* a year of sessions of the three types at each worker's interval, with cancellations
  (mostly workload), a few did-not-attends and bookings in the coming weeks, so the scheduler
  shows workers overdue, due soon, on track and paused;
* records that read like real ones: issues, decisions with rationale, actions carried forward
  and reviewed (done, still open, dropped), pseudonymous case references (never names), the
  wellbeing pulse, and themes — with "Delayed crisis response" raised again and again by the
  crisis and community staff in the last eight weeks (the trend a governance screen picks up);
* evidence (``app.services.demo_evidence``): about two thirds of the held records older than a
  week signed by their supervisors, most acknowledged by the supervisee, a few disagreed with
  and why, addenda (corrections, answers to a disagreement, an outcome), every step in the audit
  trail as Keel writes it, so that ``check`` has something to verify.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from app.domain.catalogue import CLINICAL, DEFAULT_CATALOGUE, GROUP, LINE
from app.domain.model import (
    Employment,
    LeaveKind,
    RiskFactors,
    SessionStatus,
    Tier,
    TriggerKind,
    TypeKey,
    Worker,
)
from app.domain.policy import Policy
from app.domain.quality import quality_gaps
from app.domain.records import (
    Action,
    ActionOwner,
    ActionReview,
    ActionStatus,
    Decision,
    Escalation,
    Incident,
    Mode,
    Progress,
    SessionRecord,
    SupportKind,
    Workload,
)
from app.domain.schedule import tier_for
from app.errors import UsageError
from app.services.bound import BoundService, bound
from app.services.demo_evidence import EvidencePlan, HeldRecord, add_demo_evidence
from app.services.demo_governance import add_demo_governance
from app.services.demo_qa import add_demo_qa
from app.storage.adjustments import add_leave, add_override, add_trigger
from app.storage.db import Database, new_id, transaction, utc_now
from app.storage.policies import current_policy
from app.storage.rows import iso, type_kinds
from app.storage.sessions import _session_values as session_values
from app.storage.workers import add_assessment, count_workers, insert_worker, update_worker

SEED = 20261126
HISTORY_DAYS = 365
TREND_THEME = "Delayed crisis response"


NORTH = "North Community Team"
SOUTH = "South Community Team"
CRISIS = "Crisis & Home Treatment"
TEAMS = (NORTH, SOUTH, CRISIS)

WORKLOAD_REASON = "Workload / caseload pressure"
SICKNESS_REASON = "Sickness"
CANCEL_REASONS = (
    (WORKLOAD_REASON, 0.68),
    (SICKNESS_REASON, 0.2),
    ("Supervisor on annual leave", 0.12),
)

BASE = {NORTH: "Ashcroft House", SOUTH: "Riverside Resource Centre", CRISIS: "Brookfield Unit"}

# Target for a worker's one-to-one type on the demo's "today".
ON, SOON, NONE = "on", "soon", "none"


def _over(days: int) -> str:
    return f"over:{days}"


@dataclass(frozen=True)
class _Person:
    key: str
    name: str
    role: str
    team: str
    profession: str
    started_days_ago: int
    employment: Employment = Employment.PERMANENT
    qualified: bool = False
    requires: tuple[TypeKey, ...] = (LINE, CLINICAL, GROUP)
    line_sup: str | None = None
    clin_sup: str | None = None
    # (days ago, (cohort risk, decision complexity, support need, volatility), rationale)
    assessments: tuple[tuple[int, tuple[int, int, int, int], str], ...] = ()
    line: str = ON
    clinical: str = ON
    left_days_ago: int | None = None
    wellbeing: int = 7
    workload: Workload = Workload.MANAGEABLE


_STAFF: tuple[_Person, ...] = (
    # --- North Community Team -----------------------------------------------------------------
    _Person("sarah", "Sarah Okafor", "Team Lead", NORTH, "Registered mental health nurse", 2950,
            qualified=True, line_sup="graham", clin_sup="amira",
            assessments=((300, (2, 3, 1, 2), "Experienced lead; complex allocation decisions."),
                         (120, (2, 3, 1, 2), "Six-monthly review: unchanged.")),
            clinical=SOON, workload=Workload.STRETCHED),
    _Person("amira", "Amira Haddad", "Clinical Psychologist", NORTH,
            "Clinical psychologist (HCPC)", 1820, qualified=True, requires=(LINE, CLINICAL),
            line_sup="sarah", clin_sup="graham",
            assessments=((200, (2, 2, 1, 2), "Consultation role; holds a small complex caseload."),),
            wellbeing=8),
    _Person("lukasz", "Łukasz Nowak", "Community Mental Health Nurse", NORTH,
            "Registered mental health nurse", 1100, line_sup="sarah", clin_sup="amira",
            assessments=((330, (3, 2, 2, 2), "Several people with high-risk histories."),
                         (95, (3, 3, 2, 2), "Reassessed: two people on enhanced risk plans; "
                          "complex capacity decisions.")),
            line=_over(12), workload=Workload.EXCESSIVE, wellbeing=6),
    _Person("zoe", "Zoë Hartley", "Social Worker (AMHP)", NORTH, "Social worker (SWE)", 1460,
            line_sup="sarah", clin_sup="amira",
            assessments=((250, (2, 3, 2, 2), "AMHP duties: complex statutory decisions."),),
            clinical="trigger"),
    _Person("priya", "Priya Raman", "Community Mental Health Nurse", NORTH,
            "Registered mental health nurse", 720, line_sup="sarah", clin_sup="amira",
            assessments=((160, (2, 2, 2, 2), "Settled caseload; building confidence with "
                          "safeguarding decisions."),),
            line=SOON, clinical=_over(5), workload=Workload.STRETCHED),
    _Person("tom", "Tom Gallagher", "Support, Time and Recovery Worker", NORTH, "", 2200,
            line_sup="sarah", clin_sup="sarah",
            assessments=((340, (1, 1, 1, 2), "Stable caseload, long experience."),
                         (150, (1, 2, 1, 2), "Review: taking on benefits advocacy work.")),
            wellbeing=8),
    _Person("chloe", "Chloe Bennett", "Student Social Worker (placement)", NORTH,
            "Social work student", 75, employment=Employment.STUDENT, line_sup="zoe",
            clin_sup="amira",
            assessments=((75, (2, 2, 3, 1), "Second-year placement: new to statutory work."),)),
    _Person("kwame", "Kwame Mensah", "Occupational Therapist", NORTH,
            "Occupational therapist (HCPC)", 2600, line_sup="sarah", clin_sup="amira",
            assessments=((380, (1, 2, 1, 1), "Experienced; stable caseload."),),
            clinical=SOON, wellbeing=8),
    _Person("olivia", "Olivia Brooks", "Community Mental Health Nurse", NORTH,
            "Registered mental health nurse", 900, line_sup="sarah", clin_sup="amira",
            assessments=((280, (2, 2, 2, 2), "Generic caseload."),),
            line=_over(20), clinical=_over(9), workload=Workload.EXCESSIVE, wellbeing=5),
    # --- South Community Team -----------------------------------------------------------------
    _Person("noa", "Noa Ben-David", "Team Lead", SOUTH, "Social worker (SWE)", 3300,
            qualified=True, line_sup="graham", clin_sup="amira",
            assessments=((170, (2, 3, 1, 2), "Team lead: complex allocation and AMHP rota."),)),
    _Person("rhys", "Rhys Evans", "Community Mental Health Nurse", SOUTH,
            "Registered mental health nurse", 1900, line_sup="noa", clin_sup="noa",
            assessments=((210, (2, 2, 1, 2), "Experienced; generic caseload."),),
            clinical=_over(25), workload=Workload.EXCESSIVE, wellbeing=6),
    _Person("fatima", "Fatima Begum", "Social Worker", SOUTH, "Social worker (SWE)", 1150,
            line_sup="noa", clin_sup="amira",
            assessments=((330, (2, 2, 2, 1), "Generic caseload."),
                         (140, (2, 3, 2, 2), "Reassessed: leads two complex safeguarding "
                          "enquiries.")),
            line=SOON),
    _Person("yusuf", "Yusuf Al-Sayed", "Community Mental Health Nurse (preceptee)", SOUTH,
            "Registered mental health nurse", 150, line_sup="noa", clin_sup="noa",
            assessments=((150, (2, 2, 3, 2), "Newly qualified: preceptorship year."),)),
    _Person("hannah", "Hannah Schmidt", "Support Worker", SOUTH, "", 1500, line_sup="noa",
            clin_sup="noa",
            assessments=((100, (1, 1, 2, 1), "Low-risk recovery caseload."),), wellbeing=8),
    _Person("marcus", "Marcus Reid", "Peer Support Worker", SOUTH, "", 240,
            employment=Employment.BANK, requires=(LINE, GROUP), line_sup="noa", line=SOON),
    _Person("mei", "Mei Chen", "Social Worker", SOUTH, "Social worker (SWE)", 800,
            line_sup="noa", clin_sup="amira",
            assessments=((60, (2, 2, 2, 2), "Covering a vacant post's caseload."),),
            workload=Workload.STRETCHED),
    _Person("siobhan", "Siobhan O'Neill", "Community Mental Health Nurse", SOUTH,
            "Registered mental health nurse", 2100, line_sup="noa", clin_sup="noa",
            assessments=((300, (2, 2, 1, 2), "Experienced; generic caseload."),),
            left_days_ago=90),
    # --- Crisis & Home Treatment --------------------------------------------------------------
    _Person("graham", "Graham Whitfield", "Service Manager and CRHT Team Lead", CRISIS,
            "Registered mental health nurse", 4400, qualified=True, clin_sup="amira",
            assessments=((180, (3, 3, 1, 2), "Crisis service lead: high-risk cohort and "
                          "complex decisions."),),
            line=_over(6), workload=Workload.STRETCHED),
    _Person("grace", "Grace Mwangi", "Senior Crisis Practitioner", CRISIS,
            "Registered mental health nurse", 1600, qualified=True, line_sup="graham",
            clin_sup="graham",
            assessments=((350, (3, 2, 2, 3), "Crisis cohort; volatile presentations."),
                         (170, (3, 2, 1, 3), "Review: more confident as senior practitioner.")),
            clinical=SOON),
    _Person("ben", "Ben Adeyemi", "Crisis Practitioner (Nurse)", CRISIS,
            "Registered mental health nurse", 700, line_sup="graham", clin_sup="grace",
            assessments=((300, (3, 2, 2, 2), "Crisis cohort."),
                         (118, (3, 3, 2, 3), "Reassessed after a serious incident: "
                          "volatile caseload, complex decisions.")),
            workload=Workload.STRETCHED),
    _Person("jade", "Jade Thompson", "Support Worker", CRISIS, "", 20, line_sup="graham",
            clin_sup="grace",
            assessments=((20, (3, 2, 3, 2), "New in post: daily contact with people in crisis; "
                          "support need high while new."),)),
    _Person("ellie", "Ellie Marsh", "Crisis Practitioner (OT)", CRISIS,
            "Occupational therapist (HCPC)", 1250, line_sup="graham", clin_sup="grace",
            assessments=((260, (3, 2, 1, 3), "Crisis cohort, volatile presentations."),)),
    _Person("gareth", "Gareth Price", "Support Worker", CRISIS, "", 3650, line_sup="graham",
            clin_sup="grace",
            assessments=((330, (3, 1, 1, 1), "Very experienced; practical home treatment "
                          "support."),),
            wellbeing=8),
    _Person("rosa", "Rosa Martínez", "Crisis Nurse", CRISIS, "Registered mental health nurse",
            400, employment=Employment.AGENCY, line_sup="graham", clin_sup="grace",
            assessments=((380, (3, 2, 2, 2), "Agency nurse, crisis cohort."),),
            workload=Workload.STRETCHED, wellbeing=5),
    _Person("callum", "Callum Fraser", "Social Worker (AMHP)", CRISIS, "Social worker (SWE)",
            1800, line_sup="graham", clin_sup="noa",
            assessments=((400, (2, 3, 1, 2), "AMHP on the crisis rota."),
                         (48, (2, 3, 2, 2), "Reassessed on return from parental leave: "
                          "confidence rebuilding.")),
            clinical=SOON),
)  # fmt: skip

# Who raises the delayed-crisis-response theme in the last eight weeks.
_TREND_KEYS = ("ben", "ellie", "grace", "callum", "jade", "lukasz")
_GROUP_FACILITATOR = "amira"
_GROUP_PERIOD = {NORTH: 28, SOUTH: 28, CRISIS: 14}
_GROUP_LAST = {NORTH: 6, SOUTH: 13, CRISIS: 2}  # days before today of the latest group


# --- Record content -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Template:
    issues: str
    decisions: tuple[tuple[str, str], ...]
    # (description, owner, due in days, evidence needed to close)
    actions: tuple[tuple[str, ActionOwner, int, str], ...] = ()
    themes: tuple[str, ...] = ()
    risk: bool = False
    referral: bool = False
    distress: bool = False
    case_discussion: str = ""


# How often a record that touches a theme is tagged with it (groups surface themes).
_TAG_CHANCE = {LINE: 0.15, CLINICAL: 0.15, GROUP: 0.6}

_SUP = ActionOwner.SUPERVISEE
_SVR = ActionOwner.SUPERVISOR
_OTH = ActionOwner.OTHER

_LINE_TEMPLATES: tuple[_Template, ...] = (
    _Template(
        "Caseload is {n} (agreed ceiling 28). Two new allocations this month, including {c1} "
        "stepped down from the crisis team. Went through which reviews can move to duty and "
        "which need continuity.",
        (("Hold new allocations for two weeks while three discharges are completed.",
          "Caseload is above the agreed ceiling and risk reviews were slipping past their "
          "dates."),),
        (("Complete discharge summaries for the three people ready for discharge", _SUP, 14,
          "Discharge letters sent and records closed"),),
        ("Workload pressure",),
    ),
    _Template(
        "Recording audit: {k} progress notes were entered more than 48 hours after contact. "
        "Writing up in the evenings after late visits; agreed this is not sustainable.",
        (("Protect Friday 2–4 pm in the diary for recording.",
          "Late notes are a risk when colleagues cover; evening write-ups add to fatigue."),),
        (("Bring all progress notes up to date", _SUP, 7,
          "Spot check of the last 10 contacts shows notes within 48 hours"),),
        ("Recording backlog",),
    ),
    _Template(
        "Lone working: late-afternoon visits to {c1}, where a family member has been "
        "aggressive. The lone-working app was not always checked in on leaving.",
        (("Joint visits only for {c1} until the risk assessment is reviewed.",
          "Known third-party risk; the lone-working policy asks for a joint visit."),
         ("Check in on the lone-working app at every visit, no exceptions.",
          "Without check-ins nobody knows when a visit overruns."),),
        (("Update the lone-working risk flag on {c1}'s record", _SUP, 3,
          "Flag visible on the record and on the duty board"),),
        ("Lone working safety",),
        risk=True,
    ),
    _Template(
        "Attendance and wellbeing: two short sickness absences this quarter, linked to poor "
        "sleep after a difficult month. Talked about occupational health and the employee "
        "assistance programme.",
        (("Support a self-referral to occupational health.",
          "Early support is better than a formal attendance stage; the worker agrees."),),
        (("Book an occupational health appointment", _SUP, 21, "Appointment date confirmed"),),
        (),
    ),
    _Template(
        "Boundaries: {c1} has been texting the worker's work phone late in the evening and "
        "asking for personal details. The worker found it hard to say no.",
        (("Agree a contact plan with {c1}: working hours only, through the team number.",
          "Keeps the relationship therapeutic and protects the worker, as the boundaries "
          "policy sets out."),),
        (("Write the contact agreement into {c1}'s care plan and go through it at the next "
          "visit", _SUP, 10, "Care plan updated; agreement discussed and recorded"),),
        ("Boundary issue",),
        risk=True,
    ),
    _Template(
        "Mandatory training: Level 3 safeguarding adults is due for renewal. Appraisal "
        "objectives reviewed (co-facilitating the carers' group).",
        (("Release a half day for the safeguarding refresher this month.",
          "Training must be current before the worker covers duty alone."),),
        (("Complete the Level 3 safeguarding adults refresher", _SUP, 28,
          "Certificate on the training record"),),
        (),
    ),
    _Template(
        "Duty days are overrunning: three referrals last week waited more than a day for a "
        "triage call because the duty worker was also doing visits.",
        (("No visits to be booked on duty days; raise duty cover at the team meeting.",
          "Triage delays put people waiting at risk; the rota assumes duty is protected."),),
        (("Put duty cover on the team meeting agenda", _SVR, 7,
          "Minutes show the item and the agreed rota change"),),
        ("System blockage or delay", "Workload pressure"),
    ),
    _Template(
        "Covering {n2} extra people from a vacant post since last month. Feeling stretched but "
        "coping; two appointments were cancelled last week.",
        (("Move the four lowest-risk people from the vacant caseload to the STR workers.",
          "Keeps contact safe for everyone while the post is recruited to."),),
        (("Agree the reallocation with the STR workers", _SVR, 7,
          "Reallocation recorded on the caseload list"),
         ("Tell the people affected who their new worker is", _SUP, 14,
          "Letters sent; noted on each record"),),
        ("Workload pressure",),
    ),
)  # fmt: skip

_CLINICAL_TEMPLATES: tuple[_Template, ...] = (
    _Template(
        "{c1}: self-harm has escalated since a benefits sanction, with two emergency "
        "department attendances this month. Reviewed the formulation (loss of income → shame "
        "→ withdrawal) and the safety plan.",
        (("Increase contact with {c1} to twice weekly for four weeks.",
          "Risk has risen with a clear trigger; more contact is proportionate and "
          "time-limited."),
         ("Ask welfare rights to review the sanction.",
          "Works on the trigger, not only on the risk."),),
        (("Update {c1}'s risk assessment and safety plan", _SUP, 3,
          "Updated risk assessment on the record, shared with the person and GP"),
         ("Refer {c1} to welfare rights", _SUP, 7, "Referral acknowledged"),),
        ("Repeated crisis trigger",),
        risk=True,
    ),
    _Template(
        "{c1} disclosed that her adult son takes most of her money each week. The worker was "
        "unsure whether this meets the threshold for a safeguarding concern or is a family "
        "matter she wants kept private.",
        (("Raise a safeguarding adults concern.",
          "Financial abuse of an adult with care and support needs meets the threshold; her "
          "wishes are recorded and she will be involved throughout."),),
        (("Submit the safeguarding concern and tell {c1} it has been raised", _SUP, 1,
          "Concern reference recorded on the record"),),
        ("Safeguarding threshold uncertainty",),
        risk=True,
        referral=True,
    ),
    _Template(
        "{c1} wants to stop depot medication. Talked through capacity for this decision; the "
        "worker fears relapse but recognises the person's right to choose.",
        (("Support a planned, monitored reduction with the consultant.",
          "The person has capacity; a planned reduction with early-warning signs is safer "
          "than disengagement."),),
        (("Agree a relapse-signature plan with {c1} and family", _SUP, 14,
          "Plan in the care record, copy given to the person"),),
        ("Drift to risk-averse practice",),
        risk=True,
    ),
    _Template(
        "The worker is still affected by the unexpected death of {c1} last month. Went through "
        "the last contacts, what was known at the time, and the guilt the worker carries.",
        (("Offer a structured debrief with psychology and time off the duty rota this week.",
          "The emotional impact is significant; early support reduces longer-term harm."),),
        (("Book the debrief with psychology", _SVR, 7, "Debrief date in the diary"),),
        ("Moral distress",),
        risk=True,
        distress=True,
    ),
    _Template(
        "{c1} has missed four appointments and the notes say 'disengaged' with no follow-up. "
        "Discussed the risk of getting used to no contact.",
        (("Apply the non-engagement protocol: a joint visit this week and a letter to the GP.",
          "Missed contact in someone with previous serious self-harm is a risk indicator, "
          "not a choice to ignore."),),
        (("Joint visit to {c1} and letter to the GP", _SUP, 5,
          "Visit recorded; GP letter on file"),),
        ("Drift to risk-blind practice",),
        risk=True,
    ),
    _Template(
        "{c1} and {c2} both presented in crisis after Friday discharges from the ward with no "
        "weekend contact arranged.",
        (("Ask for a 72-hour follow-up for every discharge, booked before the person leaves.",
          "Both crises followed the same gap; follow-up within 72 hours is the standard."),),
        (("Raise the discharge follow-up gap with the ward manager", _SVR, 10,
          "Email to the ward manager and the agreed process"),),
        ("Repeated crisis trigger", "System blockage or delay"),
        risk=True,
    ),
    _Template(
        "{c1} has been refused by the drug and alcohol service until 'mental health is "
        "stable', and by the psychology waiting list until 'substance use is addressed'.",
        (("Request a joint case review with the drug and alcohol service.",
          "The person is stuck between services; a joint review is the agreed route."),),
        (("Arrange the joint review", _SUP, 21, "Review date and attendees recorded"),),
        ("System blockage or delay",),
        risk=True,
    ),
    _Template(
        "Caseload risk review: {c1} moved from amber to green after three stable months; "
        "{c2} stays amber, relapse indicators discussed.",
        (("Reduce contact with {c1} to fortnightly.",
          "Stable for three months, wants more independence, and a relapse plan is in "
          "place."),),
        (("Update the care plan contact frequency for {c1}", _SUP, 14,
          "Care plan reviewed with the person"),),
        (),
        risk=False,
    ),
)  # fmt: skip

_CRISIS_TEMPLATES: tuple[_Template, ...] = (
    _Template(
        "{c1} waited {h} hours for a crisis assessment after calling the crisis line on a "
        "Saturday evening; the on-call worker was covering duty for two teams.",
        (("Escalate any wait over 4 hours to the senior on call.",
          "The protocol has no time at which to escalate, so long waits have become normal."),),
        (("Report the delay as an incident", _SUP, 2, "Incident number on the record"),),
        (TREND_THEME, "System blockage or delay"),
        risk=True,
    ),
    _Template(
        "Home treatment for {c1} started two days after the gatekeeping assessment because no "
        "practitioner was free; the family managed alone overnight.",
        (("Tell the service manager the same day about any home-treatment start that cannot "
          "be staffed.",
          "An unstaffed start leaves the person and family without the care that was "
          "agreed."),),
        (("Add the delay to the governance log for the quality meeting", _SVR, 14,
          "Item on the quality meeting agenda"),),
        (TREND_THEME,),
        risk=True,
    ),
    _Template(
        "Police called about {c1} (a section 136 decision); the callback took 3 hours because "
        "the duty phone had been diverted to voicemail at handover.",
        (("Check the duty phone divert at every handover.",
          "A missed divert delayed a time-critical decision."),),
        (("Add the divert check to the handover checklist", _SUP, 7,
          "Checklist updated and shared with the team"),),
        (TREND_THEME, "Repeated crisis trigger"),
        risk=True,
    ),
    _Template(
        "Out of hours, {c1}'s GP could not reach the crisis team for 90 minutes; the person "
        "went to the emergency department instead and waited {h} hours.",
        (("Share the direct professionals' line with local GP practices.",
          "Referrers are using the public line and queuing with everyone else."),),
        (("Send the professionals' line to the GP practice managers", _SVR, 10,
          "Email sent; confirmation from each practice"),),
        (TREND_THEME, "System blockage or delay"),
        risk=True,
    ),
)  # fmt: skip

_GROUP_TEMPLATES: tuple[_Template, ...] = (
    _Template(
        "Repeated crisis presentations linked to housing threats.",
        (("Invite the housing officer to the next MDT.",
          "A trigger shared across caseloads needs an answer from the system."),),
        (("Invite the housing officer to the MDT", _SVR, 14, "Housing officer on the MDT list"),),
        ("Repeated crisis trigger",),
        risk=True,
        case_discussion="{c1}: crisis presentations every few weeks, each after a letter from "
        "the landlord. The group noticed three people with the same pattern across caseloads.",
    ),
    _Template(
        "How the team responds after a serious incident: some staff described becoming more "
        "cautious and declining positive risk-taking plans.",
        (("Bring a positive risk-taking case to the next group.",
          "Naming the drift helps the team keep judgement proportionate."),),
        (),
        ("Drift to risk-averse practice", "Moral distress"),
        case_discussion="Reflective discussion (no single case). Staff talked about fear of "
        "blame and how it shapes decisions.",
    ),
    _Template(
        "Waiting times for psychology and the personality disorder pathway (14 months): staff "
        "are holding people without a plan.",
        (("Collect the numbers and raise them at the quality meeting.",
          "A system blockage that individual supervision cannot fix."),),
        (("Count people waiting over 12 months on each caseload", _SVR, 21,
          "Figures in the quality meeting papers"),),
        ("System blockage or delay", "Workload pressure"),
        case_discussion="{c1}: discharged from the ward, waiting 14 months for therapy, "
        "repeated crisis contact in the meantime.",
    ),
    _Template(
        "Safeguarding thresholds: the group compared three recent situations to agree when to "
        "raise a concern.",
        (("Use the local threshold guidance in every safeguarding discussion.",
          "Members were applying different thresholds to similar situations."),),
        (),
        ("Safeguarding threshold uncertainty",),
        risk=True,
        case_discussion="{c1} and {c2}: financial exploitation by family members; one concern "
        "was raised and one was not.",
    ),
)  # fmt: skip

_GROUP_CRISIS = _Template(
    "Delays in crisis response: several members described waits of 4 to 9 hours for a crisis "
    "assessment out of hours; on-call cover is unclear when two teams share one duty worker.",
    (("Flag the delays to the quality and governance meeting with examples.",
      "Repeated across caseloads: it needs a change to escalation and on-call arrangements, "
      "not individual fixes."),),
    (("Write up anonymised examples (case references only) for governance", _SVR, 10,
      "Paper submitted to the quality and governance meeting"),),
    (TREND_THEME, "System blockage or delay"),
    risk=True,
    case_discussion="{c1}, {c2}: both waited most of a night for an assessment after calling "
    "the crisis line; in both the duty worker was covering two teams.",
)  # fmt: skip

_SUPPORT_OFFERED = (
    "Employee assistance programme details given; a check-in booked for next week.",
    "Agreed a protected half day this week and no new allocations until the next session.",
    "Offered a referral to occupational health and time with the staff psychologist.",
)
_CONCERNS = (
    "Finding it hard to switch off after shifts; sleeping badly.",
    "Feeling the weight of two recent serious incidents.",
    "Worried about keeping up with recording on the current caseload.",
)
_WORKLOAD_SUPPORT = (
    "No new allocations for four weeks; two cases transferred.",
    "Protected admin time on Friday afternoons.",
    "Joint visits for the two most complex cases until the next session.",
)
_STAFF_COMMENTS = (
    "",
    "",
    "Helpful session; I feel supported.",
    "I would like more time for reflective practice.",
    "Agreed with the plan; the cap on allocations helps.",
)
_INCIDENT_LEARNING = (
    "Check the crisis plan is current before a home visit.",
    "Share the risk summary with the out-of-hours team the same day.",
    "Escalate missed depot injections to the consultant within 24 hours.",
)
_NEXT_FOCUS = {
    LINE: ("Caseload and wellbeing review.", "Training plan and appraisal objectives.",
           "Recording backlog and leave plans."),
    CLINICAL: ("Risk formulations for the highest-risk cases.", "Safeguarding follow-up.",
               "Reflective case discussion."),
    GROUP: ("Crisis pathway themes.", "Learning from recent incidents."),
}  # fmt: skip
_CONFIDENTIAL = (
    "Worker shared a family health worry and asked for it to stay private; flexible start "
    "times agreed informally.",
    "Worker talked about feeling isolated in the team since the restructure.",
    "Talked about a personal bereavement; the worker does not want it recorded elsewhere.",
)
_START_TIMES = ("09:30", "10:00", "11:00", "13:30", "14:00", "15:30")


# --- Building the service --------------------------------------------------------------------


@dataclass
class _Slot:
    """A session before it is stored, with what its content should be."""

    rec: SessionRecord
    person: str | None  # the supervisee's key (None for a group)
    template: _Template | None = None
    extra_template: _Template | None = None
    wellbeing: int | None = None
    distress: bool | None = None
    team: str = ""


@dataclass
class _Builder:
    db: Database
    today: date
    policy: Policy
    rng: random.Random
    ids: dict[str, str] = field(default_factory=dict)
    start: dict[str, date] = field(default_factory=dict)
    left: dict[str, date] = field(default_factory=dict)
    leave: dict[str, list[tuple[date, date | None]]] = field(default_factory=dict)
    slots: list[_Slot] = field(default_factory=list)
    theme_ids: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    case_numbers: list[int] = field(default_factory=list)

    def day(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    # -- dates ----------------------------------------------------------------------------------

    def on_leave(self, key: str, day: date) -> tuple[date, date | None] | None:
        for start, end in self.leave.get(key, ()):
            if start <= day and (end is None or day <= end):
                return start, end
        return None

    def workday_before(self, key: str | None, day: date) -> date:
        """``day`` or the nearest earlier weekday outside the person's leave."""
        while True:
            while day.weekday() >= 5:
                day -= timedelta(days=1)
            span = self.on_leave(key, day) if key else None
            if span is None:
                return day
            day = span[0] - timedelta(days=1)

    @staticmethod
    def workday_after(day: date) -> date:
        while day.weekday() >= 5:
            day += timedelta(days=1)
        return day

    # -- people ---------------------------------------------------------------------------------

    @staticmethod
    def _employed(start: date, employment: Employment) -> date | None:
        """When they joined the organisation: agency staff are not its employees; some
        permanent staff joined in another post years before this one."""
        if employment is Employment.AGENCY:
            return None
        earlier = (start.toordinal() * 7919) % 5  # deterministic, from the start date
        return start if earlier < 3 else date(start.year - earlier, start.month, 1)

    def add_people(self) -> None:
        for p in _STAFF:
            start = self.day(p.started_days_ago)
            self.start[p.key] = start
            self.names[p.key] = p.name
            if p.left_days_ago is not None:
                self.left[p.key] = self.day(p.left_days_ago)
            worker = Worker(
                id="",
                name=p.name,
                role=p.role,
                team=p.team,
                start_date=start,
                employment_start=self._employed(start, p.employment),
                employment=p.employment,
                profession=p.profession,
                staff_id=f"KL{1001 + len(self.ids):04d}",
                qualified_clinical=p.qualified,
                requires=frozenset(p.requires),
                left_on=self.left.get(p.key),
            )
            self.ids[p.key] = insert_worker(self.db, worker).id
        # Supervisors point at each other (the psychologist supervises the lead who supervises
        # her), so they are set once everyone exists.
        for p in _STAFF:
            worker = Worker(
                id=self.ids[p.key],
                name=p.name,
                role=p.role,
                team=p.team,
                start_date=self.start[p.key],
                employment_start=self._employed(self.start[p.key], p.employment),
                employment=p.employment,
                profession=p.profession,
                staff_id=f"KL{1001 + _STAFF.index(p):04d}",
                line_supervisor_id=self.ids[p.line_sup] if p.line_sup else None,
                clinical_supervisor_id=self.ids[p.clin_sup] if p.clin_sup else None,
                qualified_clinical=p.qualified,
                requires=frozenset(p.requires),
                left_on=self.left.get(p.key),
            )
            update_worker(self.db, worker)
            for days_ago, (c, d, s, v), rationale in p.assessments:
                factors = RiskFactors(c, d, s, v)
                tier, _why = tier_for(factors, self.policy)
                assessor = self.names.get(p.line_sup or "", "Service manager")
                add_assessment(
                    self.db, self.ids[p.key], self.day(days_ago), factors, tier,
                    assessed_by=assessor, rationale=rationale,
                )  # fmt: skip

    def add_adjustments(self) -> None:
        leave = (
            ("rosa", 12, None, LeaveKind.SICKNESS, "Off sick (fit note to end of the month)."),
            ("callum", 230, 50, LeaveKind.PARENTAL, "Shared parental leave."),
            ("priya", 150, 136, LeaveKind.SICKNESS, "Two weeks' sickness; returned to work."),
        )
        for key, from_ago, to_ago, kind, note in leave:
            start = self.day(from_ago)
            end = None if to_ago is None else self.day(to_ago)
            self.leave.setdefault(key, []).append((start, end))
            add_leave(self.db, self.ids[key], start, end, kind, note)
        add_override(
            self.db, self.ids["mei"], LINE, 21,
            "Covering a vacant post's caseload: three-weekly line management agreed with the "
            "service manager until the post is filled.",
            expires_on=self.day(-42), starts_on=self.day(30),
        )  # fmt: skip
        add_trigger(
            self.db, self.ids["zoe"], TriggerKind.SAFEGUARDING, self.day(3), CLINICAL, 7,
            f"Concern about the safety of the children of {self.case()} after a home visit; "
            "a referral was made to children's services.",
        )  # fmt: skip
        add_trigger(
            self.db, self.ids["ben"], TriggerKind.INCIDENT, self.day(121), CLINICAL, 7,
            f"Serious incident: {self.case()} seriously self-harmed during home treatment.",
        )  # fmt: skip
        add_trigger(
            self.db, self.ids["callum"], TriggerKind.RETURN_FROM_LEAVE, self.day(49), LINE, 14,
            "Back from shared parental leave.",
        )  # fmt: skip

    def case(self) -> str:
        """A pseudonymous case reference (never a name)."""
        if not self.case_numbers:
            self.case_numbers = self.rng.sample(range(1001, 1999), 600)
        return f"C-{self.case_numbers[self.rng.randrange(len(self.case_numbers))]}"

    # -- one-to-one sessions --------------------------------------------------------------------

    def interval(self, p: _Person, type_: TypeKey) -> int:
        """The interval the engine will use today (tier, override, new-starter cap)."""
        latest = max(p.assessments, default=None, key=lambda a: -a[0])
        if latest is None:
            tier_name = "standard"
        else:
            tier_name = tier_for(RiskFactors(*latest[1]), self.policy)[0].value
        days = self.policy.interval(type_, Tier(tier_name))
        if p.key == "mei" and type_ == LINE:
            days = 21
        cap = self.policy.cap_for(type_, p.started_days_ago)
        return min(days, cap[1]) if cap else days

    def held_dates(self, p: _Person, type_: TypeKey, target: str) -> list[date]:
        interval = self.interval(p, type_)
        end = self.left.get(p.key, self.today)
        first = max(self.start[p.key], self.day(HISTORY_DAYS))
        window = self.policy.due_soon_window(interval)
        if target == ON:
            last = end - timedelta(days=max(1, round(interval * self.rng.uniform(0.1, 0.45))))
        elif target == SOON:
            last = end - timedelta(days=interval - self.rng.randint(3, max(3, window)))
        elif target == "trigger":
            last = end - timedelta(days=16)
        else:
            last = end - timedelta(days=interval + int(target.split(":")[1]))
        last = self.workday_before(p.key, last)
        dates = [last]
        current = last
        while True:
            current -= timedelta(days=round(interval * self.rng.uniform(0.8, 1.0)))
            current = self.workday_before(p.key, current)
            if current < first:
                break
            dates.append(current)
        fixed = {
            ("ben", CLINICAL): [self.day(119)],  # closes the serious-incident trigger
            ("callum", LINE): [self.day(45)],  # return-to-work supervision
        }.get((p.key, type_), [])
        for day in fixed:
            dates = [d for d in dates if abs((d - day).days) > 5] + [self.workday_before(None, day)]
        dates.sort()
        # A newcomer's first supervision comes soon after starting.
        start = self.start[p.key]
        first_window = self.policy.first_window(type_)
        if start >= first and dates and (dates[0] - start).days > first_window:
            dates.insert(0, self.workday_after(start + timedelta(days=min(3, first_window))))
        return [d for d in dates if d >= start]

    def supervisor(self, p: _Person, type_: TypeKey) -> str | None:
        key = p.line_sup if type_ == LINE else p.clin_sup
        return self.ids[key] if key else None

    def new_record(
        self, type_: TypeKey, status: SessionStatus, on: date, supervisor: str | None,
        team: str, worker: str | None = None,
    ) -> SessionRecord:  # fmt: skip
        mode = self.rng.choices(list(Mode), weights=(65, 25, 10))[0]
        return SessionRecord(
            type=type_,
            status=status,
            session_date=on,
            worker_id=worker,
            supervisor_id=supervisor,
            start_time=self.rng.choice(_START_TIMES),
            duration_minutes=90 if type_ == GROUP else self.rng.choice((45, 60, 60, 60, 90)),
            mode=Mode.IN_PERSON if type_ == GROUP else mode,
            location=BASE[team] if type_ == GROUP or mode is Mode.IN_PERSON else "",
        )

    def cancel_reason(self) -> str:
        reasons = [r for r, _ in CANCEL_REASONS]
        return self.rng.choices(reasons, weights=[w for _, w in CANCEL_REASONS])[0]

    def add_one_to_one(self, p: _Person, type_: TypeKey, target: str) -> None:
        if type_ not in p.requires or target == NONE:
            return
        supervisor = self.supervisor(p, type_)
        worker = self.ids[p.key]
        dates = self.held_dates(p, type_, target)
        previous = self.start[p.key]
        for on in dates:
            roll = self.rng.random()
            earlier = self.workday_before(p.key, on - timedelta(days=self.rng.randint(2, 8)))
            if roll < 0.14 and earlier > previous:
                # The planned date fell through and the session was rebooked for ``on``.
                if roll < 0.02:
                    status, reason = SessionStatus.DID_NOT_ATTEND, ""
                else:
                    status, reason = SessionStatus.CANCELLED, self.cancel_reason()
                rec = self.new_record(type_, status, earlier, supervisor, p.team, worker)
                rec.cancel_reason = reason
                self.slots.append(_Slot(rec, p.key, team=p.team))
            rec = self.new_record(type_, SessionStatus.HELD, on, supervisor, p.team, worker)
            self.slots.append(_Slot(rec, p.key, team=p.team))
            previous = on
        if p.key in self.left or not dates:
            return
        interval = self.interval(p, type_)
        due = dates[-1] + timedelta(days=interval)
        if target.startswith("over"):
            # Supervision crowded out: the sessions meant to happen were cancelled.
            tries = 2 if int(target.split(":")[1]) >= 10 else 1
            day = due - timedelta(days=2)
            for _ in range(tries):
                day = self.workday_before(p.key, day)
                if day >= self.today or day <= dates[-1]:
                    break
                rec = self.new_record(type_, SessionStatus.CANCELLED, day, supervisor, p.team,
                                      worker)  # fmt: skip
                rec.cancel_reason = WORKLOAD_REASON
                self.slots.append(_Slot(rec, p.key, team=p.team))
                day += timedelta(days=self.rng.randint(5, 9))
            if self.rng.random() < 0.6:
                on = self.workday_after(self.today + timedelta(days=self.rng.randint(2, 9)))
                rec = self.new_record(type_, SessionStatus.PLANNED, on, supervisor, p.team, worker)
                self.slots.append(_Slot(rec, p.key, team=p.team))
        elif self.on_leave(p.key, self.today) is None:
            # Booked ahead: the next session on or a little before its due date.
            on = self.workday_before(None, due - timedelta(days=self.rng.randint(0, 3)))
            if target == "trigger":
                on = self.workday_after(self.today + timedelta(days=2))
            if on <= self.today:
                on = self.workday_after(self.today + timedelta(days=1))
            if (on - self.today).days <= 42:
                rec = self.new_record(type_, SessionStatus.PLANNED, on, supervisor, p.team, worker)
                self.slots.append(_Slot(rec, p.key, team=p.team))

    # -- groups ---------------------------------------------------------------------------------

    def add_groups(self) -> None:
        facilitator = self.ids[_GROUP_FACILITATOR]
        for team in TEAMS:
            members = [p for p in _STAFF if p.team == team and GROUP in p.requires]
            period = _GROUP_PERIOD[team]
            latest = self.workday_before(None, self.day(_GROUP_LAST[team]))
            on = latest
            index = 0
            while on >= self.day(HISTORY_DAYS):
                attendees = []
                for p in members:
                    if not self.start[p.key] <= on < self.left.get(p.key, date.max):
                        continue
                    if self.on_leave(p.key, on) is not None:
                        continue
                    if index < 2:
                        absent = p.key == "olivia"  # drifting out of the team's reflective space
                    else:
                        absent = self.rng.random() < (0.4 if p.key == "marcus" else 0.12)
                    if not absent:
                        attendees.append(self.ids[p.key])
                status = SessionStatus.HELD
                if index >= 2 and self.rng.random() < 0.08:
                    status = SessionStatus.CANCELLED
                rec = self.new_record(GROUP, status, on, facilitator, team)
                rec.attendees = attendees
                if status is SessionStatus.CANCELLED:
                    rec.cancel_reason = WORKLOAD_REASON
                if len(attendees) >= 2:
                    self.slots.append(_Slot(rec, None, team=team))
                on -= timedelta(days=period)
                index += 1
            nxt = latest + timedelta(days=period)
            while nxt <= self.today:
                nxt += timedelta(days=period)
            rec = self.new_record(GROUP, SessionStatus.PLANNED, nxt, facilitator, team)
            rec.attendees = [
                self.ids[p.key]
                for p in members
                if p.key not in self.left and self.on_leave(p.key, nxt) is None
            ]
            self.slots.append(_Slot(rec, None, team=team))

    # -- content --------------------------------------------------------------------------------

    def choose_content(self) -> None:
        held = [s for s in self.slots if s.rec.status is SessionStatus.HELD]
        held.sort(key=lambda s: s.rec.session_date)
        for slot in held:
            if slot.rec.type == GROUP:
                slot.template = self.rng.choice(_GROUP_TEMPLATES)
                continue
            bank = _LINE_TEMPLATES if slot.rec.type == LINE else _CLINICAL_TEMPLATES
            slot.template = self.rng.choice(bank)
            if self.rng.random() < 0.3:
                other = self.rng.choice(bank)
                if other is not slot.template:
                    slot.extra_template = other
        # The recurring theme: the latest session of each of these workers in the last
        # eight weeks (two for the worker it weighs on most), one crisis-team group, and one
        # earlier mention to show it is not new.
        window_start = self.day(50)
        crisis = list(_CRISIS_TEMPLATES)
        for key in _TREND_KEYS:
            mine = [s for s in held if s.person == key and s.rec.session_date >= window_start]
            mine.sort(key=lambda s: (s.rec.type == CLINICAL, s.rec.session_date), reverse=True)
            for slot in mine[: 2 if key == "ben" else 1]:
                slot.template = crisis[self.rng.randrange(len(crisis))]
                slot.extra_template = None
        groups = [
            s for s in held if s.rec.type == GROUP and s.team == CRISIS
            and s.rec.session_date >= window_start
        ]  # fmt: skip
        if groups:
            groups[0].template = _GROUP_CRISIS
        older = [
            s for s in held if s.person == "ellie" and self.day(220) <= s.rec.session_date
            <= self.day(160)
        ]  # fmt: skip
        if older:
            older[0].template = _CRISIS_TEMPLATES[0]
        # Ben's wellbeing falls over his last three sessions, with moral distress twice.
        bens = [s for s in held if s.person == "ben"][-3:]
        for slot, score, distress in zip(bens, (6, 5, 4), (False, True, True), strict=False):
            slot.wellbeing, slot.distress = score, distress

    def fill(self, slot: _Slot, person: _Person | None) -> None:
        rec = slot.rec
        rng = self.rng
        templates = [t for t in (slot.template, slot.extra_template) if t is not None]
        refs: list[str] = []
        issues: list[str] = []
        discussion: list[str] = []
        for t in templates:
            values = {
                "c1": self.case(),
                "c2": self.case(),
                "n": str(rng.randint(29, 34)),
                "n2": str(rng.randint(6, 12)),
                "k": str(rng.randint(4, 11)),
                "h": str(rng.randint(5, 11)),
            }
            for key in ("c1", "c2"):
                marker = "{" + key + "}"
                if marker in t.issues + t.case_discussion + repr(t.decisions) + repr(t.actions):
                    refs.append(values[key])
            issues.append(t.issues.format(**values))
            if t.case_discussion:
                discussion.append(t.case_discussion.format(**values))
            for text, why in t.decisions:
                rec.decisions.append(Decision(text.format(**values), why.format(**values)))
            for desc, owner, days, evidence in t.actions:
                rec.actions.append(
                    Action(
                        description=desc.format(**values),
                        owner=owner,
                        owner_name=self._owner_name(owner, rec),
                        due_date=rec.session_date + timedelta(days=days + rng.randint(0, 4)),
                        review_date=rec.session_date + timedelta(days=max(7, days // 2)),
                        evidence=evidence,
                        # A group's action is for one attendee (as the form asks), never the
                        # facilitator's: theirs piled up, and their own records then reviewed
                        # the group's repeated actions as rows that looked the same.
                        worker_id=rec.worker_id
                        or (rng.choice(self._by_name(rec.attendees)) if rec.attendees else "")
                        or rec.supervisor_id
                        or "",
                    )
                )
            # Themes are tagged when they stand out, not on every record that touches them:
            # otherwise every theme would look like a trend.
            tag_chance = 1.0 if TREND_THEME in t.themes else _TAG_CHANCE[rec.type]
            for theme in t.themes:
                if rng.random() < tag_chance and self.theme_ids[theme] not in rec.theme_ids:
                    rec.theme_ids.append(self.theme_ids[theme])
        rec.issues = "\n".join(issues)
        rec.case_discussion = "\n".join(discussion)
        rec.case_refs = ", ".join(dict.fromkeys(refs))
        rec.risk_link = any(t.risk for t in templates)
        if any(t.referral for t in templates):
            rec.referral_refs = f"SG-{rec.session_date.year}-{rng.randint(100, 999):04d}"
            rec.safeguarding = True
            rec.safeguarding_notes = (
                f"Concern raised about {refs[0] if refs else 'a person on the caseload'}; "
                f"referral {rec.referral_refs} made the same day and the plan updated."
            )
        else:
            rec.safeguarding = False
        supervisor = next((k for k, v in self.ids.items() if v == rec.supervisor_id), None)
        rec.supervisor_title = next((p.role for p in _STAFF if p.key == supervisor), "")
        if rec.risk_link and refs and rng.random() < 0.35:
            rec.incidents = [Incident(refs[0], rng.choice(_INCIDENT_LEARNING))]
        rec.next_date = rec.session_date + timedelta(days=28)
        rec.next_time = rec.start_time
        rec.next_place = rec.location
        rec.next_focus = rng.choice(_NEXT_FOCUS.get(rec.type, ("",)))
        rec.checklist = {
            key: rng.random() < 0.85 or index == 0
            for index, (key, _label) in enumerate(self.policy.spec(rec.type).agenda)
        }
        if person is not None:
            self._pulse(slot, person, any(t.distress for t in templates))

    def _pulse(self, slot: _Slot, person: _Person, distressed: bool) -> None:
        """The one-to-one wellbeing pulse, around the person's usual level."""
        rec = slot.rec
        rng = self.rng
        score = slot.wellbeing
        if score is None:
            score = person.wellbeing + rng.choice((-1, 0, 0, 0, 1))
            if distressed:
                score -= 2
        rec.wellbeing = max(1, min(10, score))
        rec.moral_distress = slot.distress if slot.distress is not None else distressed
        workloads = list(Workload)
        base = workloads.index(person.workload)
        rec.workload = workloads[max(0, min(2, base + rng.choice((-1, 0, 0, 0, 1))))]
        if rec.wellbeing <= 5 or rec.moral_distress:
            rec.support_offered = rng.choice(_SUPPORT_OFFERED)
            rec.wellbeing_concerns = rng.choice(_CONCERNS)
            rec.support_kinds = sorted(
                rng.sample(list(SupportKind), rng.choice((1, 1, 2))), key=list(SupportKind).index
            )
        if rec.workload is not Workload.MANAGEABLE:
            rec.workload_support = rng.choice(_WORKLOAD_SUPPORT)
        sick = rng.random() < 0.08
        rec.sickness_days = rng.randint(1, 6) if sick else 0
        rec.return_to_work = True if sick else None
        rec.staff_comments = rng.choice(_STAFF_COMMENTS)
        rec.escalation = Escalation.NONE
        if rec.moral_distress and rng.random() < 0.3:
            rec.escalation = Escalation.OCCUPATIONAL_HEALTH
            rec.escalation_notes = "Referral to occupational health agreed and sent."
        elif rec.workload is Workload.EXCESSIVE and rng.random() < 0.2:
            rec.escalation = Escalation.SENIOR_MANAGEMENT
            rec.escalation_notes = "Caseload above the team's cap raised with the service manager."
        if rng.random() < 0.05:
            rec.confidential_notes = rng.choice(_CONFIDENTIAL)

    def _by_name(self, worker_ids: list[str]) -> list[str]:
        """Worker ids in the order of their names (ids are new on every run; names are not)."""
        named = {v: self.names[k] for k, v in self.ids.items()}
        return sorted(worker_ids, key=lambda i: named.get(i, i))

    def _owner_name(self, owner: ActionOwner, rec: SessionRecord) -> str:
        key = rec.worker_id if owner is ActionOwner.SUPERVISEE else rec.supervisor_id
        if owner is ActionOwner.OTHER or key is None:
            return ""
        return self.names[next(k for k, v in self.ids.items() if v == key)]

    # -- storing --------------------------------------------------------------------------------

    def store(self) -> None:
        by_key = {p.key: p for p in _STAFF}
        order = {LINE: 0, CLINICAL: 1, GROUP: 2}
        self.slots.sort(key=lambda s: (s.rec.session_date, s.rec.start_time or "", order[s.rec.type],
                                       s.person or s.team))  # fmt: skip
        open_actions: dict[str, list[Action]] = defaultdict(list)
        last_held: dict[str, date] = {}
        for key in self.left:
            held = [s.rec.session_date for s in self.slots
                    if s.person == key and s.rec.status is SessionStatus.HELD]  # fmt: skip
            if held:
                last_held[key] = max(held)
        for slot in self.slots:
            rec = slot.rec
            rec.id = new_id()
            if rec.status is SessionStatus.HELD:
                person = by_key[slot.person] if slot.person else None
                self.fill(slot, person)
                if rec.worker_id:
                    owner = rec.worker_id
                    leaving = slot.person in last_held and last_held[slot.person] == (
                        rec.session_date
                    )
                    rec.reviews = self._review(open_actions[owner], rec.session_date, leaving)
                    if leaving:
                        rec.actions = []
                        rec.issues += "\nLast supervision before leaving: caseload handover."
            for decision in rec.decisions:
                decision.id = new_id()
            # An action agreed again while the same one is still open is the same action:
            # it is carried forward, not added a second time.
            rec.actions = [
                a for a in rec.actions
                if all(o.description != a.description for o in open_actions[a.worker_id])
            ]  # fmt: skip
            for action in rec.actions:
                action.id, action.session_id = new_id(), rec.id
                open_actions[action.worker_id].append(action)
        _write_sessions(self.db, [slot.rec for slot in self.slots])

    def evidence_plan(self) -> EvidencePlan:
        """What the demo's evidence is made from: the held records, their people and gaps."""
        names = {self.ids[key]: name for key, name in self.names.items()}
        qualified = {self.ids[p.key]: p.qualified for p in _STAFF}
        held = []
        for slot in self.slots:
            rec = slot.rec
            if rec.status is not SessionStatus.HELD:
                continue
            gaps = len(
                quality_gaps(
                    rec,
                    DEFAULT_CATALOGUE.spec(rec.type),
                    supervisor_qualified=qualified.get(rec.supervisor_id or ""),
                )
            )
            held.append(HeldRecord(rec.id, rec.session_date, rec.supervisor_id, rec.worker_id,
                                   rec.case_refs, gaps, rec.issues))  # fmt: skip
        return EvidencePlan(self.today, held, names, random.Random(SEED + 1))

    def _review(self, pending: list[Action], on: date, leaving: bool) -> list[ActionReview]:
        reviews = []
        still_open = []
        for action in pending:
            due = action.due_date or on
            roll = self.rng.random()
            if leaving:
                outcome, note = ActionStatus.DROPPED, "Handed over to the team lead on leaving."
            elif due > on + timedelta(days=3):
                outcome, note = ActionStatus.OPEN, "Not yet due; on track."
            elif roll < 0.74:
                outcome, note = (
                    ActionStatus.DONE,
                    self.rng.choice(
                        ("Done; evidence seen.", "Completed and recorded.", "Done as agreed.")
                    ),
                )
            elif roll < 0.93:
                outcome, note = ActionStatus.OPEN, self.rng.choice(
                    ("Not done: caseload pressure; carried forward.",
                     "Started; waiting for a reply.")
                )  # fmt: skip
            else:
                outcome, note = ActionStatus.DROPPED, "No longer needed: the person was discharged."
            progress = None
            if outcome is ActionStatus.OPEN:
                progress = Progress.NOT_STARTED if note.startswith("Not") else Progress.IN_PROGRESS
            reviews.append(ActionReview(action.id, outcome, note, progress))
            # What storing the review does to the action (as save_session would).
            action.status = outcome
            action.completion_note = note or action.completion_note
            action.closed_on = None if outcome is ActionStatus.OPEN else on
            if outcome is ActionStatus.OPEN:
                still_open.append(action)
        pending[:] = still_open
        return reviews


def _write_sessions(db: Database, records: list[SessionRecord]) -> None:
    """Store finished records in bulk: the same rows ``save_session`` writes, in one pass.

    Each record is complete (ids set, actions in their final state after every later review),
    so nothing is written twice. Children go in before their sessions (foreign keys are
    deferred to the commit): any per-row work that triggers do on a session, such as keeping a
    search index, then happens once per session rather than once per child row.
    """
    now = utc_now()
    groups = set(type_kinds(db).groups)
    db.execute("PRAGMA defer_foreign_keys = ON")
    decisions: list[tuple[Any, ...]] = []
    actions: list[tuple[Any, ...]] = []
    reviews: list[tuple[str | None, ...]] = []
    attendees: list[tuple[str, str]] = []
    themes: list[tuple[str, str]] = []
    sessions: list[tuple[Any, ...]] = []
    columns: list[str] = []
    for rec in records:
        for pos, dec in enumerate(rec.decisions):
            decisions.append((dec.id, rec.id, pos, dec.text, dec.rationale))
        for pos, act in enumerate(rec.actions):
            actions.append(
                (act.id, rec.id, act.worker_id, act.description,
                 act.owner.value if act.owner else None, act.owner_name, iso(act.due_date),
                 act.evidence, act.status.value, act.completion_note, iso(act.closed_on), pos,
                 iso(act.review_date), now, now)
            )  # fmt: skip
        reviews.extend(
            (new_id(), r.action_id, rec.id, r.outcome.value, r.note,
             r.progress.value if r.progress else None, now)
            for r in rec.reviews
        )  # fmt: skip
        attendees.extend((rec.id, w) for w in dict.fromkeys(rec.attendees))
        themes.extend((rec.id, t) for t in dict.fromkeys(rec.theme_ids))
        values = session_values(rec, rec.type not in groups)
        columns = list(values)
        sessions.append((rec.id, *values.values(), now, now))
    conn = db.conn
    conn.executemany(
        "INSERT INTO decisions (id, session_id, position, text, rationale) VALUES (?, ?, ?, ?, ?)",
        decisions,
    )
    conn.executemany(
        "INSERT INTO actions (id, session_id, worker_id, description, owner, owner_name, "
        "due_date, evidence, status, completion_note, closed_on, position, review_date, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        actions,
    )
    conn.executemany(
        "INSERT INTO action_reviews (id, action_id, session_id, outcome, note, progress, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        reviews,
    )
    conn.executemany(
        "INSERT INTO session_attendees (session_id, worker_id) VALUES (?, ?)", attendees
    )
    conn.executemany("INSERT INTO session_themes (session_id, theme_id) VALUES (?, ?)", themes)
    names = ", ".join(["id", *columns, "created_at", "updated_at"])
    marks = ", ".join("?" for _ in range(len(columns) + 3))
    conn.executemany(f"INSERT INTO sessions ({names}) VALUES ({marks})", sessions)


def load_demo(db: Database, *, today: date) -> str:
    """Fill an empty database with the demo service; return a one-line summary.

    Raises ``UsageError`` (and changes nothing) when the database already holds workers.
    """
    existing = count_workers(db)
    if existing:
        raise UsageError(
            f"The demo was not loaded because this database already holds {existing} "
            f"worker{'s' if existing != 1 else ''}: the demo only goes into an empty database, "
            "so choose a new file with --db."
        )
    builder = _Builder(db, today, current_policy(db), random.Random(SEED))
    with transaction(db, "load the demo data"):
        builder.theme_ids = {
            name: tid for tid, name in db.execute("SELECT id, name FROM themes").fetchall()
        }
        builder.add_people()
        builder.add_adjustments()
        for p in _STAFF:
            builder.add_one_to_one(p, LINE, p.line)
            builder.add_one_to_one(p, CLINICAL, p.clinical)
        builder.add_groups()
        builder.choose_content()
        builder.store()
        add_demo_evidence(db, builder.evidence_plan())
        add_demo_governance(db, today)
        add_demo_qa(db, today)
    return _summary(db)


def _summary(db: Database) -> str:
    def one(sql: str) -> int:
        return int(db.execute(sql).fetchone()[0])

    statuses = dict(db.execute("SELECT status, count(*) FROM sessions GROUP BY status").fetchall())
    open_actions = one("SELECT count(*) FROM actions WHERE status = 'open'")
    return (
        f"Loaded the demo service: {one('SELECT count(*) FROM workers')} workers in "
        f"{one('SELECT count(DISTINCT team) FROM workers')} teams, "
        f"{sum(statuses.values())} sessions ({statuses.get('held', 0)} held, "
        f"{statuses.get('cancelled', 0)} cancelled, {statuses.get('dna', 0)} did not attend, "
        f"{statuses.get('planned', 0)} planned), "
        f"{one('SELECT count(*) FROM actions')} actions "
        f"({open_actions} open), "
        f"{one('SELECT count(*) FROM leave_periods')} leave periods, "
        f"{one('SELECT count(*) FROM trigger_events')} trigger events; "
        f"{one('SELECT count(*) FROM sessions WHERE signed_at IS NOT NULL')} signed records "
        f"({one(_RESPONDED.format('acknowledged'))} acknowledged, "
        f"{one(_RESPONDED.format('disagreed'))} disagreed with), "
        f"{one('SELECT count(*) FROM addenda')} addenda."
    )


_RESPONDED = "SELECT count(*) FROM sessions WHERE supervisee_response = '{}'"


class DemoService(BoundService):
    """The demo data, for an empty database. (The open database given: see ``app.services.bound``.)"""

    load_demo = bound(load_demo)
