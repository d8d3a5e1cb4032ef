"""Staff import from a spreadsheet tracker (issue 2, point 5): the contract, row by row."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.domain.catalogue import BUILTIN_KEYS, CLINICAL, GROUP, LINE
from app.domain.model import DueStatus, Employment, Tier
from app.domain.policy import Policy
from app.services.importing import (
    ImportCancelled,
    ImportFailed,
    ImportResult,
    import_staff,
    preview_staff,
)
from app.services.scheduling import compute_schedule
from app.storage.db import Database, transaction
from app.storage.policies import save_policy
from app.storage.workers import assessments_for, find_by_staff_id, list_workers

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "samples" / "staff-example.csv"

HEADER = (
    "staff_id,name,role,team,start_date,employment,cohort_risk,decision_complexity,"
    "support_need,volatility,assessed_on,requires,last_line,last_clinical,last_group"
)
GOOD_ROWS = [
    "S1,Sam Lee,Support Worker,North,2024-03-01,permanent,2,2,2,2,2026-10-01,,"
    "2026-11-01,2026-11-10,2026-11-05",
    "S2,Ana Silva,Nurse,North,01/02/2020,bank,3,3,1,1,15/10/2026,line;clinical,"
    "20/10/2026,12/11/2026,",
    "S3,Joe Bloggs,Team Lead,South,2018-06-30,,,,,,,,,,",
]
TABLES = ("workers", "risk_assessments", "sessions", "session_attendees")


def write_csv(
    folder: Path, lines: list[str], *, name: str = "staff.csv", encoding: str = "utf-8"
) -> Path:
    path = folder / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def good_file(folder: Path, name: str = "staff.csv") -> Path:
    return write_csv(folder, [HEADER, *GOOD_ROWS], name=name)


def counts(db: Database) -> dict[str, int]:
    return {t: int(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in TABLES}


def dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables an import writes, in a stable order."""
    return {t: db.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in TABLES}


def problems_of(db: Database, path: Path, today: date) -> list[str]:
    with pytest.raises(ImportFailed) as failed:
        import_staff(db, path, today=today)
    return failed.value.problems


# --------------------------------------------------------------------------------------------
# Good files


def test_good_file_creates_workers_assessments_and_imported_sessions(
    db: Database, tmp_path: Path, today: date
) -> None:
    result = import_staff(db, good_file(tmp_path), today=today)

    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    assert (result.assessments_added, result.sessions_added) == (2, 5)
    assert result.warnings == []
    assert result.summary() == (
        "Imported 3 workers (3 new), 2 risk assessments and 5 past sessions."
    )
    assert counts(db) == {
        "workers": 3,
        "risk_assessments": 2,
        "sessions": 5,
        "session_attendees": 1,
    }

    sam = find_by_staff_id(db, "S1")
    assert sam is not None
    assert (sam.name, sam.role, sam.team) == ("Sam Lee", "Support Worker", "North")
    assert sam.start_date == date(2024, 3, 1)
    assert sam.employment is Employment.PERMANENT
    assert sam.requires == frozenset(BUILTIN_KEYS)
    [assessment] = assessments_for(db, sam.id)
    assert assessment.assessed_on == date(2026, 10, 1)
    assert assessment.factors.as_dict() == {
        "cohort_risk": 2,
        "decision_complexity": 2,
        "support_need": 2,
        "volatility": 2,
    }
    assert assessment.tier is Tier.STANDARD
    assert (assessment.source, assessment.assessed_by) == ("import", "import")

    sessions = db.execute(
        "SELECT type, status, session_date, imported, worker_id FROM sessions "
        "WHERE worker_id = ? OR id IN (SELECT session_id FROM session_attendees "
        "WHERE worker_id = ?) ORDER BY type",
        [sam.id, sam.id],
    ).fetchall()
    assert sessions == [
        ("clinical", "held", "2026-11-10", 1, sam.id),
        ("group", "held", "2026-11-05", 1, None),
        ("line", "held", "2026-11-01", 1, sam.id),
    ]
    attendees = db.execute("SELECT worker_id FROM session_attendees").fetchall()
    assert attendees == [(sam.id,)]

    ana = find_by_staff_id(db, "S2")
    assert ana is not None
    assert ana.employment is Employment.BANK
    assert ana.start_date == date(2020, 2, 1)
    assert ana.requires == frozenset({LINE, CLINICAL})
    [ana_assessment] = assessments_for(db, ana.id)
    assert ana_assessment.tier is Tier.HIGH  # two factors at 3

    joe = find_by_staff_id(db, "S3")
    assert joe is not None
    assert assessments_for(db, joe.id) == []


