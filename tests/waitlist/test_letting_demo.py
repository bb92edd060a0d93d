"""Letting's demo (issue 14): seed_demo leaves vacancies to play with, and the demo
self-service applicant is first in line for them."""

import pytest
from django.core.management import call_command

from waitlist.demo_data import SELF_SERVICE_EMAIL
from waitlist.models import Vacancy
from waitlist.services import letting as svc

pytestmark = pytest.mark.django_db


def test_seed_demo_leaves_vacancies_for_the_self_service_applicant():
    call_command("seed_demo")
    vacancies = list(Vacancy.objects.filter(status="open"))
    assert len(vacancies) == 2
    assert all(v.ended_lease_id for v in vacancies)
    call_command("seed_demo")
    assert Vacancy.objects.count() == 2  # idempotent
    rnd = svc.round_start(vacancy=vacancies[0])
    first = rnd.offers.get(rank=1)
    assert first.applicant.email == SELF_SERVICE_EMAIL
    assert rnd.offers.get(rank=2).channel == "letter"
