"""The command line's commands: each opens the database, calls app/ services and prints.

``run`` turns Keel's own errors into one sentence on stderr and an exit code (see app.cli).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from app import dbapi
from app.cli import (
    DB_NEW_PASSPHRASE_ENV,
    DB_PASSPHRASE_ENV,
    DB_RECOVERY_KEY_ENV,
    EXIT_OK,
    EXIT_PROBLEM,
    EXIT_USAGE,
    MIN_PASSPHRASE,
    PASSPHRASE_ENV,
)
from app.dates import uk
from app.errors import KeelError, StorageError, UsageError, storage_error_from
from app.logging_setup import error_kind
from app.paths import log_dir, resolve_db_path
from app.services.database import Database, close_database, open_database

if TYPE_CHECKING:
    from app.services.policy import PolicyService

log = logging.getLogger(__name__)


def _today() -> date:
    return date.today()


def _open(db_path: Path, *, create: bool = True) -> Database:
    """Open the database as every command does, saying on stderr when Keel had to put back a
    protection removed or changed outside Keel (each repair is in the audit trail)."""
    db = open_database(db_path, create=create)
    for sentence in db.repaired:
        sys.stderr.write(f"warning: {sentence} Keel has restored it and recorded this in the "
                         "audit trail; run `keel check`.\n")  # fmt: skip
    return db


def cmd_status(db_path: Path, args: argparse.Namespace, out: TextIO) -> int:
    from app.services.scheduling import compute_schedule, sort_worst_first, status_records

    db = _open(db_path)
    try:
        schedule = compute_schedule(db, args.as_of or _today())
    finally:
        close_database(db)
    if args.json:
        # One write: json.dump hands the stream a piece per token (168,000 writes for 1,000
        # workers, most of the command's half second).
        out.write(json.dumps(status_records(schedule), ensure_ascii=False, indent=2) + "\n")
        return EXIT_OK
    rows = sort_worst_first(schedule.rows)
    out.write(f"Due status as of {uk(schedule.as_of)} — {len(rows)} workers\n")
    _status_table(
        out,
        "Team",
        [(r.facts.team, r) for r in rows],
        schedule.compliance().percent,
        [(t, schedule.catalogue.short_label(t)) for t in schedule.types],
    )
    return EXIT_OK


def _status_table(
    out: TextIO,
    second: str,
    rows: list[tuple[str, Any]],
    pct: float | None,
    types: list[tuple[str, str]],
) -> None:
    """The status table: worker, ``second`` (team or team database), tier, one cell per type
    (``types``: key and heading; status and due date), then the compliance line."""
    header = f"{'Worker':<28} {second:<18} {'Tier':<9} " + " ".join(
        f"{heading:<24}" for _key, heading in types
    )
    out.write(header + "\n")
    for where, row in rows:
        cells = []
        for t, _heading in types:
            s = row.status.by_type.get(t)
            if s is None:  # a team whose policy has no such type
                cells.append(f"{'—':<24}")
                continue
            due = f" {uk(s.due)}" if s.due else ""
            cells.append(f"{s.status.label + due:<24}")
        tier = row.status.tier.value + ("" if row.status.assessed else "*")
        out.write(f"{row.facts.name[:28]:<28} {where[:18]:<18} {tier:<9} ")
        out.write(" ".join(cells) + "\n")
    out.write(f"Compliance: {'n/a' if pct is None else f'{pct:.0f}%'}  (* = not assessed)\n")


# The commands that bring data in may make a new database (and say so on stderr); every other
# command refuses a missing file (exit 2) and makes nothing, not even its folder.
CREATES_DATABASE = frozenset({"demo", "import-staff", "restore", "policy import"})
_NO_LOCAL_FILE = frozenset({"service"})


def _command_name(args: argparse.Namespace) -> str:
    """ "status", "policy import": the command as CREATES_DATABASE names it."""
    action = getattr(args, "policy_action", None) if args.command == "policy" else None
    return f"{args.command} {action}" if action else str(args.command)


@contextlib.contextmanager
def _new_database(db_path: Path) -> Iterator[bool]:
    """Around a command that may make the database: says so on stderr when it is missing, and
    if the command then fails, removes the new file and any folder made for it (a failed
    import leaves nothing behind). Yields whether the database is new."""
    created = not db_path.exists()
    folders = [p for p in (db_path.parent, *db_path.parent.parents) if not p.exists()]
    if created:
        sys.stderr.write(f"Creating a new database at {db_path}.\n")
    try:
        yield created
    except BaseException:
        if created:
            _discard_new_database(db_path, folders)
        raise


def _discard_new_database(db_path: Path, folders: list[Path]) -> None:
    for leftover in (db_path, *(Path(f"{db_path}{s}") for s in ("-wal", "-shm", "-journal"))):
        with contextlib.suppress(OSError):
            leftover.unlink()
    for folder in folders:  # innermost first
        with contextlib.suppress(OSError):
            folder.rmdir()


class _NothingImported(Exception):
    """An import refused with its problems (already written on stderr)."""


class _NothingSaved(Exception):
    """A policy import declined or refused (already said): its exit code."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def cmd_import(db_path: Path, args: argparse.Namespace, out: TextIO) -> int:
    from app.services.importing import ImportFailed, import_staff

    if not Path(args.file).is_file():
        raise UsageError(f"There is no file at {args.file}: check the path.")
    try:
        with _new_database(db_path):
            db = _open(db_path)
            try:
                result = import_staff(db, Path(args.file), today=_today())
            except ImportFailed as failed:
                sys.stderr.write(
                    f"Nothing was imported: {len(failed.problems)} problem(s) in {args.file}.\n"
                )
                for problem in failed.problems:
                    sys.stderr.write(f"{problem}\n")
                raise _NothingImported from failed
            finally:
                close_database(db)
    except _NothingImported:
        return EXIT_USAGE
    for warning in result.warnings:
        sys.stderr.write(f"warning: {warning}\n")
    out.write(result.summary() + "\n")
    return EXIT_OK