def test_bom_file_reads_first_heading(db: Database, tmp_path: Path, today: date) -> None:
    path = write_csv(tmp_path, [HEADER, *GOOD_ROWS], encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")

    result = import_staff(db, path, today=today)

    assert result.created == 3
    assert result.warnings == []  # the BOM did not turn "staff_id" into an unknown column
    assert find_by_staff_id(db, "S1") is not None


def test_uk_dates(db: Database, tmp_path: Path, today: date) -> None:
    path = write_csv(
        tmp_path,
        [
            "staff_id,name,start_date,cohort_risk,decision_complexity,support_need,volatility,"
            "assessed_on,last_line",
            "U1,Uma Khan,3/4/2021,1,1,1,1,02/11/2026,9/11/2026",
        ],
    )
    import_staff(db, path, today=today)

    uma = find_by_staff_id(db, "U1")
    assert uma is not None
    assert uma.start_date == date(2021, 4, 3)  # day first, the UK way
    [assessment] = assessments_for(db, uma.id)
    assert assessment.assessed_on == date(2026, 11, 2)
    assert db.execute("SELECT session_date FROM sessions").fetchall() == [("2026-11-09",)]


def test_headings_ignore_case_spaces_and_column_order(
    db: Database, tmp_path: Path, today: date
) -> None:
    path = write_csv(
        tmp_path,
        [
            "  TEAM , Name ,Staff ID,  EMPLOYMENT ,Last Clinical",
            "East,Rita Patel,R1,Agency,2026-11-20",
        ],
    )
    result = import_staff(db, path, today=today)

    assert result.warnings == []
    rita = find_by_staff_id(db, "R1")
    assert rita is not None
    assert (rita.name, rita.team, rita.employment) == ("Rita Patel", "East", Employment.AGENCY)
    assert counts(db)["sessions"] == 1


def test_factor_words_requires_spacing_and_empty_rows(
    db: Database, tmp_path: Path, today: date
) -> None:
    path = write_csv(
        tmp_path,
        [
            "name,cohort_risk,decision_complexity,support_need,volatility,requires",
            ",,,,,",
            "Kim Ng,High,medium,LOW,3, Clinical ; GROUP ",
            "",
            ",,,,,",
        ],
    )
    preview = preview_staff(path, today=today)
    assert preview.problems == []
    [row] = preview.rows
    assert row.line == 3  # the empty spreadsheet row above still counts as a line
    assert row.factors is not None
    assert row.factors.as_dict() == {
        "cohort_risk": 3,
        "decision_complexity": 2,
        "support_need": 1,
        "volatility": 3,
    }
    assert row.assessed_on == today  # assessed_on defaults to today
    assert row.requires == frozenset({CLINICAL, GROUP})

    result = import_staff(db, path, today=today)
    assert result.created == 1
    [kim] = list_workers(db)
    assert assessments_for(db, kim.id)[0].assessed_on == today


def test_semicolon_separated_file(db: Database, tmp_path: Path, today: date) -> None:
    path = write_csv(tmp_path, ["name;team;requires", 'Lea Roux;West;"line;clinical"'])
    import_staff(db, path, today=today)
    [lea] = list_workers(db)
    assert (lea.name, lea.team) == ("Lea Roux", "West")
    assert lea.requires == frozenset({LINE, CLINICAL})


def test_utf16_unicode_text_from_excel(db: Database, tmp_path: Path, today: date) -> None:
    path = tmp_path / "unicode.txt"
    path.write_bytes("name\tteam\r\nZoë Ålund\tNorth\r\n".encode("utf-16"))
    import_staff(db, path, today=today)
    assert [w.name for w in list_workers(db)] == ["Zoë Ålund"]


def test_tier_comes_from_the_policy_in_force(db: Database, tmp_path: Path, today: date) -> None:
    with transaction(db):
        save_policy(db, Policy(high_min_total=8), effective_from=today)
    import_staff(db, good_file(tmp_path), today=today)
    sam = find_by_staff_id(db, "S1")
    assert sam is not None
    assert assessments_for(db, sam.id)[0].tier is Tier.HIGH  # total 8 is high under this policy


def test_start_date_in_the_future_is_allowed(db: Database, tmp_path: Path, today: date) -> None:
    later = (today + timedelta(days=30)).isoformat()
    import_staff(db, write_csv(tmp_path, ["name,start_date", f"New Starter,{later}"]), today=today)
    [worker] = list_workers(db)
    assert worker.start_date == today + timedelta(days=30)


def test_sample_file_imports_cleanly(db: Database, tmp_path: Path, today: date) -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    assert re.search(r",\d{2}/\d{2}/\d{4},", text), "the sample shows UK dates"
    preview = preview_staff(SAMPLE, today=today)
    assert (preview.problems, preview.warnings) == ([], [])
    assert len(preview.rows) == 10

    result = import_staff(db, SAMPLE, today=today)
    assert result.created == 10
    assert result.assessments_added == 9
    assert result.sessions_added > 20
    statuses = {s.overall for s in (r.status for r in compute_schedule(db, today).rows)}
    assert {DueStatus.OVERDUE, DueStatus.DUE_SOON, DueStatus.ON_TRACK} <= statuses


# --------------------------------------------------------------------------------------------
# Bad rows: exact problem, database unchanged

BAD_ROWS = [
    pytest.param(
        "S9,,Support Worker,North,,,,,,,,,,,",
        ["line 5: name: is empty; every row needs the worker's name"],
        id="missing-name",
    ),
    pytest.param(
        "S9,Bad Date,,North,31/02/2026,,,,,,,,,,",
        ["line 5: start_date: '31/02/2026' is not a real date"],
        id="impossible-date",
    ),
    pytest.param(
        "S9,Bad Date,,North,2026/11/01,,,,,,,,,,",
        ["line 5: start_date: '2026/11/01' is not a date (use YYYY-MM-DD or DD/MM/YYYY)"],
        id="unreadable-date",
    ),
    pytest.param(
        "S9,Bad Date,,North,,,,,,,,,,27/11/2026,",
        [
            "line 5: last_clinical: 27 Nov 2026 is in the future; only sessions already held "
            "can be imported"
        ],
        id="future-session",
    ),
    pytest.param(
        "S9,Bad Date,,North,,,1,1,1,1,2026-12-01,,,,",
        [
            "line 5: assessed_on: 1 Dec 2026 is in the future; a risk assessment cannot be "
            "dated after today"
        ],
        id="future-assessment",
    ),
    pytest.param(
        "S9,Four,,North,,,4,1,1,1,,,,,",
        ["line 5: cohort_risk: '4' is not a risk level; use 1, 2 or 3 (or low, medium, high)"],
        id="factor-4",
    ),
    pytest.param(
        "S9,Three,,North,,,1,2,3,,,,,,",
        [
            "line 5: volatility: is empty, but cohort_risk, decision_complexity, support_need "
            "are filled in; give all four risk factors or none"
        ],
        id="three-of-four",
    ),
    pytest.param(
        "S9,Two,,North,,,1,,3,,,,,,",
        [
            "line 5: decision_complexity: is empty, but cohort_risk, support_need are filled "
            "in; give all four risk factors or none",
            "line 5: volatility: is empty, but cohort_risk, support_need are filled in; give "
            "all four risk factors or none",
        ],
        id="two-of-four",
    ),
    pytest.param(
        "S9,Req,,North,,,,,,,,line;supervision,,,",
        [
            "line 5: requires: 'supervision' is not a supervision type; use line, clinical "
            "and/or group, separated by ';'"
        ],
        id="unknown-type-in-requires",
    ),
    pytest.param(
        "S9,Emp,,North,,contractor,,,,,,,,,",
        [
            "line 5: employment: 'contractor' is not an employment type; use permanent, bank, "
            "agency or student"
        ],
        id="bad-employment",
    ),
    pytest.param(
        "S1,Someone Else,,North,,,,,,,,,,,",
        ["line 5: staff_id: 'S1' is also on line 2; each staff_id must be unique"],
        id="duplicate-staff-id",
    ),
    pytest.param(
        "S9,Short Row,North",
        [
            "line 5: row: has 3 cells but the heading row has 15; check for a missing "
            "separator or a line break inside a field"
        ],
        id="ragged-fewer-cells",
    ),
    pytest.param(
        "S9,Lee, Sam,Support Worker,North,,,,,,,,,,,",
        [
            "line 5: row: has 16 cells but the heading row has 15; a comma inside a field "
            "needs the whole field in double quotes"
        ],
        id="ragged-more-cells",
    ),
    pytest.param(
        'S9,"Two\nLines",,North,,,,,,,,,,,',
        ["line 5: name: contains a line break or another control character; keep it on one line"],
        id="line-break-in-name",
    ),
]


@pytest.mark.parametrize(("bad_row", "expected"), BAD_ROWS)
def test_bad_row_is_reported_exactly_and_nothing_changes(
    db: Database,
    tmp_path: Path,
    today: date,
    bad_row: str,
    expected: list[str],
) -> None:
    import_staff(db, good_file(tmp_path, "first.csv"), today=today)
    before_counts, before = counts(db), dump(db)
    # The good rows again (unchanged) and then, on line 5, the bad one.
    path = write_csv(tmp_path, [HEADER, *GOOD_ROWS, bad_row])

    assert problems_of(db, path, today) == expected

    assert counts(db) == before_counts
    assert dump(db) == before
    preview = preview_staff(path, today=today)
    assert preview.problems == expected
    assert preview.problem_lines == frozenset({5})
    assert [r.line for r in preview.rows] == [2, 3, 4]


def test_every_problem_is_listed_and_an_empty_database_stays_empty(
    db: Database, tmp_path: Path, today: date
) -> None:
    path = write_csv(
        tmp_path,
        [
            HEADER,
            "A1,,,,,,,,,,,,,,",
            "A2,Fine Row,,,,,,,,,,,,,",
            "A3,Many Faults,,,yesterday,freelance,5,1,1,1,,line;lunch,,,2099-01-01",
            "A1,Copy,,,,,,,,,,,,,",
        ],
    )
    assert problems_of(db, path, today) == [
        "line 2: name: is empty; every row needs the worker's name",
        "line 4: start_date: 'yesterday' is not a date (use YYYY-MM-DD or DD/MM/YYYY)",
        "line 4: employment: 'freelance' is not an employment type; use permanent, bank, "
        "agency or student",
        "line 4: cohort_risk: '5' is not a risk level; use 1, 2 or 3 (or low, medium, high)",
        "line 4: requires: 'lunch' is not a supervision type; use line, clinical and/or "
        "group, separated by ';'",
        "line 4: last_group: 1 Jan 2099 is in the future; only sessions already held can be "
        "imported",
    ]
    assert counts(db) == dict.fromkeys(TABLES, 0)


def test_problem_names_the_column_as_the_file_spells_it(
    db: Database, tmp_path: Path, today: date
) -> None:
    path = write_csv(tmp_path, ["Name,Start Date", "Ola Berg,32/01/2026"])
    assert problems_of(db, path, today) == ["line 2: Start Date: '32/01/2026' is not a real date"]


def test_same_name_and_team_twice_without_staff_id(
    db: Database, tmp_path: Path, today: date
) -> None:
    path = write_csv(tmp_path, ["name,team", "Sam Lee,North", "sam lee,NORTH", "Sam Lee,South"])
    assert problems_of(db, path, today) == [
        "line 3: name: 'sam lee' in team 'NORTH' is also on line 2; give each a staff_id, "
        "or remove the repeated row"
    ]
    assert counts(db)["workers"] == 0


def test_missing_risk_factor_column_is_one_heading_problem(
    db: Database, tmp_path: Path, today: date
) -> None:
    path = write_csv(
        tmp_path,
        ["name,cohort_risk,decision_complexity,support_need", "A,1,1,1", "B,2,2,2"],
    )
    assert problems_of(db, path, today) == [
        "line 1: volatility: column missing; the four risk factor columns (cohort_risk, "
        "decision_complexity, support_need, volatility) go together"
    ]


def test_duplicate_known_heading(db: Database, tmp_path: Path, today: date) -> None:
    path = write_csv(tmp_path, ["name,team,Name", "A,North,B"])
    assert problems_of(db, path, today) == [
        "line 1: Name: this column appears twice (columns 1 and 3); keep one"
    ]


# --------------------------------------------------------------------------------------------
# Files that are not a usable table


def test_missing_name_column(db: Database, tmp_path: Path, today: date) -> None:
    path = write_csv(tmp_path, ["staff_id,full name,team", "S1,Sam Lee,North"])
    [problem] = problems_of(db, path, today)
    assert problem.startswith("line 1: name: there is no 'name' column;")
    assert "staff_id, full name, team" in problem


@pytest.mark.parametrize("content", [b"", b"\r\n\r\n", b"\xef\xbb\xbf", b",,,\r\n"])
def test_empty_file(db: Database, tmp_path: Path, today: date, content: bytes) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    [problem] = problems_of(db, path, today)
    assert problem.startswith("line 1: file: the file is empty;")


def test_headings_but_no_rows(db: Database, tmp_path: Path, today: date) -> None:
    path = write_csv(tmp_path, [HEADER, ",,,,,,,,,,,,,,"])
    assert problems_of(db, path, today) == [
        "line 1: file: has column headings but no rows of staff to import"
    ]


def test_not_utf8_suggests_saving_as_csv_utf8(db: Database, tmp_path: Path, today: date) -> None:
    path = write_csv(tmp_path, ["name,team", "Ann Bell,North", "Siobhán Ní Bhriain,North"],
                     encoding="cp1252")  # fmt: skip
    [problem] = problems_of(db, path, today)
    assert problem.startswith("line 3: file: is not UTF-8 text (byte 0xE1 cannot be read)")
    assert "CSV UTF-8" in problem
    assert counts(db)["workers"] == 0


def test_nul_byte_is_a_problem_not_a_traceback(db: Database, tmp_path: Path, today: date) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes(b"name,team\r\nAnn,North\r\nB\x00b,South\r\n")
    [problem] = problems_of(db, path, today)
    assert problem.startswith("line 3: file: contains a NUL character")


def test_unclosed_quote(db: Database, tmp_path: Path, today: date) -> None:
    path = write_csv(tmp_path, ["name,team", "Ann,North", '"Bob,South', "Cat,East"])
    problems = problems_of(db, path, today)
    assert problems[-1].startswith('line 3: file: a double quote (") opens a field')
    assert counts(db)["workers"] == 0


def test_excel_workbook_instead_of_csv(db: Database, tmp_path: Path, today: date) -> None:
    path = tmp_path / "staff.xlsx"
    path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)))
    [problem] = problems_of(db, path, today)
    assert problem.startswith("line 1: file: this is an Excel workbook, not a CSV file")


