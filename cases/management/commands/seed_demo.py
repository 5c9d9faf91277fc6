"""Seed realistic demo data: districts, every persona, and cases of every type and status.

Idempotent: running it again adds nothing that is already there.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from cases.demo import seed_cases
from contacts.demo import DEMO_PASSWORD, PEOPLE, seed_people


class Command(BaseCommand):
    help = "Load demo districts, contacts, an advisor and cases (idempotent) and print the demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="Do not print the logins.")

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            users = seed_people()
            created = seed_cases(users)
        if options["quiet"]:
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data is loaded ({created} new cases). Log in at {settings.SITE_URL} with:"
            )
        )
        self.stdout.write(f"  password for every demo account: {DEMO_PASSWORD}")
        for p in PEOPLE:
            if p.persona:
                self.stdout.write(f"  {p.email:<42} {p.persona}")
