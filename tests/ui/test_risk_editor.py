"""The risk editor: plain-language factors, a live preview that is the engine's, dated saves."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from app.domain.catalogue import CLINICAL, GROUP, LINE
from app.domain.model import FACTORS, Assessment, RiskFactors, SessionStatus, Tier, TypeKey, Worker
from app.domain.records import SessionRecord
from app.domain.schedule import worker_status
from app.services.scheduling import compute_schedule
from app.storage.db import Database
from app.storage.policies import current_policy
from app.storage.schedule_facts import load_worker_facts
from ui.context import AppContext
from ui.forms.risk_editor import FACTOR_TEXT, RiskEditor


@pytest.fixture
def ctx(db: Database, db_path: Path, today: date) -> AppContext:
    return AppContext.for_database(db, db_path, today=lambda: today)


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []

    def fake(_parent: object, _title: str, text: str, *_a: object) -> QMessageBox.StandardButton:
        shown.append(text)
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "warning", staticmethod(fake))
    return shown


def add(ctx: AppContext, name: str, days_in_post: int) -> str:
    start = ctx.today() - timedelta(days=days_in_post)
    return ctx.workers.save(Worker(id="", name=name, start_date=start)).id


def held(ctx: AppContext, worker_id: str, type_: TypeKey, days_ago: int) -> None:
    on = ctx.today() - timedelta(days=days_ago)
    ctx.sessions.save(
        SessionRecord(type=type_, status=SessionStatus.HELD, session_date=on, worker_id=worker_id)
    )


def editor_for(qtbot: Any, ctx: AppContext, worker_id: str | None) -> RiskEditor:
    editor = RiskEditor(ctx)
    qtbot.addWidget(editor)
    editor.resize(1000, 600)
    editor.show()
    editor.set_worker(worker_id)
    return editor


def click(qtbot: Any, editor: RiskEditor, factor: str, level: int) -> None:
    qtbot.mouseClick(editor.factor_buttons[factor][level], Qt.MouseButton.LeftButton)


def choose(qtbot: Any, editor: RiskEditor, factors: RiskFactors) -> None:
    for name, level in factors.as_dict().items():
        click(qtbot, editor, name, level)


def engine_answer(ctx: AppContext, worker_id: str, factors: RiskFactors) -> Any:
    """What the §5 engine says for this worker with these factors assessed today."""
    (facts,) = load_worker_facts(ctx.db, ctx.today(), worker_ids=[worker_id])
    assessed = Assessment(ctx.today(), factors, recorded_at="~", id="test")
    facts = replace(facts, assessments=(*facts.assessments, assessed))
    return worker_status(facts, current_policy(ctx.db), ctx.today())


@pytest.fixture
def experienced(ctx: AppContext) -> str:
    """Two years in post, with sessions of each type held at different times."""
    worker_id = add(ctx, "Ben Carter", 730)
    held(ctx, worker_id, LINE, 20)
    held(ctx, worker_id, CLINICAL, 10)
    ctx.workers.add_assessment(
        worker_id,
        ctx.today() - timedelta(days=40),
        RiskFactors(1, 1, 1, 1),
        assessed_by="Priya Raman",
        rationale="Stable caseload",
    )
    return worker_id


def test_each_factor_explains_what_1_2_and_3_mean(qtbot: Any, ctx: AppContext) -> None:
    editor = editor_for(qtbot, ctx, None)
    for name in FACTORS:
        title, _about, meanings = FACTOR_TEXT[name]
        assert set(meanings) == {1, 2, 3}
        assert len({meanings[1], meanings[2], meanings[3]}) == 3
        for level in (1, 2, 3):
            button = editor.factor_buttons[name][level]
            assert (
                button.accessibleName()
                == f"{title}: {level}, {['Low', 'Medium', 'High'][level - 1]}"
            )
            assert button.accessibleDescription() == meanings[level]
    assert "self-harm" in FACTOR_TEXT["cohort_risk"][2][3]
    assert "New in post" in FACTOR_TEXT["support_need"][2][3]


def test_preview_matches_the_engine_for_every_combination(
    qtbot: Any, ctx: AppContext, experienced: str
) -> None:
    editor = editor_for(qtbot, ctx, experienced)
    for values in itertools.product((1, 2, 3), repeat=4):
        factors = RiskFactors(*values)
        choose(qtbot, editor, factors)
        shown = editor.current_preview()
        expected = engine_answer(ctx, experienced, factors)
        assert shown == expected, factors
        assert editor.tier_label.text() == f"Tier: {expected.tier.value.capitalize()}"
        for type_ in (LINE, CLINICAL, GROUP):
            ts = expected.by_type[type_]
            assert editor.type_labels[type_].text().startswith(f"every {ts.interval_days} days")


def test_preview_updates_when_a_factor_changes(
    qtbot: Any, ctx: AppContext, experienced: str
) -> None:
    editor = editor_for(qtbot, ctx, experienced)
    assert editor.factors() == RiskFactors(1, 1, 1, 1)  # pre-filled from the latest
    assert editor.tier_label.text() == "Tier: Low"
    assert editor.type_labels[CLINICAL].text().startswith("every 42 days")

    click(qtbot, editor, "cohort_risk", 3)
    assert editor.tier_label.text() == "Tier: Standard"
    click(qtbot, editor, "volatility", 3)
    assert editor.tier_label.text() == "Tier: High"
    assert "two factors at 3 (cohort risk, volatility)" in editor.tier_reason.text()
    assert editor.type_labels[CLINICAL].text() == "every 14 days, due 30 Nov 2026"
    assert editor.type_labels[LINE].text().startswith("every 28 days")
    assert "last held 16 Nov 2026" in editor.type_reasons[CLINICAL].text()
    assert "Due soon" in editor.type_status[CLINICAL].text()

    click(qtbot, editor, "volatility", 1)
    assert editor.tier_label.text() == "Tier: Standard"
    assert editor.type_labels[CLINICAL].text().startswith("every 28 days")


def test_clicking_the_meaning_selects_the_level(
    qtbot: Any, ctx: AppContext, experienced: str
) -> None:
    editor = editor_for(qtbot, ctx, experienced)
    card = editor.factor_buttons["support_need"][3].parentWidget()
    qtbot.mouseClick(card, Qt.MouseButton.LeftButton)
    assert editor.factors().support_need == 3


def test_saving_adds_an_assessment_and_changes_the_schedule(
    qtbot: Any, ctx: AppContext, experienced: str
) -> None:
    before = ctx.workers.assessments(experienced)
    assert compute_schedule(ctx.db, ctx.today()).rows[0].status.tier is Tier.LOW
    editor = editor_for(qtbot, ctx, experienced)
    choose(qtbot, editor, RiskFactors(3, 2, 1, 3))
    preview = editor.current_preview()
    qtbot.keyClicks(editor.rationale, "Caseload now includes two people under crisis care")
    with qtbot.waitSignal(editor.assessment_saved) as saved:
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert saved.args == [experienced]

    after = ctx.workers.assessments(experienced)
    assert len(after) == len(before) + 1
    assert after[1:] == before  # the earlier one is unchanged
    newest = after[0]
    assert newest.factors == RiskFactors(3, 2, 1, 3)
    assert (newest.assessed_on, newest.tier) == (ctx.today(), Tier.HIGH)
    assert newest.assessed_by == "Priya Raman"  # pre-filled from the latest
    assert newest.rationale == "Caseload now includes two people under crisis care"
    row = compute_schedule(ctx.db, ctx.today(), worker_ids=[experienced]).rows[0]
    assert row.status.tier is Tier.HIGH
    assert row.status == preview  # what the preview promised is what the scheduler says
    assert editor.rationale.toPlainText() == ""  # ready for the next one
    assert editor.current_label.text().startswith("In force: High, assessed 26 Nov 2026")


def test_a_missing_rationale_saves_nothing(
    qtbot: Any, ctx: AppContext, experienced: str, warnings: list[str]
) -> None:
    editor = editor_for(qtbot, ctx, experienced)
    click(qtbot, editor, "cohort_risk", 3)
    with qtbot.assertNotEmitted(editor.assessment_saved):
        editor.save_button.click()
    assert len(warnings) == 1 and "rationale" in warnings[0]
    assert len(ctx.workers.assessments(experienced)) == 1


def test_a_missing_assessor_saves_nothing(
    qtbot: Any, ctx: AppContext, experienced: str, warnings: list[str]
) -> None:
    editor = editor_for(qtbot, ctx, experienced)
    editor.assessed_by.clear()
    qtbot.keyClicks(editor.rationale, "Because")
    editor.save_button.click()
    assert warnings and "who made this assessment" in warnings[0]
    assert len(ctx.workers.assessments(experienced)) == 1


def test_new_in_post_hint(qtbot: Any, ctx: AppContext) -> None:
    new = add(ctx, "Ana Kowalska", 20)
    old = add(ctx, "Ben Carter", 730)
    editor = editor_for(qtbot, ctx, new)
    assert not editor.hint_label.isHidden()
    assert editor.hint_label.text().startswith("New in post (20 days): support need is usually 3.")
    assert "lower score" in editor.hint_label.text()  # not assessed yet: support need is 2
    click(qtbot, editor, "support_need", 3)
    assert "lower score" not in editor.hint_label.text()

    editor.set_worker(old)
    assert editor.hint_label.isHidden()


def test_a_new_worker_starts_at_the_defaults_with_a_not_assessed_note(
    qtbot: Any, ctx: AppContext
) -> None:
    new = add(ctx, "Ana", 20)
    editor = editor_for(qtbot, ctx, new)
    assert editor.factors() == RiskFactors(2, 2, 2, 2)
    assert editor.current_label.text().startswith("Not assessed yet")
    # The new-starter cap shows in the preview: clinical at most every 7 days.
    assert editor.type_labels[CLINICAL].text().startswith("every 7 days")
    assert "new in post (20 days) → capped at 7" in editor.type_reasons[CLINICAL].text()


def test_a_backdated_assessment_warns_that_a_later_one_stays_in_force(
    qtbot: Any, ctx: AppContext, experienced: str
) -> None:
    editor = editor_for(qtbot, ctx, experienced)
    assert editor.preview_note.isHidden()
    editor.assessed_on.set_date(ctx.today() - timedelta(days=60))
    assert not editor.preview_note.isHidden()
    assert "later than this one" in editor.preview_note.text()


def test_a_future_dated_assessment_previews_that_date(
    qtbot: Any, ctx: AppContext, experienced: str
) -> None:
    editor = editor_for(qtbot, ctx, experienced)
    future = ctx.today() + timedelta(days=10)
    editor.assessed_on.set_date(future)
    assert "takes effect on 6 Dec 2026" in editor.preview_note.text()


def test_no_worker_disables_the_editor(qtbot: Any, ctx: AppContext) -> None:
    editor = editor_for(qtbot, ctx, None)
    assert not editor.isEnabled()
    assert editor.current_preview() is None
    assert editor.save() is False


def test_the_quick_preview_path_is_the_service_preview(ctx: AppContext, experienced: str) -> None:
    base = ctx.workers.preview_base(experienced, ctx.today())
    for values in ((1, 1, 1, 1), (3, 3, 1, 1), (2, 3, 2, 3), (3, 3, 3, 3)):
        factors = RiskFactors(*values)
        assert ctx.workers.preview_with(base, factors, ctx.today()) == ctx.workers.preview(
            experienced, factors, ctx.today()
        )
    blank = ctx.workers.preview_base(None, ctx.today())
    assert ctx.workers.preview_with(blank, RiskFactors(1, 1, 1, 1), ctx.today()) == (
        ctx.workers.preview(None, RiskFactors(1, 1, 1, 1), ctx.today())
    )


def test_the_preview_follows_changes_made_elsewhere_and_keeps_the_choices(
    qtbot: Any, ctx: AppContext, experienced: str
) -> None:
    editor = editor_for(qtbot, ctx, experienced)
    click(qtbot, editor, "cohort_risk", 3)
    assert editor.type_labels[CLINICAL].text() == "every 28 days, due 14 Dec 2026"
    held(ctx, experienced, CLINICAL, 0)  # a session recorded in another window
    editor.reload_facts()
    assert editor.factors().cohort_risk == 3
    assert editor.type_labels[CLINICAL].text() == "every 28 days, due 24 Dec 2026"


def test_unsaved_changes_are_noticed(qtbot: Any, ctx: AppContext, experienced: str) -> None:
    editor = editor_for(qtbot, ctx, experienced)
    assert not editor.has_unsaved_changes()  # pre-filled from the latest assessment
    click(qtbot, editor, "volatility", 2)
    assert editor.has_unsaved_changes()
    click(qtbot, editor, "volatility", 1)
    assert not editor.has_unsaved_changes()
    qtbot.keyClicks(editor.rationale, "Because")
    assert editor.has_unsaved_changes()
    editor.set_worker(experienced)
    assert not editor.has_unsaved_changes()