def test_missing_file_is_a_usage_error_not_import_failed(
    db: Database, tmp_path: Path, today: date
) -> None:
    from app.errors import UsageError

    with pytest.raises(UsageError, match="Could not read") as raised:
        import_staff(db, tmp_path / "nope.csv", today=today)
    assert not isinstance(raised.value, ImportFailed)


# --------------------------------------------------------------------------------------------
# Re-imports


def test_importing_the_same_file_twice_changes_nothing(
    db: Database, tmp_path: Path, today: date
) -> None:
    path = good_file(tmp_path)
    import_staff(db, path, today=today)
    before = dump(db)

    again = import_staff(db, path, today=today)

    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert (again.assessments_added, again.sessions_added) == (0, 0)
    assert (
        again.summary()
        == "Nothing new to import: all 3 workers in the file are already up to date."
    )
    assert dump(db) == before  # not even an updated_at moved


def test_rows_without_staff_id_match_by_name_and_team(
    db: Database, tmp_path: Path, today: date
) -> None:
    first = write_csv(
        tmp_path,
        ["name,team,cohort_risk,decision_complexity,support_need,volatility,assessed_on,last_line",
         "Sam Lee,North,1,1,1,1,2026-11-01,2026-11-02",
         "Sam Lee,South,,,,,,"],
        name="first.csv",
    )  # fmt: skip
    import_staff(db, first, today=today)
    before = dump(db)
    import_staff(db, first, today=today)
    assert dump(db) == before

    second = write_csv(
        tmp_path,
        ["name,team,cohort_risk,decision_complexity,support_need,volatility,assessed_on,last_line",
         "SAM  LEE, north ,1,1,1,1,2026-11-01,2026-11-02"],
        name="second.csv",
    )  # fmt: skip
    result = import_staff(db, second, today=today)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    assert (result.assessments_added, result.sessions_added) == (0, 0)
    assert counts(db)["workers"] == 2
    assert sorted(w.name for w in list_workers(db)) == ["SAM  LEE", "Sam Lee"]


