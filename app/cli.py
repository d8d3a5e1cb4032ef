"""The command line's arguments; the commands themselves are in app.commands, and the work is
done by app/ services.

Exit codes (a contract for administrators' scripts): 0 ok, 1 a problem found, 2 bad input or
usage. Errors are one sentence on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date

from app import __version__
from app.dates import parse_date

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_USAGE = 2

COMMANDS = (
    "import-staff",
    "status",
    "demo",
    "check",
    "rebuild-summary",
    "export-pdf",
    "export-ics",
    "backup",
    "restore",
    "policy",
    "encrypt",
    "decrypt",
    "change-passphrase",
    "unlock-with-recovery-key",
    "new-recovery-key",
    "publish",
    "service",
)
PASSPHRASE_ENV = "KEEL_BACKUP_PASSPHRASE"
DB_PASSPHRASE_ENV = "KEEL_DB_PASSPHRASE"
DB_NEW_PASSPHRASE_ENV = "KEEL_DB_NEW_PASSPHRASE"
DB_RECOVERY_KEY_ENV = "KEEL_DB_RECOVERY_KEY"
MIN_PASSPHRASE = 8


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # One sentence, as every other error: the full usage is one `--help` away.
        sys.stderr.write(f"keel: {message} (see `{self.prog} --help`).\n")
        raise SystemExit(EXIT_USAGE)


def _date_arg(text: str) -> date:
    try:
        return parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="keel",
        description="Keel: plan, record and evidence staff supervision. "
        "With no command, opens the desktop app.",
    )
    _add_global_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("import-staff", help="import staff from a spreadsheet tracker (CSV)")
    p.add_argument("file", metavar="FILE", help="CSV file (UTF-8, with or without a BOM)")

    p = sub.add_parser("status", help="due status of every worker and supervision type")
    p.add_argument("--as-of", type=_date_arg, metavar="DATE", help="YYYY-MM-DD (default today)")
    p.add_argument("--json", action="store_true", help="print JSON (one object per worker/type)")

    sub.add_parser("demo", help="fill an empty database with a realistic demo service")
    p = sub.add_parser(
        "check",
        help="verify the database: its integrity, and that nothing Keel keeps as evidence (signed "
        "records, the audit trail, assessments, leave, policies…) was changed outside Keel",
    )
    p.add_argument("--against", metavar="BACKUP", help="also verify that this backup's audit "
                   "trail is the beginning of the database's (an encrypted backup's passphrase "
                   f"from {PASSPHRASE_ENV}, else asked)")  # fmt: skip
    sub.add_parser(
        "rebuild-summary",
        help="recompute the scheduler's summary of the latest sessions and risk assessments "
        "from the records (when `check` reports it wrong); no record changes. Refused while "
        "`check` finds evidence changed outside Keel",
    )
    _add_export_parser(sub)
    _add_calendar_parser(sub)
    _add_backup_parsers(sub)
    _add_policy_parser(sub)
    _add_encryption_parsers(sub)
    _add_service_parsers(sub)
    return parser


def _add_policy_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("policy", help="the supervision policy: show it, or export or import the "
                       "policy file (TOML) that puts a service on one policy")  # fmt: skip
    actions = p.add_subparsers(dest="policy_action", metavar="ACTION", parser_class=_Parser)
    actions.required = True
    actions.add_parser("show", help="the policy in force today, its types and every version")
    e = actions.add_parser("export", help="write the latest policy version as a TOML file")
    e.add_argument("file", metavar="FILE", help="the .toml file to write (replaced if it exists)")
    i = actions.add_parser("import", help="save a TOML file's policy as a new version (shows "
                           "what changes and asks first)")  # fmt: skip
    i.add_argument("file", metavar="FILE", help="a policy file (TOML) as `policy export` writes")
    i.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    i.add_argument("--effective", type=_date_arg, metavar="DATE",
                   help="the date the new version takes effect (default today)")  # fmt: skip
    i.add_argument("--reason", metavar="TEXT",
                   help="why the policy changes (default: imported from FILE)")  # fmt: skip


def _add_encryption_parsers(sub: argparse._SubParsersAction[_Parser]) -> None:
    sub.add_parser(
        "encrypt",
        help=f"encrypt the database (passphrase from {DB_PASSPHRASE_ENV}, else asked twice); "
        "prints its recovery key once, on stdout",
    )
    sub.add_parser("decrypt", help="remove the database's encryption (asks for its passphrase)")
    sub.add_parser(
        "change-passphrase",
        help=f"set a new passphrase (from {DB_NEW_PASSPHRASE_ENV}, else asked twice); the "
        "recovery key stays the same",
    )
    sub.add_parser(
        "unlock-with-recovery-key",
        help=f"open the database with its recovery key (from {DB_RECOVERY_KEY_ENV}, else "
        f"asked) and set a new passphrase (from {DB_NEW_PASSPHRASE_ENV}, else asked twice)",
    )
    sub.add_parser(
        "new-recovery-key",
        help="re-encrypt the database with a new key, so the old recovery key stops working; "
        "prints the new recovery key once, on stdout",
    )


_URL_HELP = (
    "the service's PostgreSQL, postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE (default: "
    "KEEL_SERVICE_URL); without a password in it, KEEL_SERVICE_PASSWORD, the keyring or a prompt"
)


def _add_service_parsers(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("publish", help="publish this team's facts to the service's PostgreSQL "
                       "(only what changed since the last publish)")  # fmt: skip
    p.add_argument("--url", metavar="TEAM_URL", help=_URL_HELP + " (default: also the URL "
                   "saved with Data → Publish to the service…)")  # fmt: skip
    p = sub.add_parser("service", help="set up and read the service's PostgreSQL")
    kinds = p.add_subparsers(dest="service_command", metavar="ACTION", parser_class=_Parser)
    kinds.required = True
    i = kinds.add_parser("init", help="create (or upgrade) the service schema, the read-only "
                         "reader role and row-level security; prints the reader's URL once")  # fmt: skip
    i.add_argument("--url", metavar="ADMIN_URL", help=_URL_HELP)
    a = kinds.add_parser("add-team", help="create a login for one team database; prints its "
                         "URL once")  # fmt: skip
    a.add_argument("name", metavar="NAME", help="the team's name, as the service view shows it")
    a.add_argument("--url", metavar="ADMIN_URL", help=_URL_HELP)
    t = kinds.add_parser("status", help="every team's workers' due status, computed from the "
                         "published facts with each team's own policy")  # fmt: skip
    t.add_argument("--url", metavar="READER_URL", help=_URL_HELP)
    t.add_argument("--as-of", type=_date_arg, metavar="DATE", help="YYYY-MM-DD (default today)")
    t.add_argument("--json", action="store_true", help="print JSON: the keys of `status "
                   "--json` plus source (the team database's name)")  # fmt: skip


def _add_calendar_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("export-ics", help="write booked sessions as a calendar file (.ics) for "
                       "Outlook and other calendars (no record content; audited)")  # fmt: skip
    p.add_argument("--from", dest="date_from", required=True, type=_date_arg, metavar="D",
                   help="first day, YYYY-MM-DD or DD/MM/YYYY")  # fmt: skip
    p.add_argument("--to", dest="date_to", required=True, type=_date_arg, metavar="D",
                   help="last day, YYYY-MM-DD or DD/MM/YYYY")  # fmt: skip
    p.add_argument("--out", required=True, metavar="FILE",
                   help="the .ics file to write (replaced if it exists)")  # fmt: skip


def _add_backup_parsers(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("backup", help="make a verified backup of the database")
    p.add_argument("--to", metavar="DIR", help="folder for the backup (default: the backup "
                   "folder chosen in Keel, else 'backups' in your user data folder)")  # fmt: skip
    p.add_argument("--encrypt", action="store_true", help="encrypt it with a passphrase "
                   f"(asked twice, or from {PASSPHRASE_ENV})")  # fmt: skip
    p = sub.add_parser("restore", help="replace the database's data with a backup")
    p.add_argument("file", metavar="FILE", help="a Keel backup (.db or encrypted .keelenc)")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def _add_export_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    from app.domain.governance import Forum  # the commands' parsers are built only when used

    p = sub.add_parser("export-pdf", help="write a report as an A4 PDF (every export is audited)")
    kinds = p.add_subparsers(dest="report", metavar="REPORT", parser_class=_Parser)
    kinds.required = True
    out_help = "the PDF file to write (replaced if it exists)"
    conf_help = "include confidential reflective notes (left out unless asked for)"
    r = kinds.add_parser("record", help="one session record, with its signature blocks")
    r.add_argument("id", metavar="ID", help="the session's id")
    r.add_argument("--out", required=True, metavar="FILE", help=out_help)
    r.add_argument("--include-confidential", action="store_true", help=conf_help)
    w = kinds.add_parser("worker", help="a worker's history pack for a period")
    w.add_argument("id", metavar="ID", help="the worker's id")
    w.add_argument("--from", dest="date_from", required=True, type=_date_arg, metavar="D",
                   help="first day, YYYY-MM-DD or DD/MM/YYYY")  # fmt: skip
    w.add_argument("--to", dest="date_to", required=True, type=_date_arg, metavar="D",
                   help="last day, YYYY-MM-DD or DD/MM/YYYY")  # fmt: skip
    w.add_argument("--out", required=True, metavar="FILE", help=out_help)
    w.add_argument("--include-confidential", action="store_true", help=conf_help)
    c = kinds.add_parser("compliance", help="the team compliance pack for a period")
    c.add_argument("--from", dest="date_from", required=True, type=_date_arg, metavar="D",
                   help="first day, YYYY-MM-DD or DD/MM/YYYY")  # fmt: skip
    c.add_argument("--to", dest="date_to", required=True, type=_date_arg, metavar="D",
                   help="last day, YYYY-MM-DD or DD/MM/YYYY")  # fmt: skip
    c.add_argument("--out", required=True, metavar="FILE", help=out_help)
    a = kinds.add_parser(
        "agenda",
        help="the agenda of a governance meeting (MDT, safeguarding or quality), with space "
        "for each item's outcome",
    )
    a.add_argument("--date", dest="meeting_date", type=_date_arg, metavar="D",
                   help="the meeting's date, YYYY-MM-DD or DD/MM/YYYY (default today); overdue "
                   "is counted to it or to today, whichever is earlier")  # fmt: skip
    a.add_argument("--forum", choices=[f.value for f in Forum], default=Forum.MDT.value,
                   help="mdt (default), safeguarding or quality")  # fmt: skip
    a.add_argument("--out", required=True, metavar="FILE", help=out_help)
    b = kinds.add_parser("blank", help="a blank paper form for one supervision type")
    b.add_argument("type", metavar="TYPE",
                   help="a supervision type's key in the policy: line, clinical, group or one "
                        "the service added (keel policy show lists them)")  # fmt: skip
    b.add_argument("--out", required=True, metavar="FILE", help=out_help)


def _add_global_options(parser: argparse.ArgumentParser, *, version: bool = True) -> None:
    """--version, --db and --self-test: the options of the app itself, before any command."""
    if version:
        parser.add_argument("--version", action="version", version=f"Keel {__version__}")
    parser.add_argument(
        "--db",
        metavar="PATH",
        help="database file (default: KEEL_DB, else keel.db in your user data folder)",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check that Keel works on this computer: opens the main window offscreen on a "
        "temporary database with the demo data, computes statuses, writes a PDF, a calendar "
        "and backups; your own data is not touched. Exit 0 if all worked, else 1",
    )
    # The self-test's child process that opens the window (see ui.self_test): not for people.
    parser.add_argument("--self-test-window", metavar="DB", help=argparse.SUPPRESS)
    parser.add_argument(
        "--self-test-report",
        metavar="PATH",
        help="where --self-test writes its report (also printed; default: a new file in the "
        "temporary folder)",
    )


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """The arguments, with ``command`` None when none is named (the desktop app).

    Opening the app (no command, no help) parses only the app's own options: the commands'
    parsers take milliseconds to build that the first window would wait for.
    """
    argv = list(argv)
    if "-h" not in argv and "--help" not in argv:
        # No --version here, and no abbreviations: ``keel backup --version`` must still be
        # refused by the full parser (exit 2), never answered with a version and exit 0.
        own = _Parser(prog="keel", add_help=False, allow_abbrev=False)
        _add_global_options(own, version=False)
        args, rest = own.parse_known_args(argv)
        if not rest:
            args.command = None
            return args
    return build_parser().parse_args(argv)
