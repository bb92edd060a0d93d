from datetime import date, timedelta
from decimal import Decimal

import pytest

from core.errors import DomainError
from waitlist.models import Applicant, Application, Invoice, Message, Payment
from waitlist.services.applicants import (
    applicant_signup,
    application_leave,
    channel_change,
    student_renew,
    wishes_update,
)
from waitlist.services.dates import add_months, add_year
from waitlist.services.fees import fee_schedule_create, invoice_mark_paid, renewal_fee_for
from waitlist.services.nightly import nightly_run

from .conftest import data

pytestmark = pytest.mark.django_db

TODAY = date(2025, 3, 10)


def pay(invoice, on, amount=None, **kw):
    payment = Payment.objects.create(
        applicant=invoice.applicant,
        amount=amount if amount is not None else invoice.amount,
        paid_on=on,
        method="card",
        **kw,
    )
    return invoice_mark_paid(invoice=invoice, payment=payment)


def test_dates_month_ends_and_leap_days():
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 12, 15), 1) == date(2026, 1, 15)
    assert add_year(date(2024, 2, 29)) == date(2025, 2, 28)
    assert add_year(date(2025, 3, 30)) == date(2026, 3, 30)  # DST weekend: plain dates


def test_signup_family_creates_invoice_and_nothing_on_list_until_paid(cooperation):
    applicant = applicant_signup(cooperation=cooperation, data=data(), today=TODAY)
    assert applicant.cpr_masked == "010190-xxxx"
    assert "1234" not in applicant.cpr_encrypted
    app = applicant.applications.get()
    assert app.status == "pending_payment"
    assert app.seniority_date is None
    invoice = app.invoices.get()
    assert invoice.kind == "signup"
    assert invoice.amount == Decimal("200")
    applicant.refresh_from_db()
    assert applicant.debt == Decimal("200")

    pay(invoice, date(2025, 3, 12))
    app.refresh_from_db()
    assert app.status == "active"
    assert app.seniority_date == date(2025, 3, 12)
    assert app.paid_until == date(2026, 3, 12)
    applicant.refresh_from_db()
    assert applicant.debt == 0
    # idempotent: marking again (e.g. a duplicate webhook) changes nothing
    invoice_mark_paid(invoice=invoice, payment=Payment.objects.get())
    app.refresh_from_db()
    assert app.paid_until == date(2026, 3, 12)


def test_letter_channel_costs_more(cooperation):
    applicant = applicant_signup(
        cooperation=cooperation, data=data(channel="letter", email=""), today=TODAY
    )
    assert applicant.invoices.get().amount == Decimal("300")


def test_partial_payment_keeps_invoice_open(cooperation):
    applicant = applicant_signup(cooperation=cooperation, data=data(), today=TODAY)
    invoice = applicant.invoices.get()
    pay(invoice, TODAY, amount=Decimal("100"))
    invoice.refresh_from_db()
    assert invoice.status == "open"
    pay(invoice, TODAY + timedelta(days=2), amount=Decimal("100"))
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert applicant.applications.get().seniority_date == TODAY + timedelta(days=2)


def test_under_15_refused_and_nothing_saved(cooperation):
    with pytest.raises(DomainError, match="fyldt 15"):
        applicant_signup(
            cooperation=cooperation, data=data(cpr="", birth_date=date(2010, 3, 11)), today=TODAY
        )
    assert not Applicant.objects.exists()
    # 15 on the day: accepted (from the CPR birth date)
    applicant_signup(cooperation=cooperation, data=data(cpr="100310-1234"), today=TODAY)


def test_duplicate_cpr_refused_with_clear_message(cooperation):
    applicant_signup(cooperation=cooperation, data=data(), today=TODAY)
    with pytest.raises(DomainError, match="allerede en ansøger"):
        applicant_signup(cooperation=cooperation, data=data(name="Anden"), today=TODAY)
    assert Applicant.objects.count() == 1
    assert Invoice.objects.count() == 1


def test_student_is_free_and_on_list_from_signup(cooperation):
    applicant = applicant_signup(
        cooperation=cooperation, data=data(list_types=["student", "family"]), today=TODAY
    )
    student = applicant.applications.get(list_type="student")
    assert student.status == "active"
    assert student.seniority_date == TODAY
    assert not student.invoices.exists()
    family = applicant.applications.get(list_type="family")
    assert family.seniority_date is None  # seniority never shared between types


def test_student_renew_window(cooperation):
    applicant = applicant_signup(
        cooperation=cooperation, data=data(list_types=["student"]), today=TODAY
    )
    app = applicant.applications.get()
    with pytest.raises(DomainError, match="tidligst"):
        student_renew(application=app, today=TODAY)
    app = student_renew(application=app, today=add_year(TODAY) - timedelta(days=5))
    assert app.paid_until == add_year(add_year(TODAY))