def test_reimport_with_staff_id_updates_that_worker(
    db: Database, tmp_path: Path, today: date
) -> None:
    import_staff(db, good_file(tmp_path, "first.csv"), today=today)
    sam_before = find_by_staff_id(db, "S1")
    ana_row_before = db.execute("SELECT * FROM workers WHERE staff_id = 'S2'").fetchall()
    changed = [
        "S1,Samuel Lee,Senior Support Worker,South,2024-03-02,agency,2,2,2,2,2026-10-01,"
        "line;clinical,2026-11-01,2026-11-10,2026-11-05",
        GOOD_ROWS[1],
        # Blank cells keep what Keel holds: Joe's role, team and start date stay.
        "S3,Joe Bloggs,,,,,1,1,1,1,2026-11-20,,,,",
    ]
    path = write_csv(tmp_path, [HEADER, *changed])

    result = import_staff(db, path, today=today)

    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    assert (result.assessments_added, result.sessions_added) == (1, 0)
    assert counts(db)["workers"] == 3
    sam = find_by_staff_id(db, "S1")
    assert sam is not None and sam_before is not None
    assert sam.id == sam_before.id
    assert (sam.name, sam.role, sam.team) == ("Samuel Lee", "Senior Support Worker", "South")
    assert (sam.start_date, sam.employment) == (date(2024, 3, 2), Employment.AGENCY)
    assert sam.requires == frozenset({LINE, CLINICAL})
    assert db.execute("SELECT * FROM workers WHERE staff_id = 'S2'").fetchall() == ana_row_before
    joe = find_by_staff_id(db, "S3")
    assert joe is not None
    assert (joe.role, joe.team, joe.start_date) == ("Team Lead", "South", date(2018, 6, 30))
    assert [a.assessed_on for a in assessments_for(db, joe.id)] == [date(2026, 11, 20)]


