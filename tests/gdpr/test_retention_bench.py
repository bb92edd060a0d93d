"""The retention benchmark command on a tiny portfolio (the figures are in docs/privacy.md;
this only proves the command measures what it says: everyone anonymised, second run idle)."""

from io import StringIO

import pytest
from django.core.management import call_command

from tenancy.models import Person


@pytest.mark.django_db
def test_retention_bench_small():
    out = StringIO()
    call_command("retention_bench", people=30, units=60, batch=7, stdout=out)
    text = out.getvalue()
    assert "not anonymised afterwards: 0" in text
    assert "second run: total 0, done 0" in text
    assert "load average after" in text
    assert Person.objects.filter(anonymised_at__isnull=False).count() >= 30