def test_channel_and_wishes(cooperation):
    applicant = applicant_signup(cooperation=cooperation, data=data(), today=TODAY)
    channel_change(applicant=applicant, channel="e_offer", sms_opt_in=True)
    assert applicant.sms_opt_in
    channel_change(applicant=applicant, channel="letter", sms_opt_in=True)
    assert applicant.channel == "letter"
    assert not applicant.sms_opt_in
    app = applicant.applications.get()
    with pytest.raises(DomainError):
        wishes_update(application=app, min_rooms=4, max_rooms=2)
    wishes_update(application=app, min_rooms=2, max_rooms=4, max_rent=Decimal("7500"))
    app.refresh_from_db()
    assert app.max_rooms == 4


def test_fee_schedule_notice_rule(cooperation):
    with pytest.raises(DomainError, match="varsles mindst en måned"):
        fee_schedule_create(
            cooperation=cooperation,
            channel="e_offer",
            valid_from=date(2025, 2, 27),
            signup_fee=Decimal("200"),
            renewal_fee=Decimal("175"),
            announced_at=date(2025, 1, 31),
        )
    schedule = fee_schedule_create(
        cooperation=cooperation,
        channel="e_offer",
        valid_from=date(2025, 2, 28),
        signup_fee=Decimal("200"),
        renewal_fee=Decimal("175"),
        announced_at=date(2025, 1, 31),
    )
    assert schedule.pk
    assert (
        renewal_fee_for(cooperation=cooperation, channel="e_offer", period_start=date(2025, 2, 27))
        == 150
    )
    assert (
        renewal_fee_for(cooperation=cooperation, channel="e_offer", period_start=date(2025, 2, 28))
        == 175
    )


def test_renewal_fee_announced_late_hits_only_later_periods(cooperation):
    # Valid from 1 March but announced 15 February: a period starting 10 March (< 15 March)
    # keeps the old fee; one starting 15 March pays the new one.
    from waitlist.models import FeeSchedule

    FeeSchedule.objects.create(
        cooperation=cooperation,
        channel="e_offer",
        valid_from=date(2025, 3, 1),
        announced_at=date(2025, 2, 15),
        signup_fee=Decimal("200"),
        renewal_fee=Decimal("180"),
    )
    assert (
        renewal_fee_for(cooperation=cooperation, channel="e_offer", period_start=date(2025, 3, 10))
        == 150
    )
    assert (
        renewal_fee_for(cooperation=cooperation, channel="e_offer", period_start=date(2025, 3, 15))
        == 180
    )


def _paid_family(cooperation, paid_on, **kw):
    applicant = applicant_signup(cooperation=cooperation, data=data(**kw), today=paid_on)
    pay(applicant.invoices.get(), paid_on)
    return applicant, applicant.applications.get()


def test_nightly_renewal_reminder_deletion_and_nothing_twice(cooperation):
    applicant, app = _paid_family(cooperation, date(2024, 2, 29))
    assert app.paid_until == date(2025, 2, 28)
    # 30 days before the period: no invoice yet the day before
    assert nightly_run(today=date(2025, 1, 28)).renewal_invoices == 0
    result = nightly_run(today=date(2025, 1, 29))
    assert result.renewal_invoices == 1
    assert nightly_run(today=date(2025, 1, 29)).renewal_invoices == 0  # run twice
    invoice = Invoice.objects.get(kind="renewal")
    assert (invoice.period_start, invoice.period_end) == (date(2025, 2, 28), date(2026, 2, 28))
    assert invoice.due_date == date(2025, 2, 28)
    assert Message.objects.filter(kind="renewal_invoice").count() == 1
    # not paid on the due date: the reminder the day after, 10-day deadline
    assert nightly_run(today=date(2025, 2, 28)).reminders == 0
    assert nightly_run(today=date(2025, 3, 1)).reminders == 1
    assert nightly_run(today=date(2025, 3, 1)).reminders == 0
    invoice.refresh_from_db()
    assert invoice.status == "reminded"
    assert invoice.reminder_deadline == date(2025, 3, 11)
    app.refresh_from_db()
    assert app.status == "reminded"
    assert app.on_list
    # deleted the day after the deadline, not on it
    assert nightly_run(today=date(2025, 3, 11)).deletions == 0
    assert nightly_run(today=date(2025, 3, 12)).deletions == 1
    assert nightly_run(today=date(2025, 3, 12)).deletions == 0
    app.refresh_from_db()
    assert app.status == "deleted"
    assert app.seniority_date is None
    invoice.refresh_from_db()
    assert invoice.status == "cancelled"
    assert Message.objects.filter(kind="reminder").count() == 1
    assert Message.objects.filter(kind="deleted").count() == 1
    applicant.refresh_from_db()
    assert applicant.deleted_at is not None
    assert applicant.debt == 0
    # a late payment of the cancelled invoice does not revive the seniority
    pay(invoice, date(2025, 3, 13))
    app.refresh_from_db()
    assert app.status == "deleted"


