"""Run the waiting list's nightly job for a given date (let time pass in a demo or test):

    manage.py waitlist_nightly --date 2026-03-01

Idempotent: running it twice for the same date does nothing twice."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from waitlist.services.nightly import nightly_run


class Command(BaseCommand):
    help = "Renewal invoices, reminders and deletions of the joint waiting list as of a date."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD (default: today)")

    def handle(self, *args, **options):
        try:
            day = date.fromisoformat(options["date"]) if options["date"] else None
        except ValueError as exc:
            raise CommandError("--date must be YYYY-MM-DD") from exc
        result = nightly_run(today=day)
        for name, value in result.as_dict().items():
            self.stdout.write(f"{name}: {value}")
        for error in result.errors:
            self.stderr.write(error)