def cmd_demo(db_path: Path, args: argparse.Namespace, out: TextIO) -> int:
    from app.services.demo import load_demo

    with _new_database(db_path):
        db = _open(db_path)
        try:
            summary = load_demo(db, today=_today())
        finally:
            close_database(db)
    out.write(summary + "\n")
    return EXIT_OK


def cmd_check(db_path: Path, args: argparse.Namespace, out: TextIO) -> int:
    from app.services.integrity import check_database

    if not db_path.exists():
        raise UsageError(f"There is no database at {db_path}: check the path.")
    against = None
    passphrase = None
    if args.against:
        against = Path(args.against).expanduser()
        if not against.is_file():
            what = "a folder" if against.is_dir() else "no file"
            raise UsageError(f"There is {what} at {against}: check the path of the backup.")
        passphrase = _existing_passphrase(against)
    report = check_database(db_path, against=against, passphrase=passphrase)
    for line in report.lines():
        out.write(line + "\n")
    return EXIT_OK if report.ok else EXIT_PROBLEM


def _existing_passphrase(backup: Path) -> str | None:
    """An encrypted backup's passphrase (its own, from the environment variable; else the
    database's of that day, for the backup of an encrypted database; else asked once); None
    when the backup needs none (plain, or opened by the key of the unlocked database)."""
    import os

    from app.services.backup import needs_passphrase

    if not needs_passphrase(backup):
        return None
    return (
        os.environ.get(PASSPHRASE_ENV)
        or os.environ.get(DB_PASSPHRASE_ENV)
        or _ask_passphrase(f"Passphrase (or recovery key) of {backup.name}: ")
    )


def cmd_rebuild_summary(db_path: Path, args: argparse.Namespace, out: TextIO) -> int:
    """The scheduler reads each worker's latest held session and risk assessment from summary
    tables kept by triggers; `check` compares them with the records. This recomputes them from
    the records in one transaction (records themselves are not touched), unless `check` finds
    evidence changed outside Keel."""
    from app.services.integrity import rebuild_summary

    if not db_path.exists():
        raise UsageError(f"There is no database at {db_path}: check the path.")
    wrong = rebuild_summary(db_path).corrected
    out.write(
        f"Rebuilt the scheduler's summary from the records ({wrong} wrong entr"
        f"{'y' if wrong == 1 else 'ies'} corrected). `check` will now report it ok.\n"
    )
    return EXIT_OK