def test_renewal_paid_within_deadline_keeps_seniority(cooperation):
    _applicant, app = _paid_family(cooperation, date(2024, 5, 31))
    nightly_run(today=date(2025, 5, 2))
    nightly_run(today=date(2025, 6, 1))
    invoice = Invoice.objects.get(kind="renewal")
    assert invoice.status == "reminded"
    pay(invoice, date(2025, 6, 5))
    app.refresh_from_db()
    assert app.status == "active"
    assert app.seniority_date == date(2024, 5, 31)
    assert app.paid_until == date(2026, 5, 31)
    assert nightly_run(today=date(2025, 6, 30)).deletions == 0


def test_nightly_student_cycle(cooperation):
    applicant = applicant_signup(
        cooperation=cooperation, data=data(list_types=["student"]), today=date(2024, 1, 31)
    )
    app = applicant.applications.get()
    assert app.paid_until == date(2025, 1, 31)
    assert nightly_run(today=date(2025, 1, 1)).student_notices == 1
    assert nightly_run(today=date(2025, 1, 2)).student_notices == 0
    assert nightly_run(today=date(2025, 2, 1)).student_reminders == 1
    app.refresh_from_db()
    assert app.reminder_deadline == date(2025, 2, 11)
    assert nightly_run(today=date(2025, 2, 12)).student_deletions == 1
    app.refresh_from_db()
    assert app.status == "deleted"
    assert Message.objects.filter(kind="reminder").count() == 1


def test_leave_loses_seniority_without_refund(cooperation):
    _applicant, app = _paid_family(cooperation, TODAY)
    application_leave(application=app)
    app.refresh_from_db()
    assert app.status == "left"
    assert app.seniority_date is None
    assert Payment.objects.count() == 1  # no refund
    with pytest.raises(DomainError):
        application_leave(application=app)


def test_reopen_after_deletion_starts_new_seniority(cooperation):
    from waitlist.services.applicants import application_open

    applicant, app = _paid_family(cooperation, TODAY)
    application_leave(application=app)
    app2 = application_open(
        applicant=applicant, list_type="family", today=TODAY + timedelta(days=40)
    )
    assert app2.pk == app.pk
    assert app2.status == "pending_payment"
    pay(app2.invoices.filter(status="open").get(), TODAY + timedelta(days=41))
    app2.refresh_from_db()
    assert app2.seniority_date == TODAY + timedelta(days=41)
    assert Application.objects.count() == 1


def test_fee_change_announced_with_the_first_period_it_applies_to(cooperation):
    from waitlist.services.announce import fee_change_announce

    _a1, early = _paid_family(
        cooperation, date(2024, 3, 5), cpr="010180-1111"
    )  # next period 05.03.2025
    _a2, later = _paid_family(cooperation, date(2024, 4, 20), cpr="010181-1111")  # next 20.04.2025
    schedule = fee_schedule_create(
        cooperation=cooperation,
        channel="e_offer",
        valid_from=date(2025, 3, 1),
        signup_fee=Decimal("200"),
        renewal_fee=Decimal("175"),
        announced_at=date(2025, 2, 1),
    )
    assert fee_change_announce(schedule=schedule) == 2
    assert fee_change_announce(schedule=schedule) == 0  # once per applicant
    texts = {m.applicant_id: m.body for m in Message.objects.filter(kind="fee_change")}
    assert "05.03.2025" in texts[early.applicant_id]
    assert "20.04.2025" in texts[later.applicant_id]
    # a change announced late (10.02 for 01.03): the period starting 05.03 keeps the old fee
    late = fee_schedule_create(
        cooperation=cooperation,
        channel="e_offer",
        valid_from=date(2025, 3, 12),
        signup_fee=Decimal("200"),
        renewal_fee=Decimal("190"),
        announced_at=date(2025, 2, 10),
    )
    fee_change_announce(schedule=late)
    body = (
        Message.objects.filter(kind="fee_change", dedup_key__startswith=f"fee:{late.pk}:{early.pk}")
        .get()
        .body
    )
    assert "05.03.2026" in body


def test_municipality_allocated_units_never_offered(cooperation, caseworker, unit):
    from tests.factories import UnitFactory
    from waitlist.models import UnitListing
    from waitlist.selectors import offerable_units

    elderly = UnitFactory(entrance=unit.entrance)
    UnitListing.objects.create(
        unit=elderly, municipality_allocated=True, let_through_joint_list=False
    )
    offered = set(offerable_units(user=caseworker))
    assert unit in offered
    assert elderly not in offered
