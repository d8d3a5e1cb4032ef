"""The scheduler summary line's quality-assurance part (issue 16): signed records of the month
awaiting QA, and the QA sampling rate (countersigned / signed), for every team or the team the
scheduler is filtered to; the tooltip gives each team's figures."""

from __future__ import annotations

from app.dates import month_year
from app.domain.qa import QaFigures, rate_words

TIP = (
    "QA: signed records dated in the month named (the as-of date's month, or the month before "
    "while nothing of this month is signed yet) that a QA reviewer has not yet countersigned, "
    "and the sampling rate — countersigned of signed."
)


def _cells(figures: QaFigures, team: str | None) -> tuple[int, int]:
    cells = [c for c in figures.cells if team is None or c.team == team]
    return sum(c.countersigned for c in cells), sum(c.signed for c in cells)


def qa_text(figures: QaFigures, team: str | None = None) -> str:
    """ " · 12 awaiting QA · QA Dec 2026: 2 of 14 (14%)", or "" when no record was signed."""
    done, signed = _cells(figures, team)
    if not signed:
        return ""
    month = month_year(figures.date_from)
    return f" · {signed - done:,} awaiting QA · QA {month}: {rate_words(done, signed)}"


def qa_tooltip(figures: QaFigures) -> str:
    """Each team's QA figures of the month, one line each."""
    month = month_year(figures.date_from)
    if not figures.signed:
        return f"QA {month}: no signed records yet."
    lines = [f"QA {month}, countersigned of signed records, by team:"]
    for team in figures.teams:
        done, signed = _cells(figures, team)
        lines.append(f"{team or '(no team)'}: {rate_words(done, signed)}, "
                     f"{signed - done:,} awaiting QA")  # fmt: skip
    return "\n".join(lines)
