"""The reminder's 10-day deadline and the one-month fee notice around month ends, leap
days and the two daylight-saving switches (Europe/Copenhagen): calendar days count, the
deadline day itself is still in time, and the nightly run uses the Danish date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import DomainError
from waitlist.models import Application, FeeSchedule, Invoice, Payment
from waitlist.services.announce import first_period_at_new_fee
from waitlist.services.applicants import applicant_signup
from waitlist.services.fees import (
    fee_schedule_create,
    invoice_mark_paid,
    notice_effective_date,
    renewal_fee_for,
)
from waitlist.services.nightly import nightly_run
from waitlist.tasks import nightly_run_task

from .conftest import data

pytestmark = pytest.mark.django_db


def _renewal_due(cooperation, due: date) -> Invoice:
    """A family applicant whose renewal invoice (period starting `due`) is open."""
    paid_on = date(due.year - 1, due.month, min(due.day, 28))
    applicant = applicant_signup(cooperation=cooperation, data=data(), today=paid_on)
    signup = applicant.invoices.get()
    payment = Payment.objects.create(
        applicant=applicant, amount=signup.amount, paid_on=paid_on, method="card"
    )
    invoice_mark_paid(invoice=signup, payment=payment)
    Application.objects.filter(applicant=applicant).update(paid_until=due)
    assert nightly_run(today=due - timedelta(days=1)).renewal_invoices == 1
    return Invoice.objects.get(kind="renewal")


@pytest.mark.parametrize(
    ("reminded_on", "deadline"),
    [
        (date(2024, 2, 19), date(2024, 2, 29)),  # leap year: the deadline is 29 February
        (date(2025, 2, 19), date(2025, 3, 1)),  # no leap day: into March
        (date(2025, 1, 22), date(2025, 2, 1)),  # across a month end
        (date(2025, 12, 25), date(2026, 1, 4)),  # across the new year
        (date(2025, 3, 25), date(2025, 4, 4)),  # summer time starts 30 March (a 23-hour day)
        (date(2025, 10, 20), date(2025, 10, 30)),  # summer time ends 26 October (25 hours)
    ],
)
def test_reminder_deadline_is_ten_calendar_days_and_the_deadline_day_counts(
    cooperation, reminded_on, deadline
):
    invoice = _renewal_due(cooperation, reminded_on - timedelta(days=1))
    assert nightly_run(today=reminded_on).reminders == 1
    invoice.refresh_from_db()
    assert invoice.reminder_deadline == deadline
    assert invoice.application.reminder_deadline == deadline
    # Paying on the deadline day is in time; the run on that day deletes nobody.
    assert nightly_run(today=deadline).deletions == 0
    assert Application.objects.get(pk=invoice.application_id).status == "reminded"
    # The day after, the seniority is lost.
    assert nightly_run(today=deadline + timedelta(days=1)).deletions == 1
    assert Application.objects.get(pk=invoice.application_id).status == "deleted"


@pytest.mark.parametrize(
    ("utc_now", "danish_day"),
    [
        # 00:30 on the night summer time starts: still UTC+1, the UTC date is the day before.
        (datetime(2025, 3, 29, 23, 30, tzinfo=UTC), date(2025, 3, 30)),
        # 00:30 on the night summer time ends: UTC+2, the UTC date is the day before.
        (datetime(2025, 10, 25, 22, 30, tzinfo=UTC), date(2025, 10, 26)),
        # 02:30 summer time on the morning after the switch back: 03:30 would be wrong too.
        (datetime(2025, 10, 26, 1, 30, tzinfo=UTC), date(2025, 10, 26)),
    ],
)
def test_scheduled_run_uses_the_danish_date_across_daylight_saving(
    cooperation, monkeypatch, utc_now, danish_day
):
    """The beat task runs without a date: the day is the Danish calendar day, so the
    reminder deadline and the deletion cut-off follow Danish days, not UTC ones."""
    due = danish_day - timedelta(days=1)  # due yesterday (Danish): reminded tonight
    invoice = _renewal_due(cooperation, due)
    monkeypatch.setattr(timezone, "now", lambda: utc_now)
    assert timezone.localdate() == danish_day
    assert nightly_run_task()["reminders"] == 1
    invoice.refresh_from_db()
    assert invoice.reminder_deadline == danish_day + timedelta(days=10)
    # The same run repeated later that Danish night does nothing more.
    monkeypatch.setattr(timezone, "now", lambda: utc_now + timedelta(minutes=50))
    assert nightly_run_task()["reminders"] == 0


@pytest.mark.parametrize(
    ("announced", "earliest"),
    [
        (date(2024, 1, 31), date(2024, 2, 29)),  # 31 January + 1 month in a leap year
        (date(2025, 1, 31), date(2025, 2, 28)),  # ... and in an ordinary year
        (date(2024, 2, 29), date(2024, 3, 29)),  # announced on the leap day
        (date(2025, 3, 31), date(2025, 4, 30)),  # into a 30-day month
        (date(2024, 12, 31), date(2025, 1, 31)),  # across the new year
        (date(2025, 3, 30), date(2025, 4, 30)),  # announced the day summer time starts
        (date(2025, 10, 26), date(2025, 11, 26)),  # announced the day summer time ends
    ],
)
def test_fee_notice_one_month_at_month_ends_leap_days_and_dst(cooperation, announced, earliest):
    assert notice_effective_date(announced) == earliest
    # A day too early is refused with the earliest date in the message ...
    with pytest.raises(DomainError, match=earliest.strftime("%d.%m.%Y")):
        fee_schedule_create(
            cooperation=cooperation,
            channel="e_offer",
            valid_from=earliest - timedelta(days=1),
            signup_fee=Decimal("200"),
            renewal_fee=Decimal("175"),
            announced_at=announced,
        )
    # ... the earliest day itself is accepted, and only periods from it pay the new fee.
    schedule = fee_schedule_create(
        cooperation=cooperation,
        channel="e_offer",
        valid_from=earliest,
        signup_fee=Decimal("200"),
        renewal_fee=Decimal("175"),
        announced_at=announced,
    )
    before = earliest - timedelta(days=1)
    assert renewal_fee_for(cooperation=cooperation, channel="e_offer", period_start=before) == 150
    assert renewal_fee_for(cooperation=cooperation, channel="e_offer", period_start=earliest) == 175
    # The announcement names the first period at the new fee: a period starting the day
    # before the earliest date keeps the old fee for a year.
    assert first_period_at_new_fee(earliest, schedule) == earliest
    assert first_period_at_new_fee(before, schedule) > earliest


@pytest.mark.parametrize(
    ("announced", "valid_from", "period_start", "fee"),
    [
        # Valid from 1 March, announced 1 February 2024: a period starting on the leap day
        # is before valid_from (old fee); 29 March 2024 is on time (1 Feb + 1 month = 1 Mar).
        (date(2024, 2, 1), date(2024, 3, 1), date(2024, 2, 29), Decimal("150")),
        (date(2024, 2, 1), date(2024, 3, 1), date(2024, 3, 1), Decimal("175")),
        # Announced late (31 January 2025 for 1 February): the notice ends 28 February.
        (date(2025, 1, 31), date(2025, 2, 1), date(2025, 2, 27), Decimal("150")),
        (date(2025, 1, 31), date(2025, 2, 1), date(2025, 2, 28), Decimal("175")),
    ],
)
def test_nightly_invoices_the_fee_the_notice_rule_gives(
    cooperation, announced, valid_from, period_start, fee
):
    # Created directly: a late announcement is what fee_schedule_create refuses, but the
    # rule must still hold for schedules imported or entered before the check existed.
    FeeSchedule.objects.create(
        cooperation=cooperation,
        channel="e_offer",
        valid_from=valid_from,
        announced_at=announced,
        signup_fee=Decimal("200"),
        renewal_fee=Decimal("175"),
    )
    invoice = _renewal_due(cooperation, period_start)
    assert invoice.period_start == period_start
    assert invoice.amount == fee
    assert (
        renewal_fee_for(cooperation=cooperation, channel="e_offer", period_start=period_start)
        == fee
    )