def cmd_export(db_path: Path, args: argparse.Namespace, out: TextIO) -> int:
    from app.services.exports import ExportService

    if not db_path.exists():
        raise UsageError(f"There is no database at {db_path}: check the path.")
    target = Path(args.out)
    db = _open(db_path, create=False)
    try:
        service = ExportService(db, today=_today)
        if args.report == "record":
            service.record(args.id, target, include_confidential=args.include_confidential)
        elif args.report == "worker":
            service.worker_history(
                args.id, args.date_from, args.date_to, target,
                include_confidential=args.include_confidential,
            )  # fmt: skip
        elif args.report == "compliance":
            service.compliance(args.date_from, args.date_to, target)
        elif args.report == "agenda":
            from app.domain.governance import Forum

            service.mdt_agenda(args.meeting_date or _today(), Forum(args.forum), target)
        else:
            service.blank(args.type, target)
    except KeyboardInterrupt:
        sys.stderr.write("The export was cancelled: no file was written.\n")
        return EXIT_PROBLEM
    finally:
        close_database(db)
    out.write(f"Wrote {target}\n")
    return EXIT_OK


def cmd_export_ics(db_path: Path, args: argparse.Namespace, out: TextIO) -> int:
    from app.services.calendar import export_calendar

    if not db_path.exists():
        raise UsageError(f"There is no database at {db_path}: check the path.")
    db = _open(db_path, create=False)
    try:
        result = export_calendar(db, args.date_from, args.date_to, Path(args.out))
    finally:
        close_database(db)
    out.write(result.summary() + "\n")
    return EXIT_OK


def _ask_passphrase(prompt: str) -> str:
    import getpass
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", getpass.GetPassWarning)
        try:
            return getpass.getpass(prompt)
        except EOFError:
            return ""


def _ask_password(prompt: str) -> str:
    """The service password, asked only at a terminal (a script without one gets no prompt:
    it sets KEEL_SERVICE_PASSWORD or puts the password in the URL)."""
    if sys.stdin is None or not sys.stdin.isatty():
        return ""
    return _ask_passphrase(prompt)


def _new_passphrase() -> str:
    """For an encrypted backup: the environment variable, else asked twice."""
    import os

    passphrase = os.environ.get(PASSPHRASE_ENV, "")
    if not passphrase:
        passphrase = _ask_passphrase("Passphrase for the encrypted backup: ")
        if not passphrase:
            raise UsageError(f"No passphrase given: type one, or set {PASSPHRASE_ENV}.")
        if _ask_passphrase("The same passphrase again: ") != passphrase:
            raise UsageError("The two passphrases differ: nothing was written. Try again.")
    if len(passphrase) < MIN_PASSPHRASE:
        raise UsageError(
            f"Use a passphrase of at least {MIN_PASSPHRASE} characters: nothing was written."
        )
    return passphrase


