"""The HLR simulator over real HTTP: filings, idempotency, validation, UDK feed, knobs."""

LEASES = "/api/v3/lejekontrakter"


def create(sim, payload, key="key-1"):
    return sim.api("POST", LEASES, payload, {"Idempotency-Key": key})


def test_create_then_get_returns_current_version_and_history(hlr_simulator, lease_payload):
    status, receipt = create(hlr_simulator, lease_payload)

    assert status == 201
    assert receipt["status"] == "accepted"
    assert receipt["version"] == 1
    assert receipt["replayed"] is False
    status, lease = hlr_simulator.api("GET", f"{LEASES}/0000123-01")
    assert status == 200
    assert lease["status"] == "active"
    assert lease["current"]["lease"]["rent"] == "6500.00"
    assert [v["version"] for v in lease["history"]] == [1]
