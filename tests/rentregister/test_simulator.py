"""The HLR simulator over real HTTP: filings, idempotency, validation, UDK feed, knobs.

Everything here goes through a real simulator process started by the `hlr_simulator`
fixture (tests/rentregister/conftest.py).
"""

import copy
import http.client
import json
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LEASES = "/api/v3/lejekontrakter"
LEASE = f"{LEASES}/0000123-01"


def create(sim, payload, key="key-create"):
    return sim.api("POST", LEASES, payload, {"Idempotency-Key": key})


def update(sim, payload, key):
    return sim.api("PUT", LEASE, payload, {"Idempotency-Key": key})


def changed(payload, **lease_fields):
    new = copy.deepcopy(payload)
    new["lease"].update(lease_fields)
    return new


# -- create / update / delete / get --------------------------------------------------


def test_create_then_get_returns_current_version_and_history(hlr_simulator, lease_payload):
    status, receipt = create(hlr_simulator, lease_payload)

    assert status == 201
    assert receipt["status"] == "accepted"
    assert receipt["version"] == 1
    assert receipt["replayed"] is False
    assert receipt["warnings"] == []
    status, lease = hlr_simulator.api("GET", LEASE)
    assert status == 200
    assert lease["status"] == "active"
    assert lease["current"]["lease"]["rent"] == "6500.00"
    assert [v["version"] for v in lease["history"]] == [1]
    amounts = {line["type"]: line.get("amount") for line in lease["current"]["boligudgifter"]}
    assert amounts["husleje"] == "6500.00"


def test_update_adds_a_version_and_keeps_history(hlr_simulator, lease_payload):
    create(hlr_simulator, lease_payload)
    later = changed(lease_payload, rent="6700")
    later["effective_date"] = "2027-01-01"

    status, receipt = update(hlr_simulator, later, "key-update")

    assert status == 201
    assert receipt["version"] == 2
    _, lease = hlr_simulator.api("GET", LEASE)
    assert lease["current"]["lease"]["rent"] == "6700.00"  # normalised to øre
    assert [(v["version"], v["effective_date"]) for v in lease["history"]] == [
        (1, "2026-11-26"),
        (2, "2027-01-01"),
    ]
    assert all(v["filed_at"] for v in lease["history"])


def test_delete_marks_lease_deleted_but_keeps_history(hlr_simulator, lease_payload):
    create(hlr_simulator, lease_payload)

    status, receipt = hlr_simulator.api(
        "DELETE", LEASE, {"effective_date": "2026-12-01"}, {"Idempotency-Key": "key-del"}
    )

    assert status == 201
    assert receipt["operation"] == "delete"
    _, lease = hlr_simulator.api("GET", LEASE)
    assert lease["status"] == "deleted"
    assert lease["current"] is None
    assert [v["operation"] for v in lease["history"]] == ["create", "delete"]
    status, _ = hlr_simulator.api("PUT", LEASE, lease_payload, {"Idempotency-Key": "k-after"})
    assert status == 404


def test_update_of_unknown_lease_is_404_and_create_of_existing_is_rejected(
    hlr_simulator, lease_payload
):
    status, body = update(hlr_simulator, lease_payload, "key-u")
    assert status == 404
    assert body["errors"][0]["code"] == "not_found"

    create(hlr_simulator, lease_payload, key="k1")
    status, body = create(hlr_simulator, lease_payload, key="k2")
    assert status == 422
    assert body["errors"][0] == {
        "field": "lease.lease_number",
        "code": "already_exists",
        "message": body["errors"][0]["message"],
    }


def test_get_unknown_lease_is_404(hlr_simulator):
    status, body = hlr_simulator.api("GET", f"{LEASES}/nope")
    assert status == 404
    assert body["errors"][0]["field"] == "lease_number"


def test_dwelling_and_organisation_are_registered(hlr_simulator, lease_payload):
    create(hlr_simulator, lease_payload)
    bbr = lease_payload["dwelling"]["bbr_unit_id"]

    status, dwelling = hlr_simulator.api("GET", f"/api/v3/boliger/{bbr}")
    assert status == 200
    assert dwelling["area_m2"] == "72.50"
    assert dwelling["active"] == ["0000123-01"]
    status, org = hlr_simulator.api("GET", "/api/v3/boligorganisationer/12345674")
    assert org["afdelinger"] == [{"number": "001", "bbr_unit_ids": [bbr]}]


def test_api_key_is_required(hlr_simulator, lease_payload):
    status, body = hlr_simulator.api("GET", LEASE, headers={"X-Api-Key": "wrong"})
    assert status == 401
    assert body["errors"][0]["code"] == "unauthorized"


# -- idempotency ---------------------------------------------------------------------


