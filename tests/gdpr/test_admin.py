import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from gdpr.models import CprReveal
from gdpr.services import cpr_reveal
from tests.factories import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(get_user_model().objects.create_superuser("root", "r@example.dk", "pw"))
    return client


def test_reveal_log_is_listed_and_read_only(admin_client, organisation, cpr_officer):
    person = make_person(organisation, cpr="170580-4821")
    cpr_reveal(user=cpr_officer, person=person, purpose="Sag 7")
    log = CprReveal.objects.get()
    response = admin_client.get(reverse("admin:gdpr_cprreveal_changelist"))
    assert response.status_code == 200
    assert "Sag 7" in response.content.decode()
    assert "4821" not in response.content.decode()
    assert (
        admin_client.get(reverse("admin:gdpr_cprreveal_change", args=[log.pk])).status_code == 200
    )
    assert admin_client.get(reverse("admin:gdpr_cprreveal_add")).status_code == 403
    assert (
        admin_client.get(reverse("admin:gdpr_cprreveal_delete", args=[log.pk])).status_code == 403
    )
    response = admin_client.post(
        reverse("admin:gdpr_cprreveal_change", args=[log.pk]), {"purpose": "Ændret"}
    )
    assert response.status_code == 403
    log.refresh_from_db()
    assert log.purpose == "Sag 7"
