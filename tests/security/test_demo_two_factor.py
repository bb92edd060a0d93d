"""The demo users keep working with two-factor (issue 17): seed_demo gives the demo CPR
officer and admin a device with the published demo key; demo_totp prints their code."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_demo_totp_code_logs_the_demo_cpr_officer_in(client, organisation, two_factor_enforced):
    officer = MembershipFactory(
        organisation=organisation, role="cpr_officer", user=UserFactory(username="cpr")
    ).user
    setup = io.StringIO()
    call_command("demo_totp", "cpr", setup=True, stdout=setup)
    assert "cpr" in setup.getvalue()
    client.post(reverse("login"), {"username": officer.username, "password": "pw"})
    assert client.get(reverse("tenancy:dashboard"))["Location"].startswith(
        reverse("two_factor_verify")
    )
    out = io.StringIO()
    call_command("demo_totp", "cpr", stdout=out)
    code = out.getvalue().split(":")[1].strip()
    assert client.post(reverse("two_factor_verify"), {"otp_token": code}).status_code == 302
    assert client.get(reverse("tenancy:dashboard")).status_code == 200
