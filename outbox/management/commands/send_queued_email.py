"""Run the "email outbox" job once (SPEC §8): send every queued e-mail that is due."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from outbox import services


class Command(BaseCommand):
    help = "Send the queued e-mails that are due (the job beat runs every minute), and report what happened."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--limit",
            type=int,
            default=services.SWEEP_BATCH_SIZE,
            help=f"Send at most this many e-mails (default {services.SWEEP_BATCH_SIZE}).",
        )

    def handle(self, *args: Any, limit: int, **options: Any) -> None:
        result = services.sweep(limit=limit)
        self.stdout.write(
            f"Sent {result.sent}, failed {result.failed} "
            f"({result.retrying} will be retried, {result.dead} failed permanently), "
            f"cancelled {result.cancelled} (recipient deactivated)."
        )
        if result.stopped_early:
            self.stdout.write("Stopped early after repeated failures: is the mail server down?")
