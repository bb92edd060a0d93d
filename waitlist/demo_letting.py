"""Letting's demo (issue 14), run by `waitlist_seed_demo` after the list's demo: the
cooperation's letting rules, two homes fallen vacant (two leases ended through the tenancy
service, so the vacancies come from the lease_changed hook as in real life), and the demo
self-service applicant and one letter-channel applicant moved to the top of the family list
so the whole path (round, online answer, staff answer, new lease) can be tried in `make run`.
Idempotent: nothing happens when the cooperation already has vacancies."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from tenancy.models import Lease
from tenancy.services import lease_end

from .demo_data import COOPERATION_NAME, SELF_SERVICE_EMAIL
from .models import Application, Cooperation, CooperationMember, UnitListing
from .models_letting import LettingRules, Vacancy

DEMO_SENIORITY = date(2008, 3, 1)


def _promote(coop: Cooperation) -> None:
    signe = Application.objects.filter(
        applicant__cooperation=coop,
        applicant__email=SELF_SERVICE_EMAIL,
        list_type="family",
        status=Application.Status.ACTIVE,
    ).first()
    letter = (
        Application.objects.filter(
            applicant__cooperation=coop,
            applicant__channel="letter",
            list_type="family",
            status=Application.Status.ACTIVE,
        )
        .order_by("pk")
        .first()
    )
    for offset, application in enumerate(a for a in (signe, letter) if a):
        application.seniority_date = DEMO_SENIORITY + timedelta(days=offset)
        application.save(update_fields=["seniority_date"])


def seed() -> int:
    """End two leases on list homes; returns the number of vacancies made (0: done before)."""
    coop = Cooperation.objects.filter(name=COOPERATION_NAME).first()
    if coop is None or Vacancy.objects.filter(cooperation=coop).exists():
        return 0
    LettingRules.objects.get_or_create(cooperation=coop)
    _promote(coop)
    org_ids = CooperationMember.objects.filter(cooperation=coop).values("organisation_id")
    municipal = UnitListing.objects.filter(municipality_allocated=True).values("unit_id")
    leases = (
        Lease.objects.filter(
            organisation_id__in=org_ids,
            end_date__isnull=True,
            student_room=False,
            unit__rooms__gte=2,
            unit__rooms__lte=4,
        )
        .exclude(unit_id__in=municipal)
        .order_by("pk")[:2]
    )
    end = timezone.localdate() + timedelta(days=30)
    for lease in leases:
        lease_end(lease=lease, end_date=max(end, lease.start_date), reason="Demo: opsagt")
    return Vacancy.objects.filter(cooperation=coop).count()
