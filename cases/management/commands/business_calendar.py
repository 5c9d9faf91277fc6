"""Check the support calendar by hand: a year's holidays, a case's first-response due time, business days.

    manage.py business_calendar holidays 2027
    manage.py business_calendar due --priority High --at "2027-12-22 14:00"
    manage.py business_calendar days --at "2027-12-17 12:00" --count 10

``--at`` is Chicago time unless it carries an offset (``2027-12-22T20:00Z``, ``...-06:00``); without it the
current time is used. The answers come from ``portal.lib.businesstime``, the same code the portal uses.
"""

from argparse import ArgumentParser
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portal.lib.businesstime import (
    AUTO_CLOSE_BUSINESS_DAY,
    FOLLOWUP_BUSINESS_DAYS,
    SLA_TARGETS,
    SUPPORT_TZ,
    Priority,
    add_business_days,
    next_opening,
    observed_holidays,
    oncall_due,
    sla_due,
)

MIN_YEAR, MAX_YEAR = 1900, 2200
MAX_COUNT = 260


def show(moment: datetime) -> str:
    """A moment as an advisor reads it: ``Wed 2027-12-22 14:00 CST (UTC-06:00)``, in Chicago time."""
    local = moment.astimezone(UTC).astimezone(SUPPORT_TZ)
    clock = "%H:%M:%S" if local.second or local.microsecond else "%H:%M"
    offset = local.strftime("%z")
    return f"{local.strftime(f'%a %Y-%m-%d {clock}')} {local.tzname()} (UTC{offset[:3]}:{offset[3:]})"


def parse_moment(text: str) -> tuple[datetime, str | None]:
    """Read ``--at``: ISO 8601, Chicago wall-clock time unless an offset is given.

    Returns the moment and, for a wall-clock time that happens twice (the fall-back night), a note saying
    which occurrence was taken. A wall-clock time that does not exist (the spring-forward night) is refused.
    """
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(
            f"--at {text!r} is not a date and time; use e.g. '2027-12-22 14:00' (Chicago time) "
            "or '2027-12-22T14:00-06:00'."
        ) from None
    if parsed.tzinfo is not None:
        return parsed, None
    first = parsed.replace(tzinfo=SUPPORT_TZ, fold=0)
    second = parsed.replace(tzinfo=SUPPORT_TZ, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first, None
    if first.astimezone(UTC).astimezone(SUPPORT_TZ).replace(tzinfo=None) != parsed:
        raise CommandError(
            f"--at {text!r} does not exist in Chicago: the clocks jump from 02:00 to 03:00 that night."
        )
    return first, (
        f"Note: {parsed:%Y-%m-%d %H:%M} happens twice in Chicago (clocks fall back); the first one "
        f"({first.tzname()}) is used. Add an offset to pick the other: {second.isoformat()}."
    )


def parse_priority(text: str) -> Priority:
    for priority in Priority:
        if priority.value.lower() == text.strip().lower():
            return priority
    allowed = ", ".join(p.value for p in Priority)
    raise CommandError(f"--priority {text!r} is not a priority; use one of: {allowed}.")


class Command(BaseCommand):
    help = (
        "Show the support calendar: a year's observed holidays ('holidays 2027'), when a case submitted at a "
        "given time is due ('due --priority High --at \"2027-12-22 14:00\"'), or the business days after a "
        "moment with their 18:00 deadlines ('days --at ...')."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{holidays,due,days}")

        holidays = actions.add_parser(
            "holidays", help="List the days the desk is closed for a holiday in a year."
        )
        holidays.add_argument("year", type=int, help="Calendar year, e.g. 2027.")

        due = actions.add_parser("due", help="First-response due time of a case submitted at a given time.")
        due.add_argument("--priority", help="Critical, High, Medium or Low (default: show all four).")
        due.add_argument(
            "--at", help="Submission time; Chicago time unless an offset is given (default: now)."
        )

        days = actions.add_parser("days", help="Business days after a moment, as the 3x10 rule counts them.")
        days.add_argument("--at", help="Start; Chicago time unless an offset is given (default: now).")
        days.add_argument("--count", type=int, default=AUTO_CLOSE_BUSINESS_DAY, help="How many (default 10).")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "holidays":
            self.show_holidays(options["year"])
        elif action == "due":
            self.show_due(options.get("at"), options.get("priority"))
        else:
            self.show_days(options.get("at"), options["count"])

    def moment(self, text: str | None) -> datetime:
        if text is None:
            return timezone.now()
        moment, note = parse_moment(text)
        if note:
            self.stdout.write(self.style.WARNING(note))
        return moment

    def show_holidays(self, year: int) -> None:
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise CommandError(f"year {year} is out of range; use a year from {MIN_YEAR} to {MAX_YEAR}.")
        closures = observed_holidays(year)
        self.stdout.write(f"Support holidays observed in {year} ({len(closures)} days, desk closed):")
        for day, name in closures:
            self.stdout.write(f"  {day.isoformat()}  {day:%a}  {name}")

    def show_due(self, at: str | None, priority_text: str | None) -> None:
        submitted = self.moment(at)
        priorities = [parse_priority(priority_text)] if priority_text is not None else list(Priority)
        self.stdout.write(f"Submitted:     {show(submitted)}")
        self.stdout.write(f"Clock starts:  {show(next_opening(submitted))}")
        for priority in priorities:
            hours = SLA_TARGETS[priority] // timedelta(hours=1)
            label = f"{priority.value} ({hours} business hour{'' if hours == 1 else 's'})"
            self.stdout.write(f"{label + ' due:':<38} {show(sla_due(submitted, priority))}")
            if priority is Priority.CRITICAL:
                self.stdout.write(f"{'On-call page (1 clock hour) due:':<38} {show(oncall_due(submitted))}")

    def show_days(self, at: str | None, count: int) -> None:
        if not 1 <= count <= MAX_COUNT:
            raise CommandError(f"--count must be from 1 to {MAX_COUNT}, got {count}.")
        start = self.moment(at)
        self.stdout.write(f"Business days after {show(start)} (the day itself does not count):")
        marks = {
            n: f"3x10 follow-up {i} due at the opening (06:00)"
            for i, n in enumerate(FOLLOWUP_BUSINESS_DAYS, start=1)
        }
        marks[AUTO_CLOSE_BUSINESS_DAY] = "3x10 auto-close at the deadline"
        for n in range(1, count + 1):
            day = add_business_days(start, n)
            mark = f"  <- {marks[n]}" if n in marks else ""
            self.stdout.write(f"  {n:>3}  {day.date:%a %Y-%m-%d}  deadline {show(day.deadline)}{mark}")
