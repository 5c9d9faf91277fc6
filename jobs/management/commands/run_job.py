"""Run one scheduled job once (SPEC §8), or say what it would do."""

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jobs import runner
from jobs.registry import JOBS, UnknownJobError


def moment(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"--now {value!r} is not a moment; write it as ISO 8601 with a time zone, e.g. 2026-12-07T09:00-06:00."
        ) from None


class Command(BaseCommand):
    help = "Run a scheduled job once: every row due now, each in its own transaction."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="The job: " + ", ".join(sorted(JOBS)) + ".")
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what is due and what would be done."
        )
        parser.add_argument(
            "--now",
            type=moment,
            default=None,
            help="The moment to evaluate, with a time zone (default: now).",
        )
        parser.add_argument("--limit", type=int, default=None, help="Handle at most this many rows.")

    def handle(
        self, *args: Any, name: str, dry_run: bool, now: datetime | None, limit: int | None, **options: Any
    ) -> None:
        try:
            if dry_run:
                planned = runner.plan(name, now=now, limit=limit)
                self.stdout.write(f"{name} at {planned.now.isoformat()}: {len(planned.rows)} due.")
                for row, action in planned.rows:
                    self.stdout.write(f"  {row}: {action}")
                return
            record = runner.run(name, now=now, limit=limit)
        except (UnknownJobError, runner.NaiveMomentError) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"{name} at {record.evaluated_at.isoformat()}: {record.due} due, {record.done} done, "
            f"{record.skipped} skipped (held or done elsewhere), {record.failed} failed."
        )
        for failure in record.failures:
            self.stdout.write(f"  failed on {failure['row']}: {failure['error']}")
        if record.stopped_early:
            self.stdout.write("Stopped early after failures in a row: is a service it needs down?")
        if record.failed:
            raise CommandError(f"{record.failed} row(s) failed; see above and the log.")
