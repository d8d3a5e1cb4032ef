"""kill -9 during encrypt, decrypt and change-passphrase, at 20 random moments each: the
database then opens with the old passphrase or the new one (or none, for a plain file), and
`check` passes on it."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from app.errors import WrongPassphraseError
from app.services.encryption import unlock
from app.services.integrity import check_database
from app.storage import keys
from tests.app.test_cli import PYTHON, REPO

PASS = "correct horse battery staple"
NEW_PASS = "purple elephant sings opera"
RUNS = 20

pytestmark = pytest.mark.slow


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
    env.update(extra)
    return env


def _command(op: str) -> tuple[list[str], dict[str, str]]:
    if op == "encrypt":
        return ["encrypt"], _env(KEEL_DB_PASSPHRASE=PASS)
    if op == "decrypt":
        return ["decrypt"], _env(KEEL_DB_PASSPHRASE=PASS)
    return ["change-passphrase"], _env(KEEL_DB_PASSPHRASE=PASS, KEEL_DB_NEW_PASSPHRASE=NEW_PASS)


@pytest.fixture(scope="module")
def states(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A plain demo database and the same encrypted with PASS."""
    root = tmp_path_factory.mktemp("states")
    plain = root / "plain"
    plain.mkdir()
    done = subprocess.run(
        [PYTHON, str(REPO / "main.py"), "--db", str(plain / "keel.db"), "demo"],
        env=_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    enc = root / "encrypted"
    shutil.copytree(plain, enc)
    done = subprocess.run(
        [PYTHON, str(REPO / "main.py"), "--db", str(enc / "keel.db"), "encrypt"],
        env=_env(KEEL_DB_PASSPHRASE=PASS), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return {"plain": plain, "encrypted": enc}


def _opens_and_checks(db: Path, candidates: list[str | None]) -> str | None:
    """Which of ``candidates`` (None: no passphrase, a plain file) opens ``db`` with `check`
    passing; fails the test when none does."""
    plain = db.read_bytes()[:16] == b"SQLite format 3\x00"
    for passphrase in candidates:
        keys.forget_key(db)
        if (passphrase is None) != plain:
            continue
        if passphrase is not None:
            try:
                unlock(db, passphrase)
            except WrongPassphraseError:
                continue
        report = check_database(db)
        assert report.ok, report.lines()
        return passphrase
    raise AssertionError(f"{db} opens with none of the passphrases: {os.listdir(db.parent)}")


@pytest.mark.parametrize(
    ("op", "start", "before", "after"),
    [
        ("encrypt", "plain", None, PASS),
        ("decrypt", "encrypted", PASS, None),
        ("change-passphrase", "encrypted", PASS, NEW_PASS),
    ],
)
def test_kill_9_at_random_moments_leaves_the_old_or_the_new_database_whole(
    op: str,
    start: str,
    before: str | None,
    after: str | None,
    states: dict[str, Path],
    tmp_path: Path,
) -> None:
    args, env = _command(op)
    # How long the whole command takes, to spread the kills over it.
    timing = tmp_path / "timing"
    shutil.copytree(states[start], timing)
    began = time.monotonic()
    done = subprocess.run(
        [PYTHON, str(REPO / "main.py"), "--db", str(timing / "keel.db"), *args],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    duration = time.monotonic() - began
    assert done.returncode == 0, done.stderr
    assert _opens_and_checks(timing / "keel.db", [after]) == after

    rng = random.Random(18)
    seen: dict[str | None, int] = {}
    killed = 0
    for run in range(RUNS):
        folder = tmp_path / f"run{run}"
        shutil.copytree(states[start], folder)
        proc = subprocess.Popen(
            [PYTHON, str(REPO / "main.py"), "--db", str(folder / "keel.db"), *args],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(rng.uniform(0.1, duration * 1.1))
        killed += proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        opened = _opens_and_checks(folder / "keel.db", [before, after])
        seen[opened] = seen.get(opened, 0) + 1
        # The next conversion starts cleanly from whatever was left.
        shutil.rmtree(folder)
    print(f"{op}: {killed} of {RUNS} killed while running; opened with {seen}")
    assert killed >= RUNS // 2, (killed, seen)  # the kills really landed mid-way


class _Crash(BaseException):
    """Stands for the process dying at a step (no cleanup runs: it is not an Exception)."""


@pytest.mark.parametrize(
    ("op", "step_name"),
    [
        (op, name)
        for op, names in (
            ("encrypt", ("copied", "verified", "key written", "swapped")),
            ("decrypt", ("copied", "verified", "swapped")),
            ("change-passphrase", ("wrapped", "key written")),
            ("new-recovery-key", ("copied", "verified", "key written", "swapped")),
        )
        for name in names
    ],
)
def test_dying_at_each_step_leaves_a_database_that_opens(
    op: str, step_name: str, states: dict[str, Path], tmp_path: Path, fast_kdf: None
) -> None:
    """Every step boundary of every conversion, deterministically (the random kills above
    may miss a narrow window)."""
    from app.services import encryption

    start = "plain" if op == "encrypt" else "encrypted"
    folder = tmp_path / "db"
    shutil.copytree(states[start], folder)
    db = folder / "keel.db"
    if start == "encrypted":
        unlock(db, PASS)

    def crash(name: str) -> None:
        if name == step_name:
            raise _Crash

    with pytest.raises(_Crash):
        if op == "encrypt":
            encryption.encrypt_database(db, PASS, step=crash)
        elif op == "decrypt":
            encryption.decrypt_database(db, step=crash)
        elif op == "change-passphrase":
            encryption.change_passphrase(db, NEW_PASS, step=crash)
        else:
            encryption.new_recovery_key(db, PASS, step=crash)
    candidates: list[str | None] = [None, PASS, NEW_PASS]
    assert _opens_and_checks(db, candidates) is not None or db.read_bytes()[:6] == b"SQLite"
