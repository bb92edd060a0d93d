"""`manage.py seed_demo`: a small, realistic Danish portfolio to click around in.

Three organisations (two almene boligorganisationer registered for CPR's landlord service and
one private landlord with 8 dwellings), ~50 entrances on real streets, ~400 units, ~480
people and their leases with history, and three demo users (password "demo").

Entrances, units, people and leases go through the tenancy services, so the demo carries
the same change history and rent-register hooks as real work. Organisations, departments,
properties, buildings, memberships and users have no service and are written directly.

Deterministic for a given --seed. Dates are relative to today so "moved out within the last
year" stays true whenever the demo is loaded. Idempotent: a second run changes nothing.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from tenancy import hooks, services
from tenancy.choices import HeatingForm, HolderType, LeaseStatus, LettingCode, Role
from tenancy.demo_data import (
    DEMO_ORGANISATIONS,
    DEMO_PASSWORD,
    EMAIL_DOMAINS,
    LAST_NAMES,
    LAYOUTS,
    DemoOrganisation,
    email_for,
    first_of_month,
    make_cpr,
    month_end_before,
    random_date,
    random_name,
    random_phone,
    seeded_uuid,
)
from tenancy.models import (
    Building,
    Department,
    Entrance,
    Lease,
    Membership,
    Organisation,
    Person,
    Property,
    Unit,
)

DEMO_USERS = {
    # username: (first name, superuser?, {organisation key: role})
    "sagsbehandler": ("Sara Sagsbehandler", False, {"a": Role.CASEWORKER, "b": Role.CASEWORKER}),
    "cpr": ("Carl CPR-ansvarlig", False, {"a": Role.CPR_OFFICER}),
    "admin": (
        "Anna Administrator",
        True,
        {"a": Role.ORG_ADMIN, "b": Role.ORG_ADMIN, "p": Role.ORG_ADMIN},
    ),
}

PREVIOUS_TENANT_SHARE = 0.12
TWO_PARTIES_SHARE = 0.12
PROTECTED_SHARE = 0.03
NOT_MODULUS11_SHARE = 0.08


@dataclass
class UnitPlan:
    unit: Unit
    student: bool
    private: bool


class Command(BaseCommand):
    help = "Indlæs demodata: 3 organisationer, ~400 enheder, ~480 personer og lejemål."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2024, help="Seed for tilfældige data.")

    def handle(self, *args, seed: int, **options):
        cvrs = [o.cvr for o in DEMO_ORGANISATIONS]
        if Organisation.objects.filter(cvr__in=cvrs).exists():
            self.stdout.write("Demodata findes allerede – intet ændret.")
            call_command("waitlist_seed_demo", stdout=self.stdout)  # issue 13 (idempotent)
            self.demo_two_factor()
            return
        with transaction.atomic():
            DemoBuilder(seed=seed, today=timezone.localdate()).build()
        self.stdout.write(self.summary(cvrs))
        # issue 13: the joint waiting list's demo, by command name (tenancy imports no app).
        call_command("waitlist_seed_demo", stdout=self.stdout)
        self.demo_two_factor()

    def demo_two_factor(self) -> None:
        """issue 17: the demo CPR officer and admin must give a TOTP code; their device has the
        published demo key (core's demo_totp command, by name: tenancy imports no auth app)."""
        call_command("demo_totp", "cpr", "admin", setup=True, stdout=self.stdout)

    @staticmethod
    def summary(cvrs: list[str]) -> str:
        orgs = Organisation.objects.filter(cvr__in=cvrs)
        leases = Lease.objects.filter(organisation__in=orgs)
        active = leases.filter(status=LeaseStatus.ACTIVE).count()
        return (
            f"Demodata oprettet: {orgs.count()} organisationer, "
            f"{Entrance.objects.filter(organisation__in=orgs).count()} opgange, "
            f"{Unit.objects.filter(organisation__in=orgs).count()} enheder, "
            f"{Person.objects.filter(organisation__in=orgs).count()} personer, "
            f"{leases.count()} lejemål ({active} aktive, {leases.count() - active} ophørte), "
            f"brugere {', '.join(DEMO_USERS)} (adgangskode: {DEMO_PASSWORD})."
        )


class DemoBuilder:
    """Builds the demo inside the caller's transaction."""

    def __init__(self, *, seed: int, today: date):
        self.rng = random.Random(seed)
        self.today = today
        self.cprs: set[str] = set()
        self.email_n = 0
        self.users: dict = {}
        self.organisations: dict[str, Organisation] = {}

    # -- top level -------------------------------------------------------------------

    def build(self) -> None:
        self.create_users()
        for spec in DEMO_ORGANISATIONS:
            org = Organisation.objects.create(
                name=spec.name,
                cvr=spec.cvr,
                kind=spec.kind,
                cpr_service_registered=spec.cpr_since is not None,
                cpr_service_registered_since=spec.cpr_since,
            )
            self.organisations[spec.key] = org
        self.create_memberships()
        for spec in DEMO_ORGANISATIONS:
            org = self.organisations[spec.key]
            actor = self.users["admin"] if spec.kind == "private" else self.users["sagsbehandler"]
            plans = self.create_portfolio(spec, org)
            org.dwellings_owned = len(plans)
            org.save(update_fields=["dwellings_owned"])
            self.let_units(plans, org=org, actor=actor)

    def create_users(self) -> None:
        User = get_user_model()
        for username, (full_name, superuser, _roles) in DEMO_USERS.items():
            first, last = full_name.split(" ", 1)
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.com",
                    "is_staff": superuser,
                    "is_superuser": superuser,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            self.users[username] = user

    def create_memberships(self) -> None:
        Membership.objects.bulk_create(
            [
                Membership(
                    user=self.users[username], organisation=self.organisations[key], role=role
                )
                for username, (_n, _s, roles) in DEMO_USERS.items()
                for key, role in roles.items()
            ]
        )

    # -- portfolio -------------------------------------------------------------------

    def create_portfolio(self, spec: DemoOrganisation, org: Organisation) -> list[UnitPlan]:
        rng = self.rng
        actor = self.users["admin"]
        plans: list[UnitPlan] = []
        for dept_spec in spec.departments:
            department = Department.objects.create(
                organisation=org, number=dept_spec.number, name=dept_spec.name
            )
            prop = Property.objects.create(
                organisation=org,
                department=department,
                name=f"{dept_spec.name}, {dept_spec.street.city}",
                bfe_number=rng.randrange(100_000, 10_000_000),
                municipality_code=dept_spec.street.municipality_code,
            )
            groups = [(dept_spec.street, dept_spec.house_numbers, dept_spec.layout)]
            groups += list(dept_spec.extra)
            building_number = 0
            for street, numbers, layout in groups:
                # Two stairwells per building, as in a typical Danish block.
                for i in range(0, len(numbers), 2):
                    building_number += 1
                    building = Building.objects.create(
                        organisation=org,
                        property=prop,
                        bbr_id=seeded_uuid(rng),
                        number=building_number,
                    )
                    for house_number in numbers[i : i + 2]:
                        entrance = services.entrance_create(
                            building=building,
                            actor=actor,
                            dar_id=seeded_uuid(rng),
                            street_name=street.name,
                            house_number=house_number,
                            postcode=street.postcode,
                            city=street.city,
                            municipality_code=street.municipality_code,
                            road_code=street.road_code,
                        )
                        for floor, door in LAYOUTS[layout]:
                            area, rooms = self.unit_size(
                                student=dept_spec.student, floor=floor, door=door
                            )
                            unit = services.unit_create(
                                entrance=entrance,
                                actor=actor,
                                dar_id=seeded_uuid(rng),
                                floor=floor,
                                door=door,
                                bbr_unit_id=seeded_uuid(rng),
                                use_code=150 if dept_spec.student else 140,
                                area_m2=area,
                                rooms=rooms,
                            )
                            plans.append(
                                UnitPlan(
                                    unit=unit,
                                    student=dept_spec.student,
                                    private=spec.kind == "private",
                                )
                            )
        return plans

    def unit_size(self, *, student: bool, floor: str, door: str) -> tuple[Decimal, int]:
        rng = self.rng
        if student:
            area = rng.randrange(36, 64) / 2  # 18-32 m²
            rooms = 1
        elif floor == "kl":
            area, rooms = rng.randrange(70, 90) / 2, 1
        elif door == "mf":
            area, rooms = rng.randrange(90, 124) / 2, rng.choice((1, 2, 2))
        else:
            rooms = rng.choice((2, 2, 3, 3, 3, 4))
            area = rng.randrange(40 + rooms * 14, 60 + rooms * 18)
        return Decimal(f"{area:.2f}"), rooms

    # -- letting ---------------------------------------------------------------------

    def let_units(self, plans: list[UnitPlan], *, org: Organisation, actor) -> None:
        rng = self.rng
        candidates = [p for p in plans if not p.student]
        special = rng.sample(candidates, 6 if not plans[0].private else 1)
        vacant_never_let: list[UnitPlan] = []
        vacant_recent: list[UnitPlan] = []
        skip: set[int] = set()
        if plans[0].private:
            # The owner lives in one of the flats (BBR field 322 = E).
            services.unit_update(unit=special[0].unit, actor=actor, letting_code=LettingCode.OWNER)
            skip.add(special[0].unit.pk)
        else:
            owner_used, never, recent1, recent2, h_unit = special[:5]
            services.unit_update(unit=owner_used.unit, actor=actor, letting_code=LettingCode.OWNER)
            vacant_never_let.append(never)
            vacant_recent += [recent1, recent2]
            # H: a flat joined with its neighbour; the rent is registered on the neighbour.
            neighbour = next(
                p
                for p in plans
                if p.unit.entrance_id == h_unit.unit.entrance_id
                and p.unit.pk != h_unit.unit.pk
                and p not in special
            )
            services.unit_update(
                unit=h_unit.unit,
                actor=actor,
                letting_code=LettingCode.ELSEWHERE,
                letting_reference=neighbour.unit,
            )
            skip.update(p.unit.pk for p in (owner_used, never, recent1, recent2, h_unit))
            for plan in (never, recent1, recent2):
                services.unit_update(unit=plan.unit, actor=actor, letting_code=LettingCode.VACANT)

        let = [p for p in plans if p.unit.pk not in skip]
        members = {p.unit.pk for p in rng.sample(let, 2)} if not plans[0].private else set()
        for plan in let:
            if rng.random() < PREVIOUS_TENANT_SHARE:
                # Tenant change: end the old lease, then a new lease from the next day.
                old_start = first_of_month(random_date(rng, date(1990, 1, 1), date(2016, 12, 31)))
                new_start = first_of_month(
                    random_date(rng, old_start + timedelta(days=400), self.today - timedelta(60))
                )
                old = self.lease(plan, org=org, actor=actor, start=old_start, member=False)
                services.lease_end(
                    lease=old,
                    end_date=new_start - timedelta(days=1),
                    reason="Fraflytning",
                    actor=actor,
                )
                start = new_start
            else:
                earliest = date(2019, 1, 1) if plan.student else date(1992, 1, 1)
                start = first_of_month(random_date(rng, earliest, self.today - timedelta(days=45)))
            lease = self.lease(
                plan, org=org, actor=actor, start=start, member=plan.unit.pk in members
            )
            if rng.random() < 0.05:
                effective = first_of_month(
                    random_date(rng, start + timedelta(days=31), self.today + timedelta(days=31))
                )
                if effective > start:
                    services.lease_change_rent(
                        lease=lease,
                        rent=(lease.rent * Decimal("1.03")).quantize(Decimal("1")),
                        effective_date=effective,
                        actor=actor,
                    )
        for plan in vacant_recent:
            # Moved out within the last year: shows in CPR landlord lookups as moved out.
            start = first_of_month(random_date(rng, date(2008, 1, 1), date(2021, 12, 31)))
            end = month_end_before(self.today - timedelta(days=rng.randrange(20, 300)))
            lease = self.lease(plan, org=org, actor=actor, start=start, member=False)
            services.lease_end(lease=lease, end_date=end, reason="Opsagt af lejer", actor=actor)

    def lease(self, plan: UnitPlan, *, org, actor, start: date, member: bool) -> Lease:
        rng = self.rng
        unit = plan.unit
        first = self.person(org, actor=actor, lease_start=start, student=plan.student)
        parties = [first]
        if not plan.student and rng.random() < TWO_PARTIES_SHARE:
            last = first.name.split()[-1] if rng.random() < 0.6 else None
            parties.append(
                self.person(org, actor=actor, lease_start=start, student=False, last_name=last)
            )
        yearly_rate = 1650 if plan.private else (1300 if plan.student else rng.randrange(850, 1150))
        rent = (unit.area_m2 * yearly_rate / 12).quantize(Decimal("1"))
        heating_form = HeatingForm.DISTRICT if rng.random() < 0.85 else HeatingForm.GAS
        return services.lease_create(
            unit=unit,
            parties=parties,
            start_date=start,
            rent=rent,
            actor=actor,
            holder_type=HolderType.MEMBER if member else HolderType.TENANT,
            heating_aconto=(unit.area_m2 * Decimal(rng.randrange(8, 14))).quantize(Decimal("5")),
            water_aconto=Decimal(rng.randrange(30, 70) * 5),
            heating_form=heating_form,
            tenant_maintains=plan.private and rng.random() < 0.5,
            private_kitchen=not (plan.student and rng.random() < 0.5),
            garage_carport=rng.random() < 0.05,
            accessible=unit.floor == "st" and rng.random() < 0.3,
            student_room=plan.student,
        )

    def person(
        self, org, *, actor, lease_start: date, student: bool, last_name: str | None = None
    ) -> Person:
        rng = self.rng
        male = rng.random() < 0.5
        name = random_name(rng, male=male, last_name=last_name or rng.choice(LAST_NAMES))
        age_at_start = rng.randrange(19, 27) if student else rng.randrange(19, 70)
        latest_birth = self.today - timedelta(days=18 * 366)
        birth = min(
            random_date(
                rng,
                lease_start - timedelta(days=(age_at_start + 1) * 365),
                lease_start - timedelta(days=age_at_start * 365),
            ),
            latest_birth,
        )
        birth = max(birth, date(1920, 1, 1))
        while True:
            cpr = make_cpr(rng, birth, male=male, modulus11=rng.random() >= NOT_MODULUS11_SHARE)
            if cpr not in self.cprs:
                self.cprs.add(cpr)
                break
        self.email_n += 1
        return services.person_create(
            organisation=org,
            name=name,
            cpr=cpr,
            cpr_basis=hooks.CprBasis(kind="consent", evidence="Samtykke i lejesagen (demodata)"),
            email=email_for(name, self.email_n, rng.choice(EMAIL_DOMAINS))
            if rng.random() < 0.6
            else "",
            phone=random_phone(rng) if rng.random() < 0.75 else "",
            protected=rng.random() < PROTECTED_SHARE,
            actor=actor,
        )
