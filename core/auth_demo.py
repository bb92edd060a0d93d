"""Two-factor for the demo users (seed_demo, `make run`): a TOTP device with a fixed, published
secret, so the demo CPR officer and admin can log in without an authenticator app. Demo only,
like their password "demo"; `manage.py demo_totp <username>` prints the current code."""

from __future__ import annotations

import base64

from django.contrib.auth import get_user_model
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

# 20 bytes, the RFC 6238 key length; base32 in the README for an authenticator app.
DEMO_TOTP_KEY = b"boligkontor-demo-key"
DEMO_DEVICE_NAME = "Demo (fast nøgle)"


def demo_totp_secret() -> str:
    """The demo key in base32, as an authenticator app takes it."""
    return base64.b32encode(DEMO_TOTP_KEY).decode()


def demo_totp_devices_ensure(*, usernames: list[str]) -> list[str]:
    """Give each existing user a confirmed TOTP device with the demo key (idempotent)."""
    done = []
    for user in get_user_model().objects.filter(username__in=usernames):
        TOTPDevice.objects.update_or_create(
            user=user,
            name=DEMO_DEVICE_NAME,
            defaults={"key": DEMO_TOTP_KEY.hex(), "confirmed": True},
        )
        done.append(user.username)
    return done


def current_totp_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"
