"""The nightly run in a real Celery worker process, killed (SIGKILL) in the middle of the
run and run again: nothing is sent twice, nobody is deleted wrongly (an applicant who pays
between the two runs keeps the seniority), and a further run does nothing.

The run is made long enough to be caught midway by many rows and small chunks
(WAITLIST_NIGHTLY_CHUNK=10 in the worker's environment)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db.models import Count

from tests.worker import start_worker
from waitlist.models import (
    Applicant,
    ApplicantEvent,
    Application,
    Invoice,
    Message,
    Payment,
)
from waitlist.services.fees import invoice_mark_paid
from waitlist.services.nightly import nightly_run

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DAY = date(2025, 6, 2)
OVERDUE = 200  # reminded, deadline passed: deleted by the run (unless they pay meanwhile)
NOT_YET = 20  # reminded, deadline today: not deleted yet
RENEWALS = 400  # renewal invoices due within the lead time


def _applicants(cooperation, prefix: str, n: int) -> list[Applicant]:
    return Applicant.objects.bulk_create(
        Applicant(
            cooperation=cooperation,
            name=f"{prefix} {k}",
            email=f"{prefix.lower()}{k}@example.dk",
            address="Nygade 1",
            postal_code="7400",
            city="Herning",
            debt=Decimal("150.00") if prefix != "Fornyes" else Decimal("0.00"),
        )
        for k in range(n)
    )


def _reminded(cooperation, prefix: str, n: int, deadline: date) -> list[Application]:
    paid_until = DAY - timedelta(days=20)
    apps = Application.objects.bulk_create(
        Application(
            applicant=a,
            list_type="family",
            status="reminded",
            seniority_date=date(2015, 5, 13),
            paid_until=paid_until,
            reminder_deadline=deadline,
        )
        for a in _applicants(cooperation, prefix, n)
    )
    Invoice.objects.bulk_create(
        Invoice(
            applicant_id=app.applicant_id,
            application=app,
            kind="renewal",
            period_start=paid_until,
            period_end=date(2026, paid_until.month, paid_until.day),
            amount=Decimal("150.00"),
            due_date=paid_until,
            status="reminded",
            reminder_deadline=deadline,
        )
        for app in apps
    )
    return apps


@pytest.fixture
def nightly_worker(cooperation, monkeypatch, request):
    monkeypatch.setenv("WAITLIST_NIGHTLY_CHUNK", "10")
    return request.getfixturevalue("celery_worker_process")


def test_worker_killed_mid_run_then_rerun_sends_nothing_twice_and_deletes_no_payer(
    cooperation, nightly_worker, tmp_path
):
    from waitlist.tasks import nightly_run_task

    overdue = _reminded(cooperation, "Rykket", OVERDUE, DAY - timedelta(days=1))
    not_yet = _reminded(cooperation, "Frist", NOT_YET, DAY)
    Application.objects.bulk_create(
        Application(
            applicant=a,
            list_type="family",
            status="active",
            seniority_date=date(2018, 6, 12),
            paid_until=DAY + timedelta(days=10),
        )
        for a in _applicants(cooperation, "Fornyes", RENEWALS)
    )

    nightly_run_task.delay(DAY.isoformat())
    nightly_worker.wait_for(
        lambda: Message.objects.filter(kind="deleted").count() >= 10, timeout=60, interval=0.02
    )
    nightly_worker.process.kill()  # SIGKILL: no clean-up, the open chunk is lost
    nightly_worker.process.wait(timeout=10)
    deleted_at_kill = Application.objects.filter(status="deleted").count()
    renewals_at_kill = Invoice.objects.filter(kind="renewal", status="open").count()
    assert 10 <= deleted_at_kill < OVERDUE or renewals_at_kill < RENEWALS  # really midway
    assert Message.objects.filter(kind="deleted").count() == deleted_at_kill  # state + message

    # Ten applicants still waiting for deletion pay before the rerun: they must survive.
    payers = list(
        Application.objects.filter(pk__in=[a.pk for a in overdue], status="reminded")[:10]
    )
    assert len(payers) == 10
    for app in payers:
        invoice = app.invoices.get()
        payment = Payment.objects.create(
            applicant_id=app.applicant_id,
            amount=invoice.amount,
            paid_on=DAY,
            method="bank_transfer",
        )
        invoice_mark_paid(invoice=invoice, payment=payment)

    second = start_worker(run_dir=tmp_path / "second")
    try:
        second.wait_for(second.ready, timeout=30)
        nightly_run_task.delay(DAY.isoformat())
        second.wait_for(
            lambda: (
                Application.objects.filter(status="deleted").count() == OVERDUE - 10
                and Invoice.objects.filter(kind="renewal", status="open").count() == RENEWALS
            ),
            timeout=120,
        )
    finally:
        second.stop()

    # Nothing twice: one message and one history row per applicant and kind.
    assert Message.objects.filter(kind="deleted").count() == OVERDUE - 10
    assert Message.objects.filter(kind="renewal_invoice").count() == RENEWALS
    twice = Message.objects.values("applicant", "kind").annotate(n=Count("pk")).filter(n__gt=1)
    assert not twice.exists()
    assert ApplicantEvent.objects.filter(kind="deleted").count() == OVERDUE - 10
    assert not (
        Invoice.objects.filter(kind="renewal", period_start=DAY + timedelta(days=10))
        .values("application")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .exists()
    )
    # Nobody deleted wrongly: the payers keep their seniority, the deadline-today ones wait.
    for app in payers:
        app.refresh_from_db()
        assert app.status == "active"
        assert app.seniority_date == date(2015, 5, 13)
    assert set(
        Application.objects.filter(pk__in=[a.pk for a in not_yet]).values_list("status", flat=True)
    ) == {"reminded"}
    assert not Applicant.objects.filter(
        pk__in=[a.applicant_id for a in payers], deleted_at__isnull=False
    ).exists()
    # And a further run does nothing at all.
    assert nightly_run(today=DAY).as_dict() == {
        "renewal_invoices": 0,
        "reminders": 0,
        "deletions": 0,
        "student_notices": 0,
        "student_reminders": 0,
        "student_deletions": 0,
    }
