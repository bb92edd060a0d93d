"""Announcing a renewal-fee change to the applicants it concerns.

For each family application on the list with the schedule's channel, the first period the
new fee applies to is the first period start (paid_until, then yearly) on or after both the
schedule's valid_from and announcement + one month (the notice rule, waitlist.services.fees).
Each applicant is told once per schedule (dedup key), so the announcement can be rerun."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from ..models import Application, FeeSchedule, ListType
from .applicants import message_queue
from .dates import add_year, kr
from .fees import notice_effective_date


def first_period_at_new_fee(paid_until: date, schedule: FeeSchedule) -> date:
    start = paid_until
    threshold = max(schedule.valid_from, notice_effective_date(schedule.announced_at))
    while start < threshold:
        start = add_year(start)
    return start


def fee_change_announce(*, schedule: FeeSchedule, chunk: int = 1000) -> int:
    """Queue the announcement to every affected applicant; returns how many were queued."""
    previous = (
        FeeSchedule.objects.filter(
            cooperation=schedule.cooperation_id,
            channel=schedule.channel,
            valid_from__lt=schedule.valid_from,
        )
        .order_by("-valid_from")
        .first()
    )
    if previous is not None and previous.renewal_fee == schedule.renewal_fee:
        return 0
    ids = list(
        Application.objects.filter(
            applicant__cooperation_id=schedule.cooperation_id,
            applicant__channel=schedule.channel,
            list_type=ListType.FAMILY,
            status__in=[Application.Status.ACTIVE, Application.Status.REMINDED],
            paid_until__isnull=False,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    queued = 0
    for offset in range(0, len(ids), chunk):
        with transaction.atomic():
            for app in Application.objects.filter(
                pk__in=ids[offset : offset + chunk]
            ).select_related("applicant"):
                assert app.paid_until is not None  # noqa: S101 - filtered above
                start = first_period_at_new_fee(app.paid_until, schedule)
                text = _(
                    "Ajourføringsgebyret ændres til %(fee)s. Det gælder fra din periode, der "
                    "begynder %(start)s. Indtil da betaler du det hidtidige gebyr."
                ) % {
                    "fee": kr(schedule.renewal_fee),
                    "start": start.strftime("%d.%m.%Y"),
                }
                queued += len(
                    message_queue(
                        applicant=app.applicant,
                        kind="fee_change",
                        subject=_("Varsel om nyt ajourføringsgebyr"),
                        body=text,
                        dedup_key=f"fee:{schedule.pk}:{app.pk}",
                    )
                )
    return queued