def test_new_assessment_is_history_not_an_overwrite(
    db: Database, tmp_path: Path, today: date
) -> None:
    import_staff(db, good_file(tmp_path, "first.csv"), today=today)
    row = GOOD_ROWS[0].replace(",2,2,2,2,2026-10-01,", ",3,3,2,2,2026-11-20,")
    result = import_staff(db, write_csv(tmp_path, [HEADER, row]), today=today)
    assert result.assessments_added == 1
    sam = find_by_staff_id(db, "S1")
    assert sam is not None
    history = assessments_for(db, sam.id)
    assert [(a.assessed_on, a.tier) for a in history] == [
        (date(2026, 11, 20), Tier.HIGH),
        (date(2026, 10, 1), Tier.STANDARD),
    ]


def test_staff_id_added_to_a_worker_first_imported_without_one(
    db: Database, tmp_path: Path, today: date
) -> None:
    import_staff(db, write_csv(tmp_path, ["name,team", "Sam Lee,North"], name="a.csv"), today=today)
    result = import_staff(
        db, write_csv(tmp_path, ["staff_id,name,team", "S1,Sam Lee,North"]), today=today
    )
    assert (result.created, result.updated) == (0, 1)
    assert result.warnings == [
        "line 2: staff_id: Sam Lee was already in Keel without a staff ID; 'S1' was added to "
        "their record"
    ]
    [sam] = list_workers(db)
    assert sam.staff_id == "S1"


