"""The audit trail's witness: the head of its hash chain, kept outside the database.

Deleting entries from the *end* of the audit trail leaves a chain that still verifies. So Keel
keeps, in the user's state folder (``<state>/witness/``), one small JSON file per database
file, named by the database's id and a hash of its real path, that holds the sequence number
and hash of the last entry as of Keel's last audited write there. It is written after the
transaction commits (``Database.after_commit``), so it is never ahead of what is on disk: the
database's chain may be longer than its witness (Keel stopped between the two, or wrote the
file from another computer), never shorter.

Each update first checks that the head it replaces is still in the chain. When it is not —
entries were deleted from the end, or the trail rewritten, outside Keel, and Keel then wrote
again — the old head is kept in the file's ``lost`` list, so the loss stays visible to
``check`` however many entries follow.

A restore rewrites the witness from the restored chain (:func:`rewrite_after_commit`); its
audit entry names the head it replaced. Every backup carries a copy (``carried``, stored in the
backup's ``meta`` table under ``audit_witness``), so a restored or compared backup can show
that its own tail was cut.

:func:`compare` says what a witness and a chain disagree on, as sentences ``check`` prints.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from app.dates import uk
from app.paths import state_dir
from app.storage.db import Database, database_file, utc_now
from app.storage.identity import database_id

log = logging.getLogger(__name__)

CARRIED_KEY = "audit_witness"
_KEY = "witness"  # its slot in Database.after_commit


@dataclass(frozen=True)
class Lost:
    """A head the chain no longer holds: seen on ``seen_at``, found gone on ``noticed_at``."""

    seq: int
    hash: str
    seen_at: str
    noticed_at: str

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "hash": self.hash, "seen_at": self.seen_at,
                "noticed_at": self.noticed_at}  # fmt: skip


@dataclass(frozen=True)
class Witness:
    database_id: str
    path: str
    seq: int
    hash: str
    updated_at: str
    lost: tuple[Lost, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "database_id": self.database_id,
            "path": self.path,
            "seq": self.seq,
            "hash": self.hash,
            "updated_at": self.updated_at,
            "lost": [x.as_dict() for x in self.lost],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Witness:
        return cls(
            str(data["database_id"]),
            str(data.get("path", "")),
            int(data["seq"]),
            str(data["hash"]),
            str(data.get("updated_at", "")),
            tuple(
                Lost(int(x["seq"]), str(x["hash"]), str(x["seen_at"]), str(x["noticed_at"]))
                for x in data.get("lost", [])
            ),
        )


class UnreadableWitness(ValueError):
    """The witness file exists but cannot be read (damaged, or not Keel's)."""


def folder() -> Path:
    return state_dir() / "witness"


def witness_file(db_id: str, db_path: Path | str) -> Path:
    """Where the witness of the database ``db_id`` at ``db_path`` is kept."""
    where = hashlib.sha256(os.path.realpath(db_path).encode()).hexdigest()[:16]
    return folder() / f"{db_id}-{where}.json"


def read(db_id: str, db_path: Path | str) -> Witness | None:
    """The witness of that database at that path; None when there is none."""
    path = witness_file(db_id, db_path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UnreadableWitness(f"{path} cannot be read ({exc.strerror})") from exc
    try:
        found = Witness.from_dict(json.loads(text))
    except (ValueError, KeyError, TypeError) as exc:
        raise UnreadableWitness(f"{path} is damaged ({exc})") from exc
    if found.database_id != db_id:
        raise UnreadableWitness(f"{path} belongs to another database")
    return found


def write(w: Witness) -> Path:
    """Replace the witness file atomically (a temporary beside it, then a rename)."""
    path = witness_file(w.database_id, w.path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(w.as_dict(), indent=1), encoding="utf-8")
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return path


def _head(db: Database) -> tuple[int, str] | None:
    if "audit_log" not in db.table_names():
        return None
    row = db.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


def _hash_at(db: Database, seq: int) -> str | None:
    row = db.execute("SELECT hash FROM audit_log WHERE seq = ?", [seq]).fetchone()
    return None if row is None else str(row[0])


def _where(db: Database) -> tuple[str, Path] | None:
    path = database_file(db)
    if path is None or not db.keeps_witness:
        return None
    db_id = database_id(db)
    return None if db_id is None else (db_id, path)


def update_after_commit(db: Database) -> None:
    """Bring the witness up to the chain's head once the open transaction commits (a restore's
    rewrite, already asked for, is left in place)."""
    db.after_commit.setdefault(_KEY, _advance)


def refresh(db: Database) -> None:
    """Bring the witness up to the chain's head now (a file just created under its name)."""
    _advance(db)


def rewrite_after_commit(db: Database) -> None:
    """After a restore: the witness becomes the restored chain's head, forgetting the old."""
    db.after_commit[_KEY] = _rewrite


def _advance(db: Database) -> None:
    where = _where(db)
    if where is None:
        return
    db_id, path = where
    try:
        before = read(db_id, path)  # read before the head: never a head older than the witness
    except UnreadableWitness as exc:
        log.warning("the audit witness was replaced: %s", exc)
        before = None
    now = _head(db)
    if now is None:
        return
    lost = list(before.lost) if before is not None else []
    if before is not None and before.seq > 0:
        if before.seq > now[0] or _hash_at(db, before.seq) != before.hash:
            lost.append(Lost(before.seq, before.hash, before.updated_at, utc_now()))
            log.warning(
                "the audit trail no longer holds entry #%d that Keel last saw: entries were "
                "deleted or rewritten outside Keel (kept in the witness for `check`)",
                before.seq,
            )
        elif before.seq == now[0]:
            return
    write(Witness(db_id, os.path.realpath(path), now[0], now[1], utc_now(), tuple(lost)))


def _rewrite(db: Database) -> None:
    where = _where(db)
    now = _head(db) if where is not None else None
    if where is None or now is None:
        return
    db_id, path = where
    write(Witness(db_id, os.path.realpath(path), now[0], now[1], utc_now()))


def current(db: Database) -> Witness | None:
    """The witness of the open database (None when there is none or it cannot be read)."""
    where = _where(db)
    if where is None:
        return None
    try:
        return read(*where)
    except UnreadableWitness:
        return None


# --------------------------------------------------------------------------- in backups


def carried(db: Database, witness: Witness | None) -> dict[str, Any]:
    """What a backup of ``db`` carries: the head of its chain and the witness as it was."""
    now = _head(db)
    return {
        "database_id": database_id(db),
        "seq": now[0] if now else 0,
        "hash": now[1] if now else None,
        "at": utc_now(),
        "witness": witness.as_dict() if witness is not None else None,
    }


def from_carried(data: dict[str, Any]) -> Witness | None:
    """The witness a backup carried (its own chain's head when the outside one was behind)."""
    outside = data.get("witness")
    if isinstance(outside, dict):
        with contextlib.suppress(ValueError, KeyError, TypeError):
            w = Witness.from_dict(outside)
            if w.seq >= int(data.get("seq") or 0) or w.lost:
                return w
    if not data.get("hash"):
        return None
    return Witness(str(data.get("database_id") or ""), "", int(data["seq"]), str(data["hash"]),
                   str(data.get("at") or ""))  # fmt: skip


def carried_in(db: Database) -> Witness | None:
    """The witness stored inside the database file itself (a backup's), if any."""
    if "meta" not in db.table_names():
        return None
    row = db.execute("SELECT value FROM meta WHERE key = ?", [CARRIED_KEY]).fetchone()
    if row is None:
        return None
    try:
        return from_carried(json.loads(row[0]))
    except (ValueError, TypeError):
        return None


# --------------------------------------------------------------------------- comparing


def when(stamp: str) -> str:
    """A witness time stamp as a person reads it: 26 Nov 2026 14:05 UTC."""
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp or "an unknown time"
    return f"{uk(moment.date())} {moment:%H:%M} UTC"


@dataclass(frozen=True)
class Comparison:
    findings: list[str]
    warnings: list[str]


def compare(
    w: Witness, head: tuple[int, str] | None, hash_at: Callable[[int], str | None]
) -> Comparison:
    """What the chain (its ``head``, and ``hash_at(seq)``) and the witness disagree on."""
    findings: list[str] = []
    warnings: list[str] = []
    last = head[0] if head else 0
    seen = when(w.updated_at)
    if w.seq > last:
        if last == 0:
            findings.append(
                f"The audit trail is empty, but Keel's witness saw it reach entry #{w.seq} on "
                f"{seen}: every entry was deleted outside Keel."
            )
        else:
            one = w.seq == last + 1
            gone = f"entry #{w.seq} was" if one else f"entries #{last + 1}–#{w.seq} were"
            findings.append(
                f"The audit trail ends at entry #{last}, but Keel's witness saw it reach entry "
                f"#{w.seq} on {seen}: {gone} deleted from its end outside Keel."
            )
    elif w.seq > 0 and hash_at(w.seq) != w.hash:
        findings.append(
            f"Audit entry #{w.seq} is not the entry Keel's witness recorded on {seen}: the audit "
            "trail was rewritten outside Keel (from that entry or an earlier one)."
        )
    elif last > w.seq:
        newer = f"entry #{last} is" if last == w.seq + 1 else f"entries #{w.seq + 1}–#{last} are"
        warnings.append(
            f"Audit {newer} newer than Keel's witness of the trail "
            "on this computer (written by a Keel that stopped before updating it, by Keel on "
            "another computer, or added outside Keel)."
        )
    for missing in w.lost:
        findings.append(
            f"On {when(missing.noticed_at)} Keel found that audit entry #{missing.seq}, which it saw "
            f"on {when(missing.seen_at)}, was no longer in the trail: entries were deleted or the "
            "trail rewritten outside Keel before that."
        )
    return Comparison(findings, warnings)