def cmd_backup(db_path: Path, args: argparse.Namespace, out: TextIO) -> int:
    """A backup never writes to the database, so it also runs while Keel has the file open
    (a scheduled backup must not fail because a team lead left Keel open): it then copies
    what Keel has saved, from one consistent snapshot."""
    from app.services.autobackup import (
        backup_folder,
        change_marker,
        ensure_folder,
        folder_warning,
        record_backup,
        rotate,
    )
    from app.services.backup import backup_database
    from app.services.database import connect, inspect_file
    from app.services.instance import AlreadyRunningError, InstanceLock

    if not db_path.exists():
        raise UsageError(f"There is no database at {db_path}: check the path.")
    passphrase = _new_passphrase() if args.encrypt else None
    inspect_file(db_path)  # refuses an empty, foreign, newer or damaged file, unchanged
    lock = InstanceLock(db_path)
    try:
        # Keel has it open, or the folder is read-only: back up without the lock (read only).
        with contextlib.suppress(AlreadyRunningError, StorageError):
            lock.acquire()
        db = connect(db_path)
        try:
            folder = Path(args.to).expanduser().absolute() if args.to else backup_folder(db)
            warning = folder_warning(folder)
            if warning:
                sys.stderr.write(f"warning: {warning}\n")
            marker = change_marker(db) if lock.held else None
            ensure_folder(folder)
            try:
                result = backup_database(db, folder, passphrase=passphrase)
            except KeyboardInterrupt:
                sys.stderr.write("The backup was cancelled: nothing was written.\n")
                return EXIT_PROBLEM
            # The backup is made and verified: what follows is bookkeeping, and its failure
            # (a read-only or locked database) is a warning — the exit code is the backup's.
            try:
                if marker is not None:
                    record_backup(db, result, marker)
                if not args.to:
                    # The backup folder rotates like the daily backups (a nightly cron job
                    # must not fill the disk); a folder named with --to is the administrator's.
                    pruned = rotate(db, folder, _today())
                    if pruned:
                        out.write(f"Rotation removed {len(pruned)} older backup(s).\n")
            except (KeelError, dbapi.Error, OSError) as exc:
                log.warning("after the backup: %s", error_kind(exc))
                sys.stderr.write(
                    f"warning: the backup was written and verified, but Keel could not note it "
                    f"in the database or rotate older backups ({exc}).\n"
                )
        finally:
            if lock.held:
                close_database(db)
            else:
                db.close()
    finally:
        lock.release()
    out.write(result.summary() + "\n")
    return EXIT_OK


def _agreed(args: argparse.Namespace, question: str, out: TextIO, refused: str) -> bool:
    """``--yes``, or the person answers yes; otherwise ``refused`` goes to stderr."""
    try:
        confirmed = bool(args.yes) or _confirm(question, out)
    except KeyboardInterrupt:
        confirmed = False
    if not confirmed:
        sys.stderr.write(f"{refused}\n")
    return confirmed


def _confirm(question: str, out: TextIO) -> bool:
    out.write(question)
    out.flush()
    answer = sys.stdin.readline()
    return answer.strip().casefold() in ("y", "yes")


def cmd_restore(db_path: Path, args: argparse.Namespace, out: TextIO) -> int:
    """Validate the backup, show what it holds, confirm, then restore it into the database
    (through SQLite's backup API, after a safety copy) while holding the instance lock."""
    import os

    from app.paths import default_backup_dir
    from app.services.autobackup import ensure_folder
    from app.services.backup import prepared_backup, restore_into_file
    from app.services.backup_files import ANOTHER_DATABASE
    from app.services.instance import InstanceLock
    from app.services.restore_compare import compare_with_file

    candidate = Path(args.file).expanduser()
    if not candidate.is_file():
        what = "a folder" if candidate.is_dir() else "no file"
        raise UsageError(f"There is {what} at {candidate}: check the path. Nothing was restored.")
    with InstanceLock(db_path):
        passphrase = _existing_passphrase(candidate)
        with prepared_backup(
            candidate, passphrase=passphrase, workdir=db_path.parent, into=db_path
        ) as ready:
            out.write(f"{candidate} holds {ready.info.describe()}.\n")
            comparison = compare_with_file(ready, db_path)
            out.write(comparison.table() + "\n")
            warning = comparison.warning()
            if warning:
                out.write(warning + "\n")
            if comparison.another_database and not args.yes:
                # Never on a single keypress, not even at a terminal: a script's --yes is the
                # second confirmation.
                sys.stderr.write(
                    f"Nothing was restored: {ANOTHER_DATABASE}. To replace the data in "
                    f"{db_path} with it, run the command again with --yes.\n"
                )
                return EXIT_USAGE
            question = (
                f"Replace all the data in {db_path} with this backup? (The current data is "
                "kept in a safety copy.) [y/N] "
            )
            if not _agreed(args, question, out, "Nothing was restored."):
                return EXIT_PROBLEM
            ensure_folder(default_backup_dir())
            if not db_path.exists():
                sys.stderr.write(f"Creating a new database at {db_path} from the backup.\n")
            try:
                result = restore_into_file(
                    db_path, ready, default_backup_dir(),
                    another_database=comparison.another_database,
                    db_passphrase=os.environ.get(DB_PASSPHRASE_ENV) or None,
                    ask_db_passphrase=_ask_db_passphrase_to_keep(db_path),
                )  # fmt: skip
            except KeyboardInterrupt:
                sys.stderr.write(
                    f"The restore was interrupted. Run `check` on {db_path}; a safety copy of "
                    f"the data before the restore, if one was made, is in {default_backup_dir()}.\n"
                )
                return EXIT_PROBLEM
    out.write(result.summary() + "\n")
    return EXIT_OK


