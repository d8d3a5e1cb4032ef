"""Errors Keel raises on purpose. Each carries a message a person can act on.

Environment problems (disk full, read-only, locked, damaged or foreign files) are
``StorageError`` subclasses with a clear sentence; anything else is a bug and reaches the crash
dialog or, on the command line, the log.
"""

from __future__ import annotations

from app import dbapi


class KeelError(Exception):
    """Base class: ``str(err)`` is a sentence for the user, ending with what to do."""


class UsageError(KeelError):
    """Bad input from the user (a file, an option, a value)."""


class StorageError(KeelError):
    """The database or the disk is not in a state where Keel can work safely."""


class NotADatabaseError(StorageError):
    pass


class EmptyFileError(StorageError):
    pass


class ForeignDatabaseError(StorageError):
    pass


class NewerSchemaError(StorageError):
    pass


class DamagedDatabaseError(StorageError):
    pass


class WrongPassphraseError(UsageError):
    """The passphrase (or recovery key) does not open this database: bad input, exit 2. The
    file has not been changed."""


class KeyFileError(StorageError):
    """An encrypted database's key file is missing, damaged or another database's: exit 1."""


class RecoveryKeyFormatError(UsageError):
    """What was typed is not a recovery key (its length, a character, its checksum)."""


class EncryptedDatabaseError(StorageError):
    """The database is encrypted and no key for it is known in this process yet: ask for the
    passphrase (the GUI) or read it from KEEL_DB_PASSPHRASE / a terminal (the command line)."""


class SaveError(StorageError):
    """A write failed: the last change was not saved."""


class ServiceError(StorageError):
    """The service's PostgreSQL cannot be used as asked (the second store: app.server)."""


class ServiceUnreachableError(ServiceError):
    """No server answered at that address (down, wrong host or port, no network)."""


class ServiceAuthError(ServiceError):
    """The server refused the login: wrong password, or no such role."""


class ServiceTLSError(ServiceError):
    """The server's identity could not be verified over TLS (or it offers no TLS)."""


class ServiceSchemaError(ServiceError):
    """The server's Keel schema is missing, older or newer than this Keel understands."""


class ServiceRefusedError(ServiceError):
    """The server refused what was asked (permissions, row-level security, a wrong login)."""


def storage_error_from(exc: dbapi.Error, doing: str) -> StorageError:
    """Turn a SQLite error caused by the environment into a message that says what to do."""
    text = str(exc).lower()
    if "disk is full" in text or "database or disk is full" in text:
        why = "the disk is full. Free some space, then try again"
    elif "readonly" in text or "read-only" in text:
        why = "the database file or its folder is read-only. Check its permissions or open a copy"
    elif "locked" in text or "busy" in text:
        why = "another program is writing to this database; try again"
    elif "malformed" in text or "not a database" in text or "corrupt" in text:
        why = (
            "the database file is damaged. Restore the latest backup "
            "(Data → Restore, or `python main.py restore FILE`)"
        )
    elif "unable to open" in text:
        why = "the file could not be opened. Check that the folder exists and you can write to it"
    elif "i/o" in text or "disk i/o" in text:
        why = "the disk reported an input/output error. Check the drive, then try again"
    else:
        why = f"SQLite reported: {exc}"
    err = SaveError if doing.startswith("sav") else StorageError
    return err(f"Could not {doing}: {why}.")
