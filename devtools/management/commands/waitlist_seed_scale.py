"""`manage.py waitlist_seed_scale --applicants N`: grow a cooperation to N applicants for
the waiting-list benchmarks (`waitlist_bench`).

The cooperation "Lejehuset (skala)" has the scale organisation of `seed_scale` as member
(created if missing, with the caseworker `bench`, password "demo"). Applicants are written
in bulk (the services are far too slow for 500,000) with every field the services fill:
encrypted CPR + keyed hash + masked form, search_text, birth date. States as in real life:
~70% family (paying, paid_until spread over the coming year, ~2% unpaid in reminder, ~5%
deleted, ~8% awaiting the sign-up payment), ~30% student (renewal spread over the year).
Each paid family application has its paid sign-up invoice and payment. No history rows.

Idempotent by growth: only the missing applicants are added. `--replace` deletes the
scale cooperation's applicants first.
"""

from __future__ import annotations

import random
import time
from datetime import date, timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from core import crypto
from devtools.management.commands.seed_scale import ensure_organisation
from tenancy.demo_data import LAST_NAMES, SCALE_CVR, random_name
from tenancy.models import Organisation, normalise_search
from waitlist.models import (
    Applicant,
    Application,
    Cooperation,
    CooperationMember,
    FeeSchedule,
    Invoice,
    Payment,
)

NAME = "Lejehuset (skala)"
CITIES = [
    ("7400", "Herning"),
    ("7430", "Ikast"),
    ("8000", "Aarhus C"),
    ("2200", "København N"),
    ("5000", "Odense C"),
]
STREETS = [
    "Nygade",
    "Aaparken",
    "Finsensvej",
    "Bredgade",
    "Østergade",
    "Skolevej",
    "Parkvej",
    "Vestergade",
]


def _cooperation() -> Cooperation:
    coop, _created = Cooperation.objects.get_or_create(name=NAME)
    organisation = Organisation.objects.filter(cvr=SCALE_CVR).first()
    organisation = ensure_organisation(
        organisation, units=organisation.dwellings_owned if organisation else 0
    )
    CooperationMember.objects.get_or_create(cooperation=coop, organisation=organisation)
    for channel, signup, renewal in (("e_offer", 200, 150), ("letter", 300, 250)):
        FeeSchedule.objects.get_or_create(
            cooperation=coop,
            channel=channel,
            valid_from=date(2010, 1, 1),
            defaults={
                "announced_at": date(2009, 11, 1),
                "signup_fee": Decimal(signup),
                "renewal_fee": Decimal(renewal),
            },
        )
    return coop