def _ask_db_passphrase_to_keep(db_path: Path) -> Callable[[], str | None] | None:
    """At a terminal: ask the database's passphrase, to rebuild a missing or damaged encrypted
    database encrypted from a backup made before it was encrypted (only asked then)."""
    if not _has_terminal():
        return None

    def ask() -> str | None:
        sys.stderr.write(
            f"{db_path.name} was encrypted and this backup is not: Keel restores it encrypted "
            "with the database's own key.\n"
        )
        return _ask_passphrase(f"Passphrase of {db_path.name}: ") or None

    return ask


def cmd_policy(db_path: Path, args: argparse.Namespace, out: TextIO) -> int:
    """``keel policy show|export FILE|import FILE``: see app.services.policy_file."""
    from app.domain.policy import Policy
    from app.services.policy_file import read_policy_file

    today = _today()
    text = ""
    if args.policy_action == "import":
        text = _read_text(Path(args.file))
        if not db_path.exists():
            # A fresh laptop's database is only made once the file has been read and found
            # sound; an import declined or refused after that leaves no database behind.
            read_policy_file(text, Policy())
            try:
                with _new_database(db_path):
                    code = _policy_command(db_path, args, text, today, out)
                    if code != EXIT_OK:
                        raise _NothingSaved(code)
            except _NothingSaved as nothing:
                return nothing.code
            return code
    elif not db_path.exists():
        raise UsageError(f"There is no database at {db_path}: check the path.")
    return _policy_command(db_path, args, text, today, out)


def _policy_command(
    db_path: Path, args: argparse.Namespace, text: str, today: date, out: TextIO
) -> int:
    from app.services.policy import PolicyService
    from app.services.policy_file import describe_policy, policy_to_toml

    db = open_database(db_path)
    try:
        service = PolicyService(db)
        history = service.history()
        if args.policy_action == "show":
            out.write(describe_policy(history.in_force(today), list(history.versions), today))
            return EXIT_OK
        if args.policy_action == "export":
            target = Path(args.file)
            latest = history.latest
            _write_text(target, policy_to_toml(latest.policy, latest))
            out.write(f"Wrote version {latest.version} of the policy to {target}\n")
            return EXIT_OK
        return _import_policy(service, text, args, today, out)
    finally:
        close_database(db)


def _import_policy(
    service: PolicyService, text: str, args: argparse.Namespace, today: date, out: TextIO
) -> int:
    import getpass

    from app.domain.policy import differences
    from app.services.policy_file import read_policy_file

    latest = service.history().latest
    policy = read_policy_file(text, latest.policy)
    changes = differences(latest.policy, policy)
    if not changes:
        out.write(
            f"The file changes nothing: the policy is already as it says (version "
            f"{latest.version}). Nothing was saved.\n"
        )
        return EXIT_OK
    effective = args.effective or today
    service.check_effective(effective)
    things = "1 thing" if len(changes) == 1 else f"{len(changes)} things"
    out.write(f"{Path(args.file).name} changes {things} in version {latest.version}:\n")
    for line in changes:
        out.write(f"  {line}\n")
    out.write(service.status_changes(policy, max(effective, today)).summary() + "\n")
    question = f"Save this as a new version, in force from {uk(effective)}? [y/N] "
    if not _agreed(args, question, out, "Nothing was saved."):
        return EXIT_PROBLEM
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "administrator"
    saved = service.save(
        policy,
        effective_from=effective,
        reason=args.reason or f"Imported from {Path(args.file).name}",
        by=f"{user} (keel policy import)",
        today=today,
    )
    out.write(f"Saved as version {saved.version.version}, in force {saved.version.since}.\n")
    return EXIT_OK


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise UsageError(f"There is no file at {path}: check the path.")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path} is not a text file in UTF-8: is it a policy file?") from exc