def test_same_key_same_body_replays_the_receipt_without_a_second_filing(
    hlr_simulator, lease_payload
):
    _, first = create(hlr_simulator, lease_payload, key="same")
    status, second = create(hlr_simulator, lease_payload, key="same")

    assert status == 200
    assert second["replayed"] is True
    assert second["receipt_id"] == first["receipt_id"]
    assert len(hlr_simulator.filings()) == 1
    stats = hlr_simulator.stats()
    assert stats["filings_accepted"] == 1
    assert stats["replays"] == 1
    assert stats["idempotency_keys"] == 1


def test_same_key_with_another_body_is_409(hlr_simulator, lease_payload):
    create(hlr_simulator, lease_payload, key="same")

    status, body = create(hlr_simulator, changed(lease_payload, rent="1.00"), key="same")

    assert status == 409
    assert body["errors"][0]["code"] == "idempotency_conflict"
    assert len(hlr_simulator.filings()) == 1
    assert hlr_simulator.stats()["conflicts"] == 1


def test_idempotency_key_header_is_required(hlr_simulator, lease_payload):
    status, body = hlr_simulator.api("POST", LEASES, lease_payload)
    assert status == 400
    assert body["errors"][0]["field"] == "Idempotency-Key"
    assert hlr_simulator.filings() == []


# -- validation ----------------------------------------------------------------------


def _with(payload, path, value):
    new = copy.deepcopy(payload)
    target = new
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    last = keys[-1]
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value
    return new


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "field", "code"),
    [
        ("organisation_cvr", _DELETE, "organisation_cvr", "required"),
        ("organisation_cvr", "12345678", "organisation_cvr", "invalid_cvr"),  # mod 11 fails
        ("organisation_cvr", "1234", "organisation_cvr", "invalid_cvr"),
        ("dwelling.bbr_unit_id", "", "dwelling.bbr_unit_id", "required"),
        ("dwelling.bbr_unit_id", "not-a-uuid", "dwelling.bbr_unit_id", "invalid_uuid"),
        ("lease.start_date", "2020-02-30", "lease.start_date", "invalid_date"),
        ("lease.start_date", "01-01-2020", "lease.start_date", "invalid_date"),
        ("lease.end_date", "2019-12-31", "lease.end_date", "end_before_start"),
        ("effective_date", "i morgen", "effective_date", "invalid_date"),
        ("lease.rent", "-1.00", "lease.rent", "invalid_amount"),
        ("lease.rent", "12.345", "lease.rent", "invalid_amount"),
        ("lease.special_payments", "abc", "lease.special_payments", "invalid_amount"),
        ("lease.heating_form", "coal", "lease.heating_form", "invalid_choice"),
        ("lease.water", "free", "lease.water", "invalid_choice"),
        ("lease.holder_type", "owner", "lease.holder_type", "invalid_choice"),
        ("lease.tenants.0.name", "", "lease.tenants[0].name", "required"),
        ("lease.tenants.0.cpr", "12345", "lease.tenants[0].cpr", "invalid_cpr"),
        ("lease.tenants.0.cpr", "010180-1234", "lease.tenants[0].cpr", "invalid_cpr"),
        ("lease.tenants", [], "lease.tenants", "no_tenants"),
        ("dwelling.area_m2", "0", "dwelling.area_m2", "invalid_area"),
        ("dwelling.area_m2", "-3.5", "dwelling.area_m2", "invalid_area"),
        ("dwelling.rooms", 0, "dwelling.rooms", "invalid_rooms"),
        ("lease.private_kitchen", "ja", "lease.private_kitchen", "invalid_boolean"),
    ],
)
def test_invalid_filing_is_422_with_the_field_named(
    hlr_simulator, lease_payload, path, value, field, code
):
    body = _with(lease_payload, path, value)

    status, answer = create(hlr_simulator, body)

    assert status == 422
    assert [(e["field"], e["code"]) for e in answer["errors"]] == [(field, code)]
    assert answer["errors"][0]["message"]  # a Danish explanation
    assert hlr_simulator.filings() == []
    # the validate endpoint answers the same without filing
    status, answer = hlr_simulator.api("POST", f"{LEASES}/validate", body)
    assert status == 422
    assert [(e["field"], e["code"]) for e in answer["errors"]] == [(field, code)]


def test_error_messages_do_not_echo_personal_data(hlr_simulator, lease_payload):
    body = _with(lease_payload, "lease.tenants.0.cpr", "0101801234x")
    _, answer = create(hlr_simulator, body)
    assert "0101801234" not in json.dumps(answer)


def test_name_only_tenant_is_accepted_with_a_warning(hlr_simulator, lease_payload):
    body = _with(lease_payload, "lease.tenants.0.birth_date", None)

    status, receipt = create(hlr_simulator, body)

    assert status == 201
    assert [(w["field"], w["code"]) for w in receipt["warnings"]] == [
        ("lease.tenants[0]", "name_only")
    ]


