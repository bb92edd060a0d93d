"""Seed the operating plan (driftsplan) for one or more years: `rent_seed_plan 2028`."""

from django.core.management.base import BaseCommand
from django.db import transaction

from rentregister.models import PayoutDeadline
from rentregister.plan import plan_for_year


class Command(BaseCommand):
    help = "Indlæs en sandsynlig driftsplan (frister for indberetning) for de angivne år."

    def add_arguments(self, parser):
        parser.add_argument("years", nargs="+", type=int)

    def handle(self, *args, years, **options):
        created = 0
        with transaction.atomic():
            for year in years:
                for benefit_month, cutoff, payout in plan_for_year(year):
                    _obj, was_created = PayoutDeadline.objects.get_or_create(
                        benefit_month=benefit_month,
                        defaults={"cutoff_date": cutoff, "payout_date": payout},
                    )
                    created += was_created
        self.stdout.write(f"{created} frister oprettet.")
