"""rentregister.hlr.HlrClient against a real simulator process over HTTP."""

import copy
import logging
import threading

import pytest

from rentregister.hlr import HlrClient, HlrError, HlrRejected, HlrUnavailable, Receipt


@pytest.fixture
def client(hlr_settings):
    return HlrClient()


def test_client_reads_settings(hlr_settings, hlr_simulator):
    client = HlrClient()
    assert client.base_url == hlr_simulator.base_url
    assert client.attempts == 3
    assert client.timeout == 2.0


def test_file_create_update_delete_and_get(client, lease_payload, hlr_simulator):
    receipt = client.file(operation="create", payload=lease_payload, idempotency_key="c1")
    assert isinstance(receipt, Receipt)
    assert (receipt.status, receipt.version, receipt.replayed) == ("accepted", 1, False)

    later = copy.deepcopy(lease_payload)
    later["lease"]["rent"] = "7000.00"
    assert client.file(operation="update", payload=later, idempotency_key="u1").version == 2
    assert client.get_lease("0000123-01")["current"]["lease"]["rent"] == "7000.00"

    deleted = client.file(operation="delete", payload=later, idempotency_key="d1")
    assert deleted.version == 3
    assert client.get_lease("0000123-01")["status"] == "deleted"
    assert [f["operation"] for f in hlr_simulator.filings()] == ["create", "update", "delete"]


def test_get_unknown_lease_is_none(client):
    assert client.get_lease("ukendt") is None


def test_replayed_filing_returns_the_same_receipt(client, lease_payload, hlr_simulator):
    first = client.file(operation="create", payload=lease_payload, idempotency_key="same")
    again = client.file(operation="create", payload=lease_payload, idempotency_key="same")

    assert again.receipt_id == first.receipt_id
    assert again.replayed is True
    assert len(hlr_simulator.filings()) == 1


def test_rejection_carries_field_errors_and_is_not_retried(client, lease_payload, hlr_simulator):
    lease_payload["lease"]["rent"] = "-5"

    with pytest.raises(HlrRejected) as info:
        client.file(operation="create", payload=lease_payload, idempotency_key="bad")

    assert info.value.status == 422
    assert [(e["field"], e["code"]) for e in info.value.errors] == [
        ("lease.rent", "invalid_amount")
    ]
    assert info.value.errors[0]["message"]
    assert hlr_simulator.stats()["rejections"] == 1  # one request, no retries


def test_key_reuse_with_another_body_is_rejected(client, lease_payload):
    client.file(operation="create", payload=lease_payload, idempotency_key="k")
    lease_payload["lease"]["rent"] = "1.00"
    with pytest.raises(HlrRejected) as info:
        client.file(operation="create", payload=lease_payload, idempotency_key="k")
    assert info.value.status == 409
    assert info.value.errors[0]["code"] == "idempotency_conflict"


def test_validate_returns_field_errors(client, lease_payload, hlr_simulator):
    assert client.validate(lease_payload) == []
    lease_payload["dwelling"]["rooms"] = 0
    errors = client.validate(lease_payload)
    assert [(e["field"], e["code"]) for e in errors] == [("dwelling.rooms", "invalid_rooms")]
    assert hlr_simulator.filings() == []


def test_name_only_warning_reaches_the_receipt(client, lease_payload):
    lease_payload["lease"]["tenants"][0]["birth_date"] = None
    receipt = client.file(operation="create", payload=lease_payload, idempotency_key="n")
    assert [w["code"] for w in receipt.warnings] == ["name_only"]


def test_notifications_since(client, lease_payload):
    client.file(operation="create", payload=lease_payload, idempotency_key="c")
    lease_payload["lease"]["rent"] = "6600.00"
    lease_payload["lease"]["heating_form"] = "gas"  # not learned by UDK
    client.file(operation="update", payload=lease_payload, idempotency_key="u")

    assert [n["kind"] for n in client.notifications()] == ["lease_created", "rent"]
    assert [n["kind"] for n in client.notifications(since=1)] == ["rent"]
    assert client.notifications(since=2) == []


