"""Fixtures for the security tests: two-factor enforced, and users logged in the way the
product logs them in (password, then a TOTP code where the role asks for one)."""

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


@pytest.fixture
def two_factor_enforced(settings):
    settings.TWO_FACTOR_ENFORCED = True


def totp_device(user) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="test", confirmed=True)


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def verified_client(user) -> Client:
    """A client logged in as `user` with the second factor done (django-otp's session key),
    as after the code page."""
    client = Client()
    client.force_login(user)
    device = totp_device(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client
