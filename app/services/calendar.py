"""Booked sessions as an iCalendar (.ics) file that Outlook and other calendars import.

One VEVENT per booking, with a UID that stays the same across exports (``<session id>@keel``)
and a SEQUENCE that grows when the booking changes, so importing a newer export updates an
event rather than duplicating it.

Session times are the service's local time: the policy's time zone (``Policy.time_zone``,
Europe/London by default), whatever time zone the exporting computer is set to. They are
written in UTC (``DTSTART:20261201T100000Z``), converted with that zone's rules (summer time
included) from the zone data Keel ships (the ``tzdata`` package: Windows has none of its own).
A UTC time means the same instant to every calendar: Outlook (desktop, web and new), Google and
Apple show it in the reader's local time. Floating times (no zone) are read as local by some
clients and as UTC by others, and Outlook desktop approximates or ignores a TZID's VTIMEZONE on
import, so both can move a session by an hour. A session without a start time is an all-day
event.

A booking that was in the period and has since been cancelled is written with its UID, a higher
SEQUENCE, ``STATUS:CANCELLED``, "Cancelled: " before its title and as free time, so a calendar
that holds it marks it cancelled (even one that ignores the status shows the word). A booking
moved to another day is written at its new time, even outside the period, so the calendar moves
it. Sessions that were never booked (recorded afterwards) are not in the file.

What goes in: the supervisee's name and the type (SUMMARY), the place or mode (LOCATION), the
supervisor and the type (DESCRIPTION). Nothing from the record itself — no issues, case
references, decisions, notes or cancellation reasons (the query in ``app.storage.bookings``
never reads them). Events are marked CLASS:PRIVATE, so a calendar shared with colleagues shows
them as busy time only.
"""

from __future__ import annotations

import errno
import logging
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from app import APP_NAME, __version__
from app.dates import uk
from app.domain.catalogue import TypeSpec
from app.domain.records import Mode
from app.errors import KeelError, UsageError
from app.logging_setup import error_kind
from app.services.bound import BoundService, bound
from app.services.export_files import NotPublished, discard, publish, temporary_for
from app.storage.bookings import Booking, calendar_bookings
from app.storage.db import Database
from app.storage.policies import current_policy, policy_history

if TYPE_CHECKING:  # imported when an export is made: icalendar costs start-up time
    import icalendar

log = logging.getLogger(__name__)

PRODID = f"-//{APP_NAME}//{APP_NAME} {__version__}//EN"
UID_DOMAIN = "keel"
CALENDAR_NAME = "Keel supervision"
DEFAULT_WEEKS = 8

_MODE_PLACES = {Mode.IN_PERSON: "In person", Mode.VIDEO: "Video call", Mode.PHONE: "Phone call"}
_SEQUENCE_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


class CalendarExportFailed(KeelError):
    """The .ics file could not be written (disk full, folder read-only…); no file was left."""


@dataclass(frozen=True, slots=True)
class CalendarExport:
    path: Path
    events: int  # booked sessions (at their current time)
    cancelled: int = 0  # bookings since cancelled, marked so

    def summary(self) -> str:
        what = "1 booked session" if self.events == 1 else f"{self.events} booked sessions"
        text = f"Wrote {what} to {self.path}"
        if self.cancelled:
            n = self.cancelled
            text += f" ({n} cancelled booking{'' if n == 1 else 's'} marked cancelled)"
        return text


def default_range(today: date) -> tuple[date, date]:
    """Today and the following eight weeks: what a team lead books ahead."""
    return today, today + timedelta(weeks=DEFAULT_WEEKS) - timedelta(days=1)


def summary_for(booking: Booking, spec: TypeSpec) -> str:
    """ "Clinical supervision — Zoë Hartley"; a group: "… — 6 attendees" (``spec``: the
    booking's type in the catalogue, whose label is the title)."""
    title = spec.label
    if spec.is_group:
        n = booking.attendees
        return f"{title} — {n} attendee{'' if n == 1 else 's'}" if n else title
    return f"{title} — {booking.worker_name}" if booking.worker_name else title


def location_for(booking: Booking) -> str:
    """The place typed on the booking, else how it happens (video, phone); '' if neither."""
    if booking.location.strip():
        return booking.location.strip()
    return _MODE_PLACES[booking.mode] if booking.mode else ""


def description_for(booking: Booking, spec: TypeSpec) -> str:
    """The supervisor and the type, and nothing else."""
    lines = []
    if booking.supervisor_name:
        lines.append(f"Supervisor: {booking.supervisor_name}")
    lines.append(f"Type: {spec.label}")
    return "\n".join(lines)


def _start_time(text: str | None) -> time | None:
    if not text:
        return None
    try:
        return time.fromisoformat(text)
    except ValueError:
        return None  # shown as an all-day event rather than at a guessed time


def _when(booking: Booking, tz: tzinfo, spec: TypeSpec) -> tuple[date | datetime, date | datetime]:
    start = _start_time(booking.start_time)
    if start is None:
        return booking.session_date, booking.session_date + timedelta(days=1)
    # In the service's zone; a time that does not exist there (the hour the clocks go
    # forward) or exists twice (the hour they go back) is taken with fold=0: the earlier.
    local = datetime.combine(booking.session_date, start, tzinfo=tz)
    begins = local.astimezone(UTC)
    # A booking with a start time but no length gets the length a new booking gets.
    minutes = booking.duration_minutes or spec.duration_minutes
    return begins, begins + timedelta(minutes=minutes)