def _write_text(target: Path, text: str) -> None:
    """Write beside ``target`` and rename into place: never a half-written file."""
    import os
    import tempfile

    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"The folder {folder} does not exist: create it or choose another.")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".keel-tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------- encryption

NEEDS_TERMINAL = "this database is encrypted: set KEEL_DB_PASSPHRASE or run in a terminal"


def _has_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):
        return False


def _secret_from(env: str, prompt: str, missing: str) -> str:
    """A secret from the environment variable ``env``, else asked on the terminal (never from
    the command line, where other users could read it in the process list)."""
    import os

    value = os.environ.get(env, "")
    if value:
        return value
    if not _has_terminal():
        raise UsageError(missing)
    value = _ask_passphrase(prompt)
    if not value:
        raise UsageError(f"Nothing was typed: nothing was changed. ({missing})")
    return value


def _new_db_passphrase(env: str, what: str) -> str:
    """A new passphrase for the database: from ``env``, else typed twice; checked against the
    rules (12 characters, or four words)."""
    import os

    from app.services.encryption import check_new_passphrase

    passphrase = os.environ.get(env, "")
    if not passphrase:
        if not _has_terminal():
            raise UsageError(f"No {what} given: set {env} or run in a terminal.")
        passphrase = _ask_passphrase(
            f"{what.capitalize()} (12 characters or more, or four words): "
        )
        if _ask_passphrase("The same again: ") != passphrase:
            raise UsageError("The two passphrases differ: nothing was changed. Try again.")
    check_new_passphrase(passphrase)
    return passphrase


def unlock_database(db_path: Path) -> None:
    """If ``db_path`` is encrypted, derive its key from KEEL_DB_PASSPHRASE, else from a
    passphrase typed on the terminal (three tries), else exit 2."""
    import os

    from app.errors import WrongPassphraseError
    from app.services.encryption import needs_key, unlock

    if not needs_key(db_path):
        return
    passphrase = os.environ.get(DB_PASSPHRASE_ENV, "")
    if passphrase:
        unlock(db_path, passphrase)
        return
    if not _has_terminal():
        raise UsageError(NEEDS_TERMINAL)
    for attempt in range(3):
        typed = _ask_passphrase(f"Passphrase of {db_path.name}: ")
        if not typed:
            raise UsageError("No passphrase typed: the database was not opened.")
        try:
            unlock(db_path, typed)
            return
        except WrongPassphraseError:
            if attempt == 2:
                raise
            sys.stderr.write("The passphrase is wrong. Try again.\n")


def cmd_encrypt(db_path: Path, args: argparse.Namespace, out: TextIO) -> int:
    from app.services.encryption import encrypt_database, encryption_status
    from app.services.instance import InstanceLock

    if not db_path.exists():
        raise UsageError(f"There is no database at {db_path}: check the path.")
    if encryption_status(db_path):
        raise UsageError(f"{db_path} is already encrypted: nothing was changed.")
    passphrase = _new_db_passphrase(DB_PASSPHRASE_ENV, "passphrase for the database")
    with InstanceLock(db_path):
        sys.stderr.write(
            "Encrypting. Without the passphrase AND the recovery key the data cannot be "
            "recovered by anyone.\n"
        )
        recovery = encrypt_database(db_path, passphrase)
    out.write(recovery + "\n")
    out.flush()
    sys.stderr.write(
        f"{db_path} is encrypted. The line on standard output is its recovery key, shown "
        "this once: print it or write it down and lock it away. Backups made before today "
        "are not encrypted: delete them or keep them somewhere safe.\n"
    )
    return EXIT_OK


