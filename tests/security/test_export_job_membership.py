"""An export job's file holds its organisation's data: its owner loses it with the membership
(issue 17: a user removed from an organisation could still download a job made before)."""

import pytest
from django.urls import reverse

from tenancy.models import Membership
from tests.factories import MembershipFactory, OrganisationFactory

from .world import World, _export_job

pytestmark = pytest.mark.django_db


def test_owner_removed_from_the_organisation_cannot_download_the_job(client):
    world = World()
    job = _export_job(world, "a")  # the caseworker's, organisation A
    caseworker = world.users["caseworker"]
    MembershipFactory(user=caseworker, organisation=OrganisationFactory())  # still staff
    client.force_login(caseworker)
    url = reverse("tenancy:export_job_file", args=[job.pk])
    assert client.get(url).status_code == 200
    Membership.objects.filter(user=caseworker, organisation=world.orgs["a"]).delete()
    assert client.get(url).status_code == 404
    assert client.get(reverse("tenancy:export_job", args=[job.pk])).status_code == 404
