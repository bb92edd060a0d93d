"""The demo users' two-factor codes: `demo_totp <username>` prints the current code;
`demo_totp --setup <username>...` gives the users a device with the published demo key
(called by seed_demo). Demo only: the key is in the README, like the password "demo"."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.auth_demo import current_totp_code, demo_totp_devices_ensure, demo_totp_secret


class Command(BaseCommand):
    help = "Vis demobrugerens aktuelle engangskode (to-faktor), eller opret demoenheder."

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs="+", help="Brugernavn(e)")
        parser.add_argument(
            "--setup", action="store_true", help="Giv brugerne en enhed med demonøglen."
        )

    def handle(self, *args, usernames: list[str], setup: bool, **options):
        if setup:
            done = demo_totp_devices_ensure(usernames=usernames)
            self.stdout.write(
                f"To-faktor for demobrugerne {', '.join(done) or '(ingen)'}: nøgle "
                f"{demo_totp_secret()} (koden: manage.py demo_totp <brugernavn>)."
            )
            return
        for username in usernames:
            user = get_user_model().objects.filter(username=username).first()
            device = user and TOTPDevice.objects.filter(user=user, confirmed=True).first()
            if device is None:
                raise CommandError(f"{username}: ingen bruger med en to-faktor-enhed.")
            self.stdout.write(f"{username}: {current_totp_code(device)}")