def cmd_decrypt(db_path: Path, args: argparse.Namespace, out: TextIO) -> int:
    from app.services.encryption import decrypt_database
    from app.services.instance import InstanceLock

    with InstanceLock(db_path):
        decrypt_database(db_path)
    out.write(f"{db_path} is no longer encrypted: anyone who copies the file can read it.\n")
    return EXIT_OK


def cmd_change_passphrase(db_path: Path, args: argparse.Namespace, out: TextIO) -> int:
    from app.services.encryption import change_passphrase
    from app.services.instance import InstanceLock

    passphrase = _new_db_passphrase(DB_NEW_PASSPHRASE_ENV, "new passphrase")
    with InstanceLock(db_path):
        change_passphrase(db_path, passphrase)
    out.write(f"The passphrase of {db_path} was changed. Its recovery key is unchanged.\n")
    return EXIT_OK


def cmd_unlock_with_recovery_key(db_path: Path, args: argparse.Namespace, out: TextIO) -> int:
    from app.services.encryption import unlock_with_recovery_key
    from app.services.instance import InstanceLock

    if not db_path.is_file():
        raise UsageError(f"There is no database at {db_path}: check the path.")
    recovery = _secret_from(
        DB_RECOVERY_KEY_ENV,
        "Recovery key: ",
        f"No recovery key given: set {DB_RECOVERY_KEY_ENV} or run in a terminal.",
    )
    passphrase = _new_db_passphrase(DB_NEW_PASSPHRASE_ENV, "new passphrase")
    with InstanceLock(db_path):
        unlock_with_recovery_key(db_path, recovery, passphrase)
    out.write(
        f"{db_path} opened with its recovery key; the new passphrase is set. The recovery "
        "key stays the same.\n"
    )
    return EXIT_OK


def cmd_new_recovery_key(db_path: Path, args: argparse.Namespace, out: TextIO) -> int:
    import os

    from app.services.encryption import new_recovery_key
    from app.services.instance import InstanceLock

    # The new key is wrapped by the new passphrase if one is given, else by the current one.
    passphrase = os.environ.get(DB_NEW_PASSPHRASE_ENV) or os.environ.get(DB_PASSPHRASE_ENV, "")
    if not passphrase:
        passphrase = _new_db_passphrase(DB_NEW_PASSPHRASE_ENV, "passphrase (the same or a new one)")
    with InstanceLock(db_path):
        recovery = new_recovery_key(db_path, passphrase)
    out.write(recovery + "\n")
    sys.stderr.write(
        f"{db_path} was re-encrypted: the line on standard output is its new recovery key "
        "(the old one no longer opens it). Print it or write it down and lock it away.\n"
    )
    return EXIT_OK


# Commands that open no encrypted database first: encrypt and the recovery key take care of
# it themselves; the service commands use no local file.
_NO_UNLOCK = frozenset({"encrypt", "unlock-with-recovery-key", "service"})


def cmd_service(db_path: Path, args: argparse.Namespace, out: TextIO) -> int:
    """``service init`` / ``add-team`` / ``status``: the service's PostgreSQL, no local file."""
    if args.service_command == "status":
        return _service_status(args, out)
    from app.services.service_setup import add_service_team, init_service

    if args.service_command == "init":
        outcome = init_service(args.url, _ask_password)
    else:
        outcome = add_service_team(args.url, args.name, _ask_password)
    for line in outcome.lines:
        out.write(line + "\n")
    if outcome.url is not None:
        out.write(outcome.url + "\n")  # the last line, for scripts
    return EXIT_OK