def test_ambiguous_name_match_fails_with_database_unchanged(
    db: Database, tmp_path: Path, today: date
) -> None:
    import_staff(
        db,
        write_csv(tmp_path, ["staff_id,name,team", "X1,Sam Lee,North", "X2,Sam Lee,North"],
                  name="a.csv"),
        today=today,
    )  # fmt: skip
    before = dump(db)
    path = write_csv(tmp_path, ["name,team,last_line", "Sam Lee,North,2026-11-01"])
    assert problems_of(db, path, today) == [
        "line 2: name: 2 workers called 'Sam Lee' in team 'North' are already in Keel; add a "
        "staff_id column to tell them apart"
    ]
    assert dump(db) == before


# --------------------------------------------------------------------------------------------
# Warnings, text fidelity, progress and cancel


def test_unknown_columns_are_ignored_with_one_warning(
    db: Database, tmp_path: Path, today: date
) -> None:
    path = write_csv(
        tmp_path,
        ["Notes,name,team,Manager,,", "likes tea,Ann Bell,North,Jo,,", "x,Bob Cole,South,Jo,,"],
    )
    result = import_staff(db, path, today=today)
    assert result.warnings == ["Ignored 2 columns Keel does not use: Notes, Manager."]
    assert result.created == 2


def test_unheaded_column_with_data_is_warned(db: Database, tmp_path: Path, today: date) -> None:
    path = write_csv(tmp_path, ["name,,team", "Ann Bell,oops,North"])
    preview = preview_staff(path, today=today)
    assert preview.warnings == ["Ignored 1 column Keel does not use: column 2 (no heading)."]
    assert preview.problems == []


def test_rtl_emoji_markup_and_long_text_round_trip_exactly(
    db: Database, tmp_path: Path, today: date
) -> None:
    names = {
        "R1": "مريم الحسيني",
        "R2": "נועה כהן",
        "R3": 'Zoë 🌈👩🏽‍⚕️ <b>O\'Brien</b> & "Co"',
        "R4": "\u200fאבי (Avi) \u200e2",
    }
    long_role = "Community <worker> & " * 500  # ~10,000 characters
    team = "Crisis, Home & <Treatment>"
    import csv

    path = tmp_path / "rtl.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["staff_id", "name", "role", "team"])
        for sid, name in names.items():
            writer.writerow([sid, name, long_role.strip(), team])

    import_staff(db, path, today=today)

    for sid, name in names.items():
        worker = find_by_staff_id(db, sid)
        assert worker is not None
        assert worker.name == name
        assert worker.role == long_role.strip()
        assert worker.team == team
    before = dump(db)
    assert import_staff(db, path, today=today).unchanged == 4
    assert dump(db) == before


def test_progress_is_reported_per_row(db: Database, tmp_path: Path, today: date) -> None:
    seen: list[tuple[int, int]] = []
    import_staff(db, good_file(tmp_path), today=today, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(0, 3), (1, 3), (2, 3), (3, 3)]


