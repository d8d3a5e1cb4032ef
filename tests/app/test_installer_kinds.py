"""The installed build carries every module that registers a kind of evidence: they are
imported by name, which PyInstaller cannot see (the built self-test failed with
"No module named 'app.storage.countersign_evidence'")."""

from __future__ import annotations

from pathlib import Path

from app.storage.evidence_registry import KIND_MODULES

SPEC = Path(__file__).resolve().parents[2] / "installer.spec"


def test_installer_spec_names_every_evidence_kind_module() -> None:
    text = SPEC.read_text(encoding="utf-8")
    missing = [m for m in KIND_MODULES if f'"{m}"' not in text]
    assert missing == [], missing
