"""End to end: a list above the threshold becomes an ExportJob that a real Celery worker
process writes to disk; the owner downloads it, nobody else can."""

from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tenancy.models import ExportJob
from tests.factories import MembershipFactory, UnitFactory

pytestmark = pytest.mark.integration


def test_large_unit_export_runs_in_worker(
    celery_worker_process, client, caseworker, organisation, other_organisation, settings
):
    settings.EXPORT_SYNC_LIMIT = 3
    for _ in range(4):
        UnitFactory(entrance__building__property__organisation=organisation, rooms=2)
    UnitFactory(entrance__building__property__organisation=organisation, rooms=5)
    UnitFactory(entrance__building__property__organisation=other_organisation, rooms=2)
    client.force_login(caseworker)

    response = client.get(reverse("tenancy:export", args=["units"]), {"rooms": "2"})

    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("tenancy:export_job", args=[job.pk])
    assert (job.kind, job.query, job.total) == ("units", "rooms=2", 4)

    def finished():
        job.refresh_from_db()
        return job.is_finished

    celery_worker_process.wait_for(finished, timeout=60)
    assert job.status == ExportJob.Status.DONE, job.error
    assert (job.done, job.total) == (4, 4)
    assert job.finished_at is not None

    status = client.get(reverse("tenancy:export_job_status", args=[job.pk]))
    download_url = reverse("tenancy:export_job_file", args=[job.pk])
    assert download_url in status.content.decode()
    assert "hx-get" not in status.content.decode()  # finished: polling stops

    download = client.get(download_url)
    assert download.status_code == 200
    sheet = load_workbook(BytesIO(b"".join(download.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Adresse"
    assert len(rows) == 1 + 4
    assert {r[9] for r in rows[1:]} == {2}

    stranger = MembershipFactory(organisation=organisation).user
    client.force_login(stranger)
    assert client.get(download_url).status_code == 404
    assert client.get(reverse("tenancy:export_job", args=[job.pk])).status_code == 404