def test_cancel_midway_leaves_the_database_unchanged(
    db: Database, tmp_path: Path, today: date
) -> None:
    import_staff(db, write_csv(tmp_path, ["name", "Earlier Worker"], name="a.csv"), today=today)
    before = dump(db)
    asked: list[int] = []

    def cancelled() -> bool:
        asked.append(1)
        return len(asked) >= 3  # after two rows were written

    with pytest.raises(ImportCancelled, match="nothing was changed"):
        import_staff(db, good_file(tmp_path), today=today, cancelled=cancelled)
    assert len(asked) == 3
    assert dump(db) == before


def test_preview_touches_no_database(tmp_path: Path, today: date) -> None:
    path = write_csv(tmp_path, [HEADER, *GOOD_ROWS, "S4,,,,,,,,,,,,,,"])
    preview = preview_staff(path, today=today)
    assert [r.staff_id for r in preview.rows] == ["S1", "S2", "S3"]
    assert preview.problems == ["line 5: name: is empty; every row needs the worker's name"]
    assert not preview.ok
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "staff.csv"]


def test_summary_wording() -> None:
    assert ImportResult(1, 0, 0, 1, 1).summary() == (
        "Imported 1 worker (1 new), 1 risk assessment and 1 past session."
    )
    assert ImportResult(10, 2, 3, 8, 20).summary() == (
        "Imported 15 workers (10 new, 2 updated, 3 unchanged), 8 risk assessments and "
        "20 past sessions."
    )


# --------------------------------------------------------------------------------------------
# The imported evidence drives the due status


def test_imported_last_dates_give_the_right_status(
    db: Database, tmp_path: Path, today: date
) -> None:
    ten_days_ago = (today - timedelta(days=10)).isoformat()
    five_days_ago = (today - timedelta(days=5)).isoformat()
    path = write_csv(
        tmp_path,
        [
            HEADER,
            # Standard tier (total 8), long in post: clinical every 28 days.
            f"T1,Recent,,North,2015-01-01,,2,2,2,2,2026-01-01,,,{ten_days_ago},{five_days_ago}",
            # No evidence of supervision and an old start date: overdue.
            "T2,No Evidence,,North,2015-01-01,,,,,,,,,,",
        ],
    )
    import_staff(db, path, today=today)

    rows = {r.facts.staff_id: r.status for r in compute_schedule(db, today).rows}
    recent = rows["T1"]
    clinical = recent.by_type[CLINICAL]
    assert clinical.status is DueStatus.ON_TRACK
    assert clinical.last_held == today - timedelta(days=10)
    assert clinical.due == today + timedelta(days=18)
    group = recent.by_type[GROUP]
    assert group.status is DueStatus.ON_TRACK  # the worker attended the imported group session
    assert group.last_held == today - timedelta(days=5)
    assert recent.by_type[LINE].status is DueStatus.OVERDUE

    none = rows["T2"]
    assert none.overall is DueStatus.OVERDUE
    assert all(s.status is DueStatus.OVERDUE for s in none.by_type.values())
    assert not none.assessed


# --------------------------------------------------------------------------------------------
# The command line


def run_cli(db_file: Path, csv_file: Path) -> subprocess.CompletedProcess[str]:
    venv_python = REPO / ".venv" / "bin" / "python"
    python = str(venv_python) if venv_python.exists() else sys.executable
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [python, str(REPO / "main.py"), "--db", str(db_file), "import-staff",
         str(csv_file)],
        capture_output=True, text=True, encoding="utf-8", env=env, timeout=120, check=False,
    )  # fmt: skip


