import pytest
from django.core.management import call_command

from waitlist.models import Applicant, Application, Invoice, Message

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_every_state_and_is_idempotent():
    call_command("seed_demo")
    assert Applicant.objects.count() >= 300
    statuses = set(Application.objects.values_list("status", flat=True))
    assert statuses >= {"active", "reminded", "deleted", "left", "pending_payment"}
    assert Invoice.objects.filter(kind="renewal", status="open").exists()
    assert Invoice.objects.filter(status="reminded").exists()
    assert Application.objects.filter(list_type="student", status="reminded").exists()
    assert Message.objects.filter(kind="reminder").exists()
    before = Applicant.objects.count()
    call_command("seed_demo")
    assert Applicant.objects.count() == before
