"""Demo data for the joint waiting list (`manage.py waitlist_seed_demo`, called by
`seed_demo`): the three-company cooperation "Lejehuset" (the demo's organisations), a fee
schedule per channel with an announced change, and a few hundred applicants in every state
(paying, renewal invoiced, in reminder, deleted, left, awaiting payment, students with a
renewal due), plus a self-service login ("ansoeger@example.com", password "demo").

Applicants go through the services (sign-up, payment, nightly run), so their invoices,
payments, messages and history are what real work would leave. Deterministic for a seed;
dates relative to today. Idempotent: a second run changes nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from tenancy.demo_data import (
    DEMO_ORGANISATIONS,
    DEMO_PASSWORD,
    EMAIL_DOMAINS,
    LAST_NAMES,
    email_for,
    make_cpr,
    random_date,
    random_name,
    random_phone,
)
from tenancy.models import Organisation, Unit

from .models import (
    Application,
    Channel,
    Cooperation,
    CooperationMember,
    FeeSchedule,
    Invoice,
    ListType,
    Payment,
    UnitListing,
)
from .services.applicants import (
    ApplicantData,
    applicant_signup,
    application_delete_unpaid,
    application_leave,
)
from .services.dates import add_year
from .services.fees import invoice_mark_paid
from .services.nightly import nightly_run

COOPERATION_NAME = "Lejehuset"
SELF_SERVICE_EMAIL = "ansoeger@example.com"
CITIES = [("7400", "Herning"), ("7430", "Ikast"), ("8000", "Aarhus C"), ("2200", "København N")]
STREETS = ["Nygade", "Aaparken", "Finsensvej", "Bredgade", "Østergade", "Skolevej", "Parkvej"]

# state: share of the demo's applicants
STATES = {
    "paying": 0.38,
    "renewal_due": 0.10,
    "reminded": 0.08,
    "deleted": 0.07,
    "left": 0.04,
    "pending": 0.08,
    "student": 0.15,
    "student_due": 0.05,
    "student_reminded": 0.03,
    "both": 0.02,
}


@dataclass
class DemoResult:
    cooperation: Cooperation
    applicants: int


def _fee_schedules(coop: Cooperation, today: date) -> None:
    start = date(today.year - 10, 1, 1)
    for channel, signup, renewal in ((Channel.E_OFFER, 200, 150), (Channel.LETTER, 300, 250)):
        FeeSchedule.objects.create(
            cooperation=coop,
            channel=channel,
            valid_from=start,
            announced_at=start - timedelta(days=60),
            signup_fee=Decimal(signup),
            renewal_fee=Decimal(renewal),
        )
        # A renewal-fee increase announced two weeks ago, valid from the 1st of next
        # month: periods starting before announcement + 1 month keep the old fee.
        announced = today - timedelta(days=14)
        FeeSchedule.objects.create(
            cooperation=coop,
            channel=channel,
            valid_from=(today.replace(day=1) + timedelta(days=32)).replace(day=1),
            announced_at=announced,
            signup_fee=Decimal(signup),
            renewal_fee=Decimal(renewal + 25),
        )


class _Builder:
    def __init__(self, coop: Cooperation, today: date, seed: int) -> None:
        self.coop = coop
        self.today = today
        self.rng = random.Random(seed)  # noqa: S311 - demo data, not security
        self.cprs: set[str] = set()
        self.n = 0

    def data(self, list_types: list[str]) -> ApplicantData:
        rng = self.rng
        self.n += 1
        male = rng.random() < 0.5
        birth = random_date(rng, date(1950, 1, 1), self.today - timedelta(days=366 * 25))
        cpr = make_cpr(rng, birth, male=male)
        while cpr in self.cprs:
            cpr = make_cpr(rng, birth, male=male)
        self.cprs.add(cpr)
        name = random_name(rng, male=male, last_name=rng.choice(LAST_NAMES))
        postal, city = rng.choice(CITIES)
        letter = rng.random() < 0.2
        return ApplicantData(
            name=name,
            cpr=cpr,
            address=f"{rng.choice(STREETS)} {rng.randint(1, 120)}",
            postal_code=postal,
            city=city,
            email=""
            if letter and rng.random() < 0.5
            else email_for(name, self.n, rng.choice(EMAIL_DOMAINS)),
            phone=random_phone(rng),
            spouse_name=random_name(rng, male=not male) if rng.random() < 0.35 else "",
            children_under_23=rng.choice([0, 0, 0, 1, 2, 3]),
            channel=Channel.LETTER if letter else Channel.E_OFFER,
            sms_opt_in=not letter and rng.random() < 0.4,
            list_types=list_types,
        )

    def pay(self, invoice: Invoice, on: date, method: str = "card") -> None:
        payment = Payment.objects.create(
            applicant=invoice.applicant,
            invoice=invoice,
            amount=invoice.amount,
            paid_on=on,
            method=method,
            provider_payment_id=f"demo-{invoice.pk}" if method == "card" else None,
            note="" if method == "card" else "Indbetalt på bankkonto",
        )
        invoice_mark_paid(invoice=invoice, payment=payment)

    def family(self, paid_until: date) -> Application:
        """A paying family applicant whose current period ends on `paid_until`."""
        years = self.rng.randint(1, 8)
        signup = (
            paid_until.replace(year=paid_until.year - years)
            if (paid_until.month, paid_until.day) != (2, 29)
            else paid_until - timedelta(days=365 * years)
        )
        applicant = applicant_signup(
            cooperation=self.coop, data=self.data([ListType.FAMILY]), today=signup
        )
        app = applicant.applications.get()
        self.pay(app.invoices.get(), signup, "bank_transfer" if self.rng.random() < 0.1 else "card")
        app.refresh_from_db()
        while app.paid_until and app.paid_until < paid_until:
            start = app.paid_until
            invoice = Invoice.objects.create(
                applicant=applicant,
                application=app,
                kind=Invoice.Kind.RENEWAL,
                period_start=start,
                period_end=add_year(start),
                amount=Decimal("150") if applicant.channel == Channel.E_OFFER else Decimal("250"),
                due_date=start,
            )
            self.pay(invoice, start - timedelta(days=self.rng.randint(1, 20)))
            app.refresh_from_db()
        return app

    def student(self, paid_until: date) -> Application:
        signup = (
            paid_until.replace(year=paid_until.year - 1)
            if (paid_until.month, paid_until.day) != (2, 29)
            else paid_until - timedelta(days=365)
        )
        applicant = applicant_signup(
            cooperation=self.coop, data=self.data([ListType.STUDENT]), today=signup
        )
        return applicant.applications.get()

    def build_one(self, state: str) -> None:
        t, rng = self.today, self.rng
        if state == "paying":
            self.family(t + timedelta(days=rng.randint(31, 360)))
        elif state == "renewal_due":
            self.family(t + timedelta(days=rng.randint(0, 29)))
        elif state == "reminded":
            self.family(t - timedelta(days=rng.randint(1, 9)))
        elif state == "deleted":
            app = self.family(t - timedelta(days=rng.randint(20, 300)))
            Application.objects.filter(pk=app.pk).update(status=Application.Status.REMINDED)
            application_delete_unpaid(
                application=app,
                reason="Slettet: ajourføringsgebyret blev ikke betalt inden rykkerfristen.",
            )
        elif state == "left":
            application_leave(application=self.family(t + timedelta(days=rng.randint(31, 300))))
        elif state == "pending":
            applicant_signup(
                cooperation=self.coop,
                data=self.data([ListType.FAMILY]),
                today=t - timedelta(days=rng.randint(0, 10)),
            )
        elif state == "student":
            self.student(t + timedelta(days=rng.randint(31, 360)))
        elif state == "student_due":
            self.student(t + timedelta(days=rng.randint(0, 29)))
        elif state == "student_reminded":
            self.student(t - timedelta(days=rng.randint(1, 9)))
        elif state == "both":
            applicant = applicant_signup(
                cooperation=self.coop,
                data=self.data([ListType.FAMILY, ListType.STUDENT]),
                today=t - timedelta(days=rng.randint(30, 300)),
            )
            invoice = applicant.invoices.get()
            self.pay(invoice, invoice.created_at.date())


def _self_service_user(coop: Cooperation, today: date) -> None:
    user = get_user_model().objects.create_user(
        username=SELF_SERVICE_EMAIL,
        email=SELF_SERVICE_EMAIL,
        password=DEMO_PASSWORD,
        first_name="Ansøger",
    )
    applicant = applicant_signup(
        cooperation=coop,
        user=user,
        today=today - timedelta(days=200),
        data=ApplicantData(
            name="Signe Ansøger",
            cpr="1505952468",
            address="Nygade 20",
            postal_code="7400",
            city="Herning",
            email=SELF_SERVICE_EMAIL,
            phone="20 30 40 50",
            children_under_23=2,
            list_types=[ListType.FAMILY],
        ),
    )
    applicant.email_verified_at = timezone.now()
    applicant.save(update_fields=["email_verified_at"])
    invoice = applicant.invoices.get()
    payment = Payment.objects.create(
        applicant=applicant,
        invoice=invoice,
        amount=invoice.amount,
        paid_on=today - timedelta(days=198),
        method="card",
        provider_payment_id=f"demo-self-{invoice.pk}",
    )
    invoice_mark_paid(invoice=invoice, payment=payment)


def _unit_listings(orgs: list[Organisation], rng: random.Random) -> None:
    units = list(
        Unit.objects.filter(organisation__in=orgs).order_by("pk").values_list("pk", flat=True)[:400]
    )
    listings = []
    for pk in units:
        municipal = rng.random() < 0.08
        listings.append(
            UnitListing(
                unit_id=pk, municipality_allocated=municipal, let_through_joint_list=not municipal
            )
        )
    UnitListing.objects.bulk_create(listings, ignore_conflicts=True)


def seed(*, count: int = 300, seed: int = 2024, today: date | None = None) -> DemoResult | None:
    """Build the demo (None when it exists already)."""
    today = today or timezone.localdate()
    if Cooperation.objects.filter(name=COOPERATION_NAME).exists():
        return None
    orgs = list(
        Organisation.objects.filter(cvr__in=[o.cvr for o in DEMO_ORGANISATIONS]).order_by("pk")
    )
    with transaction.atomic():
        coop = Cooperation.objects.create(name=COOPERATION_NAME)
        for org in orgs:
            CooperationMember.objects.create(cooperation=coop, organisation=org)
        _fee_schedules(coop, today)
        builder = _Builder(coop, today, seed)
        states = list(STATES)
        weights = [STATES[s] for s in states]
        for state in states:  # at least one of every state
            builder.build_one(state)
        for state in builder.rng.choices(states, weights=weights, k=max(count - len(states), 0)):
            builder.build_one(state)
        _self_service_user(coop, today)
        _unit_listings(orgs, builder.rng)
    # Renewal invoices and reminders as the nightly runs would have sent them.
    nightly_run(today=today - timedelta(days=10), cooperation=coop)
    nightly_run(today=today, cooperation=coop)
    return DemoResult(coop, coop.applicants.count())
