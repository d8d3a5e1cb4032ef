"""Every PDF Keel writes, read back with pypdf as an inspector's tools would read it: where the
tables sit, how rows split across pages, whole words, one date style, the confidential mark on
every page, bookmarks, the document's language and date, and every font embedded."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

from app.domain.catalogue import BUILTIN_KEYS, CLINICAL, DEFAULT_CATALOGUE, GROUP
from app.domain.model import SessionStatus
from app.domain.records import Action, ActionOwner, Decision, SessionRecord, Workload
from app.services.exports import ExportService
from app.services.history_data import build_worker_history_pdf
from app.services.record_view import build_record_pdf
from app.services.records import RecordService
from app.services.reports.base import (
    MARGIN,
    PAGE_H,
    PAGE_W,
    KeelDocument,
    para,
    section,
    styles,
    table,
)
from app.services.reports.blank import build_blank_form_pdf
from app.services.sessions import SessionService
from app.storage.db import Database
from app.storage.sessions import get_session
from tests.app.pdfcheck import (
    created,
    fonts,
    language,
    marks,
    outline,
    page_texts,
    pdf_text,
    text_starts,
)
from tests.app.reportdata import CONFIDENTIAL, Service, make_service, page_count

PERIOD = (date(2026, 1, 1), date(2026, 11, 26))
LONDON = ZoneInfo("Europe/London")
FUZZ = 0.01  # points: a line drawn on the margin is inside it


@pytest.fixture
def service(db: Database) -> Service:
    return make_service(db)


def every_report(db: Database, service: Service, folder: Path, today: date) -> dict[str, Path]:
    """One file of each kind Keel writes, from the small service."""
    from app.domain.governance import Forum

    ex = ExportService(db, today=lambda: today)
    out = {
        "record": ex.record(service.second, folder / "record.pdf"),
        "record+notes": ex.record(
            service.second, folder / "record-c.pdf", include_confidential=True
        ),
        "history": ex.worker_history(service.worker.id, *PERIOD, folder / "history.pdf"),
        "history+notes": ex.worker_history(
            service.worker.id, *PERIOD, folder / "history-c.pdf", include_confidential=True
        ),
        "pack": ex.compliance(*PERIOD, folder / "pack.pdf"),
        "agenda": ex.mdt_agenda(today, Forum.MDT, folder / "agenda.pdf"),
    }
    for type_ in BUILTIN_KEYS:
        out[f"blank-{type_}"] = ex.blank(type_, folder / f"blank-{type_}.pdf")
    return out


@pytest.fixture
def reports(db, service, tmp_path, today) -> dict[str, Path]:
    return every_report(db, service, tmp_path, today)


# --------------------------------------------------------------------------- the document


def test_every_font_is_embedded(reports) -> None:
    """pdffonts listed Helvetica as not embedded: ReportLab starts each page in it."""
    for name, path in reports.items():
        used = fonts(path)
        assert used, name
        assert all(used.values()), (name, used)
        assert not any("Helvetica" in font for font in used), (name, used)


def test_language_is_british_english_and_the_date_is_real(reports) -> None:
    now = datetime.now(UTC)
    for name, path in reports.items():
        assert language(path) == "en-GB", name
        made = created(path)
        assert made is not None and abs(made - now) < timedelta(minutes=10), (name, made)


def test_every_pack_and_history_has_an_outline_of_its_sections(reports) -> None:
    for name in ("record", "history", "history+notes", "pack", "agenda", "blank-line"):
        entries = outline(reports[name])
        assert len(entries) >= 3, (name, entries)
        pages = page_texts(reports[name])
        for _level, title, page in entries:  # each bookmark opens the page its heading is on
            assert title in pages[page - 1], (name, title, page)
    titles = [title for _l, title, _p in outline(reports["history"])]
    assert titles[:4] == ["Profile", "Due status on 26 Nov 2026", "Risk assessment history",
                          "Sessions"]  # fmt: skip
    pack = [title for _l, title, _p in outline(reports["pack"])]
    for expected in ("Summary", "Compliance at each month end", "Overdue on 26 Nov 2026, worst first",
                     "Records awaiting sign-off", "Record quality"):  # fmt: skip
        assert expected in pack, pack


# --------------------------------------------------------------------------- tables


def test_every_line_and_box_is_inside_the_margins(reports) -> None:
    """Tables sat 6 pt right of the text and ran 6 pt past the right margin (the frame's
    padding was not subtracted from their width)."""
    for name, path in reports.items():
        for mark in marks(path):
            assert min(mark.x0, mark.x1) >= MARGIN - FUZZ, (name, mark)
            assert max(mark.x0, mark.x1) <= PAGE_W - MARGIN + FUZZ, (name, mark)


def test_body_text_starts_on_the_margin_as_the_header_does(reports) -> None:
    for name, path in reports.items():
        starts = text_starts(path)
        lefts = [x for _page, x, _y, _text in starts]
        assert min(lefts) >= MARGIN - FUZZ, name
        # The title (the first line under the header) starts where the service name starts.
        below = [(y, x) for page, x, y, _t in starts if page == 1 and y < PAGE_H - MARGIN - 8 * mm]
        title_x = max(below)[1]
        assert abs(title_x - MARGIN) < 0.5, (name, title_x)


def long_rows_document(path: Path, *, lead: int, rows: int, words: int) -> Path:
    """A table of long rows after ``lead`` lines of text: rows split across pages."""
    st = styles()
    story = [para(" ".join(["Opening text"] * 12), st["body"]) for _ in range(lead)]
    story += section("A long table")
    cells = [[para("HEADROW", st["cell"]), para("Second column", st["cell"])]]
    for n in range(rows):
        body = " ".join(f"word{n}x{k}" for k in range(words))
        cells.append([para(f"Row {n}", st["cell"]), para(body, st["cell"])])
    doc = KeelDocument(path, title="Tables", service_name="Test")
    doc.build([*story, table(cells, [doc.width * 0.2, doc.width * 0.8])])
    return path


@pytest.mark.parametrize(("lead", "rows", "words"), [(30, 6, 260), (10, 4, 700), (44, 3, 120)])
def test_a_split_table_repeats_its_header_only_at_the_top_of_a_page(
    tmp_path, lead, rows, words
) -> None:
    out = long_rows_document(tmp_path / "t.pdf", lead=lead, rows=rows, words=words)
    assert page_count(out) >= 2
    frame_top = PAGE_H - MARGIN - 8 * mm
    starts = text_starts(out)
    first = next(page for page, _x, _y, text in starts if "A long table" in text)
    headers = [(page, x, y) for page, x, y, text in starts if "HEADROW" in text]
    assert headers[0][0] == first
    for page, _x, y in headers[1:]:
        assert y > frame_top - 25, (page, y)  # a repeated header opens its page
    for page, x, _y in headers:
        assert abs(x - MARGIN - 4) < 0.5, (page, x)  # never jumps left
    for n, text in enumerate(page_texts(out), start=1):
        assert text.count("HEADROW") <= 1, n
    for mark in marks(out):
        assert min(mark.x0, mark.x1) >= MARGIN - FUZZ, mark


def test_a_split_table_leaves_no_page_mostly_empty(tmp_path) -> None:
    """A row taller than the space left is split inside the row rather than leaving most of a
    page blank; the rest continues at the top of the next page."""
    out = long_rows_document(tmp_path / "t.pdf", lead=8, rows=2, words=900)
    texts = page_texts(out)
    assert "word0x0" in texts[0]  # the first row starts under the heading on page 1
    assert texts[0].count("HEADROW") == 1


def test_a_word_that_fits_a_line_is_never_broken(db, service, tmp_path) -> None:
    """ "Manageabl/e": a narrow column broke words; columns widen for the longest word."""
    st = styles()
    doc = KeelDocument(tmp_path / "w.pdf", title="Words", service_name="Test")
    w = doc.width
    cells = [[para(h, st["cell"]) for h in ("Date", "Type", "Wellbeing", "Workload", "Note")]]
    cells.append([para("1 Jan 2026", st["cell"]), para("Clinical", st["cell"]),
                  para("7 / 10", st["cell"]), para("Manageable", st["cell"]),
                  para("Occupational-health-referral", st["cell"])])  # fmt: skip
    doc.build([table(cells, [w * 0.3, w * 0.3, w * 0.2, w * 0.08, w * 0.12])])
    text = pdf_text(doc.path)
    assert "Manageable" in text and "Occupational-health-referral" in text

    SessionService(db).save(
        SessionRecord(type=CLINICAL, status=SessionStatus.HELD,
                      session_date=date(2026, 11, 3), worker_id=service.worker.id,
                      supervisor_id=service.lead.id, issues="Steady.",
                      wellbeing=6, workload=Workload.MANAGEABLE, moral_distress=False)
    )  # fmt: skip
    hist = build_worker_history_pdf(db, service.worker.id, *PERIOD, tmp_path / "h.pdf")
    assert "Manageable" in pdf_text(hist)


# --------------------------------------------------------------------------- the record


def test_a_short_record_prints_its_sign_off_with_what_comes_before(db, service, tmp_path) -> None:
    """The sign-off block always started a new page (a KeepTogether inside a KeepTogether).

    Since issue 16 even the shortest record (its declarations, the inspection template's
    items, the service, distribution and retention lines) no longer fits one page: it takes
    two, the sign-off block whole on the last, with the service's lines after it. (The first
    page is full down to the declarations: no longer a test of the nesting bug, which
    ``test_the_sign_off_heading_stays_with_the_signature_blocks`` keeps covering.)"""
    RecordService(db).sign_off(service.gappy, "Amara Okafor", confirmed=True, accept_gaps=True)
    out = build_record_pdf(db, service.gappy, tmp_path / "one.pdf")
    assert page_count(out) <= 2
    text = page_texts(out)[-1]
    assert "Sign-off" in text and "Signature:" in text and "fingerprint" in text
    assert "Retention:" in text


def test_the_sign_off_heading_stays_with_the_signature_blocks(db, service, tmp_path) -> None:
    for lines in range(0, 60, 3):  # push the sign-off down the page, past its end
        rec = get_session(db, service.gappy)
        assert rec is not None
        rec.issues = "\n".join(f"Point {n} about the caseload." for n in range(lines))
        SessionService(db).save(rec)
        out = build_record_pdf(db, service.gappy, tmp_path / f"r{lines}.pdf")
        pages = page_texts(out)
        heading = [n for n, t in enumerate(pages) if "Sign-off" in t]
        blocks = [n for n, t in enumerate(pages) if "Signature:" in t]
        assert heading == blocks, (lines, heading, blocks)
        prints = [n for n, t in enumerate(pages) if "fingerprint" in t]
        assert prints == blocks, lines


def test_signature_and_addendum_stamps_are_uk_dates_in_local_time(db, service, tmp_path) -> None:
    records = RecordService(db)
    records.sign_off(service.second, "Amara Okafor", confirmed=True)
    records.respond(service.second, agree=True, name="Łukasz Nowak")
    records.add_addendum(service.second, author="Amara Okafor", reason="Typo", text="C-1044.")
    rec = get_session(db, service.second)
    assert rec is not None
    row = db.execute(
        "SELECT signed_at, supervisee_responded_at FROM sessions WHERE id = ?", [service.second]
    ).fetchone()
    added = db.execute("SELECT created_at FROM addenda WHERE session_id = ?",
                       [service.second]).fetchone()[0]  # fmt: skip

    def shown(stamp: str) -> str:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(LONDON)
        return f"{when.day} {when:%b} {when.year} at {when:%H:%M} {when.tzname()}"

    text = pdf_text(build_record_pdf(db, service.second, tmp_path / "r.pdf"))
    assert f"Signed electronically {shown(row[0])}" in text
    assert f"Acknowledged electronically {shown(row[1])}" in text
    assert f"{shown(added)} — Amara Okafor — reason: Typo" in text
    assert " UTC" not in text and "T" + row[0][11:16] not in text
    assert row[0][:10] not in text  # no ISO date among the UK ones
    hist = pdf_text(build_worker_history_pdf(db, service.worker.id, *PERIOD, tmp_path / "h.pdf"))
    assert f"{shown(added)} — Amara Okafor" in hist and " UTC" not in hist


MARK = "Includes confidential reflective notes"


def test_a_copy_with_confidential_notes_says_so_on_every_page(db, service, tmp_path) -> None:
    rec = get_session(db, service.second)
    assert rec is not None
    rec.confidential_notes = "\n".join([CONFIDENTIAL] * 120)  # several pages of notes
    SessionService(db).save(rec)
    plain = build_record_pdf(db, service.second, tmp_path / "plain.pdf")
    asked = build_record_pdf(db, service.second, tmp_path / "asked.pdf", include_confidential=True)
    assert page_count(asked) >= 3
    assert all(MARK in text for text in page_texts(asked))
    assert not any(MARK in text for text in page_texts(plain))
    hist = build_worker_history_pdf(db, service.worker.id, *PERIOD, tmp_path / "h.pdf",
                                    include_confidential=True)  # fmt: skip
    assert all(MARK in text for text in page_texts(hist))
    # Asked for, but this record has no notes: nothing confidential is in the copy.
    none = build_record_pdf(db, service.first, tmp_path / "none.pdf", include_confidential=True)
    assert not any(MARK in text for text in page_texts(none))


# --------------------------------------------------------------------------- blank forms


def test_the_blank_group_form_has_one_box_per_theme(tmp_path) -> None:
    out = build_blank_form_pdf(DEFAULT_CATALOGUE[GROUP], tmp_path / "g.pdf", service_name="S")
    text = pdf_text(out)
    for stem in ("Repeated crisis trigger", "System blockage"):
        assert text.count(stem) == 1, (stem, text.count(stem))
    # Both kinds of drift are still there to tick, as themes of their own.
    assert "Drift to risk-averse practice" in text and "Drift to risk-blind practice" in text


def test_records_with_actions_and_decisions_keep_inside_the_margins(db, service, tmp_path) -> None:
    """A record whose tables split across pages: still inside the margins on every page."""
    rec = get_session(db, service.gappy)
    assert rec is not None
    rec.decisions = [Decision(f"Decision {n} " + "detail " * 60, "Because " * 40)
                     for n in range(8)]  # fmt: skip
    rec.actions = [Action(f"Action {n} " + "step " * 50, ActionOwner.SUPERVISOR,
                          date(2026, 12, 1), "Evidence " * 30) for n in range(8)]  # fmt: skip
    SessionService(db).save(rec)
    out = build_record_pdf(db, service.gappy, tmp_path / "long.pdf")
    assert page_count(out) >= 3
    for mark in marks(out):
        assert min(mark.x0, mark.x1) >= MARGIN - FUZZ, mark
        assert max(mark.x0, mark.x1) <= PAGE_W - MARGIN + FUZZ, mark


def test_spacer_only_documents_still_build(tmp_path) -> None:
    doc = KeelDocument(tmp_path / "s.pdf", title="Nothing", service_name="S")
    doc.build([Spacer(1, 10), Paragraph("x", styles()["body"])])
    assert doc.pages == 1 and all(fonts(doc.path).values())
