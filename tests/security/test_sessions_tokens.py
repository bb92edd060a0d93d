"""Sessions and API tokens (issue 17, item 2)."""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from core.auth_policy import LAST_SEEN_KEY
from tests.factories import UserFactory

from .conftest import verified_client

pytestmark = pytest.mark.django_db


def test_staff_session_lasts_a_working_day_and_ends_with_the_browser():
    assert settings.SESSION_COOKIE_AGE <= 10 * 3600
    assert settings.SESSION_SAVE_EVERY_REQUEST
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_session_cookie_is_a_browser_session_cookie(client, caseworker):
    client.force_login(caseworker)
    response = client.get(reverse("tenancy:dashboard"))
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["expires"]
    assert not cookie["max-age"]
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE


def test_idle_cpr_officer_is_logged_out_sooner(client, cpr_officer, caseworker):
    client.force_login(cpr_officer)
    assert client.get(reverse("tenancy:dashboard")).status_code == 200
    session = client.session
    idle = settings.SHORT_SESSION_IDLE_SECONDS + 60
    session[LAST_SEEN_KEY] = int(time.time()) - idle
    session.save()
    response = client.get(reverse("tenancy:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session

    # a caseworker idle as long is still logged in (Django's SESSION_COOKIE_AGE applies)
    client.force_login(caseworker)
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - idle
    session.save()
    assert client.get(reverse("tenancy:dashboard")).status_code == 200


def test_api_token_expires(client, caseworker, settings):
    token = Token.objects.create(user=caseworker)
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    assert client.get("/api/units/", **auth).status_code == 200
    Token.objects.filter(pk=token.pk).update(
        created=timezone.now() - timedelta(hours=settings.API_TOKEN_TTL_HOURS, minutes=1)
    )
    expired = client.get("/api/units/", **auth)
    assert expired.status_code in (401, 403)  # 403: the session class comes first in DRF
    assert "udløbet" in expired.json()["detail"]


def test_token_endpoint_replaces_an_expired_token(client, caseworker, settings):
    old = Token.objects.create(user=caseworker)
    Token.objects.filter(pk=old.pk).update(
        created=timezone.now() - timedelta(hours=settings.API_TOKEN_TTL_HOURS + 1)
    )
    response = client.post(
        reverse("api-token"), {"username": caseworker.username, "password": "pw"}
    )
    assert response.status_code == 200
    assert response.json()["token"] != old.key
    assert response.json()["expires_hours"] == settings.API_TOKEN_TTL_HOURS


def test_admin_revokes_a_token(client, caseworker):
    token = Token.objects.create(user=caseworker)
    admin_client = verified_client(UserFactory(is_superuser=True, is_staff=True))
    listing = admin_client.get("/admin/authtoken/tokenproxy/")
    assert listing.status_code == 200
    response = admin_client.post(
        f"/admin/authtoken/tokenproxy/{caseworker.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Token.objects.filter(pk=token.pk).exists()
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    assert client.get("/api/units/", **auth).status_code in (401, 403)