def test_down_register_raises_unavailable_after_all_attempts(client, lease_payload, hlr_simulator):
    hlr_simulator.configure(down=True)

    with pytest.raises(HlrUnavailable) as info:
        client.file(operation="create", payload=lease_payload, idempotency_key="x")

    assert info.value.attempts == 3
    assert hlr_simulator.stats()["errors_injected"] == 3
    assert hlr_simulator.filings() == []


def test_connection_refused_raises_unavailable(client, lease_payload, hlr_simulator):
    hlr_simulator.stop()
    with pytest.raises(HlrUnavailable):
        client.file(operation="create", payload=lease_payload, idempotency_key="x")


def test_timeout_raises_unavailable(hlr_settings, lease_payload, hlr_simulator):
    hlr_simulator.configure(latency_ms=500)
    client = HlrClient(timeout=0.1, attempts=2)
    with pytest.raises(HlrUnavailable) as info:
        client.get_lease("0000123-01")
    assert info.value.attempts == 2


def test_transient_errors_are_retried_and_filed_once(hlr_settings, lease_payload, hlr_simulator):
    hlr_simulator.configure(error_rate=0.5)
    client = HlrClient(attempts=12, backoff=0.001)

    for n in range(20):
        lease_payload["lease"]["lease_number"] = f"L-{n}"
        client.file(operation="create", payload=lease_payload, idempotency_key=f"k-{n}")

    assert len(hlr_simulator.filings()) == 20
    assert hlr_simulator.stats()["errors_injected"] > 0


def test_lost_answers_are_retried_and_replayed_not_filed_twice(
    hlr_settings, lease_payload, hlr_simulator
):
    hlr_simulator.configure(lost_response_rate=0.5)
    # 20 attempts: with 12, one of the 20 filings lost every answer in about 1 run in 200
    # (20 x 0.5**12); now about 1 in 50,000
    client = HlrClient(attempts=20, backoff=0.001)

    receipts = []
    for n in range(20):
        lease_payload["lease"]["lease_number"] = f"L-{n}"
        receipts.append(
            client.file(operation="create", payload=lease_payload, idempotency_key=f"k-{n}")
        )

    filings = hlr_simulator.filings()
    assert len(filings) == 20
    assert {f["receipt_id"] for f in filings} == {r.receipt_id for r in receipts}
    assert any(r.replayed for r in receipts)
    assert hlr_simulator.stats()["lost_responses"] > 0


def test_wrong_api_key_is_an_error_not_a_rejection(hlr_settings, lease_payload):
    client = HlrClient(api_key="wrong")
    with pytest.raises(HlrError) as info:
        client.file(operation="create", payload=lease_payload, idempotency_key="k")
    assert not isinstance(info.value, HlrRejected | HlrUnavailable)
    assert info.value.status == 401


def test_keep_alive_and_threads(client, lease_payload, hlr_simulator):
    errors = []

    def work(t):
        try:
            for n in range(10):
                body = copy.deepcopy(lease_payload)
                body["lease"]["lease_number"] = f"T{t}-{n}"
                client.file(operation="create", payload=body, idempotency_key=f"T{t}-{n}")
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(hlr_simulator.filings()) == 40


def test_survives_a_simulator_restart_between_calls(client, lease_payload, hlr_simulator):
    client.file(operation="create", payload=lease_payload, idempotency_key="a")
    hlr_simulator.stop()
    hlr_simulator.start()
    # the kept-alive connection is dead now; the client reconnects transparently
    assert client.get_lease("0000123-01")["version"] == 1


def test_no_personal_data_in_logs(client, lease_payload, hlr_simulator, caplog):
    lease_payload["lease"]["tenants"][0]["cpr"] = "1705801234"
    caplog.set_level(logging.DEBUG, logger="rentregister.hlr")
    client.file(operation="create", payload=lease_payload, idempotency_key="p")
    hlr_simulator.configure(down=True)
    with pytest.raises(HlrUnavailable):
        client.file(operation="update", payload=lease_payload, idempotency_key="q")

    assert caplog.records
    text = caplog.text
    assert "Jens Hansen" not in text
    assert "1705801234" not in text
