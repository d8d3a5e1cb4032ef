"""The one-page "Keel recovery sheet": the recovery key of an encrypted database, printed to be
locked away, with what to do when the passphrase is lost.

It is written owner-only, built beside its destination and renamed into place, like every export.
"""

from __future__ import annotations

import contextlib
import os
from datetime import datetime
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from app.dates import uk
from app.services.reports.base import KeelDocument, key_values, markup, styles


def _key_box(recovery_key: str, width: float) -> Table:
    groups = recovery_key.split("-")
    half = (len(groups) + 1) // 2
    lines = ["  ".join(groups[:half]), "  ".join(groups[half:])]
    style = styles()["body"].clone(
        "recovery", fontName="Courier-Bold", fontSize=17, leading=26, alignment=1
    )
    box = Table([[Paragraph(line, style)] for line in lines], colWidths=[width])
    box.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 1.2, colors.black),
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#f4f4f4")),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return box


def recovery_sheet_story(
    *,
    database: Path,
    recovery_key: str,
    key_check: str,
    made: datetime,
    width: float,
) -> list[Flowable]:
    s = styles()
    steps = [
        "<b>Lock this sheet away</b>, apart from the laptop (a safe, a locked drawer). Anyone who "
        "has this sheet and a copy of the database can read every record in it.",
        "<b>Passphrase forgotten?</b> Start Keel and choose <i>Use the recovery key…</i> on the "
        "passphrase screen; type the key above (capitals or not, dashes or spaces) and choose a "
        "new passphrase. On the command line: set KEEL_DB_RECOVERY_KEY and KEEL_DB_NEW_PASSPHRASE, "
        "then run <font face='Courier'>keel --db FILE unlock-with-recovery-key</font>.",
        "<b>Key file lost or damaged?</b> The database's key file (the file beside it ending in "
        "<font face='Courier'>.key</font>) holds the key wrapped by the passphrase. Without it "
        "the passphrase cannot open the database, but this recovery key still does, on any copy "
        "of the file.",
        "<b>Without the passphrase and this key the data is gone.</b> Nobody — not IT, not "
        "Keel's makers — can open the database without one of them.",
        "<b>A new recovery key</b> (Data → New recovery key…) makes this sheet useless: shred it "
        "then, and lock the new sheet away.",
    ]
    story: list[Flowable] = [
        Paragraph("Keel recovery sheet", s["title"]),
        markup(
            "The recovery key of an encrypted Keel database. It opens the database without its "
            "passphrase, and lets you set a new one.",
            s["subtitle"],
        ),
        Spacer(1, 6 * mm),
        key_values(
            [
                ("Database", database.name),
                ("Where it was", str(database.parent)),
                ("Date", f"{uk(made)} {made:%H:%M}"),
                ("Key check", key_check),
            ],
            width,
            s,
            cols=1,
        ),
        Spacer(1, 8 * mm),
        Paragraph("Recovery key", s["h2"]),
        _key_box(recovery_key, width),
        Spacer(1, 8 * mm),
        Paragraph("What to do", s["h2"]),
    ]
    for number, step in enumerate(steps, 1):
        story.append(markup(f"{number}. {step}", s["body"]))
        story.append(Spacer(1, 2.5 * mm))
    return story


def build_recovery_sheet(
    out: Path,
    *,
    database: Path,
    recovery_key: str,
    key_check: str,
    service_name: str,
    made: datetime | None = None,
) -> Path:
    """Write the recovery sheet to ``out`` (owner-only; built beside it, then renamed)."""
    made = made or datetime.now().astimezone()
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    try:
        doc = KeelDocument(tmp, title="Keel recovery sheet", service_name=service_name)
        doc.build(
            recovery_sheet_story(
                database=database,
                recovery_key=recovery_key,
                key_check=key_check,
                made=made,
                width=doc.width,
            )
        )
        os.chmod(tmp, 0o600)
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return out
