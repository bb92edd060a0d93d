"""Login protection (issue 17, item 3): two-factor for CPR officers and admins, lock-out
after repeated wrong passwords on the staff login, the admin login and the API token
endpoint, and the token endpoint's throttle."""

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils.http import urlencode

from core.models import SecurityEvent, SecurityEventKind
from tests.factories import MembershipFactory, UserFactory

from .conftest import current_code, totp_device, verified_client

pytestmark = pytest.mark.django_db

PASSWORD = "pw"  # tests.factories.UserFactory


def password_login(client, user, password=PASSWORD, url=None):
    return client.post(
        url or reverse("login"),
        {"username": user.username, "password": password},
        REMOTE_ADDR="10.0.0.1",
    )


def test_cpr_officer_needs_a_valid_code_before_any_staff_page(
    client, cpr_officer, two_factor_enforced
):
    device = totp_device(cpr_officer)
    response = password_login(client, cpr_officer)
    assert response.status_code == 302
    dashboard = client.get(reverse("tenancy:dashboard"))
    assert dashboard.status_code == 302
    assert dashboard["Location"].startswith(reverse("two_factor_verify"))
    assert client.get("/api/units/").status_code == 403
    assert client.get("/admin/").status_code == 302

    wrong = client.post(reverse("two_factor_verify"), {"otp_token": "000000"})
    assert wrong.status_code == 200
    assert "Koden er forkert" in wrong.content.decode()
    assert client.get(reverse("tenancy:dashboard")).status_code == 302
    assert SecurityEvent.objects.filter(
        kind=SecurityEventKind.OTP_FAILED, user=cpr_officer
    ).exists()

    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # django-otp slows the next try down
    device.throttle_reset()
    right = client.post(reverse("two_factor_verify"), {"otp_token": current_code(device)})
    assert right.status_code == 302
    assert client.get(reverse("tenancy:dashboard")).status_code == 200


def test_cpr_officer_without_device_is_sent_to_enrolment_and_can_enrol(
    client, cpr_officer, two_factor_enforced
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    password_login(client, cpr_officer)
    response = client.get(reverse("tenancy:unit_list"))
    assert response["Location"].startswith(reverse("two_factor_enrol"))
    page = client.get(reverse("two_factor_enrol"))
    assert page.status_code == 200
    qr = client.get(reverse("two_factor_qr"))
    assert qr["Content-Type"] == "image/svg+xml"
    device = TOTPDevice.objects.get(user=cpr_officer, confirmed=False)
    assert client.post(reverse("two_factor_enrol"), {"otp_token": "12"}).status_code == 200
    done = client.post(reverse("two_factor_enrol"), {"otp_token": current_code(device)})
    assert done.status_code == 302
    assert client.get(reverse("tenancy:unit_list")).status_code == 200


def test_caseworker_without_device_needs_no_code(client, caseworker, two_factor_enforced):
    password_login(client, caseworker)
    assert client.get(reverse("tenancy:dashboard")).status_code == 200


def test_org_admin_and_superuser_need_a_code(organisation, two_factor_enforced, client):
    admin_user = MembershipFactory(organisation=organisation, role="org_admin").user
    password_login(client, admin_user)
    assert client.get(reverse("tenancy:dashboard")).status_code == 302
    superuser = UserFactory(is_superuser=True, is_staff=True)
    other = client.__class__()
    password_login(other, superuser, url=reverse("admin:login"))
    assert other.get("/admin/").status_code == 302
    assert verified_client(superuser).get("/admin/").status_code == 200


@pytest.mark.parametrize("url_name", ["login", "admin:login"])
def test_lock_out_after_repeated_wrong_passwords(client, caseworker, settings, url_name):
    settings.AXES_FAILURE_LIMIT = 3
    caseworker.is_staff = True
    caseworker.save()
    url = reverse(url_name)
    for _ in range(3):
        response = password_login(client, caseworker, password="forkert", url=url)
        assert response.status_code in (200, 429)
    locked = password_login(client, caseworker, url=url)  # the right password, too late
    assert locked.status_code == 429
    assert "spærret" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.filter(username=caseworker.username).exists()
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.LOCKED_OUT, user=caseworker).exists()
    assert (
        SecurityEvent.objects.filter(kind=SecurityEventKind.LOGIN_FAILED, user=caseworker).count()
        >= 3
    )


def test_applicant_login_locks_out_too(client, settings):
    """The applicants' own login (/ansoeger/log-ind/) goes through the same backend."""
    settings.AXES_FAILURE_LIMIT = 3
    applicant = UserFactory(username="ansoeger@example.com")
    url = reverse("waitlist_public:login")
    for _ in range(3):
        password_login(client, applicant, password="forkert", url=url)
    locked = password_login(client, applicant, url=url)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lock_out_is_visible_to_admins(client, caseworker, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        password_login(client, caseworker, password="forkert")
    superuser = UserFactory(is_superuser=True, is_staff=True)
    admin_client = verified_client(superuser)
    page = admin_client.get("/admin/axes/accessattempt/")
    assert page.status_code == 200
    assert caseworker.username in page.content.decode()


def test_token_endpoint_locks_out(client, caseworker, settings):
    settings.AXES_FAILURE_LIMIT = 3
    url = reverse("api-token")
    for _ in range(3):
        client.post(url, {"username": caseworker.username, "password": "forkert"})
    response = client.post(url, {"username": caseworker.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "token" not in response.json()


def test_token_endpoint_is_throttled(client, caseworker):
    url = reverse("api-token")
    statuses = [
        client.post(url, {"username": caseworker.username, "password": PASSWORD}).status_code
        for _ in range(12)
    ]
    assert statuses[0] == 200
    assert 429 in statuses


def test_token_endpoint_asks_a_cpr_officer_for_the_code(client, cpr_officer, two_factor_enforced):
    device = totp_device(cpr_officer)
    url = reverse("api-token")
    without = client.post(url, {"username": cpr_officer.username, "password": PASSWORD})
    assert without.status_code == 400
    assert "otp_token" in without.json()
    with_code = client.post(
        url,
        {
            "username": cpr_officer.username,
            "password": PASSWORD,
            "otp_token": current_code(device),
        },
    )
    assert with_code.status_code == 200
    assert with_code.json()["token"]


def test_login_redirect_keeps_next_without_personal_data(client, cpr_officer, two_factor_enforced):
    totp_device(cpr_officer)
    password_login(client, cpr_officer)
    response = client.get("/enheder/?" + urlencode({"page": "2"}))
    assert "next=" in response["Location"]
