"""Bad input never gives a 500 (issue 17): schemathesis generates requests for every
operation of the OpenAPI schema (/api/schema/) and sends them to the Django WSGI app in
this process, as a logged-in caseworker with data in two organisations. Every response
must be below 500. The example count per operation is bounded (FUZZ_EXAMPLES, default
15) so the whole surface runs in about a minute."""

import contextlib
import os
from datetime import date
from decimal import Decimal

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode

from config.wsgi import application
from tests.factories import MembershipFactory, UnitFactory, make_lease, make_person

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))


@pytest.fixture
def api_schema(db, organisation, other_organisation, monkeypatch, settings):
    """The schema of the running app, with a portfolio in two organisations; the throttles
    are out of the way (they are tested on their own)."""
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "allow_request", lambda self, request, view: True)
    # The token endpoint checks passwords: a fast hasher keeps the run short.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The external services are not running here: fail at once instead of retrying.
    settings.GCTP_MAX_ATTEMPTS = settings.HLR_RETRY_ATTEMPTS = 1
    settings.GCTP_BACKOFF_BASE = settings.HLR_RETRY_BACKOFF = 0
    settings.GCTP_TIMEOUT = settings.HLR_TIMEOUT = 1
    # As Django's test client does: the requests run inside the test's transaction, so the
    # end of a request must not close the connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    for org in (organisation, other_organisation):
        unit = UnitFactory(entrance__building__property__organisation=org)
        person = make_person(org, name="Anna Sørensen")
        make_lease(unit, parties=[person], start_date=date(2021, 1, 1), rent=Decimal("6500"))
    user = MembershipFactory(organisation=organisation, role="org_admin").user
    token, _ = Token.objects.get_or_create(user=user)
    headers = {"Authorization": f"Token {token.key}"}
    # The schema itself is for logged-in users only.
    yield schemathesis.openapi.from_wsgi("/api/schema/", application, headers=headers), headers
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def fuzz(operation, mode: GenerationMode, headers: dict) -> list[str]:
    """Send up to EXAMPLES generated requests to one operation; the 5xx answers found."""
    found: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
    )
    def run(case):
        response = case.call(headers=headers)
        # 502/503 from an unreachable register or CPR service are deliberate answers; a
        # 500, or a 503 because the database choked on the input, is a bug.
        choked = response.status_code == 503 and b"database_unavailable" in response.content
        if (response.status_code == 500 or choked) and len(found) < 3:
            found.append(f"{response.status_code} {case.as_curl_command()}")

    # Unsatisfiable: nothing invalid to send (no parameters, no body), so nothing to find.
    with contextlib.suppress(Unsatisfiable):
        run()
    return found


# The whole OpenAPI surface: valid requests (what a generated client sends) and invalid ones
# (what an attacker or a broken integration sends).
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_operation_answers_500(api_schema, mode):
    schema, auth_headers = api_schema
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for found in fuzz(operation, mode, auth_headers):
            failures.append(f"{operation.method.upper()} {operation.path}: {found}")
    assert operations > 40
    assert failures == [], "\n".join(failures)