def test_cli_imports_a_good_file(tmp_path: Path) -> None:
    result = run_cli(tmp_path / "cli.db", SAMPLE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Imported 10 workers (10 new), 9 risk assessments")
    assert "Traceback" not in result.stderr


def test_cli_bad_file_exits_2_with_every_problem(tmp_path: Path) -> None:
    db_file = tmp_path / "cli.db"
    path = write_csv(
        tmp_path,
        [HEADER, "S1,,,,,,,,,,,,,,", "S2,Two,,,,,4,1,1,1,,,,,", "S3,Three,,,,,,,,,,,bad,,"],
    )
    result = run_cli(db_file, path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    creating, *lines = result.stderr.splitlines()
    assert creating == f"Creating a new database at {db_file}."
    assert not db_file.exists()  # the failed import leaves no new database behind
    assert lines[0] == "Nothing was imported: 3 problem(s) in " + str(path) + "."
    assert lines[1:] == [
        "line 2: name: is empty; every row needs the worker's name",
        "line 3: cohort_risk: '4' is not a risk level; use 1, 2 or 3 (or low, medium, high)",
        "line 4: last_line: 'bad' is not a date (use YYYY-MM-DD or DD/MM/YYYY)",
    ]
    assert all(re.match(r"^line \d+: [^:]+: ", line) for line in lines[1:])


@pytest.mark.parametrize(
    "content",
    [b"name,team\r\nA\x00,North\r\n", b"name\r\nSiobh\xe1n\r\n", b'name\r\n"open\r\n', b""],
    ids=["nul", "latin-1", "unclosed-quote", "empty"],
)
def test_cli_unreadable_files_never_show_a_traceback(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    result = run_cli(tmp_path / "cli.db", path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert re.search(r"^line \d+: file: ", result.stderr, re.MULTILINE)


def test_cli_missing_file(tmp_path: Path) -> None:
    result = run_cli(tmp_path / "cli.db", tmp_path / "missing.csv")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "There is no file at" in result.stderr
    assert not (tmp_path / "cli.db").exists(), "no database is created for a missing CSV"


def test_semicolon_file_after_blank_lines_keeps_spreadsheet_line_numbers(
    db: Database, tmp_path: Path, today: date
) -> None:
    path = write_csv(tmp_path, ["", "name;start_date", "Ann;2020-01-01", "Bob;nope"])
    assert problems_of(db, path, today) == [
        "line 4: start_date: 'nope' is not a date (use YYYY-MM-DD or DD/MM/YYYY)"
    ]


def test_excel_sep_line_is_not_counted(db: Database, tmp_path: Path, today: date) -> None:
    path = write_csv(tmp_path, ["sep=;", "name;start_date", "Ann;2020-01-01", "Bob;nope"])
    assert problems_of(db, path, today) == [
        "line 3: start_date: 'nope' is not a date (use YYYY-MM-DD or DD/MM/YYYY)"
    ]


def test_duplicate_staff_id_is_found_even_when_the_first_row_has_problems(
    db: Database, tmp_path: Path, today: date
) -> None:
    path = write_csv(tmp_path, ["staff_id,name,start_date", "D1,Ann,someday", "D2,Bob,", "D1,Cat,"])
    assert problems_of(db, path, today) == [
        "line 2: start_date: 'someday' is not a date (use YYYY-MM-DD or DD/MM/YYYY)",
        "line 4: staff_id: 'D1' is also on line 2; each staff_id must be unique",
    ]


def test_problems_are_in_line_order(db: Database, tmp_path: Path, today: date) -> None:
    path = write_csv(tmp_path, ["staff_id,name,team", "D1,Ann,North", "D1,Bob,North", "D3,,North"])
    assert problems_of(db, path, today) == [
        "line 3: staff_id: 'D1' is also on line 2; each staff_id must be unique",
        "line 4: name: is empty; every row needs the worker's name",
    ]


def test_worker_who_left_is_updated_with_a_warning(
    db: Database, tmp_path: Path, today: date
) -> None:
    import_staff(db, good_file(tmp_path, "first.csv"), today=today)
    with transaction(db):
        db.execute("UPDATE workers SET left_on = '2026-06-30' WHERE staff_id = 'S3'")
    path = write_csv(tmp_path, [HEADER, GOOD_ROWS[2].replace("Team Lead", "Retired Lead")])
    result = import_staff(db, path, today=today)
    assert result.updated == 1
    assert result.warnings == [
        "line 2: name: Joe Bloggs left on 30 Jun 2026; the record is updated but stays marked "
        "as left"
    ]
    joe = find_by_staff_id(db, "S3")
    assert joe is not None
    assert (joe.role, joe.left_on) == ("Retired Lead", date(2026, 6, 30))


def test_the_staff_list_names_everyone_with_the_columns_a_worker_has(db: Database) -> None:
    from app.domain.model import StaffEntry, Worker
    from app.services.workers import WorkerService

    service = WorkerService(db)
    lead = service.save(Worker(id="", name="Noa Ben-David", role="Team lead"))
    worker = service.save(
        Worker(
            id="",
            name="Zoë <Ålund> & co",
            role="Nurse",
            line_supervisor_id=lead.id,
            clinical_supervisor_id=lead.id,
        )
    )
    service.mark_left(lead.id, date(2026, 1, 31))
    staff = {s.id: s for s in service.staff()}
    # Those who have left are listed too: they are still named as supervisors.
    assert set(staff) == {lead.id, worker.id}
    assert staff[worker.id] == StaffEntry.of(worker)
    assert staff[worker.id].name == "Zoë <Ålund> & co"
    assert staff[lead.id] == StaffEntry(lead.id, "Noa Ben-David", "Team lead", None, None)
