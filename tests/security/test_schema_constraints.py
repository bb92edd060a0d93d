"""The OpenAPI schema states the constraints the API enforces (issue 17): schemathesis
generates schema-valid requests (positive mode) for the operations whose decimals, codes
and id parameters the schema once described too loosely, and none may answer 400, except
for an id that does not exist (the schema cannot know which ids do)."""

import contextlib
import re

import pytest
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from core.filters import decimal_pattern
from tests.security.test_fuzz_api import api_schema  # noqa: F401  (the fixture)

EXAMPLES = 40

OPERATIONS = [
    ("POST", "/api/leases/"),
    ("POST", "/api/units/"),
    ("GET", "/api/units/"),
    ("GET", "/api/leases/"),
    ("POST", "/api/properties/"),
    ("POST", "/api/entrances/"),
    ("POST", "/api/rent-register/refunds/"),
    ("GET", "/api/rent-register/consents/"),
    ("POST", "/api/waitlist/payments/"),
    ("GET", "/api/cpr/lookups/"),
    ("GET", "/api/cpr/events/"),
    ("GET", "/api/cpr/ledger/"),
    ("GET", "/api/cpr/ledger/summary/"),
    ("GET", "/api/cpr/scans/"),
    ("GET", "/api/cpr/reconciliation/"),
]

# The messages of an id that is well-formed but names nothing the user may see.
UNKNOWN_ID = re.compile(r"findes ikke|Ugyldig primærnøgle|gyldig valgmulighed|Ukendt")


def _only_unknown_ids(body) -> bool:
    if not isinstance(body, dict) or not body:
        return False
    return all(
        isinstance(messages, list) and all(UNKNOWN_ID.search(str(m)) for m in messages)
        for messages in body.values()
    )


def _refused(schema, headers, method: str, path: str) -> list[str]:
    operation = schema[path][method]
    found: list[str] = []

    # JSON bodies: in a multipart or urlencoded form every value is a string, so null and
    # nested values have no schema-valid spelling there.
    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
    )
    def run(case):
        if case.media_type not in (None, "application/json"):
            return
        response = case.call(headers=headers)
        if response.status_code != 400 or len(found) >= 2:
            return
        if not _only_unknown_ids(response.json()):
            found.append(f"{response.text[:300]} for {case.as_curl_command()}")

    with contextlib.suppress(Unsatisfiable):
        run()
    return found


def test_schema_valid_requests_are_not_refused(api_schema):  # noqa: F811
    schema, headers = api_schema
    failures = []
    for method, path in OPERATIONS:
        for found in _refused(schema, headers, method, path):
            failures.append(f"{method} {path}: {found}")
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize(
    ("kwargs", "valid", "invalid"),
    [
        (
            {"max_digits": 10, "decimal_places": 2, "min_value": 0},
            ["0", "0.5", "12345678.99", "6500"],
            ["", "-", ".", "1.", "-1", "00", "123456789", "1.234"],
        ),
        (
            {"max_digits": 7, "decimal_places": 2, "min_value": "0.01"},
            ["0.01", "0.1", "0.10", "1", "99999.99"],
            ["0", "0.0", "0.00", "100000", "-1"],
        ),
        ({"max_digits": 5, "decimal_places": 0}, ["-12345", "0", "7"], ["1.0", "123456"]),
    ],
)
def test_decimal_pattern(kwargs, valid, invalid):
    pattern = re.compile(decimal_pattern(**kwargs))
    assert [v for v in valid if not pattern.match(v)] == []
    assert [v for v in invalid if pattern.match(v)] == []