def _changed_at(booking: Booking) -> datetime | None:
    try:
        return datetime.fromisoformat(booking.updated_at.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def sequence(booking: Booking, changed: datetime) -> int:
    """The event's SEQUENCE: seconds from 2020 to the booking's last change, plus how many
    times it was saved. It grows with every change, even two in the same second (a calendar
    ignores an update whose SEQUENCE is not higher), and is above the minutes-based numbers
    earlier versions of Keel wrote, so their events are updated too."""
    return max(0, int((changed - _SEQUENCE_EPOCH).total_seconds())) + booking.saves


def _event(booking: Booking, stamp: datetime, tz: tzinfo, spec: TypeSpec) -> icalendar.Event:
    import icalendar

    event = icalendar.Event()
    event.add("uid", f"{booking.id}@{UID_DOMAIN}")
    event.add("dtstamp", stamp)
    begins, ends = _when(booking, tz, spec)
    event.add("dtstart", begins)
    event.add("dtend", ends)
    title = summary_for(booking, spec)
    event.add("summary", f"Cancelled: {title}" if booking.cancelled else title)
    place = location_for(booking)
    if place:
        event.add("location", place)
    event.add("description", description_for(booking, spec))
    event.add("class", "PRIVATE")
    event.add("transp", "TRANSPARENT" if booking.cancelled else "OPAQUE")
    event.add("status", "CANCELLED" if booking.cancelled else "CONFIRMED")
    changed = _changed_at(booking)
    if changed is not None:
        event.add("last-modified", changed)
        event.add("sequence", sequence(booking, changed))
    return event


def build_calendar(
    db: Database,
    date_from: date,
    date_to: date,
    *,
    tz: tzinfo | None = None,
    now: datetime | None = None,
) -> tuple[icalendar.Calendar, int, int]:
    """The calendar of sessions booked from ``date_from`` to ``date_to`` (both included): how
    many booked sessions it holds, and how many bookings since cancelled (marked so). ``tz``:
    the sessions' time zone (None: the service's, from its policy — never this computer's)."""
    _check_range(date_from, date_to)
    zone = tz if tz is not None else current_policy(db).zone()
    stamp = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", CALENDAR_NAME)
    bookings = calendar_bookings(db, date_from, date_to)
    catalogue = policy_history(db).display_catalogue(date_from)
    for booking in bookings:
        cal.add_component(_event(booking, stamp, zone, catalogue.spec(booking.type)))
    cancelled = sum(1 for b in bookings if b.cancelled)
    return cal, len(bookings) - cancelled, cancelled


def _check_range(date_from: date, date_to: date) -> None:
    if date_from > date_to:
        raise UsageError(
            f"The period starts ({uk(date_from)}) after it ends ({uk(date_to)}): swap the dates."
        )


def _why(exc: OSError, folder: Path) -> str:
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return f"there is not enough space in {folder}. Free some space or choose another folder"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{folder} cannot be written to. Choose another folder"
    if exc.errno == errno.ENAMETOOLONG:
        return "the file name is too long. Choose a shorter name"
    return f"{exc.strerror or exc}"


def _write_temporary(data: bytes, out: Path) -> Path:
    """Write beside ``out`` and flush: the file ``publish`` renames into place."""
    tmp = temporary_for(out)
    try:
        with tmp.open("xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        discard(tmp)
        log.warning("calendar export failed (%s)", error_kind(exc))
        raise CalendarExportFailed(
            f"The calendar was not saved: {_why(exc, out.parent)}. No file was written."
        ) from exc
    return tmp


def export_calendar(
    db: Database,
    date_from: date,
    date_to: date,
    out: Path,
    *,
    tz: tzinfo | None = None,
    now: datetime | None = None,
) -> CalendarExport:
    """Write the booked sessions of a period to ``out`` (replaced if it exists) and record the
    export in the audit trail. ``tz``: the sessions' zone (None: the service's policy's).
    Raises ``UsageError`` for a bad period or path and ``CalendarExportFailed`` when the file
    cannot be written."""
    out = Path(out)
    _check_range(date_from, date_to)
    if out.is_dir():
        raise UsageError(f"{out} is a folder: give a file name, for example sessions.ics.")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"The folder {folder} does not exist: create it or choose another.")
    cal, events, cancelled = build_calendar(db, date_from, date_to, tz=tz, now=now)
    tmp = _write_temporary(cal.to_ical(), out)
    detail = {
        "report": "calendar",
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "events": events,
        "cancelled": cancelled,
    }
    try:
        publish(db, tmp, out, action="export", entity="calendar", entity_id=None,
                detail=detail, what="calendar")  # fmt: skip
    except NotPublished as exc:
        raise CalendarExportFailed(str(exc)) from exc
    except OSError as exc:
        log.warning("calendar export failed (%s)", error_kind(exc))
        raise CalendarExportFailed(
            f"The calendar was not saved: {_why(exc, folder)}. "
            + (f"{out.name} is as it was." if out.exists() else "No file was written.")
        ) from exc
    log.info("exported %d booked sessions (%d cancelled) as a calendar file", events, cancelled)
    return CalendarExport(out, events, cancelled)


class CalendarService(BoundService):
    """The booked sessions as a calendar file. (The open database given: see ``app.services.bound``.)"""

    export_calendar = bound(export_calendar)
