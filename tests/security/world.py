"""Two organisations (A and B), each with one object of every kind a URL can name, and a
user per role (members of A only). Used by the authorisation matrix.

BUILDERS maps an object name (the `obj` of an entry in route_policy.py, or a name in
KWARG_OBJECTS) to a function building that object for one side ("a" or "b"). A new kind of
object in a URL: add a builder here and name it in the route's policy entry."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from tests.factories import (
    DepartmentFactory,
    MembershipFactory,
    OrganisationFactory,
    UnitFactory,
    UserFactory,
    make_lease,
    make_person,
)

from .conftest import verified_client

ROLES = ("anonymous", "applicant", "caseworker", "cpr_officer", "org_admin", "superuser")
MEMBER_ROLES = ("caseworker", "cpr_officer", "org_admin", "superuser")


class World:
    def __init__(self) -> None:
        self.orgs = {"a": OrganisationFactory(name="Organisation A"), "b": None}
        self.orgs["b"] = OrganisationFactory(name="Organisation B")
        self.users = {
            "applicant": UserFactory(username="ansoeger"),
            "caseworker": MembershipFactory(organisation=self.orgs["a"]).user,
            "cpr_officer": MembershipFactory(organisation=self.orgs["a"], role="cpr_officer").user,
            "org_admin": MembershipFactory(organisation=self.orgs["a"], role="org_admin").user,
            "superuser": UserFactory(username="root", is_superuser=True, is_staff=True),
        }
        MembershipFactory(
            organisation=self.orgs["a"], user=self.users["superuser"], role="org_admin"
        )
        # who acts in organisation B (creates B's objects)
        self.b_user = MembershipFactory(organisation=self.orgs["b"], role="cpr_officer").user
        self.objects: dict[tuple[str, str], object] = {}

    def actor(self, side: str):
        return self.users["cpr_officer"] if side == "a" else self.b_user

    def obj(self, name: str, side: str, *, fresh: bool = False):
        """The object `name` of organisation `side`, built on first use (fresh: a new one)."""
        key = (name, side)
        if fresh or key not in self.objects:
            if name not in BUILDERS:
                raise LookupError(
                    f"tests/security/world.py has no builder {name!r}: add one to BUILDERS"
                )
            built = BUILDERS[name](self, side)
            if fresh:
                return built
            self.objects[key] = built
        return self.objects[key]

    def client_for(self, role: str):
        from django.test import Client

        client = Client() if role == "anonymous" else verified_client(self.users[role])
        client.raise_request_exception = False  # a 500 is an outcome the matrix reports
        return client


# --- builders: one per object kind -----------------------------------------------------------


def _unit(world: World, side: str):
    org = world.orgs[side]
    return UnitFactory(
        entrance__building__property__organisation=org,
        entrance__building__property__department=DepartmentFactory(organisation=org),
        bbr_unit_id=uuid.uuid4(),
    )


def _person(world: World, side: str):
    return make_person(world.orgs[side], name=f"Person {side.upper()}")


def _lease(world: World, side: str):
    return make_lease(world.obj("unit", side, fresh=True), parties=[world.obj("person", side)])


def _filing(world: World, side: str):
    lease = world.obj("lease", side)
    return lease.rent_filings.order_by("pk").first()


def _udk_task(world: World, side: str):
    from rentregister.models import UdkTask

    lease = world.obj("lease", side)
    return UdkTask.objects.create(
        organisation=world.orgs[side],
        lease=lease,
        filing=world.obj("filing", side),
        kind="correction",
        recipient="Udbetaling Danmark",
        subject="Rettelse",
        message="Husleje før og efter",
    )


def _scan(world: World, side: str):
    from cprlookup.models import ScanJob, ScanStatus

    return ScanJob.objects.create(
        organisation=world.orgs[side],
        started_by=world.actor(side),
        scheduled=False,
        status=ScanStatus.DONE,
        total=1,
        done=1,
        finished_at=timezone.now(),
    )


def _lookup(world: World, side: str):
    from cprlookup.models import CprLookup

    entrance = world.obj("unit", side).entrance
    return CprLookup.objects.create(
        id=uuid.uuid4(),
        organisation=world.orgs[side],
        user=world.actor(side),
        source="scan",
        target_kind="entrance",
        target_label=entrance.address,
        entrance=entrance,
        owner_cvr=world.orgs[side].cvr,
        purpose="Kontrol",
        outcome="ok",
        reached_service=True,
        scan_job=world.obj("scan", side),
    )


def _charge(world: World, side: str):
    from cprlookup.models import CprCharge

    lookup = world.obj("lookup", side)
    return CprCharge.objects.create(
        key=f"lookup:{lookup.pk}",
        organisation=world.orgs[side],
        user=world.actor(side),
        lookup=lookup,
        source="scan",
        month=timezone.localdate().replace(day=1),
        amount=Decimal("0.05"),
    )


def _rehousing(world: World, side: str):
    from rentregister.models import Rehousing

    return Rehousing.objects.create(
        organisation=world.orgs[side],
        lease=world.obj("lease", side),
        kind="temporary",
        placement="internal",
        start_date=timezone.localdate() - timedelta(days=10),
        created_by=world.actor(side),
    )


def _contact(world: World, side: str):
    from rentregister.models import NotificationContact

    return NotificationContact.objects.create(
        organisation=world.orgs[side], name=f"Kontakt {side}", email=f"kontakt-{side}@example.com"
    )


def _consent(world: World, side: str):
    from rentregister.models import FilingConsent

    return FilingConsent.objects.create(
        organisation=world.orgs[side],
        person=world.obj("person", side),
        recorded_by=world.actor(side),
        given_at=timezone.now(),
    )


def _export_job(world: World, side: str):
    """A finished export job: in A the caseworker's own, in B the B member's."""
    from tenancy import exports
    from tenancy.models import ExportJob

    owner = world.users["caseworker"] if side == "a" else world.b_user
    job = ExportJob.objects.create(
        user=owner, organisation=world.orgs[side], kind="units", status=ExportJob.Status.DONE
    )
    job.file = f"matrix-{side}-{job.pk}.xlsx"
    job.save(update_fields=["file"])
    path = exports.export_job_path(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"PK")
    return job


def _owner_use(world: World, side: str):
    from django.apps import apps

    return apps.get_model("cprlookup", "OwnerUse").objects.create(
        organisation=world.orgs[side],
        unit=world.obj("unit", side, fresh=True),
        recorded_by=world.actor(side),
    )


def _cooperation(world: World, side: str):
    from waitlist.models import Cooperation, CooperationMember

    cooperation = Cooperation.objects.create(name=f"Samarbejde {side.upper()}")
    CooperationMember.objects.create(cooperation=cooperation, organisation=world.orgs[side])
    return cooperation


def _print_batch(world: World, side: str):
    from waitlist.models import PrintBatch

    batch = PrintBatch.objects.create(cooperation=world.obj("cooperation", side), letter_count=1)
    batch.file.save(f"breve-{side}.pdf", ContentFile(b"%PDF-1.4"), save=True)
    return batch


def _applicant(world: World, side: str):
    """Organisation A's cooperation's applicant is the applicant role's own self-service
    account; B's has none."""
    from waitlist.models import Applicant

    return Applicant.objects.create(
        cooperation=world.obj("cooperation", side),
        name=f"Ansøger {side.upper()}",
        email=f"ansoeger-{side}@example.com",
        user=world.users["applicant"] if side == "a" else None,
    )


