"""Dates read the same, the UK way in English, whatever the machine's locale.

Qt sets the C library's locale from the user's settings when the app starts, and strftime's
month and weekday names follow it: on a Welsh machine the window and every PDF printed from it
said "26 Tach 2026" while the command line said "26 Nov 2026". Records are evidence; they must
not depend on where they were printed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from app.dates import day_month, month_name_year, month_short_year, month_year, uk, weekday

ROOT = Path(__file__).resolve().parents[2]


def test_every_month_and_weekday_in_english() -> None:
    months = [uk(date(2026, m, 1)) for m in range(1, 13)]
    names = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    assert months == [f"1 {m} 2026" for m in names]
    days = [weekday(date(2026, 11, 23 + n)) for n in range(7)]  # Monday 23 Nov 2026 onwards
    assert days == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    day = date(2027, 1, 5)
    assert (day_month(day), month_year(day), month_short_year(day), month_name_year(day)) == (
        "5 Jan",
        "Jan 2027",
        "Jan 27",
        "January 2027",
    )
    assert uk(None, "—") == "—"


def test_no_date_is_formatted_with_the_locale_s_names() -> None:
    """%a %A %b %B %c %x %p spell names in the machine's language: none in Keel's code."""
    pattern = re.compile(r"strftime\([^)]*%[aAbBcxp]|\{[^}]*:[^}]*%[aAbBcxp]")
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("app", "ui")
        for path in (ROOT / folder).rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == []


def _welsh_locale(folder: Path) -> dict[str, str] | None:
    """Environment for a process in the cy_GB.UTF-8 locale, built with localedef."""
    localedef = shutil.which("localedef")
    if localedef is None or not Path("/usr/share/i18n/locales/cy_GB").exists():
        return None
    subprocess.run(
        [localedef, "-i", "cy_GB", "-f", "UTF-8", str(folder / "cy_GB.UTF-8")],
        capture_output=True,
        check=False,
    )
    if not (folder / "cy_GB.UTF-8").exists():
        return None
    return {**os.environ, "LOCPATH": str(folder), "LC_ALL": "cy_GB.UTF-8", "LANG": "cy_GB.UTF-8"}


@pytest.mark.skipif(sys.platform != "linux", reason="builds a glibc locale with localedef")
def test_a_welsh_machine_still_shows_english_dates(tmp_path: Path) -> None:
    env = _welsh_locale(tmp_path)
    if env is None:
        pytest.skip(
            "no cy_GB locale data here (Debian: the locales package, which .ci/run installs)"
        )
    script = (
        "import locale, sys\n"
        "from datetime import date\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])  # sets the C locale from the environment, as Keel's does\n"
        "from app.dates import uk\n"
        "from ui.models.schedule_model import short_date\n"
        "from app.services.compliance_data import point_label as _label\n"
        "day = date(2026, 11, 26)\n"
        "print(locale.setlocale(locale.LC_TIME))\n"
        "print(day.strftime('%b'))\n"
        "print(uk(day), '|', short_date(day, day), '|', _label(day, True), '|', _label(day, False))\n"
        "from ui.widgets.dates import DateEdit\n"
        "print(DateEdit(day).text())\n"
    )
    env.update({"QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)})
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:2] == ["cy_GB.UTF-8", "Tach"]  # the machine really is Welsh
    assert lines[2] == "26 Nov 2026 | 26 Nov | Nov 26 | 26 Nov*"
    assert lines[3] == "26 Nov 2026"  # a date field, too (Qt's "MMM" follows the locale)