def test_tenant_with_cpr_or_birth_date_gets_no_warning(hlr_simulator, lease_payload):
    body = _with(lease_payload, "lease.tenants.0.birth_date", None)
    body = _with(body, "lease.tenants.0.cpr", "1705801234")
    status, receipt = create(hlr_simulator, body)
    assert status == 201
    assert receipt["warnings"] == []


def test_validate_endpoint_accepts_a_valid_payload(hlr_simulator, lease_payload):
    status, answer = hlr_simulator.api("POST", f"{LEASES}/validate", lease_payload)
    assert status == 200
    assert answer == {"valid": True, "errors": [], "warnings": []}
    assert hlr_simulator.filings() == []


# -- UDK notifications ---------------------------------------------------------------


def test_new_lease_notifies_udk(hlr_simulator, lease_payload):
    create(hlr_simulator, lease_payload)

    notes = hlr_simulator.notifications()

    assert [n["kind"] for n in notes] == ["lease_created"]
    assert notes[0]["after"]["rent"] == "6500.00"
    assert notes[0]["bbr_unit_id"] == lease_payload["dwelling"]["bbr_unit_id"]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"rent": "6600.00"}, [("rent", "lease.rent", "6500.00", "6600.00")]),
        (
            {"special_payments": "150.00"},
            [("rent", "lease.special_payments", "0.00", "150.00")],
        ),
        ({"water": "included"}, [("water", "lease.water", "aconto_organisation", "included")]),
        (
            {"drainage": "aconto_utility"},
            [("drainage", "lease.drainage", "included", "aconto_utility")],
        ),
        ({"heating": "included"}, [("heating", "lease.heating", "aconto_utility", "included")]),
        ({"end_date": "2027-03-31"}, [("lease_end", "lease.end_date", None, "2027-03-31")]),
    ],
)
def test_changes_udk_learns_produce_exactly_one_notification(
    hlr_simulator, lease_payload, fields, expected
):
    create(hlr_simulator, lease_payload)
    update(hlr_simulator, changed(lease_payload, **fields), "key-change")

    notes = hlr_simulator.notifications(since=1)

    assert [(n["kind"], n["field"], n["before"], n["after"]) for n in notes] == expected


@pytest.mark.parametrize(
    "change",
    [
        {"dwelling": {"area_m2": "80.00"}},
        {"dwelling": {"rooms": 4}},
        {"lease": {"tenant_maintains": True}},
        {"lease": {"heating_form": "heat_pump"}},
        {"lease": {"electricity": "aconto_utility"}},
        {"lease": {"private_kitchen": False}},
        {"lease": {"garage_carport": True}},
    ],
)
def test_changes_udk_does_not_learn_produce_no_notification(hlr_simulator, lease_payload, change):
    create(hlr_simulator, lease_payload)
    body = copy.deepcopy(lease_payload)
    for section, values in change.items():
        body[section].update(values)

    status, receipt = update(hlr_simulator, body, "key-change")

    assert status == 201
    assert receipt["notifications"] == []
    assert hlr_simulator.notifications(since=1) == []


def test_reinstated_lease_and_deletion_notify(hlr_simulator, lease_payload):
    create(hlr_simulator, lease_payload)
    update(hlr_simulator, changed(lease_payload, end_date="2027-01-31"), "k-end")
    update(hlr_simulator, lease_payload, "k-reinstate")
    hlr_simulator.api("DELETE", LEASE, None, {"Idempotency-Key": "k-del"})

    notes = hlr_simulator.notifications(since=1)

    assert [(n["kind"], n["before"], n["after"]) for n in notes[:2]] == [
        ("lease_end", None, "2027-01-31"),
        ("lease_end", "2027-01-31", None),
    ]
    assert notes[2]["kind"] == "lease_deleted"
    assert notes[2]["after"] is None
    assert [n["id"] for n in notes] == [2, 3, 4]


def test_replay_does_not_notify_twice(hlr_simulator, lease_payload):
    create(hlr_simulator, lease_payload)
    update(hlr_simulator, changed(lease_payload, rent="7000.00"), "k")
    update(hlr_simulator, changed(lease_payload, rent="7000.00"), "k")
    assert [n["kind"] for n in hlr_simulator.notifications()] == ["lease_created", "rent"]


# -- persistence ---------------------------------------------------------------------


