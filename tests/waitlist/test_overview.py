"""The caseworker overview: counts and charts (applications per status, seniority years)
over the user's cooperations only."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import MembershipFactory, OrganisationFactory
from waitlist.models import Cooperation, CooperationMember, FeeSchedule
from waitlist.selectors import application_scope, invoice_list, seniority_years
from waitlist.services.applicants import applicant_signup

from .conftest import data
from .test_services import pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_cooperation():
    coop = Cooperation.objects.create(name="Andet samarbejde")
    organisation = OrganisationFactory(name="Fremmed Boligselskab")
    CooperationMember.objects.create(cooperation=coop, organisation=organisation)
    FeeSchedule.objects.create(
        cooperation=coop,
        channel="e_offer",
        valid_from=date(2020, 1, 1),
        announced_at=date(2019, 11, 1),
        signup_fee=Decimal("100"),
        renewal_fee=Decimal("100"),
    )
    return coop, MembershipFactory(organisation=organisation).user


def _paid(cooperation, cpr, paid_on):
    applicant = applicant_signup(
        cooperation=cooperation, data=data(cpr=cpr, name=f"P {cpr}"), today=paid_on
    )
    pay(applicant.invoices.get(), paid_on)
    return applicant


def test_overview_charts_count_only_the_users_cooperations(
    client, caseworker, cooperation, other_cooperation
):
    other, outsider = other_cooperation
    _paid(cooperation, "010180-1001", date(2020, 5, 2))
    _paid(cooperation, "010181-1002", date(2020, 9, 1))
    _paid(cooperation, "010182-1003", date(2023, 1, 4))
    applicant_signup(cooperation=cooperation, data=data(cpr="010183-1004"), today=date(2025, 1, 2))
    _paid(other, "010184-1005", date(2021, 3, 3))

    assert seniority_years(user=caseworker) == [(2020, 2), (2023, 1)]
    assert seniority_years(user=outsider) == [(2021, 1)]
    assert application_scope(user=caseworker).count() == 4
    assert invoice_list(user=outsider).count() == 1

    client.force_login(caseworker)
    html = client.get(reverse("waitlist:index")).content.decode()
    assert "Ansøgninger efter status" in html
    # Bars carry their label and value as text, and link to the list they count.
    assert "Aktiv: 3" in html
    assert "Afventer betaling: 1" in html
    assert "2020: 2; 2023: 1" in html
    assert "2021: 1" not in html
    assert f'href="{reverse("waitlist:applicant_list")}?status=active"' in html


def test_overview_without_anyone_on_the_list(client, caseworker, cooperation):
    client.force_login(caseworker)
    html = client.get(reverse("waitlist:index")).content.decode()
    assert "Ingen på listen endnu." in html
    assert seniority_years(user=caseworker) == []


def test_a_user_of_every_cooperation_counts_without_the_join(caseworker, cooperation):
    # The only cooperation there is: no cooperation condition in the SQL at all.
    sql = str(application_scope(user=caseworker).query)
    assert "cooperation_id" not in sql
