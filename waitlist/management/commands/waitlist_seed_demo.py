"""`manage.py waitlist_seed_demo`: the joint waiting list's demo (waitlist.demo_data);
`seed_demo` calls it by name. Idempotent."""

from django.core.management.base import BaseCommand

from waitlist import demo_data, demo_letting


class Command(BaseCommand):
    help = "Indlæs demodata for den fælles venteliste (samarbejde, gebyrer, ansøgere)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=300)
        parser.add_argument("--seed", type=int, default=2024)

    def handle(self, *args, count: int, seed: int, **options):
        result = demo_data.seed(count=count, seed=seed)
        # issue 14 (letting): two vacant homes to let (idempotent).
        vacancies = demo_letting.seed()
        if vacancies:
            self.stdout.write(f"Udlejning: {vacancies} ledige boliger klar til en tilbudsrunde.")
        if result is None:
            self.stdout.write("Ventelistens demodata findes allerede – intet ændret.")
            return
        self.stdout.write(
            f"Venteliste: samarbejdet {result.cooperation.name} med {result.applicants} ansøgere "
            f"(selvbetjening: {demo_data.SELF_SERVICE_EMAIL}, adgangskode: demo)."
        )