def test_history_survives_a_restart(hlr_simulator, lease_payload):
    create(hlr_simulator, lease_payload)
    update(hlr_simulator, changed(lease_payload, rent="6600.00"), "k2")

    hlr_simulator.stop()
    hlr_simulator.start()

    _, lease = hlr_simulator.api("GET", LEASE)
    assert [v["version"] for v in lease["history"]] == [1, 2]
    assert len(hlr_simulator.filings()) == 2
    assert [n["kind"] for n in hlr_simulator.notifications()] == ["lease_created", "rent"]
    # the idempotency key is remembered across the restart too
    status, receipt = update(hlr_simulator, changed(lease_payload, rent="6600.00"), "k2")
    assert (status, receipt["replayed"]) == (200, True)
    assert len(hlr_simulator.filings()) == 2


def test_filings_survive_a_crash_through_the_journal(hlr_simulator, lease_payload):
    create(hlr_simulator, lease_payload)
    update(hlr_simulator, changed(lease_payload, rent="6600.00"), "k2")

    hlr_simulator.kill()  # SIGKILL: no snapshot at shutdown
    hlr_simulator.start()

    _, lease = hlr_simulator.api("GET", LEASE)
    assert [v["version"] for v in lease["history"]] == [1, 2]
    hlr_simulator.stop()  # snapshot + empty journal, then once more from the snapshot
    hlr_simulator.start()
    assert len(hlr_simulator.filings()) == 2


def test_reset_clears_state(hlr_simulator, lease_payload):
    create(hlr_simulator, lease_payload)
    hlr_simulator.reset()
    assert hlr_simulator.filings() == []
    assert hlr_simulator.api("GET", LEASE)[0] == 404


# -- knobs ---------------------------------------------------------------------------


def test_latency_knob_delays_answers(hlr_simulator):
    hlr_simulator.configure(latency_ms=200)
    started = time.monotonic()
    hlr_simulator.api("GET", LEASE)
    assert time.monotonic() - started >= 0.2


def test_error_rate_knob_answers_503_without_filing(hlr_simulator, lease_payload):
    hlr_simulator.configure(error_rate=1)

    status, body = create(hlr_simulator, lease_payload)

    assert status == 503
    assert body["errors"][0]["code"] == "unavailable"
    assert hlr_simulator.filings() == []
    assert hlr_simulator.stats()["errors_injected"] == 1


def test_error_rate_knob_is_a_probability(hlr_simulator):
    hlr_simulator.configure(error_rate=0.5)
    statuses = [hlr_simulator.api("GET", LEASE)[0] for _ in range(60)]
    assert 5 < statuses.count(503) < 55
    assert statuses.count(404) == 60 - statuses.count(503)


def test_down_knob_answers_503_then_recovers(hlr_simulator, lease_payload):
    hlr_simulator.configure(down=True)
    assert create(hlr_simulator, lease_payload)[0] == 503

    hlr_simulator.configure(down=False)
    assert create(hlr_simulator, lease_payload)[0] == 201


def test_down_close_mode_drops_the_connection(hlr_simulator):
    hlr_simulator.configure(down=True, down_mode="close")
    conn = http.client.HTTPConnection("127.0.0.1", hlr_simulator.port, timeout=5)
    conn.request("GET", LEASE, headers={"X-Api-Key": hlr_simulator.api_key})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        conn.getresponse()
    conn.close()


def test_knobs_can_be_set_at_start(hlr_simulator):
    hlr_simulator.stop()
    hlr_simulator.start(down="true")
    try:
        assert hlr_simulator.api("GET", LEASE)[0] == 503
    finally:
        hlr_simulator.configure(down=False)


def test_bad_knob_is_refused(hlr_simulator):
    with pytest.raises(Exception, match="400"):
        hlr_simulator.configure(error_rate=2)


def test_lost_response_knob_stores_the_filing_but_drops_the_answer(hlr_simulator, lease_payload):
    hlr_simulator.configure(lost_response_rate=1)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        create(hlr_simulator, lease_payload)
    assert len(hlr_simulator.filings()) == 1
    assert hlr_simulator.stats()["lost_responses"] == 1


def test_deleted_lease_can_be_created_again(hlr_simulator, lease_payload):
    create(hlr_simulator, lease_payload, key="a")
    hlr_simulator.api("DELETE", LEASE, None, {"Idempotency-Key": "b"})

    status, receipt = create(hlr_simulator, lease_payload, key="c")

    assert (status, receipt["version"]) == (201, 3)
    kinds = [n["kind"] for n in hlr_simulator.notifications()]
    assert kinds == ["lease_created", "lease_deleted", "lease_created"]


def test_simulator_does_not_import_django_or_product_code():
    import subprocess
    import sys

    ours = ("django", "config", "core", "tenancy", "cprlookup", "rentregister", "waitlist")
    ours += ("gdpr", "devtools")
    code = (
        "import sys, simulators.hlr.__main__, simulators.hlr.server\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {ours!r}]\n"
        "bad += [m for m in sys.modules if m.startswith('simulators.')"
        " and not m.startswith('simulators.hlr')]\n"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