def _application(world: World, side: str):
    from waitlist.models import Application

    return Application.objects.create(
        applicant=world.obj("applicant", side), list_type="family", status="active"
    )


def _invoice(world: World, side: str):
    from waitlist.models import Invoice

    application = world.obj("application", side)
    return Invoice.objects.create(
        applicant=application.applicant,
        application=application,
        kind="signup",
        amount=Decimal("200.00"),
        due_date=timezone.localdate() + timedelta(days=14),
    )


def _payment(world: World, side: str):
    from waitlist.models import Payment

    invoice = world.obj("invoice", side)
    return Payment.objects.create(
        applicant=invoice.applicant,
        invoice=invoice,
        amount=invoice.amount,
        paid_on=timezone.localdate(),
        method=Payment.Method.values[0],
    )


def _difference(world: World, side: str):
    from rentregister.models import RegisterComparison, RegisterDifference

    lease = world.obj("lease", side)
    comparison = RegisterComparison.objects.create(organisation=world.orgs[side])
    return RegisterDifference.objects.create(
        organisation=world.orgs[side],
        comparison=comparison,
        lease=lease,
        lease_number=lease.number,
        kind="field",
        field="rent",
        ours="1",
        theirs="2",
    )


BUILDERS: dict[str, Callable[[World, str], object]] = {
    "organisation": lambda world, side: world.orgs[side],
    "department": lambda world, side: world.obj("unit", side).entrance.building.property.department,
    "property": lambda world, side: world.obj("unit", side).entrance.building.property,
    "building": lambda world, side: world.obj("unit", side).entrance.building,
    "entrance": lambda world, side: world.obj("unit", side).entrance,
    "unit": _unit,
    "person": _person,
    "lease": _lease,
    "filing": _filing,
    "udk_task": _udk_task,
    "scan": _scan,
    "lookup": _lookup,
    "rehousing": _rehousing,
    "charge": _charge,
    "contact": _contact,
    "consent": _consent,
    "export_job": _export_job,
    "owner_use": _owner_use,
    "cooperation": _cooperation,
    "print_batch": _print_batch,
    "applicant": _applicant,
    "application": _application,
    "invoice": _invoice,
    "payment": _payment,
    "difference": _difference,
}

# URL kwargs other than the route's own object ("pk", "id"): which object fills them, or a
# fixed value. A URL kwarg named nowhere here fails the matrix with a message to add it.
KWARG_OBJECTS: dict[str, str] = {
    "unit_pk": "unit",
    "person_pk": "person",
    "lease_pk": "lease",
}
KWARG_VALUES: dict[str, str] = {
    "kind": "units",
    "uidb64": "MQ",
    "token": "set-password",
}


def _merge_areas() -> None:
    """Add each area's builders and URL kwargs (tests/security/areas/)."""
    import importlib

    from tests.security.areas import AREAS

    for area in AREAS:
        module = importlib.import_module(f"tests.security.areas.{area}")
        BUILDERS.update(module.BUILDERS)
        KWARG_OBJECTS.update(module.KWARG_OBJECTS)


_merge_areas()