class Command(BaseCommand):
    help = "Grow the scale cooperation to N waiting-list applicants (benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--applicants", type=int, default=500_000)
        parser.add_argument("--batch", type=int, default=5_000)
        parser.add_argument("--seed", type=int, default=13)
        parser.add_argument("--replace", action="store_true")

    def handle(self, *args, applicants: int, batch: int, seed: int, replace: bool, **options):
        started = time.monotonic()
        coop = _cooperation()
        if replace:
            self._delete(coop)
        have = coop.applicants.count()
        rng = random.Random(seed + have)  # noqa: S311 - benchmark data
        today = timezone.localdate()
        n = have
        while n < applicants:
            size = min(batch, applicants - n)
            with transaction.atomic():
                self._batch(coop, rng, today, n, size)
            n += size
            self.stdout.write(f"{n} ansøgere ({time.monotonic() - started:.0f} s)")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for table in (
                    "waitlist_applicant",
                    "waitlist_application",
                    "waitlist_invoice",
                    "waitlist_payment",
                ):
                    # VACUUM too: it sets the visibility map, so deep list pages are read
                    # from the index alone (autovacuum does it later on a live server).
                    cursor.execute(f"VACUUM (ANALYZE) {table}")
        self.stdout.write(
            f"Færdig: {coop.applicants.count()} ansøgere i {time.monotonic() - started:.0f} s"
        )

    def _delete(self, coop: Cooperation) -> None:
        with transaction.atomic():
            ids = coop.applicants.values("pk")
            for model in ("Message", "ApplicantEvent", "Payment", "PaymentSession", "Invoice"):
                from django.apps import apps

                apps.get_model("waitlist", model).objects.filter(applicant_id__in=ids).delete()
            Application.departments.through.objects.filter(
                application__applicant__cooperation=coop
            ).delete()
            Application.objects.filter(applicant__cooperation=coop).delete()
            coop.applicants.all().delete()

    def _batch(
        self, coop: Cooperation, rng: random.Random, today: date, start: int, size: int
    ) -> None:
        rows = []
        for k in range(start, start + size):
            birth = date(1950, 1, 1) + timedelta(days=k % 18_000)
            cpr = f"{birth:%d%m%y}{4000 + k // 18_000:04d}"
            male = rng.random() < 0.5
            name = random_name(rng, male=male, last_name=rng.choice(LAST_NAMES))
            postal, city = rng.choice(CITIES)
            address = f"{rng.choice(STREETS)} {rng.randint(1, 200)}"
            letter = rng.random() < 0.15
            a = Applicant(
                cooperation=coop,
                name=name,
                birth_date=birth,
                address=address,
                postal_code=postal,
                city=city,
                email=f"ansoeger{k}@example.com",
                phone=f"{20_000_000 + k}",
                children_under_23=rng.choice([0, 0, 1, 2]),
                channel="letter" if letter else "e_offer",
                search_text=normalise_search(f"{name} {address} {postal} {city} {20_000_000 + k}"),
            )
            a.cpr_encrypted = crypto.encrypt(cpr)
            a.cpr_hash = crypto.search_hash(cpr)
            a.cpr_masked = f"{cpr[:6]}-xxxx"
            rows.append(a)
        Applicant.objects.bulk_create(rows, batch_size=2000)
        apps, paid = [], []
        for a in rows:
            roll = rng.random()
            if roll < 0.30:
                end = today + timedelta(days=rng.randint(-5, 364))
                apps.append(
                    Application(
                        applicant=a,
                        list_type="student",
                        status="active",
                        seniority_date=end - timedelta(days=365 * rng.randint(1, 4)),
                        paid_until=end,
                    )
                )
            elif roll < 0.38:
                apps.append(Application(applicant=a, list_type="family", status="pending_payment"))
            elif roll < 0.43:
                apps.append(
                    Application(
                        applicant=a,
                        list_type="family",
                        status="deleted",
                        ended_at=timezone.now() - timedelta(days=rng.randint(1, 900)),
                    )
                )
            else:
                end = today + timedelta(days=rng.randint(-3, 364))
                seniority = end - timedelta(days=365 * rng.randint(1, 12))
                app = Application(
                    applicant=a,
                    list_type="family",
                    status="active",
                    seniority_date=seniority,
                    paid_until=end,
                )
                apps.append(app)
                paid.append(app)
        Application.objects.bulk_create(apps, batch_size=2000)
        invoices = [
            Invoice(
                applicant_id=app.applicant_id,
                application=app,
                kind="signup",
                amount=Decimal("200"),
                due_date=app.seniority_date,
                status="paid",
                paid_at=timezone.now(),
            )
            for app in paid
        ]
        Invoice.objects.bulk_create(invoices, batch_size=2000)
        Payment.objects.bulk_create(
            [
                Payment(
                    applicant_id=i.applicant_id,
                    invoice=i,
                    amount=i.amount,
                    paid_on=i.due_date,
                    method="card",
                    provider_payment_id=f"scale-{i.pk}",
                )
                for i in invoices
            ],
            batch_size=2000,
        )
        pending = [
            Invoice(
                applicant_id=app.applicant_id,
                application=app,
                kind="signup",
                amount=Decimal("200"),
                due_date=today + timedelta(days=14),
            )
            for app in apps
            if app.status == "pending_payment"
        ]
        Invoice.objects.bulk_create(pending, batch_size=2000)
        Applicant.objects.filter(pk__in=[i.applicant_id for i in pending]).update(
            debt=Decimal("200")
        )