def _service_status(args: argparse.Namespace, out: TextIO) -> int:
    from app.services.service_view import load_service_schedule, service_status_records

    view = load_service_schedule(args.url, args.as_of or _today(), ask=_ask_password)
    if args.json:
        json.dump(service_status_records(view), out, ensure_ascii=False, indent=2)
        out.write("\n")
        return EXIT_OK
    out.write(
        f"Due status across the service as of {uk(view.as_of)} — {len(view.teams)} teams, "
        f"{len(view.rows)} workers\n"
    )
    for team in view.teams:
        stale = " (stale)" if team.stale else ""
        out.write(f"  {team.name}: {team.last_publish_words}{stale}\n")
    rows = view.worst_first()
    # Each team's own policy: every type any team uses, headed by its key.
    keys = list(dict.fromkeys(k for r in rows for k in r.status.by_type))
    _status_table(
        out,
        "Source",
        [(r.source, r) for r in rows],
        view.compliance().percent,
        [(k, k.replace("_", " ").capitalize()) for k in keys],
    )
    return EXIT_OK


def cmd_publish(db_path: Path, args: argparse.Namespace, out: TextIO) -> int:
    """Publish what changed since the last publish to the service's PostgreSQL."""
    from app.services.publishing import publish_file

    if not db_path.exists():
        raise UsageError(f"There is no database at {db_path}: check the path.")
    try:
        result = publish_file(db_path, args.url, ask=_ask_password)
    except KeyboardInterrupt:
        sys.stderr.write(
            "The publish was interrupted: what reached the service is complete, and the next "
            "publish carries on from there.\n"
        )
        return EXIT_PROBLEM
    out.write(result.summary() + "\n")
    return EXIT_OK


_HANDLERS: dict[str, Callable[[Path, argparse.Namespace, TextIO], int]] = {
    "status": cmd_status,
    "import-staff": cmd_import,
    "demo": cmd_demo,
    "check": cmd_check,
    "rebuild-summary": cmd_rebuild_summary,
    "export-pdf": cmd_export,
    "export-ics": cmd_export_ics,
    "backup": cmd_backup,
    "restore": cmd_restore,
    "policy": cmd_policy,
    "encrypt": cmd_encrypt,
    "decrypt": cmd_decrypt,
    "change-passphrase": cmd_change_passphrase,
    "unlock-with-recovery-key": cmd_unlock_with_recovery_key,
    "new-recovery-key": cmd_new_recovery_key,
    "publish": cmd_publish,
    "service": cmd_service,
}


def run(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """Run one command; turn Keel's own errors into a sentence and an exit code."""
    db_path = resolve_db_path(args.db)
    from app.services.temporaries import clean_for_database

    clean_for_database(db_path)  # what an interrupted Keel left behind (never a running one's)
    try:
        if (
            _command_name(args) not in CREATES_DATABASE
            and args.command not in _NO_LOCAL_FILE
            and not db_path.exists()
        ):
            raise UsageError(
                f"There is no database at {db_path}: check the path. Nothing was created "
                "(only demo, import-staff, restore and policy import make a new database)."
            )
        if args.command not in _NO_UNLOCK:
            unlock_database(db_path)
        return _HANDLERS[args.command](db_path, args, out)
    except UsageError as exc:
        sys.stderr.write(f"{exc}\n")
        return EXIT_USAGE
    except StorageError as exc:
        sys.stderr.write(f"{exc}\n")
        return EXIT_PROBLEM
    except KeelError as exc:
        sys.stderr.write(f"{exc}\n")
        return EXIT_PROBLEM
    except OSError as exc:
        sys.stderr.write(f"{exc.strerror or exc}: {exc.filename or ''}\n".replace(": \n", "\n"))
        return EXIT_USAGE
    except dbapi.Error as exc:
        # Damage that the checks on opening missed, a full disk, a lock: the environment.
        log.warning("%s failed on the database: %s", args.command, error_kind(exc))
        sys.stderr.write(f"{storage_error_from(exc, f'run {args.command} on {db_path}')}\n")
        return EXIT_PROBLEM
    except Exception as exc:
        # A bug: the details go to the log, the person gets one sentence and where to look.
        log.exception("%s failed", args.command)
        sys.stderr.write(
            f"Keel failed unexpectedly while running {args.command} ({type(exc).__name__}: "
            f"{exc}). This is a bug; the details are in {log_dir() / 'keel.log'}.\n"
        )
        return EXIT_PROBLEM
