"""CPR lookup downloads write the disclosure log (issue 16): the known people in the file,
the CPR number as a category only in the CPR officer's full download."""

import pytest
from django.urls import reverse

from cprlookup.models import CprLookup
from gdpr.disclosure import log
from gdpr.models import Disclosure
from tests.cprlookup.fixtures_cpr import SINCE, make_portfolio, register
from tests.factories import make_person

pytestmark = pytest.mark.django_db

SOEREN = "0101801234"


def test_lookup_downloads_are_logged(client, gctp_settings):
    p = make_portfolio()
    soeren = make_person(p.organisation, name="Søren Ærø", cpr=SOEREN)
    gctp_settings.load(
        register(p.organisation, people=[(SOEREN, "Søren Ærø", [(p.units[0], SINCE, None)])])
    )
    client.force_login(p.caseworker)
    client.post(
        reverse("cprlookup:index"),
        {"kind": "address", "value": p.entrance.street_address, "purpose": "Sag 9"},
    )
    lookup = CprLookup.objects.get()
    assert not Disclosure.objects.exists()  # the screen is not a transfer
    assert client.get(reverse("cprlookup:lookup_excel", args=[lookup.pk])).status_code == 200
    masked = Disclosure.objects.get()
    assert masked.recipient_kind == "download"
    assert masked.actor == p.caseworker
    assert "cpr" not in masked.categories
    assert masked.reference == f"CPR-opslag {lookup.pk}"
    assert list(log.person_disclosures(person=soeren)) == [masked]

    client.force_login(p.officer)
    client.post(reverse("cprlookup:lookup_cpr_excel", args=[lookup.pk]), {"purpose": "Sag 9"})
    full = Disclosure.objects.latest("pk")
    assert "cpr" in full.categories
    assert full.actor == p.officer
    assert log.person_disclosures(person=soeren).count() == 2


def test_moves_download_is_logged_for_known_people(client, gctp_settings):
    p = make_portfolio()
    client.force_login(p.caseworker)
    # No moves: no people in the file, nothing logged.
    assert client.get(reverse("cprlookup:events") + "?format=xlsx").status_code == 200
    assert not Disclosure.objects.exists()
