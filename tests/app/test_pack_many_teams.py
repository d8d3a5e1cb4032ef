"""The compliance pack for a large service: ~90 teams (a large NHS trust).

The per-team bar chart used to be one drawing 12 pt per team tall: from about 55 teams it was
taller than a page and ReportLab stopped the export with ``LayoutError``. It is now cut into
charts of at most ``TEAM_BARS_PER_CHART`` teams, each headed "(n of m, teams a–b of N)".
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.graphics.shapes import Drawing, String
from reportlab.platypus import KeepTogether, Paragraph

from app.services.compliance_data import gather_compliance, write_compliance_pack
from app.services.reports import compliance_sections
from app.services.reports.base import KeelDocument
from app.services.reports.compliance import compliance_story
from app.storage.db import close_database, open_database
from tests.benchmarks import generate

TODAY = date(2026, 11, 26)
PERIOD = (date(2026, 6, 1), TODAY)
TEAMS = 90
HEADING = "By team on 26 Nov 2026 (all types), lowest first"


@pytest.fixture(scope="module")
def big_service(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """90 teams of two workers and a year of history, through the real schema (~1 s)."""
    path = tmp_path_factory.mktemp("many-teams") / "trust.db"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(generate, "TEAM_SIZE", 2)
        figures = generate.generate_reference(
            path, workers=2 * TEAMS, years=1, seed=11, today=TODAY
        )
    assert figures["workers"] == 2 * TEAMS
    return path


def _words(value: str) -> str:
    return " ".join(value.split())


def _frame_height() -> float:
    doc = KeelDocument(Path("unused.pdf"), title="t", service_name="s")
    frame = doc._doc.pageTemplates[0].frames[0]
    return float(frame._height - frame._topPadding - frame._bottomPadding)


def test_a_pack_for_90_teams_prints_every_team_in_page_sized_charts(
    big_service: Path, tmp_path: Path
) -> None:
    db = open_database(big_service)
    try:
        teams = [t for (t,) in db.execute("SELECT DISTINCT team FROM workers")]
        assert len(teams) == TEAMS
        out = write_compliance_pack(db, *PERIOD, tmp_path / "pack.pdf", today=TODAY)
        data = gather_compliance(db, *PERIOD, today=TODAY)
        story = compliance_story(data)
    finally:
        close_database(db)

    pages = [_words(page.extract_text()) for page in PdfReader(out).pages]
    text = " ".join(pages)
    assert "Supervision compliance pack" in text
    assert f"{TEAMS} teams" in text
    for team in teams:
        assert team in text, team

    # Two balanced charts (90 at most 50 a chart: 45 + 45), each headed with its place.
    per_chart = compliance_sections.TEAM_BARS_PER_CHART
    assert per_chart < TEAMS
    headings = [
        f"{HEADING} (1 of 2, teams 1–45 of {TEAMS})",
        f"{HEADING} (2 of 2, teams 46–{TEAMS} of {TEAMS})",
    ]
    assert re.findall(re.escape(HEADING) + r"[^)]*\)", text) == headings

    # The charts in the story: one heading and one drawing each, no taller than a page, the
    # same label column and axis, and together every team once, lowest compliance first.
    frame = _frame_height()
    blocks = [
        f._content
        for f in story
        if isinstance(f, KeepTogether) and any(isinstance(g, Drawing) for g in f._content)
    ][1:]  # the first is the chart by supervision type
    assert [b[0].getPlainText() for b in blocks if isinstance(b[0], Paragraph)] == headings
    labels: list[str] = []
    values: list[float] = []
    axes = set()
    for heading, chart in blocks:
        assert chart.height + heading.wrap(chart.width, frame)[1] < frame
        strings = [s for s in chart.contents if isinstance(s, String)]
        labels += [s.text for s in strings if s.textAnchor == "end"]
        values += [float(s.text[:-1]) for s in strings if re.fullmatch(r"\d+%", s.text)
                   and s.textAnchor == "start"]  # fmt: skip
        axes.add(tuple(round(s.x, 2) for s in strings if s.textAnchor == "middle"))
    assert sorted(labels) == sorted(teams)
    assert values == sorted(values)
    assert len(axes) == 1

    # Each chart sits on one page with its own teams.
    for heading, first, last in ((headings[0], 0, 45), (headings[1], 45, TEAMS)):
        (page,) = [p for p in pages if heading in p]
        for team in labels[first:last]:
            assert team in page, (heading, team)


def test_up_to_the_limit_the_team_bars_stay_one_chart(big_service: Path) -> None:
    db = open_database(big_service)
    try:
        data = gather_compliance(db, *PERIOD, today=TODAY)
        data.teams = data.teams[: compliance_sections.TEAM_BARS_PER_CHART]
        story = compliance_story(data)
    finally:
        close_database(db)
    texts = [f.getPlainText() for f in story if isinstance(f, Paragraph)]
    texts += [
        g.getPlainText()
        for f in story
        if isinstance(f, KeepTogether)
        for g in f._content
        if isinstance(g, Paragraph)
    ]
    assert [t for t in texts if t.startswith(HEADING)] == [HEADING]
